//! ArangoDB for master data, as the original kept it: customers and products as documents, their
//! hierarchies as edges (`is_parent_of`, `is_component_of`), and an `outbox` collection that
//! every change writes its audit event to in the same stream transaction. Users, promotions and
//! the audit trail stay in a SQL store; the facade takes only [`MasterData`] from here.
//!
//! URL: `http://user:password@host:8529/database` (`https://` too); the database (default
//! `gotemp`) and the collections and indexes are created when missing. Times are stored as
//! integer microseconds (exact, and they compare as numbers).

mod aql;
mod master;
mod outbox;
mod repositories;

use crate::MasterData;
use aql::Aql;
use arangors::client::reqwest::ReqwestClient;
use arangors::transaction::{Transaction, TransactionCollections, TransactionSettings};
use arangors::{AqlQuery, ClientError, Connection, Database};
use gotemp_core::event::{Auditable, PendingEvent};
use gotemp_core::{ConflictKind, Error, Result};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::sync::Notify;

/// Document collections gotemp keeps in ArangoDB.
const DOCUMENTS: [&str; 3] = ["customers", "products", "outbox"];
/// Edge collections: one per relation, shared by customers and products.
const EDGES: [&str; 2] = ["is_parent_of", "is_component_of"];

/// A connection to one ArangoDB database.
#[derive(Clone)]
pub struct ArangoStore {
    conn: Arc<Connection>,
    db: Database<ReqwestClient>,
    /// Wakes this process's relay when a change committed here.
    signal: Arc<Notify>,
}

/// Where to connect, read from the URL.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    base: String,
    user: String,
    password: String,
    database: String,
}

fn parse_url(url: &str) -> Result<Target> {
    let invalid = |why: &str| Error::internal(format!("invalid ArangoDB URL: {why}"));
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(s, _)| matches!(*s, "http" | "https"))
        .ok_or_else(|| invalid("it must start with http:// or https://"))?;
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (credentials, host) = match authority.rsplit_once('@') {
        Some((c, h)) => (Some(c), h),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    let (user, password) = match credentials {
        Some(c) => match c.split_once(':') {
            Some((u, p)) => (u.to_owned(), p.to_owned()),
            None => (c.to_owned(), String::new()),
        },
        None => ("root".to_owned(), String::new()),
    };
    let database = path.trim_matches('/');
    Ok(Target {
        base: format!("{scheme}://{host}"),
        user,
        password,
        database: if database.is_empty() {
            "gotemp".into()
        } else {
            database.into()
        },
    })
}

impl ArangoStore {
    /// Connects, creates the database, collections and indexes that are missing.
    pub async fn connect(url: &str) -> Result<Self> {
        let t = parse_url(url)?;
        let conn = Connection::establish_basic_auth(&t.base, &t.user, &t.password)
            .await
            .map_err(map_arango)?;
        let db = match conn.db(&t.database).await {
            Ok(db) => db,
            Err(ClientError::Arango(e)) if e.error_num() == 1228 => conn
                .create_database(&t.database)
                .await
                .map_err(map_arango)?,
            Err(e) => return Err(map_arango(e)),
        };
        let store = Self {
            conn: Arc::new(conn),
            db,
            signal: Arc::new(Notify::new()),
        };
        store.ensure_schema().await?;
        Ok(store)
    }

