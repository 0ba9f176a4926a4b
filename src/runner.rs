//! One runner for every server process. A [`Config`] becomes an [`Application`] — the services,
//! their event pipeline, the demo data when asked for, and the operator's metrics listener —
//! which then serves over the transports given to it ([`Server`]: gotemp-http's and
//! gotemp-grpc's listeners) until the shutdown signal, and stops in order: listeners first
//! (requests in flight finish), then the event pipeline after its batch, then metrics. The
//! gRPC and HTTP binaries, the all-in-one server example and an embedder's own process all run
//! this, so each `main()` is its arguments and one call.

use crate::{Config, EventPipeline, Gotemp, GotempBuilder};
use gotemp_core::seed::SeedReport;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The operator's metrics listener (feature `prometheus`).
#[cfg(feature = "prometheus")]
type Metrics = crate::metrics::MetricsServer;
/// Without the `prometheus` feature there is no metrics listener to hold.
#[cfg(not(feature = "prometheus"))]
type Metrics = std::convert::Infallible;

/// Any error of starting or serving, for `?` in a process's `run`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What a [`Server`] serves until: completes when the process is told to stop.
pub type Stopping = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A server's work: serve until [`Stopping`] completes, then let requests in flight finish.
pub type Serving = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>;

/// A transport that serves an [`Application`]: bound before the process says it is ready (so
/// the address it prints is already accepting), served until told to stop.
pub trait Server: Send {
    /// Where it accepts (with port 0 in the settings: the port chosen).
    fn local_addr(&self) -> SocketAddr;

    /// Serves `app` until `stopping` completes, then lets requests in flight finish.
    fn serve(self: Box<Self>, app: &Application, stopping: Stopping) -> Serving;
}

/// Listens on `addr`, the address of the setting named `setting`; a failure names both. Only
/// configured addresses: what the configuration says is what [`Config::check_exposure`] judged
/// (a flag such as `--addr` goes into the configuration first, with [`flag_addr`]).
pub async fn listen(addr: SocketAddr, setting: &str) -> Result<tokio::net::TcpListener, BoxError> {
    (tokio::net::TcpListener::bind(addr).await)
        .map_err(|e| format!("cannot listen on {addr} ({setting}): {e}").into())
}

/// The address a listening flag (`--addr`) names: `host:port` or `ip:port`, resolved once (the
/// first address a name resolves to). A
/// binary writes it into its [`Config`] before building, so every decision that depends on where
/// the process listens (weak secrets and the demo password are refused off loopback) sees it.
pub fn flag_addr(text: &str, flag: &str) -> Result<SocketAddr, BoxError> {
    use std::net::ToSocketAddrs as _;
    let mut found = (text.to_socket_addrs())
        .map_err(|e| format!("{flag} {text:?} is not an address to listen on: {e}"))?;
    found
        .next()
        .ok_or_else(|| format!("{flag} {text:?} names no address").into())
}

/// When a process applies the demo data ([`Gotemp::seed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Seed {
    /// Never (production).
    #[default]
    Never,
    /// At every start (`--seed`; idempotent: existing objects are left alone).
    Always,
    /// When the store has no users yet: the embedded default's first start.
    FirstStart,
}

/// Chooses what an [`Application`] is made of; [`Application::builder`].
pub struct ApplicationBuilder {
    config: Config,
    services: GotempBuilder,
    seed: Seed,
    records_audit: bool,
}

impl ApplicationBuilder {
    /// Wires the services with `choose` applied to their builder (hooks, a policy, a remote
    /// customer directory…) after the configuration: what it sets wins over what the
    /// configuration names.
    pub fn services(mut self, choose: impl FnOnce(GotempBuilder) -> GotempBuilder) -> Self {
        self.services = choose(self.services);
        self
    }

    /// When to apply the demo data; [`Seed::Never`] unless said.
    pub fn seed(mut self, seed: Seed) -> Self {
        self.seed = seed;
        self
    }

    /// Whether this process stores the audit trail from the broker (it serves the audit
    /// service; one consumer group stores each event). Yes unless said; with in-process events
    /// the trail is always stored here.
    pub fn records_audit(mut self, records: bool) -> Self {
        self.records_audit = records;
        self
    }

    /// Opens (and migrates) the stores, wires the services, applies the demo data when asked,
    /// starts the event pipeline and, when `metrics_addr` is set, the metrics listener.
    pub async fn build(self) -> Result<Application, BoxError> {
        // Before anything counts (seeding reads through the cache).
        #[cfg(feature = "prometheus")]
        crate::metrics::install();
        let config = self.config;
        config.check_exposure()?;
        let app = self.services.build().await?;
        let seeded = match self.seed {
            Seed::Never => None,
            Seed::Always => Some(app.seed(&config).await?),
            Seed::FirstStart if app.has_users().await? => None,
            Seed::FirstStart => Some(app.seed(&config).await?),
        };
        if let Some(report) = &seeded {
            tracing::info!(?report, "demo data applied");
        }
        let events = Arc::new(app.start_events(&config, self.records_audit).await?);
        let metrics = match config.grpc.metrics_addr {
            #[cfg(feature = "prometheus")]
            Some(addr) => {
                let pipeline = Some(events.clone());
                let records = self.records_audit;
                Some(Metrics::start(addr, app.clone(), pipeline, records).await?)
            }
            #[cfg(not(feature = "prometheus"))]
            Some(_) => return Err("metrics_addr needs gotemp's `prometheus` feature".into()),
            None => None,
        };
        Ok(Application {
            config,
            app,
            events,
            metrics,
            seeded,
        })
    }
}

