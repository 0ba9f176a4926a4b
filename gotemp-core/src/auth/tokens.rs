//! Access tokens: HS256 with a shared secret, or EdDSA with Ed25519 keys so that a process
//! holding only the public key checks tokens but cannot make one.

use crate::error::{Error, Result};
use crate::values::TenantId;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Token settings; the secret comes from configuration and never from code.
#[derive(Clone)]
pub struct TokenSettings {
    /// HS256 signing secret, at least 32 bytes.
    pub secret: SecretString,
    /// Secrets tokens were signed with before the current one, still accepted when verifying
    /// (never used to sign), so a secret rotates without logging everyone out: add the old one
    /// here, and remove it once the tokens it signed have expired.
    pub previous_secrets: Vec<SecretString>,
    /// `iss` claim; the original's is `gotemp.user`.
    pub issuer: String,
    /// `aud` claim the services expect.
    pub audience: String,
    /// How long a token stays valid (the original: 24 hours).
    pub ttl: Duration,
    /// An Ed25519 private key (PKCS#8 PEM): tokens are signed with EdDSA instead of the shared
    /// secret, which is then not used at all. Only where tokens are issued (the user service).
    pub private_key: Option<SecretString>,
    /// Ed25519 public keys (PEM; the current one, and previous ones while their tokens live):
    /// a process with these and no private key checks tokens but cannot make one, so a
    /// compromised edge cannot mint tokens.
    pub public_keys: Vec<String>,
}

impl TokenSettings {
    /// Shortest secret accepted: HS256 is only as strong as its key.
    pub const MIN_SECRET_LEN: usize = 32;

    /// The defaults (issuer `gotemp.user`, audience `gotemp`, 24 hours) with the given secret.
    pub fn new(secret: SecretString) -> Self {
        Self {
            secret,
            previous_secrets: Vec::new(),
            issuer: "gotemp.user".into(),
            audience: "gotemp".into(),
            ttl: Duration::hours(24),
            private_key: None,
            public_keys: Vec::new(),
        }
    }

    /// Whether tokens are EdDSA (Ed25519 keys) rather than HS256 (the shared secret).
    pub fn asymmetric(&self) -> bool {
        self.private_key.is_some() || !self.public_keys.is_empty()
    }
}

impl std::fmt::Debug for TokenSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSettings")
            .field("secret", &"[REDACTED]")
            .field("previous_secrets", &self.previous_secrets.len())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "[REDACTED]"),
            )
            .field("public_keys", &self.public_keys.len())
            .finish()
    }
}

/// The claims a gotemp token carries: ids and standard claims, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id, as text (JWT `sub` is a string).
    pub sub: String,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Issued at (seconds since epoch).
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expiry.
    pub exp: i64,
    /// Token id, so a token can be told apart from another issued the same second.
    pub jti: String,
    /// The version of the user's tokens it was issued under; a revocation increments the
    /// user's, and every token with an older one is refused.
    #[serde(default)]
    pub ver: i64,
    /// The tenant of the user (its key); a token from before tenants has none and belongs to
    /// the tenant `default`.
    #[serde(default = "TenantId::default_tenant")]
    pub tid: TenantId,
}

/// A signed token and when it stops being valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// What a token says of itself once its signature and times checked out. Whether its user may
/// still use it is the user service's to say ([`UserService::authenticate`]).
///
/// [`UserService::authenticate`]: crate::services::UserService::authenticate
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// The tenant of the user it was issued to.
    pub tenant: TenantId,
    /// The user it was issued to.
    pub user_id: i64,
    /// The version of the user's tokens it was issued under.
    pub token_version: i64,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// The JOSE type of a gotemp token (RFC 9068, JWT access tokens): required when verifying, so
/// that no other JWT signed with the same secret — an ID token, another system's token — passes
/// for one.
pub const TOKEN_TYPE: &str = "at+jwt";

