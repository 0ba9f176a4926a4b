//! gotemp as a gRPC client over TLS: the CA it trusts and the certificate it shows, from
//! [`gotemp::TlsConfig`] (`GOTEMP_TLS_CA`, `GOTEMP_TLS_CLIENT_CERT`, `GOTEMP_TLS_CLIENT_KEY`).
//! An `https://` URL is checked against that CA, or the system's roots when none is set; an
//! `http://` URL stays plaintext.

use gotemp::TlsConfig;
use gotemp::tls::TlsError;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};

/// The client side of TLS for every `https://` channel this process opens. Files are read and
/// checked now, so a wrong path is said at start, naming the setting.
pub fn client_tls(config: &TlsConfig) -> Result<ClientTlsConfig, TlsError> {
    let mut tls = ClientTlsConfig::new();
    tls = match &config.ca {
        Some(ca) => {
            gotemp::tls::root_store(ca, "tls_ca")?;
            tls.ca_certificate(Certificate::from_pem(read(ca, "tls_ca")?))
        }
        None => tls.with_native_roots(),
    };
    match (&config.client_cert, &config.client_key) {
        (Some(cert), Some(key)) => {
            gotemp::tls::certificates(cert, "tls_client_cert")?;
            gotemp::tls::private_key(key, "tls_client_key")?;
            let identity =
                Identity::from_pem(read(cert, "tls_client_cert")?, read(key, "tls_client_key")?);
            Ok(tls.identity(identity))
        }
        (None, None) => Ok(tls),
        (Some(_), None) => Err(TlsError::new(
            "tls_client_key",
            "GOTEMP_TLS_CLIENT_CERT is set, its key is not",
        )),
        (None, Some(_)) => Err(TlsError::new(
            "tls_client_cert",
            "GOTEMP_TLS_CLIENT_KEY is set, the certificate is not",
        )),
    }
}

/// An endpoint for `url`, over TLS when it is `https://`.
pub fn endpoint(url: &str, tls: &ClientTlsConfig) -> Result<Endpoint, tonic::transport::Error> {
    let endpoint = Endpoint::from_shared(url.to_owned())?;
    match url.starts_with("https://") {
        true => endpoint.tls_config(tls.clone()),
        false => Ok(endpoint),
    }
}

fn read(path: &std::path::Path, setting: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path)
        .map_err(|e| TlsError::caused(setting, format!("cannot read {}: {e}", path.display()), e))
}
