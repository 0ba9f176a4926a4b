//! `gotemp audit`: verifying the trail (with its archives), archiving it, and writing its
//! latest checkpoint for keeping elsewhere.

use clap::Subcommand;
use gotemp::Config;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Recomputes a tenant's whole chain and checks every checkpoint's signature; prints
    /// "verified from seq A to B" or the first record that breaks it and how, and exits non-zero
    /// when it does not verify.
    Verify {
        /// The tenant (default: the checkpoint's, else `default`).
        #[arg(long)]
        tenant: Option<String>,
        /// A checkpoint kept outside the database (`gotemp audit checkpoint --out`): a chain
        /// shorter than it, or different up to it, is reported.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        /// A verifier key to check signatures with (`<name>+<id>+<key>`, from
        /// `GET /v1/audit/checkpoints/key`, pinned when the deployment started); repeat it for
        /// every key used since (rotations). Default: the configured signing key's and every key
        /// the database registered.
        #[arg(long = "key")]
        keys: Vec<String>,
        /// The archive root (`audit_archive_dir`): the archived records are verified too, from
        /// the first, and the chain the database keeps after them. Without it, verification
        /// begins after the latest archive and says so.
        #[arg(long)]
        archive: Option<PathBuf>,
        /// Prints the report as JSON (`ok`, `verified_from_seq`, `verified_to_seq`, `broken`).
        #[arg(long)]
        json: bool,
    },
    /// Archives the records past the retention period now (`audit_retention`, or `--retention`)
    /// into `audit_archive_dir` (or `--dir`), verifies the archives, then deletes the records:
    /// one round of what the audit service does on its own. Run it as the tables' owner where
    /// the service's login may not delete records (PostgreSQL with a serving role).
    Archive {
        /// Only this tenant (default: every tenant).
        #[arg(long)]
        tenant: Option<String>,
        /// Overrides `audit_retention` (e.g. `400d`).
        #[arg(long)]
        retention: Option<String>,
        /// Overrides `audit_archive_dir`.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Writes a tenant's latest signed checkpoint, to keep it outside the database.
    Checkpoint {
        /// The tenant (default: `default`).
        #[arg(long)]
        tenant: Option<String>,
        /// The file to write (made new); standard output when absent.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

/// Verifies the audit trail, or writes its latest checkpoint.
pub async fn run(
    config: &Config,
    command: AuditCommand,
) -> Result<String, Box<dyn std::error::Error>> {
    use gotemp::domain::audit_chain::{Checkpoint, Verifier};
    use gotemp::domain::values::TenantId;
    let repos = gotemp::tenant_data::open_repositories(config).await?;
    let tenant_of = |key: Option<&str>| {
        TenantId::parse("--tenant", key.unwrap_or(TenantId::DEFAULT))
            .map_err(|e| gotemp::domain::Error::invalid(e).to_string())
    };
    match command {
        AuditCommand::Verify {
            tenant,
            checkpoint,
            keys,
            archive,
            json,
        } => {
            let outside = match &checkpoint {
                Some(path) => {
                    let note = std::fs::read_to_string(path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    Some(Checkpoint::read(&note).map_err(|e| format!("{}: {e}", path.display()))?)
                }
                None => None,
            };
            let tenant = match (&tenant, &outside) {
                (None, Some(c)) => c.tenant.clone(),
                (given, _) => tenant_of(given.as_deref())?,
            };
            if let Some(c) = outside.as_ref().filter(|c| c.tenant != tenant) {
                return Err(format!("the checkpoint is of {}, not of {tenant}", c.tenant).into());
            }
            let keys = match keys.is_empty() {
                false => (keys.iter())
                    .map(|text| Verifier::parse(text).map_err(|e| format!("--key {text}: {e}")))
                    .collect::<Result<Vec<_>, _>>()?,
                true => {
                    // The database's keys are what whoever can write it says they are: pinned
                    // keys are the check that does not trust it.
                    let registered = repos.audit.keys().await?;
                    eprintln!(
                        "signatures checked with the configured key and the {} key(s) the \
                         database registered; pin keys with --key",
                        registered.len()
                    );
                    let own = config.checkpoint_key(false)?.map(|k| k.verifier());
                    own.into_iter().chain(registered).collect()
                }
            };
            use gotemp::domain::audit_chain::archive::verify_with_archives;
            use gotemp::domain::audit_chain::verify::{MAX_VERIFY_RECORDS, verify_trail};
            let (audit, window, outside) = (&*repos.audit, MAX_VERIFY_RECORDS, outside.as_ref());
            let report = match &archive {
                Some(root) => {
                    verify_with_archives(audit, &tenant, window, &keys, outside, root).await?
                }
                None => verify_trail(audit, &tenant, window, &keys, outside).await?,
            };
            let line = match json {
                true => serde_json::to_string(&report)?,
                false => report.describe(&tenant),
            };
            println!("{line}");
            match report.ok {
                true => Ok(String::new()),
                false => Err(format!("the audit trail of {tenant} does not verify").into()),
            }
        }
        AuditCommand::Archive {
            tenant,
            retention,
            dir,
        } => {
            let mut config = config.clone();
            if let Some(text) = retention {
                let given = humantime::parse_duration(&text)
                    .map_err(|e| format!("--retention {text}: {e} (e.g. 400d)"))?;
                config.audit.retention = Some(given);
            }
            config.audit.archive_dir = dir.or(config.audit.archive_dir);
            let Some(settings) = config.archive_settings()? else {
                return Err(
                    "no retention: set audit_retention (GOTEMP_AUDIT_RETENTION) or \
                            --retention"
                        .into(),
                );
            };
            // The anchor of each archive is signed with the checkpoints' key: the same
            // configured key the audit service uses (the embedded default's own in data/).
            let key = config.checkpoint_key(true)?.ok_or(
                "no audit signing key: set audit_signing_key (GOTEMP_AUDIT_SIGNING_KEY), the \
                 audit service's",
            )?;
            use gotemp::domain::audit_chain::archive::archive_tenant;
            let tenants = match tenant {
                Some(key) => vec![tenant_of(Some(&key))?],
                None => (repos.audit.chains().await?.into_iter())
                    .map(|h| h.tenant)
                    .collect(),
            };
            let now = gotemp::domain::values::now();
            let mut lines = Vec::new();
            for tenant in &tenants {
                match archive_tenant(&*repos.audit, tenant, &settings, &key, now).await? {
                    Some(m) => lines.push(format!(
                        "{tenant}: seqs {} to {} archived to {} and deleted",
                        m.from_seq,
                        m.to_seq,
                        settings.dir.join(m.location()).display()
                    )),
                    None => lines.push(format!("{tenant}: nothing past the retention")),
                }
            }
            Ok(lines.join("\n"))
        }
        AuditCommand::Checkpoint { tenant, out } => {
            let tenant = tenant_of(tenant.as_deref())?;
            let latest = repos.audit.checkpoint(&tenant, None).await?;
            let latest = latest.ok_or_else(|| format!("{tenant} has no checkpoint yet"))?;
            match out {
                Some(path) => {
                    use std::io::Write as _;
                    let mut file = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    file.write_all(latest.note.as_bytes())?;
                    file.sync_all()?;
                    Ok(format!(
                        "{tenant}: checkpoint of {} records written to {}",
                        latest.size,
                        path.display()
                    ))
                }
                None => {
                    print!("{}", latest.note);
                    Ok(String::new())
                }
            }
        }
    }
}
