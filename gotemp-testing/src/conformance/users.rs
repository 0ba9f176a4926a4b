//! Users.

use super::{ACTOR, event, pending_events, period, text, walk, year};
use crate::conformance::tenant;
use gotemp_core::entities::{User, UserDraft, UserFilter};
use gotemp_core::error::{ConflictKind, Error};
use gotemp_core::event::ActionType;
use gotemp_core::page::PageSpec;
use gotemp_core::policy::Roles;
use gotemp_core::ports::Repositories;
use gotemp_core::values::{Email, PasswordHash};

pub(super) fn draft(first: &str, last: &str, email: &str, company: Option<&str>) -> UserDraft {
    UserDraft {
        first_name: text(first),
        last_name: text(last),
        email: Email::parse("email", email).unwrap(),
        company: company.map(text),
        validity: period(2000, 2200),
        active: true,
        roles: Roles::default_for_new_user(),
        password_hash: Some(PasswordHash::new(format!("$argon2id$fake${email}"))),
        revoke_tokens: false,
    }
}

pub(super) async fn create(repos: &Repositories, d: &UserDraft) -> User {
    repos
        .users
        .create(&tenant(), d, event::<User>(ActionType::Insert))
        .await
        .unwrap()
}

/// Create, get, update and delete round-trip every field, bump the version and record the actor.
pub async fn create_get_update_delete(repos: &Repositories) {
    let d = draft("Ann", "Smith", "Ann.Smith@Example.com", Some("Ducks R Us"));
    let ev = event::<User>(ActionType::Insert);
    let at = ev.occurred_at;
    let created = repos.users.create(&tenant(), &d, ev).await.unwrap();
    assert!(created.id > 0);
    assert_eq!(created.name, "Ann Smith");
    assert_eq!(
        created.email, "Ann.Smith@Example.com",
        "e-mail kept as written"
    );
    assert_eq!(created.company.as_deref(), Some("Ducks R Us"));
    assert_eq!(
        (created.valid_from, created.valid_thru),
        (year(2000), year(2200))
    );
    assert!(created.active);
    assert_eq!((created.created_at, created.updated_at), (at, at));
    assert_eq!((created.modified_by, created.version), (ACTOR, 1));
    assert_eq!(
        repos.users.get(&tenant(), created.id).await.unwrap(),
        Some(created.clone())
    );

    let mut changed = draft("Ann", "Jones", "ann.jones@example.com", None);
    changed.active = false;
    changed.validity = period(2001, 2100);
    changed.password_hash = None;
    let ev = event::<User>(ActionType::Update);
    let updated_at = ev.occurred_at;
    let updated = repos
        .users
        .update(&tenant(), created.id, &changed, 1, ev)
        .await
        .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.name, "Ann Jones");
    assert_eq!(updated.company, None);
    assert!(!updated.active);
    assert_eq!(updated.valid_from, year(2001));
    assert_eq!((updated.created_at, updated.updated_at), (at, updated_at));
    assert_eq!(
        repos.users.get(&tenant(), created.id).await.unwrap(),
        Some(updated.clone())
    );

    let deleted = repos
        .users
        .delete(&tenant(), created.id, 2, event::<User>(ActionType::Delete))
        .await
        .unwrap();
    assert_eq!(deleted, updated);
    assert_eq!(repos.users.get(&tenant(), created.id).await.unwrap(), None);
}

/// E-mail uniqueness ignores case, on create and on update, and is a Duplicate conflict on
/// `email`.
pub async fn email_unique_ignoring_case(repos: &Repositories) {
    create(repos, &draft("A", "A", "same@example.com", None)).await;
    let err = repos
        .users
        .create(
            &tenant(),
            &draft("B", "B", "SAME@example.COM", None),
            event::<User>(ActionType::Insert),
        )
        .await
        .unwrap_err();
    assert_duplicate_email(err);
    let other = create(repos, &draft("C", "C", "other@example.com", None)).await;
    let err = repos
        .users
        .update(
            &tenant(),
            other.id,
            &draft("C", "C", "Same@Example.com", None),
            1,
            event::<User>(ActionType::Update),
        )
        .await
        .unwrap_err();
    assert_duplicate_email(err);
    assert_eq!(
        repos.users.get(&tenant(), other.id).await.unwrap(),
        Some(other),
        "unchanged"
    );
}

