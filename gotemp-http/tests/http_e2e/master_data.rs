//! Customers and products: every rule, keys, validity, extra fields.

use crate::support::*;

#[tokio::test]
async fn customers_and_products_round_trip_with_every_rule() {
    let Some((store, _app, api)) =
        fixture("customers_and_products_round_trip_with_every_rule").await
    else {
        return;
    };
    for (kind, extra) in [
        ("customers", json!({})),
        ("products", json!({"hierarchy_level": "sku"})),
    ] {
        let base = format!("/v1/{kind}");
        let mut body = json!({"name": "Rubber Ducks", "extra_fields": {"external_id": "e-1"}});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let created = api.post(&base, body.clone()).await;
        assert_eq!(created.status, 201, "{}", created.text);
        let object = created.json();
        let id = object["id"].as_str().unwrap().to_owned();
        assert!(
            id.starts_with("rubber-ducks"),
            "key generated from the name: {id}"
        );
        assert_eq!(created.header("location"), format!("{base}/{id}"));
        let path = format!("{base}/{id}");
        let got = api.get(&path).await;
        assert_eq!(got.json(), object);
        assert_eq!(got.header("etag"), "\"1\"");

        let mut queries = vec![
            format!("id={id}"),
            "name=Rubber%20Ducks".into(),
            format!("valid_on={}", urlencode(&future(30))),
        ];
        if kind == "products" {
            queries.push("hierarchy_level=sku&name=Rubber%20Ducks".into());
        }
        for query in queries {
            let page = api.get(&format!("{base}?{query}")).await.json();
            let found: Vec<&str> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["id"].as_str().unwrap())
                .collect();
            assert!(found.contains(&id.as_str()), "{kind}?{query}: {found:?}");
        }
        api.get(&format!("{base}?valid_on={}", urlencode(&future(900))))
            .await;
        let r = api
            .get(&format!(
                "{base}?id={id}&valid_on={}",
                urlencode(&future(900))
            ))
            .await;
        assert_eq!(r.json()["items"], json!([]), "not valid in 900 days");

        // The kind's own required fields, added to every body below.
        let with = |mut body: serde_json::Value| {
            let fields = extra.as_object().unwrap().clone();
            body.as_object_mut().unwrap().extend(fields);
            body
        };
        // Rules: name required and bounded, key format, validity order, extra fields an object.
        api.post(&base, with(json!({}))).await.invalid(&["name"]);
        api.post(
            &base,
            with(json!({"name": "n".repeat(256), "id": "no spaces please"})),
        )
        .await
        .invalid(&["name", "id"]);
        api.post(
            &base,
            with(json!({"name": "X", "valid_from": future(5), "valid_thru": future(1)})),
        )
        .await
        .invalid(&["valid_thru"]);
        api.post(&base, with(json!({"name": "X", "extra_fields": [1]})))
            .await
            .invalid(&["extra_fields"]);
        api.post(&base, with(json!({"name": "X", "valid_from": 12})))
            .await
            .invalid(&["valid_from"]);
        // A taken key.
        api.post(&base, with(json!({"name": "Again", "id": id})))
            .await
            .problem(409);
        // NUL characters cannot be stored anywhere: refused by name, never a server error.
        api.post(&base, with(json!({"name": "a\u{0}b"})))
            .await
            .invalid(&["name"]);
        api.post(
            &base,
            with(json!({"name": "X", "extra_fields": {"k": ["\u{0}"]}})),
        )
        .await
        .invalid(&["extra_fields"]);
        api.get(&format!("{base}?name=a%00b"))
            .await
            .invalid(&["name"]);
        api.get(&format!("{base}/a%00b")).await.problem(404);

        let r = api
            .put(&path, json!({"name": "Rubber Ducks Ltd"}), Some("\"1\""))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("etag"), "\"2\"");
        assert_eq!(
            api.get(&path).await.json()["name"],
            "Rubber Ducks Ltd",
            "the cache saw the change"
        );
        api.put(&path, json!({"name": "Stale"}), Some("\"1\""))
            .await
            .problem(412);
        api.put(&path, json!({"name": ""}), None)
            .await
            .invalid(&["name"]);
        if kind == "products" {
            // Required, as the original had it: neither left out nor cleared.
            let unlevelled = api.post(&base, json!({"name": "X"})).await;
            unlevelled.invalid(&["hierarchy_level"]);
            api.put(&path, json!({"hierarchy_level": " "}), None)
                .await
                .invalid(&["hierarchy_level"]);
        }
        api.put(&format!("{base}/nothing-here"), json!({"name": "X"}), None)
            .await
            .problem(404);
        api.get(&format!("{base}/nothing-here")).await.problem(404);
        api.delete(&path, Some("\"1\"")).await.problem(412);
        assert_eq!(api.delete(&path, Some("W/\"2\"")).await.status, 204);
        api.get(&path).await.problem(404);
    }
    // A customer that promotions name cannot be deleted.
    api.delete("/v1/customers/ducksrus", None)
        .await
        .problem(409);
    api.stop().await;
    store.finish().await;
}
