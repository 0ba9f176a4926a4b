//! TLS (rustls, ring) for the servers gotemp runs, from PEM files.
//!
//! A server's certificate and key are re-read when their files change (checked at most every
//! [`RELOAD_CHECK`] on a new connection), so a certificate renewed by cert-manager, certbot or a
//! mounted Kubernetes Secret is served without a restart; connections already open keep the
//! certificate they started with. A file that cannot be read or parsed at a re-check keeps the
//! previous certificate in service and says so in the log. The client CA of mutual TLS is read
//! at start only: changing it needs a (rolling) restart.
//!
//! Handshakes run concurrently off the accept path and each is bounded by
//! [`HANDSHAKE_TIMEOUT`], so a client that opens a connection and says nothing holds no one up.

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::{TcpListener, TcpStream};

pub use tls_listener::TlsListener;
pub use tokio_rustls::TlsAcceptor;
pub use tokio_rustls::server::TlsStream;

/// How often, at most, a server looks whether its certificate files changed.
pub const RELOAD_CHECK: Duration = Duration::from_secs(10);

/// Longest a TLS handshake may take before the connection is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Handshakes in progress at once; more connections wait in the kernel's backlog.
pub const HANDSHAKES_AT_ONCE: usize = 256;

/// A certificate, key or CA file that cannot be used, named with the setting it came from.
#[derive(Debug, thiserror::Error)]
#[error("{setting} ({}): {message}", variable(setting))]
pub struct TlsError {
    setting: &'static str,
    message: String,
    /// rustls's or the file system's own error, for callers that inspect the chain; the
    /// message says it in words.
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TlsError {
    /// A problem with the file of `setting`, in words.
    pub fn new(setting: &'static str, message: impl Into<String>) -> Self {
        Self {
            setting,
            message: message.into(),
            source: None,
        }
    }

    /// A problem with the file of `setting`, in words, caused by `source`.
    pub fn caused(
        setting: &'static str,
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            source: Some(Box::new(source)),
            ..Self::new(setting, message)
        }
    }
}

/// Which PEM files a server uses, and the settings that named them (for errors).
#[derive(Debug, Clone)]
pub struct ServerFiles {
    /// The certificate chain, leaf first.
    pub cert: PathBuf,
    /// Its private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// Client certificates must chain to this CA (mutual TLS); `None`: no client certificate.
    pub client_ca: Option<PathBuf>,
    /// The settings' names: cert, key, client CA.
    pub settings: [&'static str; 3],
}

/// A server's TLS: what it presents and whom it lets in.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

/// The crypto provider gotemp uses everywhere: ring, chosen because it builds with nothing but
/// the Rust toolchain (aws-lc-rs needs cmake and a C build on every machine that compiles
/// gotemp). Its price: no post-quantum key exchange (X25519MLKEM768), which rustls offers only
/// with aws-lc-rs — so rustls 0.23.48 deprecates ring's provider. Every gotemp link is inside a
/// deployment (TLS between services and to their backends), where harvest-now-decrypt-later is
/// the threat this would answer; switch when rustls gives ring the ML-KEM it already has, or
/// when a deployment's needs outweigh the build.
pub fn provider() -> Arc<CryptoProvider> {
    #[allow(deprecated)] // Deliberately ring: see above.
    let ring = rustls::crypto::ring::default_provider();
    Arc::new(ring)
}

impl ServerTls {
    /// Reads `files` now (an error names the setting), offering `alpn` protocols (`h2` for
    /// gRPC; `h2` and `http/1.1` for HTTP).
    pub fn from_files(files: &ServerFiles, alpn: &[&[u8]]) -> Result<Self, TlsError> {
        Self::reloading_every(files, alpn, RELOAD_CHECK)
    }

    fn reloading_every(
        files: &ServerFiles,
        alpn: &[&[u8]],
        every: Duration,
    ) -> Result<Self, TlsError> {
        let provider = provider();
        let resolver = Reloading::new(files, provider.clone(), every)?;
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            .map_err(|e| TlsError::caused(files.settings[0], e.to_string(), e))?;
        let builder = match &files.client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let setting = files.settings[2];
                let roots = Arc::new(root_store(ca, setting)?);
                let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(|e| TlsError::caused(setting, e.to_string(), e))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Self {
            config: Arc::new(config),
        })
    }

    /// Accepts TLS connections on `tcp` (`TCP_NODELAY` set, as the plaintext servers do).
    pub fn listen(&self, tcp: TcpListener) -> TlsListener<NoDelay, TlsAcceptor> {
        let mut builder = tls_listener::builder(TlsAcceptor::from(self.config.clone()));
        builder
            .handshake_timeout(HANDSHAKE_TIMEOUT)
            .accept_batch_size(std::num::NonZeroUsize::new(HANDSHAKES_AT_ONCE).expect("not zero"));
        builder.listen(NoDelay(tcp))
    }
}

/// A TCP listener whose connections have `TCP_NODELAY` set: without it, a response written in
/// two pieces waits for the client's delayed ACK (40 ms on Linux).
#[derive(Debug)]
pub struct NoDelay(pub TcpListener);

impl tls_listener::AsyncAccept for NoDelay {
    type Connection = TcpStream;
    type Error = std::io::Error;
    type Address = std::net::SocketAddr;

    fn poll_accept(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(TcpStream, std::net::SocketAddr), std::io::Error>> {
        match self.0.poll_accept(cx) {
            Poll::Ready(Ok((stream, addr))) => {
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(error = %e, "TCP_NODELAY not set");
                }
                Poll::Ready(Ok((stream, addr)))
            }
            other => other,
        }
    }
}

impl tls_listener::AsyncListener for NoDelay {
    fn local_addr(&self) -> Result<std::net::SocketAddr, std::io::Error> {
        self.0.local_addr()
    }
}

