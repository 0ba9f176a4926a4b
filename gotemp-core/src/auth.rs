//! Passwords and tokens. Hashing is argon2id with OWASP's minimum parameters (old bcrypt hashes
//! still verify and are upgraded at the next login); tokens are JWTs that carry ids and standard
//! claims only, signed with a secret or an Ed25519 key from configuration ([`TokenService`]).

use crate::error::{Error, Result};
use crate::values::{Password, PasswordHash};
use argon2::password_hash::PasswordHasher as _;

mod tokens;
pub use tokens::{Claims, IssuedToken, TOKEN_TYPE, TokenService, TokenSettings, VerifiedToken};

/// What verifying a password found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Wrong password (or an unreadable hash).
    Mismatch,
    /// Right password, hash is current.
    Match,
    /// Right password, but the hash should be replaced (old algorithm or weaker parameters).
    MatchNeedsRehash,
}

/// Password hashing. Synchronous and slow on purpose: services call it on blocking threads.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a password with a fresh salt.
    fn hash(&self, password: &Password) -> Result<PasswordHash>;
    /// Checks a password against a stored hash.
    fn verify(&self, password: &str, hash: &PasswordHash) -> Verification;
}

/// argon2id hasher that also accepts bcrypt hashes written by the original Go services.
#[derive(Clone)]
pub struct Argon2Hasher {
    params: argon2::Params,
    prefix: String,
}

impl Argon2Hasher {
    /// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
    pub fn owasp() -> Self {
        Self::with_params(19 * 1024, 2, 1).expect("OWASP parameters are valid")
    }

    /// Custom parameters (memory in KiB, passes, lanes), e.g. stronger ones for a deployment.
    pub fn with_params(m_cost: u32, t_cost: u32, p_cost: u32) -> Result<Self> {
        let params = argon2::Params::new(m_cost, t_cost, p_cost, None)
            .map_err(|e| Error::internal_from(format!("argon2 parameters: {e}"), e))?;
        Ok(Self {
            prefix: format!("$argon2id$v=19$m={m_cost},t={t_cost},p={p_cost}$"),
            params,
        })
    }

    fn argon2(&self) -> argon2::Argon2<'static> {
        argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            self.params.clone(),
        )
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash> {
        self.argon2()
            .hash_password(password.expose().as_bytes())
            .map(|h| PasswordHash::new(h.to_string()))
            .map_err(|e| Error::internal_from(format!("password hashing failed: {e}"), e))
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> Verification {
        let stored = hash.as_str();
        if stored.starts_with("$2") {
            return match bcrypt::verify(password, stored) {
                Ok(true) => Verification::MatchNeedsRehash,
                _ => Verification::Mismatch,
            };
        }
        match verify_argon2(password.as_bytes(), stored) {
            true if stored.starts_with(&self.prefix) => Verification::Match,
            true => Verification::MatchNeedsRehash,
            false => Verification::Mismatch,
        }
    }
}

thread_local! {
    /// argon2's working memory (19 MiB at OWASP's parameters), kept by each thread that
    /// verifies: allocating it anew per call left the allocator holding that much per thread
    /// and per burst (measured: 1 GiB resident after a flood of 500 logins).
    static ARGON2_MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Whether `password` hashes to the PHC string `stored` (argon2i, argon2d or argon2id, any
/// parameters), computed in this thread's reused working memory and compared in constant time.
fn verify_argon2(password: &[u8], stored: &str) -> bool {
    let Ok(hash) = argon2::PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let version = match hash.version.map(argon2::Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = argon2::Params::try_from(&hash) else {
        return false;
    };
    let blocks = params.block_count();
    let mut out = vec![0u8; expected.len()];
    let argon2 = argon2::Argon2::new(algorithm, version, params);
    let computed = ARGON2_MEMORY.with_borrow_mut(|memory| {
        memory.resize(blocks, argon2::Block::default());
        argon2.hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])
    });
    computed.is_ok() && argon2::password_hash::phc::Output::new(&out).is_ok_and(|o| o == *expected)
}

/// The token of an `Authorization` value `Bearer <token>` (the scheme in any case, the token
/// trimmed), or `None` when the value is anything else. The one reading of bearer credentials
/// that every transport shares; each says in its own words what was missing.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    match authorization.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            Some(token.trim()).filter(|t| !t.is_empty())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tenant_tests;
#[cfg(test)]
mod tests;
