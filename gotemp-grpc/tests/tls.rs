//! The `gotemp-grpc` binary over mutual TLS, deployed apart: the user and customer services in
//! one process, the promotion service in another that checks tokens and looks customers up
//! across — every link TLS with client certificates from the deployment's CA, set by the
//! documented variables. A client with the wrong CA, without a client certificate, with one
//! from another CA, or in plaintext is refused.

mod common;

use common::{future, spawn, stop};

use gotemp::TlsConfig;
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::promotion::CreatePromotionRequest;
use gotemp_testing::pki::Pki;

const SECRET: &str = "0FWB2CTgahkJwdsl3fWIQMqMIYkc/kZrfHs+U0OWOQU=";

fn client_tls(pki: &Pki, ca: &str, client: Option<&str>) -> tonic::transport::ClientTlsConfig {
    let tls = TlsConfig {
        ca: Some(pki.path(ca)),
        client_cert: client.map(|c| pki.path(&format!("{c}.pem"))),
        client_key: client.map(|c| pki.path(&format!("{c}.key"))),
    };
    gotemp_grpc::tls::client_tls(&tls).expect("the test certificates load")
}

/// Logs in as the administrator at `url`: the token, or the error in words when anything
/// refuses.
async fn log_in(url: &str, tls: &tonic::transport::ClientTlsConfig) -> Result<String, String> {
    let mut client = GotempClient::connect_with(url, tls)
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    let answer = client
        .login("ops@gotemp.example", "ops password of the tests")
        .await
        .map_err(|e| format!("login: {e:?}"))?;
    Ok(answer.token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_apart_talk_over_mutual_tls_and_refuse_strangers() {
    let pki = Pki::new(&["user", "customer", "promotion"]);
    let path = |f: &str| pki.path(f).display().to_string();
    let (cert, key, ca) = (path("server.pem"), path("server.key"), path("ca.pem"));
    let (client_cert, client_key) = (path("client.pem"), path("client.key"));
    let db = |name: &str| format!("sqlite://{}/{name}.db", pki.dir().display());
    let (users_db, promotions_db) = (db("users"), db("promotions"));
    let server_tls = [
        ("GOTEMP_GRPC_TLS_CERT", cert.as_str()),
        ("GOTEMP_GRPC_TLS_KEY", key.as_str()),
        ("GOTEMP_GRPC_TLS_CLIENT_CA", ca.as_str()),
    ];
    let mut env = vec![
        ("GOTEMP_STORAGE", users_db.as_str()),
        ("GOTEMP_SERVICES", "user,customer"),
        ("GOTEMP_JWT_SECRET", SECRET),
        (
            "GOTEMP_AUDIT_SIGNING_KEY",
            gotemp_testing::AUDIT_SIGNING_KEY,
        ),
        ("GOTEMP_ADMIN_EMAIL", "ops@gotemp.example"),
        ("GOTEMP_ADMIN_PASSWORD", "ops password of the tests"),
        ("GOTEMP_SEED", "true"),
    ];
    env.extend(server_tls);
    let (users, users_url) = spawn(&env).await;
    assert!(users_url.starts_with("https://localhost:"), "{users_url}");
    let mut env = vec![
        ("GOTEMP_STORAGE", promotions_db.as_str()),
        ("GOTEMP_SERVICES", "promotion"),
        ("GOTEMP_USER_SERVICE_URL", users_url.as_str()),
        ("GOTEMP_CUSTOMER_SERVICE_URL", users_url.as_str()),
        ("GOTEMP_TLS_CA", ca.as_str()),
        ("GOTEMP_TLS_CLIENT_CERT", client_cert.as_str()),
        ("GOTEMP_TLS_CLIENT_KEY", client_key.as_str()),
    ];
    env.extend(server_tls);
    let (promotions, promotions_url) = spawn(&env).await;

    let trusted = client_tls(&pki, "ca.pem", Some("client"));
    let token = log_in(&users_url, &trusted)
        .await
        .expect("a trusted client logs in");
    let mut client = GotempClient::connect_with(&promotions_url, &trusted)
        .await
        .unwrap();
    client.set_token(&token).unwrap();
    let created = client
        .promotions()
        .create_promotion(CreatePromotionRequest {
            name: "Over mutual TLS".into(),
            valid_from: future(0),
            valid_thru: future(10),
            customer_id: "ducksrus".into(),
            ..Default::default()
        })
        .await
        .expect("the token is checked and the customer looked up across, over mutual TLS")
        .into_inner();
    assert_eq!(created.customer_name.as_deref(), Some("Ducks R Us"));

    let plaintext = users_url.replace("https://localhost", "http://127.0.0.1");
    for (who, url, tls) in [
        (
            "a client trusting another CA",
            &users_url,
            client_tls(&pki, "rogue-ca.pem", Some("client")),
        ),
        (
            "a client without a certificate",
            &users_url,
            client_tls(&pki, "ca.pem", None),
        ),
        (
            "a client with another CA's certificate",
            &promotions_url,
            client_tls(&pki, "ca.pem", Some("rogue-client")),
        ),
        (
            // A deployment's backends get server-only certificates from the same CA: none of
            // them can call a gotemp service, ValidateToken included.
            "a backend's server-only certificate",
            &users_url,
            client_tls(&pki, "ca.pem", Some("backend")),
        ),
        ("a plaintext client", &plaintext, trusted.clone()),
    ] {
        let refused = log_in(url, &tls).await;
        assert!(refused.is_err(), "{who} is refused");
    }

    stop(promotions).await;
    stop(users).await;
}
