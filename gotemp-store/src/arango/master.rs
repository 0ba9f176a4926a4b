//! Customers and products as ArangoDB documents, their links as edges: the generic operations
//! `repositories.rs` implements both repository traits with.

use super::{ArangoStore, EDGES, aql};
use chrono::{DateTime, Utc};
use gotemp_core::entities::*;
use gotemp_core::event::{Auditable, PendingEvent};
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::values::TenantId;
use gotemp_core::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn instant(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// The document key of `id` in `tenant`: the id itself for the tenant `default` (the keys of
/// before tenants), `<tenant>:<id>` for any other. Neither tenant keys nor ids hold a `:`, so
/// keys of different tenants never meet, and the collection's own unique key keeps ids unique
/// per tenant.
pub(super) fn doc_key(tenant: &TenantId, id: &str) -> String {
    if tenant.is_default() {
        id.to_owned()
    } else {
        format!("{tenant}:{id}")
    }
}

/// Whether `id` can be an object's id here: none holds a `:`, which would name another tenant's
/// document key. The services refuse such ids before they reach a store; this is the store's
/// own lock on the door.
fn is_id(id: &str) -> bool {
    !id.contains(':')
}

/// The id a document key stands for ([`doc_key`] undone).
fn id_of(key: &str) -> &str {
    key.split_once(':').map_or(key, |(_, id)| id)
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| Error::internal_from(format!("stored {what}: {e}"), e))
}

/// A customer or product as stored: the shared fields, and the product's level.
#[derive(Serialize, Deserialize)]
pub(super) struct VertexDoc {
    #[serde(rename = "_key")]
    key: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hierarchy_level: Option<String>,
    valid_from: i64,
    valid_thru: i64,
    extra_fields: ExtraFields,
    created_at: i64,
    updated_at: i64,
    modified_by: i64,
    version: i64,
}

/// An edge as stored; the relation is the collection it lives in.
#[derive(Deserialize)]
struct EdgeDoc {
    #[serde(rename = "_from")]
    from: String,
    #[serde(rename = "_to")]
    to: String,
    kind: Option<String>,
    valid_from: i64,
    valid_thru: i64,
    created_at: i64,
    modified_by: i64,
}

/// What differs between customers and products in ArangoDB.
pub(super) trait Vertex: Auditable + Sized + Send {
    const COLLECTION: &'static str;
    fn from_doc(d: VertexDoc) -> Self;
}

impl Vertex for Customer {
    const COLLECTION: &'static str = "customers";
    fn from_doc(d: VertexDoc) -> Self {
        Customer {
            id: id_of(&d.key).to_owned(),
            name: d.name,
            valid_from: instant(d.valid_from),
            valid_thru: instant(d.valid_thru),
            extra_fields: d.extra_fields,
            created_at: instant(d.created_at),
            updated_at: instant(d.updated_at),
            modified_by: d.modified_by,
            version: d.version,
        }
    }
}

impl Vertex for Product {
    const COLLECTION: &'static str = "products";
    fn from_doc(d: VertexDoc) -> Self {
        Product {
            id: id_of(&d.key).to_owned(),
            name: d.name,
            // Documents written before the level was required have none.
            hierarchy_level: d
                .hierarchy_level
                .unwrap_or_else(|| gotemp_core::entities::LEVEL_UNSET.into()),
            valid_from: instant(d.valid_from),
            valid_thru: instant(d.valid_thru),
            extra_fields: d.extra_fields,
            created_at: instant(d.created_at),
            updated_at: instant(d.updated_at),
            modified_by: d.modified_by,
            version: d.version,
        }
    }
}

fn vertex<V: Vertex>(v: Value) -> Result<V> {
    decode::<VertexDoc>(V::COLLECTION, v).map(V::from_doc)
}

fn edge(relation: Relation, v: Value) -> Result<Link> {
    let d: EdgeDoc = decode("link", v)?;
    let key = |id: &str| id_of(id.split_once('/').map_or(id, |(_, k)| k)).to_owned();
    Ok(Link {
        from: key(&d.from),
        to: key(&d.to),
        relation,
        kind: d.kind,
        valid_from: instant(d.valid_from),
        valid_thru: instant(d.valid_thru),
        created_at: instant(d.created_at),
        modified_by: d.modified_by,
    })
}

