//! gotemp on the embedded default, no server needed: opens (and migrates) `data/gotemp.db`,
//! seeds the demo data, logs in as the administrator, and walks a promotion through its life,
//! printing each step and the audit events the changes queued.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Settings: `GOTEMP_STORAGE` (default `sqlite://data/gotemp.db`, or `postgres://…` with
//! `--features postgres`), `GOTEMP_JWT_SECRET` (default: a random one for this run),
//! `GOTEMP_ADMIN_EMAIL`, `GOTEMP_ADMIN_PASSWORD`, `GOTEMP_CACHE` (`memory`, `none`, or
//! `redis://…` with `--features redis`).

use gotemp::domain::entities::{
    Discount, NewPromotion, PromotionChanges, PromotionFilter, PromotionProduct,
};
use gotemp::domain::page::PageRequest;
use gotemp::{Config, Gotemp, SecretString};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("warn").init();
    let secret = std::env::var("GOTEMP_JWT_SECRET")
        .unwrap_or_else(|_| format!("{}{}", uuid_like(), uuid_like()));
    let mut config = Config::embedded(SecretString::from(secret));
    if let Ok(storage) = std::env::var("GOTEMP_STORAGE") {
        config.storage.url = storage.parse()?;
    }
    if let Ok(cache) = std::env::var("GOTEMP_CACHE") {
        config.cache.url = cache.parse()?;
    }
    if let Ok(email) = std::env::var("GOTEMP_ADMIN_EMAIL") {
        config.auth.admin_email = email;
    }
    if let Ok(password) = std::env::var("GOTEMP_ADMIN_PASSWORD") {
        config.auth.admin_password = SecretString::from(password);
    }

    let started = std::time::Instant::now();
    let app = Gotemp::open(&config).await?;
    println!("opened {} in {:?}", config.storage.url, started.elapsed());
    let pipeline = app.start_audit_pipeline();
    let seeded = app.seed(&config).await?;
    println!("seeded: {seeded:?}");

    let login = app
        .users()
        .login(&config.auth.admin_email, &config.auth.admin_password)
        .await?;
    println!(
        "logged in as {} (token valid until {})",
        login.user.name, login.expires_at
    );
    let actor = app.users().authenticate(&login.token).await?.actor;

    let promo = app
        .promotions()
        .create(
            &actor,
            NewPromotion {
                name: "Quickstart".into(),
                description: Some("made by the quickstart example".into()),
                valid_from: Some(chrono::Utc::now()),
                valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(30)),
                customer_id: "ducksrus".into(),
                products: vec![PromotionProduct {
                    product_id: "switch".into(),
                    upc_code: None,
                    discounts: vec![Discount {
                        id: 0,
                        value: 12.5,
                        kind: 1,
                        description: None,
                    }],
                }],
                ..Default::default()
            },
        )
        .await?;
    println!(
        "created promotion {} for {} ({})",
        promo.id,
        promo.customer_id,
        promo.customer_name.as_deref().unwrap_or("?")
    );
    let promo = app
        .promotions()
        .update(
            &actor,
            promo.id,
            PromotionChanges {
                active: Some(true),
                ..Default::default()
            },
            Some(promo.version),
        )
        .await?;
    println!("activated it (version {})", promo.version);
    let filter = PromotionFilter {
        customer_id: Some("ducksrus".into()),
        ..Default::default()
    };
    let page = app
        .promotions()
        .list(&actor, &filter, &PageRequest::default())
        .await?;
    println!("ducksrus has {} promotions", page.items.len());
    app.promotions()
        .delete(&actor, promo.id, Some(promo.version))
        .await?;
    println!("deleted it");

    app.wait_for_audit(std::time::Duration::from_secs(5))
        .await?;
    let history = app
        .audit()
        .history(
            &actor,
            "promotion",
            &promo.id.to_string(),
            &PageRequest::default(),
        )
        .await?;
    println!("audit history of promotion {}, newest first:", promo.id);
    for r in &history.items {
        println!(
            "  {} {} by user {} ({})",
            r.action_time, r.action_func, r.performed_by, r.topic
        );
    }
    pipeline.shutdown().await;
    Ok(())
}

/// 32 random hex characters, for a throw-away token secret.
fn uuid_like() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos(),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}
