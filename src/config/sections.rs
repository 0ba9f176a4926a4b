//! The sections of the configuration: each struct is the one source of its settings' names
//! (the serde names: TOML keys, and `GOTEMP_*` variables in upper case) and defaults (`Default`,
//! the embedded default).

use super::backend::{AuditStore, CacheBackend, EventBus, MasterDataStore, Store};
use super::parse::{ip_ranges, list, non_empty, non_empty_parsed, role_list, seconds};
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the data lives.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct StorageConfig {
    /// Users, promotions and everything not split off below: `sqlite://data/gotemp.db` or
    /// `postgres://user@host/db` (`storage`, `GOTEMP_STORAGE`).
    #[serde(rename = "storage")]
    pub url: Store,
    /// The audit trail, when apart (a TimescaleDB, say); `none` switches it off (events still
    /// flow, so caches keep following changes; the audit API answers 404); unset: in `storage`
    /// (`audit_storage`).
    #[serde(rename = "audit_storage", deserialize_with = "non_empty_parsed")]
    pub audit: Option<AuditStore>,
    /// Customers and products, when apart (the original kept this master data in its own
    /// database; ArangoDB's `http://…` too): their changes and events commit together there,
    /// and the relay drains both outboxes. Unset: in `storage` (`master_data_storage`).
    #[serde(rename = "master_data_storage", deserialize_with = "non_empty_parsed")]
    pub master_data: Option<MasterDataStore>,
    /// Most connections open at once to `storage` (`storage_pool_size`, 16). A request waits
    /// up to 5 s (PostgreSQL; 10 s SQLite) for a free one, then is answered unavailable.
    #[serde(rename = "storage_pool_size")]
    pub pool_size: u32,
    /// Most connections to `audit_storage`, when apart (`audit_storage_pool_size`, 16): a
    /// database that allows few connections can still keep the trail.
    #[serde(rename = "audit_storage_pool_size")]
    pub audit_pool_size: u32,
    /// Most connections to `master_data_storage`, when it is a SQL database apart
    /// (`master_data_storage_pool_size`, 16).
    #[serde(rename = "master_data_storage_pool_size")]
    pub master_data_pool_size: u32,
}

/// Connections per store unless a `*_pool_size` setting says otherwise.
pub const DEFAULT_POOL_SIZE: u32 = 16;

impl StorageConfig {
    /// Whether `audit_storage = none` switched the audit trail off.
    pub fn audit_off(&self) -> bool {
        self.audit == Some(AuditStore::Off)
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            url: Store::Sqlite("sqlite://data/gotemp.db".into()),
            audit: None,
            master_data: None,
            pool_size: DEFAULT_POOL_SIZE,
            audit_pool_size: DEFAULT_POOL_SIZE,
            master_data_pool_size: DEFAULT_POOL_SIZE,
        }
    }
}

/// How change events travel.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct EventsConfig {
    /// `memory` (the in-process bus) or `nats://host:4222` (JetStream, between processes;
    /// `tls://` for TLS; `nats://user:password@…` or `nats://token@…` to authenticate)
    /// (`events`).
    #[serde(rename = "events")]
    pub url: EventBus,
    /// A NATS `.creds` file (user JWT and NKey seed) to authenticate with (`nats_creds`).
    #[serde(rename = "nats_creds", deserialize_with = "non_empty")]
    pub nats_creds: Option<PathBuf>,
    /// A NATS NKey seed to authenticate with (`nats_nkey`; or `GOTEMP_NATS_NKEY_FILE`).
    #[serde(rename = "nats_nkey", deserialize_with = "non_empty")]
    pub nats_nkey: Option<SecretString>,
    /// Key every gotemp process shares to sign the events it publishes to NATS and check the
    /// ones it receives (HMAC-SHA256; at least 32 random bytes): with it, a message anyone
    /// else publishes is parked, not stored (`event_signing_key`; or
    /// `GOTEMP_EVENT_SIGNING_KEY_FILE`).
    #[serde(rename = "event_signing_key", deserialize_with = "non_empty")]
    pub signing_key: Option<SecretString>,
    /// The largest change event, serialized, in bytes (`max_event_bytes`,
    /// `GOTEMP_MAX_EVENT_BYTES`; default 512 KiB, at least 1 KiB). A write whose event would be
    /// larger is refused with a 422 naming the field, instead of being accepted and then never
    /// published. Keep it below the broker's message limit (NATS's `max_payload`, 1 MiB unless
    /// set).
    pub max_event_bytes: usize,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            url: EventBus::Memory,
            nats_creds: None,
            nats_nkey: None,
            signing_key: None,
            max_event_bytes: gotemp_core::event::DEFAULT_MAX_EVENT_BYTES,
        }
    }
}