/// Every certificate of a PEM file, as the trust anchors of a root store.
pub fn root_store(path: &Path, setting: &'static str) -> Result<rustls::RootCertStore, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certificates(path, setting)? {
        roots
            .add(cert)
            .map_err(|e| TlsError::caused(setting, format!("{}: {e}", path.display()), e))?;
    }
    Ok(roots)
}

/// The certificates of a PEM file (at least one).
pub fn certificates(
    path: &Path,
    setting: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let unreadable = |e: rustls::pki_types::pem::Error| {
        TlsError::caused(setting, format!("cannot read {}: {e}", path.display()), e)
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(unreadable)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    match certs.is_empty() {
        true => Err(TlsError::new(
            setting,
            format!("{} holds no PEM certificate", path.display()),
        )),
        false => Ok(certs),
    }
}

/// The private key of a PEM file.
pub fn private_key(path: &Path, setting: &'static str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| {
        let message = format!("cannot read a PEM private key from {}: {e}", path.display());
        TlsError::caused(setting, message, e)
    })
}

/// The certificate and key, re-read when their files change.
#[derive(Debug)]
struct Reloading {
    files: ServerFiles,
    provider: Arc<CryptoProvider>,
    every: Duration,
    current: Mutex<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    key: Arc<CertifiedKey>,
    stamps: [Option<SystemTime>; 2],
    checked: Instant,
}

impl Reloading {
    fn new(
        files: &ServerFiles,
        provider: Arc<CryptoProvider>,
        every: Duration,
    ) -> Result<Self, TlsError> {
        let stamps = stamps(files);
        let key = load(files, &provider)?;
        Ok(Self {
            files: files.clone(),
            provider,
            every,
            current: Mutex::new(Loaded {
                key,
                stamps,
                checked: Instant::now(),
            }),
        })
    }

    /// The certificate to present, re-read first when the files changed since the last look.
    fn current(&self) -> Arc<CertifiedKey> {
        let mut loaded = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if loaded.checked.elapsed() >= self.every {
            loaded.checked = Instant::now();
            let now = stamps(&self.files);
            if now != loaded.stamps {
                match load(&self.files, &self.provider) {
                    Ok(key) => {
                        tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                        loaded.key = key;
                        loaded.stamps = now;
                    }
                    // Half-written files during a renewal: keep serving, look again later.
                    Err(e) => {
                        tracing::warn!(error = %e, "TLS certificate not reloaded; the previous one stays in service")
                    }
                }
            }
        }
        loaded.key.clone()
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn stamps(files: &ServerFiles) -> [Option<SystemTime>; 2] {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    [modified(&files.cert), modified(&files.key)]
}

fn load(files: &ServerFiles, provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, TlsError> {
    let [cert_setting, key_setting, _] = files.settings;
    let chain = certificates(&files.cert, cert_setting)?;
    let key = private_key(&files.key, key_setting)?;
    CertifiedKey::from_der(chain, key, provider)
        .map(Arc::new)
        .map_err(|e| {
            TlsError::caused(
                key_setting,
                format!(
                    "{} does not fit {}: {e}",
                    files.key.display(),
                    files.cert.display()
                ),
                e,
            )
        })
}

/// The protocols an HTTPS server offers: HTTP/2 first, HTTP/1.1 for the rest.
pub const HTTP_ALPN: &[&[u8]] = &[b"h2", b"http/1.1"];

/// gRPC needs HTTP/2.
pub const GRPC_ALPN: &[&[u8]] = &[b"h2"];

impl crate::HttpConfig {
    /// HTTPS when `http_tls_cert` and `http_tls_key` are set; plain HTTP when neither is.
    pub fn server_tls(&self) -> Result<Option<ServerTls>, TlsError> {
        let settings = ["http_tls_cert", "http_tls_key", ""];
        server_files(&self.tls_cert, &self.tls_key, &None, settings)?
            .map(|files| ServerTls::from_files(&files, HTTP_ALPN))
            .transpose()
    }
}

impl crate::GrpcConfig {
    /// TLS when `grpc_tls_cert` and `grpc_tls_key` are set (mutual with `grpc_tls_client_ca`);
    /// plaintext when none is.
    pub fn server_tls(&self) -> Result<Option<ServerTls>, TlsError> {
        let settings = ["grpc_tls_cert", "grpc_tls_key", "grpc_tls_client_ca"];
        server_files(&self.tls_cert, &self.tls_key, &self.tls_client_ca, settings)?
            .map(|files| ServerTls::from_files(&files, GRPC_ALPN))
            .transpose()
    }
}

/// The files of a server's TLS, when its settings ask for TLS; a half-given pair is an error.
fn server_files(
    cert: &Option<PathBuf>,
    key: &Option<PathBuf>,
    client_ca: &Option<PathBuf>,
    settings: [&'static str; 3],
) -> Result<Option<ServerFiles>, TlsError> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(ServerFiles {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: client_ca.clone(),
            settings,
        })),
        (None, None) if client_ca.is_none() => Ok(None),
        (None, None) => Err(TlsError::new(
            settings[2],
            format!(
                "needs a server certificate: set {} and {} too",
                variable(settings[0]),
                variable(settings[1])
            ),
        )),
        (Some(_), None) => Err(TlsError::new(
            settings[1],
            format!("{} is set, its key is not", variable(settings[0])),
        )),
        (None, Some(_)) => Err(TlsError::new(
            settings[0],
            format!("{} is set, the certificate is not", variable(settings[1])),
        )),
    }
}

/// The environment variable of a setting.
fn variable(setting: &str) -> String {
    format!("GOTEMP_{}", setting.to_ascii_uppercase())
}

#[cfg(test)]
mod tests;
