//! The audit trail: searched by every filter, read, counted per bucket.

use crate::support::*;

#[tokio::test]
async fn the_audit_trail_is_searchable_and_counted() {
    let Some((store, app, api)) = fixture("the_audit_trail_is_searchable_and_counted").await else {
        return;
    };
    let relay = app.start_audit_pipeline();
    let created = api
        .post("/v1/customers", json!({"name": "Audited", "id": "audited"}))
        .await;
    assert_eq!(created.status, 201);
    api.put(
        "/v1/customers/audited",
        json!({"name": "Audited Twice"}),
        None,
    )
    .await;
    app.wait_for_audit(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let history = api
        .get("/v1/audit?object_name=customer&object_id=audited")
        .await
        .json();
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{history}");
    assert_eq!(items[0]["action_type"], "update", "newest first");
    assert_eq!(items[1]["action_type"], "insert");
    let performer = items[0]["performed_by"].as_i64().unwrap();
    for query in [
        format!("performed_by={performer}&object_id=audited"),
        "service=customer&action_type=update&object_id=audited".into(),
        format!("from={}&object_id=audited", urlencode(&future(-1))),
        format!("to={}&object_id=audited", urlencode(&future(1))),
    ] {
        let page = api.get(&format!("/v1/audit?{query}")).await;
        assert_eq!(page.status, 200, "{query}: {}", page.text);
        assert!(
            !page.json()["items"].as_array().unwrap().is_empty(),
            "{query}"
        );
    }
    let one = api.get("/v1/audit?limit=1").await.json();
    assert!(one["next_cursor"].is_string());
    let id = items[0]["id"].as_i64().unwrap();
    assert_eq!(
        api.get(&format!("/v1/audit/{id}")).await.json()["object_id"],
        "audited"
    );
    api.get("/v1/audit/99999999").await.problem(404);
    api.get("/v1/audit?action_type=upsert")
        .await
        .invalid(&["action_type"]);
    api.get("/v1/audit?performed_by=me")
        .await
        .invalid(&["performed_by"]);
    let backwards = format!(
        "/v1/audit?from={}&to={}",
        urlencode(&future(1)),
        urlencode(&future(-1))
    );
    let r = api.get(&backwards).await;
    assert_eq!(r.status, 422, "{}", r.text);

    let buckets = api
        .get(&format!(
            "/v1/audit/buckets?width=1h&object_id=audited&from={}",
            urlencode(&future(-1))
        ))
        .await;
    assert_eq!(buckets.status, 200, "{}", buckets.text);
    let body = buckets.json();
    assert_eq!(body["width_secs"], 3600);
    let total: i64 = body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2);
    // Without a range: up to now, and back 10,000 widths — never the whole trail — as the
    // answer says.
    let open = api.get("/v1/audit/buckets?width=1s").await.json();
    let (from, to) = (open["from"].as_str().unwrap(), open["to"].as_str().unwrap());
    let from = chrono::DateTime::parse_from_rfc3339(from).unwrap();
    let to = chrono::DateTime::parse_from_rfc3339(to).unwrap();
    assert_eq!((to - from).num_seconds(), 10_000, "{open}");
    assert!((chrono::Utc::now() - to.to_utc()).num_seconds().abs() < 60);
    api.get(&format!(
        "/v1/audit/buckets?width=1s&from={}",
        urlencode(&future(-1))
    ))
    .await
    .invalid(&["width"]);
    api.get("/v1/audit/buckets?width=soon")
        .await
        .invalid(&["width"]);
    api.get("/v1/audit/buckets?width=10ms")
        .await
        .invalid(&["width"]);
    relay.shutdown().await;
    api.stop().await;
    store.finish().await;
}