/// The services of one process with what runs beside them; made by [`Application::builder`],
/// served by [`Application::run`] (or [`Application::start`] to serve in the background).
pub struct Application {
    config: Config,
    app: Gotemp,
    events: Arc<EventPipeline>,
    metrics: Option<Metrics>,
    seeded: Option<SeedReport>,
}

impl Application {
    /// Starts making an application from `config`: the services as the configuration names
    /// them, no demo data, the audit trail stored here.
    pub fn builder(config: Config) -> ApplicationBuilder {
        ApplicationBuilder {
            services: Gotemp::builder().config(&config),
            config,
            seed: Seed::Never,
            records_audit: true,
        }
    }

    /// The configuration it was made from.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The services.
    pub fn gotemp(&self) -> &Gotemp {
        &self.app
    }

    /// The running event pipeline (readiness reports its broker).
    pub fn events(&self) -> &Arc<EventPipeline> {
        &self.events
    }

    /// Where Prometheus metrics are served, when `metrics_addr` asks for them.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        #[cfg(feature = "prometheus")]
        return self.metrics.as_ref().map(|m| m.addr);
        #[cfg(not(feature = "prometheus"))]
        self.metrics.as_ref().map(|never| match *never {})
    }

    /// What seeding created at this start, if it seeded.
    pub fn seeded(&self) -> Option<&SeedReport> {
        self.seeded.as_ref()
    }

    /// Serves over `servers` until the process is asked to stop (SIGTERM, ctrl-c) or one of
    /// them fails, then stops everything in order.
    pub async fn run(self, servers: Vec<Box<dyn Server>>) -> Result<(), BoxError> {
        self.start(servers).until(crate::shutdown_signal()).await
    }

    /// Serves over `servers` in the background; [`Running::stop`] stops them.
    pub fn start(self, servers: Vec<Box<dyn Server>>) -> Running {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for server in servers {
            let mut stopped = stopped.clone();
            let stopping: Stopping = Box::pin(async move {
                let _ = stopped.wait_for(|s| *s).await;
            });
            tasks.spawn(server.serve(&self, stopping));
        }
        Running {
            application: self,
            stop,
            tasks,
        }
    }
}

/// An [`Application`] serving in the background.
pub struct Running {
    application: Application,
    stop: watch::Sender<bool>,
    tasks: JoinSet<Result<(), BoxError>>,
}

impl Running {
    /// The application being served.
    pub fn application(&self) -> &Application {
        &self.application
    }

    /// Serves until `shutdown` completes or a server fails, then stops in order; a server's
    /// failure is the answer.
    pub async fn until(mut self, shutdown: impl Future<Output = ()>) -> Result<(), BoxError> {
        let failed = tokio::select! {
            () = shutdown => None,
            Some(ended) = self.tasks.join_next() => Some(flatten(ended)),
        };
        let stopped = self.stop().await;
        match failed {
            Some(Err(e)) => Err(e),
            // A server that ended by itself, without being told to, is a failure too.
            Some(Ok(())) => Err("a server stopped by itself".into()),
            None => stopped,
        }
    }

    /// Stops accepting, lets requests in flight finish, then stops the event pipeline after
    /// its batch (what it has not sent stays in the outbox for the next start) and the metrics
    /// listener.
    pub async fn stop(mut self) -> Result<(), BoxError> {
        let _ = self.stop.send(true);
        let mut outcome = Ok(());
        while let Some(ended) = self.tasks.join_next().await {
            if let Err(e) = flatten(ended) {
                outcome = outcome.and(Err(e));
            }
        }
        tracing::info!("requests finished; stopping the event pipeline");
        self.application.events.shutdown().await;
        #[cfg(feature = "prometheus")]
        if let Some(metrics) = self.application.metrics.take() {
            metrics.stop().await?;
        }
        outcome
    }
}

fn flatten(ended: Result<Result<(), BoxError>, tokio::task::JoinError>) -> Result<(), BoxError> {
    ended.map_err(BoxError::from).and_then(|served| served)
}

/// Writes one line of a server's start-up banner to stdout, and carries on when nobody reads it.
///
/// `println!` panics when stdout is a closed pipe (a supervisor that read the address and went
/// away, `gotemp-http | head -1`); a server must not die of what it says, so the banner is
/// best effort and the logs on stderr stay the record.
pub fn announce(line: impl std::fmt::Display) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// A server binary's `main`: starts logging (and trace export, when configured) as `name`, at
/// `default_log` unless `RUST_LOG` says otherwise, runs `work`, sends the last spans, and says
/// what failed on stderr as `name: …`, exiting non-zero.
pub async fn process(
    name: &str,
    default_log: &str,
    work: impl Future<Output = Result<(), BoxError>>,
) -> ExitCode {
    // Logs go to stderr; stdout carries only what the process says it listens on.
    let telemetry = match crate::logging::init(default_log, name) {
        Ok(telemetry) => telemetry,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = work.await;
    // The spans of the last requests are sent before the process ends.
    telemetry.shutdown().await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}
