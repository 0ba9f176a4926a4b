//! Connecting to NATS as a deployment does: credentials and TLS.
//!
//! User and password (`nats://user:pass@host`) or a token (`nats://token@host`) come in the
//! URL — async-nats does not read them from there itself, so they are taken out and given as
//! options; an NKey seed or a `.creds` file (JWT and seed) come from settings. `tls://` requires
//! TLS; the server's certificate is checked against the given CA (the system's roots without
//! one), and a client certificate is shown to a server that verifies clients.

use async_nats::{Client, ConnectOptions, ServerAddr};
use gotemp_core::{Error, Result};
use percent_encoding::percent_decode_str;
use secrecy::{ExposeSecret as _, SecretString};
use std::path::PathBuf;
use std::time::Duration;

/// How to authenticate to NATS and check its certificate, beyond what the URL says.
#[derive(Clone, Debug, Default)]
pub struct NatsConnect {
    /// A `.creds` file (decentralised JWT auth: the user JWT and its NKey seed).
    pub creds: Option<PathBuf>,
    /// An NKey seed (`SU…`).
    pub nkey: Option<SecretString>,
    /// PEM CA the server's certificate must chain to.
    pub ca: Option<PathBuf>,
    /// PEM client certificate and key, for a server that verifies clients.
    pub client_cert: Option<(PathBuf, PathBuf)>,
}

/// Connects to NATS at `url` without further credentials or CA: see [`connect_with`].
pub async fn connect(url: &str) -> Result<Client> {
    connect_with(url, &NatsConnect::default()).await
}

/// Connects to NATS at `url` (`nats://` or `tls://`, credentials in it or in `how`). Succeeds
/// while the server is still down: the client keeps reconnecting, and publishing fails (and is
/// retried by the relay) until it is back.
pub async fn connect_with(url: &str, how: &NatsConnect) -> Result<Client> {
    let shown = gotemp_core::urls::redact_url(url);
    let bad = |what: String| {
        Error::invalid(gotemp_core::FieldError::new(
            "events",
            "invalid_configuration",
            format!("NATS at {shown}: {what}"),
        ))
    };
    let addr: ServerAddr = url.parse().map_err(|e| bad(format!("{e}")))?;
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    let (user, password) = (addr.username().map(decode), addr.password().map(decode));
    let mut options = match (&how.creds, &how.nkey) {
        (Some(_), Some(_)) => {
            return Err(bad("set a .creds file or an NKey seed, not both".into()));
        }
        (Some(creds), None) => ConnectOptions::with_credentials_file(creds)
            .await
            .map_err(|e| {
                bad(format!(
                    "cannot read the credentials file {}: {e}",
                    creds.display()
                ))
            })?,
        (None, Some(seed)) => ConnectOptions::with_nkey(seed.expose_secret().to_owned()),
        (None, None) => ConnectOptions::new(),
    };
    if user.is_some() && (how.creds.is_some() || how.nkey.is_some()) {
        return Err(bad(
            "credentials in the URL and a .creds file or NKey at once".into(),
        ));
    }
    match (user, password) {
        (Some(user), Some(password)) => {
            options = options.user_and_password(user, password);
        }
        (Some(token), None) => options = options.token(token),
        _ => {}
    }
    if let Some(ca) = &how.ca {
        options = options.add_root_certificates(ca.clone());
    }
    if let Some((cert, key)) = &how.client_cert {
        options = options.add_client_certificate(cert.clone(), key.clone());
    }
    let mut bare = addr.into_inner();
    // Both setters only fail on URLs that cannot carry credentials, which a NATS URL can.
    let _ = bare.set_username("");
    let _ = bare.set_password(None);
    options
        .require_tls(bare.scheme() == "tls")
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .request_timeout(Some(Duration::from_secs(10)))
        .connect(bare.as_str())
        .await
        .map_err(|e| Error::unavailable_from(format!("NATS at {shown}: {e}"), e))
}
