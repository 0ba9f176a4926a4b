//! The services under test, on port 0 over a fresh PostgreSQL database, and their client.

pub use base64::Engine as _;
pub use gotemp::domain::auth::{TokenService, TokenSettings};
pub use gotemp::{Config, Gotemp, SecretString};
pub use gotemp_grpc::auth::{Authenticator, LocalVerifier, RemoteVerifier};
pub use gotemp_grpc::client::GotempClient;
pub use gotemp_grpc::pb::{audit, customer, hierarchy, product, promotion, user};
pub use gotemp_grpc::server::{ServiceName, serve};
pub use gotemp_testing::{self as testing, TestStore};
pub use std::sync::Arc;
pub use tonic::{Code, Status};
pub use tonic_types::StatusExt as _;

pub const SECRET: &str = "7+nizbeSNiuGCsWZQ71KEJMiVE1KWsEzy7heiyPp+8s=";

pub fn config() -> Config {
    let mut c = Config::embedded(SecretString::from(SECRET));
    c.auth.admin_email = "root@gotemp.example".into();
    c.auth.admin_password = SecretString::from("root password of the tests");
    c
}

pub fn tokens() -> Arc<TokenService> {
    Arc::new(TokenService::new(TokenSettings::new(SecretString::from(SECRET))).unwrap())
}

pub struct Running {
    pub url: String,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

pub async fn start(app: Gotemp, services: &[ServiceName], auth: Authenticator) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let services = services.to_vec();
    let task = tokio::spawn(async move {
        serve(app, &services, auth, listener, async {
            let _ = rx.await;
        })
        .await
        .expect("the server runs");
    });
    Running {
        url,
        stop: Some(tx),
        task,
    }
}

/// A seeded app over a fresh PostgreSQL database, serving all five services.
pub async fn fixture(test: &str) -> Option<(TestStore, Gotemp, Running)> {
    let store = testing::postgres_store(test).await?;
    let app = gotemp_testing::wired(store.repos.clone(), tokens()).await;
    app.seed(&config()).await.unwrap();
    let auth = Authenticator::new(Arc::new(LocalVerifier::new(app.users().clone())));
    let running = start(app.clone(), &ServiceName::ALL, auth).await;
    Some((store, app, running))
}

pub async fn admin(url: &str) -> GotempClient {
    let mut client = GotempClient::connect(url).await.unwrap();
    let c = config();
    use secrecy::ExposeSecret as _;
    client
        .login(&c.auth.admin_email, c.auth.admin_password.expose_secret())
        .await
        .unwrap();
    client
}

pub fn future(days: i64) -> Option<prost_types::Timestamp> {
    let t = chrono::Utc::now() + chrono::Duration::days(days);
    Some(prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    })
}

/// A request stream of one message.
pub fn tokio_stream_once<T: Send + 'static>(item: T) -> impl futures::Stream<Item = T> {
    futures::stream::once(async move { item })
}

/// The objects the calls name: read (`customer`, `product`), changed and deleted with a stale
/// version (`changed_*`), whose links are listed (`*_parent`, `*_child`).
pub struct Targets {
    pub user: i64,
    pub promotion: i64,
    pub audit: i64,
    pub customer: &'static str,
    pub changed_customer: &'static str,
    pub product: &'static str,
    pub changed_product: &'static str,
    pub customer_parent: &'static str,
    pub customer_child: &'static str,
    pub product_parent: &'static str,
    pub product_child: &'static str,
}

impl Targets {
    /// Objects of the demo data.
    pub fn demo() -> Self {
        Self {
            user: 1,
            promotion: 1,
            audit: 1,
            customer: "ducksrus",
            changed_customer: "canard",
            product: "switch",
            changed_product: "appli",
            customer_parent: "ducksrus",
            customer_child: "ducksrusd",
            product_parent: "elec",
            product_child: "tele",
        }
    }
}
