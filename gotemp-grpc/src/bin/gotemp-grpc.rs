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
//! the options below stand for the settings `services`, `user_service_url`,
//! `customer_service_url` and `discovery` (`GOTEMP_SERVICES`, …) and win over them;
//! `GOTEMP_SEED` is `--seed`; `GOTEMP_METRICS_ADDR` serves Prometheus metrics at `/metrics` there.
//! TLS: `GOTEMP_GRPC_TLS_CERT` and `GOTEMP_GRPC_TLS_KEY` to serve it (mutual with
//! `GOTEMP_GRPC_TLS_CLIENT_CA`); `https://` service URLs are checked against `GOTEMP_TLS_CA` (the
//! system's roots without it), showing `GOTEMP_TLS_CLIENT_CERT`/`GOTEMP_TLS_CLIENT_KEY` to
//! servers that ask. On SIGTERM or ctrl-c it stops accepting calls, lets the ones in flight
//! finish, and stops the outbox relay after its batch.

use clap::Parser;
use gotemp_grpc::runner::Command;
use std::path::PathBuf;

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
    /// Which services: a comma-separated list of user, customer, product, promotion, audit, or
    /// all; default `services` of the settings (`GOTEMP_SERVICES`, all).
    #[arg(long)]
    services: Option<String>,
    /// Check tokens by asking the user service at these URLs (comma-separated; for services
    /// deployed apart from it) instead of with the shared secret (`GOTEMP_USER_SERVICE_URL`).
    #[arg(long)]
    user_service: Option<String>,
    /// Look customers up (promotion service) at these URLs (comma-separated) instead of in
    /// this process's store (`GOTEMP_CUSTOMER_SERVICE_URL`).
    #[arg(long)]
    customer_service: Option<String>,
    /// How to find other services: `static` (the URLs above) or `mdns` (announce the services
    /// served here, and find the user and customer services by multicast DNS; feature `mdns`)
    /// (`GOTEMP_DISCOVERY`, static).
    #[arg(long)]
    discovery: Option<String>,
    /// Apply the demo data at start (idempotent).
    #[arg(long, env = "GOTEMP_SEED")]
    seed: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let command = Command {
        config: args.config.as_deref(),
        addr: args.addr.as_deref(),
        seed: args.seed,
        services: args.services.as_deref(),
        user_service: args.user_service.as_deref(),
        customer_service: args.customer_service.as_deref(),
        discovery: args.discovery.as_deref(),
    };
    gotemp::runner::process("gotemp-grpc", "info", gotemp_grpc::runner::run(command)).await
}
