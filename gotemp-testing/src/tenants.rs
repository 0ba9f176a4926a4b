//! A multi-tenant deployment for isolation suites: the platform, the demo tenants `ducks` and
//! `geese` (some keys in both), and a user of every role in `geese`.

use gotemp::domain::Actor;
use gotemp::domain::auth::TokenService;
use gotemp::domain::entities::NewUser;
use gotemp::domain::policy::{Role, Roles};
use gotemp::domain::ports::Repositories;
use gotemp::domain::values::{Tenancy, TenantId};
use gotemp::{Config, Gotemp, SecretString};
use std::sync::Arc;

/// Besides `admin@geese.example` (admin) and `gina.goose@geese.example` (editor) of the seed:
/// `viewer@`, `auditor@`, `approver@` and `nobody@geese.example` (no role).
pub const GEESE_ROLES: [(&str, Option<Role>); 4] = [
    ("viewer", Some(Role::Viewer)),
    ("auditor", Some(Role::Auditor)),
    ("approver", Some(Role::Approver)),
    ("nobody", None),
];

/// The services over `repositories` in a multi-tenant deployment, the platform made from
/// `config` and the demo data seeded (`ducks`, `geese`), with the users of [`GEESE_ROLES`]; every
/// demo user's password is `password`.
pub async fn ducks_and_geese(
    repositories: Repositories,
    tokens: Arc<TokenService>,
    config: &Config,
    password: &str,
) -> Gotemp {
    let mut c = config.clone();
    c.auth.tenancy = Tenancy::Multi;
    c.auth.demo_password = Some(SecretString::from(password));
    let app = Gotemp::builder()
        .repositories(repositories)
        .tokens(tokens)
        .tenancy(Tenancy::Multi)
        .build()
        .await
        .expect("the services are wired");
    app.ensure_platform(&c).await.expect("the platform");
    app.seed(&c).await.expect("the demo tenants");
    let in_geese = Actor::system(TenantId::parse("tenant", "geese").expect("a key"));
    for (name, role) in GEESE_ROLES {
        let user = NewUser {
            first_name: name.into(),
            last_name: "Goose".into(),
            email: format!("{name}@geese.example"),
            company: None,
            valid_from: Some(chrono::Utc::now() - chrono::Duration::days(1)),
            valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(1)),
            active: true,
            roles: Some(role.map_or(Roles::NONE, |r| Roles::of(&[r]))),
            password: SecretString::from(password),
        };
        app.users()
            .create(&in_geese, user)
            .await
            .expect("a user of geese");
    }
    app
}
