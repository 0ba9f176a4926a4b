//! `gotemp-grpc`: serves any subset of gotemp's five services over gRPC.
//!
//! ```sh
//! GOTEMP_JWT_SECRET=… gotemp-grpc --services all
//! GOTEMP_STORAGE=postgres://… GOTEMP_EVENTS=nats://127.0.0.1:4222 \
//!   gotemp-grpc --services promotion --user-service http://users:50051
//! ```
//!
//! Settings come from `--config <file.toml>` and `GOTEMP_*` variables (see `gotemp::Config`);
//! the options below also read `GOTEMP_GRPC_ADDR`, `GOTEMP_SERVICES`, `GOTEMP_USER_SERVICE_URL`
//! and `GOTEMP_SEED`. On SIGTERM or ctrl-c it stops accepting calls, lets the ones in flight
//! finish, and stops the outbox relay after its batch.

use clap::Parser;
use gotemp::{Config, Gotemp};
use gotemp_grpc::auth::{Authenticator, LocalVerifier, RemoteVerifier, TokenVerifier};
use gotemp_grpc::server::{ServiceName, serve};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(name = "gotemp-grpc", version, about = "gotemp's services over gRPC")]
struct Args {
    /// A TOML settings file; GOTEMP_* variables override what it says.
    #[arg(long, env = "GOTEMP_CONFIG")]
    config: Option<PathBuf>,
    /// Where to listen (port 0: any free port; the chosen address is printed).
    #[arg(long, env = "GOTEMP_GRPC_ADDR", default_value = "127.0.0.1:50051")]
    addr: String,
    /// Which services: a comma-separated list of user, customer, product, promotion, audit, or all.
    #[arg(long, env = "GOTEMP_SERVICES", default_value = "all")]
    services: String,
    /// Check tokens by asking the user service at this URL (for services deployed apart from
    /// it) instead of with the shared secret.
    #[arg(long, env = "GOTEMP_USER_SERVICE_URL")]
    user_service: Option<String>,
    /// Apply the demo data at start (idempotent).
    #[arg(long, env = "GOTEMP_SEED")]
    seed: bool,
}

/// What runs beside the server and must stop after it.
type Stopper = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr; stdout carries only the line saying where the server listens.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gotemp-grpc: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let services = ServiceName::parse_list(&args.services)?;
    if args.user_service.is_some() && services.contains(&ServiceName::User) {
        return Err("--user-service is for processes that do not serve the user service".into());
    }
    let config = match &args.user_service {
        Some(_) => Config::load_without_secret(args.config.as_deref())?,
        None => Config::load(args.config.as_deref())?,
    };
    let app = Gotemp::open(&config).await?;
    if args.seed {
        let report = app.seed(&config).await?;
        tracing::info!(?report, "demo data applied");
    }
    let verifier: Arc<dyn TokenVerifier> = match &args.user_service {
        Some(url) => {
            let channel = tonic::transport::Endpoint::from_shared(url.clone())?.connect_lazy();
            Arc::new(RemoteVerifier::new(channel))
        }
        None => Arc::new(LocalVerifier::new(app.tokens.clone())),
    };
    let background = start_events(&app, &config, &services).await?;
    let listener = tokio::net::TcpListener::bind(&args.addr).await?;
    let names: Vec<&str> = services.iter().map(|s| s.grpc_name()).collect();
    println!(
        "gotemp-grpc listening on {} serving {}",
        listener.local_addr()?,
        names.join(", ")
    );
    serve(
        app,
        &services,
        Authenticator::new(verifier),
        listener,
        shutdown_signal(),
    )
    .await?;
    tracing::info!("calls finished; stopping the event pipeline");
    for stop in background {
        stop.await;
    }
    Ok(())
}

/// Starts what carries change events: the in-process pipeline, or for NATS the relay, the
/// audit consumer (when this process serves the audit service) and cache invalidation.
async fn start_events(
    app: &Gotemp,
    config: &Config,
    services: &[ServiceName],
) -> Result<Vec<Stopper>, Box<dyn std::error::Error>> {
    let events = config.events.trim();
    if events == "memory" {
        let relay = app.start_audit_pipeline();
        return Ok(vec![Box::pin(relay.shutdown())]);
    }
    if events.starts_with("nats://") {
        return start_nats(app, events, services).await;
    }
    Err(format!("events must be `memory` or a nats:// URL, got {events:?}").into())
}

#[cfg(feature = "nats")]
async fn start_nats(
    app: &Gotemp,
    url: &str,
    services: &[ServiceName],
) -> Result<Vec<Stopper>, Box<dyn std::error::Error>> {
    use gotemp::events::nats::{
        self, NatsAuditConsumer, NatsCacheInvalidator, NatsSettings, NatsSink,
    };
    use gotemp::events::{AuditRecorder, OutboxRelay, RelaySettings};
    let client = nats::connect(url).await?;
    let sink = Arc::new(NatsSink::new(client.clone(), NatsSettings::default()));
    let relay = OutboxRelay::new(
        app.repositories.outbox.clone(),
        sink,
        RelaySettings::default(),
    )
    .spawn();
    let mut stops: Vec<Stopper> = vec![Box::pin(relay.shutdown())];
    if services.contains(&ServiceName::Audit) {
        let recorder = AuditRecorder::new(app.audit.clone(), 5);
        let consumer = NatsAuditConsumer::new(client.clone(), NatsSettings::default(), recorder);
        stops.push(Box::pin(consumer.spawn().shutdown()));
    }
    if let Some(cache) = &app.cache {
        let follower = NatsCacheInvalidator::new(client, NatsSettings::default(), cache.clone());
        stops.push(Box::pin(follower.spawn().shutdown()));
    }
    Ok(stops)
}

#[cfg(not(feature = "nats"))]
async fn start_nats(
    _: &Gotemp,
    _: &str,
    _: &[ServiceName],
) -> Result<Vec<Stopper>, Box<dyn std::error::Error>> {
    Err("nats:// events need gotemp-grpc's `nats` feature".into())
}

/// Completes on ctrl-c or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown requested");
}
