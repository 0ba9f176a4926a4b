use super::*;
use crate::page::{Page, PageRequest};
use crate::ports::MockAuditRepository;
use crate::services::AuditService;
use chrono::Duration;
use std::sync::Arc;

#[tokio::test]
async fn bucket_width_and_range_are_checked() {
    let mut repo = MockAuditRepository::new();
    repo.expect_count_by_bucket()
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    let svc = AuditService::new(Arc::new(repo));
    let f = AuditFilter::default();
    assert_eq!(
        fields(
            svc.count_by_bucket(&actor(), &f, Duration::milliseconds(10))
                .await
                .unwrap_err()
        ),
        ["width"]
    );
    let backwards = AuditFilter {
        from: Some(year(2024)),
        to: Some(year(2023)),
        ..Default::default()
    };
    assert_eq!(
        fields(
            svc.count_by_bucket(&actor(), &backwards, Duration::hours(1))
                .await
                .unwrap_err()
        ),
        ["to"]
    );
    let huge = AuditFilter {
        from: Some(year(2000)),
        to: Some(year(2024)),
        ..Default::default()
    };
    assert_eq!(
        fields(
            svc.count_by_bucket(&actor(), &huge, Duration::seconds(1))
                .await
                .unwrap_err()
        ),
        ["width"]
    );
    assert!(
        svc.count_by_bucket(&actor(), &huge, Duration::days(30))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_count_without_a_range_covers_the_last_max_buckets_widths() {
    let mut repo = MockAuditRepository::new();
    repo.expect_count_by_bucket()
        .withf(|_, filter, width| {
            let (Some(from), Some(to)) = (filter.from, filter.to) else {
                return false;
            };
            to - from == *width * crate::services::audit::MAX_BUCKETS as i32
        })
        .times(1)
        .returning(|_, _, _| Ok(vec![]));
    let svc = AuditService::new(Arc::new(repo));
    let before = crate::values::now();
    let counted = svc
        .count_by_bucket(&actor(), &AuditFilter::default(), Duration::seconds(1))
        .await
        .unwrap();
    assert!(counted.to >= before, "up to now");
    assert_eq!(counted.to - counted.from, Duration::seconds(10_000));
}

#[tokio::test]
async fn history_filters_one_object_and_get_reports_missing_records() {
    let mut repo = MockAuditRepository::new();
    repo.expect_list()
        .withf(|_, f, p| {
            f.object_name.as_deref() == Some("customer")
                && f.object_id.as_deref() == Some("ducksrus")
                && p.limit == 20
        })
        .times(1)
        .returning(|_, _, _| {
            Ok(Page {
                items: vec![],
                next_cursor: None,
            })
        });
    repo.expect_get().returning(|_, _| Ok(None));
    let svc = AuditService::new(Arc::new(repo));
    svc.history(&actor(), "customer", "ducksrus", &PageRequest::first(20))
        .await
        .unwrap();
    assert!(matches!(
        svc.get(&actor(), 1).await,
        Err(Error::NotFound { .. })
    ));
    let backwards = AuditFilter {
        from: Some(year(2024)),
        to: Some(year(2024)),
        ..Default::default()
    };
    assert_eq!(
        fields(
            svc.list(&actor(), &backwards, &PageRequest::default())
                .await
                .unwrap_err()
        ),
        ["to"]
    );
}
