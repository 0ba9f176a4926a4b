//! `gotemp`: operations on a deployment's data from the command line.
//!
//! ```sh
//! gotemp backup backups/2026-12-06.db    # a consistent copy, while the server runs
//! gotemp restore backups/2026-12-06.db   # with the server stopped
//! ```
//!
//! The database is the one the server uses: `GOTEMP_STORAGE` (or `storage` in the file of
//! `GOTEMP_CONFIG`), `sqlite://data/gotemp.db` by default; `--storage` names another (the audit
//! trail's or master data's own file, when they have one). PostgreSQL is backed up with its own
//! tools (`pg_dump`; see the README).

use clap::{Parser, Subcommand};
use gotemp::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "gotemp", version, about = "Operations on gotemp's data")]
struct Args {
    /// The database to act on (default: the configured storage).
    #[arg(long, global = true)]
    storage: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Writes a consistent copy of the embedded database (every table: data, audit trail and
    /// outbox) to a new file, while the server keeps running.
    Backup {
        /// The new file.
        file: PathBuf,
    },
    /// Puts a backup in place of the embedded database; the server must be stopped. Events that
    /// were committed but not yet relayed when the backup was taken are relayed at the next start.
    Restore {
        /// The backup.
        file: PathBuf,
        /// Restore although the database looks in use (its write-ahead log is there after a crash).
        #[arg(long)]
        force: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gotemp: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<String, Box<dyn std::error::Error>> {
    let file = std::env::var_os("GOTEMP_CONFIG").map(PathBuf::from);
    let url = match args.storage {
        Some(url) => url,
        None => Config::load_without_secret(file.as_deref())?
            .storage
            .url
            .as_str()
            .to_owned(),
    };
    if !url.starts_with("sqlite:") {
        return Err(format!(
            "{} is not the embedded SQLite store: back PostgreSQL up with pg_dump (see the README)",
            gotemp::redact_url(&url)
        )
        .into());
    }
    match args.command {
        Command::Backup { file } => {
            gotemp::store::sqlite::backup(&url, &file).await?;
            Ok(format!("backed up {url} to {}", file.display()))
        }
        Command::Restore { file, force } => {
            let target = gotemp::store::sqlite::restore(&file, &url, force).await?;
            Ok(format!(
                "restored {} from {}",
                target.display(),
                file.display()
            ))
        }
    }
}
