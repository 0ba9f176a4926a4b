//! A multi-tenant deployment over HTTP: the platform's operator creates tenants with their
//! administrators; each tenant's users see only their own data (the same keys in both, another
//! tenant's object answered as not found); a tenant's administrator manages nothing of the
//! platform; a closed tenant's tokens are refused within 2 s; a tenant with data is not
//! deleted. A single-tenant deployment has no tenant routes at all.

use gotemp::domain::values::Tenancy;
use gotemp_testing::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PASSWORD: &str = "a tenant administrator's long passphrase";

async fn login(app: &TestApp, email: &str) -> reqwest::Client {
    let answer: Value = reqwest::Client::new()
        .post(app.url("/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["token"].as_str().expect("logged in").to_owned();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn make_tenant(app: &TestApp, key: &str) -> reqwest::Client {
    let email = format!("admin@{key}.example");
    let new = json!({"key": key, "name": format!("Tenant {key}"),
        "admin": {"email": email, "first_name": "First", "last_name": "Admin", "password": PASSWORD}});
    let made = app
        .http()
        .post(app.url("/v1/tenants"))
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    assert_eq!(
        made.headers()["location"],
        format!("/v1/tenants/{key}").as_str()
    );
    login(app, &email).await
}

async fn status(request: reqwest::RequestBuilder) -> StatusCode {
    request.send().await.unwrap().status()
}

/// The JSON body of the answer to `request`.
async fn body(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The field `field` of every item of a page.
fn field_of_items<'a>(page: &'a Value, field: &str) -> Vec<&'a str> {
    let items = page["items"].as_array().unwrap().iter();
    items.filter_map(|item| item[field].as_str()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_see_only_their_own_and_a_closed_tenant_is_refused() {
    let app = TestApp::builder()
        .config(|c| c.auth.tenancy = Tenancy::Multi)
        .spawn()
        .await;
    let listed = body(app.http().get(app.url("/v1/tenants"))).await;
    let keys = field_of_items(&listed, "key");
    assert!(
        keys.contains(&"platform") && keys.contains(&"ducks") && keys.contains(&"geese"),
        "{keys:?}"
    );
    let (herons, swans) = (
        make_tenant(&app, "herons").await,
        make_tenant(&app, "swans").await,
    );
    let taken = app.http().post(app.url("/v1/tenants"))
        .json(&json!({"key": "herons", "name": "Again", "admin": {"email": "x@herons2.example", "first_name": "A", "last_name": "B", "password": PASSWORD}}))
        .send().await.unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);

    for (client, name) in [(&herons, "Herons Inc"), (&swans, "Swans Ltd")] {
        let made = client
            .post(app.url("/v1/customers"))
            .json(&json!({"id": "ducksrus", "name": name}));
        assert_eq!(
            status(made).await,
            StatusCode::CREATED,
            "the same key in every tenant"
        );
    }
    let mine = body(herons.get(app.url("/v1/users/me/tenant"))).await;
    assert_eq!(
        (&mine["key"], &mine["name"]),
        (&json!("herons"), &json!("Tenant herons"))
    );
    let read = body(herons.get(app.url("/v1/customers/ducksrus"))).await;
    assert_eq!(read["name"], "Herons Inc");
    let listed = body(swans.get(app.url("/v1/customers"))).await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "swans list only their own: {listed}"
    );
    // The demo data lives in ducks: herons see none of it.
    assert_eq!(
        status(herons.get(app.url("/v1/customers/patoloco"))).await,
        StatusCode::NOT_FOUND
    );
    let trail = body(herons.get(app.url("/v1/audit"))).await;
    let objects = field_of_items(&trail, "object_id");
    assert!(
        !objects.contains(&"patoloco"),
        "herons's trail holds no duck: {objects:?}"
    );

    // A tenant's administrator manages its tenant, never the platform.
    assert_eq!(
        status(herons.get(app.url("/v1/tenants"))).await,
        StatusCode::FORBIDDEN
    );
    let operator = json!({"first_name": "O", "last_name": "P", "email": "op@herons.example",
        "password": PASSWORD, "active": true, "roles": ["operator"],
        "valid_from": "2020-01-01T00:00:00Z", "valid_thru": "2100-01-01T00:00:00Z"});
    let refused = herons
        .post(app.url("/v1/users"))
        .json(&operator)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "roles", "{body}");

    // Closing swans refuses its token within 2 s; herons carry on.
    let closed = app
        .http()
        .put(app.url("/v1/tenants/swans"))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::OK);
    let started = Instant::now();
    while status(swans.get(app.url("/v1/customers"))).await != StatusCode::UNAUTHORIZED {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a closed tenant's token still works"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let login = reqwest::Client::new()
        .post(app.url("/v1/auth/login"))
        .json(&json!({"email": "admin@swans.example", "password": PASSWORD}));
    assert_eq!(status(login).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        status(herons.get(app.url("/v1/customers"))).await,
        StatusCode::OK
    );
    // The platform stays open (its operators open everything else), the reserved keys stay
    // gotemp's, and `default` is not deleted.
    let later = json!({"valid_from": "2100-01-01T00:00:00Z"});
    let closing = app.http().put(app.url("/v1/tenants/platform")).json(&later);
    assert_eq!(status(closing).await, StatusCode::CONFLICT);
    for key in ["customer", "default", "platform"] {
        let new = json!({"key": key, "name": "Reserved", "admin": {"email": format!("a@{key}.example"),
            "first_name": "A", "last_name": "B", "password": PASSWORD}});
        let refused = app.http().post(app.url("/v1/tenants")).json(&new);
        assert_eq!(status(refused).await, StatusCode::CONFLICT, "{key}");
    }
    assert_eq!(
        status(app.http().delete(app.url("/v1/tenants/default"))).await,
        StatusCode::CONFLICT
    );
    // An id that is no key names nothing (in ArangoDB it would name another tenant's document).
    let crossing = herons.delete(app.url("/v1/customers/swans:ducksrus/children/swans:x"));
    assert_eq!(status(crossing).await, StatusCode::NOT_FOUND);
    // A tenant with data stays until it is emptied.
    let delete = app.http().delete(app.url("/v1/tenants/swans"));
    assert_eq!(status(delete).await, StatusCode::CONFLICT);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_tenant_deployment_has_no_tenant_routes() {
    let app = TestApp::spawn().await;
    assert_eq!(
        status(app.http().get(app.url("/v1/tenants"))).await,
        StatusCode::NOT_FOUND
    );
    let doc = body(app.http().get(app.url("/openapi.json"))).await;
    assert!(
        doc["paths"].get("/v1/tenants").is_none(),
        "the API is as it always was"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_up_starts_an_organisation_of_its_own() {
    let app = TestApp::builder()
        .config(|c| {
            c.auth.tenancy = Tenancy::Multi;
            c.auth.registration = gotemp::Registration::Open;
        })
        .spawn()
        .await;
    let anonymous = reqwest::Client::new();
    let options = body(anonymous.get(app.url("/v1/auth/options"))).await;
    assert_eq!(
        (&options["tenancy"], &options["registration"]),
        (&json!("multi"), &json!("open"))
    );
    let sign_up = |email: &str, organisation: Option<&str>| {
        let mut form = json!({"first_name": "Sue", "last_name": "New", "email": email,
            "password": PASSWORD});
        if let Some(o) = organisation {
            form["organisation"] = json!(o);
        }
        anonymous.post(app.url("/v1/auth/register")).json(&form)
    };
    // No organisation: nobody joins a tenant it does not own.
    let refused = sign_up("sue@new.example", None).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "organisation", "{problem}");

    let made = sign_up("sue@new.example", Some("Ducks R Us"))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let user: Value = made.json().await.unwrap();
    assert_eq!(user["roles"], json!(["admin"]), "{user}");
    let sue = login(&app, "sue@new.example").await;
    let users = body(sue.get(app.url("/v1/users"))).await;
    assert_eq!(field_of_items(&users, "email"), ["sue@new.example"]);
    let customers = body(sue.get(app.url("/v1/customers"))).await;
    assert_eq!(
        customers["items"],
        json!([]),
        "the demo tenant's data is not Sue's"
    );
    let made = sue
        .post(app.url("/v1/customers"))
        .json(&json!({"id": "patoloco", "name": "Sue's Pato Loco"}));
    assert_eq!(status(made).await, StatusCode::CREATED);

    // The same name again starts another tenant; a taken e-mail is refused by name.
    let again = sign_up("tom@new.example", Some("Ducks R Us"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    let tom = login(&app, "tom@new.example").await;
    let customers = body(tom.get(app.url("/v1/customers"))).await;
    assert_eq!(customers["items"], json!([]), "Tom's tenant is not Sue's");
    let taken = sign_up("sue@new.example", Some("Other"))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let problem: Value = taken.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "email", "{problem}");

    let tenants = body(app.http().get(app.url("/v1/tenants"))).await;
    let keys = field_of_items(&tenants, "key");
    assert!(keys.contains(&"ducks-r-us"), "{keys:?}");
    let second = keys.iter().filter(|k| k.starts_with("ducks-r-us-")).count();
    assert_eq!(
        second, 1,
        "the second Ducks R Us has a key of its own: {keys:?}"
    );
    app.stop().await;
}
