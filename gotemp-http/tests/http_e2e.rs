//! The HTTP API end to end: the router on port 0 over a fresh PostgreSQL database, called over
//! real HTTP — every route's happy path, every validation rule, not-found, 409, 412, 401 for
//! every kind of bad token, 415/422 for malformed bodies — and every response checked for
//! passwords and hashes as it arrives.

use base64::Engine as _;
use gotemp::core::auth::{TokenService, TokenSettings};
use gotemp::{Config, Gotemp, SecretString};
use gotemp_http::HttpSettings;
use gotemp_store::testing::{self, TestStore};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

const SECRET: &str = "http-test-secret-http-test-secret-http!";
const ADMIN_PASSWORD: &str = "root password";
/// Every password a test sends; none may come back in any response.
const PASSWORDS: [&str; 4] = [ADMIN_PASSWORD, "first password", "second password", "short"];

fn config() -> Config {
    let mut c = Config::embedded(SecretString::from(SECRET));
    c.admin_email = "root@gotemp.example".into();
    c.admin_password = SecretString::from(ADMIN_PASSWORD);
    c
}

fn tokens() -> Arc<TokenService> {
    Arc::new(TokenService::new(TokenSettings::new(SecretString::from(SECRET))).unwrap())
}

/// A running API and a client for it.
struct Api {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// One response, already checked for secrets.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
            .to_str()
            .unwrap()
    }

    /// Asserts a problem+json error with this status; returns the problem.
    fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.header("content-type"), "application/problem+json");
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(p["title"].is_string() && p["detail"].is_string() && p["type"].is_string());
        p
    }

    /// Asserts a 422 naming exactly these fields (in any order).
    fn invalid(&self, fields: &[&str]) {
        let p = self.problem(422);
        let mut got: Vec<String> = p["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no errors: {p}"))
            .iter()
            .map(|e| {
                assert!(
                    e["message"]
                        .as_str()
                        .unwrap()
                        .contains(e["field"].as_str().unwrap())
                );
                e["field"].as_str().unwrap().to_owned()
            })
            .collect();
        got.sort();
        let mut want: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "{p}");
    }
}

