//! Tenant isolation over every route: in a multi-tenant deployment seeded with the demo tenants
//! `ducks` and `geese` (the same keys in both for some customers), users of every role of
//! `geese` call every protected route of the served OpenAPI document naming objects of `ducks`
//! — its other user, promotion, and a customer and product only `ducks` has — and get exactly
//! the answer they get for objects that exist nowhere (so nothing says `ducks`' objects exist:
//! no 412, no 409, no 403 that a missing object would not get). No answer holds anything of
//! `ducks`, and `ducks`' data is unchanged after it all. On SQLite and on PostgreSQL (where the
//! store runs under row-level security).

use crate::support::*;
use gotemp::domain::Actor;
use gotemp::domain::page::{PageRequest, PageSpec};
use gotemp::domain::values::TenantId;

const DEMO_PASSWORD: &str = "demo password of the isolation tests";

/// Texts only `ducks`' data holds: no answer to `geese` may contain one.
const DUCKS_ONLY: [&str; 6] = [
    "Ducks R Us",
    "Canard Oui Oui",
    "Appliances",
    "ann.smith@ducksrus.example",
    "Promo1",
    "admin@ducks.example",
];

/// The ids a path template's `{id}` takes: objects of `ducks`, or objects of no tenant.
struct Ids {
    user: i64,
    promotion: i64,
    customer: &'static str,
    product: &'static str,
}

const NOWHERE: Ids = Ids {
    user: 999_999,
    promotion: 999_999,
    customer: "nowhere",
    product: "nowhere",
};

fn concrete(path: &str, ids: &Ids) -> String {
    let resource = path.trim_start_matches("/v1/").split('/').next().unwrap();
    let id = match resource {
        "users" => ids.user.to_string(),
        "customers" => ids.customer.to_owned(),
        "products" => ids.product.to_owned(),
        "promotions" => ids.promotion.to_string(),
        "audit" => ids.user.to_string(),
        _ => "nowhere".to_owned(),
    };
    let mut out = path.replace("{id}", &id);
    // A second parameter (a link's other end, a key) names an object of `ducks` too.
    while let (Some(start), Some(end)) = (out.find('{'), out.find('}')) {
        out.replace_range(start..=end, ids.customer);
    }
    out
}

/// `ducks`' customers and users, as the store holds them.
async fn ducks_holdings(app: &Gotemp, ducks: &TenantId) -> (Vec<(String, i64)>, usize) {
    let repos = app.repositories();
    let first = PageSpec::first(100);
    let everything = Default::default();
    let customers = repos.customers.list(ducks, &everything, &first).await;
    let users = repos.users.list(ducks, &Default::default(), &first).await;
    let customers = customers.unwrap().items.into_iter();
    let customers = customers.map(|c| (c.name, c.version)).collect();
    (customers, users.unwrap().items.len())
}

async fn isolation(store: TestStore) {
    let app =
        testing::tenants::ducks_and_geese(store.repos.clone(), tokens(), &config(), DEMO_PASSWORD)
            .await;
    let ducks = TenantId::parse("t", "ducks").unwrap();
    let in_ducks = Actor::system(ducks.clone());
    let first = PageRequest::first(1);
    let dan = app
        .users()
        .by_email(&in_ducks, "dan.old@ducksrus.example", &first);
    let dan = dan.await.unwrap().items[0].id;
    let everything = Default::default();
    let promotion = app.promotions().list(&in_ducks, &everything, &first).await;
    let theirs = Ids {
        user: dan,
        promotion: promotion.unwrap().items[0].id,
        customer: "canard",
        product: "appli",
    };
    let before = ducks_holdings(&app, &ducks).await;

    let api = Api::start(app.clone(), HttpConfig::default()).await;
    let doc = api.get("/openapi.json").await.json();
    let mut callers = Vec::new();
    for who in [
        "admin",
        "gina.goose",
        "viewer",
        "auditor",
        "approver",
        "nobody",
    ] {
        let mut caller = api.with_token(None);
        caller
            .login(&format!("{who}@geese.example"), DEMO_PASSWORD)
            .await;
        callers.push((who, caller));
    }
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "delete"] {
            let Some(op) = item.get(method) else { continue };
            if op.get("security").is_none() || path == "/v1/auth/logout" {
                continue; // anonymous routes; logout ends the caller's session
            }
            let method = method.to_uppercase();
            let (of_ducks, of_nobody) = (concrete(path, &theirs), concrete(path, &NOWHERE));
            let body = matches!(method.as_str(), "POST" | "PUT").then(|| json!({}));
            let if_match = matches!(method.as_str(), "PUT" | "DELETE").then_some("\"1\"");
            for (who, caller) in &callers {
                let a = caller
                    .call(&method, &of_ducks, body.clone(), if_match)
                    .await;
                let b = caller
                    .call(&method, &of_nobody, body.clone(), if_match)
                    .await;
                assert_eq!(
                    a.status, b.status,
                    "{who} of geese, {method} {of_ducks}: {} ({}) where an object of nobody gets {}",
                    a.status, a.text, b.status
                );
                for text in DUCKS_ONLY {
                    assert!(
                        !a.text.contains(text),
                        "{who} of geese, {method} {of_ducks} shows {text:?} of ducks: {}",
                        a.text
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 6 * 30, "only {checked} route × role cases");
    assert_eq!(
        ducks_holdings(&app, &ducks).await,
        before,
        "nothing of ducks changed"
    );
    api.stop().await;
    store.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_shows_or_changes_another_tenants_objects_on_sqlite() {
    isolation(testing::sqlite_store().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_route_shows_or_changes_another_tenants_objects_on_postgres() {
    let test = "no_route_shows_or_changes_another_tenants_objects_on_postgres";
    if let Some(store) = testing::postgres_store(test).await {
        isolation(store).await;
    }
}
