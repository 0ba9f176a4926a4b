//! End-to-end flows through the facade and the real services on SQLite and PostgreSQL: seeding,
//! logging in, cross-service rules, and the audit events the changes leave in the outbox.

use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::domain::entities::{NewUser, PromotionFilter};
use gotemp::domain::error::{ConflictKind, Error};
use gotemp::domain::page::PageRequest;
use gotemp::domain::ports::Repositories;
use gotemp::{Config, Gotemp, SecretString};
use gotemp_testing as testing;
use std::sync::Arc;

fn config() -> Config {
    let mut c = Config::embedded(SecretString::from("test-secret-test-secret-test-secret!"));
    c.auth.admin_email = "root@gotemp.example".into();
    c.auth.admin_password = SecretString::from("root password of the tests");
    c.auth.demo_password = Some(SecretString::from("demo password of the tests"));
    c
}

async fn app(repos: Repositories) -> Gotemp {
    let tokens = TokenService::new(TokenSettings::new(config().auth.jwt_secret)).unwrap();
    gotemp_testing::wired(repos, Arc::new(tokens)).await
}

async fn seeded_flows(repos: Repositories) {
    let app = app(repos).await;
    let c = config();
    let first = app.seed(&c).await.unwrap();
    assert_eq!(
        (
            first.users,
            first.customers,
            first.products,
            first.promotions,
            first.links
        ),
        (6, 5, 6, 3, 8),
        "the demo data with the hierarchies of docs/services.md"
    );
    let again = app.seed(&c).await.unwrap();
    assert_eq!(
        (
            again.users,
            again.customers,
            again.products,
            again.promotions,
            again.links
        ),
        (0, 0, 0, 0, 0),
        "seeding is idempotent"
    );

    // Logins: admin and an active demo user get in; the inactive one, the expired one and a wrong
    // password get the same answer.
    let admin = app
        .users()
        .login("ROOT@gotemp.example", &c.auth.admin_password)
        .await
        .unwrap();
    let actor = app.users().authenticate(&admin.token).await.unwrap().actor;
    assert!(
        actor.roles.contains(gotemp::domain::policy::Role::Admin),
        "the seeded administrator is admin"
    );
    assert_eq!(actor.user_id, admin.user.id);
    let demo = SecretString::from("demo password of the tests");
    app.users()
        .login("ann.smith@ducksrus.example", &demo)
        .await
        .unwrap();
    let denied = Error::Unauthenticated("invalid e-mail or password".into());
    for email in [
        "carla.diaz@canard.example",
        "dan.old@ducksrus.example",
        "nobody@x.example",
    ] {
        assert_eq!(
            app.users().login(email, &demo).await.unwrap_err(),
            denied,
            "{email}"
        );
    }
    assert_eq!(
        app.users()
            .login("ann.smith@ducksrus.example", &c.auth.admin_password)
            .await
            .unwrap_err(),
        denied
    );

    // E-mail uniqueness ignores case, through the service.
    let dup = NewUser {
        first_name: "Ann".into(),
        last_name: "Again".into(),
        email: "Ann.Smith@DucksRUs.example".into(),
        company: None,
        valid_from: Some(chrono::Utc::now()),
        valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(1)),
        active: true,
        roles: None,
        password: SecretString::from("long enough to pass"),
    };
    let err = app.users().create(&actor, dup).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "email: a user with this e-mail already exists"
    );

    // Promotions carry their customer's name; a customer they name cannot be deleted.
    let filter = PromotionFilter {
        customer_id: Some("ducksrus".into()),
        ..Default::default()
    };
    let promos = app
        .promotions()
        .list(&actor, &filter, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(promos.items.len(), 2);
    assert!(
        promos
            .items
            .iter()
            .all(|p| p.customer_name.as_deref() == Some("Ducks R Us"))
    );
    let err = app
        .customers()
        .delete(&actor, "ducksrus", None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Conflict {
                kind: ConflictKind::InUse,
                ..
            }
        ),
        "{err:?}"
    );
    app.customers()
        .delete(&actor, "canard", None)
        .await
        .unwrap();

    // Every committed change left one event; none carries a secret.
    let events = app.repositories().outbox.pending(10_000).await.unwrap();
    let access = gotemp::domain::event::ActionType::Access;
    let (logins, changes): (Vec<_>, Vec<_>) =
        events.iter().partition(|e| e.event.action_type == access);
    assert_eq!(changes.len(), 6 + 5 + 6 + 3 + 8 + 1);
    let mut logins: Vec<&str> = logins
        .iter()
        .map(|e| e.event.action_func.as_str())
        .collect();
    logins.sort_unstable();
    assert_eq!(
        logins,
        [
            "login",
            "login",
            "login_failed",
            "login_failed",
            "login_failed",
            "login_failed"
        ],
        "every login and every failure is an access event"
    );
    for e in &events {
        let text = serde_json::to_string(&e.event).unwrap();
        for secret in [
            "password",
            "argon2",
            "root password of the tests",
            "demo password of the tests",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    let last = &events.last().unwrap().event;
    assert_eq!(
        (last.object_name.as_str(), last.object_id.as_str()),
        ("customer", "canard")
    );
    assert_eq!(last.performed_by, actor.user_id);

    // The embedded pipeline moves all of them into the audit trail, once each.
    let pipeline = app.start_audit_pipeline();
    app.wait_for_audit(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    pipeline.shutdown().await;
    let filter = gotemp::domain::entities::AuditFilter::default();
    let trail = app
        .audit()
        .list(&actor, &filter, &PageRequest::first(500))
        .await
        .unwrap();
    assert_eq!(trail.items.len(), events.len());
    let canard = app
        .audit()
        .history(&actor, "customer", "canard", &PageRequest::default())
        .await
        .unwrap();
    let kinds: Vec<&str> = canard
        .items
        .iter()
        .map(|r| r.action_func.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["delete_customer", "create_customer"],
        "newest first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_flows_on_sqlite() {
    let store = testing::sqlite_store().await;
    seeded_flows(store.repos.clone()).await;
    store.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_flows_on_postgres() {
    let Some(store) = testing::postgres_store("seeded_flows_on_postgres").await else {
        return;
    };
    seeded_flows(store.repos.clone()).await;
    store.finish().await;
}

#[tokio::test]
async fn open_rejects_unknown_storage_and_opens_sqlite_by_url() {
    let mut c = config();
    let err = "mysql://nope".parse::<gotemp::Store>().unwrap_err();
    assert!(
        err.to_string().contains("sqlite:// or postgres://"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("nope"),
        "only the scheme is repeated: {err}"
    );
    let dir = std::env::temp_dir().join(format!("gotemp-open-{}", std::process::id()));
    c.storage.url = gotemp::Store::sqlite_file(dir.join("nested/gotemp.db"));
    let app = Gotemp::open(&c).await.unwrap();
    assert!(
        app.customers()
            .get(
                &gotemp::domain::Actor::system(gotemp::domain::values::TenantId::default_tenant()),
                "ducksrus"
            )
            .await
            .is_err(),
        "no seed unless asked"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// An Ed25519 key pair from a fixed seed, as PEM: (private PKCS#8, public SPKI).
fn ed25519_pems(seed: u8) -> (SecretString, String) {
    use ed25519_dalek::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _};
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let private = key.to_pkcs8_pem(Default::default()).unwrap();
    let public = key
        .verifying_key()
        .to_public_key_pem(Default::default())
        .unwrap();
    (SecretString::from(private.to_string()), public)
}

/// With Ed25519 keys, the process holding the private key issues tokens; one holding only the
/// public key (an edge) accepts them, refuses a login with 503 before checking any password,
/// and cannot be talked into minting a token.
#[tokio::test]
async fn an_edge_with_only_the_public_key_checks_tokens_and_issues_none() {
    let store = testing::sqlite_store().await;
    let (private, public) = ed25519_pems(42);
    let keys = |private: Option<SecretString>, public: Vec<String>| {
        let settings = TokenSettings {
            private_key: private,
            public_keys: public,
            ..TokenSettings::new(SecretString::from(String::new()))
        };
        Arc::new(TokenService::new(settings).unwrap())
    };
    let users = gotemp_testing::wired(store.repos.clone(), keys(Some(private), vec![])).await;
    let c = config();
    users.seed(&c).await.unwrap();
    let login = users
        .users()
        .login("root@gotemp.example", &c.auth.admin_password)
        .await
        .unwrap();
    let edge = gotemp_testing::wired(store.repos.clone(), keys(None, vec![public])).await;
    let caller = edge.users().authenticate(&login.token).await.unwrap();
    assert_eq!(caller.actor.user_id, login.user.id);
    let refused = edge
        .users()
        .login("root@gotemp.example", &c.auth.admin_password)
        .await;
    assert!(matches!(refused, Err(Error::Unavailable(_))), "{refused:?}");
    // A token made with the shared secret the configuration also holds is not accepted there.
    let hs = app(store.repos.clone())
        .await
        .users()
        .login("root@gotemp.example", &c.auth.admin_password)
        .await
        .unwrap();
    assert!(edge.users().authenticate(&hs.token).await.is_err());
    store.finish().await;
}

/// The configuration takes the keys from variables or files, and refuses a secret beside them.
#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn token_keys_come_from_the_configuration_and_exclude_a_secret() {
    let (_, public) = ed25519_pems(3);
    figment::Jail::expect_with(|jail| {
        jail.set_env("GOTEMP_STORAGE", "postgres://db/gotemp");
        jail.set_env("GOTEMP_JWT_PUBLIC_KEY", &public);
        let c = Config::load(None).expect("no secret needed with keys");
        assert_eq!(c.auth.jwt_public_key.as_deref(), Some(public.as_str()));
        jail.set_env(
            "GOTEMP_JWT_SECRET",
            "Xt9ob76qmMLXzomSYe8kieZb/dv23+CbSzvVhr+Px7I=",
        );
        let err = Config::load(None).unwrap_err().to_string();
        assert!(err.contains("exclude each other"), "{err}");
        Ok(())
    });
}