/// Issues and verifies gotemp tokens.
#[derive(Clone)]
pub struct TokenService {
    settings: TokenSettings,
    /// The key tokens are signed with and its id, named in every token issued; `None` where
    /// tokens are only checked (public keys alone).
    signing: Option<(EncodingKey, String)>,
    /// The algorithm of every key: HS256 with secrets, EdDSA with Ed25519 keys, never both.
    algorithm: Algorithm,
    /// Every key a token may be signed with, by key id, the current one first.
    decoding: Vec<(String, DecodingKey)>,
    validation: Validation,
}

/// The algorithm, the signing key with its id (if any), and the verifying keys by id.
type Keys = (
    Algorithm,
    Option<(EncodingKey, String)>,
    Vec<(String, DecodingKey)>,
);

/// Each PEM block of `texts` (one setting may hold several keys, one after the other).
fn pem_blocks(texts: &[String]) -> Vec<String> {
    const END: &str = "-----END PUBLIC KEY-----";
    let mut blocks = Vec::new();
    for text in texts {
        let mut rest = text.as_str();
        while let Some(end) = rest.find(END) {
            blocks.push(rest[..end + END.len()].trim().to_owned());
            rest = &rest[end + END.len()..];
        }
        if !rest.trim().is_empty() {
            blocks.push(rest.trim().to_owned());
        }
    }
    blocks
}

/// The key id of `secret`: a digest that names it without telling anything of it.
fn key_id(secret: &[u8]) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::new()
        .chain_update(b"gotemp token key id\0")
        .chain_update(secret)
        .finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

