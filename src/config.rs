//! What the facade needs to start. Secrets are typed so they never print.

use secrecy::SecretString;

/// Settings for [`Gotemp::open`](crate::Gotemp::open).
#[derive(Clone)]
pub struct Config {
    /// Where users, customers, products, promotions and the audit trail live:
    /// `sqlite://data/gotemp.db` or `postgres://user@host/db`.
    pub storage: String,
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
}

impl Config {
    /// The embedded default: a SQLite file under `./data`, with the given token secret.
    pub fn embedded(jwt_secret: SecretString) -> Self {
        Self {
            storage: "sqlite://data/gotemp.db".into(),
            cache: "memory".into(),
            cache_ttl_secs: 2 * 3600,
            cache_near_ttl_secs: 0,
            jwt_secret,
            token_ttl_secs: 24 * 3600,
            admin_email: "admin@gotemp.local".into(),
            admin_password: SecretString::from("change-me-now"),
            demo_password: None,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("storage", &redact_url(&self.storage))
            .field("cache", &redact_url(&self.cache))
            .field("cache_ttl_secs", &self.cache_ttl_secs)
            .field("cache_near_ttl_secs", &self.cache_near_ttl_secs)
            .field("jwt_secret", &"[REDACTED]")
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &"[REDACTED]")
            .finish()
    }
}

/// Hides a password in a URL (`postgres://u:pw@h` → `postgres://u:***@h`).
pub(crate) fn redact_url(url: &str) -> String {
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
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let mut c = Config::embedded(SecretString::from("s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"));
        c.storage = "postgres://app:hunter2@db:5432/gotemp".into();
        c.cache = "redis://default:hunter2@cache:6379".into();
        let text = format!("{c:?}");
        assert!(
            !text.contains("s3cr3t") && !text.contains("hunter2") && !text.contains("change-me"),
            "{text}"
        );
        assert!(text.contains("postgres://app:***@db:5432/gotemp"), "{text}");
        assert!(text.contains("redis://default:***@cache:6379"), "{text}");
    }
}
