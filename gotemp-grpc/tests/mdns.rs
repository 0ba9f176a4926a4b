//! The original's topology found by multicast DNS alone: the user, customer and promotion
//! services as three `gotemp-grpc` processes with no configured addresses and no shared token
//! secret but the user service's, announcing themselves and finding each other by mDNS; a
//! promotion create then needs all three (token checked by the user service, customer checked
//! by the customer service with the caller's token).
//!
//! Multicast does not work on the loopback interface, so the test makes its own network: a
//! network namespace joined to this one by a veth pair (iproute2, root), the processes inside
//! it, the test calling them over the veth. Without root or `ip` it reports a skip.

mod common;

use common::future;
use common::netns::{Network, Trio};
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::discovery::mdns::MdnsDiscovery;
use gotemp_grpc::pb::promotion::CreatePromotionRequest;
use gotemp_grpc::server::ServiceName;
use gotemp_testing as testing;
use gotemp_testing::pki::Pki;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const TEST: &str = "three_services_find_each_other_by_mdns_only";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_services_find_each_other_by_mdns_only() {
    let net = match Network::create() {
        Ok(net) => net,
        Err(why) => {
            return testing::skip_for_want_of::<()>("netns", TEST, &why).unwrap_or(());
        }
    };
    let dir = std::env::temp_dir().join(format!("gotemp-mdns-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    // Only the user service knows the secret; nobody is told where anybody is.
    let trio = Trio::start(&net, &dir, &[]).await;
    let (users_log, user_port, promotion_port) =
        (&trio.users_log, trio.user_port, trio.promotion_port);

    // Without TLS nothing proves a discovered peer is ours, and each process says so at start.
    let warned = || {
        users_log
            .lock()
            .unwrap()
            .contains("peers are not authenticated")
    };
    for _ in 0..50 {
        if warned() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        warned(),
        "--discovery mdns warns that its peers are not authenticated"
    );

    let at = |port: u16| format!("http://{}:{port}", net.inside_ip);
    let mut login = GotempClient::connect(&at(user_port)).await.unwrap();
    let token = login
        .login("ops@gotemp.example", "ops password of the tests")
        .await
        .unwrap()
        .token;
    let mut client = GotempClient::connect(&at(promotion_port)).await.unwrap();
    client.set_token(&token).unwrap();
    let request = |name: &str, customer: &str| CreatePromotionRequest {
        name: name.into(),
        valid_from: future(0),
        valid_thru: future(10),
        customer_id: customer.into(),
        ..Default::default()
    };
    let created = client
        .promotions()
        .create_promotion(request("Found by mDNS", "ducksrus"))
        .await
        .expect("a create needing the user and customer services found by mDNS")
        .into_inner();
    assert_eq!(created.customer_name.as_deref(), Some("Ducks R Us"));
    let unknown = client
        .promotions()
        .create_promotion(request("No such customer", "nobody"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::InvalidArgument, "{unknown:?}");
    client.set_token("not-a-token").unwrap();
    let refused = client
        .promotions()
        .create_promotion(request("Refused", "ducksrus"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);

    trio.stop().await;
    drop(net);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Under TLS, a host that announces itself as the user service but cannot show a certificate
/// from the deployment's CA naming `user` is never used: calls go to the real one, and the
/// impostor sees handshakes that fail before a token could be sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_tls_a_rogue_announcer_gets_no_token() {
    const ROGUE: &str = "under_tls_a_rogue_announcer_gets_no_token";
    let net = match Network::create() {
        Ok(net) => net,
        Err(why) => {
            return testing::skip_for_want_of::<()>("netns", ROGUE, &why).unwrap_or(());
        }
    };
    let pki = Pki::new(&["user", "customer", "promotion"]);
    let path = |f: &str| pki.path(f).display().to_string();
    let tls = [
        ("GOTEMP_GRPC_TLS_CERT", path("server.pem")),
        ("GOTEMP_GRPC_TLS_KEY", path("server.key")),
        ("GOTEMP_TLS_CA", path("ca.pem")),
    ];

    // The impostor: announces `user` at an address of its own, with a certificate of another CA.
    let files = gotemp::tls::ServerFiles {
        cert: pki.path("rogue.pem"),
        key: pki.path("rogue.key"),
        client_ca: None,
        settings: ["rogue cert", "rogue key", ""],
    };
    let rogue = gotemp::tls::ServerTls::from_files(&files, gotemp::tls::GRPC_ALPN).unwrap();
    let tcp = tokio::net::TcpListener::bind((net.outside_ip.as_str(), 0))
        .await
        .unwrap();
    let rogue_addr = tcp.local_addr().unwrap();
    let (failed, completed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut incoming = rogue.listen(tcp);
    let counts = (failed.clone(), completed.clone());
    let impostor = tokio::spawn(async move {
        use futures::StreamExt as _;
        while let Some(handshake) = incoming.next().await {
            let count = if handshake.is_ok() {
                &counts.1
            } else {
                &counts.0
            };
            count.fetch_add(1, Ordering::SeqCst);
        }
    });
    let announcer = MdnsDiscovery::new().unwrap();

    let trio = Trio::start(&net, pki.dir(), &tls).await;
    let (user_port, promotion_port) = (trio.user_port, trio.promotion_port);
    assert!(
        !trio
            .promotions_log
            .lock()
            .unwrap()
            .contains("peers are not authenticated"),
        "no warning when peers are checked"
    );

    let tls = |name: &str| {
        let config = gotemp::TlsConfig {
            ca: Some(pki.path("ca.pem")),
            ..Default::default()
        };
        gotemp_grpc::tls::client_tls(&config)
            .unwrap()
            .domain_name(name)
    };
    let at = |port: u16| format!("https://{}:{port}", net.inside_ip);
    let mut created = 0;
    // Fresh tokens (a token checked once is remembered), until the promotion process has tried
    // the impostor a few times. The impostor turns up once the real user service answers.
    for round in 0..40 {
        if round == 1 {
            announcer
                .announce(&[ServiceName::User], rogue_addr)
                .unwrap();
        }
        let mut login = GotempClient::connect_with(&at(user_port), &tls("user"))
            .await
            .unwrap();
        let token = login
            .login("ops@gotemp.example", "ops password of the tests")
            .await
            .unwrap()
            .token;
        let mut client = GotempClient::connect_with(&at(promotion_port), &tls("promotion"))
            .await
            .unwrap();
        client.set_token(&token).unwrap();
        client
            .promotions()
            .create_promotion(CreatePromotionRequest {
                name: format!("Checked peers {round}"),
                valid_from: future(0),
                valid_thru: future(10),
                customer_id: "ducksrus".into(),
                ..Default::default()
            })
            .await
            .expect("every create succeeds: the token goes to the real user service");
        created += 1;
        if failed.load(Ordering::SeqCst) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        failed.load(Ordering::SeqCst) >= 1,
        "the impostor was found and tried ({created} creates)"
    );
    assert_eq!(
        completed.load(Ordering::SeqCst),
        0,
        "no handshake with the impostor completed, so no token reached it"
    );

    announcer.withdraw().await;
    impostor.abort();
    trio.stop().await;
    drop(net);
}
