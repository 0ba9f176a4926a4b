//! `gotemp tenant export` and `gotemp tenant purge` on the stores of a multi-tenant deployment
//! (its demo data: tenants `ducks` and `geese`, some keys in both): the export holds every
//! object of its tenant and no password hash; the purge refuses without `--yes`, refuses an open
//! tenant and the platform, and removes a closed tenant's data and nothing of another's, after
//! which the tenant can be deleted.

use gotemp::domain::Actor;
use gotemp::domain::entities::TenantChanges;
use gotemp::domain::values::{Tenancy, TenantId};
use gotemp::{Config, Gotemp, SecretString};
use serde_json::Value;
use std::process::Output;

fn gotemp(url: &str, args: &[&str]) -> Output {
    gotemp_testing::run_gotemp(env!("CARGO_BIN_EXE_gotemp"), url, args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_tenant_is_exported_then_purged_and_no_other() {
    let dir = std::env::temp_dir().join(format!("gotemp-tenant-cli-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/gotemp.db", dir.display());
    let mut config = Config::embedded(SecretString::from("tenant-cli-test-secret-tenant-cli!!"));
    config.storage.url = url.parse().unwrap();
    config.auth.tenancy = Tenancy::Multi;
    config.auth.admin_password = SecretString::from("the operator's own long passphrase");
    config.auth.demo_password = Some(SecretString::from("the demo users' long passphrase"));
    let app = Gotemp::builder().config(&config).build().await.unwrap();
    app.ensure_platform(&config).await.unwrap();
    app.seed(&config).await.unwrap();
    let (ducks, geese) = (
        TenantId::parse("t", "ducks").unwrap(),
        TenantId::parse("t", "geese").unwrap(),
    );

    let export = gotemp(&url, &["tenant", "export", "geese"]);
    assert!(export.status.success(), "{}", text(&export.stderr));
    let lines: Vec<Value> = text(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let of = |kind: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["kind"] == kind)
            .map(|l| &l["object"])
            .collect()
    };
    assert_eq!(of("tenant")[0]["key"], "geese");
    let emails: Vec<&str> = of("user")
        .iter()
        .filter_map(|u| u["email"].as_str())
        .collect();
    assert!(emails.contains(&"admin@geese.example"), "{emails:?}");
    assert!(
        !emails.iter().any(|e| e.contains("ducks")),
        "only geese: {emails:?}"
    );
    let names: Vec<&str> = of("customer")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(
        names.contains(&"Goose Down Supplies") && !names.contains(&"Ducks R Us"),
        "{names:?}"
    );
    assert!(
        !text(&export.stdout).contains("$argon2"),
        "no password hash in an export"
    );
    assert!(
        text(&export.stderr).contains("exported geese"),
        "{}",
        text(&export.stderr)
    );

    let unconfirmed = gotemp(&url, &["tenant", "purge", "geese"]);
    assert!(!unconfirmed.status.success(), "purge needs --yes");
    assert!(
        text(&unconfirmed.stderr).contains("--yes"),
        "{}",
        text(&unconfirmed.stderr)
    );
    let open = gotemp(&url, &["tenant", "purge", "geese", "--yes"]);
    assert!(!open.status.success(), "an open tenant is not purged");
    assert!(
        text(&open.stderr).contains("close it first"),
        "{}",
        text(&open.stderr)
    );
    let platform = gotemp(&url, &["tenant", "purge", "platform", "--yes"]);
    assert!(!platform.status.success(), "the platform is never purged");

    let operator = Actor::system(TenantId::platform());
    let close = TenantChanges {
        active: Some(false),
        ..Default::default()
    };
    app.tenants()
        .update(&operator, "geese", close, None)
        .await
        .unwrap();
    let purged = gotemp(&url, &["tenant", "purge", "geese", "--yes"]);
    assert!(purged.status.success(), "{}", text(&purged.stderr));
    let said = text(&purged.stdout);
    // No pipeline runs here: the tenant's events wait in the outbox, and go with it.
    assert!(
        said.contains("purged geese") && said.contains("outbox"),
        "{said}"
    );

    let repos = app.repositories();
    let first = gotemp::domain::page::PageSpec::first(10);
    let left = repos
        .customers
        .list(&geese, &Default::default(), &first)
        .await
        .unwrap();
    assert!(
        left.items.is_empty(),
        "geese keep no customer: {:?}",
        left.items
    );
    let users = repos
        .users
        .list(&geese, &Default::default(), &first)
        .await
        .unwrap();
    assert!(users.items.is_empty(), "geese keep no user");
    let theirs = repos.customers.get(&ducks, "ducksrus").await.unwrap();
    assert_eq!(
        theirs.map(|c| c.name).as_deref(),
        Some("Ducks R Us"),
        "ducks keep theirs"
    );
    app.tenants()
        .delete(&operator, "geese", None)
        .await
        .expect("an empty tenant is deleted");
    let _ = std::fs::remove_dir_all(&dir);
}