    async fn ensure_schema(&self) -> Result<()> {
        use arangors::collection::CollectionType;
        use arangors::collection::options::{CreateOptions, KeyOptions};
        use arangors::index::{Index, IndexSettings};
        let existing: Vec<String> = (self.db.accessible_collections().await)
            .map_err(map_arango)?
            .into_iter()
            .map(|c| c.name)
            .collect();
        for name in DOCUMENTS.iter().chain(EDGES.iter()) {
            if existing.iter().any(|e| e == name) {
                continue;
            }
            let edge = EDGES.contains(name);
            // The outbox's keys are generated, zero-padded and increasing: they sort in the
            // order the events were written, on the primary index.
            let keys = KeyOptions::builder().key_type("padded".into()).build();
            let options = match (edge, *name == "outbox") {
                (true, _) => CreateOptions::builder()
                    .name(name)
                    .collection_type(CollectionType::Edge)
                    .build(),
                (false, true) => CreateOptions::builder()
                    .name(name)
                    .key_options(keys)
                    .build(),
                (false, false) => CreateOptions::builder().name(name).build(),
            };
            match self
                .db
                .create_collection_with_options(options, Default::default())
                .await
            {
                Ok(_) => {}
                // Another instance created it meanwhile.
                Err(ClientError::Arango(e)) if e.error_num() == 1207 => {}
                Err(e) => return Err(map_arango(e)),
            }
        }
        let persistent = |fields: &[&str], unique: bool| {
            Index::builder()
                .fields(fields.iter().map(|f| f.to_string()).collect())
                .settings(IndexSettings::Persistent {
                    unique,
                    sparse: false,
                    deduplicate: false,
                })
                .build()
        };
        // Documents from before tenants are the tenant `default`'s (their keys are their ids).
        for name in DOCUMENTS
            .iter()
            .chain(EDGES.iter())
            .filter(|n| **n != "outbox")
        {
            self.run::<Value>(aql::adopt_into_default(name)).await?;
        }
        let indexes = [
            ("customers", persistent(&["tenant_id", "name"], false)),
            ("products", persistent(&["tenant_id", "name"], false)),
            ("customers", persistent(&["tenant_id", "_key"], false)),
            ("products", persistent(&["tenant_id", "_key"], false)),
            ("outbox", persistent(&["sent", "claimed_until"], false)),
            // One link per pair of ends and relation.
            ("is_parent_of", persistent(&["_from", "_to"], true)),
            ("is_component_of", persistent(&["_from", "_to"], true)),
        ];
        for (collection, index) in indexes {
            // Creating an index that exists returns the existing one.
            (self.db.create_index(collection, &index).await).map_err(map_arango)?;
        }
        Ok(())
    }

    /// The repositories of this store.
    pub fn master_data(&self) -> MasterData {
        let this = Arc::new(self.clone());
        MasterData {
            customers: this.clone(),
            products: this.clone(),
            outbox: this.clone(),
            purge: this,
        }
    }

    /// Whether the server answers.
    pub async fn ping(&self) -> Result<()> {
        self.run::<Value>(Aql {
            query: "RETURN 1".into(),
            bind: Default::default(),
        })
        .await
        .map(|_| ())
    }

    /// Drops the whole database (tests drop the one they made).
    pub async fn drop_database(&self) -> Result<()> {
        self.conn
            .drop_database(self.db.name())
            .await
            .map_err(map_arango)
    }

    /// Runs a read (or a single-statement write: AQL is atomic per query).
    async fn run<R: DeserializeOwned>(&self, q: Aql) -> Result<Vec<R>> {
        self.db.aql_query(query(&q)).await.map_err(map_arango)
    }

    /// Runs `q` in a stream transaction over `collections` and the outbox; when it returns a
    /// document, queues the completed event of the object `parse` makes of it and commits both.
    /// `Ok(None)`: `q` matched nothing, nothing was written.
    async fn write<T: Auditable>(
        &self,
        collections: &[&str],
        q: Aql,
        parse: impl FnOnce(Value) -> Result<T>,
        event: PendingEvent,
    ) -> Result<Option<T>> {
        let mut write: Vec<String> = collections.iter().map(|c| c.to_string()).collect();
        write.push("outbox".into());
        let settings = TransactionSettings::builder()
            .collections(TransactionCollections::builder().write(write).build())
            .build();
        let tx = (self.db.begin_transaction(settings).await).map_err(map_arango)?;
        let outcome = self.write_in(&tx, q, parse, event).await;
        match outcome {
            Ok(Some(object)) => {
                tx.commit().await.map_err(map_arango)?;
                self.signal.notify_one();
                Ok(Some(object))
            }
            other => {
                let _ = tx.abort().await;
                other
            }
        }
    }

