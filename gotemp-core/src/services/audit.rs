//! The audit trail: storing events exactly once, and reading the history back.

use crate::actor::Actor;
use crate::entities::{AuditFilter, AuditRecord, BucketCount};
use crate::error::{Error, FieldError, Result};
use crate::event::AuditEvent;
use crate::page::{Page, PageRequest, PageSpec};
use crate::policy::{Action, Policy, Resource, RolePolicy, authorize};
use crate::ports::{AuditRepository, DeadLetter, OutboxStore, SetAside};
use crate::values::{self, TenantId};
use chrono::Duration;
use std::sync::Arc;

mod chain;

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
    /// `true`: stored now; `false`: it was stored already (a redelivery got through meanwhile),
    /// or it went back to the outbox to be published again (`requeued`).
    pub stored: bool,
    /// `true`: an event the relay had set aside is back in the outbox's queue; the relay
    /// publishes it, and it reaches the trail like any other event.
    pub requeued: bool,
}

/// The audit service.
#[derive(Clone)]
pub struct AuditService {
    repo: Arc<dyn AuditRepository>,
    policy: Arc<dyn Policy>,
    outbox: Option<Arc<dyn OutboxStore>>,
    home: TenantId,
}

/// Most of a set-aside event's payload a listing shows: it was set aside because it is large,
/// and a page of them must stay small. Requeueing uses the stored event, not this text.
const SET_ASIDE_PAYLOAD_SHOWN: usize = 16 * 1024;

impl AuditService {
    /// A service over `repo`.
    pub fn new(repo: Arc<dyn AuditRepository>) -> Self {
        Self {
            repo,
            policy: Arc::new(RolePolicy),
            outbox: None,
            home: TenantId::default_tenant(),
        }
    }

    /// Keeps messages that name no tenant they can be trusted with (unreadable, unsigned,
    /// forged, on another tenant's subject) in `tenant` — `platform` in a multi-tenant
    /// deployment, whose operators run it — instead of `default`.
    pub fn with_home_tenant(mut self, tenant: TenantId) -> Self {
        self.home = tenant;
        self
    }

    /// Where messages that name no tenant they can be trusted with are kept.
    pub fn home_tenant(&self) -> &TenantId {
        &self.home
    }

    /// Lists and requeues the events this process's relay set aside in `outbox` beside the
    /// messages the audit store parked: both are changes that have not reached the trail.
    pub fn with_outbox(mut self, outbox: Arc<dyn OutboxStore>) -> Self {
        self.outbox = Some(outbox);
        self
    }

    /// Decides every read with `policy` instead of the built-in roles' table.
    pub fn with_policy(mut self, policy: Arc<dyn Policy>) -> Self {
        self.policy = policy;
        self
    }

