//! Health, readiness, metrics, the OpenAPI document, limits and CORS.

use crate::support::*;

#[tokio::test]
async fn operations_endpoints_and_limits() {
    let Some(store) = testing::postgres_store("operations_endpoints_and_limits").await else {
        return;
    };
    let cache = gotemp::domain::cache::CacheLayer::new(
        Arc::new(gotemp_store::cache::MemoryCache::default()),
        Default::default(),
    );
    let app = Gotemp::builder()
        .repositories(store.repos.clone())
        .tokens(tokens())
        .cache(cache)
        .build()
        .await
        .expect("the services are wired");
    app.seed(&config()).await.unwrap();
    let settings = HttpConfig {
        cors_origins: vec!["https://ui.example".into()],
        body_limit_bytes: 4096,
        ..HttpConfig::default()
    };
    let mut api = Api::start(app.clone(), settings).await;
    let anonymous = api.with_token(None);
    assert_eq!(anonymous.get("/healthz").await.json()["status"], "ok");
    let ready = anonymous.get("/readyz").await;
    assert_eq!(ready.status, 200);
    assert_eq!(
        ready.json(),
        json!({"status": "ready"}),
        "a stranger sees the status only"
    );
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    let ready = api.get("/readyz").await;
    assert_eq!(ready.json()["status"], "ready");
    assert_eq!(
        ready.json()["audit_storage"],
        "table",
        "an administrator sees the details"
    );

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
    // A public edge may keep its description to itself.
    let quiet = HttpConfig {
        docs: false,
        ..HttpConfig::default()
    };
    let undocumented = Api::start(app.clone(), quiet).await;
    undocumented.get("/docs/").await.problem(404);
    undocumented.get("/openapi.json").await.problem(404);
    undocumented.stop().await;

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
    // Never on the public API: on GOTEMP_METRICS_ADDR (gotemp::metrics::serve), whose
    // sampler and renderer these are.
    anonymous.get("/metrics").await.problem(404);
    api.get("/metrics").await.problem(404);
    gotemp::metrics::sample(&app, true).await;
    let metrics = gotemp::metrics::render().expect("the recorder is installed");
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
    for name in [
        "gotemp_outbox_pending_events",
        "gotemp_outbox_oldest_pending_age_seconds",
        "gotemp_audit_dead_letters",
        "gotemp_db_pool_connections",
    ] {
        assert!(metrics.contains(name), "{name} in {metrics}");
    }
    assert!(metrics.contains("gotemp_cache_hits_total"), "{metrics}");
    assert!(metrics.contains("gotemp_cache_misses_total"), "{metrics}");

    // A request over the time limit is a 503 problem the client may retry (login hashes for
    // tens of milliseconds; the limit here is one).
    let hasty = Api::start(
        app.clone(),
        HttpConfig {
            request_timeout: std::time::Duration::from_millis(1),
            ..HttpConfig::default()
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
    let api = Api::start(app.clone(), HttpConfig::default()).await;
    store.finish().await;
    let r = api.get("/readyz").await;
    assert_eq!(r.status, 503, "{}", r.text);
    assert_eq!(r.json(), json!({"status": "unavailable"}));
    // The whole report is on the metrics listener, where no token is needed (nor could be
    // checked without the storage).
    let (ready, report) = gotemp::readiness(&app, None).await;
    assert!(!ready);
    assert_eq!(report["failed"], json!(["storage"]));
    api.stop().await;
}
