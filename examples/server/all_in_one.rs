//! All five services in one process, over gRPC and HTTP at once, on whatever backends a
//! [`Config`] names. `main.rs` runs it; the end-to-end test starts the same thing on port 0.

use gotemp::domain::page::PageRequest;
use gotemp::domain::seed::SeedReport;
use gotemp::{Config, EventPipeline, Gotemp};
use gotemp_grpc::auth::{Authenticator, LocalVerifier};
use gotemp_grpc::server::{Listener, ServiceName};
use gotemp_http::HttpSettings;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Any error of starting or serving, for `?` in a server's main.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A started server.
pub struct Running {
    /// Where the HTTP API listens.
    pub http: SocketAddr,
    /// Where gRPC listens.
    pub grpc: SocketAddr,
    /// Where Prometheus metrics are served, when `GOTEMP_METRICS_ADDR` asks for them.
    pub metrics: Option<SocketAddr>,
    /// What seeding created, when this start found an empty store.
    pub seeded: Option<SeedReport>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<Result<(), BoxError>>>,
    events: Arc<EventPipeline>,
}

/// Opens (and migrates) the stores, seeds the demo data on the first start (no users yet),
/// starts the event pipeline, and listens on `config.http.addr` and `config.grpc.addr`.
pub async fn start(config: &Config) -> Result<Running, BoxError> {
    let app = Gotemp::open(config).await?;
    let first_start = app
        .users()
        .list(
            &gotemp::domain::Actor::system(),
            &Default::default(),
            &PageRequest::first(1),
        )
        .await?
        .items
        .is_empty();
    let seeded = match first_start {
        true => Some(app.seed(config).await?),
        false => None,
    };
    let events = Arc::new(app.start_events(config, true).await?);
    let (http_tls, grpc_tls) = (config.http.server_tls()?, config.grpc.server_tls()?);
    let http_listener = tokio::net::TcpListener::bind(&config.http.addr).await?;
    let grpc_listener = tokio::net::TcpListener::bind(&config.grpc.addr).await?;
    let (http, grpc) = (http_listener.local_addr()?, grpc_listener.local_addr()?);
    let (stop, stopped) = watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let router = gotemp_http::router(
        app.clone(),
        Some(events.clone()),
        &HttpSettings::from_config(config),
    );
    let http_stopped = until_stopped();
    let http_task = tokio::spawn(async move {
        gotemp_http::serve(router, http_listener, http_tls.as_ref(), http_stopped)
            .await
            .map_err(BoxError::from)
    });
    let mut tasks = vec![http_task];
    // Metrics apart from the API, for operators only.
    let metrics = match &config.grpc.metrics_addr {
        Some(addr) => {
            let server = gotemp::metrics::MetricsServer::start(
                addr,
                app.clone(),
                Some(events.clone()),
                true,
            )
            .await?;
            let addr = server.addr;
            let metrics_stopped = until_stopped();
            tasks.push(tokio::spawn(async move {
                metrics_stopped.await;
                server.stop().await.map_err(BoxError::from)
            }));
            Some(addr)
        }
        None => None,
    };
    let auth = Authenticator::new(Arc::new(LocalVerifier::new(app.users().clone())));
    let grpc_stopped = until_stopped();
    let grpc_task = tokio::spawn(async move {
        let listener = Listener::new(grpc_listener, grpc_tls.as_ref());
        gotemp_grpc::server::serve(app, &ServiceName::ALL, auth, listener, grpc_stopped)
            .await
            .map_err(BoxError::from)
    });
    tasks.push(grpc_task);
    Ok(Running {
        http,
        grpc,
        metrics,
        seeded,
        stop,
        tasks,
        events,
    })
}

impl Running {
    /// Stops accepting, lets requests in flight finish, then stops the event pipeline after its
    /// batch (what it has not sent stays in the outbox for the next start).
    pub async fn stop(self) -> Result<(), BoxError> {
        let _ = self.stop.send(true);
        for task in self.tasks {
            task.await??;
        }
        self.events.shutdown().await;
        Ok(())
    }
}
