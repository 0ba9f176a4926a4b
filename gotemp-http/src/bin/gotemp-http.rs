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
use gotemp::runner::{BoxError, Seed, Server as _, announce};
use gotemp::{Application, Config};
use gotemp_http::HttpServer;
use std::path::PathBuf;

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
    gotemp::runner::process("gotemp-http", "info", run(Args::parse())).await
}

async fn run(args: Args) -> Result<(), BoxError> {
    let mut config = Config::load(args.config.as_deref())?;
    // The web UI built in (feature web-ui) unless GOTEMP_HTTP_WEB_DIR names another.
    config.http.built_in_ui = true;
    if let Some(addr) = &args.addr {
        config.http.addr = gotemp::runner::flag_addr(addr, "--addr")?;
    }
    let seed = if args.seed { Seed::Always } else { Seed::Never };
    // This process serves the audit routes, so it also stores the audit trail.
    let app = Application::builder(config).seed(seed).build().await?;
    let http = HttpServer::bind(app.config()).await?;
    let (scheme, local) = (http.scheme(), http.local_addr());
    announce(format_args!(
        "gotemp-http listening on {scheme}://{local} (API docs: {scheme}://{local}/docs)"
    ));
    match gotemp_http::Ui::of(&app.config().http) {
        gotemp_http::Ui::BuiltIn => {
            announce(format_args!("web UI at {scheme}://{local}/ (built in)"))
        }
        gotemp_http::Ui::Dir(dir) => announce(format_args!(
            "web UI at {scheme}://{local}/ (from {})",
            dir.display()
        )),
        gotemp_http::Ui::None => announce("no web UI (GOTEMP_HTTP_WEB_DIR names none)"),
    }
    if let Some(metrics) = app.metrics_addr() {
        announce(format_args!("metrics on http://{metrics}/metrics"));
    }
    app.run(vec![Box::new(http)]).await
}
