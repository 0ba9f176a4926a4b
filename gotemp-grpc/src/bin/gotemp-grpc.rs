//! `gotemp-grpc`: serves any subset of gotemp's five services over gRPC.
//!
//! ```sh
//! GOTEMP_JWT_SECRET=… gotemp-grpc --services all
//! GOTEMP_STORAGE=postgres://… GOTEMP_EVENTS=nats://127.0.0.1:4222 \
//!   gotemp-grpc --services promotion --user-service http://users:50051
//! gotemp-grpc --services promotion --discovery mdns     # finds user and customer by mDNS
//! ```
//!
//! Settings come from `--config <file.toml>` and `GOTEMP_*` variables (see `gotemp::Config`);
//! the options below also read `GOTEMP_SERVICES`, `GOTEMP_USER_SERVICE_URL`,
//! `GOTEMP_CUSTOMER_SERVICE_URL`, `GOTEMP_DISCOVERY` and `GOTEMP_SEED`; `GOTEMP_METRICS_ADDR` serves
//! Prometheus metrics at `/metrics` there. TLS: `GOTEMP_GRPC_TLS_CERT`
//! and `GOTEMP_GRPC_TLS_KEY` to serve it (mutual with `GOTEMP_GRPC_TLS_CLIENT_CA`);
//! `https://` service URLs are checked against `GOTEMP_TLS_CA` (the system's roots without it),
//! showing `GOTEMP_TLS_CLIENT_CERT`/`GOTEMP_TLS_CLIENT_KEY` to servers that ask. On SIGTERM or ctrl-c it stops accepting calls, lets the ones in flight
//! finish, and stops the outbox relay after its batch.