    /// Whether `actor` may manage the audit pipeline (`audit:manage`: administrators): read its
    /// dead letters, and the backends' readiness details. Asks the policy; no I/O.
    pub fn may_manage(&self, actor: &Actor) -> bool {
        authorize(&*self.policy, actor, Action::Manage, Resource::Audit, None).is_ok()
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

    /// The most recently parked messages of `tenant`, newest first.
    pub async fn dead_letters(&self, tenant: &TenantId, limit: u32) -> Result<Vec<DeadLetter>> {
        self.repo.dead_letters(tenant, limit).await
    }

    /// How many messages the audit store parked: of every tenant (the operators' metric), or of
    /// one.
    pub async fn dead_letter_count(&self, tenant: Option<TenantId>) -> Result<u64> {
        self.repo.dead_letter_count(tenant).await
    }

    /// How many events this process's relay set aside (`gotemp_outbox_dead_letters`), of every
    /// tenant or of one.
    pub async fn set_aside_count(&self, tenant: Option<TenantId>) -> Result<u64> {
        match &self.outbox {
            Some(outbox) => outbox.set_aside_count(tenant).await,
            None => Ok(0),
        }
    }

    /// Everything [`AuditService::list_dead_letters`] can list, of every tenant or of one:
    /// parked messages and set-aside events.
    pub async fn undelivered_count(&self, tenant: Option<TenantId>) -> Result<u64> {
        Ok(self.dead_letter_count(tenant.clone()).await? + self.set_aside_count(tenant).await?)
    }

    /// What has not reached the trail, newest first, for an administrator to look at (it may
    /// hold anything a publisher sent, so only `audit:manage` — administrators — may read it):
    /// messages the audit store parked, and events this process's relay set aside because the
    /// broker would not take them (those have ids below zero and `source` `outbox`).
    pub async fn list_dead_letters(&self, actor: &Actor, limit: u32) -> Result<Vec<DeadLetter>> {
        authorize(&*self.policy, actor, Action::Manage, Resource::Audit, None)?;
        let limit = limit.clamp(1, MAX_DEAD_LETTERS);
        let tenant = &actor.tenant;
        let mut letters = self.repo.dead_letters(tenant, limit).await?;
        if let Some(outbox) = &self.outbox {
            letters.extend(
                outbox
                    .set_aside_events(tenant, limit)
                    .await?
                    .into_iter()
                    .map(set_aside),
            );
            letters.sort_by_key(|l| std::cmp::Reverse(l.failed_at));
            letters.truncate(limit as usize);
        }
        Ok(letters)
    }

    /// Stores a parked message after its cause was fixed, and forgets it. Idempotent through the
    /// event id: an event stored meanwhile is not stored twice. A message that was never an
    /// event of this deployment (unreadable, unsigned, forged) cannot be replayed; a store that
    /// still refuses it keeps it parked and says why. An id below zero is an event the relay set
    /// aside: it goes back to the outbox's queue (should the broker still refuse it, it is set
    /// aside again).
    pub async fn replay_dead_letter(&self, actor: &Actor, id: i64) -> Result<Replayed> {
        authorize(&*self.policy, actor, Action::Manage, Resource::Audit, None)?;
        if id < 0 {
            return self.requeue(&actor.tenant, id).await;
        }
        let letter = (self.repo.dead_letter(&actor.tenant, id).await?)
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
        // A letter is parked under its event's tenant; one that says otherwise is not replayed
        // into a trail its administrator does not own.
        if event.tenant != actor.tenant {
            return Err(not_replayable());
        }
        let stored = self.repo.record(&event, values::now()).await?;
        self.repo.remove_dead_letter(&actor.tenant, id).await?;
        tracing::info!(dead_letter = id, event_id = %event.event_id, stored, "dead letter replayed");
        Ok(Replayed {
            event_id: event.event_id,
            stored,
            requeued: false,
        })
    }

    /// Puts the event set aside at outbox position `-id` back in the queue.
    async fn requeue(&self, tenant: &TenantId, id: i64) -> Result<Replayed> {
        let missing = || Error::not_found("dead letter", id);
        let outbox = self.outbox.as_ref().ok_or_else(missing)?;
        let position = id.checked_neg().ok_or_else(missing)?;
        let letters = outbox.set_aside_events(tenant, MAX_DEAD_LETTERS).await?;
        let letter = (letters.into_iter().find(|l| l.position == position)).ok_or_else(missing)?;
        if !outbox.requeue(tenant, position).await? {
            return Err(missing());
        }
        tracing::info!(dead_letter = id, event_id = %letter.event.event_id, "set-aside event requeued");
        Ok(Replayed {
            event_id: letter.event.event_id,
            stored: false,
            requeued: true,
        })
    }

    /// The record with row id `id`.
    pub async fn get(&self, actor: &Actor, id: i64) -> Result<AuditRecord> {
        self.allow_read(actor)?;
        self.repo
            .get(&actor.tenant, id)
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
        self.repo.list(&actor.tenant, filter, &spec).await
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

    /// Counts per time bucket of `width` (at least a second), oldest first, over the range the
    /// answer states: an end left open is now, a start left open the last
    /// [`MAX_BUCKETS`] widths before the end — so a count without a range is never a scan of
    /// the whole trail — and a range of more buckets than that is refused, naming `width`.
    pub async fn count_by_bucket(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        width: Duration,
    ) -> Result<Buckets> {
        self.allow_read(actor)?;
        check_range(filter)?;
        if width < Duration::seconds(1) {
            return Err(Error::invalid(FieldError::new(
                "width",
                "out_of_range",
                crate::tr!("field.width_min"),
            )));
        }
        let to = filter.to.unwrap_or_else(values::now);
        let from = filter.from.unwrap_or_else(|| {
            (width.checked_mul(MAX_BUCKETS as i32))
                .and_then(|span| to.checked_sub_signed(span))
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
        });
        if to <= from {
            return Err(Error::invalid(FieldError::new(
                "to",
                "invalid_range",
                crate::tr!("field.invalid_range"),
            )));
        }
        if (to - from).num_seconds() / width.num_seconds() > MAX_BUCKETS {
            return Err(Error::invalid(FieldError::new(
                "width",
                "too_many_buckets",
                crate::tr!("field.too_many_buckets", max = MAX_BUCKETS),
            )));
        }
        let bounded = AuditFilter {
            from: Some(from),
            to: Some(to),
            ..filter.clone()
        };
        let counts = (self.repo.count_by_bucket(&actor.tenant, &bounded, width)).await?;
        Ok(Buckets { from, to, counts })
    }
}

/// Change counts per bucket, and the range they cover.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    /// The start of the range counted (the one asked for, or the last `MAX_BUCKETS` widths).
    pub from: chrono::DateTime<chrono::Utc>,
    /// The end of the range counted (the one asked for, or now).
    pub to: chrono::DateTime<chrono::Utc>,
    /// Buckets with at least one change, oldest first.
    pub counts: Vec<BucketCount>,
}

/// A set-aside event as a dead letter: its id is minus its outbox position.
fn set_aside(letter: SetAside) -> DeadLetter {
    let mut payload = serde_json::to_string(&letter.event).unwrap_or_default();
    if payload.len() > SET_ASIDE_PAYLOAD_SHOWN {
        let mut end = SET_ASIDE_PAYLOAD_SHOWN;
        while !payload.is_char_boundary(end) {
            end -= 1;
        }
        payload.truncate(end);
        payload.push('…');
    }
    DeadLetter {
        id: -letter.position,
        tenant: letter.event.tenant.clone(),
        event_id: Some(letter.event.event_id),
        subject: letter.event.topic(),
        payload,
        reason: letter.reason,
        attempts: 1,
        failed_at: letter.failed_at,
        source: crate::ports::DeadLetterSource::Outbox,
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
