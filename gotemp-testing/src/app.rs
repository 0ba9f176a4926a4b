//! [`TestApp`]: a whole gotemp for one test — the embedded default on a fresh SQLite directory
//! with the demo data, HTTP and gRPC on free loopback ports, the administrator logged in — so an application's
//! integration tests talk to the real thing in a few lines:
//!
//! ```no_run
//! # async fn example() {
//! let app = gotemp_testing::TestApp::spawn().await;
//! let created = app
//!     .http()
//!     .post(app.url("/v1/customers"))
//!     .json(&serde_json::json!({"id": "acme", "name": "Acme Ltd"}))
//!     .send()
//!     .await
//!     .unwrap();
//! assert_eq!(created.status(), 201);
//! app.stop().await;
//! # }
//! ```

use gotemp::runner::{BoxError, Running, Seed, Server as _};
use gotemp::{Application, Config, Gotemp, GotempBuilder, SecretString};
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::runner::GrpcServer;
use gotemp_grpc::server::ServiceName;
use gotemp_http::HttpServer;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The services over `repositories` with `tokens` and nothing else (no cache, no hooks, the
/// built-in policy): what most tests of one service or transport stand on.
pub async fn wired(
    repositories: gotemp::domain::ports::Repositories,
    tokens: std::sync::Arc<gotemp::domain::auth::TokenService>,
) -> Gotemp {
    match Gotemp::builder()
        .repositories(repositories)
        .tokens(tokens)
        .build()
        .await
    {
        Ok(app) => app,
        Err(e) => panic!("the services are not wired: {e}"),
    }
}

/// The seeded administrator's e-mail in a [`TestApp`].
pub const ADMIN_EMAIL: &str = "admin@gotemp.test";

/// A change to the configuration, made before the application starts.
type ConfigChange = Box<dyn FnOnce(&mut Config) + Send>;
/// A choice added to the services' builder.
type ServicesChoice = Box<dyn FnOnce(GotempBuilder) -> GotempBuilder + Send>;

/// Chooses what a [`TestApp`] is made of: configuration changes and service choices (hooks, a
/// policy) on top of the embedded default.
#[must_use = "spawn() starts it"]
pub struct TestAppBuilder {
    configure: Vec<ConfigChange>,
    services: Vec<ServicesChoice>,
}

impl TestAppBuilder {
    /// Changes the configuration before the application starts (a PostgreSQL `storage`, a
    /// `registration` setting…); the addresses and the data directory are the test's own.
    pub fn config(mut self, change: impl FnOnce(&mut Config) + Send + 'static) -> Self {
        self.configure.push(Box::new(change));
        self
    }

    /// Adds to the services' builder (hooks, a policy) what an application adds to its own.
    pub fn services(
        mut self,
        choose: impl FnOnce(GotempBuilder) -> GotempBuilder + Send + 'static,
    ) -> Self {
        self.services.push(Box::new(choose));
        self
    }

    /// Starts it; panics, saying why, when it cannot (a test has nothing better to do).
    pub async fn spawn(self) -> TestApp {
        match self.try_spawn().await {
            Ok(app) => app,
            Err(e) => panic!("the test application does not start: {e}"),
        }
    }

    /// Starts it.
    pub async fn try_spawn(self) -> Result<TestApp, BoxError> {
        let dir =
            std::env::temp_dir().join(format!("gotemp-test-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir)?;
        let secret = format!("{}{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let mut config = Config::embedded(SecretString::from(secret));
        config.storage.url = gotemp::Store::sqlite_file(dir.join("gotemp.db"));
        config.auth.admin_email = ADMIN_EMAIL.into();
        // Random, so nothing outside this test can log in with it.
        let password = format!("admin of a test {}", uuid::Uuid::new_v4().simple());
        config.auth.admin_password = SecretString::from(password.clone());
        for change in self.configure {
            change(&mut config);
        }
        config.http.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        config.grpc.addr = SocketAddr::from(([127, 0, 0, 1], 0));
        // The administrator, and the demo data beside it (docs/services.md lists it).
        let mut builder = Application::builder(config).seed(Seed::Always);
        for choose in self.services {
            builder = builder.services(choose);
        }
        let application = builder.build().await?;
        let http = HttpServer::bind(application.config()).await?;
        let grpc = GrpcServer::bind(application.config(), &ServiceName::ALL).await?;
        let (http_addr, grpc_addr) = (http.local_addr(), grpc.local_addr());
        let gotemp = application.gotemp().clone();
        let running = application.start(vec![Box::new(http), Box::new(grpc)]);
        let login = gotemp
            .users()
            .login(ADMIN_EMAIL, &SecretString::from(password))
            .await?;
        let grpc_url = format!("http://{grpc_addr}");
        let mut client = GotempClient::connect(&grpc_url).await?;
        client.set_token(&login.token)?;
        let mut headers = reqwest::header::HeaderMap::new();
        let bearer = format!("Bearer {}", login.token);
        headers.insert(reqwest::header::AUTHORIZATION, bearer.parse()?);
        let http_client = reqwest::Client::builder()
            .default_headers(headers)
            .build()?;
        Ok(TestApp {
            base_url: format!("http://{http_addr}"),
            grpc_url,
            admin_token: login.token,
            gotemp,
            grpc: client,
            http: http_client,
            running: Some(running),
            dir,
        })
    }
}

/// An embedded gotemp serving HTTP and gRPC for one test; its data directory is removed when
/// it stops (or is dropped).
pub struct TestApp {
    /// The HTTP API's base URL (`http://127.0.0.1:PORT`).
    pub base_url: String,
    /// The gRPC server's URL (`http://127.0.0.1:PORT`).
    pub grpc_url: String,
    /// A token of the administrator ([`ADMIN_EMAIL`]).
    pub admin_token: String,
    gotemp: Gotemp,
    grpc: GotempClient,
    http: reqwest::Client,
    running: Option<Running>,
    dir: PathBuf,
}

impl TestApp {
    /// The embedded default with the demo data, served on free ports; see [`TestApp::builder`]
    /// to change it.
    pub async fn spawn() -> Self {
        Self::builder().spawn().await
    }

    /// Starts choosing a test application.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            configure: Vec::new(),
            services: Vec::new(),
        }
    }

    /// `path` (`/v1/customers`) on the HTTP API.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// An HTTP client that sends the administrator's token with every request.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A gRPC client logged in as the administrator (clone it to change its token).
    pub fn grpc(&self) -> GotempClient {
        self.grpc.clone()
    }

    /// The services themselves, for calls without a transport (and for what a test checks
    /// behind the API's back).
    pub fn gotemp(&self) -> &Gotemp {
        &self.gotemp
    }

    /// Stops serving as a server would (requests in flight finish, the event pipeline sends
    /// what it holds) and removes the data.
    pub async fn stop(mut self) {
        if let Some(running) = self.running.take()
            && let Err(e) = running.stop().await
        {
            panic!("the test application did not stop cleanly: {e}");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Without stop(): the servers' tasks end with the test's runtime.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
