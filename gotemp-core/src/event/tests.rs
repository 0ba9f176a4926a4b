use super::*;
use serde_json::json;

#[test]
fn a_subject_names_the_tenant_of_its_event() {
    let actor = Actor::admin(TenantId::parse("t", "ducks").unwrap(), 7);
    let thing = Thing {
        id: 1,
        password: "",
        nested: Value::Null,
    };
    let event = PendingEvent::new::<Thing>(ActionType::Insert, &actor, Utc::now());
    let mut event = event.complete(&thing).unwrap();
    assert_eq!(event.topic(), "gotemp.audit.ducks.things.insert");
    assert_eq!(
        AuditEvent::tenant_of_topic(&event.topic()),
        Some(event.tenant.clone())
    );
    event.tenant = TenantId::default_tenant();
    assert_eq!(
        event.topic(),
        "gotemp.audit.things.insert",
        "as before tenants"
    );
    assert_eq!(
        AuditEvent::tenant_of_topic(&event.topic()),
        Some(TenantId::default_tenant())
    );
    for other in [
        "gotemp.audit.customer",
        "other.audit.a.b",
        "gotemp.audit.Bad_Key.customer.insert",
    ] {
        assert_eq!(AuditEvent::tenant_of_topic(other), None, "{other}");
    }
}

#[derive(Serialize)]
struct Thing {
    id: i64,
    password: &'static str,
    nested: Value,
}

impl Auditable for Thing {
    const OBJECT_NAME: &'static str = "thing";
    const SERVICE: &'static str = "things";
    fn object_id(&self) -> String {
        self.id.to_string()
    }
}

#[test]
fn complete_fills_ids_and_redacts_secrets_at_any_depth() {
    let actor = Actor::admin(crate::values::TenantId::default_tenant(), 7);
    let pending = PendingEvent::new::<Thing>(ActionType::Update, &actor, Utc::now());
    let event = pending
        .clone()
        .complete(&Thing {
            id: 42,
            password: "hunter2",
            nested: json!({"a": [{"Password_Hash": "x", "keep": 1}]}),
        })
        .unwrap();
    assert_eq!(event.event_id, pending.event_id);
    assert_eq!(event.object_id, "42");
    assert_eq!(event.action_func, "update_thing");
    assert_eq!(event.performed_by, 7);
    assert_eq!(event.topic(), "gotemp.audit.things.update");
    assert_eq!(
        event.object_detail,
        json!({"id": 42, "nested": {"a": [{"keep": 1}]}})
    );
}

#[test]
fn an_event_over_the_limit_is_refused_naming_the_largest_field_but_a_delete_goes_through() {
    let actor = Actor::admin(crate::values::TenantId::default_tenant(), 7);
    let big = Thing {
        id: 42,
        password: "x",
        nested: json!(["y".repeat(DEFAULT_MAX_EVENT_BYTES)]),
    };
    let pending = PendingEvent::new::<Thing>(ActionType::Update, &actor, Utc::now());
    let Err(crate::Error::Validation(errors)) = pending.complete(&big) else {
        panic!("an update whose event is over the limit must be refused");
    };
    assert_eq!(errors[0].field, "nested");
    assert_eq!(errors[0].code, "event_too_large");
    let pending = PendingEvent::new::<Thing>(ActionType::Delete, &actor, Utc::now());
    let deleted = pending.complete(&big).expect("a delete is never refused");
    assert_eq!(deleted.object_detail["id"], "42");
    assert!(json_size(&deleted) < 1024);
    let small = Thing {
        id: 1,
        password: "x",
        nested: json!("z".repeat(DEFAULT_MAX_EVENT_BYTES - 500)),
    };
    let pending = PendingEvent::new::<Thing>(ActionType::Insert, &actor, Utc::now());
    assert!(pending.complete(&small).is_ok(), "just under the limit");
}

#[test]
fn action_types_round_trip() {
    for a in [
        ActionType::Insert,
        ActionType::Update,
        ActionType::Delete,
        ActionType::Access,
    ] {
        assert_eq!(ActionType::parse(a.as_str()), Some(a));
    }
    assert_eq!(ActionType::parse("upsert"), None);
}
