//! What settings and variables are called: backends chosen by their URL's scheme, variables
//! nothing reads refused, and the reference page made from the sections.

use super::super::variables::is_read;
use super::super::*;
use super::with_secret;

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn backends_are_chosen_when_read_and_a_wrong_scheme_names_its_setting() {
    figment::Jail::expect_with(|jail| {
        with_secret(jail);
        jail.set_env("GOTEMP_STORAGE", "postgres://app:pw@db/gotemp");
        jail.set_env("GOTEMP_AUDIT_STORAGE", "none");
        jail.set_env("GOTEMP_MASTER_DATA_STORAGE", "https://arango:8529/master");
        jail.set_env("GOTEMP_EVENTS", "tls://broker:4222");
        jail.set_env("GOTEMP_CACHE", "rediss://cache:6380");
        let c = Config::load(None).unwrap();
        assert!(matches!(c.storage.url, Store::Postgres(_)));
        assert_eq!(c.storage.audit, Some(AuditStore::Off));
        assert!(matches!(
            c.storage.master_data,
            Some(MasterDataStore::Arango(_))
        ));
        assert!(matches!(c.events.url, EventBus::Nats(_)));
        assert!(matches!(c.cache.url, CacheBackend::Redis(_)));
        assert_eq!(c.storage.url.to_string(), "postgres://app:***@db/gotemp");
        for (name, value, rule) in [
            (
                "GOTEMP_STORAGE",
                "mysql://u:hunter2@db/x",
                "sqlite:// or postgres://",
            ),
            (
                "GOTEMP_STORAGE",
                "http://arango:8529",
                "master_data_storage",
            ),
            (
                "GOTEMP_AUDIT_STORAGE",
                "timescale://u:hunter2@db",
                "sqlite:// or postgres://",
            ),
            (
                "GOTEMP_MASTER_DATA_STORAGE",
                "mongodb://u:hunter2@db",
                "(ArangoDB)",
            ),
            ("GOTEMP_EVENTS", "kafka://u:hunter2@broker", "nats://"),
            ("GOTEMP_CACHE", "memcached://u:hunter2@cache", "redis://"),
            ("GOTEMP_CACHE", "redis:hunter2@cache", "redis://"),
            (
                "GOTEMP_STORAGE",
                "gotemp:hunter2@db/gotemp",
                "sqlite:// or postgres://",
            ),
        ] {
            jail.set_env(name, value);
            let e = Config::load(None).unwrap_err().to_string();
            let setting = name.trim_start_matches("GOTEMP_");
            assert!(e.contains(setting) && e.contains(rule), "{name}: {e}");
            assert!(!e.contains("hunter2"), "no credential repeated: {e}");
            jail.set_env(name, "memory");
            jail.set_env("GOTEMP_STORAGE", "sqlite://data/gotemp.db");
            jail.set_env("GOTEMP_AUDIT_STORAGE", "");
            jail.set_env("GOTEMP_MASTER_DATA_STORAGE", "");
        }
        jail.set_env("GOTEMP_CACHE", "");
        let c = Config::load(None).unwrap();
        assert_eq!(c.storage.audit, None, "blank is absent");
        assert_eq!(c.cache.url, CacheBackend::None, "a blank cache is none");
        assert_eq!(c.events.url, EventBus::Memory);
        Ok(())
    });
}

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn a_mistyped_variable_is_refused_with_the_setting_it_resembles() {
    figment::Jail::expect_with(|jail| {
        with_secret(jail);
        // Read by gotemp's processes and tools, not settings: never refused.
        jail.set_env("GOTEMP_TEST_ANYTHING", "1");
        jail.set_env("GOTEMP_LOG_FORMAT", "json");
        jail.set_env("GOTEMP_SEED", "true");
        Config::load(None).unwrap();
        jail.set_env("GOTEMP_STORGE", "postgres://db/gotemp");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(
            e.contains("GOTEMP_STORGE") && e.contains("did you mean GOTEMP_STORAGE?"),
            "{e}"
        );
        jail.set_env("GOTEMP_STORGE", "");
        jail.set_env("GOTEMP_QUITE_UNLIKE_ANY", "1");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(
            e.contains("GOTEMP_QUITE_UNLIKE_ANY") && !e.contains("did you mean"),
            "{e}"
        );
        Ok(())
    });
}

#[test]
fn reference_docs_settings_md_is_made_from_the_sections_and_names_every_setting() {
    let made = super::super::reference::page();
    let documented: Vec<String> = (super::super::reference::settings().into_iter())
        .map(|s| s.name)
        .collect();
    for name in known_names() {
        assert!(
            documented.iter().any(|d| d == name),
            "{name} is not in the reference"
        );
    }
    assert!(
        super::super::reference::settings()
            .iter()
            .all(|s| !s.doc.is_empty()),
        "every setting has a doc comment"
    );
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/settings.md");
    if std::env::var_os("GOTEMP_WRITE_DOCS").is_some() {
        std::fs::write(&path, &made).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == made,
        "docs/settings.md is not what src/config/sections.rs says: run \
         GOTEMP_WRITE_DOCS=1 cargo test -p gotemp --lib reference"
    );
}

/// Every `GOTEMP_*` name gotemp's own scripts, deployment files, web tests and clients set is
/// one that is read: none of them may make a process refuse to start.
#[test]
fn every_variable_gotemp_itself_sets_is_accepted() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![
        root.join("scripts"),
        root.join("deploy"),
        root.join("examples"),
    ];
    dirs.extend([root.join("web/tests"), root.join("gotemp-grpc/src/demo")]);
    files.push(root.join("web/playwright.config.js"));
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            match path.is_dir() {
                true => dirs.push(path),
                false => files.push(path),
            }
        }
    }
    let known = known_names();
    let mut checked = 0;
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (at, _) in text.match_indices("GOTEMP_") {
            let name: String = (text[at + "GOTEMP_".len()..].chars())
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            // `GOTEMP_<NAME>_FILE`, `GOTEMP_TEST_*`: a pattern in a comment, not a variable.
            if name.is_empty() || name.ends_with('_') || name == "AUDIT" {
                continue;
            }
            checked += 1;
            let lower = name.to_ascii_lowercase();
            assert!(
                is_read(&lower, &known),
                "GOTEMP_{name} (in {}) would be refused at start",
                file.display()
            );
        }
    }
    assert!(
        checked > 100,
        "only {checked} names found: the walk is broken"
    );
    for kubernetes in [
        "http_service_host",
        "service_port_grpc",
        "port_8080_tcp_addr",
        "port",
    ] {
        assert!(is_read(kubernetes, &known), "{kubernetes}");
    }
}
