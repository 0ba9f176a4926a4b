//! Tokens and tenants: the claim `tid`, and tokens issued before tenants existed.

use super::tests::valid_claims;
use super::*;
use crate::values::TenantId;
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::SecretString;

const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

fn tokens() -> TokenService {
    TokenService::new(TokenSettings::new(SecretString::from(SECRET))).unwrap()
}

#[test]
fn a_token_from_before_tenants_belongs_to_the_default_tenant_and_a_bad_tenant_is_refused() {
    let t = tokens();
    let kid = jsonwebtoken::decode_header(
        &t.issue(&TenantId::default_tenant(), 1, 1, Utc::now())
            .unwrap()
            .token,
    )
    .unwrap()
    .kid;
    let header = Header {
        typ: Some("at+jwt".into()),
        kid,
        ..Header::new(Algorithm::HS256)
    };
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let mut claims = serde_json::to_value(valid_claims()).unwrap();
    claims.as_object_mut().unwrap().remove("tid");
    let old = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    assert_eq!(t.verify(&old).unwrap().tenant, TenantId::default_tenant());
    claims["tid"] = "Not A Key".into();
    let bad = jsonwebtoken::encode(&header, &claims, &key).unwrap();
    assert!(
        t.verify(&bad).is_err(),
        "a malformed tenant is not a token of ours"
    );
}
