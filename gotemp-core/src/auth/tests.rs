use super::*;
use crate::values::TenantId;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::SecretString;

const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

fn tokens() -> TokenService {
    TokenService::new(TokenSettings::new(SecretString::from(SECRET))).unwrap()
}

fn fast_hasher() -> Argon2Hasher {
    Argon2Hasher::with_params(1024, 1, 1).unwrap()
}

/// The claims of a token for user 1, valid for a minute.
pub(super) fn valid_claims() -> Claims {
    let now = Utc::now().timestamp();
    Claims {
        sub: "1".into(),
        iss: "gotemp.user".into(),
        aud: "gotemp".into(),
        iat: now,
        nbf: now,
        exp: now + 60,
        jti: "j".into(),
        ver: 1,
        tid: TenantId::default_tenant(),
    }
}

fn pw(s: &str) -> Password {
    Password::parse("password", &SecretString::from(s)).unwrap()
}

#[test]
fn argon2id_hash_verifies_and_hides_the_password() {
    let h = fast_hasher();
    let hash = h.hash(&pw("correct horse")).unwrap();
    assert!(hash.as_str().starts_with("$argon2id$v=19$m=1024,t=1,p=1$"));
    assert!(!hash.as_str().contains("correct horse"));
    assert_eq!(h.verify("correct horse", &hash), Verification::Match);
    assert_eq!(h.verify("wrong horse", &hash), Verification::Mismatch);
    assert_ne!(hash, h.hash(&pw("correct horse")).unwrap(), "salted");
}

#[test]
fn owasp_parameters_are_the_default() {
    let hash = Argon2Hasher::owasp().hash(&pw("correct horse")).unwrap();
    assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}

#[test]
fn weaker_argon2_hash_asks_for_rehash() {
    let old = fast_hasher().hash(&pw("correct horse")).unwrap();
    let current = Argon2Hasher::with_params(2048, 1, 1).unwrap();
    assert_eq!(
        current.verify("correct horse", &old),
        Verification::MatchNeedsRehash
    );
}

#[test]
fn bcrypt_hash_from_the_original_verifies_and_asks_for_rehash() {
    let legacy = PasswordHash::new(bcrypt::hash("correct horse", 4).unwrap());
    let h = fast_hasher();
    assert_eq!(
        h.verify("correct horse", &legacy),
        Verification::MatchNeedsRehash
    );
    assert_eq!(h.verify("nope", &legacy), Verification::Mismatch);
}

#[test]
fn garbage_hash_is_a_mismatch_not_a_panic() {
    assert_eq!(
        fast_hasher().verify("x", &PasswordHash::new("not a hash")),
        Verification::Mismatch
    );
}

#[test]
fn token_round_trip_carries_only_ids() {
    let t = tokens();
    let now = Utc::now();
    let ducks = TenantId::parse("tenant", "ducks").unwrap();
    let issued = t.issue(&ducks, 42, 7, now).unwrap();
    let verified = t.verify(&issued.token).unwrap();
    assert_eq!((verified.user_id, verified.token_version), (42, 7));
    assert_eq!(verified.tenant, ducks);
    assert_eq!(
        verified.expires_at.timestamp(),
        (now + Duration::hours(24)).timestamp()
    );
    let payload = issued.token.split('.').nth(1).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let mut keys: Vec<_> = claims.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "aud", "exp", "iat", "iss", "jti", "nbf", "sub", "tid", "ver"
        ]
    );
    assert_eq!(claims["iss"], "gotemp.user");
    assert_eq!(claims["tid"], "ducks");
}

#[test]
fn expired_token_is_rejected() {
    let t = tokens();
    let issued = t
        .issue(
            &TenantId::default_tenant(),
            1,
            1,
            Utc::now() - Duration::hours(25),
        )
        .unwrap();
    assert_eq!(
        t.verify(&issued.token).unwrap_err(),
        Error::Unauthenticated("invalid or expired token".into())
    );
}

#[test]
fn tampered_token_is_rejected() {
    let t = tokens();
    let issued = t
        .issue(&TenantId::default_tenant(), 1, 1, Utc::now())
        .unwrap();
    let mut parts: Vec<String> = issued.token.split('.').map(str::to_owned).collect();
    let forged = serde_json::json!({"sub": "2", "iss": "gotemp.user", "aud": "gotemp",
        "iat": 0, "nbf": 0, "exp": 4_000_000_000i64, "jti": "x"});
    parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
    assert!(t.verify(&parts.join(".")).is_err());
}

