//! `gotemp-http`: gotemp's five services as a REST/JSON API, with Swagger UI at `/docs`.
//!
//! ```sh
//! GOTEMP_JWT_SECRET=… gotemp-http --seed
//! GOTEMP_STORAGE=postgres://… GOTEMP_EVENTS=nats://127.0.0.1:4222 GOTEMP_CACHE=redis://… gotemp-http
//! ```
//!
//! Settings come from `--config <file.toml>` and `GOTEMP_*` variables (see `gotemp::Config`:
//! `http_addr`, `http_cors_origins`, `http_body_limit_bytes`, `http_request_timeout_secs`,
//! `http_max_in_flight`, `http_tls_cert` and `http_tls_key` for HTTPS, `http_docs`,
//! `metrics_addr` for Prometheus metrics on a listener of their own, and the backends). On SIGTERM or ctrl-c it stops accepting connections,
//! lets the requests in flight finish, and stops the outbox relay after its batch.

use clap::Parser;
use gotemp::{Config, Gotemp};
use gotemp_http::HttpSettings;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "gotemp-http",
    version,
    about = "gotemp's services as a REST/JSON API"
)]
struct Args {
    /// A TOML settings file; GOTEMP_* variables override what it says.
    #[arg(long, env = "GOTEMP_CONFIG")]
    config: Option<PathBuf>,
    /// Where to listen (port 0: any free port; the chosen address is printed); default
    /// `http_addr` of the settings (`GOTEMP_HTTP_ADDR`, 127.0.0.1:8080).
    #[arg(long)]
    addr: Option<String>,
    /// Apply the demo data at start (idempotent).
    #[arg(long, env = "GOTEMP_SEED")]
    seed: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr; stdout carries only the line saying where the server listens.
    let telemetry = match gotemp::logging::init("info", "gotemp-http") {
        Ok(telemetry) => telemetry,
        Err(e) => {
            eprintln!("gotemp-http: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = run(Args::parse()).await;
    // The spans of the last requests are sent before the process ends.
    telemetry.shutdown().await;
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gotemp-http: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load(args.config.as_deref())?;
    // Before anything counts (seeding reads through the cache).
    gotemp_http::install_metrics();
    let app = Gotemp::open(&config).await?;
    if args.seed {
        let report = app.seed(&config).await?;
        tracing::info!(?report, "demo data applied");
    }
    // This process serves the audit routes, so it also stores the audit trail.
    let events = Arc::new(app.start_events(&config, true).await?);
    let router = gotemp_http::router(
        app.clone(),
        Some(events.clone()),
        &HttpSettings::from_config(&config),
    );
    let tls = config.http.server_tls()?;
    let addr = args.addr.as_deref().unwrap_or(&config.http.addr);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("gotemp-http listening on {scheme}://{local} (API docs: {scheme}://{local}/docs)");
    // Metrics apart from the API, for operators only (this process stores the audit trail).
    let metrics = match &config.grpc.metrics_addr {
        Some(addr) => {
            let metrics = gotemp::metrics::MetricsServer::start(
                addr,
                app.clone(),
                Some(events.clone()),
                true,
            )
            .await?;
            println!("metrics on http://{}/metrics", metrics.addr);
            Some(metrics)
        }
        None => None,
    };
    gotemp_http::serve(router, listener, tls.as_ref(), gotemp::shutdown_signal()).await?;
    tracing::info!("requests finished; stopping the event pipeline");
    events.shutdown().await;
    if let Some(metrics) = metrics {
        metrics.stop().await?;
    }
    Ok(())
}
