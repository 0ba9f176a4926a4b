//! The AQL the ArangoDB adapter runs, built as text plus bind parameters. Values are always bind
//! parameters (`@p0`, `@@edges`); only names this module chooses (collections, attributes) are
//! ever part of the text. Pure functions, so the queries are checked by unit tests without a
//! server.

use gotemp_core::entities::{Direction, LinkQuery};
use serde_json::{Map, Value, json};

mod tenants;
pub use tenants::{adopt_into_default, purge};

/// A query and its bind parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Aql {
    /// The text.
    pub query: String,
    /// Values for `@name` (and collections for `@@name`).
    pub bind: Map<String, Value>,
}

impl Aql {
    fn new(query: impl Into<String>) -> Self {
        Self {
            query: query.into(),
            bind: Map::new(),
        }
    }

    /// Binds a value under a fresh name and returns `@name` for the text.
    fn value(&mut self, v: impl Into<Value>) -> String {
        // Collection parameters (`@edges`) are not counted: values are p0, p1, … in order.
        let values = self.bind.keys().filter(|k| !k.starts_with('@')).count();
        let name = format!("p{values}");
        self.bind.insert(name.clone(), v.into());
        format!("@{name}")
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.query.push_str(text);
        self
    }

    fn filter_eq(&mut self, attribute: &str, v: impl Into<Value>) {
        let p = self.value(v);
        self.query
            .push_str(&format!(" FILTER d.{attribute} == {p}"));
    }
}

/// One page of the documents of `tenant` in `collection`: every filter given (`(field, value)`,
/// field names from the entity, never from a client; `id` filters and the page's `after` are
/// document keys already, [`super::master::doc_key`]), by key. Times are integer microseconds,
/// as stored.
pub fn list(
    collection: &str,
    tenant: &str,
    filters: &[(&str, Option<&str>)],
    valid_on: Option<i64>,
    after: Option<&str>,
    limit: i64,
) -> Aql {
    let mut q = Aql::new(format!("FOR d IN {collection}"));
    q.filter_eq("tenant_id", tenant);
    for (field, value) in filters {
        if let Some(value) = value {
            let attribute = if *field == "id" { "_key" } else { field };
            q.filter_eq(attribute, *value);
        }
    }
    if let Some(at) = valid_on {
        let p = q.value(at);
        q.push(&format!(
            " FILTER d.valid_from <= {p} AND d.valid_thru >= {p}"
        ));
    }
    if let Some(after) = after {
        let p = q.value(after);
        q.push(&format!(" FILTER d._key > {p}"));
    }
    let p = q.value(limit);
    q.push(&format!(" SORT d._key LIMIT {p} RETURN d"));
    q
}

/// The document with key `key`, or nothing.
pub fn get(collection: &str, key: &str) -> Aql {
    let mut q = Aql::new(format!("FOR d IN {collection}"));
    q.filter_eq("_key", key);
    q.push(" LIMIT 1 RETURN d");
    q
}

/// Inserts a document; a taken key fails with a unique-constraint error.
pub fn insert(collection: &str, document: Value) -> Aql {
    let mut q = Aql::new("INSERT ");
    let p = q.value(document);
    q.push(&format!("{p} INTO {collection} RETURN NEW"));
    q
}

/// Replaces the changeable attributes of `key` if its version is still `expected`, bumping
/// the version; returns nothing when the key is missing or the version stale.
pub fn update(collection: &str, key: &str, expected: i64, changes: Value) -> Aql {
    let mut q = Aql::new(format!("FOR d IN {collection}"));
    q.filter_eq("_key", key);
    q.filter_eq("version", expected);
    let p = q.value(changes);
    q.push(&format!(
        " UPDATE d WITH MERGE({p}, {{version: d.version + 1}}) IN {collection} OPTIONS {{mergeObjects: false}} RETURN NEW"
    ));
    q
}

/// Removes `key` if its version is still `expected`, with every link that touches it.
pub fn remove(collection: &str, key: &str, expected: i64, edges: &[&str]) -> Aql {
    let mut q = Aql::new("");
    let vertex = q.value(format!("{collection}/{key}"));
    for (i, e) in edges.iter().enumerate() {
        q.push(&format!(
            "LET gone{i} = (FOR e IN {e} FILTER e._from == {vertex} OR e._to == {vertex} REMOVE e IN {e}) "
        ));
    }
    q.push(&format!("FOR d IN {collection}"));
    q.filter_eq("_key", key);
    q.filter_eq("version", expected);
    q.push(&format!(" REMOVE d IN {collection} RETURN OLD"));
    q
}

/// The version stored for `key`, to tell a stale version from a missing document.
pub fn version(collection: &str, key: &str) -> Aql {
    let mut q = get(collection, key);
    q.query = q.query.replace("RETURN d", "RETURN d.version");
    q
}

