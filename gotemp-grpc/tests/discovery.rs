//! Calls between services through discovery: a promotion service that finds two instances of
//! the customer service spreads its lookups over both, and keeps answering — every read with
//! the customer's name, every create checked against the customer — while one instance stops.

mod common;

use common::future;

use gotemp::{Config, Gotemp, SecretString};
use gotemp_grpc::auth::{Authenticator, LocalVerifier};
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::discovery::{Instances, StaticDiscovery};
use gotemp_grpc::pb::promotion::{
    CreatePromotionRequest, GetPromotionRequest, ListPromotionsRequest,
};
use gotemp_grpc::remote::RemoteCustomerDirectory;
use gotemp_grpc::server::{ServiceName, serve};
use gotemp_testing::{self as testing, TestStore};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

const SECRET: &str = "t9CZUMCZyhHJpLwnBt6gzzJrzyLpvHSSYnOP7R3zclk=";

fn config() -> Config {
    let mut c = Config::embedded(SecretString::from(SECRET));
    c.auth.admin_email = "ops@gotemp.example".into();
    c.auth.admin_password = SecretString::from("ops password of the tests");
    c
}

/// A seeded app over a fresh SQLite store.
async fn app() -> (TestStore, Gotemp) {
    let store = testing::sqlite_store().await;
    let mut c = config();
    c.storage.url = store.url.clone().parse().expect("a valid backend URL");
    let app = Gotemp::open(&c).await.unwrap();
    app.seed(&c).await.unwrap();
    (store, app)
}

/// A seeded app whose promotion service asks the customer services at `urls` (comma-separated)
/// for customers, as a promotion process deployed apart does.
async fn promotions_asking(urls: &str) -> (TestStore, Gotemp) {
    let discovery = StaticDiscovery::new().with(ServiceName::Customer, urls);
    let customers = Instances::new(&discovery, ServiceName::Customer);
    let (store, seeded) = app().await;
    let app = Gotemp::builder()
        .repositories(seeded.repositories().clone())
        .tokens(seeded.tokens().clone())
        .customer_directory(Arc::new(RemoteCustomerDirectory::new(customers)))
        .build()
        .await
        .unwrap();
    (store, app)
}

