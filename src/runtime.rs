//! What a server process runs beside its services: the change-event pipeline chosen by
//! `config.events.url`, readiness checks of every backend, and the shutdown signal. Both server
//! binaries (gRPC and HTTP) start the same way, so this lives once, here.

use crate::{Config, Gotemp};
use gotemp_core::Result;
use std::future::Future;
use std::pin::Pin;

/// A background task that must stop after the server.
type Stopper = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The running event pipeline: the outbox relay and, depending on the broker and on what the
/// process serves, the audit consumer and the cache invalidator.
pub struct EventPipeline {
    stops: std::sync::Mutex<Vec<Stopper>>,
    broker: Broker,
}

enum Broker {
    InProcess,
    #[cfg(feature = "nats")]
    Nats(async_nats::Client),
}

impl EventPipeline {
    /// Which broker carries events (`memory` or `nats`), for readiness reports.
    pub fn broker_name(&self) -> &'static str {
        match self.broker {
            Broker::InProcess => "memory",
            #[cfg(feature = "nats")]
            Broker::Nats(_) => "nats",
        }
    }

    /// Whether the broker is reachable now. Writes keep working while it is not (their events
    /// wait in the outbox), so this is for readiness probes, not for refusing requests.
    pub fn check_broker(&self) -> Result<()> {
        match &self.broker {
            Broker::InProcess => Ok(()),
            #[cfg(feature = "nats")]
            Broker::Nats(client) => match client.connection_state() {
                async_nats::connection::State::Connected => Ok(()),
                state => Err(gotemp_core::Error::unavailable(format!(
                    "NATS connection is {state}"
                ))),
            },
        }
    }

    /// Stops every task after its current batch; events not yet sent stay in the outbox for
    /// the next start.
    /// Takes `&self` so readiness checks may share the pipeline; a second call does nothing.
    pub async fn shutdown(&self) {
        let stops = std::mem::take(&mut *self.stops.lock().unwrap_or_else(|p| p.into_inner()));
        for stop in stops {
            stop.await;
        }
    }
}

impl Gotemp {
    /// Starts the pipeline `config.events.url` names. With `memory` everything runs in process
    /// (relay, audit recorder, cache invalidator). With `nats://…` the relay publishes to
    /// JetStream, the cache follows every change event, and the audit consumer runs only when
    /// `record_audit` (the process serves the audit service: one consumer group stores events).
    ///
    /// Where the trail is stored here, its checkpoints are signed here too
    /// ([`Config::checkpoint_key`]; a process that must sign and has no key does not start).
    pub async fn start_events(&self, config: &Config, record_audit: bool) -> Result<EventPipeline> {
        let stores_trail = record_audit || matches!(config.events.url, crate::EventBus::Memory);
        let key = config.checkpoint_key(stores_trail)?;
        let pipeline = match &config.events.url {
            crate::EventBus::Memory => {
                let relay = self.start_audit_pipeline();
                EventPipeline {
                    stops: std::sync::Mutex::new(vec![Box::pin(relay.shutdown())]),
                    broker: Broker::InProcess,
                }
            }
            crate::EventBus::Nats(url) => self.start_nats(config, url, record_audit).await?,
        };
        let key = key.filter(|_| stores_trail && !config.storage.audit_off());
        if let Some(key) = key.clone() {
            let settings = gotemp_events::CheckpointSettings {
                records: config.audit.checkpoint_records.max(1),
                interval: config.audit.checkpoint_interval,
                ..Default::default()
            };
            let signer =
                gotemp_events::Checkpointer::new(self.repositories.audit.clone(), key, settings);
            let handle = signer.spawn();
            let mut stops = pipeline.stops.lock().unwrap_or_else(|p| p.into_inner());
            stops.push(Box::pin(handle.shutdown()));
        }
        // Archives are anchored with the checkpoints' key: where nothing signs, nothing is
        // archived (and nothing deleted).
        if let (Some(settings), Some(key)) = (config.archive_settings()?, key) {
            let every = (config.audit.archive_interval).max(std::time::Duration::from_secs(1));
            let audit = self.repositories.audit.clone();
            let archiver = gotemp_events::Archiver::new(audit, settings, key, every);
            let handle = archiver.spawn();
            let mut stops = pipeline.stops.lock().unwrap_or_else(|p| p.into_inner());
            stops.push(Box::pin(handle.shutdown()));
        }
        Ok(pipeline)
    }

