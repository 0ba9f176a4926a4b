//! Unit tests of the services' rules and paths, with mocked ports.

mod audit;
mod links;
mod login;
mod master;
mod promotion;
mod user;

use crate::actor::Actor;
use crate::entities::*;
use crate::error::{ConflictKind, Error};
use chrono::{DateTime, TimeZone, Utc};

pub fn year(y: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).unwrap()
}

pub fn actor() -> Actor {
    Actor::admin(crate::values::TenantId::default_tenant(), 42)
}

/// The fields a validation error names, in order.
pub fn fields(err: Error) -> Vec<String> {
    match err {
        Error::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// The messages of a validation error.
pub fn messages(err: Error) -> Vec<String> {
    match err {
        Error::Validation(errors) => errors.into_iter().map(|e| e.message).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

pub fn conflict_kind(err: &Error) -> ConflictKind {
    match err {
        Error::Conflict { kind, .. } => *kind,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

pub fn user(id: i64, version: i64) -> User {
    User {
        id,
        first_name: "Ann".into(),
        last_name: "Smith".into(),
        name: "Ann Smith".into(),
        email: "ann@example.com".into(),
        company: Some("Acme".into()),
        valid_from: year(2000),
        valid_thru: year(2200),
        active: true,
        roles: crate::policy::Roles::default_for_new_user(),
        created_at: year(2020),
        updated_at: year(2020),
        modified_by: 1,
        version,
    }
}

pub fn customer(id: &str, version: i64) -> Customer {
    Customer {
        id: id.into(),
        name: "Ducks R Us".into(),
        valid_from: year(2000),
        valid_thru: year(2200),
        extra_fields: serde_json::json!({"external_id": "1"})
            .as_object()
            .cloned()
            .unwrap(),
        created_at: year(2020),
        updated_at: year(2020),
        modified_by: 1,
        version,
    }
}

pub fn promotion(id: i64, version: i64, customer_id: &str, approval_status: i32) -> Promotion {
    Promotion {
        id,
        name: "Promo".into(),
        description: None,
        valid_from: year(2000),
        valid_thru: year(2200),
        active: false,
        customer_id: customer_id.into(),
        customer_name: None,
        products: vec![],
        approval_status,
        prev_approval_status: 0,
        created_at: year(2020),
        updated_at: year(2020),
        modified_by: 1,
        version,
    }
}
