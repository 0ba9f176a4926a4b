//! Authenticating to NATS the ways a deployment does — a token in the URL, an NKey seed — each
//! against a `nats-server` of the test's own that demands it; the wrong secret gets no
//! connection. (User and password over TLS: the facade's `backends_tls` test.)

use gotemp_events::nats::{NatsConnect, connect_with};
use gotemp_testing::{Backend, ServerProcess};
use std::time::Duration;

/// A `nats-server` with `authorization` set to `block` (its configuration syntax).
async fn server(test: &str, block: &str) -> Option<(ServerProcess, std::path::PathBuf)> {
    let conf = std::env::temp_dir().join(format!("gotemp-nats-{}.conf", uuid::Uuid::now_v7()));
    std::fs::write(&conf, format!("authorization {{ {block} }}\n")).unwrap();
    let file = conf.display().to_string();
    let process = ServerProcess::start(Backend::Nats, test, "nats-server", |port| {
        ["-c", &file, "-a", "127.0.0.1", "-p", &port.to_string()]
            .map(String::from)
            .to_vec()
    })
    .await?;
    Some((process, conf))
}

/// Whether a client with `how` at `url` gets an answer from the server within a second (loopback).
async fn answered(url: &str, how: &NatsConnect) -> bool {
    let client = connect_with(url, how).await.unwrap();
    let flushed = tokio::time::timeout(Duration::from_secs(1), client.flush()).await;
    matches!(flushed, Ok(Ok(())))
}

#[tokio::test]
async fn a_token_in_the_url_authenticates_and_a_wrong_one_does_not() {
    let test = "a_token_in_the_url_authenticates_and_a_wrong_one_does_not";
    let Some((server, conf)) = server(test, "token: \"s3cret-token\"").await else {
        return;
    };
    let at = |token: &str| {
        server
            .url("nats")
            .replace("nats://", &format!("nats://{token}@"))
    };
    assert!(answered(&at("s3cret-token"), &NatsConnect::default()).await);
    assert!(!answered(&at("guessed"), &NatsConnect::default()).await);
    assert!(!answered(&server.url("nats"), &NatsConnect::default()).await);
    let _ = std::fs::remove_file(conf);
}

#[tokio::test]
async fn an_nkey_seed_authenticates_and_another_key_does_not() {
    let test = "an_nkey_seed_authenticates_and_another_key_does_not";
    let user = nkeys::KeyPair::new_user();
    let block = format!("users = [ {{ nkey: \"{}\" }} ]", user.public_key());
    let Some((server, conf)) = server(test, &block).await else {
        return;
    };
    let with_seed = |seed: String| NatsConnect {
        nkey: Some(seed.into()),
        ..Default::default()
    };
    assert!(answered(&server.url("nats"), &with_seed(user.seed().unwrap())).await);
    let stranger = nkeys::KeyPair::new_user();
    assert!(!answered(&server.url("nats"), &with_seed(stranger.seed().unwrap())).await);
    let both = NatsConnect {
        creds: Some("/nonexistent.creds".into()),
        ..with_seed(user.seed().unwrap())
    };
    let refused = connect_with(&server.url("nats"), &both)
        .await
        .err()
        .unwrap();
    assert!(refused.to_string().contains("not both"), "{refused}");
    let _ = std::fs::remove_file(conf);
}
