//! Limits on what a stranger can make the user service do with passwords: failed attempts per
//! account, with a back-off that grows in two steps, attempts per source address (looser, so
//! one account under back-off does not hold back another's login from the same office), and a
//! bounded pool for the hashing itself (argon2 takes 19 MiB and tens of milliseconds a call).

use crate::error::{Error, Result};
use governor::Quota;
use hashlink::LruCache;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How strict the limits are. The defaults let a person mistype a password a few times a
/// minute and stop a script at once.
#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// Failed attempts per account before each further one waits (`per_minute` a minute).
    pub account_per_minute: u32,
    /// Failed attempts per account in an hour before the wait grows to minutes.
    pub account_per_hour: u32,
    /// Attempts (failed or not) per source address a minute, in a burst of this many.
    pub address_per_minute: u32,
    /// Password hashes computed at once; more wait for a turn.
    pub hashing_at_once: usize,
    /// How long an attempt waits for a turn at hashing before it is refused as unavailable.
    pub hashing_wait: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            account_per_minute: 5,
            account_per_hour: 30,
            address_per_minute: 60,
            hashing_at_once: 2 * cores,
            hashing_wait: Duration::from_secs(5),
        }
    }
}

/// Password checks of one account that may run at once; more wait their turn by being refused
/// (429, retry in a second). Without it, sixty guesses sent at once were all checked before
/// the first failure could start the back-off.
pub const MAX_CHECKS_IN_FLIGHT: u32 = 2;

/// How far down the least recently used accounts a full table looks for one it may forget
/// (neither in back-off nor being checked).
const EVICTION_SCAN: usize = 64;

mod attempt;
mod local;
mod shared;

pub use attempt::Attempt;

pub use local::network;
use local::{Account, Addresses, HOUR, MAX_KEYS, MINUTE};
#[cfg(any(test, feature = "mocks"))]
pub use shared::MockSharedAttempts;
pub use shared::{AccountLimits, SharedAttempts};

/// The limits of one user service.
pub struct Throttle {
    account_per_minute: u32,
    account_per_hour: u32,
    /// Every account with recent attempts, least recently used first. Bounded: a full table
    /// forgets the least recently used account that is neither in back-off nor being checked,
    /// and never forgets a back-off.
    accounts: Mutex<LruCache<String, Account>>,
    address: Addresses,
    /// Counters shared with the other replicas, when there are some.
    shared: Option<std::sync::Arc<dyn SharedAttempts>>,
    /// Turns at hashing: a bounded queue with a deadline in front of the hashing threads.
    hashing: Semaphore,
    /// The threads that hash, as many as there are turns. A fixed few, not the blocking pool:
    /// argon2 takes 19 MiB a call, and the allocator keeps that memory in the arena of every
    /// thread that ever hashed, so hashing on whatever thread is free grows the resident
    /// memory with the number of threads (measured: 1 GiB after a flood of 500 logins).
    hashers: rayon::ThreadPool,
    hashing_wait: Duration,
    checks: AtomicU32,
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle").finish_non_exhaustive()
    }
}

