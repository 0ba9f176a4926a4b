//! What the facade needs to start. Secrets are typed so they never print.

use secrecy::SecretString;

/// Settings for [`Gotemp::open`](crate::Gotemp::open).
#[derive(Clone)]
pub struct Config {
    /// Where users, customers, products, promotions and the audit trail live:
    /// `sqlite://data/gotemp.db` or `postgres://user@host/db`.
    pub storage: String,
    /// Where the audit trail lives, when apart from `storage` (a TimescaleDB, say); `None`: in
    /// `storage`.
    pub audit_storage: Option<String>,
    /// Where customers and products live, when apart from `storage` (the original kept this
    /// master data in its own database); their changes and events commit together there, and
    /// the relay drains both outboxes. `None`: in `storage`.
    pub master_data_storage: Option<String>,
    /// How change events travel: `memory` (the in-process bus) or `nats://host:4222`
    /// (JetStream, between processes).
    pub events: String,
    /// Where lookups between services are cached: `memory` (in-process), `redis://host:6379`
    /// (shared by every instance), or `none`.
    pub cache: String,
    /// How long a cached lookup lives when no change event evicts it (default 2 hours, as the
    /// original; events normally evict long before).
    pub cache_ttl_secs: u64,
    /// With a Redis cache: keep warm entries in process too, for at most this many seconds
    /// (0, the default: Redis alone). Reads get ~60× faster; another instance's change reaches
    /// this instance's copy by its event (milliseconds) instead of at once.
    pub cache_near_ttl_secs: u64,
    /// HS256 signing secret for tokens, at least 32 bytes.
    pub jwt_secret: SecretString,
    /// Token lifetime in seconds (default 24 hours, as the original).
    pub token_ttl_secs: i64,
    /// E-mail of the administrator seeding creates.
    pub admin_email: String,
    /// Password of the administrator seeding creates.
    pub admin_password: SecretString,
    /// Password of the demo users; `None`: they cannot log in.
    pub demo_password: Option<SecretString>,
    /// Where `gotemp-grpc` listens (default `127.0.0.1:50051`).
    pub grpc_addr: String,
    /// Where `gotemp-http` listens (default `127.0.0.1:8080`).
    pub http_addr: String,
    /// Browser origins allowed to call the HTTP API, comma-separated (`https://app.example`,
    /// or `*` for any); empty, the default, sends no CORS headers.
    pub http_cors_origins: String,
    /// Largest HTTP request body accepted, in bytes (default 1 MiB).
    pub http_body_limit_bytes: usize,
    /// An HTTP request taking longer is answered 503 (default 30 seconds).
    pub http_request_timeout_secs: u64,
    /// HTTP requests handled at once; more wait for a slot, within the timeout (default 512).
    pub http_max_in_flight: usize,
    /// A directory of static files (a built web front end) the HTTP server serves at `/`,
    /// with `index.html` for any other path outside the API (client-side routes); none by
    /// default.
    pub http_web_dir: Option<String>,
}

impl Config {
    /// The embedded default: a SQLite file under `./data`, with the given token secret.
    pub fn embedded(jwt_secret: SecretString) -> Self {
        Self {
            storage: "sqlite://data/gotemp.db".into(),
            audit_storage: None,
            master_data_storage: None,
            events: "memory".into(),
            cache: "memory".into(),
            cache_ttl_secs: 2 * 3600,
            cache_near_ttl_secs: 0,
            jwt_secret,
            token_ttl_secs: 24 * 3600,
            admin_email: "admin@gotemp.local".into(),
            admin_password: SecretString::from("change-me-now"),
            demo_password: None,
            grpc_addr: "127.0.0.1:50051".into(),
            http_addr: "127.0.0.1:8080".into(),
            http_cors_origins: String::new(),
            http_body_limit_bytes: 1024 * 1024,
            http_request_timeout_secs: 30,
            http_max_in_flight: 512,
            http_web_dir: None,
        }
    }
}

