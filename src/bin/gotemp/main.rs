//! `gotemp`: operations on a deployment's data from the command line.
//!
//! ```sh
//! gotemp backup backups/2026-12-06.db    # a consistent copy, while the server runs
//! gotemp restore backups/2026-12-06.db   # with the server stopped
//! gotemp migrate                         # apply the schema's migrations, then exit
//! gotemp tenant export geese > geese.ndjson
//! gotemp tenant purge geese --yes         # a closed tenant's data, before it is deleted
//! gotemp audit checkpoint --out ducks-2026-12-07.note --tenant ducks
//! gotemp audit verify --tenant ducks --checkpoint ducks-2026-12-07.note
//! ```
//!
//! The database is the one the server uses: `GOTEMP_STORAGE` (or `storage` in the file of
//! `GOTEMP_CONFIG`), `sqlite://data/gotemp.db` by default; `--storage` names another (the audit
//! trail's or master data's own file, when they have one). PostgreSQL is backed up with its own
//! tools (`pg_dump`; see the README). `tenant` works on every store the configuration names
//! (main, audit, master data), on SQLite and PostgreSQL (and ArangoDB master data) alike.

mod audit;

use audit::AuditCommand;
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
    /// Applies the migrations that have not run yet and exits: on PostgreSQL, run it as the
    /// tables' owner when the server logs in as a role that does not own them
    /// (docs/tenancy.md).
    Migrate,
    /// A tenant's data as a whole (multi-tenant deployments; docs/tenancy.md).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// The audit trail as evidence: verify its hash chain, keep its checkpoints elsewhere
    /// (docs/audit.md).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
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

#[derive(Subcommand)]
enum TenantCommand {
    /// Writes every object of the tenant (users without their password hashes, customers,
    /// products, links, promotions, audit records) as NDJSON, one `{"kind", "object"}` per line.
    Export {
        /// The tenant's key.
        key: String,
        /// The file to write (made new); standard output when absent.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Deletes every object of a closed tenant, its audit trail included, from every store, so
    /// the tenant can then be deleted (`DELETE /v1/tenants/KEY`). Export it first.
    Purge {
        /// The tenant's key.
        key: String,
        /// Yes, delete it all: nothing of it can be brought back but from an export.
        #[arg(long)]
        yes: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(message) => {
            // An export's data went to standard output already: no line after it.
            if !message.is_empty() {
                println!("{message}");
            }
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
    match args.command {
        Command::Migrate => migrate(&url).await,
        Command::Tenant { command } => {
            let mut config = Config::load_without_secret(file.as_deref())?;
            config.storage.url = url.parse()?;
            tenant(&config, command).await
        }
        Command::Audit { command } => {
            let mut config = Config::load_without_secret(file.as_deref())?;
            config.storage.url = url.parse()?;
            audit::run(&config, command).await
        }
        Command::Backup { file } => {
            embedded(&url)?;
            gotemp::store::sqlite::backup(&url, &file).await?;
            Ok(format!("backed up {url} to {}", file.display()))
        }
        Command::Restore { file, force } => {
            embedded(&url)?;
            let target = gotemp::store::sqlite::restore(&file, &url, force).await?;
            Ok(format!(
                "restored {} from {}",
                target.display(),
                file.display()
            ))
        }
    }
}

/// Refuses a store other than the embedded one (backups of PostgreSQL are its own tools').
fn embedded(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    if url.starts_with("sqlite:") {
        return Ok(());
    }
    Err(format!(
        "{} is not the embedded SQLite store: back PostgreSQL up with pg_dump (see the README)",
        gotemp::redact_url(url)
    )
    .into())
}

/// Opens the store at `url`, which applies its pending migrations.
async fn migrate(url: &str) -> Result<String, Box<dyn std::error::Error>> {
    let shown = gotemp::redact_url(url);
    if url.starts_with("sqlite:") {
        gotemp::store::SqliteStore::connect(url)
            .await?
            .close()
            .await;
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        #[cfg(feature = "postgres")]
        gotemp::store::PgStore::connect(url).await?.close().await;
        #[cfg(not(feature = "postgres"))]
        return Err(format!("{shown}: this build has no PostgreSQL (feature postgres)").into());
    } else {
        return Err(
            format!("{shown}: migrations are for the SQL stores (sqlite:, postgres:)").into(),
        );
    }
    Ok(format!("{shown}: every migration has run"))
}

/// Exports or purges a tenant's data in the stores `config` names.
async fn tenant(
    config: &Config,
    command: TenantCommand,
) -> Result<String, Box<dyn std::error::Error>> {
    use gotemp::tenant_data::{export_tenant, open_repositories, purge_tenant};
    let key = |key: &str| {
        gotemp::domain::values::TenantId::parse("key", key)
            .map_err(|e| gotemp::domain::Error::invalid(e).to_string())
    };
    match command {
        TenantCommand::Export { key: k, out } => {
            let tenant = key(&k)?;
            let repos = open_repositories(config).await?;
            let counts = match out {
                Some(path) => {
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let mut file = std::io::BufWriter::new(file);
                    export_tenant(&repos, &tenant, &mut file).await?
                }
                None => {
                    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
                    export_tenant(&repos, &tenant, &mut stdout).await?
                }
            };
            let counts: Vec<String> = counts
                .iter()
                .map(|(kind, n)| format!("{n} {kind}"))
                .collect();
            eprintln!("exported {k}: {}", counts.join(", "));
            Ok(String::new())
        }
        TenantCommand::Purge { key: k, yes } => {
            let tenant = key(&k)?;
            if !yes {
                return Err(format!(
                    "purge deletes every object of {k} and its audit trail; export it first \
                     (gotemp tenant export {k}), then run again with --yes"
                )
                .into());
            }
            let repos = open_repositories(config).await?;
            let removed = purge_tenant(&repos, &tenant).await?;
            let removed: Vec<String> = removed
                .iter()
                .map(|(what, n)| format!("{n} {what}"))
                .collect();
            let removed = match removed.is_empty() {
                true => "nothing".to_owned(),
                false => removed.join(", "),
            };
            Ok(format!(
                "purged {k}: {removed}; delete the tenant itself with DELETE /v1/tenants/{k}"
            ))
        }
    }
}
