//! Who may sign up: never as an administrator or operator, and not yet into a multi-tenant
//! deployment.

use super::*;

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn registration_never_gives_admin() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "GOTEMP_JWT_SECRET",
            "Vb3rT9x2Lq8Zp4Kd7Wm1Nc6Hy0Fs5Ej2Ga9Ru3Ot",
        );
        jail.set_env("GOTEMP_REGISTRATION_ROLES", "viewer, admin");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(e.contains("registration_roles"), "{e}");
        jail.set_env("GOTEMP_REGISTRATION_ROLES", "viewer, root");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(e.contains("root"), "{e}");
        jail.set_env("GOTEMP_REGISTRATION_ROLES", "");
        let c = Config::load(None).unwrap();
        assert_eq!(c.auth.registration_roles, gotemp_core::policy::Roles::NONE);
        Ok(())
    });
}

/// Open registration with many tenants is refused at start (a stranger would land in a tenant
/// it does not own), whether the configuration or the builder chose many, before anything is
/// opened.
#[tokio::test]
async fn open_registration_is_refused_with_many_tenants() {
    let mut config = Config::embedded(SecretString::from("a secret of at least thirty-two bytes!"));
    config.auth.registration = Registration::Open;
    let chosen_by_builder = crate::Gotemp::builder()
        .config(&config)
        .tenancy(gotemp_core::values::Tenancy::Multi)
        .build()
        .await;
    let e = chosen_by_builder.err().expect("refused").to_string();
    assert!(e.contains("registration"), "{e}");
    config.auth.tenancy = gotemp_core::values::Tenancy::Multi;
    let configured = crate::Gotemp::builder().config(&config).build().await;
    assert!(configured.is_err(), "refused from the configuration too");
}