/// Every setting as it may appear in a TOML file or a `GOTEMP_*` variable (`storage` is
/// `GOTEMP_STORAGE`, `jwt_secret` is `GOTEMP_JWT_SECRET`, …); what is absent keeps the
/// embedded default.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    storage: Option<String>,
    audit_storage: Option<String>,
    master_data_storage: Option<String>,
    events: Option<String>,
    cache: Option<String>,
    cache_ttl_secs: Option<u64>,
    cache_near_ttl_secs: Option<u64>,
    jwt_secret: Option<SecretString>,
    token_ttl_secs: Option<i64>,
    admin_email: Option<String>,
    admin_password: Option<SecretString>,
    demo_password: Option<SecretString>,
    grpc_addr: Option<String>,
    http_addr: Option<String>,
    http_cors_origins: Option<String>,
    http_body_limit_bytes: Option<usize>,
    http_request_timeout_secs: Option<u64>,
    http_max_in_flight: Option<usize>,
    http_web_dir: Option<String>,
}

impl Config {
    /// Reads the settings from the TOML `file` (if given) and then `GOTEMP_*` environment
    /// variables, which win. `GOTEMP_JWT_SECRET` (or `jwt_secret`) is required: a server must
    /// not sign tokens with a secret nobody chose.
    pub fn load(file: Option<&std::path::Path>) -> crate::core::Result<Self> {
        Self::load_from(file, figment::providers::Env::prefixed("GOTEMP_"), None).map(|(c, _)| c)
    }

