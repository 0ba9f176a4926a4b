//! A tenant's data as a whole, for `gotemp tenant export` and `gotemp tenant purge`: what it
//! takes, deliberately, before a tenant that holds data can be deleted (the API answers 409
//! until it is empty).

use crate::Config;
use gotemp_core::entities::{Direction, LinkQuery, RELATED_MAX, Relation};
use gotemp_core::page::{Page, PageRequest, PageSpec};
use gotemp_core::ports::Repositories;
use gotemp_core::values::{self, TenantId};
use gotemp_core::{ConflictKind, Error, Result};
use serde::Serialize;
use std::io::Write;

/// Objects read per page while exporting.
const PAGE: u32 = 500;

/// Every repository `config` names, opened (and migrated) without the services: what the
/// command line works on, next to a running server or without one.
pub async fn open_repositories(config: &Config) -> Result<Repositories> {
    crate::open::repositories(config).await
}

/// Writes every object of `tenant` to `out` as NDJSON, one `{"kind", "object"}` per line: the
/// tenant, its users (never a password hash), customers, products, their links, promotions and
/// audit records, in that order, each kind a page at a time. How many of each kind. Not
/// exported: parked dead letters and events not yet relayed (what failed, not what is).
pub async fn export_tenant(
    repos: &Repositories,
    tenant: &TenantId,
    out: &mut dyn Write,
) -> Result<Vec<(&'static str, u64)>> {
    let found = repos.tenants.get(tenant).await?;
    let found = found.ok_or_else(|| Error::not_found("tenant", tenant))?;
    let mut counts = Vec::new();
    line(out, "tenant", &found)?;
    counts.push(("tenant", 1));

    let users = each_page(out, "user", async |spec| {
        repos.users.list(tenant, &Default::default(), &spec).await
    });
    counts.push(("user", users.await?));
    let n = each_page(out, "customer", async |spec| {
        repos
            .customers
            .list(tenant, &Default::default(), &spec)
            .await
    });
    counts.push(("customer", n.await?));
    let customers = ids(repos, tenant, true).await?;
    let n = each_page(out, "product", async |spec| {
        repos
            .products
            .list(tenant, &Default::default(), &spec)
            .await
    });
    counts.push(("product", n.await?));
    let products = ids(repos, tenant, false).await?;

    // Every link once, from the object it leaves.
    let mut links = 0;
    for id in &customers {
        let down = outgoing(Relation::IsParentOf);
        let related = whole(id, repos.customers.related(tenant, id, &down).await?)?;
        for related in related {
            line(out, "customer_link", &related.link)?;
            links += 1;
        }
    }
    counts.push(("customer_link", links));
    let mut links = 0;
    for id in &products {
        for relation in [Relation::IsParentOf, Relation::IsComponentOf] {
            let down = outgoing(relation);
            let related = whole(id, repos.products.related(tenant, id, &down).await?)?;
            for related in related {
                line(out, "product_link", &related.link)?;
                links += 1;
            }
        }
    }
    counts.push(("product_link", links));

    let n = each_page(out, "promotion", async |spec| {
        repos
            .promotions
            .list(tenant, &Default::default(), &spec)
            .await
    });
    counts.push(("promotion", n.await?));
    let n = each_page(out, "audit_record", async |spec| {
        repos.audit.list(tenant, &Default::default(), &spec).await
    });
    counts.push(("audit_record", n.await?));
    out.flush()
        .map_err(|e| Error::internal_from(format!("export: {e}"), e))?;
    Ok(counts)
}

/// Removes every object of `tenant` from every store (its users, master data, links,
/// promotions, audit trail, dead letters and outbox), so the tenant can be deleted. Refuses the
/// tenants gotemp needs (`default`, `platform`) and a tenant that is still open: close it first
/// (`PUT /v1/tenants/KEY {"active": false}`), so nobody works in it while it goes. How many rows
/// or documents, per table or collection.
pub async fn purge_tenant(repos: &Repositories, tenant: &TenantId) -> Result<Vec<(String, u64)>> {
    if tenant.is_default() || tenant.as_str() == TenantId::PLATFORM {
        return Err(Error::conflict(
            ConflictKind::State,
            Some("key"),
            gotemp_core::tr!("conflict.tenant_purge_reserved", key = tenant.as_str()),
        ));
    }
    let found = repos.tenants.get(tenant).await?;
    let found = found.ok_or_else(|| Error::not_found("tenant", tenant))?;
    if found.is_open_at(values::now()) {
        return Err(Error::conflict(
            ConflictKind::State,
            Some("active"),
            gotemp_core::tr!("conflict.tenant_purge_open", key = tenant.as_str()),
        ));
    }
    let mut removed = Vec::new();
    for store in &repos.purge {
        removed.extend(store.purge_tenant(tenant).await?);
    }
    Ok(removed)
}

/// Writes one line of the export.
fn line(out: &mut dyn Write, kind: &str, object: &impl Serialize) -> Result<()> {
    #[derive(Serialize)]
    struct Line<'a, T> {
        kind: &'a str,
        object: &'a T,
    }
    let text = serde_json::to_string(&Line { kind, object })
        .map_err(|e| Error::internal_from(format!("export: {e}"), e))?;
    writeln!(out, "{text}").map_err(|e| Error::internal_from(format!("export: {e}"), e))
}

/// Writes every item of the pages `fetch` reads, as `kind`; how many.
async fn each_page<T: Serialize>(
    out: &mut dyn Write,
    kind: &str,
    mut fetch: impl AsyncFnMut(PageSpec) -> Result<Page<T>>,
) -> Result<u64> {
    let mut request = PageRequest::first(PAGE);
    let mut written = 0;
    loop {
        let spec = PageSpec::parse(&request)?;
        let page = fetch(spec).await?;
        for item in &page.items {
            line(out, kind, item)?;
            written += 1;
        }
        match request.after(&page) {
            Some(next) => request = next,
            None => return Ok(written),
        }
    }
}

/// The ids of every customer (or product) of `tenant`.
async fn ids(repos: &Repositories, tenant: &TenantId, customers: bool) -> Result<Vec<String>> {
    let mut request = PageRequest::first(PAGE);
    let mut ids = Vec::new();
    loop {
        let spec = PageSpec::parse(&request)?;
        let page = match customers {
            true => (repos
                .customers
                .list(tenant, &Default::default(), &spec)
                .await?)
                .map(|c| c.id),
            false => (repos
                .products
                .list(tenant, &Default::default(), &spec)
                .await?)
                .map(|p| p.id),
        };
        let next = request.after(&page);
        ids.extend(page.items);
        match next {
            Some(next) => request = next,
            None => return Ok(ids),
        }
    }
}

/// `related`, unless it may be cut at [`RELATED_MAX`]: an export is whole or fails, saying
/// which object has more links than one query answers.
fn whole<T>(id: &str, related: Vec<T>) -> Result<Vec<T>> {
    if related.len() >= RELATED_MAX as usize {
        return Err(Error::internal(format!(
            "export: {id} has {RELATED_MAX} links or more, more than one query reads; not exported"
        )));
    }
    Ok(related)
}

/// The links that leave an object along `relation`.
fn outgoing(relation: Relation) -> LinkQuery {
    LinkQuery {
        relation,
        direction: Direction::Outgoing,
        valid_on: None,
    }
}
