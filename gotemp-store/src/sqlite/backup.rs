//! Backups of the embedded store: one consistent copy of the whole database — users, master
//! data, promotions, the audit trail and the outbox — taken while the server runs, and put back
//! while it is stopped. Events committed but not yet relayed when the copy was taken are in its
//! outbox, so after a restore they are relayed (the audit trail drops any it has already).

use super::SqliteStore;
use crate::sql::error::map_sqlx;
use gotemp_core::{Error, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions as _, Connection as _, Executor, Sqlite};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Writes a consistent copy of the database at `url` to `target` while it may be in use
/// (SQLite's `VACUUM INTO` reads one snapshot, so writes going on meanwhile are either wholly in
/// it or not), readable by its owner only, never overwriting a file. The database is opened
/// read-only: nothing is migrated or created.
pub async fn backup(url: &str, target: &Path) -> Result<()> {
    let mut source = open_read_only(
        SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::internal_from(format!("invalid SQLite URL {url:?}: {e}"), e))?,
    )
    .await?;
    let copied = copy_into(&mut source, target).await;
    source.close().await.map_err(map_sqlx)?;
    copied
}

async fn open_read_only(options: SqliteConnectOptions) -> Result<SqliteConnection> {
    options.read_only(true).connect().await.map_err(map_sqlx)
}

/// `VACUUM INTO` a new, owner-only file.
async fn copy_into<'e>(db: impl Executor<'e, Database = Sqlite>, target: &Path) -> Result<()> {
    if target.exists() {
        return Err(Error::conflict(
            gotemp_core::ConflictKind::Duplicate,
            Some("file"),
            format!("{} exists already; back up to a new file", target.display()),
        ));
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    }
    // Made empty and owner-only first, exclusively (a file that appeared meanwhile is not
    // taken over): SQLite then writes into it, so the copy is never readable by others, not
    // even for a moment.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(target).map_err(|e| io("create", target, e))?;
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(utf8(target)?)
        .execute(db)
        .await
        .map_err(map_sqlx);
    if let Err(e) = copied {
        let _ = std::fs::remove_file(target);
        return Err(e);
    }
    owner_only(target)
}

/// Puts the backup at `backup` in place of the database at `url`, then applies the migrations
/// this version has and the backup lacks. The server must be stopped: a database in use (its
/// write-ahead log is there) is refused unless `force` (a crash left the log behind). The backup
/// is checked first (`PRAGMA integrity_check`) and copied beside the database before it
/// replaces it in one rename, so a failed restore leaves the database as it was.
pub async fn restore(backup: &Path, url: &str, force: bool) -> Result<PathBuf> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::internal_from(format!("invalid SQLite URL {url:?}: {e}"), e))?;
    let target = options.get_filename().to_path_buf();
    let wal = with_suffix(&target, "-wal");
    if wal.exists() && !force {
        return Err(Error::conflict(
            gotemp_core::ConflictKind::State,
            Some("file"),
            format!(
                "{} is in use (its {} exists): stop the server first, or pass --force after a crash",
                target.display(),
                wal.display()
            ),
        ));
    }
    if !backup.is_file() {
        return Err(Error::not_found("backup", backup.display()));
    }
    let mut source = open_read_only(SqliteConnectOptions::new().filename(backup)).await?;
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&mut source)
        .await
        .map_err(map_sqlx)?;
    if check != "ok" {
        return Err(Error::internal(format!(
            "{} is damaged: {check}",
            backup.display()
        )));
    }
    // Beside the target (a fresh machine's data directory is made on the way), then one rename.
    let staged = with_suffix(&target, ".restoring");
    let _ = std::fs::remove_file(&staged);
    copy_into(&mut source, &staged).await?;
    source.close().await.map_err(map_sqlx)?;
    for stale in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&target, stale));
    }
    std::fs::rename(&staged, &target).map_err(|e| io("replace", &target, e))?;
    // Brings an older backup up to this version's schema.
    let store = SqliteStore::connect(url).await?;
    let ended = end_earlier_tokens(&store).await;
    store.close().await;
    ended?;
    Ok(target)
}

/// Every token issued before a restore is refused after it: the backup holds the users' token
/// versions as they were, so tokens revoked since (a log-out, a new password, a deactivation)
/// would otherwise be good again. Each version moves past any issued before — by the seconds
/// since the epoch, more than the revocations any user could have had — and everyone logs in
/// again.
async fn end_earlier_tokens(store: &SqliteStore) -> Result<()> {
    sqlx::query("UPDATE users SET token_version = token_version + $1")
        .bind(chrono::Utc::now().timestamp())
        .execute(store.pool())
        .await
        .map(drop)
        .map_err(map_sqlx)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn utf8(path: &Path) -> Result<&str> {
    path.to_str()
        .ok_or_else(|| Error::internal(format!("{} is not UTF-8", path.display())))
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::unavailable_from(format!("cannot {what} {}: {e}", path.display()), e)
}

/// The copy holds every password hash: readable by its owner only.
fn owner_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io("protect", path, e))?;
    }
    Ok(())
}
