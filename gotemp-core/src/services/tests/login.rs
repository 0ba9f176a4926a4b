//! Login and token validation.

use super::user::service;
use super::*;
use crate::auth::{MockPasswordHasher, Verification};
use crate::ports::MockUserRepository;
use crate::values::PasswordHash;
use secrecy::SecretString;

fn credentials(u: User) -> MockUserRepository {
    let mut repo = MockUserRepository::new();
    repo.expect_credentials()
        .returning(move |_| Ok(Some((u.clone(), PasswordHash::new("stored")))));
    repo
}

fn verifying(v: Verification) -> MockPasswordHasher {
    let mut h = MockPasswordHasher::new();
    h.expect_verify().times(1).returning(move |_, _| v);
    h
}

#[tokio::test]
async fn login_returns_a_token_for_the_user() {
    let svc = service(credentials(user(7, 1)), verifying(Verification::Match));
    let out = svc
        .login("ann@example.com", &SecretString::from("correct horse"))
        .await
        .unwrap();
    assert_eq!(out.user.id, 7);
    assert_eq!(svc.validate_token(&out.token).unwrap().actor, Actor::new(7));
    assert!(out.expires_at > Utc::now());
}

#[tokio::test]
async fn every_login_failure_is_the_same_error_after_a_password_check() {
    let denied = Error::Unauthenticated("invalid e-mail or password".into());
    let pw = SecretString::from("correct horse");

    let wrong = service(credentials(user(7, 1)), verifying(Verification::Mismatch));
    assert_eq!(
        wrong.login("ann@example.com", &pw).await.unwrap_err(),
        denied
    );

    let inactive = service(
        credentials(User {
            active: false,
            ..user(7, 1)
        }),
        verifying(Verification::Match),
    );
    assert_eq!(
        inactive.login("ann@example.com", &pw).await.unwrap_err(),
        denied
    );

    let expired = service(
        credentials(User {
            valid_from: year(1990),
            valid_thru: year(1999),
            ..user(7, 1)
        }),
        verifying(Verification::Match),
    );
    assert_eq!(
        expired.login("ann@example.com", &pw).await.unwrap_err(),
        denied
    );

    // Unknown e-mail: a decoy hash is made once and verified, so the timing matches.
    let mut repo = MockUserRepository::new();
    repo.expect_credentials().returning(|_| Ok(None));
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_hash()
        .times(1)
        .returning(|_| Ok(PasswordHash::new("decoy")));
    hasher
        .expect_verify()
        .withf(|_, h| *h == PasswordHash::new("decoy"))
        .times(2)
        .returning(|_, _| Verification::Mismatch);
    let unknown = service(repo, hasher);
    assert_eq!(
        unknown.login("who@example.com", &pw).await.unwrap_err(),
        denied
    );
    assert_eq!(
        unknown.login("not an e-mail", &pw).await.unwrap_err(),
        denied
    );
}

#[tokio::test]
async fn login_upgrades_an_old_hash_and_survives_a_failed_upgrade() {
    let mut repo = credentials(user(7, 1));
    repo.expect_set_password_hash()
        .withf(|id, h| *id == 7 && *h == PasswordHash::new("$argon2id$new"))
        .times(1)
        .returning(|_, _| Ok(()));
    let mut hasher = verifying(Verification::MatchNeedsRehash);
    hasher
        .expect_hash()
        .times(1)
        .returning(|_| Ok(PasswordHash::new("$argon2id$new")));
    service(repo, hasher)
        .login("ann@example.com", &SecretString::from("correct horse"))
        .await
        .unwrap();

    let mut repo = credentials(user(7, 1));
    repo.expect_set_password_hash()
        .returning(|_, _| Err(Error::unavailable("db")));
    let mut hasher = verifying(Verification::MatchNeedsRehash);
    hasher
        .expect_hash()
        .returning(|_| Ok(PasswordHash::new("$argon2id$new")));
    let out = service(repo, hasher)
        .login("ann@example.com", &SecretString::from("correct horse"))
        .await;
    assert!(out.is_ok(), "a failed upgrade must not fail the login");
}

#[tokio::test]
async fn tokens_are_validated() {
    let svc = service(MockUserRepository::new(), MockPasswordHasher::new());
    assert!(matches!(
        svc.validate_token("garbage"),
        Err(Error::Unauthenticated(_))
    ));
}
