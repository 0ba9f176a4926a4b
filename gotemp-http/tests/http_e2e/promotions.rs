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
    api.put(&path, json!({"approval_status": 0}), None).await;
    assert_eq!(api.delete(&path, None).await.status, 204);
    api.get(&path).await.problem(404);
    api.get("/v1/promotions/not-a-number")
        .await
        .invalid(&["id"]);
    api.stop().await;
    store.finish().await;
}
