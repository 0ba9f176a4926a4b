//! What the pipeline tests share: services over a test store, a workload of changes, and the
//! exactly-once checks on the audit trail it must produce.
#![allow(dead_code)]

use gotemp_core::actor::Actor;
use gotemp_core::auth::{Argon2Hasher, TokenService, TokenSettings};
use gotemp_core::entities::{
    AuditFilter, AuditRecord, CustomerChanges, NewCustomer, NewUser, UserChanges,
};
use gotemp_core::page::PageRequest;
use gotemp_core::ports::Repositories;
use gotemp_core::services::{AuditService, CustomerService, UserService};
use secrecy::SecretString;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Services {
    pub customers: CustomerService,
    pub users: UserService,
    pub audit: AuditService,
}

pub fn services(repos: &Repositories) -> Services {
    let tokens = TokenService::new(TokenSettings::new(SecretString::from("x".repeat(40)))).unwrap();
    Services {
        customers: CustomerService::new(repos.customers.clone()),
        users: UserService::new(
            repos.users.clone(),
            Arc::new(Argon2Hasher::with_params(1024, 1, 1).unwrap()),
            Arc::new(tokens),
        ),
        audit: AuditService::new(repos.audit.clone()),
    }
}

/// Makes changes to customers `{prefix}0..{prefix}{count}` (create, update, and a delete for
/// every third) plus one user with a password change; returns how many audited changes it made.
pub async fn make_changes(s: &Services, prefix: &str, count: usize) -> usize {
    let actor = Actor::admin(gotemp_core::values::TenantId::default_tenant(), 7);
    let mut changes = 0;
    for i in 0..count {
        let id = format!("{prefix}{i}");
        s.customers
            .create(
                &actor,
                NewCustomer {
                    id: Some(id.clone()),
                    name: format!("Customer {i}"),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        s.customers
            .update(
                &actor,
                &id,
                CustomerChanges {
                    name: Some(format!("Renamed {i}")),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap();
        changes += 2;
        if i % 3 == 0 {
            s.customers.delete(&actor, &id, None).await.unwrap();
            changes += 1;
        }
    }
    let user = s
        .users
        .create(
            &actor,
            NewUser {
                first_name: "Audit".into(),
                last_name: prefix.into(),
                email: format!("{prefix}@audit.example"),
                company: None,
                valid_from: Some(chrono::Utc::now()),
                valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(1)),
                active: true,
                roles: None,
                password: SecretString::from("first secret password"),
            },
        )
        .await
        .unwrap();
    s.users
        .update(
            &actor,
            user.id,
            UserChanges {
                password: Some(SecretString::from("second secret password")),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    changes + 2
}

/// Every audit record, newest first.
pub async fn all_records(audit: &AuditService) -> Vec<AuditRecord> {
    let mut out = Vec::new();
    let mut req = PageRequest::first(500);
    loop {
        let page = audit
            .list(
                &Actor::admin(gotemp_core::values::TenantId::default_tenant(), 7),
                &AuditFilter::default(),
                &req,
            )
            .await
            .unwrap();
        let next = req.after(&page);
        out.extend(page.items);
        match next {
            Some(n) => req = n,
            None => return out,
        }
    }
}

/// Waits until at least `n` records are stored (or `limit` passes), then returns them all.
pub async fn wait_for_records(audit: &AuditService, n: usize, limit: Duration) -> Vec<AuditRecord> {
    let started = Instant::now();
    loop {
        let records = all_records(audit).await;
        if records.len() >= n || started.elapsed() > limit {
            return records;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Exactly `n` records, each event once, per object in the order the changes were made, and no
/// secret anywhere.
pub fn assert_exactly(records: &[AuditRecord], n: usize) {
    assert_eq!(records.len(), n, "audit records stored");
    let ids: HashSet<_> = records.iter().map(|r| r.event_id).collect();
    assert_eq!(ids.len(), n, "every event stored once");
    let mut per_object: HashMap<(&str, &str), Vec<&AuditRecord>> = HashMap::new();
    for r in records {
        per_object
            .entry((&r.object_name, &r.object_id))
            .or_default()
            .push(r);
    }
    for ((name, id), mut history) in per_object {
        history.sort_by_key(|r| (r.action_time, r.id));
        let kinds: Vec<&str> = history.iter().map(|r| r.action_type.as_str()).collect();
        assert_eq!(
            kinds[0], "insert",
            "{name} {id} history starts with its insert: {kinds:?}"
        );
        if let Some(pos) = kinds.iter().position(|k| *k == "delete") {
            assert_eq!(
                pos,
                kinds.len() - 1,
                "{name} {id}: nothing after its delete: {kinds:?}"
            );
        }
        let versions: Vec<i64> = history
            .iter()
            .filter(|r| r.action_type.as_str() != "delete")
            .map(|r| r.object_detail["version"].as_i64().unwrap())
            .collect();
        assert!(
            versions.windows(2).all(|w| w[0] < w[1]),
            "{name} {id}: versions in order {versions:?}"
        );
    }
    for r in records {
        let text = r.object_detail.to_string();
        for secret in ["password", "secret password", "argon2", "hash"] {
            assert!(!text.contains(secret), "{secret} in audit record {text}");
        }
    }
}
