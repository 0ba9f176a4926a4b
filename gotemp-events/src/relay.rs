//! The outbox relay: moves committed events from a store's outbox to a sink, in order, marking
//! them sent only after the sink confirmed them.

use chrono::Utc;
use gotemp_core::Result;
use gotemp_core::ports::{EventSink, OutboxEntry, OutboxStore};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How the relay batches, waits and retries.
#[derive(Debug, Clone)]
pub struct RelaySettings {
    /// Most events published in one batch.
    pub batch_size: u32,
    /// How long a claimed batch belongs to this relay; if it dies, another relay takes the batch
    /// over after this.
    pub lease: Duration,
    /// Longest wait for new events when nothing signals them (the backstop poll).
    pub idle_poll: Duration,
    /// First delay after a failed publish; doubles per failure up to `max_backoff`.
    pub min_backoff: Duration,
    /// Longest delay between retries.
    pub max_backoff: Duration,
    /// How long sent events stay in the outbox before they are pruned.
    pub retention: Duration,
    /// How often to prune.
    pub prune_every: Duration,
    /// Failures in a row after which the relay publishes a batch one event at a time, to find an
    /// event that fails while the others go through and set it aside (an event the broker
    /// refuses outright is set aside at once).
    pub isolate_after: u32,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch_size: 256,
            lease: Duration::from_secs(30),
            idle_poll: Duration::from_secs(5),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            retention: Duration::from_secs(7 * 24 * 3600),
            prune_every: Duration::from_secs(600),
            isolate_after: 5,
        }
    }
}

/// Drains one outbox into one sink. Several relays may drain the same outbox.
#[derive(Clone)]
pub struct OutboxRelay {
    outbox: Arc<dyn OutboxStore>,
    sink: Arc<dyn EventSink>,
    settings: RelaySettings,
}

/// A running relay; stop it with [`RelayHandle::shutdown`].
pub struct RelayHandle {
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl RelayHandle {
    /// Asks the relay to stop after its current batch and waits until it has.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        let _ = self.task.await;
    }

    /// Stops the relay at once, mid-batch, as a crash would (its claimed rows return when their
    /// lease ends). For tests of exactly that.
    pub fn abort(self) {
        self.task.abort();
    }
}

impl OutboxRelay {
    /// A relay from `outbox` to `sink`.
    pub fn new(
        outbox: Arc<dyn OutboxStore>,
        sink: Arc<dyn EventSink>,
        settings: RelaySettings,
    ) -> Self {
        Self {
            outbox,
            sink,
            settings,
        }
    }

    /// Publishes one batch: claims it, publishes it, marks it sent, or gives the claims back if
    /// the sink failed. Returns how many events were sent.
    pub async fn run_once(&self) -> Result<usize> {
        let batch = self.claim().await?;
        self.send(batch, 0).await
    }

    async fn claim(&self) -> Result<Vec<OutboxEntry>> {
        self.outbox
            .claim(self.settings.batch_size, self.settings.lease)
            .await
    }

    /// Publishes a claimed batch and marks it sent, or gives it back. `failures` is how many
    /// attempts failed in a row before this one. When the sink refuses an event for good, or the
    /// batch keeps failing, the batch goes one event at a time ([`OutboxRelay::isolate`]).
    async fn send(&self, batch: Vec<OutboxEntry>, failures: u32) -> Result<usize> {
        if batch.is_empty() {
            return Ok(0);
        }
        if failures >= self.settings.isolate_after {
            return self.isolate(batch, true).await;
        }
        let (positions, events): (Vec<i64>, Vec<_>) =
            batch.into_iter().map(|e| (e.position, e.event)).unzip();
        // A batch mixes changes of many traces: its span is a trace of its own, and each event's
        // publish span (NatsSink) joins its change's trace.
        let span = tracing::info_span!(
            "relay.batch",
            otel.name = "relay batch",
            messaging.batch.message_count = events.len(),
        );
        let published = tracing::Instrument::instrument(self.sink.publish(&events), span).await;
        match published {
            Ok(()) => {}
            Err(e) if !e.is_retriable() => {
                let batch = (positions.into_iter().zip(events))
                    .map(|(position, event)| OutboxEntry { position, event })
                    .collect();
                return self.isolate(batch, false).await;
            }
            Err(e) => {
                // Best effort: if this fails too, the lease runs out and the batch returns anyway.
                let _ = self.outbox.release(&positions).await;
                return Err(e);
            }
        }
        self.outbox.mark_sent(&positions).await?;
        metrics::counter!("gotemp_relay_published_events_total").increment(positions.len() as u64);
        Ok(positions.len())
    }

