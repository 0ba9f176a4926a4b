//! `gotemp-grpc`: serves any subset of gotemp's five services over gRPC.
//!
//! ```sh
//! GOTEMP_JWT_SECRET=… gotemp-grpc --services all
//! GOTEMP_STORAGE=postgres://… GOTEMP_EVENTS=nats://127.0.0.1:4222 \
//!   gotemp-grpc --services promotion --user-service http://users:50051
//! ```
//!
//! Settings come from `--config <file.toml>` and `GOTEMP_*` variables (see `gotemp::Config`);
//! the options below also read `GOTEMP_SERVICES`, `GOTEMP_USER_SERVICE_URL`
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
    /// Where to listen (port 0: any free port; the chosen address is printed); default
    /// `grpc_addr` of the settings (`GOTEMP_GRPC_ADDR`, 127.0.0.1:50051).
    #[arg(long)]
    addr: Option<String>,
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
    let events = app
        .start_events(&config, services.contains(&ServiceName::Audit))
        .await?;
    let addr = args.addr.as_deref().unwrap_or(&config.grpc_addr);
    let listener = tokio::net::TcpListener::bind(addr).await?;
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
        gotemp::shutdown_signal(),
    )
    .await?;
    tracing::info!("calls finished; stopping the event pipeline");
    events.shutdown().await;
    Ok(())
}
