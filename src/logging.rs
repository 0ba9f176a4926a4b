//! Logs of a gotemp process: to standard error (standard output is for the line saying where a
//! server listens), filtered by `RUST_LOG`, as text or — `GOTEMP_LOG_FORMAT=json` — one JSON
//! object per line for a log collector, with the fields of the spans it happened in (the
//! request's `request_id` among them).
//!
//! Read from the environment, not from the settings file: logging starts before the settings
//! are read, so that reading them can be logged.

/// Log line formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line.
    Json,
}

impl LogFormat {
    /// `GOTEMP_LOG_FORMAT`: `text` (default) or `json`; anything else is an error naming it.
    pub fn from_env() -> Result<Self, String> {
        match std::env::var("GOTEMP_LOG_FORMAT").ok().as_deref() {
            None | Some("") | Some("text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(other) => Err(format!(
                "GOTEMP_LOG_FORMAT must be text or json, got {other:?}"
            )),
        }
    }
}

/// Starts logging at `default` (`RUST_LOG` wins) in the format `GOTEMP_LOG_FORMAT` asks for.
/// An unknown format is an error, said before anything else happens.
pub fn init(default: &str) -> Result<(), String> {
    let format = LogFormat::from_env()?;
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init(),
    };
    installed.map_err(|e| format!("logging not started: {e}"))
}
