//! The audit trail: storing events exactly once, and reading the history back.

use crate::actor::Actor;
use crate::entities::{AuditFilter, AuditRecord, BucketCount};
use crate::error::{Error, FieldError, Result};
use crate::event::AuditEvent;
use crate::page::{Page, PageRequest, PageSpec};
use crate::policy::{Action, Policy, Resource, RolePolicy, authorize};
use crate::ports::{AuditRepository, DeadLetter};
use crate::values;
use chrono::Duration;
use std::sync::Arc;

/// Most buckets one count may return; bounds the work of a request over a long range.
pub const MAX_BUCKETS: i64 = 10_000;

/// Most parked messages one listing returns.
pub const MAX_DEAD_LETTERS: u32 = 500;

/// What replaying a parked message did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Replayed {
    /// The event it carried.
    pub event_id: uuid::Uuid,
    /// `true`: stored now; `false`: it was stored already (a redelivery got through meanwhile).
    pub stored: bool,
}

/// The audit service.
#[derive(Clone)]
pub struct AuditService {
    repo: Arc<dyn AuditRepository>,
    policy: Arc<dyn Policy>,
}

impl AuditService {
    /// A service over `repo`.
    pub fn new(repo: Arc<dyn AuditRepository>) -> Self {
        Self {
            repo,
            policy: Arc::new(RolePolicy),
        }
    }

    /// Decides every read with `policy` instead of the built-in roles' table.
    pub fn with_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = policy;
        self
    }

    /// Reading the trail needs `audit:read`.
    fn allow_read(&self, actor: &Actor) -> Result<()> {
        authorize(&*self.policy, actor, Action::Read, Resource::Audit, None)
    }

    /// Stores an event once; a redelivered event (same id) is absorbed and reported as `false`.
    pub async fn record(&self, event: &AuditEvent) -> Result<bool> {
        self.repo.record(event, values::now()).await
    }

    /// Stores a batch of events once each, in one commit; returns how many were new.
    pub async fn record_batch(&self, events: &[AuditEvent]) -> Result<u64> {
        self.repo.record_batch(events, values::now()).await
    }

    /// Keeps a message that cannot be stored, with the reason, instead of dropping it.
    pub async fn park(&self, letter: &DeadLetter) -> Result<()> {
        self.repo.park(letter).await
    }

    /// The most recently parked messages, newest first.
    pub async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>> {
        self.repo.dead_letters(limit).await
    }

    /// How many messages are parked.
    pub async fn dead_letter_count(&self) -> Result<u64> {
        self.repo.dead_letter_count().await
    }

    /// The parked messages, newest first, for an administrator to look at (they may hold
    /// anything a publisher sent, so only `audit:manage` — administrators — may read them).
    pub async fn list_dead_letters(&self, actor: &Actor, limit: u32) -> Result<Vec<DeadLetter>> {
        authorize(&*self.policy, actor, Action::Manage, Resource::Audit, None)?;
        self.repo
            .dead_letters(limit.clamp(1, MAX_DEAD_LETTERS))
            .await
    }

    /// Stores a parked message after its cause was fixed, and forgets it. Idempotent through the
    /// event id: an event stored meanwhile is not stored twice. A message that was never an
    /// event of this deployment (unreadable, unsigned, forged) cannot be replayed; a store that
    /// still refuses it keeps it parked and says why.
    pub async fn replay_dead_letter(&self, actor: &Actor, id: i64) -> Result<Replayed> {
        authorize(&*self.policy, actor, Action::Manage, Resource::Audit, None)?;
        let letter = (self.repo.dead_letter(id).await?)
            .ok_or_else(|| Error::not_found("dead letter", id))?;
        let not_replayable = || {
            Error::conflict(
                crate::ConflictKind::State,
                Some("id"),
                crate::tr!("conflict.not_replayable", reason = letter.reason),
            )
        };
        if letter.event_id.is_none() {
            return Err(not_replayable());
        }
        let event: AuditEvent =
            serde_json::from_str(&letter.payload).map_err(|_| not_replayable())?;
        let stored = self.repo.record(&event, values::now()).await?;
        self.repo.remove_dead_letter(id).await?;
        tracing::info!(dead_letter = id, event_id = %event.event_id, stored, "dead letter replayed");
        Ok(Replayed {
            event_id: event.event_id,
            stored,
        })
    }

    /// The record with row id `id`.
    pub async fn get(&self, actor: &Actor, id: i64) -> Result<AuditRecord> {
        self.allow_read(actor)?;
        self.repo
            .get(id)
            .await?
            .ok_or_else(|| Error::not_found("audit record", id))
    }

    /// Records matching `filter`, newest first, a page at a time.
    pub async fn list(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditRecord>> {
        self.allow_read(actor)?;
        check_range(filter)?;
        let spec = PageSpec::parse(page)?;
        self.repo.list(filter, &spec).await
    }

    /// The history of one object, newest first.
    pub async fn history(
        &self,
        actor: &Actor,
        object_name: &str,
        object_id: &str,
        page: &PageRequest,
    ) -> Result<Page<AuditRecord>> {
        let filter = AuditFilter {
            object_name: Some(object_name.to_owned()),
            object_id: Some(object_id.to_owned()),
            ..Default::default()
        };
        self.list(actor, &filter, page).await
    }

    /// Counts per time bucket of `width` (at least a second), oldest first.
    pub async fn count_by_bucket(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        width: Duration,
    ) -> Result<Vec<BucketCount>> {
        self.allow_read(actor)?;
        check_range(filter)?;
        if width < Duration::seconds(1) {
            return Err(Error::invalid(FieldError::new(
                "width",
                "out_of_range",
                crate::tr!("field.width_min"),
            )));
        }
        if let (Some(from), Some(to)) = (filter.from, filter.to)
            && (to - from).num_seconds() / width.num_seconds() > MAX_BUCKETS
        {
            return Err(Error::invalid(FieldError::new(
                "width",
                "too_many_buckets",
                crate::tr!("field.too_many_buckets", max = MAX_BUCKETS),
            )));
        }
        self.repo.count_by_bucket(filter, width).await
    }
}

fn check_range(filter: &AuditFilter) -> Result<()> {
    super::common::check_filters(&[
        ("object_name", filter.object_name.as_deref()),
        ("object_id", filter.object_id.as_deref()),
        ("service", filter.service.as_deref()),
    ])?;
    match (filter.from, filter.to) {
        (Some(from), Some(to)) if to <= from => Err(Error::invalid(FieldError::new(
            "to",
            "invalid_range",
            crate::tr!("field.invalid_range"),
        ))),
        _ => Ok(()),
    }
}