/// The lookup cache between services.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct CacheConfig {
    /// `memory` (in-process), `redis://host:6379` (shared by every instance), or `none`
    /// (`cache`).
    #[serde(rename = "cache")]
    pub url: CacheBackend,
    /// How long a cached lookup lives when no change event evicts it (default 2 hours, as the
    /// original; events normally evict long before) (`cache_ttl_secs`).
    #[serde(rename = "cache_ttl_secs", deserialize_with = "seconds")]
    pub ttl: Duration,
    /// With a Redis cache: keep warm entries in process too, for at most this many seconds
    /// (0, the default: Redis alone). Reads get ~60× faster; another instance's change reaches
    /// this instance's copy by its event (milliseconds) instead of at once
    /// (`cache_near_ttl_secs`).
    #[serde(rename = "cache_near_ttl_secs", deserialize_with = "seconds")]
    pub near_ttl: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            url: CacheBackend::Memory,
            ttl: Duration::from_secs(2 * 3600),
            near_ttl: Duration::ZERO,
        }
    }
}

/// Tokens and the seeded administrator.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    /// HS256 signing secret for tokens, at least 32 bytes; no default (`jwt_secret`). Not used,
    /// and not to be set, with Ed25519 keys (`jwt_private_key`, `jwt_public_key`).
    pub jwt_secret: SecretString,
    /// Secrets tokens were signed with before `jwt_secret`, comma-separated: still accepted
    /// when verifying, never used to sign, so a secret rotates without logging anyone out
    /// (`jwt_previous_secrets`, `GOTEMP_JWT_PREVIOUS_SECRETS`). Remove one once the tokens it
    /// signed have expired (`token_ttl_secs`).
    #[serde(deserialize_with = "non_empty")]
    pub jwt_previous_secrets: Option<SecretString>,
    /// An Ed25519 private key in PEM (PKCS#8) to sign tokens with EdDSA instead of the shared
    /// secret (`jwt_private_key`, `GOTEMP_JWT_PRIVATE_KEY` or `_FILE`): where tokens are issued,
    /// the user service. Make one with `openssl genpkey -algorithm ed25519`.
    #[serde(deserialize_with = "non_empty")]
    pub jwt_private_key: Option<SecretString>,
    /// Ed25519 public keys in PEM, one after the other (`jwt_public_key`,
    /// `GOTEMP_JWT_PUBLIC_KEY` or `_FILE`): where tokens are only checked. Such a process cannot
    /// issue a token, so a compromised edge cannot mint one. Previous keys stay listed while the
    /// tokens they signed live. `openssl pkey -in private.pem -pubout` gives the public half.
    #[serde(deserialize_with = "non_empty")]
    pub jwt_public_key: Option<String>,
    /// Token lifetime (default 24 hours, as the original) (`token_ttl_secs`: seconds, or a
    /// duration such as `12h`).
    #[serde(rename = "token_ttl_secs", deserialize_with = "seconds")]
    pub token_ttl: Duration,
    /// E-mail of the administrator seeding creates (`admin_email`).
    pub admin_email: String,
    /// Password of the administrator seeding creates (`admin_password`).
    pub admin_password: SecretString,
    /// Password of the demo users; unset: each gets a random password nobody knows, so they
    /// cannot log in (`demo_password`).
    pub demo_password: Option<SecretString>,
    /// Whether anyone may sign up (`open`) or only administrators create users (`closed`, the
    /// default) (`registration`). With `tenancy = multi`, a sign-up names its organisation and
    /// starts a tenant of its own, administered by the registrant.
    pub registration: Registration,
    /// The roles a user who signs up gets: role names, comma-separated or a TOML list
    /// (`registration_roles`, `GOTEMP_REGISTRATION_ROLES`). Default none: a stranger who signs
    /// up sees only itself until an administrator grants roles. `admin` is refused.
    #[serde(deserialize_with = "role_list")]
    pub registration_roles: gotemp_core::policy::Roles,
    /// One organisation or many (`tenancy`, `GOTEMP_TENANCY`): `single` (the default) serves
    /// the tenant `default` as gotemp always did; `multi` serves many, each seeing only its own
    /// users and data, managed at `/v1/tenants` by the operators of the tenant `platform`
    /// (made at the first start, its administrator from `admin_email`/`admin_password`).
    pub tenancy: gotemp_core::values::Tenancy,
}

