//! The repository traits of customers and products over the generic document and edge
//! operations of `master.rs`; the two differ only in the product's hierarchy level.

use super::ArangoStore;
use super::master::fields;
use async_trait::async_trait;
use gotemp_core::Result;
use gotemp_core::entities::*;
use gotemp_core::event::PendingEvent;
use gotemp_core::page::{Page, PageSpec};
use gotemp_core::ports::{CustomerRepository, ProductRepository};
use serde_json::Value;

#[async_trait]
impl CustomerRepository for ArangoStore {
    async fn get(&self, id: &str) -> Result<Option<Customer>> {
        self.get_vertex(id).await
    }

    async fn list(&self, f: &CustomerFilter, page: &PageSpec) -> Result<Page<Customer>> {
        let (id, name) = (f.id.as_deref(), f.name.as_deref());
        self.list_vertices(id, name, f.valid_on, page).await
    }

    async fn create(&self, d: &CustomerDraft, event: PendingEvent) -> Result<Customer> {
        let doc = fields(d.name.as_str(), &d.validity, &d.extra_fields, None, &event);
        self.create_vertex(d.id.as_str(), doc, event).await
    }

    async fn update(
        &self,
        d: &CustomerDraft,
        expected: i64,
        event: PendingEvent,
    ) -> Result<Customer> {
        let doc = fields(d.name.as_str(), &d.validity, &d.extra_fields, None, &event);
        self.update_vertex(d.id.as_str(), doc, expected, event)
            .await
    }

    async fn delete(&self, id: &str, expected: i64, event: PendingEvent) -> Result<Customer> {
        self.delete_vertex(id, expected, event).await
    }

    async fn link(&self, draft: &LinkDraft, event: PendingEvent) -> Result<Link> {
        self.link_vertices::<Customer, CustomerLink>(draft, event)
            .await
    }

    async fn unlink(
        &self,
        from: &str,
        relation: Relation,
        to: &str,
        event: PendingEvent,
    ) -> Result<Link> {
        self.unlink_vertices::<Customer, CustomerLink>((from, relation, to), event)
            .await
    }

    async fn related(&self, id: &str, query: &LinkQuery) -> Result<Vec<Related<Customer>>> {
        self.related_vertices(id, query).await
    }
}

#[async_trait]
impl ProductRepository for ArangoStore {
    async fn get(&self, id: &str) -> Result<Option<Product>> {
        self.get_vertex(id).await
    }

    async fn list(&self, f: &ProductFilter, page: &PageSpec) -> Result<Page<Product>> {
        let (id, name) = (f.id.as_deref(), f.name.as_deref());
        self.list_vertices(id, name, f.valid_on, page).await
    }

    async fn create(&self, d: &ProductDraft, event: PendingEvent) -> Result<Product> {
        let level = d.hierarchy_level.as_ref().map(|l| l.as_str());
        let doc = fields(d.name.as_str(), &d.validity, &d.extra_fields, level, &event);
        self.create_vertex(d.id.as_str(), doc, event).await
    }

    async fn update(
        &self,
        d: &ProductDraft,
        expected: i64,
        event: PendingEvent,
    ) -> Result<Product> {
        let level = d.hierarchy_level.as_ref().map(|l| l.as_str());
        let mut doc = fields(d.name.as_str(), &d.validity, &d.extra_fields, level, &event);
        // A level cleared on update must be cleared in the document too.
        doc.entry("hierarchy_level").or_insert(Value::Null);
        self.update_vertex(d.id.as_str(), doc, expected, event)
            .await
    }

    async fn delete(&self, id: &str, expected: i64, event: PendingEvent) -> Result<Product> {
        self.delete_vertex(id, expected, event).await
    }

    async fn link(&self, draft: &LinkDraft, event: PendingEvent) -> Result<Link> {
        self.link_vertices::<Product, ProductLink>(draft, event)
            .await
    }

    async fn unlink(
        &self,
        from: &str,
        relation: Relation,
        to: &str,
        event: PendingEvent,
    ) -> Result<Link> {
        self.unlink_vertices::<Product, ProductLink>((from, relation, to), event)
            .await
    }

    async fn related(&self, id: &str, query: &LinkQuery) -> Result<Vec<Related<Product>>> {
        self.related_vertices(id, query).await
    }
}