/// Serves `services` of `app` on a free port until the returned sender fires.
async fn start(
    app: Gotemp,
    services: &'static [ServiceName],
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let auth = Authenticator::new(Arc::new(LocalVerifier::new(app.users().clone())));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let until = async {
            let _ = stopped.await;
        };
        serve(app, services, auth, listener, until).await.unwrap();
    });
    (url, stop, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_spread_over_instances_and_survive_one_stopping() {
    // Two customer-service instances whose stores tell them apart by the name of `ducksrus`.
    let (store_a, app_a) = app().await;
    let (store_b, app_b) = app().await;
    let admin = app_b
        .users()
        .login("ops@gotemp.example", &config().auth.admin_password)
        .await
        .unwrap();
    let actor = app_b
        .users()
        .authenticate(&admin.token)
        .await
        .unwrap()
        .actor;
    let changes = gotemp::domain::entities::CustomerChanges {
        name: Some("Ducks R Us (B)".into()),
        ..Default::default()
    };
    app_b
        .customers()
        .update(&actor, "ducksrus", changes, None)
        .await
        .unwrap();
    let (url_a, stop_a, task_a) = start(app_a, &[ServiceName::Customer]).await;
    let (url_b, stop_b, task_b) = start(app_b, &[ServiceName::Customer]).await;

    // The promotion service knows both only through discovery.
    let (store_p, app_p) = promotions_asking(&format!("{url_a},{url_b}")).await;
    let (url_p, stop_p, task_p) = start(app_p, &[ServiceName::Promotion]).await;
    let mut client = GotempClient::connect(&url_p).await.unwrap();
    client.set_token(&admin.token).unwrap();
    let promo = client
        .promotions()
        .list_promotions(ListPromotionsRequest {
            name: Some("Promo1".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .promotions
        .remove(0);

    // Spread: consecutive reads are answered by both instances.
    let mut names = BTreeSet::new();
    for _ in 0..6 {
        let p = client
            .promotions()
            .get_promotion(GetPromotionRequest { id: promo.id })
            .await
            .unwrap()
            .into_inner();
        names.insert(p.customer_name.expect("every read carries the name"));
    }
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["Ducks R Us", "Ducks R Us (B)"],
        "both instances answered"
    );

    // One instance stops while reads and creates keep coming: none fails, none lacks the name.
    let calls = 120;
    let mut stop_a = Some(stop_a);
    let mut served_after_stop = BTreeSet::new();
    for i in 0..calls {
        if i == calls / 3 {
            let _ = stop_a.take().unwrap().send(());
        }
        let read = client
            .promotions()
            .get_promotion(GetPromotionRequest { id: promo.id })
            .await
            .unwrap_or_else(|e| panic!("read {i} failed: {e:?}"))
            .into_inner();
        let name = read
            .customer_name
            .unwrap_or_else(|| panic!("read {i} lacks the customer name"));
        if i > calls / 3 + 5 {
            served_after_stop.insert(name);
        }
        if i % 10 == 0 {
            client
                .promotions()
                .create_promotion(CreatePromotionRequest {
                    name: format!("During a stop {i}"),
                    valid_from: future(0),
                    valid_thru: future(5),
                    customer_id: "ducksrus".into(),
                    ..Default::default()
                })
                .await
                .unwrap_or_else(|e| panic!("create {i} failed: {e:?}"));
        }
    }
    assert_eq!(
        served_after_stop.into_iter().collect::<Vec<_>>(),
        ["Ducks R Us (B)"],
        "once stopped, the instance gets no more calls"
    );
    tokio::time::timeout(Duration::from_secs(10), task_a)
        .await
        .unwrap()
        .unwrap();

    let _ = stop_p.send(());
    let _ = stop_b.send(());
    task_p.await.unwrap();
    task_b.await.unwrap();
    for store in [store_a, store_b, store_p] {
        store.finish().await;
    }
}

/// Serves the promotion service of `app` from a plain tonic server built here, as an embedder
/// would: nothing of gotemp's serving around it.
async fn own_server(
    app: &Gotemp,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    use gotemp_grpc::services::PromotionGrpc;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let auth = Authenticator::new(Arc::new(LocalVerifier::new(app.users().clone())));
    let service = PromotionGrpc::new(app.promotions().clone(), auth).into_server();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    let until = async {
        let _ = stopped.await;
    };
    let task = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, until)
            .await
            .unwrap();
    });
    (url, stop, task)
}

/// The caller's token travels with the caller (the actor authentication made), so a promotion
/// service served from any tonic server asks the customer service with it — no layer to add.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedder_s_own_server_asks_the_customer_service_with_the_caller_s_token() {
    let (store_c, app_c) = app().await;
    let admin = app_c
        .users()
        .login("ops@gotemp.example", &config().auth.admin_password)
        .await
        .unwrap();
    let (url_c, stop_c, task_c) = start(app_c, &[ServiceName::Customer]).await;
    let (store_p, app_p) = promotions_asking(&url_c).await;
    let create = CreatePromotionRequest {
        name: "On an embedder's server".into(),
        valid_from: future(0),
        valid_thru: future(5),
        customer_id: "ducksrus".into(),
        ..Default::default()
    };

    let (url, stop, task) = own_server(&app_p).await;
    let mut client = GotempClient::connect(&url).await.unwrap();
    client.set_token(&admin.token).unwrap();
    let created = client
        .promotions()
        .create_promotion(create.clone())
        .await
        .expect("the customer service is asked with the caller's token")
        .into_inner();
    assert_eq!(created.customer_name.as_deref(), Some("Ducks R Us"));
    // gotemp itself has no token: another process does not take its word.
    let system = gotemp::domain::Actor::system(gotemp::domain::values::TenantId::default_tenant());
    let refused = app_p
        .promotions()
        .get(&system, created.id)
        .await
        .expect("reading needs no customer check");
    assert_eq!(
        refused.customer_name, None,
        "no name asked without credentials"
    );
    let _ = stop.send(());
    task.await.unwrap();

    let _ = stop_c.send(());
    task_c.await.unwrap();
    for store in [store_c, store_p] {
        store.finish().await;
    }
}
