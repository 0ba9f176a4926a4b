//! An attempt on an account: counted as a failure from the moment it is reserved until it is
//! settled, and given back uncounted when dropped unsettled.

use super::{Throttle, digest, now_ms};
use std::time::Duration;

/// An attempt on an account, reserved before its password is checked: until it is settled it
/// counts as a failure, so attempts sent at once cannot outrun the back-off. Settle it with
/// [`Attempt::failed`] or [`Attempt::succeeded`]; dropped unsettled (the check could not run:
/// hashing busy, a database error) it is given back uncounted.
#[must_use = "an attempt counts until it is settled"]
pub struct Attempt<'a> {
    pub(super) throttle: &'a Throttle,
    pub(super) account: String,
    /// Its id in the shared counters, when they took it.
    pub(super) shared: Option<String>,
    pub(super) settled: bool,
}

impl Attempt<'_> {
    /// The password was wrong: counts the failure, and starts a back-off when the account ran
    /// out of attempts (a minute's, then an hour's); returns the back-off it started.
    pub async fn failed(mut self) -> Option<Duration> {
        self.settled = true;
        self.throttle
            .settle(&self.account, self.shared.as_deref(), true)
            .await
    }

    /// The password was right: the attempt is not counted.
    pub async fn succeeded(mut self) {
        self.settled = true;
        self.throttle
            .settle(&self.account, self.shared.as_deref(), false)
            .await;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        match (&self.throttle.shared, self.shared.take()) {
            (None, _) | (_, None) => {
                self.throttle.settle_local(&self.account, false);
            }
            // Given back in the background; should that fail, the reservation ends by itself.
            (Some(store), Some(id)) => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    let (store, key) = (store.clone(), digest(&self.account));
                    let limits = self.throttle.limits();
                    runtime.spawn(async move {
                        let _ = store.settle(&key, &id, false, now_ms(), &limits).await;
                    });
                }
            }
        }
    }
}