/// The changeable fields of a vertex (the same on create and update); the kind's own fields
/// (`own`) are written as null when absent, so an update clears them.
pub(super) fn fields<E: MasterEntity>(
    draft: &MasterDraft<E>,
    event: &PendingEvent,
) -> serde_json::Map<String, Value> {
    let (name, validity, extra) = (draft.name.as_str(), &draft.validity, &draft.extra_fields);
    let mut m = json!({
        "name": name,
        "valid_from": micros(validity.valid_from()),
        "valid_thru": micros(validity.valid_thru()),
        "extra_fields": extra,
        "updated_at": micros(event.occurred_at),
        "modified_by": event.performed_by,
    });
    for (attribute, value) in E::stored_extras(&draft.extras) {
        m[attribute] = json!(value);
    }
    match m {
        Value::Object(m) => m,
        _ => unreachable!("a JSON object literal"),
    }
}

impl ArangoStore {
    pub(super) async fn get_vertex<V: Vertex>(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<V>> {
        if !is_id(id) {
            return Ok(None);
        }
        let rows: Vec<Value> = self
            .run(aql::get(V::COLLECTION, &doc_key(tenant, id)))
            .await?;
        rows.into_iter().next().map(vertex).transpose()
    }

    pub(super) async fn list_vertices<V: Vertex + MasterEntity>(
        &self,
        tenant: &TenantId,
        filter: &V::Filter,
        page: &PageSpec,
    ) -> Result<Page<V>> {
        // An id filter and the page's position are ids: the documents' keys are the tenant's.
        let keyed: Vec<(&str, Option<String>)> = (V::text_filters(filter).into_iter())
            .map(|(field, value)| match field {
                "id" => (field, value.map(|id| doc_key(tenant, id))),
                _ => (field, value.map(str::to_owned)),
            })
            .collect();
        let filters: Vec<(&str, Option<&str>)> =
            keyed.iter().map(|(f, v)| (*f, v.as_deref())).collect();
        let after = page.after_key()?.map(|id| doc_key(tenant, id));
        let q = aql::list(
            V::COLLECTION,
            tenant.as_str(),
            &filters,
            V::valid_on(filter).map(micros),
            after.as_deref(),
            page.fetch_limit(),
        );
        let rows: Vec<Value> = self.run(q).await?;
        let items = rows.into_iter().map(vertex).collect::<Result<Vec<V>>>()?;
        Ok(page.into_page(items, |v: &V| Cursor::Key(v.id().to_owned())))
    }

    pub(super) async fn create_vertex<V: Vertex>(
        &self,
        (tenant, id): (&TenantId, &str),
        mut doc: serde_json::Map<String, Value>,
        event: PendingEvent,
    ) -> Result<V> {
        doc.insert("_key".into(), json!(doc_key(tenant, id)));
        doc.insert("tenant_id".into(), json!(tenant.as_str()));
        doc.insert("created_at".into(), json!(micros(event.occurred_at)));
        doc.insert("version".into(), json!(1));
        let q = aql::insert(V::COLLECTION, Value::Object(doc));
        let created = self.write(&[V::COLLECTION], q, vertex, event).await?;
        created.ok_or_else(|| Error::internal("an insert returned nothing"))
    }

    pub(super) async fn update_vertex<V: Vertex>(
        &self,
        (tenant, id): (&TenantId, &str),
        doc: serde_json::Map<String, Value>,
        expected: i64,
        event: PendingEvent,
    ) -> Result<V> {
        if !is_id(id) {
            return Err(Error::not_found(V::OBJECT_NAME, id));
        }
        let key = doc_key(tenant, id);
        let q = aql::update(V::COLLECTION, &key, expected, Value::Object(doc));
        match self.write(&[V::COLLECTION], q, vertex, event).await? {
            Some(v) => Ok(v),
            None => Err(self.missing_or_stale::<V>(&key, id, expected).await),
        }
    }

    pub(super) async fn delete_vertex<V: Vertex>(
        &self,
        (tenant, id): (&TenantId, &str),
        expected: i64,
        event: PendingEvent,
    ) -> Result<V> {
        if !is_id(id) {
            return Err(Error::not_found(V::OBJECT_NAME, id));
        }
        let key = doc_key(tenant, id);
        let q = aql::remove(V::COLLECTION, &key, expected, &EDGES);
        let mut collections = vec![V::COLLECTION];
        collections.extend(EDGES);
        match self.write(&collections, q, vertex, event).await? {
            Some(v) => Ok(v),
            None => Err(self.missing_or_stale::<V>(&key, id, expected).await),
        }
    }

    /// After a guarded write of the document `key` (object `id`) matched nothing: gone, or
    /// changed in between.
    async fn missing_or_stale<V: Vertex>(&self, key: &str, id: &str, expected: i64) -> Error {
        match self.run::<Value>(aql::version(V::COLLECTION, key)).await {
            Ok(found) if found.is_empty() => Error::not_found(V::OBJECT_NAME, id),
            Ok(_) => Error::stale_version(V::OBJECT_NAME, id, expected),
            Err(e) => e,
        }
    }

    pub(super) async fn link_vertices<V: Vertex, A>(
        &self,
        tenant: &TenantId,
        draft: &LinkDraft,
        event: PendingEvent,
    ) -> Result<Link>
    where
        A: Auditable + From<Link> + Into<Link>,
    {
        let relation = draft.relation;
        let c = V::COLLECTION;
        let doc = json!({
            "_from": format!("{c}/{}", doc_key(tenant, draft.from.as_str())),
            "_to": format!("{c}/{}", doc_key(tenant, draft.to.as_str())),
            "tenant_id": tenant.as_str(),
            "kind": draft.kind.as_ref().map(|k| k.as_str()),
            "valid_from": micros(draft.validity.valid_from()),
            "valid_thru": micros(draft.validity.valid_thru()),
            "created_at": micros(event.occurred_at),
            "modified_by": event.performed_by,
        });
        let q = aql::insert(relation.as_str(), doc);
        let parse = |v| edge(relation, v).map(A::from);
        let stored = self.write(&[relation.as_str()], q, parse, event).await?;
        stored
            .map(Into::into)
            .ok_or_else(|| Error::internal("an insert returned nothing"))
    }

    pub(super) async fn unlink_vertices<V: Vertex, A>(
        &self,
        tenant: &TenantId,
        (from, relation, to): (&str, Relation, &str),
        event: PendingEvent,
    ) -> Result<Link>
    where
        A: Auditable + From<Link> + Into<Link>,
    {
        let c = V::COLLECTION;
        if !is_id(from) || !is_id(to) {
            let link = format!("{from} {} {to}", relation.as_str());
            return Err(Error::not_found("link", link));
        }
        let q = aql::unlink(
            relation.as_str(),
            &format!("{c}/{}", doc_key(tenant, from)),
            &format!("{c}/{}", doc_key(tenant, to)),
        );
        let parse = |v| edge(relation, v).map(A::from);
        match self.write(&[relation.as_str()], q, parse, event).await? {
            Some(link) => Ok(link.into()),
            None => Err(Error::not_found(
                "link",
                format!("{from} {} {to}", relation.as_str()),
            )),
        }
    }

    pub(super) async fn related_vertices<V: Vertex>(
        &self,
        tenant: &TenantId,
        id: &str,
        query: &LinkQuery,
    ) -> Result<Vec<Related<V>>> {
        if !is_id(id) {
            return Ok(Vec::new());
        }
        let start = format!("{}/{}", V::COLLECTION, doc_key(tenant, id));
        let q = aql::related(
            query.relation.as_str(),
            tenant.as_str(),
            &start,
            query,
            i64::from(RELATED_MAX),
        );
        let rows: Vec<Value> = self.run(q).await?;
        rows.into_iter()
            .map(|mut row| {
                Ok(Related {
                    link: edge(query.relation, row["link"].take())?,
                    object: vertex(row["object"].take())?,
                })
            })
            .collect()
    }
}
