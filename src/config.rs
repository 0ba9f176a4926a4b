//! What the facade needs to start, by section: storage, events, cache, auth, HTTP, gRPC. Each
//! section is the one source of its settings' names (the TOML keys, and the `GOTEMP_*`
//! variables in upper case) and defaults (the embedded default); the loader learns the names
//! from the sections. Secrets and backend URLs are typed so they never print.

mod audit;
mod backend;
mod parse;
#[cfg(test)]
mod reference;
mod secrets;
mod sections;
mod url;
mod variables;

pub use audit::AuditConfig;
pub use backend::{AuditStore, CacheBackend, EventBus, MasterDataStore, Store};
pub use sections::{
    AuthConfig, CacheConfig, Discovery, EventsConfig, GrpcConfig, HttpConfig, Registration,
    StorageConfig, TlsConfig,
};
pub use url::{BackendUrl, redact_url};

use secrecy::SecretString;

/// Settings for [`Gotemp::open`](crate::Gotemp::open) and the servers, by section.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// Where the data lives.
    pub storage: StorageConfig,
    /// How change events travel.
    pub events: EventsConfig,
    /// The lookup cache between services.
    pub cache: CacheConfig,
    /// Tokens and the seeded administrator.
    pub auth: AuthConfig,
    /// The HTTP server.
    pub http: HttpConfig,
    /// The gRPC server.
    pub grpc: GrpcConfig,
    /// Checking the servers gotemp connects to.
    pub tls: TlsConfig,
    /// Signing the audit trail's checkpoints.
    pub audit: AuditConfig,
}

/// A configuration that cannot be used: a file that does not exist or does not parse, a
/// setting of the wrong type or unknown name, a missing secret, a backend whose adapter is not
/// compiled in. Said at start, before anything is served.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    message: String,
    /// What went wrong underneath (a file that cannot be read, figment's parse error), for
    /// callers that inspect the chain; the message already says it in words.
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ConfigError {
    pub(crate) fn new(message: String) -> Self {
        Self {
            message,
            source: None,
        }
    }

    /// `message`, caused by `source`.
    pub(crate) fn caused(
        message: String,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            message,
            source: Some(Box::new(source)),
        }
    }

    /// `source`, said in its own words (figment names the setting and where it came from).
    fn from_figment(source: figment::Error) -> Self {
        Self::caused(source.to_string(), source)
    }
}

impl From<ConfigError> for crate::domain::Error {
    fn from(e: ConfigError) -> Self {
        crate::domain::Error::invalid(crate::domain::FieldError::new(
            "configuration",
            "invalid_configuration",
            e.message,
        ))
    }
}

impl Config {
    /// The embedded default: a SQLite file under `./data`, with the given token secret.
    pub fn embedded(jwt_secret: SecretString) -> Self {
        Self {
            auth: AuthConfig {
                jwt_secret,
                ..AuthConfig::default()
            },
            ..Self::default()
        }
    }
}

