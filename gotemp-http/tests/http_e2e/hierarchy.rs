//! Customer and product hierarchies: listed, linked, unlinked.

use crate::support::*;

#[tokio::test]
async fn hierarchies_are_listed_linked_and_unlinked() {
    let Some((store, _app, api)) = fixture("hierarchies_are_listed_linked_and_unlinked").await
    else {
        return;
    };
    // The seeded hierarchy of docs/services.md.
    let children = api
        .call("GET", "/v1/customers/ducksrus/children", None, None)
        .await;
    assert_eq!(ids(&children, "customer"), ["ducksrusb", "ducksrusd"]);
    let kinds: Vec<Value> = children.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["link"]["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("pay_to"), json!("sold_to")]);
    let parents = api
        .call("GET", "/v1/customers/ducksrusd/parents", None, None)
        .await;
    assert_eq!(ids(&parents, "customer"), ["ducksrus"]);
    let elec = api
        .call("GET", "/v1/products/elec/children", None, None)
        .await;
    assert_eq!(ids(&elec, "product"), ["intamd", "switch", "tele"]);
    let parts = api
        .call("GET", "/v1/products/switch/components", None, None)
        .await;
    assert_eq!(ids(&parts, "product"), ["intamd"]);
    let cats = api
        .call("GET", "/v1/products/fridge/parents", None, None)
        .await;
    assert_eq!(ids(&cats, "product"), ["appli"]);
    let before_2000 = "/v1/customers/ducksrus/children?valid_on=1999-06-01T00:00:00Z";
    let none = api.call("GET", before_2000, None, None).await;
    assert!(
        ids(&none, "customer").is_empty(),
        "links have their own validity"
    );

    // Link, refuse twice, refuse a loop, every rule, unlink.
    let added = api
        .call(
            "POST",
            "/v1/customers/canard/children",
            Some(json!({"id": "patoloco", "kind": "sold_to"})),
            None,
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(added.json()["relation"], "is_parent_of");
    // One link per pair and relation: another kind for the same pair is the same link.
    let again = api
        .call(
            "POST",
            "/v1/customers/canard/children",
            Some(json!({"id": "patoloco", "kind": "pay_to"})),
            None,
        )
        .await;
    again.problem(409);
    let looped = api
        .call(
            "POST",
            "/v1/customers/patoloco/children",
            Some(json!({"id": "canard", "kind": "sold_to"})),
            None,
        )
        .await;
    looped.invalid(&["id"]);
    let bad = api
        .call(
            "POST",
            "/v1/customers/canard/children",
            Some(json!({"id": "canard", "kind": "bill_to", "valid_from": future(10), "valid_thru": future(1)})),
            None,
        )
        .await;
    bad.invalid(&["id", "kind", "valid_thru"]);
    let unknown = api
        .call(
            "POST",
            "/v1/customers/canard/children",
            Some(json!({"id": "nobody", "kind": "sold_to"})),
            None,
        )
        .await;
    unknown.invalid(&["id"]);
    api.call("GET", "/v1/customers/nobody/children", None, None)
        .await
        .problem(404);
    let component = api
        .call(
            "POST",
            "/v1/products/fridge/components",
            Some(json!({"id": "intamd"})),
            None,
        )
        .await;
    assert_eq!(component.status, 201, "{}", component.text);
    assert_eq!(component.json()["from"], "intamd");
    let removed = api
        .call(
            "DELETE",
            "/v1/products/fridge/components/intamd",
            None,
            None,
        )
        .await;
    assert_eq!(removed.status, 204, "{}", removed.text);
    api.call(
        "DELETE",
        "/v1/products/fridge/components/intamd",
        None,
        None,
    )
    .await
    .problem(404);
    let audit = api
        .call("GET", "/v1/audit?object_name=product_link", None, None)
        .await;
    assert_eq!(audit.status, 200);
    store.finish().await;
}
