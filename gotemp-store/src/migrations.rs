//! The schema's migrations, compiled in. sqlx's `migrate!` reads the directory at compile time
//! through its proc-macro crate, which builds a second sqlx (drivers, SQLite's C library, tokio)
//! for the host; listing the files here costs a line per migration instead. The migrations are
//! the ones `migrate!` would make — version and description from the file name, the SHA-384 of
//! the text as checksum — so databases migrated before keep their history; a test holds the
//! lists to the directories.

use sqlx::SqlSafeStr as _;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;

/// `(file name, SQL)` of each file of `migrations/<dir>/`, in order.
macro_rules! files {
    ($dir:literal: $($file:literal),* $(,)?) => {
        &[$(($file, include_str!(concat!("../migrations/", $dir, "/", $file)))),*]
    };
}

/// PostgreSQL's (and TimescaleDB's).
#[cfg(feature = "postgres")]
pub(crate) const POSTGRES: &[(&str, &str)] = files!("postgres":
    "0001_init.sql",
    "0002_relay.sql",
    "0003_hierarchy.sql",
    "0004_roles.sql",
    "0005_trace.sql",
    "0006_hierarchy_level.sql",
    "0007_outbox_set_aside.sql",
    "0008_tenants.sql",
    "0009_row_security.sql",
    "0010_audit_chain.sql",
    "0011_audit_archive.sql",
);

/// SQLite's (no row-level security: 0009 is PostgreSQL's alone).
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE: &[(&str, &str)] = files!("sqlite":
    "0001_init.sql",
    "0002_relay.sql",
    "0003_hierarchy.sql",
    "0004_roles.sql",
    "0005_trace.sql",
    "0006_hierarchy_level.sql",
    "0007_outbox_set_aside.sql",
    "0008_tenants.sql",
    "0010_audit_chain.sql",
    "0011_audit_archive.sql",
);

/// The migrator of `files`, each `<version>_<description>.sql`.
pub(crate) fn migrator(files: &'static [(&'static str, &'static str)]) -> Migrator {
    let migrations = files.iter().map(|(name, sql)| {
        let (version, description) = name
            .trim_end_matches(".sql")
            .split_once('_')
            .unwrap_or(("0", name));
        Migration::new(
            version.parse().unwrap_or_default(),
            Cow::Owned(description.replace('_', " ")),
            MigrationType::Simple,
            sql.into_sql_str(),
            sql.starts_with("-- no-transaction"),
        )
    });
    Migrator::with_migrations(migrations.collect())
}

#[cfg(test)]
mod tests {
    use sqlx::migrate::Migrator;

    /// The compiled-in migrations are exactly the ones sqlx resolves from `migrations/<dir>` at
    /// run time (what `migrate!` resolves at compile time): same files, versions, descriptions
    /// and checksums. A file added to the directory but not to the list fails here.
    async fn same_as_the_directory(dir: &str, compiled: Migrator) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dir);
        let on_disk = Migrator::new(path)
            .await
            .expect("the directory's migrations");
        let shape = |m: &Migrator| -> Vec<(i64, String, Vec<u8>, bool)> {
            m.iter()
                .map(|m| {
                    (
                        m.version,
                        m.description.to_string(),
                        m.checksum.to_vec(),
                        m.no_tx,
                    )
                })
                .collect()
        };
        assert_eq!(
            shape(&compiled),
            shape(&on_disk),
            "migrations/{dir}: src/migrations.rs lists every file"
        );
    }

    #[cfg(feature = "postgres")]
    #[tokio::test]
    async fn every_postgres_migration_is_compiled_in() {
        same_as_the_directory("postgres", super::migrator(super::POSTGRES)).await;
    }

    #[cfg(feature = "sqlite")]
    #[tokio::test]
    async fn every_sqlite_migration_is_compiled_in() {
        same_as_the_directory("sqlite", super::migrator(super::SQLITE)).await;
    }
}
