//! This replica's own counters: the address limiter, and the windows of failures of each
//! account (when no shared store keeps them).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Tracked keys at most: accounts in the account table, addresses in the address limiter.
pub(super) const MAX_KEYS: usize = 100_000;

pub(super) const MINUTE: Duration = Duration::from_secs(60);
pub(super) const HOUR: Duration = Duration::from_secs(3600);

/// The address limiter (governor's GCRA per key), replaced by a fresh one when strangers made
/// it track too many addresses at once. An address is an IPv4 address or an IPv6 /64: one
/// machine holds a whole /64, so counting each IPv6 address apart let it guess without limit.
pub(super) struct Addresses {
    quota: Quota,
    limiter: std::sync::RwLock<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Addresses {
    pub(super) fn new(quota: Quota) -> Self {
        Self {
            quota,
            limiter: std::sync::RwLock::new(RateLimiter::keyed(quota)),
        }
    }

    /// Takes one attempt for `ip`'s network; `Err(wait)` when it has none left.
    pub(super) fn check(&self, ip: IpAddr) -> std::result::Result<(), Duration> {
        let limiter = self.limiter.read().unwrap_or_else(|p| p.into_inner());
        limiter
            .check_key(&network(ip))
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    pub(super) fn tidy(&self) {
        let mut limiter = self.limiter.write().unwrap_or_else(|p| p.into_inner());
        limiter.retain_recent();
        if limiter.len() > MAX_KEYS {
            *limiter = RateLimiter::keyed(self.quota);
        }
    }
}

/// The key an address is counted under: IPv4 as it is, IPv6 by its /64 (an IPv4-mapped IPv6
/// address as the IPv4 address it is).
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                u128::from(v6) & !((1u128 << 64) - 1),
            )),
        },
    }
}

/// Failures of one account in a fixed window.
#[derive(Debug, Clone, Copy)]
pub(super) struct Window {
    pub(super) started: Instant,
    pub(super) failures: u32,
}

impl Window {
    /// The window running at `now`, a fresh one when `length` has passed.
    pub(super) fn at(&mut self, now: Instant, length: Duration) -> &mut Self {
        if now.duration_since(self.started) >= length {
            *self = Window {
                started: now,
                failures: 0,
            };
        }
        self
    }

    pub(super) fn ends(&self, length: Duration) -> Instant {
        self.started + length
    }
}

/// What the throttle knows of one account.
#[derive(Debug, Clone, Copy)]
pub(super) struct Account {
    pub(super) minute: Window,
    pub(super) hour: Window,
    /// Attempts reserved and not settled yet: counted as failures until they are settled.
    pub(super) in_flight: u32,
    pub(super) blocked_until: Option<Instant>,
}

impl Account {
    pub(super) fn new(now: Instant) -> Self {
        let window = Window {
            started: now,
            failures: 0,
        };
        Self {
            minute: window,
            hour: window,
            in_flight: 0,
            blocked_until: None,
        }
    }

    pub(super) fn forgettable(&self, now: Instant) -> bool {
        self.in_flight == 0 && self.blocked_until.is_none_or(|until| until <= now)
    }
}
