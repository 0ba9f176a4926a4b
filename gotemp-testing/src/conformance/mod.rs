//! The conformance suite every storage adapter must pass: the behaviour gotemp-core expects of
//! its repository traits, written once. Adapters outside this crate (ArangoDB) run it with
//! [`conformance_tests!`](crate::conformance_tests), giving it a function that makes a fresh
//! store per test.
//!
//! Each case takes the [`Repositories`] of an empty store and panics on the first deviation.

pub mod access;
pub mod archive;
pub mod audit;
pub mod audit_chain;
pub mod concurrency;
pub mod hierarchy;
pub mod master;
pub mod outbox;
pub mod promotions;
pub mod purge;
pub mod relaying;
pub mod tenants;
pub mod users;

use chrono::{DateTime, TimeZone, Utc};
use gotemp_core::Result;
use gotemp_core::actor::Actor;
use gotemp_core::event::{ActionType, Auditable, PendingEvent};
use gotemp_core::page::{Page, PageRequest, PageSpec};
use gotemp_core::ports::Repositories;
use gotemp_core::values::{TenantId, Text, ValidityPeriod, now};
use std::future::Future;

/// The actor every conformance write is made by.
pub const ACTOR: i64 = 7;

/// Generates one `#[tokio::test]` per conformance case. `$make` is called with the test's name
/// and returns `Option<TestStore>` (`None`: the backend is unavailable and the skip was
/// reported).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@cases $make;
            users_create_get_update_delete => users::create_get_update_delete,
            users_email_unique_ignoring_case => users::email_unique_ignoring_case,
            users_every_filter => users::every_filter,
            users_pagination => users::pagination,
            users_stale_version_and_not_found => users::stale_version_and_not_found,
            users_credentials_and_hash => users::credentials_and_hash,
            users_roles_and_token_versions => access::roles_and_token_versions,
            users_keep_an_active_admin => access::last_active_admin_stays,
            users_concurrent_demotions_keep_one_admin => access::concurrent_demotions_keep_one_admin,
            customers_create_get_update_delete => master::customers_crud,
            customers_duplicate_id => master::customers_duplicate_id,
            customers_every_filter_and_pagination => master::customers_filters_and_pages,
            customers_stale_version_and_not_found => master::customers_stale_and_missing,
            products_create_get_update_delete => master::products_crud,
            products_duplicate_id => master::products_duplicate_id,
            products_every_filter_and_pagination => master::products_filters_and_pages,
            products_stale_version_and_not_found => master::products_stale_and_missing,
            customers_hierarchy_links => hierarchy::customer_links,
            products_hierarchy_links => hierarchy::product_links,
            promotions_create_get_update_delete => promotions::create_get_update_delete,
            promotions_every_filter => promotions::every_filter,
            promotions_pagination => promotions::pagination,
            promotions_stale_version_and_not_found => promotions::stale_version_and_not_found,
            audit_record_is_idempotent => audit::record_is_idempotent,
            audit_record_batch_is_idempotent => audit::record_batch_is_idempotent,
            audit_filters_newest_first_and_pages => audit::filters_newest_first_and_pages,
            audit_counts_per_bucket => audit::counts_per_bucket,
            outbox_one_event_per_committed_write => outbox::one_event_per_committed_write,
            outbox_nothing_for_failed_writes => outbox::nothing_for_failed_writes,
            outbox_master_events_hold_the_stored_object => outbox::master_events_hold_the_stored_object,
            outbox_mark_sent_and_prune => relaying::mark_sent_and_prune,
            outbox_claims_lease_and_release => relaying::claims_lease_and_release,
            outbox_set_aside_and_requeue => relaying::set_aside_and_requeue,
            outbox_wait_for_new_wakes_on_commit => relaying::wait_for_new_wakes_on_commit,
            audit_dead_letters_are_kept => audit::dead_letters_are_kept,
            audit_chain_links_every_record => audit_chain::every_record_is_linked_per_tenant,
            audit_chain_concurrent_consumers_make_one => audit_chain::concurrent_consumers_make_one_chain,
            audit_chain_checkpoints_kept_in_turn => audit_chain::checkpoints_are_kept_in_turn,
            audit_archive_keeps_the_evidence => archive::archive_keeps_the_evidence,
            audit_archive_forged_anchor_deletes_nothing => archive::a_forged_anchor_deletes_nothing,
            concurrent_updates_one_wins => concurrency::one_of_concurrent_updates_wins,
            concurrent_creates_all_commit => concurrency::concurrent_creates_all_commit,
            tenants_keep_their_own_master_data => tenants::master_data_stays_in_its_tenant,
            tenants_keep_their_own_users_and_promotions => tenants::users_and_promotions_stay_in_their_tenant,
            tenants_keep_their_own_audit_trail => tenants::audit_trail_stays_in_its_tenant,
            tenants_a_write_and_its_event_share_one_tenant => tenants::a_write_and_its_event_share_one_tenant,
            tenants_purge_removes_one_tenant_only => purge::purge_removes_one_tenant_only,
        );
    };
    // The cases of the master data (customers, products, their links and their outbox), for
    // a store that holds only those (ArangoDB).
    (master_data: $make:expr) => {
        $crate::conformance_tests!(@cases $make;
            customers_create_get_update_delete => master::customers_crud,
            customers_duplicate_id => master::customers_duplicate_id,
            customers_every_filter_and_pagination => master::customers_filters_and_pages,
            customers_stale_version_and_not_found => master::customers_stale_and_missing,
            products_create_get_update_delete => master::products_crud,
            products_duplicate_id => master::products_duplicate_id,
            products_every_filter_and_pagination => master::products_filters_and_pages,
            products_stale_version_and_not_found => master::products_stale_and_missing,
            customers_hierarchy_links => hierarchy::customer_links,
            products_hierarchy_links => hierarchy::product_links,
            tenants_keep_their_own_master_data => tenants::master_data_stays_in_its_tenant,
            tenants_purge_removes_one_tenant_only => purge::purge_removes_one_tenant_only,
        );
    };
    (@cases $make:expr; $($name:ident => $($path:ident)::+),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(store) = ($make)(stringify!($name)).await else {
                    return;
                };
                $crate::conformance::$($path)::+(&store.repos).await;
                store.finish().await;
            }
        )*
    };
}

