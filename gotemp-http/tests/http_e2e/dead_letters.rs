//! Dead letters an administrator can act on: a message the store refused is parked, listed over
//! HTTP with the reason, replayed once the cause is fixed — exactly one audit record — and
//! forgotten; a message that never was an event of this deployment cannot be replayed.

use crate::support::*;
use gotemp::domain::event::{ActionType, AuditEvent, EVENT_SCHEMA_VERSION};
use gotemp::events::{AuditRecorder, Delivery};

fn event(object_id: &str) -> AuditEvent {
    AuditEvent {
        event_id: uuid::Uuid::now_v7(),
        schema_version: EVENT_SCHEMA_VERSION,
        occurred_at: chrono::Utc::now(),
        service: "customer".into(),
        action_func: "update_customer".into(),
        action_type: ActionType::Update,
        object_name: "customer".into(),
        object_id: object_id.into(),
        performed_by: 1,
        tenant: gotemp::domain::values::TenantId::default_tenant(),
        object_detail: json!({"id": object_id, "name": "Poisoned"}),
        traceparent: None,
    }
}

#[tokio::test]
async fn a_parked_message_is_listed_and_replayed_once_its_cause_is_fixed() {
    let test = "a_parked_message_is_listed_and_replayed_once_its_cause_is_fixed";
    let Some((store, app, api)) = fixture(test).await else {
        return;
    };
    // A store that refuses one object's events, as a broken constraint or trigger would.
    let db = sqlx::PgPool::connect(&store.url).await.unwrap();
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF NEW.object_id = 'poison' THEN RAISE EXCEPTION 'refused by the test'; END IF; \
           RETURN NEW; END $$; \
         CREATE TRIGGER refuse_poison BEFORE INSERT ON audit_records \
           FOR EACH ROW EXECUTE FUNCTION refuse_poison();",
    )
    .execute(&db)
    .await
    .unwrap();
    let recorder = AuditRecorder::new(app.audit().clone(), 1);
    let poisoned = event("poison");
    let payload = serde_json::to_vec(&poisoned).unwrap();
    let subject = "gotemp.audit.customer.update";
    let parked = recorder.deliver(subject, &payload, 1).await;
    assert!(matches!(parked, Delivery::Parked(_)), "{parked:?}");
    // And one that is no event at all.
    let garbage = recorder.deliver(subject, b"{not json", 1).await;
    assert!(matches!(garbage, Delivery::Parked(_)), "{garbage:?}");

    // Listed, newest first, with the reason, for administrators only.
    let listed = api.get("/v1/audit/dead-letters").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let listed = listed.json();
    assert_eq!(listed["total"], 2);
    let letters = listed["items"].as_array().unwrap();
    let refused = (letters.iter())
        .find(|l| l["event_id"] == poisoned.event_id.to_string())
        .expect("the refused event is listed");
    assert_eq!(refused["subject"], subject);
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("refused by the test")
    );
    let unreadable = letters.iter().find(|l| l["event_id"].is_null()).unwrap();
    api.with_token(None)
        .get("/v1/audit/dead-letters")
        .await
        .problem(401);

    // The cause fixed, the replay stores it once; a second replay finds nothing to do.
    sqlx::raw_sql("DROP TRIGGER refuse_poison ON audit_records")
        .execute(&db)
        .await
        .unwrap();
    let replay = |id: &serde_json::Value| format!("/v1/audit/dead-letters/{id}/replay");
    let replayed = api.post(&replay(&refused["id"]), json!({})).await;
    assert_eq!(replayed.status, 200, "{}", replayed.text);
    assert_eq!(replayed.json()["stored"], true);
    assert_eq!(replayed.json()["event_id"], poisoned.event_id.to_string());
    let records = api
        .get("/v1/audit?object_name=customer&object_id=poison")
        .await;
    assert_eq!(records.json()["items"].as_array().unwrap().len(), 1);
    api.post(&replay(&refused["id"]), json!({}))
        .await
        .problem(404);
    // The unreadable one stays parked: there is no event to store.
    let refused_again = api.post(&replay(&unreadable["id"]), json!({})).await;
    let problem = refused_again.problem(409);
    assert_eq!(problem["type"], "urn:gotemp:problem:state");
    assert_eq!(api.get("/v1/audit/dead-letters").await.json()["total"], 1);
    db.close().await;
    store.finish().await;
}
