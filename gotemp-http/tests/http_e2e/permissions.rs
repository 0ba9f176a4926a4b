//! The permission matrix: every protected route of the served OpenAPI document × every built-in
//! role (and a user with none), allowed or refused as the roles' table says, on SQLite and on
//! PostgreSQL. A route the table below does not know fails the test: a new route needs a policy
//! decision before it can land.

use crate::support::*;
use gotemp::domain::Actor;
use gotemp::domain::entities::NewUser;
use gotemp::domain::page::PageRequest;
use gotemp::domain::policy::Roles;

const DEMO_PASSWORD: &str = "demo password of the tests";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Editor,
    Viewer,
    Auditor,
    Approver,
    Nobody,
}

/// The roles' table, written out independently of the code that enforces it. `path` is the
/// document's template; ids in it name objects other than the caller.
fn allowed(who: Who, method: &str, path: &str) -> bool {
    use Who::*;
    // Every signed-in user's own: itself, its tenant, its password.
    if path == "/v1/users/me" || path == "/v1/users/me/tenant" || path == "/v1/auth/password" {
        return true;
    }
    let read = method == "GET";
    let resource = path.trim_start_matches("/v1/").split('/').next().unwrap();
    match resource {
        "users" => who == Admin || (who == Auditor && read),
        // Parked messages may hold anything a publisher sent: administrators only.
        "audit" if path.starts_with("/v1/audit/dead-letters") => who == Admin,
        "audit" => read && matches!(who, Admin | Auditor),
        // An approver reads promotions, and changes only their approval status (the matrix
        // sends no status, so its writes are refused).
        "promotions" if read => who != Nobody,
        "customers" | "products" if read => !matches!(who, Nobody | Approver),
        "customers" | "products" | "promotions" => matches!(who, Admin | Editor),
        _ => panic!("no policy expectation for {method} {path}: add the route to the table"),
    }
}

/// The concrete path for a template: `{id}` names an existing object of the resource (another
/// user than the caller), any other parameter a missing one.
fn concrete(path: &str, ids: &Ids) -> String {
    let resource = path.trim_start_matches("/v1/").split('/').next().unwrap();
    let id = match resource {
        "users" => ids.other_user.to_string(),
        "customers" => "canard".to_owned(),
        "products" => "appli".to_owned(),
        "promotions" => ids.promotion.to_string(),
        _ => "1".to_owned(),
    };
    let mut out = path.replace("{id}", &id);
    while let (Some(start), Some(end)) = (out.find('{'), out.find('}')) {
        out.replace_range(start..=end, "nothing-here");
    }
    out
}

struct Ids {
    other_user: i64,
    promotion: i64,
}

async fn matrix(store: TestStore) {
    let app = gotemp_testing::wired(store.repos.clone(), tokens()).await;
    let mut c = config();
    c.auth.demo_password = Some(SecretString::from(DEMO_PASSWORD));
    app.seed(&c).await.unwrap();
    let system = Actor::system(gotemp::domain::values::TenantId::default_tenant());
    let nobody = NewUser {
        first_name: "No".into(),
        last_name: "Body".into(),
        email: "nobody@gotemp.example".into(),
        company: None,
        valid_from: Some(chrono::Utc::now() - chrono::Duration::days(1)),
        valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(1)),
        active: true,
        roles: Some(Roles::NONE),
        password: SecretString::from(DEMO_PASSWORD),
    };
    app.users().create(&system, nobody).await.unwrap();
    let approver = NewUser {
        first_name: "Ap".into(),
        last_name: "Prover".into(),
        email: "approver@gotemp.example".into(),
        roles: Some(Roles::of(&[gotemp::domain::policy::Role::Approver])),
        password: SecretString::from(DEMO_PASSWORD),
        active: true,
        valid_from: Some(chrono::Utc::now() - chrono::Duration::days(1)),
        valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(1)),
        company: None,
    };
    app.users().create(&system, approver).await.unwrap();
    let first = PageRequest::first(1);
    let dan = (app.users())
        .by_email(&system, "dan.old@ducksrus.example", &first)
        .await;
    let promotions = (app.promotions())
        .list(&system, &Default::default(), &first)
        .await;
    let ids = Ids {
        other_user: dan.unwrap().items[0].id,
        promotion: promotions.unwrap().items[0].id,
    };

    let api = Api::start(app.clone(), HttpConfig::default()).await;
    let doc = api.get("/openapi.json").await.json();
    let mut callers = Vec::new();
    for (who, email, password) in [
        (Who::Admin, "root@gotemp.example", ADMIN_PASSWORD),
        (Who::Editor, "ann.smith@ducksrus.example", DEMO_PASSWORD),
        (Who::Viewer, "bob.jones@patoloco.example", DEMO_PASSWORD),
        (Who::Auditor, "erin.audit@gotemp.example", DEMO_PASSWORD),
        (Who::Approver, "approver@gotemp.example", DEMO_PASSWORD),
        (Who::Nobody, "nobody@gotemp.example", DEMO_PASSWORD),
    ] {
        let mut caller = api.with_token(None);
        caller.login(email, password).await;
        callers.push((who, caller));
    }

    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "delete"] {
            let Some(op) = item.get(method) else { continue };
            if op.get("security").is_none() {
                continue; // login, validate
            }
            if path == "/v1/auth/logout" {
                continue; // every role may, and it would end the caller's session: access.rs
            }
            assert!(
                op["responses"].get("403").is_some(),
                "{method} {path} must document its 403"
            );
            let method = method.to_uppercase();
            let url = concrete(path, &ids);
            // Writes carry an empty body and name a version that is not stored: an allowed
            // caller gets 404, 412 or 422 and changes nothing; a refused one gets 403 first.
            let body = matches!(method.as_str(), "POST" | "PUT").then(|| json!({}));
            let if_match = matches!(method.as_str(), "PUT" | "DELETE").then_some("\"999999\"");
            for (who, caller) in &callers {
                let r = caller.call(&method, &url, body.clone(), if_match).await;
                if allowed(*who, &method, path) {
                    assert!(
                        r.status != 401 && r.status != 403,
                        "{who:?} may {method} {url}: {} {}",
                        r.status,
                        r.text
                    );
                } else {
                    let p = r.problem(403);
                    assert!(
                        p["detail"].as_str().unwrap().contains(':'),
                        "a denial names the permission or field: {p}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 6 * 30, "only {checked} route × role cases");
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn every_route_allows_and_refuses_each_role_as_its_table_says_on_sqlite() {
    matrix(testing::sqlite_store().await).await;
}

#[tokio::test]
async fn every_route_allows_and_refuses_each_role_as_its_table_says_on_postgres() {
    let test = "every_route_allows_and_refuses_each_role_as_its_table_says_on_postgres";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    matrix(store).await;
}