fn quota_per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl Throttle {
    /// Limits as `settings` say.
    pub fn new(settings: &ThrottleSettings) -> Self {
        Self {
            account_per_minute: settings.account_per_minute.max(1),
            account_per_hour: settings.account_per_hour.max(1),
            accounts: Mutex::new(LruCache::new_unbounded()),
            address: Addresses::new(quota_per_minute(settings.address_per_minute)),
            shared: None,
            hashing: Semaphore::new(settings.hashing_at_once.max(1)),
            hashers: rayon::ThreadPoolBuilder::new()
                .num_threads(settings.hashing_at_once.max(1))
                .thread_name(|n| format!("gotemp-hash-{n}"))
                .build()
                .expect("the hashing threads start"),
            hashing_wait: settings.hashing_wait,
            checks: AtomicU32::new(0),
        }
    }

    /// Reserves an attempt on `account` (a normalized e-mail or a user id) from `source`
    /// before its password is checked. Refused while the account is in back-off, while
    /// [`MAX_CHECKS_IN_FLIGHT`] of its checks run, when its attempts in flight and failed
    /// already use up its budget, or when the address (IPv6: its /64) is over its limit.
    pub async fn reserve(&self, account: &str, source: Option<IpAddr>) -> Result<Attempt<'_>> {
        self.tidy();
        if let Some(ip) = source
            && let Err(wait) = self.address.check(ip)
        {
            return Err(too_many(wait, "throttle.address"));
        }
        if let Some(store) = &self.shared
            && let Some(id) = self.reserve_shared(store.as_ref(), account).await?
        {
            return Ok(Attempt {
                throttle: self,
                account: account.to_owned(),
                shared: Some(id),
                settled: false,
            });
        }
        self.reserve_local(account)
    }

    /// Counters shared with the other replicas: `Ok(Some(id))` reserved there, `Ok(None)` when
    /// the store failed (the local counters apply), `Err` when refused.
    async fn reserve_shared(
        &self,
        store: &dyn SharedAttempts,
        account: &str,
    ) -> Result<Option<String>> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let key = digest(account);
        match store.reserve(&key, &id, now_ms(), &self.limits()).await {
            Ok(None) => Ok(Some(id)),
            Ok(Some(wait)) => Err(too_many(wait, "throttle.account")),
            Err(e) => {
                let error = crate::error::report(&e);
                tracing::warn!(%error, "shared attempt counters unreachable; this replica's own apply");
                Ok(None)
            }
        }
    }

    fn limits(&self) -> AccountLimits {
        AccountLimits {
            per_minute: self.account_per_minute,
            per_hour: self.account_per_hour,
            in_flight: MAX_CHECKS_IN_FLIGHT,
            reservation: Duration::from_secs(60),
        }
    }

    /// Shares the account counters with the other replicas through `store`.
    pub fn with_shared(mut self, store: std::sync::Arc<dyn SharedAttempts>) -> Self {
        self.shared = Some(store);
        self
    }

    /// The account part of [`Throttle::reserve`] in this replica's own counters.
    fn reserve_local(&self, account: &str) -> Result<Attempt<'_>> {
        let now = Instant::now();
        let mut accounts = self.accounts();
        if !accounts.contains_key(account) && accounts.len() >= MAX_KEYS {
            Self::forget_one(&mut accounts, now)?;
        }
        let state = accounts
            .entry(account.to_owned())
            .or_insert_with(|| Account::new(now));
        if let Some(until) = state.blocked_until.filter(|until| *until > now) {
            return Err(too_many(until - now, "throttle.account"));
        }
        if state.in_flight >= MAX_CHECKS_IN_FLIGHT {
            return Err(too_many(Duration::from_secs(1), "throttle.account"));
        }
        let in_flight = state.in_flight;
        let budget = [
            (
                state.minute.at(now, MINUTE),
                MINUTE,
                self.account_per_minute,
            ),
            (state.hour.at(now, HOUR), HOUR, self.account_per_hour),
        ];
        // A budget of n lets n failures pass and the attempt after them be checked; the
        // failure of that one starts the back-off.
        for (window, length, allowed) in budget {
            if window.failures + in_flight > allowed {
                return Err(too_many(window.ends(length) - now, "throttle.account"));
            }
        }
        state.in_flight += 1;
        Ok(Attempt {
            throttle: self,
            account: account.to_owned(),
            shared: None,
            settled: false,
        })
    }

    /// Settles a reserved attempt: it no longer runs, and with `failed` it counts — in the
    /// shared counters when it was reserved there (`shared`), else in this replica's.
    async fn settle(&self, account: &str, shared: Option<&str>, failed: bool) -> Option<Duration> {
        let (Some(store), Some(id)) = (&self.shared, shared) else {
            return self.settle_local(account, failed);
        };
        match store
            .settle(&digest(account), id, failed, now_ms(), &self.limits())
            .await
        {
            Ok(wait) => {
                if let Some(wait) = wait {
                    tracing::warn!(
                        wait_secs = wait.as_secs(),
                        "an account is in back-off after repeated failed attempts"
                    );
                }
                wait
            }
            Err(e) => {
                let error = crate::error::report(&e);
                tracing::warn!(%error, "shared attempt counters unreachable; counting here");
                self.settle_local(account, failed)
            }
        }
    }

    /// Settles a reserved attempt in this replica's counters.
    fn settle_local(&self, account: &str, failed: bool) -> Option<Duration> {
        let now = Instant::now();
        let mut accounts = self.accounts();
        let state = accounts.get_mut(account)?;
        state.in_flight = state.in_flight.saturating_sub(1);
        if !failed {
            return None;
        }
        let mut wait = None;
        for (window, length, allowed) in [
            (
                state.minute.at(now, MINUTE),
                MINUTE,
                self.account_per_minute,
            ),
            (state.hour.at(now, HOUR), HOUR, self.account_per_hour),
        ] {
            window.failures += 1;
            if window.failures > allowed {
                let ends = window.ends(length) - now;
                wait = Some(wait.map_or(ends, |w: Duration| w.max(ends)));
            }
        }
        if let Some(wait) = wait {
            state.blocked_until = Some(now + wait);
            tracing::warn!(
                wait_secs = wait.as_secs(),
                "an account is in back-off after repeated failed attempts"
            );
        }
        wait
    }

    /// Makes room for one account in a full table: the least recently used one that may be
    /// forgotten. When the oldest [`EVICTION_SCAN`] are all in back-off or being checked, the
    /// attempt is refused rather than a back-off forgotten.
    fn forget_one(accounts: &mut LruCache<String, Account>, now: Instant) -> Result<()> {
        let candidate = (accounts.iter().take(EVICTION_SCAN))
            .find(|(_, state)| state.forgettable(now))
            .map(|(key, _)| key.clone());
        match candidate {
            Some(key) => {
                accounts.remove(&key);
                Ok(())
            }
            None => Err(too_many(Duration::from_secs(60), "throttle.address")),
        }
    }

    /// Runs `hash` (argon2, bcrypt) when a turn is free; refused as unavailable when none
    /// frees up in time, so a flood of attempts waits in a bounded queue instead of taking
    /// unbounded memory.
    pub async fn hashing<T: Send + 'static>(
        &self,
        hash: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let permit = tokio::time::timeout(self.hashing_wait, self.hashing.acquire())
            .await
            .map_err(|_| Error::unavailable("password checks are busy; retry shortly"))?
            .map_err(|_| Error::unavailable("password checks are shut down"))?;
        let (done, result) = tokio::sync::oneshot::channel();
        self.hashers.spawn(move || {
            let _ = done.send(hash());
        });
        let result = result
            .await
            .map_err(|_| Error::internal("a password hashing thread failed"));
        drop(permit);
        result
    }

    fn accounts(&self) -> std::sync::MutexGuard<'_, LruCache<String, Account>> {
        self.accounts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Now and then: forgets accounts with nothing left to remember, and idle addresses.
    fn tidy(&self) {
        if !self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1024)
        {
            return;
        }
        self.address.tidy();
        let now = Instant::now();
        self.accounts().retain(|_, state| {
            !(state.forgettable(now)
                && now.duration_since(state.hour.started) >= HOUR
                && now.duration_since(state.minute.started) >= MINUTE)
        });
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(&ThrottleSettings::default())
    }
}

/// The key an account is counted under in a shared store: a digest, so the store never holds
/// an e-mail.
fn digest(account: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(account.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// `why`: the catalogue key of the reason.
fn too_many(wait: Duration, why: &str) -> Error {
    let retry_after = Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
    Error::TooManyRequests {
        message: crate::i18n::text(why, &[("secs", &retry_after.as_secs())]),
        retry_after,
    }
}

#[cfg(test)]
mod tests;
