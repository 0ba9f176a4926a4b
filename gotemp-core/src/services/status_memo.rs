//! The user service's memory of authentication statuses: in this process only, briefly, and
//! never filled by a read that raced a revocation.

use crate::entities::AuthStatus;

/// What authentication knows of recently seen users — roles, company, active, validity, token
/// version — kept in this process only, for [`StatusMemo::TTL`]. Never in a shared cache: a
/// user's roles in Redis could be rewritten by anyone holding the Redis password (every pod),
/// making any user an admin. A change made in this process evicts the entry at once; one made
/// in another process is seen within the TTL, inside the 2 s bound on revocation. A fill that
/// raced an eviction (read before the change committed, stored after its eviction) is not
/// stored, so it cannot outlive the revocation it raced.
pub(super) struct StatusMemo {
    entries: std::sync::Mutex<hashlink::LruCache<i64, (std::time::Instant, AuthStatus)>>,
    /// Bumped by every eviction: a fill that saw another value began before one.
    evictions: std::sync::atomic::AtomicU64,
}

impl Default for StatusMemo {
    fn default() -> Self {
        Self {
            entries: std::sync::Mutex::new(hashlink::LruCache::new(Self::CAPACITY)),
            evictions: Default::default(),
        }
    }
}

impl StatusMemo {
    /// How long a status is trusted without reading the store again.
    pub(super) const TTL: std::time::Duration = std::time::Duration::from_secs(1);
    /// Users remembered at most; the least recently used go first.
    const CAPACITY: usize = 100_000;

    fn entries(
        &self,
    ) -> std::sync::MutexGuard<'_, hashlink::LruCache<i64, (std::time::Instant, AuthStatus)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The status of user `id` when a fresh one is remembered.
    pub(super) fn get(&self, id: i64) -> Option<AuthStatus> {
        let mut entries = self.entries();
        match entries.get(&id) {
            Some((at, status)) if at.elapsed() < Self::TTL => Some(status.clone()),
            Some(_) => {
                entries.remove(&id);
                None
            }
            None => None,
        }
    }

    /// A token for [`StatusMemo::put`], taken before the store is read.
    pub(super) fn before_read(&self) -> u64 {
        self.evictions.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Remembers `status`, read after `before_read` returned `token`, unless an eviction
    /// happened meanwhile.
    pub(super) fn put(&self, id: i64, status: &AuthStatus, token: u64) {
        let mut entries = self.entries();
        if self.evictions.load(std::sync::atomic::Ordering::Acquire) == token {
            entries.insert(id, (std::time::Instant::now(), status.clone()));
        }
    }

    /// Forgets user `id` (and keeps fills that began before from being stored).
    pub(super) fn evict(&self, id: i64) {
        let mut entries = self.entries();
        self.evictions
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        entries.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::User;

    fn status(version: i64) -> AuthStatus {
        AuthStatus {
            tenant: crate::values::TenantId::default_tenant(),
            user: User {
                id: 7,
                ..crate::services::tests::user(7, 1)
            },
            token_version: version,
        }
    }

    #[test]
    fn a_fill_that_raced_an_eviction_is_not_kept() {
        let memo = StatusMemo::default();
        let token = memo.before_read();
        // The revocation commits and evicts while the stale status is on its way.
        memo.evict(7);
        memo.put(7, &status(1), token);
        assert_eq!(memo.get(7), None, "the stale fill is dropped");
        let token = memo.before_read();
        memo.put(7, &status(2), token);
        assert_eq!(memo.get(7).map(|s| s.token_version), Some(2));
    }

    #[test]
    fn a_status_is_trusted_for_one_second_only() {
        let memo = StatusMemo::default();
        let token = memo.before_read();
        memo.put(7, &status(1), token);
        assert!(memo.get(7).is_some());
        memo.entries().get_mut(&7).unwrap().0 -= StatusMemo::TTL;
        assert_eq!(memo.get(7), None, "read from the store again");
    }
}
