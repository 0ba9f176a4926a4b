//! A flood of wrong logins (a benchmark, not a test): 500 at once, each for another unknown
//! e-mail from another source address (127.0.x.y), so neither the per-account back-off nor the
//! per-address limit stops them and every one runs argon2 — the worst case for memory. Measures
//! the server's peak resident memory (the server runs in a process of its own: this benchmark
//! started again with `GOTEMP_FLOOD_SERVE`), what the attempts were answered, and the latency of
//! a valid login during the flood against the same login with no flood, in the same run.
//! Appends its figures to `GOTEMP_BENCH_OUT` when set.
//!
//! ```sh
//! cargo bench --bench login_flood          # GOTEMP_BENCH_FLOOD=500
//! ```

use gotemp::{Config, Gotemp, SecretString};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

const ADMIN: &str = "admin@flood.example";
const PASSWORD: &str = "the admin's password";

/// Resident memory of process `pid` now and at its peak (VmRSS, VmHWM), in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn login(client: &reqwest::Client, base: &str, email: &str, password: &str) -> u16 {
    let body = serde_json::json!({"email": email, "password": password});
    match client
        .post(format!("{base}/v1/auth/login"))
        .json(&body)
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// `n` valid logins one after the other, each tried again 100 ms after a 503 (the hashing queue
/// full: shed, as a client retrying would see it); how long each took until it got in, in
/// milliseconds, sorted, and how many tries were shed.
async fn valid_logins(base: &str, n: usize) -> (Vec<f64>, usize) {
    let client = reqwest::Client::new();
    let mut ms = Vec::with_capacity(n);
    let mut shed = 0;
    for _ in 0..n {
        let started = Instant::now();
        loop {
            match login(&client, base, ADMIN, PASSWORD).await {
                200 => break,
                503 => {
                    shed += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => panic!("a valid login answered {other}"),
            }
        }
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    (ms, shed)
}

/// The server side: the embedded default on a scratch SQLite file, seeded; prints its address.
async fn serve() {
    let dir = std::env::temp_dir().join(format!("gotemp-flood-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = Config::embedded(SecretString::from(
        "vRj4F+PD+d7W5yds3aEqI8uTavnI6Sz0DBFCQIq4+C4=",
    ));
    config.storage.url = gotemp::Store::sqlite_file(dir.join("flood.db"));
    config.auth.admin_email = ADMIN.into();
    config.auth.admin_password = SecretString::from(PASSWORD);
    let app = Gotemp::open(&config).await.unwrap();
    app.seed(&config).await.unwrap();
    let router = gotemp_http::router(app, None, &config.http.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening on http://{}", listener.local_addr().unwrap());
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let serving = axum::serve(listener, service);
    // Ends when the benchmark closes our standard input.
    let stdin_closed = tokio::task::spawn_blocking(|| {
        let _ = std::io::Read::read(&mut std::io::stdin(), &mut [0u8; 1]);
    });
    tokio::select! {
        _ = serving => {}
        _ = stdin_closed => {}
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::main]
async fn main() {
    if std::env::var_os("GOTEMP_FLOOD_SERVE").is_some() {
        return serve().await;
    }
    let flood: usize = std::env::var("GOTEMP_BENCH_FLOOD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let mut server = std::process::Command::new(std::env::current_exe().unwrap())
        .env("GOTEMP_FLOOD_SERVE", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the server process starts");
    let pid = server.id();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let base = line.trim().trim_start_matches("listening on ").to_owned();

    let (calm, _) = valid_logins(&base, 5).await;
    let (before, _) = memory(pid);
    let started = Instant::now();
    let attempts: Vec<_> = (0..flood)
        .map(|i| {
            let source = IpAddr::V4(Ipv4Addr::new(
                127,
                0,
                1 + (i / 250) as u8,
                1 + (i % 250) as u8,
            ));
            let client = reqwest::Client::builder()
                .local_address(source)
                .build()
                .unwrap();
            let base = base.clone();
            tokio::spawn(async move {
                let email = format!("nobody{i}@flood.example");
                login(&client, &base, &email, "wrong password").await
            })
        })
        .collect();
    // A valid login while the flood is in flight.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (during, shed) = valid_logins(&base, 3).await;
    let mut answers: BTreeMap<u16, usize> = BTreeMap::new();
    for attempt in attempts {
        *answers.entry(attempt.await.unwrap_or(0)).or_default() += 1;
    }
    let took = started.elapsed();
    let (after, peak) = memory(pid);
    drop(server.stdin.take());
    let _ = server.wait();
    let answered: Vec<String> = answers.iter().map(|(s, n)| format!("{n} × {s}")).collect();
    let report = format!(
        "{flood} wrong logins at once, each another unknown e-mail from another address: \
         answered in {:.1} s ({}).\n\
         Resident memory of the server: {before:.1} MiB before, peak {peak:.1} MiB, \
         {after:.1} MiB after.\n\
         A valid login: {:.0} ms with no flood (median of 5); during the flood {:.0} ms \
         (fastest), {:.0} ms (slowest of 3, until it got in; {shed} tries shed with 503 and \
         tried again): {:.1} × the calm one.\n",
        took.as_secs_f64(),
        answered.join(", "),
        calm[calm.len() / 2],
        during[0],
        during[during.len() - 1],
        during[during.len() - 1] / calm[calm.len() / 2],
    );
    print!("{report}");
    if let Ok(out) = std::env::var("GOTEMP_BENCH_OUT") {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(out)
            .unwrap();
        let commit = std::env::var("GOTEMP_BENCH_COMMIT").unwrap_or_else(|_| "unknown".into());
        let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
        let heading = format!("## Login flood ({date}, commit `{commit}`)");
        writeln!(file, "\n{heading}\n\n```text\n{report}```").unwrap();
    }
}