/// Who creates users.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Registration {
    /// Only a user with `users:manage`.
    #[default]
    Closed,
    /// Anyone, as an active user with the `registration_roles`, through
    /// `POST /v1/auth/register` (gRPC `Register`); with many tenants, as the administrator of
    /// a new tenant for the organisation it names.
    Open,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secret: SecretString::from(String::new()),
            jwt_previous_secrets: None,
            jwt_private_key: None,
            jwt_public_key: None,
            token_ttl: Duration::from_secs(24 * 3600),
            admin_email: "admin@gotemp.local".into(),
            admin_password: SecretString::from("change-me-now"),
            demo_password: None,
            registration: Registration::Closed,
            registration_roles: gotemp_core::policy::Roles::NONE,
            tenancy: gotemp_core::values::Tenancy::Single,
        }
    }
}

/// The HTTP server.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Where `gotemp-http` listens (default `127.0.0.1:8080`) (`http_addr`).
    #[serde(rename = "http_addr")]
    pub addr: SocketAddr,
    /// Browser origins allowed to call the HTTP API (`https://app.example`, or `*` for any;
    /// comma-separated in a variable); empty, the default, sends no CORS headers
    /// (`http_cors_origins`).
    #[serde(rename = "http_cors_origins", deserialize_with = "list")]
    pub cors_origins: Vec<String>,
    /// Largest HTTP request body accepted, in bytes (default 1 MiB) (`http_body_limit_bytes`).
    #[serde(rename = "http_body_limit_bytes")]
    pub body_limit_bytes: usize,
    /// A request taking longer is answered 503 (default 30 seconds)
    /// (`http_request_timeout_secs`: seconds, or a duration such as `1500ms`).
    #[serde(rename = "http_request_timeout_secs", deserialize_with = "seconds")]
    pub request_timeout: Duration,
    /// Requests handled at once; as many more wait for a slot, within the timeout, and past
    /// that a request is answered 503 with `Retry-After` at once (default 512)
    /// (`http_max_in_flight`).
    #[serde(rename = "http_max_in_flight")]
    pub max_in_flight: usize,
    /// A directory of static files (a built web front end) served at `/`, with `index.html`
    /// for any other path outside the API (client-side routes). Unset: the UI built into the
    /// binary when a server program asks for it ([`HttpConfig::built_in_ui`]), else none
    /// (`http_web_dir`).
    #[serde(rename = "http_web_dir", deserialize_with = "non_empty")]
    pub web_dir: Option<PathBuf>,
    /// Whether the UI built into gotemp-http (its feature `web-ui`) is served when `web_dir`
    /// names none. Not a setting: a server program (the server example) turns it on; off by
    /// default, so an application that merges gotemp's router into its own gets no UI it did
    /// not ask for.
    #[serde(skip)]
    pub built_in_ui: bool,
    /// PEM certificate chain to serve HTTPS with (HTTP/2 by ALPN, HTTP/1.1 too); with
    /// `http_tls_key`. None, the default: plain HTTP (`http_tls_cert`).
    #[serde(rename = "http_tls_cert", deserialize_with = "non_empty")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key (`http_tls_key`).
    #[serde(rename = "http_tls_key", deserialize_with = "non_empty")]
    pub tls_key: Option<PathBuf>,
    /// Reverse proxies (addresses or CIDR ranges; comma-separated in a variable) whose
    /// `X-Forwarded-For` is believed: behind them, the per-address limit of password attempts
    /// counts the client's address instead of the proxy's. Empty, the default: the header is
    /// ignored (`http_trusted_proxies`).
    #[serde(rename = "http_trusted_proxies", deserialize_with = "ip_ranges")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where a trace can be seen, with `{trace_id}` in place of its id
    /// (`https://jaeger.example/trace/{trace_id}`): the web UI links each audit record's trace
    /// there. None by default (`trace_url`).
    #[serde(rename = "trace_url", deserialize_with = "non_empty")]
    pub trace_url: Option<String>,
    /// Whether Swagger UI (`/docs`) and the OpenAPI document (`/openapi.json`) are served
    /// (default `true`); `false` for a public edge that should not describe itself
    /// (`http_docs`, `GOTEMP_HTTP_DOCS`).
    #[serde(rename = "http_docs")]
    pub docs: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            cors_origins: Vec::new(),
            body_limit_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 512,
            web_dir: None,
            built_in_ui: false,
            tls_cert: None,
            tls_key: None,
            trusted_proxies: Vec::new(),
            trace_url: None,
            docs: true,
        }
    }
}