    #[cfg(feature = "nats")]
    async fn start_nats(
        &self,
        config: &Config,
        url: &crate::BackendUrl,
        record_audit: bool,
    ) -> Result<EventPipeline> {
        use gotemp_events::nats::{
            self, NatsAuditConsumer, NatsCacheInvalidator, NatsConnect, NatsSettings, NatsSink,
        };
        use gotemp_events::{AuditRecorder, OutboxRelay, RelaySettings};
        use std::sync::Arc;
        let how = NatsConnect {
            creds: config.events.nats_creds.clone(),
            nkey: config.events.nats_nkey.clone(),
            ca: config.tls.ca.clone(),
            client_cert: config.tls.client_pair(),
        };
        let client = nats::connect_with(url.as_str(), &how).await?;
        let settings = NatsSettings {
            signing: signer(config)?,
            ..NatsSettings::default()
        };
        let sink = Arc::new(NatsSink::new(client.clone(), settings.clone()));
        let relay = OutboxRelay::new(
            self.repositories.outbox.clone(),
            sink,
            RelaySettings::default(),
        )
        .spawn();
        let mut stops: Vec<Stopper> = vec![Box::pin(relay.shutdown())];
        // With the trail off there is nothing to store: the stream keeps its events for nobody.
        if record_audit && !config.storage.audit_off() {
            let recorder = AuditRecorder::new(self.audit.clone(), 5);
            let consumer = NatsAuditConsumer::new(client.clone(), settings.clone(), recorder);
            stops.push(Box::pin(consumer.spawn().shutdown()));
        }
        if let Some(cache) = &self.cache {
            let follower =
                NatsCacheInvalidator::new(client.clone(), settings.clone(), cache.clone());
            stops.push(Box::pin(follower.spawn().shutdown()));
        }
        Ok(EventPipeline {
            stops: std::sync::Mutex::new(stops),
            broker: Broker::Nats(client),
        })
    }

    #[cfg(not(feature = "nats"))]
    async fn start_nats(
        &self,
        _: &Config,
        _: &crate::BackendUrl,
        _: bool,
    ) -> Result<EventPipeline> {
        Err(crate::config::config_error(
            "nats:// events need gotemp's `nats` feature".into(),
        ))
    }

    /// How the audit trail is kept: `table`, `hypertable` (TimescaleDB) or `off`
    /// (`audit_storage = none`); readiness reports it.
    pub fn audit_storage(&self) -> &'static str {
        self.repositories.audit.storage_kind()
    }

    /// Whether the storage answers now; `Ok` carries the number of change events still waiting
    /// in the outbox (a growing number means the broker or relay is behind).
    pub async fn check_storage(&self) -> Result<u64> {
        self.repositories.outbox.backlog().await
    }

    /// Whether the lookup cache answers now (`Ok` when none is configured). Requests keep
    /// working while it does not: they bypass it.
    pub async fn check_cache(&self) -> Result<()> {
        match &self.cache {
            Some(cache) => cache.ping().await,
            None => Ok(()),
        }
    }
}

/// The event signer `event_signing_key` asks for; without one, a warning that anyone who may
/// publish to the stream can write audit records.
#[cfg(feature = "nats")]
fn signer(config: &Config) -> Result<Option<gotemp_events::nats::EventSigner>> {
    use secrecy::ExposeSecret as _;
    let Some(key) = &config.events.signing_key else {
        tracing::warn!(
            "events are not signed: anyone who may publish to gotemp.audit.> on this NATS can \
             write audit records; set GOTEMP_EVENT_SIGNING_KEY on every gotemp process"
        );
        return Ok(None);
    };
    gotemp_events::nats::EventSigner::new(key.expose_secret().as_bytes())
        .map(Some)
        .ok_or_else(|| {
            crate::config::config_error(
                "event_signing_key (GOTEMP_EVENT_SIGNING_KEY) is shorter than 32 bytes".into(),
            )
        })
}

/// Completes on ctrl-c or SIGTERM, for a graceful shutdown of a server.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown requested");
}

/// What a readiness probe reports: whether anything can be served (the storage answers), and
/// the whole report — each backend's state, the failed ones, the audit storage — for operators.
/// The storage down means unavailable; a broker or cache outage means `degraded`, because
/// requests still succeed (events wait in the outbox, lookups bypass the cache).
pub async fn readiness(app: &Gotemp, events: Option<&EventPipeline>) -> (bool, serde_json::Value) {
    let limit = std::time::Duration::from_secs(2);
    let storage = match tokio::time::timeout(limit, app.check_storage()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {limit:?}")),
    };
    let cache = match tokio::time::timeout(limit, app.check_cache()).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {limit:?}")),
    };
    let broker = match events {
        Some(events) => events.check_broker().map_err(|e| e.to_string()),
        None => Ok(()),
    };
    let storage_ok = storage.is_ok();
    let mut failed = Vec::new();
    let mut checks = serde_json::Map::new();
    for (name, result) in [("storage", storage), ("broker", broker), ("cache", cache)] {
        let check = match &result {
            Ok(()) => serde_json::json!({ "ok": true }),
            Err(e) => {
                tracing::warn!(backend = name, error = %e, "readiness check failed");
                failed.push(name);
                serde_json::json!({ "ok": false, "error": e })
            }
        };
        checks.insert(name.to_owned(), check);
    }
    let status = match (storage_ok, failed.is_empty()) {
        (false, _) => "unavailable",
        (true, false) => "degraded",
        (true, true) => "ready",
    };
    let report = serde_json::json!({
        "status": status,
        "failed": failed,
        "checks": checks,
        "audit_storage": app.audit_storage(),
    });
    (storage_ok, report)
}
