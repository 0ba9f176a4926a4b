//! The repository trait of master data over the generic document and edge operations of
//! `master.rs`, once for every kind.

use super::ArangoStore;
use super::master::{Vertex, fields};
use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::entities::*;
use gotemp_core::event::PendingEvent;
use gotemp_core::page::{Page, PageSpec};
use gotemp_core::ports::MasterRepository;
use gotemp_core::values::TenantId;

#[async_trait]
impl<E: MasterEntity + Vertex> MasterRepository<E> for ArangoStore {
    async fn get(&self, tenant: &TenantId, id: &str) -> Result<Option<E>> {
        self.get_vertex(tenant, id).await
    }

    async fn list(
        &self,
        tenant: &TenantId,
        filter: &E::Filter,
        page: &PageSpec,
    ) -> Result<Page<E>> {
        self.list_vertices(tenant, filter, page).await
    }

    async fn create(
        &self,
        tenant: &TenantId,
        draft: &MasterDraft<E>,
        event: PendingEvent,
    ) -> Result<E> {
        event.check_tenant(tenant)?;
        let doc = fields(draft, &event);
        (self.create_vertex((tenant, draft.id.as_str()), doc, event)).await
    }

    async fn update(
        &self,
        tenant: &TenantId,
        draft: &MasterDraft<E>,
        current: &E,
        event: PendingEvent,
    ) -> Result<E> {
        event.check_tenant(tenant)?;
        let doc = fields(draft, &event);
        let id = (tenant, draft.id.as_str());
        self.update_vertex(id, doc, current.version(), event).await
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        expected: i64,
        event: PendingEvent,
    ) -> Result<E> {
        event.check_tenant(tenant)?;
        self.delete_vertex((tenant, id), expected, event).await
    }

    async fn link(
        &self,
        tenant: &TenantId,
        draft: &LinkDraft,
        event: PendingEvent,
    ) -> Result<Link> {
        event.check_tenant(tenant)?;
        (self.link_vertices::<E, E::Link>(tenant, draft, event)).await
    }

    async fn unlink(
        &self,
        tenant: &TenantId,
        from: &str,
        relation: Relation,
        to: &str,
        event: PendingEvent,
    ) -> Result<Link> {
        event.check_tenant(tenant)?;
        let link = (from, relation, to);
        (self.unlink_vertices::<E, E::Link>(tenant, link, event)).await
    }

    async fn related(
        &self,
        tenant: &TenantId,
        id: &str,
        query: &LinkQuery,
    ) -> Result<Vec<Related<E>>> {
        self.related_vertices(tenant, id, query).await
    }
}

/// Links first, then their ends (ArangoDB has no transaction across these queries; a purge cut
/// short is finished by running it again). The outbox keeps what it holds: the events of
/// changes already made are still relayed.
#[async_trait::async_trait]
impl gotemp_core::ports::TenantPurge for ArangoStore {
    async fn purge_tenant(
        &self,
        tenant: &gotemp_core::values::TenantId,
    ) -> gotemp_core::Result<Vec<(String, u64)>> {
        let mut removed = Vec::new();
        for collection in super::EDGES.into_iter().chain(["customers", "products"]) {
            let counts: Vec<u64> = self
                .run(super::aql::purge(collection, tenant.as_str()))
                .await?;
            let n = counts.into_iter().sum();
            if n > 0 {
                removed.push((collection.to_owned(), n));
            }
        }
        Ok(removed)
    }
}
