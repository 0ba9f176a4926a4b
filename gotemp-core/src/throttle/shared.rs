//! Account counters several replicas share, so that replicas do not multiply a budget.

use crate::error::Result;
use std::time::Duration;

/// The account limits, as a shared store of counters applies them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountLimits {
    /// Failures a minute before the back-off.
    pub per_minute: u32,
    /// Failures an hour before the longer back-off.
    pub per_hour: u32,
    /// Checks of one account at once.
    pub in_flight: u32,
    /// How long a reserved attempt counts at most, should its process die before settling it.
    pub reservation: Duration,
}

/// Account counters several replicas share (Redis), so that each replica does not grant an
/// account a budget of its own. Keys are digests of the accounts, never the e-mails. A store
/// that fails is bypassed: the replica's own counters apply meanwhile.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait::async_trait]
pub trait SharedAttempts: Send + Sync {
    /// Reserves attempt `id` of `account` at `now_ms` (milliseconds since the epoch): `Ok(None)`
    /// when it may run, `Ok(Some(wait))` when the account is in back-off, has
    /// `limits.in_flight` checks running, or its failures and attempts in flight use up its
    /// budget.
    async fn reserve(
        &self,
        account: &str,
        id: &str,
        now_ms: i64,
        limits: &AccountLimits,
    ) -> Result<Option<Duration>>;
    /// Settles attempt `id`: it no longer runs, and with `failed` it counts; returns the
    /// back-off it started.
    async fn settle(
        &self,
        account: &str,
        id: &str,
        failed: bool,
        now_ms: i64,
        limits: &AccountLimits,
    ) -> Result<Option<Duration>>;
}
