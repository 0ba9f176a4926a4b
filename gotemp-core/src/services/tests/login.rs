//! Login and token validation.

use super::user::service;
use super::*;
use crate::auth::{MockPasswordHasher, Verification};
use crate::ports::MockUserRepository;
use crate::values::PasswordHash;
use secrecy::SecretString;

fn credentials(u: User) -> MockUserRepository {
    let mut repo = MockUserRepository::new();
    let status = AuthStatus {
        tenant: crate::values::TenantId::default_tenant(),
        user: u,
        token_version: 3,
    };
    let stored = status.clone();
    repo.expect_credentials()
        .returning(move |_| Ok(Some((stored.clone(), PasswordHash::new("stored")))));
    repo.expect_auth_status()
        .returning(move |_, _| Ok(Some(status.clone())));
    repo.expect_record_access().returning(|_| Ok(()));
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
    let caller = svc.authenticate(&out.token).await.unwrap().actor;
    assert_eq!((caller.user_id, caller.roles), (7, out.user.roles));
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
    repo.expect_record_access().returning(|_| Ok(()));
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
        .withf(|_, id, h, old| {
            *id == 7
                && *h == PasswordHash::new("$argon2id$new")
                && *old == PasswordHash::new("stored")
        })
        .times(1)
        .returning(|_, _, _, _| Ok(true));
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
        .returning(|_, _, _, _| Err(Error::unavailable("db")));
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
        svc.authenticate("garbage").await,
        Err(Error::Unauthenticated(_))
    ));
}

/// A token stands for its user only while the user is the one it was issued to: same token
/// version (no revocation since), still active, still valid, still there.
#[tokio::test]
async fn a_token_is_refused_once_its_user_was_revoked_deactivated_or_deleted() {
    let svc = service(credentials(user(7, 1)), verifying(Verification::Match));
    let token = (svc.login("ann@example.com", &SecretString::from("correct horse")))
        .await
        .unwrap()
        .token;
    let refused = Error::Unauthenticated("invalid or expired token".into());
    let answer = |status: Option<AuthStatus>| {
        let mut repo = MockUserRepository::new();
        repo.expect_auth_status()
            .returning(move |_, _| Ok(status.clone()));
        let svc = service(repo, MockPasswordHasher::new());
        let token = token.clone();
        async move { svc.authenticate(&token).await }
    };
    let now = |version: i64, user: User| {
        Some(AuthStatus {
            tenant: crate::values::TenantId::default_tenant(),
            user,
            token_version: version,
        })
    };
    assert!(answer(now(3, user(7, 1))).await.is_ok());
    assert_eq!(answer(now(4, user(7, 2))).await.unwrap_err(), refused);
    let inactive = User {
        active: false,
        ..user(7, 2)
    };
    assert_eq!(answer(now(3, inactive)).await.unwrap_err(), refused);
    let expired = User {
        valid_thru: year(2001),
        ..user(7, 2)
    };
    assert_eq!(answer(now(3, expired)).await.unwrap_err(), refused);
    assert_eq!(answer(None).await.unwrap_err(), refused);
    let promoted = User {
        roles: crate::policy::Roles::of(&[crate::policy::Role::Auditor]),
        ..user(7, 2)
    };
    let caller = answer(now(3, promoted)).await.unwrap().actor;
    assert!(
        caller.roles.contains(crate::policy::Role::Auditor),
        "roles are read now, not from the token"
    );
}

/// Logins are in the audit trail: who logged in, who failed (the user when the e-mail named
/// one), and never the password or the e-mail typed.
#[tokio::test]
async fn logins_and_failures_are_access_events_without_secrets() {
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut repo = credentials(user(7, 1));
    repo.checkpoint();
    let stored = AuthStatus {
        tenant: crate::values::TenantId::default_tenant(),
        user: user(7, 1),
        token_version: 3,
    };
    repo.expect_credentials()
        .returning(move |_| Ok(Some((stored.clone(), PasswordHash::new("stored")))));
    let seen = events.clone();
    repo.expect_record_access().returning(move |e| {
        seen.lock().unwrap().push(e.clone());
        Ok(())
    });
    let mut hasher = MockPasswordHasher::new();
    let mut verdicts = vec![Verification::Mismatch, Verification::Match].into_iter();
    hasher
        .expect_verify()
        .returning(move |_, _| verdicts.next().unwrap());
    let svc = service(repo, hasher);
    let pw = SecretString::from("correct horse");
    svc.login("ann@example.com", &pw).await.unwrap_err();
    svc.login("ann@example.com", &pw).await.unwrap();
    let events = events.lock().unwrap();
    let seen: Vec<(&str, &str, i64)> = events
        .iter()
        .map(|e| (e.action_func.as_str(), e.object_id.as_str(), e.performed_by))
        .collect();
    assert_eq!(seen, [("login_failed", "7", 7), ("login", "7", 7)]);
    for e in events.iter() {
        assert_eq!(
            (e.service.as_str(), e.object_name.as_str()),
            ("user", "user")
        );
        assert_eq!(e.action_type, crate::event::ActionType::Access);
        let text = serde_json::to_string(e).unwrap();
        assert!(
            !text.contains("correct horse") && !text.contains("ann@example.com"),
            "{text}"
        );
    }
}