/// Midnight UTC on 1 January of `year`.
pub fn year(year: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0).unwrap()
}

/// A validity period from 1 January of `from` to 1 January of `thru`.
pub fn period(from: i32, thru: i32) -> ValidityPeriod {
    ValidityPeriod::new(year(from), year(thru)).unwrap()
}

/// Valid text (panics on invalid, which would be a bug in the suite).
pub fn text(s: &str) -> Text {
    Text::parse("text", s, 1000).unwrap()
}

/// The tenant the cases write to: `default`, where a single-tenant deployment keeps everything.
/// The isolation cases write to others besides.
pub fn tenant() -> TenantId {
    TenantId::default_tenant()
}

/// The event for a write of a `T`.
pub fn event<T: Auditable>(action: ActionType) -> PendingEvent {
    PendingEvent::new::<T>(action, &Actor::admin(tenant(), ACTOR), now())
}

/// How many events wait in the outbox.
pub async fn pending_events(repos: &Repositories) -> usize {
    repos.outbox.pending(100_000).await.unwrap().len()
}

/// Walks a list page by page with `limit` rows a page, checking that only the last page lacks a
/// cursor; returns the pages.
pub async fn walk<T, F, Fut>(limit: u32, mut fetch: F) -> Vec<Vec<T>>
where
    F: FnMut(PageSpec) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let mut pages = Vec::new();
    let mut req = PageRequest::first(limit);
    loop {
        let spec = PageSpec::parse(&req).unwrap();
        let page = fetch(spec).await.unwrap();
        assert!(
            page.items.len() <= limit as usize,
            "page larger than its limit"
        );
        let next = req.after(&page);
        let is_last = next.is_none();
        if !is_last {
            assert_eq!(
                page.items.len(),
                limit as usize,
                "a page before the last is full"
            );
        }
        pages.push(page.items);
        match next {
            Some(n) => req = n,
            None => break,
        }
        assert!(pages.len() < 1000, "pagination does not end");
    }
    pages
}
