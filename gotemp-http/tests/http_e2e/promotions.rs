//! Promotions: products and discounts, customer names, the deletable state.

use crate::support::*;

#[tokio::test]
async fn promotions_round_trip_with_every_rule() {
    let Some((store, _app, api)) = fixture("promotions_round_trip_with_every_rule").await else {
        return;
    };
    let body = json!({
        "name": "Spring", "description": "Ducks in spring", "valid_from": future(1),
        "valid_thru": future(60), "active": true, "customer_id": "ducksrus",
        "products": [{"product_id": "switch", "upc_code": "0123", "discounts": [
            {"value": 10.5, "kind": 1, "description": "ten and a half"}, {"value": 2.0}
        ]}]
    });
    let created = api.post("/v1/promotions", body.clone()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let promotion = created.json();
    let id = promotion["id"].as_i64().unwrap();
    assert_eq!(promotion["customer_name"], "Ducks R Us");
    let ids: Vec<i64> = promotion["products"][0]["discounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2], "discount numbers assigned");
    let path = format!("/v1/promotions/{id}");
    assert_eq!(api.get(&path).await.json(), promotion);
    for query in [
        format!("id={id}"),
        "name=Spring".into(),
        "product_id=switch&customer_id=ducksrus".into(),
        format!("valid_on={}", urlencode(&future(30))),
    ] {
        let page = api.get(&format!("/v1/promotions?{query}")).await.json();
        let found: Vec<i64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect();
        assert!(found.contains(&id), "{query}");
    }

    // Every rule at once, including nested ones with their index.
    let r = api
        .post(
            "/v1/promotions",
            json!({
                "name": "n".repeat(51), "description": "d".repeat(256), "customer_id": "",
                "products": [{"product_id": "", "upc_code": "u".repeat(51), "discounts": [{"value": 0}]}]
            }),
        )
        .await;
    let p = r.problem(422);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in [
        "name",
        "description",
        "valid_from",
        "valid_thru",
        "customer_id",
        "products[0].product_id",
        "products[0].upc_code",
        "products[0].discounts[0].value",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let mut unknown = body.clone();
    unknown["customer_id"] = json!("nobody-at-all");
    api.post("/v1/promotions", unknown)
        .await
        .invalid(&["customer_id"]);
    let mut mistyped = body.clone();
    mistyped["products"][0]["discounts"][1]["value"] = json!("two");
    api.post("/v1/promotions", mistyped)
        .await
        .invalid(&["products[0].discounts[1].value"]);

    // Update, stale update, and the approval workflow's delete rule.
    let r = api
        .put(
            &path,
            json!({"approval_status": 1, "products": []}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["prev_approval_status"], 0);
    assert_eq!(r.json()["products"], json!([]));
    api.put(&path, json!({"name": "Stale"}), Some("\"1\""))
        .await
        .problem(412);
    api.put(&path, json!({"customer_id": "nobody-at-all"}), None)
        .await
        .invalid(&["customer_id"]);
    api.delete(&path, None).await.problem(409);
    // Approval only moves forward, for administrators too: an approved promotion stays.
    let p = api
        .put(&path, json!({"approval_status": 0}), None)
        .await
        .problem(409);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .starts_with("approval_status:"),
        "{p}"
    );
    api.delete(&path, None).await.problem(409);
    let fresh = api.post("/v1/promotions", body.clone()).await.json();
    let fresh_path = format!("/v1/promotions/{}", fresh["id"]);
    assert_eq!(api.delete(&fresh_path, None).await.status, 204);
    api.get(&fresh_path).await.problem(404);
    api.get("/v1/promotions/not-a-number")
        .await
        .invalid(&["id"]);
    api.stop().await;
    store.finish().await;
}

/// What one request may make the server store, publish and answer is bounded: product lines and
/// discounts have limits, a change whose audit event would not fit the broker is refused before
/// anything commits, and a request full of mistakes gets a short answer.
#[tokio::test]
async fn oversized_promotions_are_refused_with_bounded_answers() {
    let Some((store, _app, api)) =
        fixture("oversized_promotions_are_refused_with_bounded_answers").await
    else {
        return;
    };
    let line = |discounts: usize| {
        let discounts: Vec<Value> = (0..discounts).map(|_| json!({"value": 1})).collect();
        json!({"product_id": "switch", "discounts": discounts})
    };
    let promotion = |lines: Vec<Value>| {
        json!({"name": "Big", "customer_id": "ducksrus", "valid_from": future(1),
               "valid_thru": future(60), "products": lines})
    };
    let before = api.get("/v1/promotions?limit=100").await.json()["items"]
        .as_array()
        .unwrap()
        .len();

    let r = api
        .post("/v1/promotions", promotion(vec![line(0); 1001]))
        .await;
    r.invalid(&["products"]);
    assert_eq!(r.json()["errors"][0]["code"], "too_many_items");
    api.post("/v1/promotions", promotion(vec![line(51)]))
        .await
        .invalid(&["products[0].discounts"]);

    // A thousand broken lines: a hundred failures listed, then how many more and where.
    let broken = vec![json!({"product_id": "", "discounts": []}); 1000];
    let r = api.post("/v1/promotions", promotion(broken)).await;
    let p = r.problem(422);
    let errors = p["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 101, "{}", r.text.len());
    assert_eq!(errors[100]["code"], "too_many_errors");
    assert_eq!(errors[100]["field"], "products[100].product_id");
    assert!(errors[100]["message"].as_str().unwrap().contains("900"));
    assert!(
        r.text.len() < 32 * 1024,
        "a short answer: {} bytes",
        r.text.len()
    );

    // Within the item limits and the body limit, but its event would be megabytes: refused
    // up front, nothing stored, nothing queued.
    let backlog = store.repos.outbox.backlog().await.unwrap();
    let r = api
        .post("/v1/promotions", promotion(vec![line(50); 1000]))
        .await;
    r.invalid(&["products"]);
    assert_eq!(r.json()["errors"][0]["code"], "event_too_large");
    assert_eq!(store.repos.outbox.backlog().await.unwrap(), backlog);
    let after = api.get("/v1/promotions?limit=100").await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before, "no half-written promotion");

    // The same refusal on update, and the promotion keeps its stored lines.
    let created = api.post("/v1/promotions", promotion(vec![line(1)])).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let path = format!("/v1/promotions/{}", created.json()["id"]);
    api.put(&path, json!({"products": vec![line(50); 1000]}), None)
        .await
        .invalid(&["products"]);
    assert_eq!(api.get(&path).await.json()["version"], 1);
    store.finish().await;
}

/// Approval is a permission of its own: an editor writes promotions but cannot approve them
/// (not even by creating one approved), an approver approves without being an editor, and no
/// one moves an approval back.
#[tokio::test]
async fn approval_takes_the_approver_role_and_only_moves_forward() {
    let Some((store, _app, api)) =
        fixture("approval_takes_the_approver_role_and_only_moves_forward").await
    else {
        return;
    };
    let password = "a long enough password for the test";
    let mut callers = Vec::new();
    for role in ["editor", "approver"] {
        let email = format!("{role}.approval@example.com");
        let user = json!({"first_name": "A", "last_name": role, "email": email,
                          "password": password, "roles": [role], "active": true,
                          "valid_from": future(-1), "valid_thru": future(365)});
        let created = api.post("/v1/users", user).await;
        assert_eq!(created.status, 201, "{}", created.text);
        let mut caller = api.with_token(None);
        caller.login(&email, password).await;
        callers.push(caller);
    }
    let (editor, approver) = (&callers[0], &callers[1]);
    let body = json!({"name": "Workflow", "customer_id": "ducksrus", "valid_from": future(1),
                      "valid_thru": future(60), "products": []});
    let mut approved = body.clone();
    approved["approval_status"] = json!(2);
    let p = editor.post("/v1/promotions", approved).await.problem(403);
    assert!(
        p["detail"].as_str().unwrap().contains("promotions:approve"),
        "{p}"
    );

    let created = editor.post("/v1/promotions", body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let path = format!("/v1/promotions/{}", created.json()["id"]);
    let p = editor
        .put(&path, json!({"approval_status": 1}), None)
        .await
        .problem(403);
    assert!(
        p["detail"].as_str().unwrap().contains("promotions:approve"),
        "{p}"
    );
    // Sending the status it has is no approval: an editor's full form goes through.
    let r = editor
        .put(
            &path,
            json!({"name": "Workflow 2", "approval_status": 0}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The approver reads and approves, but changes nothing else.
    assert_eq!(approver.get(&path).await.status, 200);
    let p = approver
        .put(
            &path,
            json!({"name": "Mine now", "approval_status": 1}),
            None,
        )
        .await
        .problem(403);
    assert!(
        p["detail"].as_str().unwrap().contains("promotions:update"),
        "{p}"
    );
    let r = approver
        .put(&path, json!({"approval_status": 1}), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["approval_status"], 1);
    assert_eq!(r.json()["prev_approval_status"], 0);
    approver
        .put(&path, json!({"approval_status": 0}), None)
        .await
        .problem(409);
    editor.delete(&path, None).await.problem(409);
    approver
        .post("/v1/customers", json!({"name": "No"}))
        .await
        .problem(403);
    store.finish().await;
}
