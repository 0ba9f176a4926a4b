//! A write outlives its client; a web front end is served beside the API; hooks chosen in the
//! builder run on every path.

use crate::support::*;
use gotemp::domain::entities::{Customer, CustomerDraft};
use gotemp::domain::hooks::Hooks;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Sleeps before the create of customer `left-behind`, so a test can give up waiting half-way.
struct SlowCreate;

#[async_trait::async_trait]
impl Hooks<Customer, CustomerDraft> for SlowCreate {
    async fn before_create(
        &self,
        _: &gotemp::domain::Actor,
        draft: &CustomerDraft,
    ) -> gotemp::domain::Result<()> {
        if draft.id.as_str() == "left-behind" {
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        }
        Ok(())
    }
}

/// Counts the creates and reads of customer `counted`.
#[derive(Default)]
struct Counting {
    creates: AtomicUsize,
    reads: AtomicUsize,
}

#[async_trait::async_trait]
impl Hooks<Customer, CustomerDraft> for Counting {
    async fn before_create(
        &self,
        _: &gotemp::domain::Actor,
        draft: &CustomerDraft,
    ) -> gotemp::domain::Result<()> {
        if draft.id.as_str() == "counted" {
            self.creates.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }

    async fn after_read(&self, read: &Customer) {
        if read.id == "counted" {
            self.reads.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn a_hook_from_the_builder_runs_for_http_writes_and_promotion_lookups() {
    let Some(store) = testing::postgres_store("a_hook_from_the_builder_runs_everywhere").await
    else {
        return;
    };
    let counting = Arc::new(Counting::default());
    let app = Gotemp::builder()
        .repositories(store.repos.clone())
        .tokens(tokens())
        .hook::<Customer>(counting.clone())
        .build()
        .await
        .unwrap();
    app.seed(&config()).await.unwrap();
    let mut api = Api::start(app.clone(), HttpConfig::default()).await;
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    let created = api
        .post("/v1/customers", json!({"id": "counted", "name": "Counted"}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(counting.creates.load(Ordering::SeqCst), 1, "the HTTP write");
    assert_eq!(counting.reads.load(Ordering::SeqCst), 0);
    let promotion = json!({
        "name": "Counted deal", "customer_id": "counted", "valid_from": future(1),
        "valid_thru": future(30), "products": [],
    });
    let made = api.post("/v1/promotions", promotion).await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.json()["customer_name"], "Counted");
    let reads = counting.reads.load(Ordering::SeqCst);
    assert!(
        reads >= 1,
        "the promotion service's customer lookup: {reads} reads"
    );
    let listed = api.get("/v1/promotions?customer_id=counted").await;
    assert_eq!(listed.json()["items"][0]["customer_name"], "Counted");
    assert!(
        counting.reads.load(Ordering::SeqCst) > reads,
        "a promotion list names its customer through the same service"
    );
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn a_write_whose_client_goes_away_still_completes_as_a_whole() {
    let Some(store) =
        testing::postgres_store("a_write_whose_client_goes_away_still_completes").await
    else {
        return;
    };
    let app = Gotemp::builder()
        .repositories(store.repos.clone())
        .tokens(tokens())
        .hook::<Customer>(Arc::new(SlowCreate))
        .build()
        .await
        .unwrap();
    app.seed(&config()).await.unwrap();
    let mut api = Api::start(app.clone(), HttpConfig::default()).await;
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    let before = app.repositories().outbox.backlog().await.unwrap();
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
        app.repositories().outbox.backlog().await.unwrap(),
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
    std::fs::write(
        dir.join("_app/immutable/start.abc123.js"),
        "export const greeting = 'hello';\n".repeat(100),
    )
    .unwrap();
    let app = gotemp_testing::wired(store.repos.clone(), tokens()).await;
    app.seed(&config()).await.unwrap();
    let settings = HttpConfig {
        web_dir: Some(dir.clone()),
        ..HttpConfig::default()
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
    // Browsers that accept gzip get the assets compressed.
    // (The client must not unpack it on its own, or the header is gone.)
    let zipped = reqwest::Client::builder()
        .no_gzip()
        .build()
        .unwrap()
        .get(format!("{}/_app/immutable/start.abc123.js", api.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.status(), 200);
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert!(zipped.bytes().await.unwrap().len() < 3_300 / 4);
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

/// Sleeps before every create of a customer whose id starts with `slow`.
struct SlowEveryCreate;

#[async_trait::async_trait]
impl Hooks<Customer, CustomerDraft> for SlowEveryCreate {
    async fn before_create(
        &self,
        _: &gotemp::domain::Actor,
        draft: &CustomerDraft,
    ) -> gotemp::domain::Result<()> {
        if draft.id.as_str().starts_with("slow") {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        }
        Ok(())
    }
}

/// The concurrency limit counts the work, not the waiting: one request handled, one waiting,
/// the rest answered 503 with Retry-After at once; and a request answered 503 by its timeout
/// keeps its slot until its work has ended, so a flood of slow requests cannot pile up behind
/// their answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_limit_holds_the_work_and_sheds_beyond_its_queue() {
    let Some(store) = testing::postgres_store("the_concurrency_limit_holds_the_work").await else {
        return;
    };
    let app = Gotemp::builder()
        .repositories(store.repos.clone())
        .tokens(tokens())
        .hook::<Customer>(Arc::new(SlowEveryCreate))
        .build()
        .await
        .unwrap();
    app.seed(&config()).await.unwrap();
    let settings = HttpConfig {
        max_in_flight: 1,
        request_timeout: std::time::Duration::from_millis(500),
        ..HttpConfig::default()
    };
    let mut api = Api::start(app.clone(), settings).await;
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    let creates = (0..5).map(|n| {
        let api = &api;
        async move {
            let body = json!({"id": format!("slow{n}"), "name": "Slow"});
            api.post("/v1/customers", body).await
        }
    });
    let answers = futures::future::join_all(creates).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 503), "{statuses:?}");
    let shed = answers
        .iter()
        .filter(|r| r.json()["detail"].as_str().unwrap().contains("busy"))
        .count();
    assert!(
        shed >= 3,
        "beyond one in flight and one waiting: {statuses:?}"
    );
    for r in &answers {
        r.problem(503);
    }
    assert!(
        answers
            .iter()
            .any(|r| r.headers.contains_key("retry-after"))
    );
    // The first create timed out but still holds the only slot while its hook sleeps.
    api.get("/healthz").await.problem(503);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(api.get("/healthz").await.status, 200, "the slot is back");
    api.stop().await;
    store.finish().await;
}

/// Every answer says not to sniff its type; answers with credentials or the caller's own data
/// are never stored by a cache.
#[tokio::test]
async fn answers_carry_nosniff_and_private_ones_no_store() {
    let Some((store, _app, api)) = fixture("answers_carry_nosniff_and_private_ones_no_store").await
    else {
        return;
    };
    for path in ["/healthz", "/v1/customers", "/v1/users/me", "/v1/nowhere"] {
        let r = api.get(path).await;
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        let private = path == "/v1/users/me";
        assert_eq!(
            r.headers.get("cache-control").map(|v| v.to_str().unwrap()) == Some("no-store"),
            private,
            "{path}"
        );
    }
    let login = json!({"email": "root@gotemp.example", "password": ADMIN_PASSWORD});
    let r = api.with_token(None).post("/v1/auth/login", login).await;
    assert_eq!(r.header("cache-control"), "no-store");
    store.finish().await;
}