    /// Publishes `batch` one event at a time, in order, so that one event the sink cannot take
    /// does not hold up the others. An event the sink refuses for good (a non-retriable error:
    /// too large for the broker, say) is set aside with the reason. With `persistent` (the
    /// batch failed again and again), an event that fails retriably while the event after it
    /// goes through is set aside too; when that one fails as well the sink itself is down, and
    /// the rest is given back for the usual back-off — two publishes, not one per event.
    async fn isolate(&self, batch: Vec<OutboxEntry>, persistent: bool) -> Result<usize> {
        let mut sent = 0;
        let mut suspect: Option<(OutboxEntry, gotemp_core::Error)> = None;
        let mut rest = batch.into_iter();
        while let Some(entry) = rest.next() {
            match self.sink.publish(std::slice::from_ref(&entry.event)).await {
                Ok(()) => {
                    self.outbox.mark_sent(&[entry.position]).await?;
                    metrics::counter!("gotemp_relay_published_events_total").increment(1);
                    sent += 1;
                    if let Some((failed, error)) = suspect.take() {
                        self.set_aside(&failed, &error).await?;
                    }
                }
                Err(e) if !e.is_retriable() => self.set_aside(&entry, &e).await?,
                Err(e) if persistent && sent == 0 && suspect.is_none() => {
                    suspect = Some((entry, e))
                }
                Err(e) => {
                    let mut back: Vec<i64> = vec![entry.position];
                    back.extend(suspect.iter().map(|(failed, _)| failed.position));
                    back.extend(rest.map(|left| left.position));
                    let _ = self.outbox.release(&back).await;
                    return Err(e);
                }
            }
        }
        if let Some((failed, error)) = suspect {
            // Nothing after it to tell a bad event from a sink that is down: try again later.
            let _ = self.outbox.release(&[failed.position]).await;
            if sent == 0 {
                return Err(error);
            }
        }
        Ok(sent)
    }

    async fn set_aside(&self, entry: &OutboxEntry, error: &gotemp_core::Error) -> Result<()> {
        let reason = gotemp_core::error::report(error);
        tracing::error!(
            event_id = %entry.event.event_id,
            object = %entry.event.object_name,
            object_id = %entry.event.object_id,
            %reason,
            "an event cannot be published; set aside so the others flow on (list: GET /v1/audit/dead-letters)"
        );
        self.outbox.set_aside(entry.position, &reason).await?;
        metrics::counter!("gotemp_relay_set_aside_events_total").increment(1);
        Ok(())
    }

    /// Sends `batch`; when it is full (more is probably waiting) and the outbox allows it, claims
    /// the next one meanwhile, so the outbox and the sink work at once. Order holds: the next
    /// batch is published only after this one is marked sent, and given back if this one failed.
    async fn send_and_claim_next(
        &self,
        batch: Vec<OutboxEntry>,
        failures: u32,
    ) -> (Result<usize>, Option<Vec<OutboxEntry>>) {
        if batch.len() < self.settings.batch_size as usize
            || !self.outbox.claims_concurrently()
            || failures > 0
        {
            return (self.send(batch, failures).await, None);
        }
        match tokio::join!(self.send(batch, 0), self.claim()) {
            (Ok(sent), Ok(next)) => (Ok(sent), Some(next)),
            (Ok(sent), Err(_)) => (Ok(sent), None),
            (Err(e), next) => {
                if let Ok(next) = next {
                    self.give_back(next).await;
                }
                (Err(e), None)
            }
        }
    }

    async fn give_back(&self, batch: Vec<OutboxEntry>) {
        let positions: Vec<i64> = batch.iter().map(|e| e.position).collect();
        // Best effort: if this fails, the lease runs out and the batch returns anyway.
        let _ = self.outbox.release(&positions).await;
    }

    /// Runs until `cancel` fires: drains the outbox, waits for new events without a fixed polling
    /// delay, backs off while the sink or store fails, and prunes old sent events. A failure is
    /// logged once when it starts and once when it ends, not per retry.
    pub async fn run(self, cancel: CancellationToken) {
        let mut failures: u32 = 0;
        let mut last_prune = tokio::time::Instant::now();
        let mut claimed = None;
        while !cancel.is_cancelled() {
            let batch = match claimed.take() {
                Some(batch) => Ok(batch),
                None => self.claim().await,
            };
            let outcome = match batch {
                Ok(batch) => {
                    let (sent, next) = self.send_and_claim_next(batch, failures).await;
                    claimed = next;
                    sent
                }
                Err(e) => Err(e),
            };
            match outcome {
                Ok(sent) => {
                    if failures > 0 {
                        tracing::info!(after_failures = failures, "outbox relay recovered");
                        failures = 0;
                    }
                    if sent == 0 {
                        tokio::select! {
                            _ = cancel.cancelled() => break,
                            _ = self.outbox.wait_for_new(self.settings.idle_poll) => {}
                        }
                    }
                }
                Err(e) => {
                    if failures == 0 {
                        tracing::warn!(error = %e, "outbox relay cannot publish; retrying with backoff");
                    }
                    failures = failures.saturating_add(1);
                    tokio::select! {
                        _ = cancel.cancelled() => break,
                        _ = tokio::time::sleep(self.backoff(failures)) => {}
                    }
                }
            }
            if last_prune.elapsed() >= self.settings.prune_every {
                last_prune = tokio::time::Instant::now();
                self.prune().await;
            }
        }
        if let Some(batch) = claimed {
            self.give_back(batch).await;
        }
    }

    /// Starts [`OutboxRelay::run`] on the runtime.
    pub fn spawn(self) -> RelayHandle {
        let cancel = CancellationToken::new();
        let task = tokio::spawn(self.run(cancel.clone()));
        RelayHandle { cancel, task }
    }

    fn backoff(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(16);
        self.settings
            .min_backoff
            .saturating_mul(factor)
            .min(self.settings.max_backoff)
    }

    async fn prune(&self) {
        let retention = chrono::Duration::from_std(self.settings.retention)
            .unwrap_or(chrono::Duration::days(7));
        match self.outbox.prune_sent(Utc::now() - retention).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(pruned = n, "pruned sent outbox events"),
            Err(e) => tracing::warn!(error = %e, "pruning the outbox failed"),
        }
    }
}

#[cfg(test)]
mod tests;
