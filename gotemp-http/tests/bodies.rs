//! The JSON body of every create and update, and the query of every list, made up by proptest
//! and sent through the whole HTTP stack (over the embedded SQLite store, no server needed):
//! never a panic, never a 5xx, and every 422 names each field and rule it refuses. Bounded
//! (`PROPTEST_CASES` raises the number of cases per route).

use gotemp::HttpConfig;
use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::{Config, SecretString};
use gotemp_http::router;
use proptest::prelude::*;
use proptest::test_runner::{Config as Cases, TestRunner};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tower::ServiceExt as _;

const SECRET: &str = "iNwchmbzCbet0upXu5dYfSlcCiEwu/qpQDfeBzAk3IQ=";
const PASSWORD: &str = "root password of the tests";

/// Field names the API knows, so made-up bodies reach the rules and not only the type checks.
const FIELDS: [&str; 24] = [
    "id",
    "name",
    "first_name",
    "last_name",
    "email",
    "company",
    "password",
    "active",
    "roles",
    "valid_from",
    "valid_thru",
    "extra_fields",
    "hierarchy_level",
    "description",
    "customer_id",
    "approval_status",
    "products",
    "product_id",
    "upc_code",
    "discounts",
    "value",
    "kind",
    "current_password",
    "new_password",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,40}".prop_map(Value::String),
        "[a-z0-9_-]{1,20}".prop_map(Value::String),
        Just(json!("2026-01-31T12:00:00Z")),
        Just(json!("2999-01-31T12:00:00Z")),
        Just(json!("a\u{0}b")),
        Just(json!("x".repeat(300))),
    ]
}

fn body() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        4 => proptest::sample::select(&FIELDS[..]).prop_map(str::to_owned),
        1 => "[a-z_]{1,10}",
    ];
    leaf().prop_recursive(3, 32, 6, move |inner| {
        let key = key.clone();
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key, inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn query() -> impl Strategy<Value = String> {
    let pair = (
        prop_oneof![
            proptest::sample::select(
                &[
                    "id",
                    "name",
                    "email",
                    "company",
                    "valid_on",
                    "limit",
                    "cursor",
                    "customer_id",
                    "product_id",
                    "hierarchy_level",
                    "object_name",
                    "object_id",
                    "performed_by",
                    "action_type",
                    "from",
                    "to",
                    "width",
                    "first_name",
                    "last_name",
                ][..]
            )
            .prop_map(str::to_owned),
            "[a-z_]{1,8}",
        ],
        prop_oneof![
            "\\PC{0,20}",
            "[0-9-]{0,12}",
            Just("2026-01-31T12:00:00Z".to_owned())
        ],
    );
    proptest::collection::vec(pair, 0..5)
        .prop_map(|pairs| serde_urlencoded::to_string(pairs).unwrap())
}

async fn send(
    app: &axum::Router,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json");
    request = request.extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
        [127, 0, 0, 1],
        9,
    ))));
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let response = app
        .clone()
        .oneshot(request.body(axum::body::Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// What any answer to a made-up request must be.
fn check(
    method: &str,
    path: &str,
    sent: &str,
    status: u16,
    answer: &Value,
) -> Result<(), TestCaseError> {
    prop_assert!(
        status < 500,
        "{} {} {} → {}: {}",
        method,
        path,
        sent,
        status,
        answer
    );
    if status == 422 {
        let errors = answer["errors"].as_array();
        prop_assert!(
            errors.is_some_and(|e| !e.is_empty()),
            "{} {} {}: 422 without fields: {}",
            method,
            path,
            sent,
            answer
        );
        for e in errors.unwrap() {
            prop_assert!(
                e["field"].as_str().is_some_and(|f| !f.is_empty()),
                "{}",
                answer
            );
            prop_assert!(
                e["code"].as_str().is_some_and(|c| !c.is_empty()),
                "{}",
                answer
            );
            prop_assert!(
                e["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{}",
                answer
            );
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_bodies_and_queries_get_field_errors_never_a_server_error() {
    let store = gotemp_testing::sqlite_store().await;
    let tokens = TokenService::new(TokenSettings::new(SecretString::from(SECRET))).unwrap();
    let app = gotemp_testing::wired(store.repos.clone(), Arc::new(tokens)).await;
    let mut config = Config::embedded(SecretString::from(SECRET));
    config.auth.admin_password = SecretString::from(PASSWORD);
    app.seed(&config).await.unwrap();
    let api = router(app.clone(), None, &HttpConfig::default());
    let login = json!({"email": config.auth.admin_email, "password": PASSWORD});
    let (status, answer) = send(&api, "POST", "/v1/auth/login", "", Some(&login)).await;
    assert_eq!(status, 200, "{answer}");
    let token = answer["token"].as_str().unwrap().to_owned();
    let promotion = app
        .promotions()
        .list(
            &gotemp::domain::Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1),
            &Default::default(),
            &Default::default(),
        )
        .await
        .unwrap()
        .items[0]
        .id;

    let writes = [
        ("POST", "/v1/users".to_owned()),
        ("PUT", "/v1/users/2".to_owned()),
        ("POST", "/v1/customers".to_owned()),
        ("PUT", "/v1/customers/canard".to_owned()),
        ("POST", "/v1/products".to_owned()),
        ("PUT", "/v1/products/fridge".to_owned()),
        ("POST", "/v1/promotions".to_owned()),
        ("PUT", format!("/v1/promotions/{promotion}")),
        ("POST", "/v1/customers/ducksrus/children".to_owned()),
        ("POST", "/v1/products/appli/children".to_owned()),
        ("POST", "/v1/products/switch/components".to_owned()),
        ("POST", "/v1/auth/register".to_owned()),
    ];
    let lists = [
        "/v1/users",
        "/v1/customers",
        "/v1/products",
        "/v1/promotions",
        "/v1/audit",
        "/v1/audit/buckets",
    ];
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut runner = TestRunner::new(Cases {
            cases,
            failure_persistence: None,
            ..Cases::default()
        });
        for (method, path) in &writes {
            runner
                .run(&body(), |sent| {
                    let (status, answer) =
                        handle.block_on(send(&api, method, path, &token, Some(&sent)));
                    check(method, path, &sent.to_string(), status, &answer)
                })
                .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        }
        for path in lists {
            runner
                .run(&query(), |q| {
                    let url = format!("{path}?{q}");
                    let (status, answer) = handle.block_on(send(&api, "GET", &url, &token, None));
                    check("GET", &url, "", status, &answer)
                })
                .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        }
    })
    .await
    .unwrap();
    store.finish().await;
}
