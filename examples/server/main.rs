//! gotemp in one command: all five services over HTTP/JSON and gRPC, in one process, on the
//! embedded default — a SQLite file under `./data`, in-process events and cache — with the
//! demo data seeded on the first start.
//!
//! ```sh
//! cargo run --release --example server
//! cargo run --release --example demo        # in another terminal
//! ```
//!
//! Every setting is a `GOTEMP_*` variable or a key of the TOML file named by `GOTEMP_CONFIG`:
//! `GOTEMP_HTTP_ADDR` (127.0.0.1:8080), `GOTEMP_GRPC_ADDR` (127.0.0.1:50051), `GOTEMP_STORAGE`
//! (`sqlite://…` or `postgres://…` with `--features postgres`), `GOTEMP_AUDIT_STORAGE`,
//! `GOTEMP_MASTER_DATA_STORAGE` (customers and products), `GOTEMP_EVENTS` (`memory` or
//! `nats://…` with `--features nats`), `GOTEMP_CACHE` (`memory`, `none`, or `redis://…` with
//! `--features redis`), `GOTEMP_JWT_SECRET`, `GOTEMP_ADMIN_EMAIL`, `GOTEMP_ADMIN_PASSWORD`;
//! HTTPS with `GOTEMP_HTTP_TLS_CERT` and `GOTEMP_HTTP_TLS_KEY`, gRPC over TLS with
//! `GOTEMP_GRPC_TLS_CERT` and `GOTEMP_GRPC_TLS_KEY` (mutual with `GOTEMP_GRPC_TLS_CLIENT_CA`).
//! Without a JWT secret the embedded default keeps one in `data/jwt_secret` (owner-only); any
//! other storage requires one.

use gotemp::domain::i18n::{self, Locale};
use gotemp::domain::tr;
use gotemp::runner::{BoxError, Seed, Server as _, announce};
use gotemp::{Application, Config, SecretSource};
use gotemp_grpc::runner::GrpcServer;
use gotemp_grpc::server::ServiceName;
use gotemp_http::HttpServer;
use std::process::ExitCode;
use std::time::Instant;

#[tokio::main]
async fn main() -> ExitCode {
    gotemp::runner::process("gotemp", "warn", run()).await
}

/// Opens (and migrates) the stores, seeds the demo data on the first start (no users yet),
/// starts the event pipeline, listens on `http_addr` and `grpc_addr`, says where, and serves
/// until SIGTERM or ctrl-c.
async fn run() -> Result<(), BoxError> {
    let started = Instant::now();
    // What it prints, in the language of the environment (GOTEMP_LANG, LANG); the API answers
    // each request in the language that request asks for.
    i18n::set_process_default(Locale::from_env());
    let file = std::env::var_os("GOTEMP_CONFIG").map(std::path::PathBuf::from);
    let (mut config, secret) = Config::load_or_keep_secret(file.as_deref())?;
    // The web UI built into this binary, unless GOTEMP_HTTP_WEB_DIR names another.
    config.http.built_in_ui = true;
    let app = Application::builder(config)
        .seed(Seed::FirstStart)
        .build()
        .await?;
    let http = HttpServer::bind(app.config()).await?;
    let grpc = GrpcServer::bind(app.config(), &ServiceName::ALL).await?;
    let secs = format!("{:.2}", started.elapsed().as_secs_f64());
    announce(tr!("cli.server.ready", secs = secs));
    let base = format!("{}://{}", http.scheme(), http.local_addr());
    banner(&app, &base, &grpc, &secret);
    app.run(vec![Box::new(http), Box::new(grpc)]).await?;
    announce(tr!("cli.server.stopped"));
    Ok(())
}

/// Where everything is and how to log in, in the environment's language.
fn banner(app: &Application, base: &str, grpc: &GrpcServer, secret: &SecretSource) {
    let config = app.config();
    announce(tr!("cli.server.http", url = base));
    announce(tr!("cli.server.swagger", url = base));
    match gotemp_http::Ui::of(&config.http) {
        gotemp_http::Ui::BuiltIn => announce(tr!("cli.server.web", url = base)),
        gotemp_http::Ui::Dir(dir) => {
            let dir = dir.display();
            announce(tr!("cli.server.web_dir", url = base, dir = dir));
        }
        gotemp_http::Ui::None => announce(tr!("cli.server.web_missing")),
    }
    let addr = grpc.local_addr();
    let grpc_line = match (&config.grpc.tls_cert, &config.grpc.tls_client_ca) {
        (None, _) => tr!("cli.server.grpc", addr = addr),
        (Some(_), None) => tr!("cli.server.grpc_tls", addr = addr),
        (Some(_), Some(_)) => tr!("cli.server.grpc_mtls", addr = addr),
    };
    announce(grpc_line);
    if let Some(metrics) = app.metrics_addr() {
        let url = format!("http://{metrics}/metrics");
        announce(tr!("cli.server.metrics", url = url));
    }
    announce(tr!(
        "cli.server.backends",
        storage = config.storage.url.to_string(),
        events = config.events.url.to_string(),
        cache = config.cache.url.to_string()
    ));
    let default_password = Config::embedded(gotemp::SecretString::from(""))
        .auth
        .admin_password;
    use secrecy::ExposeSecret as _;
    let email = &config.auth.admin_email;
    if config.auth.admin_password.expose_secret() == default_password.expose_secret() {
        let password = default_password.expose_secret();
        announce(tr!(
            "cli.server.login_default",
            email = email,
            password = password
        ));
    } else {
        announce(tr!("cli.server.login_configured", email = email));
    }
    match secret {
        SecretSource::Configured => {}
        SecretSource::Kept(path) => announce(tr!("cli.server.secret_kept", path = path.display())),
        SecretSource::Created(path) => {
            announce(tr!("cli.server.secret_created", path = path.display()))
        }
    }
    let seeded = match app.seeded() {
        Some(r) => tr!(
            "cli.server.seeded",
            users = r.users,
            customers = r.customers,
            products = r.products,
            promotions = r.promotions,
            links = r.links
        ),
        None => tr!("cli.server.seeded_before"),
    };
    announce(seeded);
    announce(tr!("cli.server.try"));
}
