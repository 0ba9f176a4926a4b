use super::*;
use crate::auth::{MockPasswordHasher, TokenService, TokenSettings};
use crate::event::ActionType;
use crate::hooks::{HookChain, Hooks};
use crate::page::PageRequest;
use crate::ports::MockUserRepository;
use crate::services::UserService;
use crate::values::PasswordHash;
use async_trait::async_trait;
use secrecy::SecretString;
use std::sync::{Arc, Mutex};

fn tokens() -> Arc<TokenService> {
    Arc::new(TokenService::new(TokenSettings::new(SecretString::from("x".repeat(40)))).unwrap())
}

pub(super) fn service(repo: MockUserRepository, hasher: MockPasswordHasher) -> UserService {
    UserService::new(Arc::new(repo), Arc::new(hasher), tokens())
}

fn new_user() -> NewUser {
    NewUser {
        first_name: "Ann".into(),
        last_name: "Smith".into(),
        email: "ann@example.com".into(),
        company: Some("Acme".into()),
        valid_from: Some(year(2000)),
        valid_thru: Some(year(2200)),
        active: true,
        roles: None,
        password: SecretString::from("correct horse"),
    }
}

fn hashing(hash: &'static str) -> MockPasswordHasher {
    let mut h = MockPasswordHasher::new();
    h.expect_hash()
        .returning(move |_| Ok(PasswordHash::new(hash)));
    h
}

#[tokio::test]
async fn create_reports_every_invalid_field_at_once() {
    let svc = service(MockUserRepository::new(), MockPasswordHasher::new());
    let input = NewUser {
        first_name: " ".into(),
        last_name: "x".repeat(101),
        email: "not-an-address".into(),
        company: Some("c".repeat(256)),
        valid_from: None,
        valid_thru: None,
        active: false,
        roles: None,
        password: SecretString::from("short"),
    };
    let err = svc.create(&actor(), input).await.unwrap_err();
    assert_eq!(
        fields(err),
        [
            "password",
            "first_name",
            "last_name",
            "email",
            "company",
            "valid_from",
            "valid_thru"
        ]
    );
}

#[tokio::test]
async fn create_requires_password_and_ordered_validity() {
    let svc = service(MockUserRepository::new(), MockPasswordHasher::new());
    let input = NewUser {
        password: SecretString::from(""),
        valid_thru: Some(year(1999)),
        ..new_user()
    };
    let err = svc.create(&actor(), input).await.unwrap_err();
    assert_eq!(
        messages(err),
        [
            "password is required",
            "valid_thru must be after valid_from"
        ]
    );
}

#[tokio::test]
async fn create_hashes_the_password_and_records_the_actor() {
    let mut repo = MockUserRepository::new();
    repo.expect_create()
        .withf(|_, draft, event| {
            draft.password_hash == Some(PasswordHash::new("$argon2id$h"))
                && draft.email.as_str() == "ann@example.com"
                && draft.company.as_ref().map(|c| c.as_str()) == Some("Acme")
                && event.performed_by == 42
                && event.action_type == ActionType::Insert
                && event.action_func == "create_user"
                && event.object_name == "user"
        })
        .times(1)
        .returning(|_, _, _| Ok(user(1, 1)));
    let svc = service(repo, hashing("$argon2id$h"));
    assert_eq!(svc.create(&actor(), new_user()).await.unwrap(), user(1, 1));
}

#[tokio::test]
async fn duplicate_email_on_create_keeps_the_create_wording() {
    let mut repo = MockUserRepository::new();
    repo.expect_create()
        .returning(|_, _, _| Err(crate::constraints::unique_violation("users_email_key").unwrap()));
    let err = service(repo, hashing("h"))
        .create(&actor(), new_user())
        .await
        .unwrap_err();
    assert_eq!(conflict_kind(&err), ConflictKind::Duplicate);
    assert_eq!(
        err.to_string(),
        "email: a user with this e-mail already exists"
    );
}

#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
    veto: bool,
}

#[async_trait]
impl Hooks<User, UserDraft> for Recorder {
    async fn before_create(&self, _: &Actor, d: &UserDraft) -> crate::Result<()> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("before_create {}", d.email));
        if self.veto {
            return Err(Error::invalid(crate::FieldError::new(
                "email",
                "house_rule",
                "email: not from this domain",
            )));
        }
        Ok(())
    }
    async fn after_create(&self, _: &Actor, u: &User) {
        self.calls
            .lock()
            .unwrap()
            .push(format!("after_create {}", u.id));
    }
    async fn before_delete(&self, _: &Actor, u: &User) -> crate::Result<()> {
        self.calls
            .lock()
            .unwrap()
            .push(format!("before_delete {}", u.id));
        Ok(())
    }
    async fn after_delete(&self, _: &Actor, u: &User) {
        self.calls
            .lock()
            .unwrap()
            .push(format!("after_delete {}", u.id));
    }
}

#[tokio::test]
async fn hooks_run_around_the_write_in_order() {
    let rec = Arc::new(Recorder::default());
    let mut hooks = HookChain::default();
    hooks.push(rec.clone());
    let mut repo = MockUserRepository::new();
    repo.expect_create().returning(|_, _, _| Ok(user(5, 1)));
    let inactive = User {
        active: false,
        ..user(5, 1)
    };
    repo.expect_get()
        .returning(move |_, _| Ok(Some(inactive.clone())));
    repo.expect_delete().returning(|_, _, _, _| Ok(user(5, 1)));
    let svc = service(repo, hashing("h")).with_hooks(hooks);
    svc.create(&actor(), new_user()).await.unwrap();
    svc.delete(&actor(), 5, None).await.unwrap();
    assert_eq!(
        *rec.calls.lock().unwrap(),
        [
            "before_create ann@example.com",
            "after_create 5",
            "before_delete 5",
            "after_delete 5"
        ]
    );
}

