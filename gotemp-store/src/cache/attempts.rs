//! Password-attempt counters on Redis, shared by every replica of the user service: an
//! account's budget is one, however many replicas take its guesses. Each reservation and
//! settlement is one Lua script, atomic on the server, so replicas racing for the last
//! attempt cannot both get it.

use super::RedisCache;
use super::redis::unavailable;
use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::throttle::{AccountLimits, SharedAttempts};
use redis::aio::ConnectionManager;
use std::time::Duration;

/// The counters of one account: a hash (`ms`/`mf`: the minute window's start and failures,
/// `hs`/`hf`: the hour's, `bu`: in back-off until) and a sorted set of the attempts in flight,
/// scored by when their reservation ends (so one whose replica died stops counting). Both
/// scripts begin by reading the windows as they stand at `now` (ARGV[1]).
const WINDOWS: &str = r"
local now = tonumber(ARGV[1])
local ms = tonumber(redis.call('HGET', KEYS[1], 'ms') or '0')
local mf = tonumber(redis.call('HGET', KEYS[1], 'mf') or '0')
local hs = tonumber(redis.call('HGET', KEYS[1], 'hs') or '0')
local hf = tonumber(redis.call('HGET', KEYS[1], 'hf') or '0')
if now - ms >= 60000 then ms = now; mf = 0 end
if now - hs >= 3600000 then hs = now; hf = 0 end
";

/// Reserves an attempt: refused (the wait in milliseconds) in back-off, with ARGV[4] checks in
/// flight, or when failures and attempts in flight use up the minute's (ARGV[2]) or hour's
/// (ARGV[3]) budget; else the attempt ARGV[6] is in flight until now + ARGV[5].
const RESERVE: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local bu = tonumber(redis.call('HGET', KEYS[1], 'bu') or '0')
if bu > now then return bu - now end
local inflight = redis.call('ZCARD', KEYS[2])
if inflight >= tonumber(ARGV[4]) then return 1000 end
if mf + inflight > tonumber(ARGV[2]) then return ms + 60000 - now end
if hf + inflight > tonumber(ARGV[3]) then return hs + 3600000 - now end
redis.call('HSET', KEYS[1], 'ms', ms, 'mf', mf, 'hs', hs, 'hf', hf)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[5]), ARGV[6])
redis.call('PEXPIRE', KEYS[1], 3600000)
redis.call('PEXPIRE', KEYS[2], 3600000)
return 0
";

/// Settles an attempt: out of the set in flight, and with ARGV[4] = 1 a failure counted, a
/// back-off started when the budget is spent; returns the back-off in milliseconds (0: none).
const SETTLE: &str = r"
redis.call('ZREM', KEYS[2], ARGV[5])
if ARGV[4] ~= '1' then return 0 end
mf = mf + 1
hf = hf + 1
local wait = 0
if mf > tonumber(ARGV[2]) then wait = ms + 60000 - now end
if hf > tonumber(ARGV[3]) and hs + 3600000 - now > wait then wait = hs + 3600000 - now end
redis.call('HSET', KEYS[1], 'ms', ms, 'mf', mf, 'hs', hs, 'hf', hf)
if wait > 0 then redis.call('HSET', KEYS[1], 'bu', now + wait) end
redis.call('PEXPIRE', KEYS[1], 3600000)
return wait
";

/// The two scripts, each after the windows' prelude.
static SCRIPTS: std::sync::LazyLock<[String; 2]> =
    std::sync::LazyLock::new(|| [format!("{WINDOWS}{RESERVE}"), format!("{WINDOWS}{SETTLE}")]);

/// [`SharedAttempts`] on the Redis of a [`RedisCache`] (same connection), under `prefix`.
#[derive(Clone)]
pub struct RedisAttempts {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisAttempts {
    /// Counters on `cache`'s Redis, keyed `<prefix>:attempts:<account digest>`.
    pub fn new(cache: &RedisCache, prefix: &str) -> Self {
        Self {
            conn: cache.conn.clone(),
            prefix: prefix.to_owned(),
        }
    }

    fn keys(&self, account: &str) -> [String; 2] {
        let key = format!("{}:attempts:{account}", self.prefix);
        let running = format!("{key}:running");
        [key, running]
    }
}

fn wait(millis: i64) -> Option<Duration> {
    (millis > 0).then(|| Duration::from_millis(u64::try_from(millis).unwrap_or(0)))
}

impl RedisAttempts {
    /// Runs `script` on `account`'s two keys with `args` after `now_ms`; its answer is a wait
    /// in milliseconds (0: none).
    async fn run(
        &self,
        script: &str,
        account: &str,
        now_ms: i64,
        args: impl redis::ToRedisArgs,
    ) -> Result<Option<Duration>> {
        let [key, running] = self.keys(account);
        let millis: i64 = redis::cmd("EVAL")
            .arg(script)
            .arg(2)
            .arg(key)
            .arg(running)
            .arg(now_ms)
            .arg(args)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(wait(millis))
    }
}

#[async_trait]
impl SharedAttempts for RedisAttempts {
    async fn reserve(
        &self,
        account: &str,
        id: &str,
        now_ms: i64,
        limits: &AccountLimits,
    ) -> Result<Option<Duration>> {
        let reservation = i64::try_from(limits.reservation.as_millis()).unwrap_or(60_000);
        let (per_minute, per_hour, in_flight) =
            (limits.per_minute, limits.per_hour, limits.in_flight);
        let args = (per_minute, per_hour, in_flight, reservation, id);
        self.run(&SCRIPTS[0], account, now_ms, args).await
    }

    async fn settle(
        &self,
        account: &str,
        id: &str,
        failed: bool,
        now_ms: i64,
        limits: &AccountLimits,
    ) -> Result<Option<Duration>> {
        let failed = if failed { "1" } else { "0" };
        let args = (limits.per_minute, limits.per_hour, failed, id);
        self.run(&SCRIPTS[1], account, now_ms, args).await
    }
}
