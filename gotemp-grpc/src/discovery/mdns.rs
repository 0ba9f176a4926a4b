//! Multicast DNS, as the original's registry: each process announces the services it serves as
//! `_gt-<service>._tcp.local.` (a service name may have 15 characters at most, RFC 6763, so
//! `_gotemp-promotion` would be refused) with its address and port, withdraws them on shutdown, and
//! browses the services it calls in the background. Lookups read what browsing found; they
//! never send a query on the request path.

use super::Discovery;
use crate::service_name::ServiceName;
use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

/// The mDNS service type of a gotemp service: `_gt-promotion._tcp.local.`.
pub fn service_type(service: ServiceName) -> String {
    format!("_gt-{}._tcp.local.", service.name())
}

/// Announces and finds gotemp services by multicast DNS.
pub struct MdnsDiscovery {
    daemon: ServiceDaemon,
    secure: bool,
    watches: Mutex<HashMap<ServiceName, watch::Receiver<Vec<String>>>>,
    announced: Mutex<Vec<String>>,
}

impl MdnsDiscovery {
    /// Starts the mDNS responder (a thread of its own). Peers found are called in plaintext and
    /// nothing proves they are gotemp's: only for a network you control.
    pub fn new() -> Result<Self, mdns_sd::Error> {
        Self::start(false)
    }

    /// Like [`MdnsDiscovery::new`], but peers are called over TLS, and one is used only if its
    /// certificate chains to the configured CA and names the service it announced (`user`,
    /// `customer`, …): a host that merely announces gets no call and no token.
    pub fn secure() -> Result<Self, mdns_sd::Error> {
        Self::start(true)
    }

    fn start(secure: bool) -> Result<Self, mdns_sd::Error> {
        Ok(Self {
            daemon: ServiceDaemon::new()?,
            secure,
            watches: Mutex::default(),
            announced: Mutex::default(),
        })
    }

    /// Announces `services` at `addr`. An unspecified address (`0.0.0.0`) announces every
    /// address of the host's interfaces, kept current as they change.
    pub fn announce(
        &self,
        services: &[ServiceName],
        addr: SocketAddr,
    ) -> Result<(), mdns_sd::Error> {
        let host = hostname();
        for service in services {
            // Unique per process, so two instances on one host are two instances.
            let instance = format!("{}-{}-{}", service.name(), addr.port(), std::process::id());
            let ip = addr.ip();
            let addresses: Vec<IpAddr> = if ip.is_unspecified() {
                vec![]
            } else {
                vec![ip]
            };
            let mut info = ServiceInfo::new(
                &service_type(*service),
                &instance,
                &format!("{host}.local."),
                &addresses[..],
                addr.port(),
                None,
            )?;
            if ip.is_unspecified() {
                info = info.enable_addr_auto();
            }
            let fullname = info.get_fullname().to_owned();
            self.daemon.register(info)?;
            lock(&self.announced).push(fullname);
        }
        Ok(())
    }

    /// Withdraws every announcement (peers drop this instance at once) and stops the responder.
    pub async fn withdraw(&self) {
        let names = std::mem::take(&mut *lock(&self.announced));
        for name in names {
            if let Ok(done) = self.daemon.unregister(&name) {
                let _ = tokio::time::timeout(Duration::from_secs(2), done.recv_async()).await;
            }
        }
        if let Ok(done) = self.daemon.shutdown() {
            let _ = tokio::time::timeout(Duration::from_secs(2), done.recv_async()).await;
        }
    }
}

impl Discovery for MdnsDiscovery {
    fn watch(&self, service: ServiceName) -> watch::Receiver<Vec<String>> {
        let mut watches = lock(&self.watches);
        if let Some(rx) = watches.get(&service) {
            return rx.clone();
        }
        let (tx, rx) = watch::channel(Vec::new());
        match self.daemon.browse(&service_type(service)) {
            Ok(events) => {
                let scheme = if self.secure { "https" } else { "http" };
                tokio::spawn(follow(events, tx, scheme));
            }
            Err(e) => tracing::warn!(service = service.name(), error = %e, "mDNS browse failed"),
        }
        watches.insert(service, rx.clone());
        rx
    }

    fn server_name(&self, service: ServiceName) -> Option<String> {
        self.secure.then(|| service.name().to_owned())
    }
}

/// Keeps `tx` at the endpoints the browse events describe, one per announced instance.
async fn follow(
    events: mdns_sd::Receiver<ServiceEvent>,
    tx: watch::Sender<Vec<String>>,
    scheme: &'static str,
) {
    let mut instances: BTreeMap<String, String> = BTreeMap::new();
    while let Ok(event) = events.recv_async().await {
        let changed = match event {
            ServiceEvent::ServiceResolved(found) => {
                let mut ips: Vec<IpAddr> = found.addresses.iter().map(|a| a.to_ip_addr()).collect();
                // Prefer IPv4 and non-loopback addresses: reachable from other hosts.
                ips.sort_by_key(|ip| (ip.is_loopback(), ip.is_ipv6(), *ip));
                match ips.first() {
                    Some(ip) => {
                        let url = format!("{scheme}://{}", SocketAddr::new(*ip, found.port));
                        tracing::info!(instance = %found.fullname, %url, "mDNS: instance found");
                        let previous = instances.insert(found.fullname.clone(), url.clone());
                        previous.as_deref() != Some(url.as_str())
                    }
                    None => false,
                }
            }
            ServiceEvent::ServiceRemoved(_, fullname) => {
                tracing::info!(instance = %fullname, "mDNS: instance gone");
                instances.remove(&fullname).is_some()
            }
            _ => false,
        };
        if changed && tx.send(instances.values().cloned().collect()).is_err() {
            return;
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "gotemp".to_owned())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