    async fn write_in<T: Auditable>(
        &self,
        tx: &Transaction<ReqwestClient>,
        q: Aql,
        parse: impl FnOnce(Value) -> Result<T>,
        event: PendingEvent,
    ) -> Result<Option<T>> {
        let rows: Vec<Value> = tx.aql_query(query(&q)).await.map_err(map_arango)?;
        let Some(row) = rows.into_iter().next() else {
            return Ok(None);
        };
        let object = parse(row)?;
        let event = event.complete(&object)?;
        let now = gotemp_core::values::now().timestamp_micros();
        let document =
            json!({"event": event, "sent": false, "claimed_until": null, "created_at": now});
        let _: Vec<Value> =
            (tx.aql_query(query(&aql::insert("outbox", document))).await).map_err(map_arango)?;
        Ok(Some(object))
    }
}

fn query(q: &Aql) -> AqlQuery<'_> {
    let bind = q
        .bind
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    AqlQuery::builder()
        .query(q.query.as_str())
        .bind_vars(bind)
        .build()
}

/// Maps a client error: connection trouble and write-write conflicts are `Unavailable`
/// (retriable), a unique-constraint violation `Conflict`, a missing document `NotFound`.
fn map_arango(e: ClientError) -> Error {
    match &e {
        ClientError::HttpClient(_) => Error::unavailable_from(format!("arangodb: {e}"), e),
        ClientError::Arango(a) => match a.error_num() {
            1210 => Error::conflict(
                ConflictKind::Duplicate,
                Some("id"),
                gotemp_core::tr!("conflict.arango_duplicate"),
            ),
            1202 | 1203 => Error::not_found("document", a.message()),
            // Write-write conflict, lock timeout, server shutting down or overloaded.
            1200 | 18 | 29 | 30 | 503 => Error::unavailable_from(format!("arangodb: {e}"), e),
            _ if a.code() == 503 => Error::unavailable_from(format!("arangodb: {e}"), e),
            _ => Error::internal_from(format!("arangodb: {e}"), e),
        },
        _ => Error::internal_from(format!("arangodb: {e}"), e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_server_the_credentials_and_the_database() {
        assert_eq!(
            parse_url("http://gotemp:s3cret@arangodb:8529/master").unwrap(),
            Target {
                base: "http://arangodb:8529".into(),
                user: "gotemp".into(),
                password: "s3cret".into(),
                database: "master".into(),
            }
        );
        let plain = parse_url("https://db.example").unwrap();
        assert_eq!(
            (
                plain.user.as_str(),
                plain.password.as_str(),
                plain.database.as_str()
            ),
            ("root", "", "gotemp")
        );
        assert!(parse_url("postgres://x/y").is_err());
        assert!(parse_url("http:///db").is_err());
    }

    #[test]
    fn server_errors_map_to_domain_errors() {
        let arango = |num: u16, code: u16| {
            let e: arangors::ArangoError =
                serde_json::from_value(json!({"code": code, "errorNum": num, "errorMessage": "m"}))
                    .unwrap();
            map_arango(ClientError::Arango(e))
        };
        assert!(matches!(
            arango(1210, 409),
            Error::Conflict {
                kind: ConflictKind::Duplicate,
                ..
            }
        ));
        assert!(matches!(arango(1202, 404), Error::NotFound { .. }));
        assert!(arango(1200, 409).is_retriable());
        assert!(arango(1, 503).is_retriable());
        assert!(matches!(arango(1501, 400), Error::Internal(_)));
        assert!(map_arango(ClientError::HttpClient("refused".into())).is_retriable());
    }
}
