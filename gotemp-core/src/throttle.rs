//! Limits on what a stranger can make the user service do with passwords: failed attempts per
//! account, with a back-off that grows in two steps, attempts per source address (looser, so
//! one account under back-off does not hold back another's login from the same office), and a
//! bounded pool for the hashing itself (argon2 takes 19 MiB and tens of milliseconds a call).

use crate::error::{Error, Result};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
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

/// Tracked keys at most per limiter; past it, idle ones are dropped, then all of them.
const MAX_KEYS: usize = 100_000;

/// One keyed limiter (governor's GCRA per key), replaced by a fresh one when strangers made it
/// track too many keys at once.
struct Keyed<K: std::hash::Hash + Eq + Clone> {
    quota: Quota,
    limiter: std::sync::RwLock<DefaultKeyedRateLimiter<K>>,
}

impl<K: std::hash::Hash + Eq + Clone> Keyed<K> {
    fn new(quota: Quota) -> Self {
        Self {
            quota,
            limiter: std::sync::RwLock::new(RateLimiter::keyed(quota)),
        }
    }

    /// Takes one attempt for `key`; `Err(wait)` when it has none left.
    fn check(&self, key: &K) -> std::result::Result<(), Duration> {
        let limiter = self.limiter.read().unwrap_or_else(|p| p.into_inner());
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn tidy(&self) {
        let mut limiter = self.limiter.write().unwrap_or_else(|p| p.into_inner());
        limiter.retain_recent();
        if limiter.len() > MAX_KEYS {
            *limiter = RateLimiter::keyed(self.quota);
        }
    }
}

/// The limits of one user service.
pub struct Throttle {
    account_minute: Keyed<String>,
    account_hour: Keyed<String>,
    address: Keyed<IpAddr>,
    /// Accounts that must wait, and until when: consulted before an attempt, so only failures
    /// count against an account.
    blocked: Mutex<HashMap<String, Instant>>,
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
        let hour = NonZeroU32::new(settings.account_per_hour.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            account_minute: Keyed::new(quota_per_minute(settings.account_per_minute)),
            account_hour: Keyed::new(Quota::per_hour(hour)),
            address: Keyed::new(quota_per_minute(settings.address_per_minute)),
            blocked: Mutex::new(HashMap::new()),
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

    /// Before an attempt on `account` (a normalized e-mail or a user id) from `source`: refused
    /// while the account is in back-off or the address over its limit.
    pub fn before_attempt(&self, account: &str, source: Option<IpAddr>) -> Result<()> {
        self.tidy();
        let now = Instant::now();
        let until = self.blocked().get(account).copied();
        if let Some(until) = until.filter(|u| *u > now) {
            return Err(too_many(until - now, "throttle.account"));
        }
        if let Some(ip) = source
            && let Err(wait) = self.address.check(&ip)
        {
            return Err(too_many(wait, "throttle.address"));
        }
        Ok(())
    }

    /// After a failed attempt on `account`: counts it, and starts a back-off when the account
    /// ran out of attempts (a minute's, then an hour's); returns the back-off it started.
    pub fn failed(&self, account: &str) -> Option<Duration> {
        let key = account.to_owned();
        let wait = [&self.account_hour, &self.account_minute]
            .into_iter()
            .filter_map(|limiter| limiter.check(&key).err())
            .max();
        if let Some(wait) = wait {
            self.blocked().insert(key, Instant::now() + wait);
            tracing::warn!(
                wait_secs = wait.as_secs(),
                "an account is in back-off after repeated failed attempts"
            );
        }
        wait
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

    fn blocked(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.blocked.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Now and then: forgets idle keys, and bounds how many are kept.
    fn tidy(&self) {
        if !self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1024)
        {
            return;
        }
        self.account_minute.tidy();
        self.account_hour.tidy();
        self.address.tidy();
        let now = Instant::now();
        let mut blocked = self.blocked();
        blocked.retain(|_, until| *until > now);
        if blocked.len() > MAX_KEYS {
            blocked.clear();
        }
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(&ThrottleSettings::default())
    }
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
mod tests {
    use super::*;

    fn strict() -> Throttle {
        Throttle::new(&ThrottleSettings {
            account_per_minute: 2,
            account_per_hour: 4,
            address_per_minute: 5,
            hashing_at_once: 1,
            hashing_wait: Duration::from_millis(50),
        })
    }

    #[test]
    fn failures_put_an_account_in_back_off_and_leave_others_alone() {
        let t = strict();
        let ip: Option<IpAddr> = Some("10.0.0.1".parse().unwrap());
        for _ in 0..2 {
            t.before_attempt("ann", ip).unwrap();
            t.failed("ann");
        }
        t.before_attempt("ann", ip).unwrap();
        t.failed("ann"); // the third failure in a minute starts the back-off
        let e = t.before_attempt("ann", ip).unwrap_err();
        let Error::TooManyRequests { retry_after, .. } = e else {
            panic!("{e:?}")
        };
        assert!(retry_after >= Duration::from_secs(1) && retry_after <= Duration::from_secs(30));
        t.before_attempt("bob", ip)
            .expect("another account from the same address");
    }

    #[test]
    fn an_address_is_limited_whatever_the_account() {
        let t = strict();
        let ip: Option<IpAddr> = Some("10.0.0.2".parse().unwrap());
        for n in 0..5 {
            t.before_attempt(&format!("user{n}"), ip).unwrap();
        }
        assert!(matches!(
            t.before_attempt("user9", ip),
            Err(Error::TooManyRequests { .. })
        ));
        t.before_attempt("user9", Some("10.0.0.3".parse().unwrap()))
            .expect("another address");
    }

    #[tokio::test]
    async fn hashing_waits_its_turn_then_gives_up() {
        let t = Arc::new(strict());
        let (started, release) = (
            Arc::new(tokio::sync::Notify::new()),
            Arc::new(std::sync::Barrier::new(2)),
        );
        let busy = {
            let (t, started, release) = (t.clone(), started.clone(), release.clone());
            tokio::spawn(async move {
                t.hashing(move || {
                    started.notify_one();
                    release.wait();
                })
                .await
            })
        };
        started.notified().await;
        let refused = t.hashing(|| ()).await.unwrap_err();
        assert!(matches!(refused, Error::Unavailable(_)), "{refused:?}");
        release.wait();
        busy.await.unwrap().unwrap();
        t.hashing(|| ()).await.expect("a free turn again");
    }

    use std::sync::Arc;
}