use clap::Parser;
use gotemp::{Config, Gotemp};
use gotemp_grpc::auth::{Authenticator, LocalVerifier, RemoteVerifier, TokenVerifier};
use gotemp_grpc::discovery::{Discovery, Instances, StaticDiscovery};
use gotemp_grpc::remote::RemoteCustomerDirectory;
use gotemp_grpc::server::{Listener, ServiceName, serve};
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
    /// Check tokens by asking the user service at these URLs (comma-separated; for services
    /// deployed apart from it) instead of with the shared secret.
    #[arg(long, env = "GOTEMP_USER_SERVICE_URL")]
    user_service: Option<String>,
    /// Look customers up (promotion service) at these URLs (comma-separated) instead of in
    /// this process's store.
    #[arg(long, env = "GOTEMP_CUSTOMER_SERVICE_URL")]
    customer_service: Option<String>,
    /// How to find other services: `static` (the URLs above) or `mdns` (announce the services
    /// served here, and find the user and customer services by multicast DNS; feature `mdns`).
    #[arg(long, env = "GOTEMP_DISCOVERY", default_value = "static")]
    discovery: String,
    /// Apply the demo data at start (idempotent).
    #[arg(long, env = "GOTEMP_SEED")]
    seed: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs go to stderr; stdout carries only the line saying where the server listens.
    let telemetry = match gotemp::logging::init("info", "gotemp-grpc") {
        Ok(telemetry) => telemetry,
        Err(e) => {
            eprintln!("gotemp-grpc: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let outcome = run(Args::parse()).await;
    // The spans of the last requests are sent before the process ends.
    telemetry.shutdown().await;
    match outcome {
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
    let wants_mdns = match args.discovery.as_str() {
        "static" => false,
        "mdns" => true,
        other => return Err(format!("--discovery must be static or mdns, got {other:?}").into()),
    };
    let discovers = |given: &Option<String>| given.is_some() || wants_mdns;
    let remote_users = !services.contains(&ServiceName::User) && discovers(&args.user_service);
    let remote_customers = services.contains(&ServiceName::Promotion)
        && !services.contains(&ServiceName::Customer)
        && discovers(&args.customer_service);
    let config = match remote_users {
        true => Config::load_without_secret(args.config.as_deref())?,
        false => Config::load(args.config.as_deref())?,
    };
    // Before anything counts.
    gotemp::metrics::install();
    let server_tls = config.grpc.server_tls()?;
    let client_tls = gotemp_grpc::tls::client_tls(&config.tls)?;
    // A deployment that speaks TLS calls its discovered peers over TLS, and checks them.
    let secure = server_tls.is_some() || config.tls.ca.is_some();
    let mdns = match wants_mdns {
        true => Some(multicast(secure)?),
        false => None,
    };
    let mut fixed = StaticDiscovery::new();
    if let Some(urls) = &args.user_service {
        fixed = fixed.with(ServiceName::User, urls);
    }
    if let Some(urls) = &args.customer_service {
        fixed = fixed.with(ServiceName::Customer, urls);
    }
    let discovery: Arc<dyn Discovery> = match &mdns {
        Some(m) => m.clone(),
        None => Arc::new(fixed),
    };
    let instances = |service| Instances::new(&*discovery, service).with_tls(client_tls.clone());
    let mut builder = Gotemp::builder().config(&config);
    if remote_customers {
        let customers = instances(ServiceName::Customer);
        builder = builder.customer_directory(Arc::new(RemoteCustomerDirectory::new(customers)));
    }
    let app = builder.build().await?;
    if args.seed {
        let report = app.seed(&config).await?;
        tracing::info!(?report, "demo data applied");
    }
    let verifier: Arc<dyn TokenVerifier> = match remote_users {
        true => Arc::new(RemoteVerifier::discovered(instances(ServiceName::User))),
        false => Arc::new(LocalVerifier::new(app.users().clone())),
    };
    let events = Arc::new(
        app.start_events(&config, services.contains(&ServiceName::Audit))
            .await?,
    );
    let addr = args.addr.as_deref().unwrap_or(&config.grpc.addr);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let names: Vec<&str> = services.iter().map(|s| s.grpc_name()).collect();
    let local = listener.local_addr()?;
    let over = match (&server_tls, &config.grpc.tls_client_ca) {
        (None, _) => "plaintext",
        (Some(_), None) => "TLS",
        (Some(_), Some(_)) => "mutual TLS",
    };
    println!(
        "gotemp-grpc listening on {local} serving {} over {over}",
        names.join(", ")
    );
    let metrics = match &config.grpc.metrics_addr {
        Some(addr) => {
            let records_audit = services.contains(&ServiceName::Audit);
            let pipeline = Some(events.clone());
            let metrics =
                gotemp::metrics::MetricsServer::start(addr, app.clone(), pipeline, records_audit)
                    .await?;
            println!("metrics on http://{}/metrics", metrics.addr);
            Some(metrics)
        }
        None => None,
    };
    #[cfg(feature = "mdns")]
    if let Some(m) = &mdns {
        m.announce(&services, local)?;
    }
    // On SIGTERM, withdraw the announcements first, so peers stop calling while the calls in
    // flight finish.
    let stopping = {
        let mdns = mdns.clone();
        async move {
            gotemp::shutdown_signal().await;
            withdraw(mdns).await;
        }
    };
    serve(
        app,
        &services,
        Authenticator::new(verifier),
        Listener::new(listener, server_tls.as_ref()),
        stopping,
    )
    .await?;
    tracing::info!("calls finished; stopping the event pipeline");
    events.shutdown().await;
    if let Some(metrics) = metrics {
        metrics.stop().await?;
    }
    Ok(())
}

#[cfg(feature = "mdns")]
type Multicast = gotemp_grpc::discovery::mdns::MdnsDiscovery;
/// Without the `mdns` feature there is no multicast discovery to hold.
#[cfg(not(feature = "mdns"))]
type Multicast = StaticDiscovery;

/// The mDNS responder, checking peers' certificates when the deployment speaks TLS.
#[cfg(feature = "mdns")]
fn multicast(secure: bool) -> Result<Arc<Multicast>, Box<dyn std::error::Error>> {
    if secure {
        return Ok(Arc::new(Multicast::secure()?));
    }
    tracing::warn!(
        "--discovery mdns: peers are not authenticated: any host on this network that announces \
         a gotemp service is trusted with tokens; configure TLS (GOTEMP_GRPC_TLS_CERT, \
         GOTEMP_TLS_CA) or use it only on a network you control"
    );
    Ok(Arc::new(Multicast::new()?))
}

#[cfg(not(feature = "mdns"))]
fn multicast(_secure: bool) -> Result<Arc<Multicast>, Box<dyn std::error::Error>> {
    Err("--discovery mdns needs gotemp-grpc's `mdns` feature".into())
}

async fn withdraw(mdns: Option<Arc<Multicast>>) {
    #[cfg(feature = "mdns")]
    if let Some(m) = mdns {
        m.withdraw().await;
    }
    #[cfg(not(feature = "mdns"))]
    let _ = mdns;
}
