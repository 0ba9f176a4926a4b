//! One outbox over several stores, for deployments that keep some objects apart (customers and
//! products in their own database): each store's changes still commit with their events in that
//! store, and one relay drains them all.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gotemp_core::Result;
use gotemp_core::ports::{OutboxEntry, OutboxStore, SetAside};
use gotemp_core::values::TenantId;
use std::sync::Arc;
use std::time::Duration;

/// Stores merged at most; positions carry the store's index in their low bits.
const MAX_STORES: usize = 16;
const INDEX_BITS: u32 = 4;

/// Several outboxes seen as one. A merged position is `(position << 4) | store index`, so each
/// store's own positions (well below 2^59) come back to the right store when marked sent.
pub struct MergedOutbox {
    stores: Vec<Arc<dyn OutboxStore>>,
}

impl MergedOutbox {
    /// Merges `stores` (1 to 16).
    pub fn new(stores: Vec<Arc<dyn OutboxStore>>) -> Self {
        assert!(
            (1..=MAX_STORES).contains(&stores.len()),
            "a merged outbox takes 1 to {MAX_STORES} stores"
        );
        Self { stores }
    }

    fn merged(index: usize, mut entries: Vec<OutboxEntry>) -> Vec<OutboxEntry> {
        for e in &mut entries {
            e.position = (e.position << INDEX_BITS) | index as i64;
        }
        entries
    }

    /// The store a merged position belongs to, and the position in its own numbering.
    fn store_of(&self, position: i64) -> Result<(&Arc<dyn OutboxStore>, i64)> {
        let index = (position & ((1 << INDEX_BITS) - 1)) as usize;
        let store = self
            .stores
            .get(index)
            .ok_or_else(|| gotemp_core::Error::not_found("set-aside event", position))?;
        Ok((store, position >> INDEX_BITS))
    }

    /// The positions of each store, in the store's own numbering.
    fn split(&self, positions: &[i64]) -> Vec<Vec<i64>> {
        let mut per_store = vec![Vec::new(); self.stores.len()];
        for p in positions {
            let index = (p & ((1 << INDEX_BITS) - 1)) as usize;
            if let Some(list) = per_store.get_mut(index) {
                list.push(p >> INDEX_BITS);
            }
        }
        per_store
    }
}

#[async_trait]
impl OutboxStore for MergedOutbox {
    async fn pending(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let mut all = Vec::new();
        for (i, store) in self.stores.iter().enumerate() {
            let left = limit.saturating_sub(all.len() as u32);
            if left == 0 {
                break;
            }
            all.extend(Self::merged(i, store.pending(left).await?));
        }
        Ok(all)
    }

    async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<OutboxEntry>> {
        let mut all = Vec::new();
        for (i, store) in self.stores.iter().enumerate() {
            let left = limit.saturating_sub(all.len() as u32);
            if left == 0 {
                break;
            }
            all.extend(Self::merged(i, store.claim(left, lease).await?));
        }
        Ok(all)
    }

    async fn mark_sent(&self, positions: &[i64]) -> Result<()> {
        for (store, own) in self.stores.iter().zip(self.split(positions)) {
            if !own.is_empty() {
                store.mark_sent(&own).await?;
            }
        }
        Ok(())
    }

    async fn release(&self, positions: &[i64]) -> Result<()> {
        for (store, own) in self.stores.iter().zip(self.split(positions)) {
            if !own.is_empty() {
                store.release(&own).await?;
            }
        }
        Ok(())
    }

    async fn prune_sent(&self, before: DateTime<Utc>) -> Result<u64> {
        let mut pruned = 0;
        for store in &self.stores {
            pruned += store.prune_sent(before).await?;
        }
        Ok(pruned)
    }

    async fn backlog(&self) -> Result<u64> {
        let mut backlog = 0;
        for store in &self.stores {
            backlog += store.backlog().await?;
        }
        Ok(backlog)
    }

    async fn set_aside(&self, position: i64, reason: &str) -> Result<()> {
        let (store, own) = self.store_of(position)?;
        store.set_aside(own, reason).await
    }

    async fn set_aside_events(&self, tenant: &TenantId, limit: u32) -> Result<Vec<SetAside>> {
        let mut all = Vec::new();
        for (i, store) in self.stores.iter().enumerate() {
            for mut event in store.set_aside_events(tenant, limit).await? {
                event.position = (event.position << INDEX_BITS) | i as i64;
                all.push(event);
            }
        }
        all.sort_by_key(|l| std::cmp::Reverse(l.failed_at));
        all.truncate(limit as usize);
        Ok(all)
    }

    async fn set_aside_count(&self, tenant: Option<TenantId>) -> Result<u64> {
        let mut count = 0;
        for store in &self.stores {
            count += store.set_aside_count(tenant.clone()).await?;
        }
        Ok(count)
    }

    async fn requeue(&self, tenant: &TenantId, position: i64) -> Result<bool> {
        match self.store_of(position) {
            Ok((store, own)) => store.requeue(tenant, own).await,
            Err(_) => Ok(false),
        }
    }

    fn claims_concurrently(&self) -> bool {
        self.stores.iter().all(|s| s.claims_concurrently())
    }

    async fn wait_for_new(&self, max_wait: Duration) {
        let waits = self.stores.iter().map(|s| s.wait_for_new(max_wait));
        futures::future::select_all(waits).await;
    }
}
