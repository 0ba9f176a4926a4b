//! Hierarchy links (`customer_links`, `product_links`): an edge table per kind of vertex, written
//! with its audit event in one transaction like every other change.

use super::row::row;
use super::{Bind, Dialect, PushArg, Scope, SqlStore};
use crate::sql::error::map_sqlx;
use crate::sql::rows::StoredTime;
use gotemp_core::entities::{
    Direction, Link, LinkDraft, LinkQuery, RELATED_MAX, Related, Relation,
};
use gotemp_core::event::{Auditable, PendingEvent};
use gotemp_core::values::TenantId;
use gotemp_core::{Error, Result};
use sqlx::{FromRow, QueryBuilder};

/// The columns of a link as [`LinkRow`] reads them.
pub const LINK_COLUMNS: &str = "from_id AS link_from, to_id AS link_to, relation AS link_relation, \
     kind AS link_kind, valid_from AS link_valid_from, valid_thru AS link_valid_thru, \
     created_at AS link_created_at, modified_by AS link_modified_by";

row! {
    /// A stored link, under names that cannot clash with a vertex's columns in a join.
    pub struct LinkRow<T> {
        pub link_from: String,
        pub link_to: String,
        pub link_relation: String,
        pub link_kind: Option<String>,
        pub link_valid_from: T,
        pub link_valid_thru: T,
        pub link_created_at: T,
        pub link_modified_by: i64,
    }
}

impl<T: StoredTime> TryFrom<LinkRow<T>> for Link {
    type Error = Error;
    fn try_from(r: LinkRow<T>) -> Result<Self> {
        let relation = Relation::parse("relation", &r.link_relation)
            .map_err(|e| Error::internal(format!("stored link: {}", e.message)))?;
        Ok(Link {
            from: r.link_from,
            to: r.link_to,
            relation,
            kind: r.link_kind,
            valid_from: r.link_valid_from.utc(),
            valid_thru: r.link_valid_thru.utc(),
            created_at: r.link_created_at.utc(),
            modified_by: r.link_modified_by,
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

impl<D: Dialect> SqlStore<D> {
    /// Inserts a link and queues its event (`A` wraps the link for the audit trail).
    pub(super) async fn insert_link<A>(
        &self,
        edges: &Edges,
        tenant: &TenantId,
        draft: &LinkDraft,
        event: PendingEvent,
    ) -> Result<Link>
    where
        A: Auditable + From<Link> + Into<Link>,
    {
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let sql = format!(
            "INSERT INTO {} (tenant_id, from_id, to_id, relation, kind, valid_from, valid_thru, \
             created_at, modified_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {LINK_COLUMNS}",
            edges.table
        );
        let row: D::LinkRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .arg(tenant.as_str())
            .arg(draft.from.as_str())
            .arg(draft.to.as_str())
            .arg(draft.relation.as_str())
            .arg(draft.kind.as_ref().map(|k| k.as_str()))
            .arg(draft.validity.valid_from())
            .arg(draft.validity.valid_thru())
            .arg(event.occurred_at)
            .arg(event.performed_by)
            .fetch_one(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
        let link = row.try_into()?;
        Ok(self.commit(tx, A::from(link), event).await?.into())
    }

    /// Deletes a link and queues its event; NotFound when there is no such link.
    pub(super) async fn delete_link<A>(
        &self,
        edges: &Edges,
        tenant: &TenantId,
        (from, relation, to): (&str, Relation, &str),
        event: PendingEvent,
    ) -> Result<Link>
    where
        A: Auditable + From<Link> + Into<Link>,
    {
        let mut tx = self.begin_write(Scope::Tenant(tenant)).await?;
        let sql = format!(
            "DELETE FROM {} WHERE tenant_id = $1 AND from_id = $2 AND relation = $3 AND to_id = $4 \
             RETURNING {LINK_COLUMNS}",
            edges.table
        );
        let row: Option<D::LinkRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .arg(tenant.as_str())
            .arg(from)
            .arg(relation.as_str())
            .arg(to)
            .fetch_optional(D::on_connection(&mut tx))
            .await
            .map_err(map_sqlx)?;
        let Some(row) = row else {
            let id = format!("{from} {} {to}", relation.as_str());
            return Err(Error::not_found(edges.entity, id));
        };
        let link = row.try_into()?;
        Ok(self.commit(tx, A::from(link), event).await?.into())
    }

    /// The vertices linked to `id` along `query`, each with its link, in one query: the links
    /// (renamed columns) joined to the vertices at their far end, ordered by vertex id.
    pub(super) async fn linked<R, O>(
        &self,
        edges: &Edges,
        tenant: &TenantId,
        id: &str,
        query: &LinkQuery,
    ) -> Result<Vec<Related<O>>>
    where
        R: for<'r> FromRow<'r, D::Row> + Into<O>,
    {
        let mut q = QueryBuilder::<D>::new(related_sql_head(edges));
        q.push_arg(tenant.as_str());
        q.push(format_args!(" AND {} = ", near(query.direction)));
        q.push_arg(id.to_owned());
        q.push(" AND relation = ").push_arg(query.relation.as_str());
        if let Some(at) = query.valid_on {
            q.push(" AND valid_from <= ").push_arg(at);
            q.push(" AND valid_thru >= ").push_arg(at);
        }
        q.push(related_sql_tail(query.direction));
        q.push_arg(tenant.as_str());
        q.push(" ORDER BY id LIMIT ");
        q.push_arg(i64::from(RELATED_MAX));
        let mut reader = self.reader(Scope::Tenant(tenant)).await?;
        let rows = q.build().fetch_all(D::on_connection(&mut *reader)).await;
        let rows = rows.map_err(map_sqlx)?;
        rows.iter()
            .map(|row| {
                let object = R::from_row(row).map_err(map_sqlx)?;
                let link = D::LinkRow::from_row(row).map_err(map_sqlx)?;
                Ok(Related {
                    link: link.try_into()?,
                    object: object.into(),
                })
            })
            .collect()
    }
}

/// The column of the end a neighbour query starts from.
fn near(direction: Direction) -> &'static str {
    match direction {
        Direction::Outgoing => "from_id",
        Direction::Incoming => "to_id",
    }
}

/// The start of the neighbour query, up to the bind of the tenant whose links it follows.
fn related_sql_head(edges: &Edges) -> String {
    format!(
        "SELECT {}, l.* FROM {} JOIN (SELECT {LINK_COLUMNS} FROM {} WHERE tenant_id = ",
        edges.columns, edges.vertices, edges.table
    )
}

/// The join on the far end, up to the bind of the tenant whose vertices it reads (the links
/// of a tenant name only its vertices, and the vertices are filtered all the same).
fn related_sql_tail(direction: Direction) -> &'static str {
    match direction {
        Direction::Outgoing => ") AS l ON id = l.link_to WHERE tenant_id = ",
        Direction::Incoming => ") AS l ON id = l.link_from WHERE tenant_id = ",
    }
}
