//! Tenant isolation over every RPC: in a multi-tenant deployment seeded with the demo tenants
//! `ducks` and `geese`, users of every role of `geese` call every RPC that needs a token, naming
//! objects only `ducks` has (its other user, promotion, audit record, customers and products
//! and their links), and get exactly the code they get for objects that exist nowhere: nothing
//! says `ducks`' objects exist. `ducks`' data is unchanged after it all. On SQLite and on
//! PostgreSQL (under row-level security).

use crate::protected::every_protected_rpc_on;
use crate::support::*;
use gotemp::domain::Actor;
use gotemp::domain::entities::AuditFilter;
use gotemp::domain::page::{PageRequest, PageSpec};
use gotemp::domain::values::TenantId;

const DEMO_PASSWORD: &str = "demo password of the isolation tests";

/// Objects of no tenant.
fn nowhere() -> Targets {
    Targets {
        user: 999_999,
        promotion: 999_999,
        audit: 999_999,
        customer: "nowhere",
        changed_customer: "nowhere",
        product: "nowhere",
        changed_product: "nowhere",
        customer_parent: "nowhere",
        customer_child: "nowhere",
        product_parent: "nowhere",
        product_child: "nowhere",
    }
}

/// `ducks`' customers (name, version) and how many users and promotions it has.
async fn ducks_holdings(app: &Gotemp, ducks: &TenantId) -> (Vec<(String, i64)>, usize, usize) {
    let repos = app.repositories();
    let first = PageSpec::first(100);
    let customers = repos
        .customers
        .list(ducks, &Default::default(), &first)
        .await;
    let users = repos.users.list(ducks, &Default::default(), &first).await;
    let promotions = repos
        .promotions
        .list(ducks, &Default::default(), &first)
        .await;
    let customers = customers.unwrap().items.into_iter();
    (
        customers.map(|c| (c.name, c.version)).collect(),
        users.unwrap().items.len(),
        promotions.unwrap().items.len(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_rpc_shows_or_changes_another_tenants_objects_on_sqlite() {
    isolation(testing::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_rpc_shows_or_changes_another_tenants_objects_on_postgres() {
    let test = "no_rpc_shows_or_changes_another_tenants_objects_on_postgres";
    if let Some(store) = testing::postgres_store(test).await {
        isolation(store).await;
    }
}

async fn isolation(store: TestStore) {
    let app =
        testing::tenants::ducks_and_geese(store.repos.clone(), tokens(), &config(), DEMO_PASSWORD)
            .await;
    let ducks = TenantId::parse("t", "ducks").unwrap();
    // The seeding's events in each tenant's trail.
    let _pipeline = app.start_audit_pipeline();
    let drained = app.wait_for_audit(std::time::Duration::from_secs(60)).await;
    drained.expect("the relay drains");
    let in_ducks = Actor::system(ducks.clone());
    let first = PageRequest::first(1);
    let dan = app
        .users()
        .by_email(&in_ducks, "dan.old@ducksrus.example", &first)
        .await;
    let everything = Default::default();
    let promotion = app.promotions().list(&in_ducks, &everything, &first).await;
    let trail = app
        .repositories()
        .audit
        .list(&ducks, &AuditFilter::default(), &PageSpec::first(1))
        .await;
    let theirs = Targets {
        user: dan.unwrap().items[0].id,
        promotion: promotion.unwrap().items[0].id,
        audit: trail.unwrap().items[0].id,
        customer: "canard",
        changed_customer: "canard",
        product: "tele",
        changed_product: "appli",
        customer_parent: "ducksrusb",
        customer_child: "ducksrusd",
        product_parent: "elec",
        product_child: "fridge",
    };
    let before = ducks_holdings(&app, &ducks).await;

    let auth = Authenticator::new(Arc::new(LocalVerifier::new(app.users().clone())));
    let running = start(app.clone(), &ServiceName::ALL, auth).await;
    let mut checked = 0;
    let roles = testing::tenants::GEESE_ROLES.map(|(who, _)| who);
    for who in ["admin", "gina.goose"].into_iter().chain(roles) {
        let mut client = GotempClient::connect(&running.url).await.unwrap();
        client
            .login(&format!("{who}@geese.example"), DEMO_PASSWORD)
            .await
            .unwrap();
        let of_ducks = every_protected_rpc_on(&client, &theirs).await;
        let of_nobody = every_protected_rpc_on(&client, &nowhere()).await;
        for ((rpc, a), (_, b)) in of_ducks.into_iter().zip(of_nobody) {
            let code = |r: &Result<(), Status>| r.as_ref().err().map_or(Code::Ok, |s| s.code());
            assert_eq!(
                code(&a),
                code(&b),
                "{who} of geese, {rpc} naming ducks' object: {a:?}, where an object of nobody gets {b:?}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 6 * 35, "only {checked} RPC × role cases");
    assert_eq!(
        ducks_holdings(&app, &ducks).await,
        before,
        "nothing of ducks changed"
    );
    running.stop().await;
    store.finish().await;
}
