//! Micro-benchmarks of the hot paths under every request (criterion): validating input,
//! serializing an object and its audit event, verifying a token, the policy's decision, and a
//! repository read and
//! write (with its outbox event) on the embedded SQLite store.
//!
//! ```sh
//! cargo bench --bench micro
//! ```

use criterion::{Criterion, criterion_group, criterion_main};
use gotemp::SecretString;
use gotemp::domain::actor::Actor;
use gotemp::domain::auth::{TokenService, TokenSettings};
use gotemp::domain::entities::{Customer, CustomerDraft};
use gotemp::domain::event::{ActionType, PendingEvent};
use gotemp::domain::values::TenantId;
use gotemp::domain::values::{Email, EntityKey, Text, ValidityPeriod};
use std::hint::black_box;

fn customer() -> Customer {
    let now = chrono::Utc::now();
    let mut extra = serde_json::Map::new();
    extra.insert("external_id".into(), "12345".into());
    Customer {
        id: "ducksrus".into(),
        name: "Ducks R Us".into(),
        valid_from: now,
        valid_thru: now + chrono::Duration::days(365),
        extra_fields: extra,
        created_at: now,
        updated_at: now,
        modified_by: 1,
        version: 3,
    }
}

fn validation(c: &mut Criterion) {
    let now = chrono::Utc::now();
    c.bench_function(
        "validate: customer fields (key, name, e-mail, period)",
        |b| {
            b.iter(|| {
                let key = EntityKey::parse("id", black_box("ducksrus")).unwrap();
                let name = Text::parse("name", black_box("Ducks R Us"), 255).unwrap();
                let email = Email::parse("email", black_box("Ann.Smith@Ducks.example")).unwrap();
                let period = ValidityPeriod::parse_or_default(None, None, now).unwrap();
                black_box((key, name, email, period))
            })
        },
    );
}

fn serialization(c: &mut Criterion) {
    let customer = customer();
    c.bench_function("serialize: customer to JSON", |b| {
        b.iter(|| serde_json::to_vec(black_box(&customer)).unwrap())
    });
    let actor = Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1);
    c.bench_function(
        "serialize: complete an audit event (redacted object detail)",
        |b| {
            b.iter(|| {
                let pending =
                    PendingEvent::new::<Customer>(ActionType::Update, &actor, customer.updated_at);
                serde_json::to_vec(&pending.complete(black_box(&customer)).unwrap()).unwrap()
            })
        },
    );
}

fn tokens(c: &mut Criterion) {
    let service = TokenService::new(TokenSettings::new(SecretString::from(
        "micro-bench-secret-micro-bench-secret-!!",
    )))
    .unwrap();
    let token = service
        .issue(
            &gotemp::domain::values::TenantId::default_tenant(),
            1,
            1,
            chrono::Utc::now(),
        )
        .unwrap()
        .token;
    c.bench_function("token: verify a JWT (HS256, claims checked)", |b| {
        b.iter(|| service.verify(black_box(&token)).unwrap())
    });
}

fn sqlite(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = rt.block_on(gotemp_testing::sqlite_store());
    let repo = store.repos.customers.clone();
    let draft = |id: String| CustomerDraft {
        id: EntityKey::parse("id", &id).unwrap(),
        name: Text::parse("name", "Ducks R Us", 255).unwrap(),
        validity: ValidityPeriod::parse_or_default(None, None, chrono::Utc::now()).unwrap(),
        extra_fields: Default::default(),
        extras: (),
    };
    let event = || {
        PendingEvent::new::<Customer>(
            ActionType::Insert,
            &Actor::admin(gotemp::domain::values::TenantId::default_tenant(), 1),
            chrono::Utc::now(),
        )
    };
    rt.block_on(repo.create(
        &TenantId::default_tenant(),
        &draft("ducksrus".into()),
        event(),
    ))
    .unwrap();
    c.bench_function("sqlite: customer get-by-id", |b| {
        b.to_async(&rt).iter(|| async {
            repo.get(&TenantId::default_tenant(), black_box("ducksrus"))
                .await
                .unwrap()
        })
    });
    let n = std::sync::atomic::AtomicU64::new(0);
    c.bench_function(
        "sqlite: customer create (+ outbox event, one commit)",
        |b| {
            b.to_async(&rt).iter(|| async {
                let id = format!("c-{}", n.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
                repo.create(&TenantId::default_tenant(), &draft(id), event())
                    .await
                    .unwrap()
            })
        },
    );
    rt.block_on(store.finish());
}

/// The default policy's decision, asked on every call: must stay far below a microsecond.
fn policy(c: &mut Criterion) {
    use gotemp::domain::policy::{
        Action, Object, Policy, Request, Resource, Role, RolePolicy, Roles,
    };
    let editor = Actor::new(
        gotemp::domain::values::TenantId::default_tenant(),
        7,
        Roles::of(&[Role::Editor, Role::Viewer]),
    );
    let customer = customer();
    c.bench_function("policy: role table decides an update of a customer", |b| {
        b.iter(|| {
            let request = Request {
                actor: black_box(&editor),
                action: black_box(Action::Update),
                resource: black_box(Resource::Customers),
                object: Some(Object::Customer(&customer)),
            };
            black_box(RolePolicy.allows(&request))
        })
    });
    let policy: std::sync::Arc<dyn Policy> = std::sync::Arc::new(RolePolicy);
    c.bench_function(
        "policy: role table behind dyn Policy, a user reading itself",
        |b| {
            b.iter(|| {
                let request = Request {
                    actor: black_box(&editor),
                    action: black_box(Action::Read),
                    resource: black_box(Resource::Users),
                    object: Some(Object::UserId(black_box(7))),
                };
                black_box(policy.allows(&request))
            })
        },
    );
}

criterion_group!(benches, validation, serialization, tokens, policy, sqlite);
criterion_main!(benches);