impl Api {
    async fn start(app: Gotemp, settings: HttpSettings) -> Self {
        let router = gotemp_http::router(app, None, &settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Self {
            base,
            http: reqwest::Client::new(),
            token: None,
            stop: Some(tx),
            task: Some(task),
        }
    }

    fn with_token(&self, token: Option<&str>) -> Self {
        Self {
            base: self.base.clone(),
            http: self.http.clone(),
            token: token.map(str::to_owned),
            stop: None,
            task: None,
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    async fn login(&mut self, email: &str, password: &str) -> Value {
        let r = self
            .call(
                "POST",
                "/v1/auth/login",
                Some(json!({"email": email, "password": password})),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let body = r.json();
        self.token = Some(body["token"].as_str().unwrap().to_owned());
        body
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        self.send(request).await
    }

    async fn raw(&self, method: &str, path: &str, body: &str, content_type: Option<&str>) -> Reply {
        let mut request = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .body(body.to_owned());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        self.send(request).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        assert_no_secrets(&text);
        assert!(
            headers.contains_key("x-request-id"),
            "every response names its request"
        );
        Reply {
            status,
            headers,
            text,
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(body), None).await
    }

    async fn put(&self, path: &str, body: Value, if_match: Option<&str>) -> Reply {
        self.call("PUT", path, Some(body), if_match).await
    }

    async fn delete(&self, path: &str, if_match: Option<&str>) -> Reply {
        self.call("DELETE", path, None, if_match).await
    }
}

/// No response may carry a password or a password hash, whatever the route or outcome.
fn assert_no_secrets(text: &str) {
    for marker in ["$argon2", "$2a$", "$2b$", "$2y$", "password_hash"] {
        assert!(!text.contains(marker), "a hash leaked: {text}");
    }
    for password in PASSWORDS {
        assert!(!text.contains(password), "a password leaked: {text}");
    }
    assert!(!text.contains(SECRET), "the signing secret leaked: {text}");
}

/// A seeded app over a fresh PostgreSQL database and the API over it, logged in as admin.
async fn fixture(test: &str) -> Option<(TestStore, Gotemp, Api)> {
    let store = testing::postgres_store(test).await?;
    let app = Gotemp::with_repositories(store.repos.clone(), tokens());
    app.seed(&config()).await.unwrap();
    let mut api = Api::start(app.clone(), HttpSettings::default()).await;
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    Some((store, app, api))
}

fn future(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

/// Every route that needs a token, with harmless arguments.
fn protected_routes() -> Vec<(&'static str, &'static str, Option<Value>)> {
    let body = Some(json!({}));
    vec![
        ("GET", "/v1/users", None),
        ("POST", "/v1/users", body.clone()),
        ("GET", "/v1/users/1", None),
        ("PUT", "/v1/users/1", body.clone()),
        ("DELETE", "/v1/users/999999", None),
        ("GET", "/v1/customers", None),
        ("POST", "/v1/customers", body.clone()),
        ("GET", "/v1/customers/ducksrus", None),
        ("PUT", "/v1/customers/ducksrus", body.clone()),
        ("DELETE", "/v1/customers/nobody", None),
        ("GET", "/v1/products", None),
        ("POST", "/v1/products", body.clone()),
        ("GET", "/v1/products/switch", None),
        ("PUT", "/v1/products/switch", body.clone()),
        ("DELETE", "/v1/products/nothing", None),
        ("GET", "/v1/customers/ducksrus/children", None),
        ("GET", "/v1/customers/ducksrus/parents", None),
        ("POST", "/v1/customers/ducksrus/children", body.clone()),
        ("DELETE", "/v1/customers/ducksrus/children/canard", None),
        ("GET", "/v1/products/elec/children", None),
        ("GET", "/v1/products/tele/parents", None),
        ("GET", "/v1/products/switch/components", None),
        ("POST", "/v1/products/elec/children", body.clone()),
        ("POST", "/v1/products/switch/components", body.clone()),
        ("DELETE", "/v1/products/elec/children/fridge", None),
        ("DELETE", "/v1/products/switch/components/fridge", None),
        ("GET", "/v1/promotions", None),
        ("POST", "/v1/promotions", body.clone()),
        ("GET", "/v1/promotions/1", None),
        ("PUT", "/v1/promotions/1", body.clone()),
        ("DELETE", "/v1/promotions/999999", None),
        ("GET", "/v1/audit", None),
        ("GET", "/v1/audit/1", None),
        ("GET", "/v1/audit/buckets", None),
    ]
}

/// The same claims, signed with another algorithm (and the same secret), or with none.
fn resigned(token: &str, alg: &str) -> String {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = token.split('.').nth(1).unwrap();
    if alg == "none" {
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        return format!("{header}.{payload}.");
    }
    let claims: Value = serde_json::from_slice(&engine.decode(payload).unwrap()).unwrap();
    let algorithm = match alg {
        "HS384" => jsonwebtoken::Algorithm::HS384,
        _ => jsonwebtoken::Algorithm::HS512,
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(algorithm),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn every_protected_route_refuses_bad_tokens() {
    let Some((store, app, api)) = fixture("every_protected_route_refuses_bad_tokens").await else {
        return;
    };
    for (method, path, body) in protected_routes() {
        let r = api.call(method, path, body, None).await;
        assert_ne!(
            r.status, 401,
            "{method} {path} with a valid token: {}",
            r.text
        );
    }
    let admin_id = app
        .users
        .list(&Default::default(), &Default::default())
        .await
        .unwrap()
        .items[0]
        .id;
    let valid = tokens().issue(admin_id, chrono::Utc::now()).unwrap().token;
    let expired = tokens()
        .issue(admin_id, chrono::Utc::now() - chrono::Duration::days(2))
        .unwrap()
        .token;
    let (head, _) = valid.rsplit_once('.').unwrap();
    let tampered = format!("{head}.{}", "A".repeat(43));
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("garbage", Some("not-a-token".into())),
        ("expired", Some(expired)),
        ("tampered signature", Some(tampered)),
        (
            "HS384 with the same secret",
            Some(resigned(&valid, "HS384")),
        ),
        (
            "HS512 with the same secret",
            Some(resigned(&valid, "HS512")),
        ),
        ("alg none", Some(resigned(&valid, "none"))),
    ];
    for (case, token) in cases {
        let client = api.with_token(token.as_deref());
        for (method, path, body) in protected_routes() {
            let r = client.call(method, path, body, None).await;
            assert_eq!(r.status, 401, "{method} {path} accepted {case}: {}", r.text);
            r.problem(401);
            assert!(r.header("www-authenticate").starts_with("Bearer"), "{case}");
        }
        // A token can be checked without holding one: the verdict is an answer, not an error.
        if let Some(token) = &token {
            let r = api
                .with_token(None)
                .post("/v1/auth/validate", json!({"token": token}))
                .await;
            assert_eq!(r.status, 200);
            assert_eq!(r.json()["valid"], false, "{case}");
        }
    }
    // "Bearer" with nothing after it, and another scheme, are refused too.
    for header in ["Bearer ", "Basic cm9vdDpyb290", "Bearer"] {
        let r = api
            .send(
                api.http
                    .get(format!("{}/v1/users", api.base))
                    .header("authorization", header),
            )
            .await;
        r.problem(401);
    }
    let r = api
        .with_token(None)
        .post("/v1/auth/validate", json!({"token": valid}))
        .await;
    assert_eq!(r.json()["valid"], true);
    assert_eq!(r.json()["user_id"], admin_id);
    // A wrong password and an unknown e-mail look the same.
    let anonymous = api.with_token(None);
    let wrong = anonymous
        .post(
            "/v1/auth/login",
            json!({"email": "root@gotemp.example", "password": "not it at all"}),
        )
        .await
        .problem(401);
    let unknown = anonymous
        .post(
            "/v1/auth/login",
            json!({"email": "nobody@gotemp.example", "password": "not it at all"}),
        )
        .await
        .problem(401);
    assert_eq!(wrong["detail"], unknown["detail"]);
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn users_round_trip_with_every_rule() {
    let Some((store, _app, api)) = fixture("users_round_trip_with_every_rule").await else {
        return;
    };
    let new = json!({
        "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com",
        "company": "Engines", "valid_from": future(-1), "valid_thru": future(365),
        "active": true, "password": "first password"
    });
    let created = api.post("/v1/users", new.clone()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let user = created.json();
    let id = user["id"].as_i64().unwrap();
    assert_eq!(created.header("location"), format!("/v1/users/{id}"));
    assert_eq!(created.header("etag"), "\"1\"");
    assert_eq!(user["name"], "Ada Lovelace");
    assert!(user.get("password").is_none());

    let got = api.get(&format!("/v1/users/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("etag"), "\"1\"");
    assert_eq!(got.json(), user);

    // Every filter, alone, finds her (e-mail regardless of case), and a mismatch finds nothing.
    for query in [
        format!("id={id}"),
        "first_name=Ada".into(),
        "last_name=Lovelace".into(),
        "email=ada@example.COM".into(),
        "company=Engines".into(),
        format!("valid_on={}", urlencode(&future(10))),
        "first_name=Ada&last_name=Lovelace&company=Engines".into(),
    ] {
        let r = api.get(&format!("/v1/users?{query}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        let ids: Vec<i64> = r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_i64().unwrap())
            .collect();
        assert!(ids.contains(&id), "{query} finds her");
    }
    let none = api
        .get("/v1/users?first_name=Ada&company=Other")
        .await
        .json();
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["next_cursor"], Value::Null);

    // Paging: a page of one at a time reaches every user exactly once.
    let total = api.get("/v1/users?limit=500").await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/users?limit=1&cursor={c}"),
            None => "/v1/users?limit=1".into(),
        };
        let page = api.get(&path).await.json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    seen.dedup();
    assert_eq!(seen.len(), total);

    // Bad query parameters name themselves.
    api.get("/v1/users?limit=0").await.invalid(&["limit"]);
    api.get("/v1/users?limit=501").await.invalid(&["limit"]);
    api.get("/v1/users?limit=ten").await.invalid(&["limit"]);
    api.get("/v1/users?cursor=garbage!")
        .await
        .invalid(&["cursor"]);
    api.get("/v1/users?id=x&valid_on=yesterday")
        .await
        .invalid(&["id", "valid_on"]);
    api.get("/v1/users?firstName=Ada")
        .await
        .invalid(&["firstName"]);
    api.get("/v1/users/abc").await.invalid(&["id"]);

    // Every rule of a new user, all reported at once.
    let r = api.post("/v1/users", json!({})).await;
    r.invalid(&[
        "first_name",
        "last_name",
        "email",
        "valid_from",
        "valid_thru",
        "password",
    ]);
    let r = api
        .post(
            "/v1/users",
            json!({
                "first_name": "x".repeat(101), "last_name": " ", "email": "not-an-email",
                "company": "c".repeat(256), "valid_from": future(10), "valid_thru": future(1),
                "password": "short"
            }),
        )
        .await;
    r.invalid(&[
        "first_name",
        "last_name",
        "email",
        "company",
        "valid_thru",
        "password",
    ]);
    // Wrong types and malformed JSON name the field, or the body.
    api.post("/v1/users", json!({"first_name": 7}))
        .await
        .invalid(&["first_name"]);
    api.post("/v1/users", json!({"active": "yes"}))
        .await
        .invalid(&["active"]);
    api.post("/v1/users", json!({"valid_from": "tomorrow"}))
        .await
        .invalid(&["valid_from"]);
    api.post("/v1/users", json!([1, 2]))
        .await
        .invalid(&["body"]);
    api.raw(
        "POST",
        "/v1/users",
        "{\"first_name\": ",
        Some("application/json"),
    )
    .await
    .invalid(&["body"]);
    api.raw("POST", "/v1/users", "{} trailing", Some("application/json"))
        .await
        .invalid(&["body"]);
    api.raw(
        "POST",
        "/v1/users",
        "first_name=Ada",
        Some("application/x-www-form-urlencoded"),
    )
    .await
    .problem(415);
    api.raw("POST", "/v1/users", "{}", None).await.problem(415);

    // The e-mail is unique regardless of case.
    let mut twin = new.clone();
    twin["email"] = json!("ADA@example.com");
    let taken = api.post("/v1/users", twin).await.problem(409);
    // The taken value is named by field, so a form can mark it.
    assert_eq!(taken["type"], "urn:gotemp:problem:duplicate");
    assert_eq!(taken["errors"][0]["field"], "email", "{taken}");
    assert_eq!(taken["errors"][0]["code"], "duplicate");

    // Updates: If-Match with the current ETag, then a stale one (412), garbage (412), none.
    let path = format!("/v1/users/{id}");
    let r = api
        .put(
            &path,
            json!({"company": "", "password": "second password"}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("etag"), "\"2\"");
    assert_eq!(r.json()["company"], Value::Null, "empty clears");
    api.put(&path, json!({"last_name": "King"}), Some("\"1\""))
        .await
        .problem(412);
    api.put(&path, json!({"last_name": "King"}), Some("\"v-one\""))
        .await
        .problem(412);
    let r = api.put(&path, json!({"last_name": "King"}), None).await;
    assert_eq!(r.json()["name"], "Ada King");
    let taken = api
        .put(&path, json!({"email": "root@gotemp.example"}), None)
        .await
        .problem(409);
    assert!(
        taken["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("another user already has this e-mail")),
        "{taken}"
    );
    api.put(&path, json!({"first_name": ""}), None)
        .await
        .invalid(&["first_name"]);
    api.put(&path, json!({"password": "short"}), None)
        .await
        .invalid(&["password"]);
    api.put("/v1/users/999999", json!({"last_name": "X"}), None)
        .await
        .problem(404);
    // The new password works; the old one does not.
    let mut ada = api.with_token(None);
    ada.login("ada@example.com", "second password").await;
    assert_eq!(ada.get(&path).await.status, 200);
    api.with_token(None)
        .post(
            "/v1/auth/login",
            json!({"email": "ada@example.com", "password": "first password"}),
        )
        .await
        .problem(401);

    // Delete: stale If-Match is refused, the current one deletes, then it is gone.
    api.delete(&path, Some("\"1\"")).await.problem(412);
    let r = api.delete(&path, Some("\"3\"")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    api.get(&path).await.problem(404);
    api.delete(&path, None).await.problem(404);
    api.stop().await;
    store.finish().await;
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

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

        // Rules: name required and bounded, key format, validity order, extra fields an object.
        api.post(&base, json!({})).await.invalid(&["name"]);
        api.post(
            &base,
            json!({"name": "n".repeat(256), "id": "no spaces please"}),
        )
        .await
        .invalid(&["name", "id"]);
        api.post(
            &base,
            json!({"name": "X", "valid_from": future(5), "valid_thru": future(1)}),
        )
        .await
        .invalid(&["valid_thru"]);
        api.post(&base, json!({"name": "X", "extra_fields": [1]}))
            .await
            .invalid(&["extra_fields"]);
        api.post(&base, json!({"name": "X", "valid_from": 12}))
            .await
            .invalid(&["valid_from"]);
        // A taken key.
        api.post(&base, json!({"name": "Again", "id": id}))
            .await
            .problem(409);
        // NUL characters cannot be stored anywhere: refused by name, never a server error.
        api.post(&base, json!({"name": "a\u{0}b"}))
            .await
            .invalid(&["name"]);
        api.post(
            &base,
            json!({"name": "X", "extra_fields": {"k": ["\u{0}"]}}),
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

#[tokio::test]
async fn the_audit_trail_is_searchable_and_counted() {
    let Some((store, app, api)) = fixture("the_audit_trail_is_searchable_and_counted").await else {
        return;
    };
    let relay = app.start_audit_pipeline();
    let created = api
        .post("/v1/customers", json!({"name": "Audited", "id": "audited"}))
        .await;
    assert_eq!(created.status, 201);
    api.put(
        "/v1/customers/audited",
        json!({"name": "Audited Twice"}),
        None,
    )
    .await;
    app.wait_for_audit(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let history = api
        .get("/v1/audit?object_name=customer&object_id=audited")
        .await
        .json();
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{history}");
    assert_eq!(items[0]["action_type"], "update", "newest first");
    assert_eq!(items[1]["action_type"], "insert");
    let performer = items[0]["performed_by"].as_i64().unwrap();
    for query in [
        format!("performed_by={performer}&object_id=audited"),
        "service=customer&action_type=update&object_id=audited".into(),
        format!("from={}&object_id=audited", urlencode(&future(-1))),
        format!("to={}&object_id=audited", urlencode(&future(1))),
    ] {
        let page = api.get(&format!("/v1/audit?{query}")).await;
        assert_eq!(page.status, 200, "{query}: {}", page.text);
        assert!(
            !page.json()["items"].as_array().unwrap().is_empty(),
            "{query}"
        );
    }
    let one = api.get("/v1/audit?limit=1").await.json();
    assert!(one["next_cursor"].is_string());
    let id = items[0]["id"].as_i64().unwrap();
    assert_eq!(
        api.get(&format!("/v1/audit/{id}")).await.json()["object_id"],
        "audited"
    );
    api.get("/v1/audit/99999999").await.problem(404);
    api.get("/v1/audit?action_type=upsert")
        .await
        .invalid(&["action_type"]);
    api.get("/v1/audit?performed_by=me")
        .await
        .invalid(&["performed_by"]);
    let backwards = format!(
        "/v1/audit?from={}&to={}",
        urlencode(&future(1)),
        urlencode(&future(-1))
    );
    let r = api.get(&backwards).await;
    assert_eq!(r.status, 422, "{}", r.text);

    let buckets = api
        .get(&format!(
            "/v1/audit/buckets?width=1h&object_id=audited&from={}",
            urlencode(&future(-1))
        ))
        .await;
    assert_eq!(buckets.status, 200, "{}", buckets.text);
    let body = buckets.json();
    assert_eq!(body["width_secs"], 3600);
    let total: i64 = body["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2);
    api.get("/v1/audit/buckets?width=soon")
        .await
        .invalid(&["width"]);
    api.get("/v1/audit/buckets?width=10ms")
        .await
        .invalid(&["width"]);
    relay.shutdown().await;
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn operations_endpoints_and_limits() {
    let Some(store) = testing::postgres_store("operations_endpoints_and_limits").await else {
        return;
    };
    let cache = gotemp::core::cache::CacheLayer::new(
        Arc::new(gotemp_store::cache::MemoryCache::default()),
        Default::default(),
    );
    let app = Gotemp::with_parts(store.repos.clone(), tokens(), Some(cache));
    app.seed(&config()).await.unwrap();
    let settings = HttpSettings {
        cors_origins: vec!["https://ui.example".into()],
        body_limit_bytes: 4096,
        ..HttpSettings::default()
    };
    let mut api = Api::start(app.clone(), settings).await;
    let anonymous = api.with_token(None);
    assert_eq!(anonymous.get("/healthz").await.json()["status"], "ok");
    let ready = anonymous.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json()["status"], "ready");

    // The document is OpenAPI 3.1 and lists every route the API serves.
    let doc = anonymous.get("/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/v1/auth/login",
        "/v1/users/{id}",
        "/v1/customers",
        "/v1/products/{id}",
        "/v1/promotions",
        "/v1/audit/buckets",
        "/v1/audit/{id}",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(
        doc["paths"]["/v1/users"]["get"]["responses"]
            .get("401")
            .is_some()
    );
    let docs = anonymous.get("/docs/").await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger"), "Swagger UI");

    // Framework-level errors are problems too, and the request id comes back.
    anonymous.get("/v2/nothing").await.problem(404);
    let r = anonymous.call("DELETE", "/v1/auth/login", None, None).await;
    r.problem(405);
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    let big = json!({"name": "Big", "extra_fields": {"blob": "x".repeat(10_000)}});
    api.post("/v1/customers", big).await.problem(413);
    let r = api
        .send(
            api.http
                .get(format!("{}/healthz", api.base))
                .header("x-request-id", "trace-me-42"),
        )
        .await;
    assert_eq!(r.header("x-request-id"), "trace-me-42");

    // CORS for the configured origin only.
    let preflight = api
        .send(
            api.http
                .request(
                    reqwest::Method::OPTIONS,
                    format!("{}/v1/customers", api.base),
                )
                .header("origin", "https://ui.example")
                .header("access-control-request-method", "POST")
                .header(
                    "access-control-request-headers",
                    "authorization,content-type",
                ),
        )
        .await;
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        "https://ui.example"
    );
    let other = api
        .send(
            api.http
                .get(format!("{}/healthz", api.base))
                .header("origin", "https://evil.example"),
        )
        .await;
    assert!(other.headers.get("access-control-allow-origin").is_none());

    // Metrics: requests per route template and status, the outbox backlog, cache figures.
    api.post("/v1/customers", json!({"name": "Metered", "id": "metered"}))
        .await;
    api.get("/v1/customers/metered").await;
    api.get("/v1/customers/metered").await;
    let metrics = anonymous.get("/metrics").await.text;
    assert!(
        metrics.contains(
            r#"gotemp_http_requests_total{method="GET",route="/v1/customers/{id}",status="200"}"#
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("gotemp_http_request_duration_seconds_bucket"),
        "{metrics}"
    );
    assert!(metrics.contains("gotemp_outbox_backlog"), "{metrics}");
    assert!(metrics.contains("gotemp_cache_hits_total"), "{metrics}");
    assert!(metrics.contains("gotemp_cache_misses_total"), "{metrics}");

    // A request over the time limit is a 503 problem the client may retry (login hashes for
    // tens of milliseconds; the limit here is one).
    let hasty = Api::start(
        app.clone(),
        HttpSettings {
            request_timeout: std::time::Duration::from_millis(1),
            ..HttpSettings::default()
        },
    )
    .await;
    let r = hasty
        .post(
            "/v1/auth/login",
            json!({"email": "root@gotemp.example", "password": ADMIN_PASSWORD}),
        )
        .await;
    r.problem(503);
    assert_eq!(r.header("retry-after"), "1");
    hasty.stop().await;

    // Storage gone: not ready, and the body says which backend failed.
    api.stop().await;
    let api = Api::start(app.clone(), HttpSettings::default()).await;
    store.finish().await;
    let r = api.get("/readyz").await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.json()["failed"], json!(["storage"]));
    api.stop().await;
}

fn ids(reply: &Reply, object: &str) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    let items = reply.json()["items"].as_array().unwrap().clone();
    items
        .iter()
        .map(|i| i[object]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn hierarchies_are_listed_linked_and_unlinked() {
    let Some((store, _app, api)) = fixture("hierarchies_are_listed_linked_and_unlinked").await
    else {
        return;
    };
    // The seeded hierarchy of SPEC.md.
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

/// Sleeps before every customer create, so a test can give up waiting half-way.
struct SlowCreate;

#[async_trait::async_trait]
impl
    gotemp::core::hooks::Hooks<
        gotemp::core::entities::Customer,
        gotemp::core::entities::CustomerDraft,
    > for SlowCreate
{
    async fn before_create(
        &self,
        _: &gotemp::core::Actor,
        _: &gotemp::core::entities::CustomerDraft,
    ) -> gotemp::core::Result<()> {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        Ok(())
    }
}

#[tokio::test]
async fn a_write_whose_client_goes_away_still_completes_as_a_whole() {
    let Some(store) =
        testing::postgres_store("a_write_whose_client_goes_away_still_completes").await
    else {
        return;
    };
    let mut app = Gotemp::with_repositories(store.repos.clone(), tokens());
    app.seed(&config()).await.unwrap();
    let mut hooks = gotemp::core::hooks::HookChain::default();
    hooks.push(Arc::new(SlowCreate));
    app.customers = app.customers.clone().with_hooks(hooks);
    let mut api = Api::start(app.clone(), HttpSettings::default()).await;
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    let before = app.repositories.outbox.backlog().await.unwrap();
    // The client gives up (and drops its connection) while the create waits in its hook.
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(100))
        .build()
        .unwrap();
    let gave_up = impatient
        .post(format!("{}/v1/customers", api.base))
        .bearer_auth(api.token.as_deref().unwrap())
        .json(&json!({"id": "left-behind", "name": "Left Behind"}))
        .send()
        .await;
    assert!(gave_up.is_err(), "the client timed out: {gave_up:?}");
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let found = api
        .call("GET", "/v1/customers/left-behind", None, None)
        .await;
    assert_eq!(
        found.status, 200,
        "the write finished without its client: {}",
        found.text
    );
    assert_eq!(
        app.repositories.outbox.backlog().await.unwrap(),
        before + 1,
        "with its audit event"
    );
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn a_web_front_end_is_served_beside_the_api() {
    let Some(store) = testing::postgres_store("a_web_front_end_is_served_beside_the_api").await
    else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("gotemp-web-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>gotemp</title>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/app.js"), "console.log('gotemp')").unwrap();
    std::fs::create_dir_all(dir.join("_app/immutable")).unwrap();
    std::fs::write(dir.join("_app/immutable/start.abc123.js"), "export {}").unwrap();
    let app = Gotemp::with_repositories(store.repos.clone(), tokens());
    app.seed(&config()).await.unwrap();
    let settings = HttpSettings {
        web_dir: Some(dir.clone()),
        ..HttpSettings::default()
    };
    let mut api = Api::start(app, settings).await;
    let index = api.call("GET", "/", None, None).await;
    assert_eq!(index.status, 200);
    assert!(
        index.text.contains("<title>gotemp</title>"),
        "{}",
        index.text
    );
    let script = api.call("GET", "/assets/app.js", None, None).await;
    assert_eq!(script.status, 200);
    assert!(
        script.header("content-type").contains("javascript"),
        "{script:?}"
    );
    // Hashed build output may be cached for good; the page that names it must be revalidated.
    assert_eq!(index.header("cache-control"), "no-cache");
    assert_eq!(index.header("x-frame-options"), "DENY");
    assert_eq!(index.header("x-content-type-options"), "nosniff");
    let hashed = api
        .call("GET", "/_app/immutable/start.abc123.js", None, None)
        .await;
    assert_eq!(hashed.status, 200);
    assert_eq!(
        hashed.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    // An asset of an older build is missing, not answered with the page.
    let gone = api.call("GET", "/_app/immutable/old.js", None, None).await;
    assert_eq!(gone.status, 404, "{gone:?}");
    // A client-side route reloaded in the browser gets the application.
    let route = api.call("GET", "/promotions/7/edit", None, None).await;
    assert_eq!(route.status, 200);
    assert!(route.text.contains("<title>gotemp</title>"));
    // The API is unchanged: unknown API paths are problem+json 404s, the rest answers.
    api.call("GET", "/v1/no-such-thing", None, None)
        .await
        .problem(404);
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    let customers = api.call("GET", "/v1/customers?limit=2", None, None).await;
    assert_eq!(customers.status, 200, "{}", customers.text);
    assert_eq!(api.call("GET", "/healthz", None, None).await.status, 200);
    api.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
    store.finish().await;
}
