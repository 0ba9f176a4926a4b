//! Cache keys and tenants: no lookup answers one tenant with another's object.

use super::tests::{FakeCache, customer, layer};
use super::*;
use crate::values::TenantId;

#[tokio::test]
async fn a_tenant_is_never_answered_with_another_tenants_object() {
    let fake = FakeCache::new();
    let layer = layer(&fake);
    let (ducks, geese) = (
        TenantId::parse("t", "ducks").unwrap(),
        TenantId::parse("t", "geese").unwrap(),
    );
    assert_eq!(
        layer.key::<Customer>(&TenantId::default_tenant(), "c1"),
        "gotemp:customer:v1:c1",
        "the default tenant keeps the keys of before tenants"
    );
    assert_eq!(
        layer.key::<Customer>(&ducks, "c1"),
        "gotemp:ducks:customer:v1:c1"
    );
    let load = |name: &'static str| move || async move { Ok(Some(customer("c1", name))) };
    let got = layer
        .get_or_load::<Customer, _, _>(&ducks, "c1", load("Ducks"))
        .await;
    assert_eq!(got.unwrap().unwrap().name, "Ducks");
    let got = layer
        .get_or_load::<Customer, _, _>(&geese, "c1", load("Geese"))
        .await;
    assert_eq!(
        got.unwrap().unwrap().name,
        "Geese",
        "geese read their own c1"
    );
    layer.evict::<Customer>(&geese, "c1").await;
    let got = layer
        .get_or_load::<Customer, _, _>(&ducks, "c1", load("Other"))
        .await;
    assert_eq!(
        got.unwrap().unwrap().name,
        "Ducks",
        "evicting geese's c1 left ducks' cached"
    );
}
