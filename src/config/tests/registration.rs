//! Who may sign up: never as an administrator, and not yet into a multi-tenant deployment.

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

#[test]
#[allow(clippy::result_large_err)] // figment's test jail decides the closure's error type
fn open_registration_is_refused_with_many_tenants() {
    figment::Jail::expect_with(|jail| {
        with_secret(jail);
        jail.set_env("GOTEMP_TENANCY", "multi");
        jail.set_env("GOTEMP_REGISTRATION", "open");
        let e = Config::load(None).unwrap_err().to_string();
        assert!(e.contains("registration") && e.contains("tenancy"), "{e}");
        jail.set_env("GOTEMP_REGISTRATION", "closed");
        assert_eq!(
            Config::load(None).unwrap().auth.tenancy,
            gotemp_core::values::Tenancy::Multi
        );
        Ok(())
    });
}
