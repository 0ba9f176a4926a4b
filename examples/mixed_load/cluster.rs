//! The running local cluster: its endpoints, its processes, and `scripts/cluster`'s verbs for
//! injecting faults.

use crate::Error;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub struct Cluster {
    dir: PathBuf,
    script: PathBuf,
    endpoints: BTreeMap<String, String>,
}

impl Cluster {
    /// The cluster in `GOTEMP_CLUSTER_DIR` (default /tmp/gotemp-cluster), controlled by
    /// `GOTEMP_CLUSTER_SCRIPT` (default scripts/cluster).
    pub fn open() -> Result<Self, Error> {
        let dir = PathBuf::from(
            std::env::var("GOTEMP_CLUSTER_DIR").unwrap_or_else(|_| "/tmp/gotemp-cluster".into()),
        );
        let script = PathBuf::from(
            std::env::var("GOTEMP_CLUSTER_SCRIPT").unwrap_or_else(|_| "scripts/cluster".into()),
        );
        let text = std::fs::read_to_string(dir.join("endpoints")).map_err(|e| {
            format!(
                "no cluster in {} ({e}): start one with scripts/cluster up",
                dir.display()
            )
        })?;
        let endpoints = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(Self {
            dir,
            script,
            endpoints,
        })
    }

    pub fn get(&self, key: &str) -> Result<&str, Error> {
        self.endpoints
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| format!("the cluster's endpoints file names no {key}").into())
    }

    /// The replicas' URLs of a service (`user` → user1, user2, …).
    pub fn replicas(&self, service: &str) -> Vec<String> {
        (1..)
            .map_while(|n| self.endpoints.get(&format!("{service}{n}")).cloned())
            .collect()
    }

    /// Runs `scripts/cluster <args>`.
    pub async fn control(&self, args: &[&str]) -> Result<(), Error> {
        let status = tokio::process::Command::new("bash")
            .arg(&self.script)
            .args(args)
            .env("GOTEMP_CLUSTER_DIR", &self.dir)
            .status()
            .await?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("scripts/cluster {} failed ({status})", args.join(" ")).into())
        }
    }

    /// Every process of the cluster but PostgreSQL's: name and pid.
    pub fn processes(&self) -> Vec<(String, u32)> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("pids")) else {
            return Vec::new();
        };
        let mut list: Vec<(String, u32)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let pid = std::fs::read_to_string(e.path())
                    .ok()?
                    .trim()
                    .parse()
                    .ok()?;
                Some((name, pid))
            })
            .collect();
        list.sort();
        list
    }

    /// PostgreSQL's postmaster, for its memory and descriptors.
    pub fn postgres_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.dir.join("pg/postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// The name of the cluster process that owns the TCP connection from local `port`.
    pub fn owner_of_port(&self, port: u16) -> Option<String> {
        let inode = socket_inode(port)?;
        let target = format!("socket:[{inode}]");
        self.processes().into_iter().find_map(|(name, pid)| {
            let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
            fds.flatten()
                .any(|fd| {
                    std::fs::read_link(fd.path())
                        .map(|l| l.to_string_lossy() == target)
                        .unwrap_or(false)
                })
                .then_some(name)
        })
    }
}

/// The inode of the IPv4 or IPv6 TCP socket bound to local `port` (from /proc/net/tcp*).
fn socket_inode(port: u16) -> Option<String> {
    let wanted = format!("{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|t| t.lines().skip(1).map(str::to_owned).collect::<Vec<_>>())
        .find_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let local_port = cols.get(1)?.rsplit(':').next()?;
            (local_port == wanted).then(|| cols.get(9).map(|s| (*s).to_owned()))?
        })
}