    /// Like [`Config::load`] for a server that may run on the embedded default: without a
    /// configured secret, and when every store is a SQLite file, it uses the secret kept beside
    /// the main database (`data/jwt_secret`, owner-only), creating it on first start, so tokens
    /// survive restarts. With any other storage a missing secret is an error: instances must
    /// share one, and nobody chose it.
    pub fn load_or_keep_secret(
        file: Option<&std::path::Path>,
    ) -> crate::core::Result<(Self, SecretSource)> {
        let placeholder = Some(SecretString::from(String::new()));
        let (mut c, given) = Self::load_from(
            file,
            figment::providers::Env::prefixed("GOTEMP_"),
            placeholder,
        )?;
        if given {
            return Ok((c, SecretSource::Configured));
        }
        let stores = [
            Some(&c.storage),
            c.audit_storage.as_ref(),
            c.master_data_storage.as_ref(),
        ];
        let embedded = stores.iter().flatten().all(|u| u.starts_with("sqlite://"));
        let Some(dir) = sqlite_dir(&c.storage).filter(|_| embedded) else {
            return Err(config_error(
                "jwt_secret (GOTEMP_JWT_SECRET) is required with non-embedded storage: at least 32 random bytes shared by every instance"
                    .into(),
            ));
        };
        let path = dir.join("jwt_secret");
        let (secret, source) = match std::fs::read_to_string(&path) {
            Ok(text) if text.trim().len() >= 32 => {
                (text.trim().to_owned(), SecretSource::Kept(path))
            }
            _ => {
                let secret = format!(
                    "{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                );
                write_private(&path, &secret).map_err(|e| {
                    config_error(format!(
                        "cannot keep a token secret in {}: {e}",
                        path.display()
                    ))
                })?;
                (secret, SecretSource::Created(path))
            }
        };
        c.jwt_secret = SecretString::from(secret);
        Ok((c, source))
    }

    /// Like [`Config::load`], but without a configured secret uses a random one: for processes
    /// that neither issue nor check tokens themselves (they ask the user service, which has the
    /// real secret).
    pub fn load_without_secret(file: Option<&std::path::Path>) -> crate::core::Result<Self> {
        let random = format!("{}{}", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        Self::load_from(
            file,
            figment::providers::Env::prefixed("GOTEMP_"),
            Some(SecretString::from(random)),
        )
        .map(|(c, _)| c)
    }

    fn load_from(
        file: Option<&std::path::Path>,
        env: figment::providers::Env,
        fallback_secret: Option<SecretString>,
    ) -> crate::core::Result<(Self, bool)> {
        use figment::providers::{Format as _, Toml};
        let mut figment = figment::Figment::new();
        if let Some(file) = file {
            if !file.exists() {
                return Err(config_error(format!(
                    "configuration file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        // Only the variables this struct knows: GOTEMP_TEST_* and the server's own are not ours.
        let known = [
            "storage",
            "audit_storage",
            "master_data_storage",
            "events",
            "cache",
            "cache_ttl_secs",
            "cache_near_ttl_secs",
            "jwt_secret",
            "token_ttl_secs",
            "admin_email",
            "admin_password",
            "demo_password",
            "grpc_addr",
            "http_addr",
            "http_cors_origins",
            "http_body_limit_bytes",
            "http_request_timeout_secs",
            "http_max_in_flight",
            "http_web_dir",
        ];
        let env = env.only(&known);
        let s: Settings = figment
            .merge(env)
            .extract()
            .map_err(|e| config_error(e.to_string()))?;
        let given = s.jwt_secret.is_some();
        let Some(secret) = s.jwt_secret.or(fallback_secret) else {
            return Err(config_error(
                "jwt_secret (GOTEMP_JWT_SECRET) is required: at least 32 random bytes".into(),
            ));
        };
        let mut c = Config::embedded(secret);
        macro_rules! take {
            ($($field:ident),*) => { $(if let Some(v) = s.$field { c.$field = v; })* };
        }
        take!(
            storage,
            events,
            cache,
            cache_ttl_secs,
            cache_near_ttl_secs,
            token_ttl_secs,
            admin_email,
            admin_password,
            grpc_addr,
            http_addr,
            http_cors_origins,
            http_body_limit_bytes,
            http_request_timeout_secs,
            http_max_in_flight
        );
        c.demo_password = s.demo_password;
        c.http_web_dir = s.http_web_dir.filter(|d| !d.trim().is_empty());
        c.audit_storage = s.audit_storage.filter(|u| !u.trim().is_empty());
        c.master_data_storage = s.master_data_storage.filter(|u| !u.trim().is_empty());
        Ok((c, given))
    }
}

/// Where the token secret of [`Config::load_or_keep_secret`] came from, so a server can say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `jwt_secret` / `GOTEMP_JWT_SECRET`.
    Configured,
    /// The file kept from an earlier start.
    Kept(std::path::PathBuf),
    /// Made now and written to this file.
    Created(std::path::PathBuf),
}

/// The folder of a `sqlite://` database file (`sqlite://data/gotemp.db` → `data`).
fn sqlite_dir(url: &str) -> Option<std::path::PathBuf> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    let parent = std::path::Path::new(path).parent()?;
    Some(if parent.as_os_str().is_empty() {
        std::path::PathBuf::from(".")
    } else {
        parent.to_path_buf()
    })
}

/// Writes a secret readable by its owner only.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

pub(crate) fn config_error(message: String) -> crate::core::Error {
    crate::core::Error::invalid(crate::core::FieldError::new(
        "configuration",
        "invalid_configuration",
        message,
    ))
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("storage", &redact_url(&self.storage))
            .field(
                "audit_storage",
                &self.audit_storage.as_deref().map(redact_url),
            )
            .field(
                "master_data_storage",
                &self.master_data_storage.as_deref().map(redact_url),
            )
            .field("events", &redact_url(&self.events))
            .field("cache", &redact_url(&self.cache))
            .field("cache_ttl_secs", &self.cache_ttl_secs)
            .field("cache_near_ttl_secs", &self.cache_near_ttl_secs)
            .field("jwt_secret", &"[REDACTED]")
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &"[REDACTED]")
            .field("grpc_addr", &self.grpc_addr)
            .field("http_addr", &self.http_addr)
            .field("http_cors_origins", &self.http_cors_origins)
            .field("http_body_limit_bytes", &self.http_body_limit_bytes)
            .field("http_request_timeout_secs", &self.http_request_timeout_secs)
            .field("http_max_in_flight", &self.http_max_in_flight)
            .finish()
    }
}

/// Hides a password in a URL (`postgres://u:pw@h` → `postgres://u:***@h`), for anything that
/// prints or logs a backend's address.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