/// The gRPC server.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct GrpcConfig {
    /// Where `gotemp-grpc` listens (default `127.0.0.1:50051`) (`grpc_addr`).
    #[serde(rename = "grpc_addr")]
    pub addr: SocketAddr,
    /// PEM certificate chain to serve gRPC over TLS with; with `grpc_tls_key`. None, the
    /// default: plaintext (`grpc_tls_cert`).
    #[serde(rename = "grpc_tls_cert", deserialize_with = "non_empty")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key (`grpc_tls_key`).
    #[serde(rename = "grpc_tls_key", deserialize_with = "non_empty")]
    pub tls_key: Option<PathBuf>,
    /// Mutual TLS: only clients with a certificate from this PEM CA may connect
    /// (`grpc_tls_client_ca`).
    #[serde(rename = "grpc_tls_client_ca", deserialize_with = "non_empty")]
    pub tls_client_ca: Option<PathBuf>,
    /// Where `gotemp-grpc` serves Prometheus metrics (`/metrics`, nothing else), e.g.
    /// `0.0.0.0:9090`; none by default (`metrics_addr`).
    #[serde(rename = "metrics_addr", deserialize_with = "non_empty_parsed")]
    pub metrics_addr: Option<SocketAddr>,
    /// Which services `gotemp-grpc` serves: user, customer, product, promotion, audit, or all
    /// (the default) (`services`; a comma-separated list in a variable, a list in TOML).
    #[serde(rename = "services", deserialize_with = "list")]
    pub services: Vec<String>,
    /// Check tokens by asking the user service at these URLs instead of with the token secret
    /// or keys: for processes deployed apart from it (`user_service_url`).
    #[serde(rename = "user_service_url", deserialize_with = "list")]
    pub user_service_urls: Vec<String>,
    /// Look customers up (promotion service) at these URLs instead of in this process's store
    /// (`customer_service_url`).
    #[serde(rename = "customer_service_url", deserialize_with = "list")]
    pub customer_service_urls: Vec<String>,
    /// How the services that are not served here are found (`discovery`).
    #[serde(rename = "discovery")]
    pub discovery: Discovery,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            metrics_addr: None,
            services: vec!["all".into()],
            user_service_urls: Vec::new(),
            customer_service_urls: Vec::new(),
            discovery: Discovery::Static,
        }
    }
}

/// How a process finds the services it does not serve itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Discovery {
    /// At the URLs the settings give (`user_service_url`, `customer_service_url`).
    #[default]
    Static,
    /// By multicast DNS: the services served here are announced, the others found (gotemp-grpc's
    /// `mdns` feature).
    Mdns,
}

/// How gotemp checks the servers it connects to (other gotemp services over `https://`, and
/// TLS links to the backends), and the certificate it shows them under mutual TLS.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct TlsConfig {
    /// PEM CA the servers' certificates must chain to; none: the system's roots (`tls_ca`).
    #[serde(rename = "tls_ca", deserialize_with = "non_empty")]
    pub ca: Option<PathBuf>,
    /// PEM client certificate for servers that require one (`tls_client_cert`).
    #[serde(rename = "tls_client_cert", deserialize_with = "non_empty")]
    pub client_cert: Option<PathBuf>,
    /// Its PEM private key (`tls_client_key`).
    #[serde(rename = "tls_client_key", deserialize_with = "non_empty")]
    pub client_key: Option<PathBuf>,
}

impl TlsConfig {
    /// The client certificate and its key, when both are set: what every client of a backend
    /// (Redis, NATS, a gRPC peer) shows, with or without gotemp's own TLS listeners.
    pub fn client_pair(&self) -> Option<(PathBuf, PathBuf)> {
        self.client_cert.clone().zip(self.client_key.clone())
    }
}
