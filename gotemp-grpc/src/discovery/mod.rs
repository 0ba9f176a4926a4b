//! How a service finds the others it calls (every service → user for token checks, promotion →
//! customer for names), off the request path.
//!
//! A [`Discovery`] adapter keeps the endpoints of each service current in the background:
//! [`StaticDiscovery`] from configuration (containers, Kubernetes: DNS names already work), or
//! `MdnsDiscovery` (feature `mdns`) from multicast-DNS announcements, as the original did.
//! [`Instances`] turns that into calls: a lazily connected channel per endpoint, calls spread
//! round-robin over the live ones, an instance that fails a call set aside (the call is retried
//! on the next one), an endpoint whose announcement went away dropped. A request waits for
//! discovery only until the first resolution of a service, never again.

#[cfg(feature = "mdns")]
pub mod mdns;

use crate::service_name::ServiceName;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tonic::Status;
use tonic::transport::{Channel, ClientTlsConfig};

/// Where the instances of each service are, kept current in the background.
pub trait Discovery: Send + Sync {
    /// The endpoints (`http://host:port`) of `service`'s live instances, updated as they come
    /// and go.
    fn watch(&self, service: ServiceName) -> watch::Receiver<Vec<String>>;

    /// The name an instance's TLS certificate must carry, when the host in its URL proves
    /// nothing (multicast DNS: any host may announce any service); `None`: the URL's host.
    fn server_name(&self, _service: ServiceName) -> Option<String> {
        None
    }
}

/// Endpoints from configuration; they never change.
#[derive(Debug, Default, Clone)]
pub struct StaticDiscovery {
    endpoints: HashMap<ServiceName, Vec<String>>,
}

impl StaticDiscovery {
    /// No endpoints yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `service`'s endpoints from a comma-separated list of URLs.
    pub fn with(mut self, service: ServiceName, urls: &str) -> Self {
        let list = urls
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        self.endpoints.entry(service).or_default().extend(list);
        self
    }
}

impl Discovery for StaticDiscovery {
    fn watch(&self, service: ServiceName) -> watch::Receiver<Vec<String>> {
        let endpoints = self.endpoints.get(&service).cloned().unwrap_or_default();
        // The sender is dropped: receivers keep the value, and it never changes.
        watch::channel(endpoints).1
    }
}

/// How long an instance that failed a call is passed over (unless no other is left).
pub const SET_ASIDE: Duration = Duration::from_secs(5);

/// How long a request waits for the first resolution of a service.
pub const FIRST_RESOLUTION: Duration = Duration::from_secs(5);

/// The instances of one service, and the calls made to them.
#[derive(Clone)]
pub struct Instances {
    service: ServiceName,
    endpoints: watch::Receiver<Vec<String>>,
    tls: ClientTlsConfig,
    server_name: Option<String>,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    channels: HashMap<String, Channel>,
    set_aside: HashMap<String, Instant>,
    next: usize,
}

impl Instances {
    /// The instances of `service` that `discovery` finds; `https://` ones are checked against
    /// the system's roots until [`Instances::with_tls`] says otherwise.
    pub fn new(discovery: &dyn Discovery, service: ServiceName) -> Self {
        Self {
            service,
            endpoints: discovery.watch(service),
            tls: ClientTlsConfig::new().with_native_roots(),
            server_name: discovery.server_name(service),
            state: Arc::default(),
        }
    }

    /// Checks `https://` instances with `tls` (from [`crate::tls::client_tls`]).
    pub fn with_tls(mut self, tls: ClientTlsConfig) -> Self {
        self.tls = tls;
        self
    }

    /// One known channel (tests, and callers that bring their own).
    pub fn fixed(service: ServiceName, channel: Channel) -> Self {
        let this = Self {
            service,
            endpoints: watch::channel(vec!["fixed".to_owned()]).1,
            tls: ClientTlsConfig::new(),
            server_name: None,
            state: Arc::default(),
        };
        lock(&this.state)
            .channels
            .insert("fixed".to_owned(), channel);
        this
    }

    /// The current endpoints, waiting (at most [`FIRST_RESOLUTION`]) while none is known yet.
    async fn current(&self) -> Vec<String> {
        let mut endpoints = self.endpoints.clone();
        let wait = endpoints.wait_for(|list| !list.is_empty());
        match tokio::time::timeout(FIRST_RESOLUTION, wait).await {
            Ok(Ok(list)) => list.clone(),
            _ => self.endpoints.borrow().clone(),
        }
    }

    /// The endpoints to try, in order: the live ones round-robin from the next turn, then the
    /// ones set aside (better a second chance than no answer); channels of endpoints that left
    /// are dropped.
    fn plan(&self, endpoints: &[String]) -> Result<Vec<(String, Channel)>, Status> {
        let mut state = lock(&self.state);
        state.channels.retain(|url, _| endpoints.contains(url));
        let now = Instant::now();
        state.set_aside.retain(|_, until| *until > now);
        let start = state.next;
        state.next = state.next.wrapping_add(1);
        let mut live = Vec::new();
        let mut aside = Vec::new();
        for i in 0..endpoints.len() {
            let url = &endpoints[(start + i) % endpoints.len()];
            let channel = match state.channels.get(url) {
                Some(c) => c.clone(),
                None => {
                    let tls = match &self.server_name {
                        Some(name) => self.tls.clone().domain_name(name.clone()),
                        None => self.tls.clone(),
                    };
                    let endpoint = crate::tls::endpoint(url, &tls).map_err(|e| {
                        Status::unavailable(format!(
                            "bad endpoint {url:?} for {:?}: {e}",
                            self.service
                        ))
                    })?;
                    let channel = endpoint
                        .connect_timeout(Duration::from_secs(2))
                        .tcp_nodelay(true)
                        .connect_lazy();
                    state.channels.insert(url.clone(), channel.clone());
                    channel
                }
            };
            match state.set_aside.contains_key(url) {
                false => live.push((url.clone(), channel)),
                true => aside.push((url.clone(), channel)),
            }
        }
        live.extend(aside);
        Ok(live)
    }

