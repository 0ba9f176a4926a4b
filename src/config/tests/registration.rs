//! Who may sign up: never as an administrator or operator (a multi-tenant sign-up administers
//! only the tenant it starts).

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