impl TokenService {
    /// Checks the settings and prepares the keys.
    pub fn new(settings: TokenSettings) -> Result<Self> {
        if settings.ttl <= Duration::zero() {
            return Err(Error::internal("the token lifetime must be positive"));
        }
        let (algorithm, signing, decoding) = match settings.asymmetric() {
            false => Self::shared_secrets(&settings)?,
            true => Self::ed25519_keys(&settings)?,
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "nbf"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        Ok(Self {
            signing,
            algorithm,
            decoding,
            validation,
            settings,
        })
    }

    /// HS256 with the secret and the previous ones, each at least
    /// [`TokenSettings::MIN_SECRET_LEN`] bytes.
    fn shared_secrets(settings: &TokenSettings) -> Result<Keys> {
        let secrets = std::iter::once(&settings.secret).chain(&settings.previous_secrets);
        if secrets
            .clone()
            .any(|s| s.expose_secret().len() < TokenSettings::MIN_SECRET_LEN)
        {
            return Err(Error::internal(format!(
                "every JWT secret must be at least {} bytes",
                TokenSettings::MIN_SECRET_LEN
            )));
        }
        let secret = settings.secret.expose_secret().as_bytes();
        let signing = (EncodingKey::from_secret(secret), key_id(secret));
        let decoding = secrets
            .map(|s| {
                let bytes = s.expose_secret().as_bytes();
                (key_id(bytes), DecodingKey::from_secret(bytes))
            })
            .collect();
        Ok((Algorithm::HS256, Some(signing), decoding))
    }

    /// EdDSA with the private key (if this process issues tokens) and the public keys; a key
    /// that is not Ed25519 PEM is an error naming the setting.
    fn ed25519_keys(settings: &TokenSettings) -> Result<Keys> {
        use ed25519_dalek::pkcs8::{
            DecodePrivateKey as _, DecodePublicKey as _, EncodePrivateKey as _,
        };
        use ed25519_dalek::{SigningKey, VerifyingKey};
        let mut signing = None;
        let mut publics = Vec::new();
        if let Some(pem) = &settings.private_key {
            let key = SigningKey::from_pkcs8_pem(pem.expose_secret().trim()).map_err(|e| {
                Error::internal_from(
                    format!("jwt_private_key is not an Ed25519 private key in PEM (PKCS#8): {e}"),
                    e,
                )
            })?;
            let der = key
                .to_pkcs8_der()
                .map_err(|e| Error::internal_from(format!("jwt_private_key: {e}"), e))?;
            let public = key.verifying_key().to_bytes();
            signing = Some((EncodingKey::from_ed_der(der.as_bytes()), key_id(&public)));
            publics.push(public);
        }
        for block in pem_blocks(&settings.public_keys) {
            let key = VerifyingKey::from_public_key_pem(&block).map_err(|e| {
                Error::internal_from(
                    format!("jwt_public_key is not an Ed25519 public key in PEM: {e}"),
                    e,
                )
            })?;
            publics.push(key.to_bytes());
        }
        let mut decoding: Vec<(String, DecodingKey)> = Vec::new();
        for public in publics {
            let kid = key_id(&public);
            if decoding.iter().all(|(known, _)| *known != kid) {
                decoding.push((kid, DecodingKey::from_ed_der(&public)));
            }
        }
        Ok((Algorithm::EdDSA, signing, decoding))
    }

    /// Signs a token for `user_id` of `tenant` under the version of its tokens, valid from `now`
    /// for the configured lifetime.
    pub fn issue(
        &self,
        tenant: &TenantId,
        user_id: i64,
        token_version: i64,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken> {
        let expires_at = now + self.settings.ttl;
        let claims = Claims {
            sub: user_id.to_string(),
            iss: self.settings.issuer.clone(),
            aud: self.settings.audience.clone(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: uuid::Uuid::now_v7().to_string(),
            ver: token_version,
            tid: tenant.clone(),
        };
        let Some((key, kid)) = &self.signing else {
            return Err(Self::cannot_issue());
        };
        let header = Header {
            typ: Some(TOKEN_TYPE.to_owned()),
            kid: Some(kid.clone()),
            ..Header::new(self.algorithm)
        };
        let token = jsonwebtoken::encode(&header, &claims, key)
            .map_err(|e| Error::internal_from(format!("token signing failed: {e}"), e))?;
        Ok(IssuedToken {
            token,
            expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or(expires_at),
        })
    }

    /// Verifies the type (`at+jwt`), the key id (the current secret or a previous one),
    /// signature, algorithm, issuer, audience and time claims.
    pub fn verify(&self, token: &str) -> Result<VerifiedToken> {
        let invalid = || Error::Unauthenticated(crate::tr!("auth.invalid_token"));
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        let typed = (header.typ.as_deref()).is_some_and(|typ| typ.eq_ignore_ascii_case(TOKEN_TYPE));
        let key = (self.decoding.iter())
            .find(|(kid, _)| header.kid.as_deref() == Some(kid.as_str()))
            .map(|(_, key)| key);
        let (true, Some(key)) = (typed, key) else {
            return Err(invalid());
        };
        let data =
            jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|_| invalid())?;
        let user_id: i64 = data
            .claims
            .sub
            .parse()
            .map_err(|_| Error::Unauthenticated(crate::tr!("auth.no_user")))?;
        if user_id <= 0 {
            return Err(Error::Unauthenticated(crate::tr!("auth.no_user")));
        }
        let expires_at = DateTime::from_timestamp(data.claims.exp, 0).ok_or_else(invalid)?;
        Ok(VerifiedToken {
            tenant: data.claims.tid,
            user_id,
            token_version: data.claims.ver,
            expires_at,
        })
    }

    /// Whether this process can issue tokens: not when it holds only Ed25519 public keys
    /// (503, naming where to log in instead).
    pub fn can_issue(&self) -> Result<()> {
        match self.signing {
            Some(_) => Ok(()),
            None => Err(Self::cannot_issue()),
        }
    }

    fn cannot_issue() -> Error {
        Error::unavailable(
            "this process checks tokens but cannot issue them (it holds only the public key, \
             jwt_public_key): log in through the user service",
        )
    }

    /// The configured lifetime.
    pub fn ttl(&self) -> Duration {
        self.settings.ttl
    }
}
