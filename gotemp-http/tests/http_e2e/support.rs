//! The API under test and a client that checks every response for secrets.

pub use base64::Engine as _;
pub use gotemp::HttpConfig;
pub use gotemp::domain::auth::{TokenService, TokenSettings};
pub use gotemp::{Config, Gotemp, SecretString};
pub use gotemp_testing::{self as testing, TestStore};
pub use reqwest::StatusCode;
pub use serde_json::{Value, json};
pub use std::sync::Arc;

pub const SECRET: &str = "iNwchmbzCbet0upXu5dYfSlcCiEwu/qpQDfeBzAk3IQ=";
pub const ADMIN_PASSWORD: &str = "root password of the tests";
/// Every password a test sends; none may come back in any response.
pub const PASSWORDS: [&str; 4] = [ADMIN_PASSWORD, "first password", "second password", "short"];

pub fn config() -> Config {
    let mut c = Config::embedded(SecretString::from(SECRET));
    c.auth.admin_email = "root@gotemp.example".into();
    c.auth.admin_password = SecretString::from(ADMIN_PASSWORD);
    c
}

pub fn tokens() -> Arc<TokenService> {
    Arc::new(TokenService::new(TokenSettings::new(SecretString::from(SECRET))).unwrap())
}

/// A running API and a client for it.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub token: Option<String>,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: Option<tokio::task::JoinHandle<()>>,
}

/// One response, already checked for secrets.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {self:?}"))
            .to_str()
            .unwrap()
    }

    /// Asserts a problem+json error with this status; returns the problem.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.header("content-type"), "application/problem+json");
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(p["title"].is_string() && p["detail"].is_string() && p["type"].is_string());
        p
    }

    /// Asserts a 422 naming exactly these fields (in any order).
    pub fn invalid(&self, fields: &[&str]) {
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
    pub async fn start(app: Gotemp, settings: HttpConfig) -> Self {
        let router = gotemp_http::router(app, None, &settings);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, service)
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

    pub fn with_token(&self, token: Option<&str>) -> Self {
        Self {
            base: self.base.clone(),
            http: self.http.clone(),
            token: token.map(str::to_owned),
            stop: None,
            task: None,
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Value {
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

    pub async fn call(
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

    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        body: &str,
        content_type: Option<&str>,
    ) -> Reply {
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

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
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

    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(body), None).await
    }

    pub async fn put(&self, path: &str, body: Value, if_match: Option<&str>) -> Reply {
        self.call("PUT", path, Some(body), if_match).await
    }

    pub async fn delete(&self, path: &str, if_match: Option<&str>) -> Reply {
        self.call("DELETE", path, None, if_match).await
    }
}

/// No response may carry a password or a password hash, whatever the route or outcome.
pub fn assert_no_secrets(text: &str) {
    for marker in ["$argon2", "$2a$", "$2b$", "$2y$", "password_hash"] {
        assert!(!text.contains(marker), "a hash leaked: {text}");
    }
    for password in PASSWORDS {
        assert!(!text.contains(password), "a password leaked: {text}");
    }
    assert!(!text.contains(SECRET), "the signing secret leaked: {text}");
}

/// A seeded app over a fresh PostgreSQL database and the API over it, logged in as admin.
pub async fn fixture(test: &str) -> Option<(TestStore, Gotemp, Api)> {
    let store = testing::postgres_store(test).await?;
    let app = gotemp_testing::wired(store.repos.clone(), tokens()).await;
    app.seed(&config()).await.unwrap();
    let mut api = Api::start(app.clone(), HttpConfig::default()).await;
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    Some((store, app, api))
}

pub fn future(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339()
}

/// Every route that needs a token, with harmless arguments.
pub fn protected_routes() -> Vec<(&'static str, &'static str, Option<Value>)> {
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
        ("GET", "/v1/audit/verify", None),
        ("GET", "/v1/audit/checkpoints", None),
        ("GET", "/v1/audit/checkpoints/key", None),
    ]
}

/// The same claims, signed with another algorithm (and the same secret), or with none.
pub fn resigned(token: &str, alg: &str) -> String {
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

pub fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

pub fn ids(reply: &Reply, object: &str) -> Vec<String> {
    assert_eq!(reply.status, 200, "{}", reply.text);
    let items = reply.json()["items"].as_array().unwrap().clone();
    items
        .iter()
        .map(|i| i[object]["id"].as_str().unwrap().to_owned())
        .collect()
}
