use super::*;
use gotemp_testing::pki::Pki;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn files_in(dir: &Path) -> ServerFiles {
    ServerFiles {
        cert: dir.join("live.pem"),
        key: dir.join("live.key"),
        client_ca: None,
        settings: ["http_tls_cert", "http_tls_key", ""],
    }
}

/// Puts `pki`'s server certificate and key where the server reads them.
fn install(pki: &Pki, files: &ServerFiles) {
    std::fs::copy(pki.path("server.pem"), &files.cert).unwrap();
    std::fs::copy(pki.path("server.key"), &files.key).unwrap();
}

/// Whether a client trusting `ca` completes a handshake with the server and gets its echo.
async fn trusted_by(ca: &Path, addr: std::net::SocketAddr) -> bool {
    let roots = root_store(ca, "test CA").unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let Ok(mut tls) = connector.connect(name, tcp).await else {
        return false;
    };
    tls.write_all(b"ping").await.unwrap();
    let mut answer = [0u8; 4];
    tls.read_exact(&mut answer).await.is_ok() && &answer == b"ping"
}

#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart_and_a_broken_one_is_not() {
    let (first, second) = (Pki::new(&[]), Pki::new(&[]));
    let files = files_in(first.dir());
    install(&first, &files);
    let tls = ServerTls::reloading_every(&files, HTTP_ALPN, Duration::ZERO).unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = tcp.local_addr().unwrap();
    let mut listener = tls.listen(tcp);
    let echo = tokio::spawn(async move {
        loop {
            if let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 4];
                    if stream.read_exact(&mut buf).await.is_ok() {
                        let _ = stream.write_all(&buf).await;
                    }
                });
            }
        }
    });
    let (ca1, ca2) = (first.path("ca.pem"), second.path("ca.pem"));
    assert!(trusted_by(&ca1, addr).await);
    assert!(!trusted_by(&ca2, addr).await);

    install(&second, &files);
    assert!(
        trusted_by(&ca2, addr).await,
        "the renewed certificate is served"
    );
    assert!(!trusted_by(&ca1, addr).await, "the old one is not");

    // A renewal caught half-way: the certificate in service stays.
    std::fs::write(&files.cert, "-----BEGIN CERTIFICATE-----\\ntruncated").unwrap();
    assert!(
        trusted_by(&ca2, addr).await,
        "a broken file keeps the previous certificate"
    );
    echo.abort();
}

#[test]
fn a_half_given_pair_or_an_unreadable_file_is_refused_naming_the_setting() {
    let half = crate::HttpConfig {
        tls_cert: Some("cert.pem".into()),
        ..Default::default()
    };
    let e = half.server_tls().unwrap_err().to_string();
    assert!(e.starts_with("http_tls_key (GOTEMP_HTTP_TLS_KEY)"), "{e}");
    let ca_alone = crate::GrpcConfig {
        tls_client_ca: Some("ca.pem".into()),
        ..Default::default()
    };
    let e = ca_alone.server_tls().unwrap_err().to_string();
    assert!(
        e.starts_with("grpc_tls_client_ca (GOTEMP_GRPC_TLS_CLIENT_CA)"),
        "{e}"
    );
    let missing = crate::GrpcConfig {
        tls_cert: Some("/nonexistent/cert.pem".into()),
        tls_key: Some("/nonexistent/cert.key".into()),
        ..Default::default()
    };
    let e = missing.server_tls().unwrap_err().to_string();
    assert!(
        e.starts_with("grpc_tls_cert (GOTEMP_GRPC_TLS_CERT): cannot read /nonexistent/cert.pem"),
        "{e}"
    );
    let pki = Pki::new(&[]);
    let mismatched = crate::GrpcConfig {
        tls_cert: Some(pki.path("server.pem")),
        tls_key: Some(pki.path("client.key")),
        ..Default::default()
    };
    let e = mismatched.server_tls().unwrap_err().to_string();
    assert!(e.contains("does not fit"), "{e}");
    assert!(crate::HttpConfig::default().server_tls().unwrap().is_none());
}
