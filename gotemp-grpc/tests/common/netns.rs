//! A network of a test's own, for multicast DNS (which does not cross the loopback interface):
//! a network namespace joined to this one by a veth pair (iproute2, root), gotemp-grpc
//! processes inside it finding each other by mDNS, the test calling them over the veth.

use super::{first_line, stop};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// The token secret only the user service of a [`Trio`] knows.
const SECRET: &str = "2NBavZ+mBjfXEIKQ+F1kySHMiI+pCszeLcSAtAB1zvA=";

/// A network namespace of the test's own, with a veth pair to this namespace.
pub struct Network {
    namespace: String,
    /// This namespace's end of the pair.
    outside: String,
    /// The address the processes inside get.
    pub inside_ip: String,
    /// This namespace's address on the pair.
    pub outside_ip: String,
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
    /// Makes the namespace and the pair; why not, when this process may not (not root, no `ip`).
    pub fn create() -> Result<Self, String> {
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
pub type Log = Arc<Mutex<String>>;

/// Starts `gotemp-grpc` inside the namespace; returns it, the port it printed and its log.
pub async fn spawn(net: &Network, args: &[&str], env: &[(&str, String)]) -> (Child, u16, Log) {
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
    let line = first_line(&mut child).await;
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
pub struct Trio {
    users: Child,
    customers: Child,
    promotions: Child,
    pub user_port: u16,
    pub promotion_port: u16,
    pub users_log: Log,
    pub promotions_log: Log,
}

impl Trio {
    /// Starts the three inside `net`.
    pub async fn start(net: &Network, dir: &std::path::Path, extra: &[(&str, String)]) -> Self {
        let with = |name: &str, secret: bool| {
            let mut env = vec![
                (
                    "GOTEMP_STORAGE",
                    format!("sqlite://{}/{name}.db", dir.display()),
                ),
                ("GOTEMP_ADMIN_EMAIL", "ops@gotemp.example".to_owned()),
                (
                    "GOTEMP_ADMIN_PASSWORD",
                    "ops password of the tests".to_owned(),
                ),
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

    /// Stops them with SIGTERM, each exiting cleanly.
    pub async fn stop(self) {
        stop(self.promotions).await;
        stop(self.customers).await;
        stop(self.users).await;
    }
}