/// The neighbours of `start` (`customers/ducksrus`) along one edge collection, with the edge,
/// ordered by key; only edges valid on `query.valid_on` when given.
pub fn related(edges: &str, tenant: &str, start: &str, query: &LinkQuery, limit: i64) -> Aql {
    let direction = match query.direction {
        Direction::Outgoing => "OUTBOUND",
        Direction::Incoming => "INBOUND",
    };
    let mut q = Aql::new("FOR v, e IN 1..1 ");
    let s = q.value(start);
    q.bind.insert("@edges".into(), json!(edges));
    q.push(&format!("{direction} {s} @@edges"));
    let t = q.value(tenant);
    q.push(&format!(
        " FILTER v.tenant_id == {t} AND e.tenant_id == {t}"
    ));
    if let Some(at) = query.valid_on {
        let p = q.value(at.timestamp_micros());
        q.push(&format!(
            " FILTER e.valid_from <= {p} AND e.valid_thru >= {p}"
        ));
    }
    let p = q.value(limit);
    q.push(&format!(
        " SORT v._key LIMIT {p} RETURN {{object: v, link: e}}"
    ));
    q
}

/// Removes the edge `from → to` of one edge collection; returns it.
pub fn unlink(edges: &str, from: &str, to: &str) -> Aql {
    let mut q = Aql::new(format!("FOR d IN {edges}"));
    q.filter_eq("_from", from);
    q.filter_eq("_to", to);
    q.push(&format!(" REMOVE d IN {edges} RETURN OLD"));
    q
}

/// Claims up to `limit` unsent outbox events whose lease ran out, oldest first.
pub fn claim(now: i64, until: i64, limit: i64) -> Aql {
    let mut q = Aql::new("FOR d IN outbox FILTER d.sent == false");
    let n = q.value(now);
    q.push(&format!(
        " FILTER d.claimed_until == null OR d.claimed_until < {n}"
    ));
    let l = q.value(limit);
    let u = q.value(until);
    q.push(&format!(
        " SORT d._key LIMIT {l} UPDATE d WITH {{claimed_until: {u}}} IN outbox RETURN NEW"
    ));
    q
}

/// Unsent outbox events, oldest first, without claiming them.
pub fn pending(limit: i64) -> Aql {
    let mut q = Aql::new("FOR d IN outbox FILTER d.sent == false SORT d._key LIMIT ");
    let l = q.value(limit);
    q.push(&format!("{l} RETURN d"));
    q
}

/// Sets attributes on the outbox events with these keys.
pub fn outbox_set(keys: &[String], changes: Value) -> Aql {
    let mut q = Aql::new("FOR k IN ");
    let k = q.value(keys.to_vec());
    let c = q.value(changes);
    q.push(&format!(
        "{k} UPDATE {{_key: k}} WITH {c} IN outbox OPTIONS {{ignoreErrors: true}}"
    ));
    q
}

/// Removes events sent before `before`; returns how many.
pub fn prune(before: i64) -> Aql {
    let mut q = Aql::new("FOR d IN outbox FILTER d.sent == true");
    let b = q.value(before);
    q.push(&format!(
        " FILTER d.sent_at < {b} REMOVE d IN outbox COLLECT WITH COUNT INTO n RETURN n"
    ));
    q
}

