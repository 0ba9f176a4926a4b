//! gotemp-events: the audit pipeline that loses nothing.
//!
//! Every committed change leaves an [`AuditEvent`](gotemp_core::event::AuditEvent) in its store's
//! outbox (same transaction). The [`OutboxRelay`] publishes those events to an
//! [`EventSink`](gotemp_core::ports::EventSink) — the [`InProcessBus`] in one process, NATS
//! JetStream (feature `nats`) between processes — and marks them sent only once the sink
//! confirmed them. The [`AuditRecorder`] stores what arrives through the audit service, once per
//! event id, and parks what it cannot store in a dead-letter table instead of dropping it.
//!
//! The same events keep caches fresh: a [`CacheInvalidator`] on the bus (or, between processes,
//! `nats::NatsCacheInvalidator`) evicts each changed customer or product in every instance.
//!
//! Anything in this chain may stop and restart: the worst outcome is an event published twice,
//! which the broker (`Nats-Msg-Id`) and the audit store (unique event id) absorb.

mod archiver;
mod bus;
mod checkpointer;
mod invalidation;
mod merged;
#[cfg(feature = "nats")]
pub mod nats;
mod recorder;
mod relay;
pub mod trace;

pub use archiver::{Archiver, ArchiverHandle};
pub use bus::{EventHandler, InProcessBus};
pub use checkpointer::{CheckpointSettings, Checkpointer, CheckpointerHandle};
pub use invalidation::CacheInvalidator;
pub use merged::MergedOutbox;
pub use recorder::{AuditRecorder, Delivery};
pub use relay::{OutboxRelay, RelayHandle, RelaySettings};
