//! Hierarchy links (`customer_links`, `product_links`): an edge table per kind of vertex, written
//! with its audit event in one transaction like every other change.

use super::{Db, DbTime, Store, db_time};
use crate::error::map_sqlx;
use crate::rows::StoredTime;
use gotemp_core::entities::{
    Direction, Link, LinkDraft, LinkQuery, RELATED_MAX, Related, Relation,
};
use gotemp_core::event::{Auditable, PendingEvent};
use gotemp_core::{Error, Result};
use sqlx::{FromRow, QueryBuilder};

/// The columns of a link as [`LinkRow`] reads them.
const LINK_COLUMNS: &str = "from_id AS link_from, to_id AS link_to, relation AS link_relation, \
     kind AS link_kind, valid_from AS link_valid_from, valid_thru AS link_valid_thru, \
     created_at AS link_created_at, modified_by AS link_modified_by";

/// A stored link, under names that cannot clash with a vertex's columns in a join.
#[derive(sqlx::FromRow)]
struct LinkRow<T> {
    link_from: String,
    link_to: String,
    link_relation: String,
    link_kind: Option<String>,
    link_valid_from: T,
    link_valid_thru: T,
    link_created_at: T,
    link_modified_by: i64,
}

impl<T: StoredTime> LinkRow<T> {
    fn into_link(self) -> Result<Link> {
        let relation = Relation::parse("relation", &self.link_relation)
            .map_err(|e| Error::internal(format!("stored link: {}", e.message)))?;
        Ok(Link {
            from: self.link_from,
            to: self.link_to,
            relation,
            kind: self.link_kind,
            valid_from: self.link_valid_from.utc(),
            valid_thru: self.link_valid_thru.utc(),
            created_at: self.link_created_at.utc(),
            modified_by: self.link_modified_by,
        })
    }
}

/// Where the links of one kind of vertex live.
pub(super) struct Edges {
    /// The edge table.
    pub table: &'static str,
    /// The vertex table.
    pub vertices: &'static str,
    /// The vertex columns the vertex row type reads.
    pub columns: &'static str,
    /// Object name for not-found errors (`customer link`).
    pub entity: &'static str,
}

impl Store {
    /// Inserts a link and queues its event (`A` wraps the link for the audit trail).
    pub(super) async fn insert_link<A>(
        &self,
        edges: &Edges,
        draft: &LinkDraft,
        event: PendingEvent,
    ) -> Result<Link>
    where
        A: Auditable + From<Link> + Into<Link>,
    {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "INSERT INTO {} (from_id, to_id, relation, kind, valid_from, valid_thru, created_at, modified_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {LINK_COLUMNS}",
            edges.table
        );
        let row: LinkRow<DbTime> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(draft.from.as_str())
            .bind(draft.to.as_str())
            .bind(draft.relation.as_str())
            .bind(draft.kind.as_ref().map(|k| k.as_str()))
            .bind(db_time(draft.validity.valid_from()))
            .bind(db_time(draft.validity.valid_thru()))
            .bind(db_time(event.occurred_at))
            .bind(event.performed_by)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_sqlx)?;
        let link = row.into_link()?;
        Ok(self.commit(tx, A::from(link), event).await?.into())
    }

    /// Deletes a link and queues its event; NotFound when there is no such link.
    pub(super) async fn delete_link<A>(
        &self,
        edges: &Edges,
        (from, relation, to): (&str, Relation, &str),
        event: PendingEvent,
    ) -> Result<Link>
    where
        A: Auditable + From<Link> + Into<Link>,
    {
        let mut tx = self.begin_write().await?;
        let sql = format!(
            "DELETE FROM {} WHERE from_id = $1 AND relation = $2 AND to_id = $3 RETURNING {LINK_COLUMNS}",
            edges.table
        );
        let row: Option<LinkRow<DbTime>> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(from)
            .bind(relation.as_str())
            .bind(to)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_sqlx)?;
        let Some(row) = row else {
            let id = format!("{from} {} {to}", relation.as_str());
            return Err(Error::not_found(edges.entity, id));
        };
        let link = row.into_link()?;
        Ok(self.commit(tx, A::from(link), event).await?.into())
    }

    /// The vertices linked to `id` along `query`, each with its link, in one query: the links
    /// (renamed columns) joined to the vertices at their far end, ordered by vertex id.
    pub(super) async fn linked<R, O>(
        &self,
        edges: &Edges,
        id: &str,
        query: &LinkQuery,
    ) -> Result<Vec<Related<O>>>
    where
        R: for<'r> FromRow<'r, <Db as sqlx::Database>::Row> + Into<O>,
    {
        let mut q = QueryBuilder::<Db>::new(related_sql_head(edges, query.direction));
        q.push_bind(id.to_owned());
        q.push(" AND relation = ")
            .push_bind(query.relation.as_str());
        if let Some(at) = query.valid_on {
            q.push(" AND valid_from <= ").push_bind(db_time(at));
            q.push(" AND valid_thru >= ").push_bind(db_time(at));
        }
        q.push(related_sql_tail(query.direction));
        q.push_bind(i64::from(RELATED_MAX));
        let rows = q.build().fetch_all(&self.pool).await.map_err(map_sqlx)?;
        rows.iter()
            .map(|row| {
                let object = R::from_row(row).map_err(map_sqlx)?;
                let link = LinkRow::<DbTime>::from_row(row).map_err(map_sqlx)?;
                Ok(Related {
                    link: link.into_link()?,
                    object: object.into(),
                })
            })
            .collect()
    }
}

/// The start of the neighbour query, up to the bind of the near end's id.
fn related_sql_head(edges: &Edges, direction: Direction) -> String {
    let near = match direction {
        Direction::Outgoing => "from_id",
        Direction::Incoming => "to_id",
    };
    format!(
        "SELECT {}, l.* FROM {} JOIN (SELECT {LINK_COLUMNS} FROM {} WHERE {near} = ",
        edges.columns, edges.vertices, edges.table
    )
}

/// The end of the neighbour query: the join on the far end, the order, and the limit's bind.
fn related_sql_tail(direction: Direction) -> &'static str {
    match direction {
        Direction::Outgoing => ") AS l ON id = l.link_to ORDER BY id LIMIT ",
        Direction::Incoming => ") AS l ON id = l.link_from ORDER BY id LIMIT ",
    }
}
