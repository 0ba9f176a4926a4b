//! Customer and product hierarchies: listed, linked, unlinked.

use crate::protected::*;
use crate::support::*;

#[tokio::test]
async fn hierarchies_are_listed_linked_and_unlinked() {
    let Some((store, _app, running)) =
        fixture("grpc_hierarchies_are_listed_linked_and_unlinked").await
    else {
        return;
    };
    let c = admin(&running.url).await;
    let children = c
        .customers()
        .list_children(linked("ducksrus"))
        .await
        .unwrap();
    let ids: Vec<_> = children
        .into_inner()
        .items
        .into_iter()
        .map(|i| (i.customer.unwrap().id, i.link.unwrap().kind.unwrap()))
        .collect();
    assert_eq!(
        ids,
        [
            ("ducksrusb".to_owned(), "pay_to".to_owned()),
            ("ducksrusd".to_owned(), "sold_to".to_owned())
        ]
    );
    let parts = c.products().list_components(linked("tele")).await.unwrap();
    let ids: Vec<_> = parts
        .into_inner()
        .items
        .into_iter()
        .map(|i| i.product.unwrap().id)
        .collect();
    assert_eq!(ids, ["intamd"]);

    let add = |id: &str, other: &str, kind: Option<&str>| hierarchy::AddLinkRequest {
        id: id.into(),
        other_id: other.into(),
        kind: kind.map(Into::into),
        ..Default::default()
    };
    let link = c
        .products()
        .add_component(add("fridge", "intamd", None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (link.from.as_str(), link.relation.as_str()),
        ("intamd", "is_component_of")
    );
    let again = c
        .products()
        .add_component(add("fridge", "intamd", None))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists, "{again:?}");
    let looped = c
        .products()
        .add_child(add("tele", "elec", None))
        .await
        .unwrap_err();
    assert_eq!(looped.code(), Code::InvalidArgument, "{looped:?}");
    let bad_kind = c
        .customers()
        .add_child(add("canard", "patoloco", Some("bill_to")))
        .await
        .unwrap_err();
    assert_eq!(bad_kind.code(), Code::InvalidArgument);
    let missing = c
        .customers()
        .list_parents(linked("nobody"))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let removed = c
        .products()
        .remove_component(hierarchy::RemoveLinkRequest {
            id: "fridge".into(),
            other_id: "intamd".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(removed, link);
    store.finish().await;
}
