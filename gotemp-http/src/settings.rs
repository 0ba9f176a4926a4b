//! The HTTP server's settings, and the names every layer of it shares: a leaf module, so the
//! router and the per-request layer need not import each other.

use axum::http::HeaderName;
use std::time::Duration;

/// Limits and browser access, from [`gotemp::Config`]'s `http_*` settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Origins allowed to call from a browser (`*` for any); empty: no CORS headers.
    pub cors_origins: Vec<String>,
    /// Largest request body, in bytes.
    pub body_limit_bytes: usize,
    /// Requests taking longer are answered 503.
    pub request_timeout: Duration,
    /// Requests handled at once; as many more wait (within the timeout) for a slot, and the
    /// rest are answered 503 at once.
    pub max_in_flight: usize,
    /// Static files served at `/` (a built web front end), `index.html` for client-side
    /// routes; `None`: only the API.
    pub web_dir: Option<std::path::PathBuf>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where a trace can be seen (`{trace_id}` stands for its id); offered to the web UI.
    pub trace_url: Option<String>,
    /// Serve Swagger UI at `/docs` and the OpenAPI document at `/openapi.json`.
    pub docs: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self::from_config(&gotemp::Config::embedded(gotemp::SecretString::from("")))
    }
}

impl HttpSettings {
    /// The HTTP section of `config`.
    pub fn from_config(config: &gotemp::Config) -> Self {
        Self {
            cors_origins: (config.http.cors_origins)
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect(),
            body_limit_bytes: config.http.body_limit_bytes,
            request_timeout: Duration::from_secs(config.http.request_timeout_secs.max(1)),
            max_in_flight: config.http.max_in_flight.max(1),
            web_dir: config.http.web_dir.as_ref().map(std::path::PathBuf::from),
            // Checked when the configuration was loaded.
            trusted_proxies: config.http.trusted_proxies().unwrap_or_else(|e| {
                tracing::warn!(error = %e, "no proxy is trusted");
                Vec::new()
            }),
            trace_url: config.http.trace_url.clone(),
            docs: config.http.docs,
        }
    }
}

/// The header carrying a request's id, set when the caller sent none and echoed in answers.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