impl Config {
    /// Reads the settings from the TOML `file` (if given) and then `GOTEMP_*` environment
    /// variables, which win. `GOTEMP_JWT_SECRET` (or `jwt_secret`) is required: a server must
    /// not sign tokens with a secret nobody chose.
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, figment::providers::Env::prefixed("GOTEMP_"), None).map(|(c, _)| c)
    }

    /// Like [`Config::load`] for a server that may run on the embedded default: without a
    /// configured secret, and when every store is a SQLite file, it uses the secret kept beside
    /// the main database (`data/jwt_secret`, owner-only), creating it on first start, so tokens
    /// survive restarts. With any other storage a missing secret is an error: instances must
    /// share one, and nobody chose it.
    pub fn load_or_keep_secret(
        file: Option<&std::path::Path>,
    ) -> Result<(Self, SecretSource), ConfigError> {
        let placeholder = Some(SecretString::from(String::new()));
        let (mut c, given) = Self::load_from(
            file,
            figment::providers::Env::prefixed("GOTEMP_"),
            placeholder,
        )?;
        if given {
            return Ok((c, SecretSource::Configured));
        }
        let Some(dir) = sqlite_dir(c.storage.url.as_str()).filter(|_| c.is_embedded()) else {
            return Err(ConfigError::new(
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
                    let message = format!("cannot keep a token secret in {}: {e}", path.display());
                    ConfigError::caused(message, e)
                })?;
                (secret, SecretSource::Created(path))
            }
        };
        c.auth.jwt_secret = SecretString::from(secret);
        Ok((c, source))
    }

    /// Like [`Config::load`], but without a configured secret uses a random one: for processes
    /// that neither issue nor check tokens themselves (they ask the user service, which has the
    /// real secret).
    pub fn load_without_secret(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
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
    ) -> Result<(Self, bool), ConfigError> {
        use figment::providers::{Format as _, Toml};
        let mut figment = figment::Figment::new();
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::new(format!(
                    "configuration file {} does not exist",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file(file));
        }
        let known = known_names();
        // A GOTEMP_* variable that is neither a setting nor one of the processes' own is a typo
        // that would otherwise be ignored silently.
        variables::unknown_variables(&env, &known)?;
        let mut figment = figment.merge(TextEnv(env.only(&known)));
        // Secrets kept in files (GOTEMP_<NAME>_FILE) come last: they stand for the variable.
        for (name, value) in secrets::from_files()? {
            figment = figment.merge(figment::providers::Serialized::default(name, value));
        }
        // A name no section knows (in the file) is a typo, and would otherwise be ignored.
        let data = figment::Provider::data(&figment).map_err(ConfigError::from_figment)?;
        let mut unknown: Vec<&str> = (data.values().flat_map(|dict| dict.keys()))
            .map(String::as_str)
            .filter(|name| !known.contains(name))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        if !unknown.is_empty() {
            return Err(ConfigError::new(format!(
                "unknown setting {}{}; the settings are {}",
                unknown.join(", "),
                variables::did_you_mean(unknown[0], &known)
                    .map(|name| format!(" (did you mean {name}?)"))
                    .unwrap_or_default(),
                known.join(", ")
            )));
        }
        // Lossy: a number or flag from the environment arrives as text and is read as one.
        let section = ConfigError::from_figment;
        let mut c = Config {
            storage: figment.extract_lossy().map_err(section)?,
            events: figment.extract_lossy().map_err(section)?,
            cache: figment.extract_lossy().map_err(section)?,
            auth: figment.extract_lossy().map_err(section)?,
            http: figment.extract_lossy().map_err(section)?,
            grpc: figment.extract_lossy().map_err(section)?,
            tls: figment.extract_lossy().map_err(section)?,
            audit: figment.extract_lossy().map_err(section)?,
        };
        use secrecy::ExposeSecret as _;
        let given = !c.auth.jwt_secret.expose_secret().is_empty();
        let keys = c.auth.jwt_private_key.is_some() || c.auth.jwt_public_key.is_some();
        if keys && given {
            return Err(ConfigError::new(
                "jwt_secret (GOTEMP_JWT_SECRET) and Ed25519 token keys (jwt_private_key, \
                 jwt_public_key) exclude each other: tokens are either HS256 or EdDSA"
                    .into(),
            ));
        }
        // With EdDSA keys no secret is used; the keys are checked when the token service is made.
        match (keys, given) {
            (true, _) => {}
            (false, true) => c.check_jwt_secret()?,
            (false, false) => {
                let Some(secret) = fallback_secret else {
                    return Err(ConfigError::new(
                        "jwt_secret (GOTEMP_JWT_SECRET) is required: at least 32 random bytes"
                            .into(),
                    ));
                };
                c.auth.jwt_secret = secret;
            }
        }
        c.check_signing_key()?;
        let roles = c.auth.registration_roles;
        if roles.contains(gotemp_core::policy::Role::Admin)
            || roles.contains(gotemp_core::policy::Role::Operator)
        {
            return Err(ConfigError::new(
                "registration_roles (GOTEMP_REGISTRATION_ROLES) must not give admin or operator \
                 to whoever signs up"
                    .into(),
            ));
        }
        let pools = [
            ("storage_pool_size", c.storage.pool_size),
            ("audit_storage_pool_size", c.storage.audit_pool_size),
            (
                "master_data_storage_pool_size",
                c.storage.master_data_pool_size,
            ),
        ];
        if let Some((name, _)) = pools.iter().find(|(_, size)| *size == 0) {
            return Err(ConfigError::new(format!(
                "{name} (GOTEMP_{}) must be at least 1",
                name.to_uppercase()
            )));
        }
        if c.http.request_timeout.is_zero() || c.http.max_in_flight == 0 {
            return Err(ConfigError::new(
                "http_request_timeout_secs and http_max_in_flight (GOTEMP_HTTP_*) must be above \
                 zero: a server with no time or no room for a request answers none"
                    .into(),
            ));
        }
        if c.events.max_event_bytes < 1024 {
            return Err(ConfigError::new(format!(
                "max_event_bytes (GOTEMP_MAX_EVENT_BYTES) must be at least 1024, got {}",
                c.events.max_event_bytes
            )));
        }
        Ok((c, given || keys))
    }
}

/// `GOTEMP_*` variables as the text they are. Figment's own reading parses each value, so a
/// password of digits (`GOTEMP_ADMIN_PASSWORD=0123`) became a number, unreadable as text and
/// without its leading zero; numeric settings are read from the text instead (lossy extraction).
struct TextEnv(figment::providers::Env);

impl figment::Provider for TextEnv {
    fn metadata(&self) -> figment::Metadata {
        self.0.metadata()
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        let dict = (self.0.iter())
            .map(|(name, value)| (name.as_str().to_owned(), figment::value::Value::from(value)))
            .collect();
        Ok(figment::Profile::Default.collect(dict))
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
    let path = (url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:")))?;
    let path = path.split('?').next()?;
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

/// A configuration error, as the facade's error type reports it.
pub(crate) fn config_error(message: String) -> crate::domain::Error {
    ConfigError::new(message).into()
}

#[cfg(test)]
mod tests;

/// Every setting's name, from the sections themselves.
fn known_names() -> Vec<&'static str> {
    use serde_aux::serde_introspection::serde_introspect;
    [
        serde_introspect::<StorageConfig>(),
        serde_introspect::<EventsConfig>(),
        serde_introspect::<CacheConfig>(),
        serde_introspect::<AuthConfig>(),
        serde_introspect::<HttpConfig>(),
        serde_introspect::<GrpcConfig>(),
        serde_introspect::<TlsConfig>(),
        serde_introspect::<AuditConfig>(),
    ]
    .concat()
}
