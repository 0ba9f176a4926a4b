//! What authorization needs of a user store: roles stored and read back, the version of a
//! user's tokens (incremented by a revoking write only), and never a system left without an
//! active admin, however many writes race for it.

use super::users::{create, draft};
use super::{event, pending_events};
use crate::conformance::tenant;
use gotemp_core::entities::{User, UserDraft};
use gotemp_core::error::{ConflictKind, Error};
use gotemp_core::event::ActionType;
use gotemp_core::policy::{Role, Roles};
use gotemp_core::ports::Repositories;

fn with_roles(mut d: UserDraft, roles: &[Role]) -> UserDraft {
    d.roles = Roles::of(roles);
    d.password_hash = None;
    d
}

async fn update(repos: &Repositories, u: &User, d: &UserDraft) -> gotemp_core::Result<User> {
    let event = event::<User>(ActionType::Update);
    repos
        .users
        .update(&tenant(), u.id, d, u.version, event)
        .await
}

async fn token_version(repos: &Repositories, id: i64) -> i64 {
    let status = repos
        .users
        .auth_status(&tenant(), id)
        .await
        .unwrap()
        .unwrap();
    status.token_version
}

/// Roles are stored and read back on every read; the version of a user's tokens starts at 1
/// and moves only with a write that revokes them.
pub async fn roles_and_token_versions(repos: &Repositories) {
    let d = with_roles(
        draft("R", "R", "roles@x.example", None),
        &[Role::Editor, Role::Auditor],
    );
    let mut d = UserDraft {
        password_hash: Some(gotemp_core::values::PasswordHash::new("$argon2id$r")),
        ..d
    };
    let u = create(repos, &d).await;
    assert_eq!(u.roles, Roles::of(&[Role::Editor, Role::Auditor]));
    assert_eq!(
        repos
            .users
            .get(&tenant(), u.id)
            .await
            .unwrap()
            .unwrap()
            .roles,
        u.roles
    );
    let status = repos
        .users
        .auth_status(&tenant(), u.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((status.user, status.token_version), (u.clone(), 1));

    d.password_hash = None;
    d.roles = Roles::of(&[Role::Viewer]);
    let u = update(repos, &u, &d).await.unwrap();
    assert_eq!(u.roles, Roles::of(&[Role::Viewer]));
    assert_eq!(
        token_version(repos, u.id).await,
        1,
        "only revoke_tokens revokes"
    );

    d.revoke_tokens = true;
    let u = update(repos, &u, &d).await.unwrap();
    assert_eq!(token_version(repos, u.id).await, 2);
    assert_eq!(u.version, 3);
    assert!(
        repos
            .users
            .auth_status(&tenant(), u.id + 1000)
            .await
            .unwrap()
            .is_none()
    );
}

/// The only active admin cannot lose `admin` or be deactivated: a `Conflict` on `roles` that
/// writes nothing. With a second active admin both are fine; a store that never had an admin
/// is not held to one.
pub async fn last_active_admin_stays(repos: &Repositories) {
    let plain = create(repos, &draft("P", "P", "plain@x.example", None)).await;
    let d = with_roles(draft("P", "P", "plain@x.example", None), &[Role::Editor]);
    update(repos, &plain, &d)
        .await
        .expect("no admin to keep yet");

    let admin_draft = with_roles(draft("A", "A", "admin@x.example", None), &[Role::Admin]);
    let admin = create(
        repos,
        &UserDraft {
            password_hash: Some(gotemp_core::values::PasswordHash::new("$argon2id$a")),
            ..admin_draft.clone()
        },
    )
    .await;
    let events = pending_events(repos).await;
    for change in [
        with_roles(admin_draft.clone(), &[Role::Viewer]),
        UserDraft {
            active: false,
            ..admin_draft.clone()
        },
        // Active and an admin, but no longer valid: it administers nothing.
        UserDraft {
            validity: super::period(2000, 2001),
            ..admin_draft.clone()
        },
    ] {
        let err = update(repos, &admin, &change).await.unwrap_err();
        assert!(
            matches!(&err, Error::Conflict { kind: ConflictKind::State, field: Some(f), .. } if f == "roles"),
            "{err:?}"
        );
        let stored = repos.users.get(&tenant(), admin.id).await.unwrap().unwrap();
        assert_eq!(stored, admin, "nothing written");
    }
    assert_eq!(pending_events(repos).await, events, "no event either");

    let second = with_roles(draft("B", "B", "second@x.example", None), &[Role::Admin]);
    create(
        repos,
        &UserDraft {
            password_hash: Some(gotemp_core::values::PasswordHash::new("$argon2id$b")),
            ..second
        },
    )
    .await;
    let demoted = update(repos, &admin, &with_roles(admin_draft, &[Role::Viewer]))
        .await
        .expect("another active admin remains");
    assert_eq!(demoted.roles, Roles::of(&[Role::Viewer]));
}

/// Two active admins demoting each other at the same moment: one wins, the other is refused,
/// and one active admin remains.
pub async fn concurrent_demotions_keep_one_admin(repos: &Repositories) {
    let mut admins = Vec::new();
    for email in ["one@x.example", "two@x.example"] {
        let d = with_roles(draft("A", "A", email, None), &[Role::Admin]);
        let hash = Some(gotemp_core::values::PasswordHash::new("$argon2id$x"));
        let u = create(
            repos,
            &UserDraft {
                password_hash: hash,
                ..d.clone()
            },
        )
        .await;
        admins.push((u, with_roles(d, &[Role::Viewer])));
    }
    let (a, b) = (&admins[0], &admins[1]);
    let (ra, rb) = tokio::join!(update(repos, &a.0, &a.1), update(repos, &b.0, &b.1));
    let won = usize::from(ra.is_ok()) + usize::from(rb.is_ok());
    assert_eq!(won, 1, "exactly one demotion may pass: {ra:?} {rb:?}");
    let mut still = 0;
    for (u, _) in &admins {
        let stored = repos.users.get(&tenant(), u.id).await.unwrap().unwrap();
        still += usize::from(stored.active && stored.roles.contains(Role::Admin));
    }
    assert_eq!(still, 1);
}
