//! A steady mixed load against a running gotemp deployment, with the bookkeeping to prove
//! afterwards what a user relies on: nothing acknowledged was lost, the audit trail holds each
//! committed change exactly once, and no cache answers with an old value.
//!
//! The load creates, renames, deletes and reads customers, looks up promotions (which name their
//! customer through the customer service) and products, queries the audit trail and logs in —
//! through both gotemp-http processes and every gotemp-grpc service, each replica in turn. It
//! runs against the local cluster of `scripts/cluster` (its endpoints file and process list):
//!
//! ```sh
//! scripts/cluster up
//! cargo run --example mixed_load -- faults --short   # what scripts/faults runs
//! cargo run --example mixed_load -- soak --minutes 10 --out benches/soak
//! ```
//!
//! `faults` injects one fault at a time while the load runs (a replica of each service killed
//! with SIGKILL, the relay killed between publish and mark-sent, PostgreSQL restarted fast and
//! immediately, NATS stopped, Redis stopped, the audit consumers frozen) and prints, per fault,
//! requests attempted / succeeded / failed with a retriable status / failed otherwise, writes
//! lost, audit records lost or duplicated, stale cache reads after recovery and the time from
//! the fault's end to full service. It exits non-zero when any figure that must be zero is not.
//! `soak` measures the highest rate the deployment sustains, runs at half of it and samples each
//! process's memory and descriptors, the outbox backlog and the latency per minute.

mod cluster;
mod faults;
mod fleet;
mod load;
mod relay_fault;
mod soak;
mod verify;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "mixed_load", about = "a mixed load against the local cluster")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One fault at a time under load, with the figures per fault.
    Faults {
        /// Each fault once with short windows (scripts/test); otherwise longer windows and a
        /// higher rate (scripts/bench).
        #[arg(long)]
        short: bool,
        /// Also writes the table (Markdown) to this file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Half of the highest sustained rate for a long time, sampled every 10 s.
    Soak {
        /// How long the soak runs.
        #[arg(long, default_value_t = 10.0)]
        minutes: f64,
        /// Seconds spent finding the highest sustained rate.
        #[arg(long, default_value_t = 20)]
        probe_secs: u64,
        /// Directory for the samples (CSV) and the report (Markdown).
        #[arg(long)]
        out: PathBuf,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let outcome = match Args::parse().command {
        Command::Faults { short, out } => faults::run(short, out.as_deref()).await,
        Command::Soak {
            minutes,
            probe_secs,
            out,
        } => soak::run(minutes, probe_secs, &out).await,
    };
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("mixed_load: a figure that must be zero is not (see the table above)");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("mixed_load: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Errors of the driver itself (not of the load, which are counted).
pub type Error = Box<dyn std::error::Error + Send + Sync>;