fn assert_duplicate_email(err: Error) {
    match err {
        Error::Conflict { kind, field, .. } => {
            assert_eq!(kind, ConflictKind::Duplicate);
            assert_eq!(field.as_deref(), Some("email"));
        }
        other => panic!("expected a duplicate e-mail conflict, got {other:?}"),
    }
}

async fn ids(repos: &Repositories, filter: UserFilter) -> Vec<i64> {
    let page = repos
        .users
        .list(&tenant(), &filter, &PageSpec::first(500))
        .await
        .unwrap();
    page.items.iter().map(|u| u.id).collect()
}

/// Every filter of docs/services.md: id, first_name, last_name, email (any case), company, valid_on, and
/// their combination.
pub async fn every_filter(repos: &Repositories) {
    let a = create(repos, &draft("Ann", "Smith", "ann@a.example", Some("Acme"))).await;
    let b = create(repos, &draft("Bob", "Smith", "bob@b.example", Some("Bolt"))).await;
    let mut old = draft("Ann", "Old", "old@a.example", Some("Acme"));
    old.validity = period(1990, 1999);
    let c = create(repos, &old).await;

    assert_eq!(ids(repos, UserFilter::default()).await, [a.id, b.id, c.id]);
    let f = |f: fn(&mut UserFilter)| {
        let mut filter = UserFilter::default();
        f(&mut filter);
        filter
    };
    assert_eq!(
        ids(
            repos,
            UserFilter {
                id: Some(b.id),
                ..f(|_| {})
            }
        )
        .await,
        [b.id]
    );
    assert_eq!(
        ids(repos, f(|f| f.first_name = Some("Ann".into()))).await,
        [a.id, c.id]
    );
    assert_eq!(
        ids(repos, f(|f| f.last_name = Some("Smith".into()))).await,
        [a.id, b.id]
    );
    assert_eq!(
        ids(repos, f(|f| f.email = Some("BOB@B.example".into()))).await,
        [b.id]
    );
    assert_eq!(
        ids(repos, f(|f| f.company = Some("Acme".into()))).await,
        [a.id, c.id]
    );
    assert_eq!(
        ids(repos, f(|f| f.valid_on = Some(year(1995)))).await,
        [c.id]
    );
    assert_eq!(
        ids(repos, f(|f| f.valid_on = Some(year(2200)))).await,
        [a.id, b.id],
        "end is inclusive"
    );
    assert_eq!(
        ids(repos, f(|f| f.valid_on = Some(year(2000)))).await,
        [a.id, b.id],
        "start is inclusive"
    );
    let both = UserFilter {
        first_name: Some("Ann".into()),
        valid_on: Some(year(2020)),
        ..Default::default()
    };
    assert_eq!(ids(repos, both).await, [a.id]);
    assert!(
        ids(repos, f(|f| f.company = Some("acme".into())))
            .await
            .is_empty(),
        "company is exact"
    );
    assert!(ids(repos, f(|f| f.id = Some(-1))).await.is_empty());
}