/// How many events are not sent yet.
pub fn backlog() -> Aql {
    Aql::new("RETURN LENGTH(FOR d IN outbox FILTER d.sent == false RETURN 1)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use gotemp_core::entities::Relation;

    fn bind(q: &Aql) -> Value {
        Value::Object(q.bind.clone())
    }

    #[test]
    fn a_list_with_every_filter_binds_every_value() {
        let filters = [("id", Some("ducks")), ("name", Some("Ducks R Us"))];
        let q = list("customers", "default", &filters, Some(5), Some("a"), 51);
        assert_eq!(
            q.query,
            "FOR d IN customers FILTER d.tenant_id == @p0 FILTER d._key == @p1 \
             FILTER d.name == @p2 FILTER d.valid_from <= @p3 AND d.valid_thru >= @p3 \
             FILTER d._key > @p4 SORT d._key LIMIT @p5 RETURN d"
        );
        assert_eq!(
            bind(&q),
            json!({"p0": "default", "p1": "ducks", "p2": "Ducks R Us", "p3": 5, "p4": "a", "p5": 51})
        );
    }

    #[test]
    fn a_list_without_filters_pages_by_key() {
        let q = list(
            "products",
            "geese",
            &[("id", None), ("name", None)],
            None,
            None,
            3,
        );
        assert_eq!(
            q.query,
            "FOR d IN products FILTER d.tenant_id == @p0 SORT d._key LIMIT @p1 RETURN d"
        );
        assert_eq!(bind(&q), json!({"p0": "geese", "p1": 3}));
    }

    #[test]
    fn a_kind_s_own_filter_is_an_attribute_of_the_document() {
        let q = list(
            "products",
            "default",
            &[("hierarchy_level", Some("sku"))],
            None,
            None,
            3,
        );
        assert_eq!(
            q.query,
            "FOR d IN products FILTER d.tenant_id == @p0 FILTER d.hierarchy_level == @p1 \
             SORT d._key LIMIT @p2 RETURN d"
        );
        assert_eq!(bind(&q), json!({"p0": "default", "p1": "sku", "p2": 3}));
    }

    #[test]
    fn text_that_looks_like_aql_stays_a_value() {
        let hostile = "x\" || true || \"";
        let q = list(
            "customers",
            "default",
            &[("name", Some(hostile))],
            None,
            None,
            1,
        );
        assert!(!q.query.contains(hostile));
        assert_eq!(q.bind["p1"], json!(hostile));
    }

    #[test]
    fn an_update_is_guarded_by_the_version_and_bumps_it() {
        let q = update("customers", "ducksrus", 3, json!({"name": "New"}));
        assert_eq!(
            q.query,
            "FOR d IN customers FILTER d._key == @p0 FILTER d.version == @p1 \
             UPDATE d WITH MERGE(@p2, {version: d.version + 1}) IN customers \
             OPTIONS {mergeObjects: false} RETURN NEW"
        );
        assert_eq!(
            bind(&q),
            json!({"p0": "ducksrus", "p1": 3, "p2": {"name": "New"}})
        );
    }

    #[test]
    fn a_remove_takes_the_links_along_in_the_same_query() {
        let q = remove("products", "tele", 2, &["is_parent_of", "is_component_of"]);
        assert_eq!(
            q.query,
            "LET gone0 = (FOR e IN is_parent_of FILTER e._from == @p0 OR e._to == @p0 REMOVE e IN is_parent_of) \
             LET gone1 = (FOR e IN is_component_of FILTER e._from == @p0 OR e._to == @p0 REMOVE e IN is_component_of) \
             FOR d IN products FILTER d._key == @p1 FILTER d.version == @p2 REMOVE d IN products RETURN OLD"
        );
        assert_eq!(
            bind(&q),
            json!({"p0": "products/tele", "p1": "tele", "p2": 2})
        );
    }

    #[test]
    fn neighbours_follow_the_edge_collection_as_a_collection_parameter() {
        let query = LinkQuery {
            relation: Relation::IsComponentOf,
            direction: Direction::Incoming,
            valid_on: Some(Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()),
        };
        let q = related(
            "is_component_of",
            "ducks",
            "products/ducks:switch",
            &query,
            1000,
        );
        assert_eq!(
            q.query,
            "FOR v, e IN 1..1 INBOUND @p0 @@edges FILTER v.tenant_id == @p1 AND e.tenant_id == @p1 \
             FILTER e.valid_from <= @p2 AND e.valid_thru >= @p2 \
             SORT v._key LIMIT @p3 RETURN {object: v, link: e}"
        );
        assert_eq!(
            bind(&q),
            json!({"p0": "products/ducks:switch", "@edges": "is_component_of", "p1": "ducks", "p2": 1_577_836_800_000_000_i64, "p3": 1000})
        );
    }

    #[test]
    fn outbox_claims_skip_live_leases_and_keep_the_order() {
        let q = claim(10, 20, 100);
        assert_eq!(
            q.query,
            "FOR d IN outbox FILTER d.sent == false FILTER d.claimed_until == null OR d.claimed_until < @p0 \
             SORT d._key LIMIT @p1 UPDATE d WITH {claimed_until: @p2} IN outbox RETURN NEW"
        );
        assert_eq!(bind(&q), json!({"p0": 10, "p1": 100, "p2": 20}));
        let q = outbox_set(&["0000000000000001".into()], json!({"sent": true}));
        assert_eq!(
            q.query,
            "FOR k IN @p0 UPDATE {_key: k} WITH @p1 IN outbox OPTIONS {ignoreErrors: true}"
        );
        let q = prune(5);
        assert!(q.query.ends_with("COLLECT WITH COUNT INTO n RETURN n"));
    }

    #[test]
    fn unlink_and_version_queries() {
        let q = unlink("is_parent_of", "customers/a", "customers/b");
        assert_eq!(
            q.query,
            "FOR d IN is_parent_of FILTER d._from == @p0 FILTER d._to == @p1 REMOVE d IN is_parent_of RETURN OLD"
        );
        let q = version("customers", "a");
        assert_eq!(
            q.query,
            "FOR d IN customers FILTER d._key == @p0 LIMIT 1 RETURN d.version"
        );
    }
}