#[tokio::test]
async fn a_vetoing_hook_stops_the_write_before_hashing() {
    let rec = Arc::new(Recorder {
        veto: true,
        ..Default::default()
    });
    let mut hooks = HookChain::default();
    hooks.push(rec.clone());
    let svc = service(MockUserRepository::new(), MockPasswordHasher::new()).with_hooks(hooks);
    let err = svc.create(&actor(), new_user()).await.unwrap_err();
    assert_eq!(fields(err), ["email"]);
}

#[tokio::test]
async fn update_merges_changes_and_guards_with_the_version_read() {
    let mut repo = MockUserRepository::new();
    repo.expect_get().returning(|_, _| Ok(Some(user(3, 4))));
    repo.expect_update()
        .withf(|_, id, d, v, e| {
            *id == 3
                && *v == 4
                && d.last_name.as_str() == "Jones"
                && d.first_name.as_str() == "Ann"
                && d.company.is_none()
                && d.password_hash.is_none()
                && e.action_func == "update_user"
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok(user(3, 5)));
    let changes = UserChanges {
        last_name: Some("Jones".into()),
        company: Some("".into()),
        ..Default::default()
    };
    let svc = service(repo, MockPasswordHasher::new());
    assert_eq!(
        svc.update(&actor(), 3, changes, None)
            .await
            .unwrap()
            .version,
        5
    );
}

#[tokio::test]
async fn update_with_a_new_password_hashes_it_again() {
    let mut repo = MockUserRepository::new();
    repo.expect_get().returning(|_, _| Ok(Some(user(3, 1))));
    repo.expect_update()
        .withf(|_, _, d, _, _| d.password_hash == Some(PasswordHash::new("new")))
        .returning(|_, _, _, _, _| Ok(user(3, 2)));
    let changes = UserChanges {
        password: Some(SecretString::from("a new password")),
        ..Default::default()
    };
    service(repo, hashing("new"))
        .update(&actor(), 3, changes, Some(1))
        .await
        .unwrap();
}

#[tokio::test]
async fn update_checks_merged_fields() {
    let mut repo = MockUserRepository::new();
    repo.expect_get().returning(|_, _| Ok(Some(user(3, 1))));
    let changes = UserChanges {
        valid_thru: Some(year(1999)),
        email: Some("bad".into()),
        password: Some(SecretString::from("short")),
        ..Default::default()
    };
    let err = service(repo, MockPasswordHasher::new())
        .update(&actor(), 3, changes, None)
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["password", "email", "valid_thru"]);
}

#[tokio::test]
async fn a_stale_version_fails_before_any_write() {
    let mut repo = MockUserRepository::new();
    repo.expect_get().returning(|_, _| Ok(Some(user(3, 4))));
    let svc = service(repo, MockPasswordHasher::new());
    let err = svc
        .update(&actor(), 3, UserChanges::default(), Some(2))
        .await
        .unwrap_err();
    assert_eq!(conflict_kind(&err), ConflictKind::StaleVersion);
    let err = svc.delete(&actor(), 3, Some(2)).await.unwrap_err();
    assert_eq!(conflict_kind(&err), ConflictKind::StaleVersion);
}

#[tokio::test]
async fn duplicate_email_on_update_says_another_user_has_it() {
    let mut repo = MockUserRepository::new();
    repo.expect_get().returning(|_, _| Ok(Some(user(3, 1))));
    repo.expect_update().returning(|_, _, _, _, _| {
        Err(crate::constraints::unique_violation("users_email_key").unwrap())
    });
    let changes = UserChanges {
        email: Some("taken@example.com".into()),
        ..Default::default()
    };
    let err = service(repo, MockPasswordHasher::new())
        .update(&actor(), 3, changes, None)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "email: another user already has this e-mail"
    );
}

#[tokio::test]
async fn missing_user_is_not_found_everywhere() {
    let mut repo = MockUserRepository::new();
    repo.expect_get().returning(|_, _| Ok(None));
    let svc = service(repo, MockPasswordHasher::new());
    assert!(matches!(
        svc.get(&actor(), 9).await,
        Err(Error::NotFound { entity: "user", .. })
    ));
    assert!(matches!(
        svc.update(&actor(), 9, UserChanges::default(), None).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        svc.delete(&actor(), 9, None).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn list_checks_the_page_and_by_email_filters_on_email() {
    let mut repo = MockUserRepository::new();
    repo.expect_list()
        .withf(|_, f, p| f.email.as_deref() == Some("Ann@Example.com") && p.limit == 50)
        .returning(|_, _, _| {
            Ok(crate::page::Page {
                items: vec![user(1, 1)],
                next_cursor: None,
            })
        });
    let svc = service(repo, MockPasswordHasher::new());
    assert_eq!(
        svc.by_email(&actor(), " Ann@Example.com ", &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let err = svc
        .list(&actor(), &UserFilter::default(), &PageRequest::first(501))
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["limit"]);
}
