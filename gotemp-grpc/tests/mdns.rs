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

use common::{future, stop};

use gotemp_grpc::client::GotempClient;
use gotemp_grpc::discovery::mdns::MdnsDiscovery;
use gotemp_grpc::pb::promotion::CreatePromotionRequest;
use gotemp_grpc::server::ServiceName;
use gotemp_store::testing;
use gotemp_store::testing::pki::Pki;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

const SECRET: &str = "2NBavZ+mBjfXEIKQ+F1kySHMiI+pCszeLcSAtAB1zvA=";
const TEST: &str = "three_services_find_each_other_by_mdns_only";

/// A network namespace of the test's own, with a veth pair to this namespace.
struct Network {
    namespace: String,
    /// This namespace's end of the pair.
    outside: String,
    /// The address the processes inside get.
    inside_ip: String,
    /// This namespace's address on the pair.
    outside_ip: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    match out.status.success() {
        true => Ok(()),
        false => Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

impl Network {
    fn create() -> Result<Self, String> {
        // Two tests of this binary may run at once (nextest runs each in a process of its own).
        let n = std::process::id() % 250;
        let net = Network {
            namespace: format!("gotemp-mdns-{}", std::process::id()),
            outside: format!("gtmo{n}"),
            inside_ip: format!("10.213.{n}.1"),
            outside_ip: format!("10.213.{n}.254"),
        };
        let inside = format!("gtmi{n}");
        let host = format!("{}/24", net.outside_ip);
        let addr = format!("{}/24", net.inside_ip);
        let ns = net.namespace.as_str();
        ip(&["netns", "add", ns])?;
        let setup = || -> Result<(), String> {
            ip(&[
                "link",
                "add",
                &net.outside,
                "type",
                "veth",
                "peer",
                "name",
                &inside,
            ])?;
            ip(&["link", "set", &inside, "netns", ns])?;
            ip(&["addr", "add", &host, "dev", &net.outside])?;
            ip(&["link", "set", &net.outside, "up"])?;
            ip(&[
                "netns", "exec", ns, "ip", "addr", "add", &addr, "dev", &inside,
            ])?;
            ip(&["netns", "exec", ns, "ip", "link", "set", &inside, "up"])?;
            ip(&["netns", "exec", ns, "ip", "link", "set", "lo", "up"])
        };
        setup().map(|()| net)
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        // Deleting the namespace destroys the veth pair with it.
        let _ = ip(&["netns", "del", &self.namespace]);
        let _ = ip(&["link", "del", &self.outside]);
    }
}

/// What a process wrote to its standard error so far.
type Log = Arc<Mutex<String>>;

/// Starts `gotemp-grpc` inside the namespace; returns it, the port it printed and its log.
async fn spawn(net: &Network, args: &[&str], env: &[(&str, String)]) -> (Child, u16, Log) {
    let mut child = Command::new("ip")
        .args([
            "netns",
            "exec",
            &net.namespace,
            env!("CARGO_BIN_EXE_gotemp-grpc"),
        ])
        .args(args)
        .args(["--discovery", "mdns"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("GOTEMP_GRPC_ADDR", "0.0.0.0:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("ip netns exec starts");
    let log = Log::default();
    let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
    let kept = log.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = errors.next_line().await {
            eprintln!("{line}");
            kept.lock().unwrap().push_str(&line);
        }
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("the server says where it listens within 30 s")
        .unwrap()
        .expect("a line on stdout");
    let port = line
        .strip_prefix("gotemp-grpc listening on 0.0.0.0:")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"));
    (child, port, log)
}

/// The original's topology: the user, customer and promotion services, each its own process on
/// a SQLite file in `dir`, finding each other by mDNS; only the user service has the token
/// secret. `extra` settings go to all three.
struct Trio {
    users: Child,
    customers: Child,
    promotions: Child,
    user_port: u16,
    promotion_port: u16,
    users_log: Log,
    promotions_log: Log,
}

impl Trio {
    async fn start(net: &Network, dir: &std::path::Path, extra: &[(&str, String)]) -> Self {
        let with = |name: &str, secret: bool| {
            let mut env = vec![
                (
                    "GOTEMP_STORAGE",
                    format!("sqlite://{}/{name}.db", dir.display()),
                ),
                ("GOTEMP_ADMIN_EMAIL", "ops@gotemp.example".to_owned()),
                ("GOTEMP_ADMIN_PASSWORD", "ops password".to_owned()),
            ];
            env.extend(extra.iter().cloned());
            if secret {
                env.push(("GOTEMP_JWT_SECRET", SECRET.to_owned()));
            }
            env
        };
        let user = ["--services", "user", "--seed"];
        let (users, user_port, users_log) = spawn(net, &user, &with("users", true)).await;
        let customer = ["--services", "customer", "--seed"];
        let (customers, _, _) = spawn(net, &customer, &with("customers", false)).await;
        let promotion = ["--services", "promotion"];
        let (promotions, promotion_port, promotions_log) =
            spawn(net, &promotion, &with("promotions", false)).await;
        Self {
            users,
            customers,
            promotions,
            user_port,
            promotion_port,
            users_log,
            promotions_log,
        }
    }

    async fn stop(self) {
        stop(self.promotions).await;
        stop(self.customers).await;
        stop(self.users).await;
    }
}

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
        .login("ops@gotemp.example", "ops password")
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
            .login("ops@gotemp.example", "ops password")
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
