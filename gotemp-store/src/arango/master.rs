//! Customers and products as ArangoDB documents, their links as edges: the generic operations
//! `repositories.rs` implements both repository traits with.

use super::{ArangoStore, EDGES, aql};
use chrono::{DateTime, Utc};
use gotemp_core::entities::*;
use gotemp_core::event::{Auditable, PendingEvent};
use gotemp_core::page::{Cursor, Page, PageSpec};
use gotemp_core::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn instant(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
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
            id: d.key,
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
            id: d.key,
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
    let key = |id: &str| id.split_once('/').map_or(id, |(_, k)| k).to_owned();
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
    pub(super) async fn get_vertex<V: Vertex>(&self, key: &str) -> Result<Option<V>> {
        let rows: Vec<Value> = self.run(aql::get(V::COLLECTION, key)).await?;
        rows.into_iter().next().map(vertex).transpose()
    }

    pub(super) async fn list_vertices<V: Vertex + MasterEntity>(
        &self,
        filter: &V::Filter,
        page: &PageSpec,
    ) -> Result<Page<V>> {
        let q = aql::list(
            V::COLLECTION,
            &V::text_filters(filter),
            V::valid_on(filter).map(micros),
            page.after_key()?,
            page.fetch_limit(),
        );
        let rows: Vec<Value> = self.run(q).await?;
        let items = rows.into_iter().map(vertex).collect::<Result<Vec<V>>>()?;
        Ok(page.into_page(items, |v: &V| Cursor::Key(v.id().to_owned())))
    }

    pub(super) async fn create_vertex<V: Vertex>(
        &self,
        key: &str,
        mut doc: serde_json::Map<String, Value>,
        event: PendingEvent,
    ) -> Result<V> {
        doc.insert("_key".into(), json!(key));
        doc.insert("created_at".into(), json!(micros(event.occurred_at)));
        doc.insert("version".into(), json!(1));
        let q = aql::insert(V::COLLECTION, Value::Object(doc));
        let created = self.write(&[V::COLLECTION], q, vertex, event).await?;
        created.ok_or_else(|| Error::internal("an insert returned nothing"))
    }

    pub(super) async fn update_vertex<V: Vertex>(
        &self,
        key: &str,
        doc: serde_json::Map<String, Value>,
        expected: i64,
        event: PendingEvent,
    ) -> Result<V> {
        let q = aql::update(V::COLLECTION, key, expected, Value::Object(doc));
        match self.write(&[V::COLLECTION], q, vertex, event).await? {
            Some(v) => Ok(v),
            None => Err(self.missing_or_stale::<V>(key, expected).await),
        }
    }

    pub(super) async fn delete_vertex<V: Vertex>(
        &self,
        key: &str,
        expected: i64,
        event: PendingEvent,
    ) -> Result<V> {
        let q = aql::remove(V::COLLECTION, key, expected, &EDGES);
        let mut collections = vec![V::COLLECTION];
        collections.extend(EDGES);
        match self.write(&collections, q, vertex, event).await? {
            Some(v) => Ok(v),
            None => Err(self.missing_or_stale::<V>(key, expected).await),
        }
    }

    /// After a guarded write matched nothing: gone, or changed in between.
    async fn missing_or_stale<V: Vertex>(&self, key: &str, expected: i64) -> Error {
        match self.run::<Value>(aql::version(V::COLLECTION, key)).await {
            Ok(found) if found.is_empty() => Error::not_found(V::OBJECT_NAME, key),
            Ok(_) => Error::stale_version(V::OBJECT_NAME, key, expected),
            Err(e) => e,
        }
    }

    pub(super) async fn link_vertices<V: Vertex, A>(
        &self,
        draft: &LinkDraft,
        event: PendingEvent,
    ) -> Result<Link>
    where
        A: Auditable + From<Link> + Into<Link>,
    {
        let relation = draft.relation;
        let c = V::COLLECTION;
        let doc = json!({
            "_from": format!("{c}/{}", draft.from.as_str()),
            "_to": format!("{c}/{}", draft.to.as_str()),
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
        (from, relation, to): (&str, Relation, &str),
        event: PendingEvent,
    ) -> Result<Link>
    where
        A: Auditable + From<Link> + Into<Link>,
    {
        let c = V::COLLECTION;
        let q = aql::unlink(
            relation.as_str(),
            &format!("{c}/{from}"),
            &format!("{c}/{to}"),
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
        id: &str,
        query: &LinkQuery,
    ) -> Result<Vec<Related<V>>> {
        let start = format!("{}/{id}", V::COLLECTION);
        let q = aql::related(
            query.relation.as_str(),
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