#[test]
fn other_algorithms_are_rejected() {
    let t = tokens();
    let claims = valid_claims();
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert!(t.verify(&hs512).is_err(), "HS512 with the same key");
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::to_string(&claims).unwrap())
    );
    assert!(t.verify(&none).is_err(), "alg none");
}

#[test]
fn only_an_access_token_of_a_known_key_passes() {
    let t = tokens();
    let issued = t
        .issue(&TenantId::default_tenant(), 1, 1, Utc::now())
        .unwrap();
    let header = jsonwebtoken::decode_header(&issued.token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let kid = header.kid.clone().expect("a key id");
    assert!(kid.len() == 16 && !SECRET.contains(&kid), "{kid}");
    let claims = valid_claims();
    let sign = |header: &Header| {
        jsonwebtoken::encode(
            header,
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    };
    // Same secret, issuer and audience, but a plain JWT (an ID token, say): not ours.
    let plain = Header {
        kid: Some(kid.clone()),
        ..Header::new(Algorithm::HS256)
    };
    assert!(t.verify(&sign(&plain)).is_err(), "typ JWT");
    let no_kid = Header {
        typ: Some("at+jwt".into()),
        ..Header::new(Algorithm::HS256)
    };
    assert!(t.verify(&sign(&no_kid)).is_err(), "no key id");
    let ours = Header {
        typ: Some("at+jwt".into()),
        kid: Some(kid),
        ..Header::new(Algorithm::HS256)
    };
    assert!(t.verify(&sign(&ours)).is_ok(), "the same header passes");
}

#[test]
fn a_rotated_secret_keeps_its_tokens_valid_until_it_is_dropped() {
    let old = tokens();
    let before = old
        .issue(&TenantId::default_tenant(), 1, 1, Utc::now())
        .unwrap();
    let new_secret = "a-brand-new-secret-of-enough-bytes-0123456789";
    let mut rotated = TokenSettings::new(SecretString::from(new_secret));
    rotated.previous_secrets = vec![SecretString::from(SECRET)];
    let rotated = TokenService::new(rotated).unwrap();
    assert_eq!(rotated.verify(&before.token).unwrap().user_id, 1);
    let after = rotated
        .issue(&TenantId::default_tenant(), 2, 1, Utc::now())
        .unwrap();
    assert_eq!(rotated.verify(&after.token).unwrap().user_id, 2);
    assert!(
        old.verify(&after.token).is_err(),
        "the old secret cannot verify the new"
    );
    let dropped = TokenService::new(TokenSettings::new(SecretString::from(new_secret))).unwrap();
    assert!(
        dropped.verify(&before.token).is_err(),
        "once the old secret is gone"
    );
    let mut short = TokenSettings::new(SecretString::from(new_secret));
    short.previous_secrets = vec![SecretString::from("short")];
    assert!(
        TokenService::new(short).is_err(),
        "a previous secret is held to the rule too"
    );
}

#[test]
fn wrong_issuer_audience_or_secret_is_rejected() {
    let mut s = TokenSettings::new(SecretString::from(SECRET));
    s.issuer = "someone.else".into();
    let foreign = TokenService::new(s)
        .unwrap()
        .issue(&TenantId::default_tenant(), 1, 1, Utc::now())
        .unwrap();
    assert!(tokens().verify(&foreign.token).is_err());
    let mut s = TokenSettings::new(SecretString::from(SECRET));
    s.audience = "other".into();
    let foreign = TokenService::new(s)
        .unwrap()
        .issue(&TenantId::default_tenant(), 1, 1, Utc::now())
        .unwrap();
    assert!(tokens().verify(&foreign.token).is_err());
    let other_key = TokenSettings::new(SecretString::from("x".repeat(40)));
    let foreign = TokenService::new(other_key)
        .unwrap()
        .issue(&TenantId::default_tenant(), 1, 1, Utc::now())
        .unwrap();
    assert!(tokens().verify(&foreign.token).is_err());
}

#[test]
fn token_without_user_is_rejected() {
    let t = tokens();
    let issued = t
        .issue(&TenantId::default_tenant(), 0, 1, Utc::now())
        .unwrap();
    assert_eq!(
        t.verify(&issued.token).unwrap_err(),
        Error::Unauthenticated("no user in token".into())
    );
}

#[test]
fn short_secret_is_refused_and_never_printed() {
    assert!(TokenService::new(TokenSettings::new(SecretString::from("short"))).is_err());
    let dbg = format!("{:?}", TokenSettings::new(SecretString::from(SECRET)));
    assert!(!dbg.contains(SECRET), "{dbg}");
}

#[test]
fn a_bearer_token_is_read_whatever_the_scheme_s_case() {
    assert_eq!(bearer_token("Bearer abc"), Some("abc"));
    assert_eq!(bearer_token("bearer  abc "), Some("abc"));
    assert_eq!(bearer_token("BEARER abc"), Some("abc"));
    assert_eq!(bearer_token("Bearer "), None);
    assert_eq!(bearer_token("Basic abc"), None);
    assert_eq!(bearer_token("Bearerabc"), None);
    assert_eq!(bearer_token(""), None);
}

/// An Ed25519 key pair from a fixed seed, as PEM: (private PKCS#8, public SPKI).
fn ed25519_pems(seed: u8) -> (SecretString, String) {
    use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let private = key.to_pkcs8_pem(Default::default()).unwrap();
    let public = (key.verifying_key())
        .to_public_key_pem(Default::default())
        .unwrap();
    (SecretString::from(private.to_string()), public)
}

fn ed25519_tokens(private: Option<SecretString>, public: &[&str]) -> Result<TokenService> {
    TokenService::new(TokenSettings {
        private_key: private,
        public_keys: public.iter().map(|p| (*p).to_owned()).collect(),
        ..TokenSettings::new(SecretString::from(String::new()))
    })
}

#[test]
fn ed25519_keys_let_the_edge_check_tokens_it_cannot_make() {
    let (private, public) = ed25519_pems(7);
    let issuer = ed25519_tokens(Some(private), &[]).unwrap();
    let issued = issuer
        .issue(&TenantId::default_tenant(), 5, 2, Utc::now())
        .unwrap();
    let header = jsonwebtoken::decode_header(&issued.token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    let edge = ed25519_tokens(None, &[&public]).unwrap();
    let verified = edge.verify(&issued.token).unwrap();
    assert_eq!((verified.user_id, verified.token_version), (5, 2));
    // The edge holds no private key: it cannot make a token, and says so.
    assert!(matches!(
        edge.issue(&TenantId::default_tenant(), 5, 2, Utc::now()),
        Err(Error::Unavailable(_))
    ));
    // A shared-secret token, even one naming the key's id, is not an EdDSA token.
    let hs = jsonwebtoken::encode(
        &Header {
            typ: Some("at+jwt".into()),
            kid: header.kid.clone(),
            ..Header::new(Algorithm::HS256)
        },
        &valid_claims(),
        &EncodingKey::from_secret(public.as_bytes()),
    )
    .unwrap();
    assert!(
        edge.verify(&hs).is_err(),
        "HS256 signed with the public key"
    );
    // Nor does a shared-secret service take an EdDSA token.
    assert!(tokens().verify(&issued.token).is_err());
}

#[test]
fn an_ed25519_key_rotates_while_the_old_public_key_is_listed() {
    let (old_private, old_public) = ed25519_pems(1);
    let (new_private, new_public) = ed25519_pems(2);
    let old = ed25519_tokens(Some(old_private), &[])
        .unwrap()
        .issue(&TenantId::default_tenant(), 1, 1, Utc::now())
        .unwrap();
    let new = ed25519_tokens(Some(new_private), &[&old_public]).unwrap();
    assert!(
        new.verify(&old.token).is_ok(),
        "the previous key is still listed"
    );
    let both = format!("{new_public}{old_public}");
    let edge = ed25519_tokens(None, &[&both]).unwrap();
    assert!(edge.verify(&old.token).is_ok());
    assert!(
        edge.verify(
            &new.issue(&TenantId::default_tenant(), 1, 1, Utc::now())
                .unwrap()
                .token
        )
        .is_ok()
    );
    let dropped = ed25519_tokens(None, &[&new_public]).unwrap();
    assert!(
        dropped.verify(&old.token).is_err(),
        "dropped, its tokens go"
    );
}

#[test]
fn a_key_that_is_not_ed25519_pem_is_refused_naming_the_setting() {
    let err = ed25519_tokens(Some(SecretString::from("not a key")), &[])
        .err()
        .unwrap();
    assert!(err.to_string().contains("jwt_private_key"), "{err}");
    let err = ed25519_tokens(
        None,
        &["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"],
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("jwt_public_key"), "{err}");
    assert!(
        !format!(
            "{:?}",
            TokenSettings {
                private_key: Some(SecretString::from("x")),
                ..TokenSettings::new(SecretString::from("y"))
            }
        )
        .contains("\"x\"")
    );
}