    fn set_aside(&self, url: &str) {
        lock(&self.state)
            .set_aside
            .insert(url.to_owned(), Instant::now() + SET_ASIDE);
    }

    /// Calls `call` on one instance. When an instance cannot answer (UNAVAILABLE: not
    /// reachable, shutting down, or its own backend down) it is set aside for [`SET_ASIDE`] and
    /// the call goes to the next one, until every instance was tried; any other outcome is the
    /// answer. Only for calls that are safe to repeat (reads, token checks).
    pub async fn call<T, F, Fut>(&self, call: F) -> Result<T, Status>
    where
        F: Fn(Channel) -> Fut,
        Fut: Future<Output = Result<T, Status>>,
    {
        let endpoints = self.current().await;
        if endpoints.is_empty() {
            return Err(Status::unavailable(format!(
                "no instance of the {} service was found",
                self.service.name()
            )));
        }
        let mut last = None;
        for (url, channel) in self.plan(&endpoints)? {
            match call(channel).await {
                Err(status) if status.code() == tonic::Code::Unavailable => {
                    tracing::debug!(%url, %status, service = self.service.name(), "instance set aside");
                    self.set_aside(&url);
                    last = Some(status);
                }
                outcome => return outcome,
            }
        }
        Err(last.unwrap_or_else(|| Status::unavailable("no instance answered")))
    }
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Manual(watch::Receiver<Vec<String>>);
    impl Discovery for Manual {
        fn watch(&self, _: ServiceName) -> watch::Receiver<Vec<String>> {
            self.0.clone()
        }
    }

    #[tokio::test]
    async fn calls_go_round_robin_and_skip_an_instance_that_failed() {
        let urls = "http://127.0.0.1:1, http://127.0.0.1:2,http://127.0.0.1:3";
        let discovery = StaticDiscovery::new().with(ServiceName::Customer, urls);
        let instances = Instances::new(&discovery, ServiceName::Customer);
        let endpoints = instances.current().await;
        assert_eq!(endpoints.len(), 3);
        let first: Vec<String> = (0..3)
            .map(|_| instances.plan(&endpoints).unwrap()[0].0.clone())
            .collect();
        assert_eq!(
            first,
            [
                "http://127.0.0.1:1",
                "http://127.0.0.1:2",
                "http://127.0.0.1:3"
            ]
        );
        instances.set_aside("http://127.0.0.1:2");
        let order: Vec<String> = instances
            .plan(&endpoints)
            .unwrap()
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        assert_eq!(
            order,
            [
                "http://127.0.0.1:1",
                "http://127.0.0.1:3",
                "http://127.0.0.1:2"
            ],
            "the failed instance comes last"
        );
    }

    #[tokio::test]
    async fn an_unavailable_instance_is_retried_elsewhere_and_other_errors_are_answers() {
        let urls = "http://127.0.0.1:1,http://127.0.0.1:2";
        let discovery = StaticDiscovery::new().with(ServiceName::User, urls);
        let instances = Instances::new(&discovery, ServiceName::User);
        let tries = std::sync::atomic::AtomicUsize::new(0);
        let outcome: Result<u8, Status> = instances
            .call(|_| {
                let n = tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move {
                    match n {
                        0 => Err(Status::unavailable("gone")),
                        _ => Ok(7),
                    }
                }
            })
            .await;
        assert_eq!(outcome.unwrap(), 7);
        let denied: Result<u8, Status> = instances
            .call(|_| async { Err(Status::unauthenticated("no")) })
            .await;
        assert_eq!(denied.unwrap_err().code(), tonic::Code::Unauthenticated);
        let all_down: Result<u8, Status> = instances
            .call(|_| async { Err(Status::unavailable("down")) })
            .await;
        assert_eq!(all_down.unwrap_err().code(), tonic::Code::Unavailable);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_waits_only_for_the_first_resolution() {
        let (tx, rx) = watch::channel(Vec::new());
        let instances = Instances::new(&Manual(rx), ServiceName::User);
        let waiting = tokio::spawn({
            let instances = instances.clone();
            async move { instances.current().await }
        });
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.send(vec!["http://127.0.0.1:9".into()]).unwrap();
        assert_eq!(waiting.await.unwrap(), ["http://127.0.0.1:9"]);
        // An announcement that goes away drops the endpoint and its channel.
        instances.plan(&instances.current().await).unwrap();
        tx.send(vec!["http://127.0.0.1:8".into()]).unwrap();
        let now = instances.current().await;
        assert_eq!(now, ["http://127.0.0.1:8"]);
        instances.plan(&now).unwrap();
        assert!(
            !lock(&instances.state)
                .channels
                .contains_key("http://127.0.0.1:9")
        );
        // Nothing found at all: the request gives up after the first-resolution wait.
        let (_tx, none) = watch::channel(Vec::new());
        let lonely = Instances::new(&Manual(none), ServiceName::Customer);
        let started = tokio::time::Instant::now();
        let outcome: Result<(), Status> = lonely.call(|_| async { Ok(()) }).await;
        assert_eq!(outcome.unwrap_err().code(), tonic::Code::Unavailable);
        assert_eq!(started.elapsed(), FIRST_RESOLUTION);
    }
}