/// Pages are ordered by id, disjoint, complete, and the cursor survives new rows.
pub async fn pagination(repos: &Repositories) {
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(
            create(
                repos,
                &draft("P", &format!("N{i}"), &format!("p{i}@x.example"), None),
            )
            .await
            .id,
        );
    }
    let users = repos.users.clone();
    let pages = walk(3, |spec| {
        let users = users.clone();
        async move { users.list(&tenant(), &UserFilter::default(), &spec).await }
    })
    .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let seen: Vec<i64> = pages.into_iter().flatten().map(|u| u.id).collect();
    assert_eq!(seen, created);

    let filtered = UserFilter {
        first_name: Some("P".into()),
        ..Default::default()
    };
    let first = repos
        .users
        .list(&tenant(), &filtered, &PageSpec::first(2))
        .await
        .unwrap();
    create(repos, &draft("P", "Late", "late@x.example", None)).await;
    let req = gotemp_core::page::PageRequest {
        limit: Some(100),
        cursor: first.next_cursor,
    };
    let rest = repos
        .users
        .list(&tenant(), &filtered, &PageSpec::parse(&req).unwrap())
        .await
        .unwrap();
    assert_eq!(
        rest.items.len(),
        6,
        "the rest, including the row added after page one"
    );
}

/// A stale version is a StaleVersion conflict and changes nothing; a missing id is NotFound.
pub async fn stale_version_and_not_found(repos: &Repositories) {
    let u = create(repos, &draft("S", "S", "s@x.example", None)).await;
    let err = repos
        .users
        .update(
            &tenant(),
            u.id,
            &draft("T", "T", "s@x.example", None),
            5,
            event::<User>(ActionType::Update),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                kind: ConflictKind::StaleVersion,
                ..
            }
        ),
        "{err:?}"
    );
    let err = repos
        .users
        .delete(&tenant(), u.id, 5, event::<User>(ActionType::Delete))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                kind: ConflictKind::StaleVersion,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(repos.users.get(&tenant(), u.id).await.unwrap(), Some(u));
    let err = repos
        .users
        .update(
            &tenant(),
            999_999,
            &draft("T", "T", "t@x.example", None),
            1,
            event::<User>(ActionType::Update),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { entity: "user", .. }),
        "{err:?}"
    );
    let err = repos
        .users
        .delete(&tenant(), 999_999, 1, event::<User>(ActionType::Delete))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// Credentials are found by e-mail in any case; an update without a hash keeps the stored one;
/// `set_password_hash` replaces it without a version bump.
pub async fn credentials_and_hash(repos: &Repositories) {
    let d = draft("H", "H", "Hash@X.example", None);
    let u = create(repos, &d).await;
    let email = Email::parse("email", "hash@x.EXAMPLE").unwrap();
    let (found, hash) = repos.users.credentials(&email).await.unwrap().unwrap();
    assert_eq!(found.user, u);
    assert_eq!(found.token_version, 1);
    assert_eq!(Some(hash), d.password_hash);
    let unknown = Email::parse("email", "nobody@x.example").unwrap();
    assert!(repos.users.credentials(&unknown).await.unwrap().is_none());

    let mut keep = d.clone();
    keep.password_hash = None;
    repos
        .users
        .update(&tenant(), u.id, &keep, 1, event::<User>(ActionType::Update))
        .await
        .unwrap();
    let (_, hash) = repos.users.credentials(&email).await.unwrap().unwrap();
    assert_eq!(
        Some(hash),
        d.password_hash,
        "update without a password keeps the hash"
    );

    let (tenant, new_hash) = (tenant(), PasswordHash::new("$argon2id$new"));
    let stale = PasswordHash::new("$2b$not-the-stored-one");
    let replaced = repos
        .users
        .set_password_hash(&tenant, u.id, &new_hash, &stale);
    assert!(
        !replaced.await.unwrap(),
        "only the hash that was verified is replaced"
    );
    let stored = d.password_hash.clone().unwrap();
    let replaced = repos
        .users
        .set_password_hash(&tenant, u.id, &new_hash, &stored);
    assert!(replaced.await.unwrap());
    let (found, hash) = repos.users.credentials(&email).await.unwrap().unwrap();
    assert_eq!(hash, new_hash);
    assert_eq!(
        found.user.version, 2,
        "a re-hash is not a user-visible change"
    );
    assert_eq!(found.token_version, 1, "nor a revocation");
    assert_eq!(pending_events(repos).await, 2, "and writes no audit event");
}
