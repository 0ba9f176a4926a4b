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

#[async_trait]
impl<E: MasterEntity + Vertex> MasterRepository<E> for ArangoStore {
    async fn get(&self, id: &str) -> Result<Option<E>> {
        self.get_vertex(id).await
    }

    async fn list(&self, filter: &E::Filter, page: &PageSpec) -> Result<Page<E>> {
        self.list_vertices(filter, page).await
    }

    async fn create(&self, draft: &MasterDraft<E>, event: PendingEvent) -> Result<E> {
        let doc = fields(draft, &event);
        self.create_vertex(draft.id.as_str(), doc, event).await
    }

    async fn update(&self, draft: &MasterDraft<E>, current: &E, event: PendingEvent) -> Result<E> {
        let doc = fields(draft, &event);
        self.update_vertex(draft.id.as_str(), doc, current.version(), event)
            .await
    }

    async fn delete(&self, id: &str, expected: i64, event: PendingEvent) -> Result<E> {
        self.delete_vertex(id, expected, event).await
    }

    async fn link(&self, draft: &LinkDraft, event: PendingEvent) -> Result<Link> {
        self.link_vertices::<E, E::Link>(draft, event).await
    }

    async fn unlink(
        &self,
        from: &str,
        relation: Relation,
        to: &str,
        event: PendingEvent,
    ) -> Result<Link> {
        let link = (from, relation, to);
        self.unlink_vertices::<E, E::Link>(link, event).await
    }

    async fn related(&self, id: &str, query: &LinkQuery) -> Result<Vec<Related<E>>> {
        self.related_vertices(id, query).await
    }
}
