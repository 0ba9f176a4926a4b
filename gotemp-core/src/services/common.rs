//! Rules and steps every service shares.

use crate::cache::{CacheLayer, Cacheable};
use crate::entities::ExtraFields;
use crate::error::{Error, FieldError, Result};
use crate::page::{Page, PageRequest, PageSpec};
use crate::values::{TenantId, ValidityPeriod};
use chrono::{DateTime, Utc};
use std::future::Future;

/// Largest `extra_fields` object accepted, as compact JSON.
pub const MAX_EXTRA_FIELDS_BYTES: usize = 64 * 1024;

/// The version a write must find stored: the caller's, or the one just read, so a
/// read-modify-write never overwrites a change made in between. A caller's version that is
/// already stale fails at once, before any work.
pub fn expected_version(
    entity: &'static str,
    id: impl std::fmt::Display,
    caller: Option<i64>,
    stored: i64,
) -> Result<i64> {
    match caller {
        Some(v) if v != stored => Err(Error::stale_version(entity, id, v)),
        _ => Ok(stored),
    }
}

/// Most reads one page of a list makes to fill itself when the policy left items out.
pub const MAX_FILL_READS: usize = 8;

/// A page of a list holding only what `visible` lets the caller see. Items left out are made
/// up for from the rows after them, at most [`MAX_FILL_READS`] reads in all: a caller who may
/// see little of a long list gets a short page with a `next_cursor` rather than making the
/// server scan everything at once. The cursor continues after the last row read, seen or not,
/// so paging on never repeats or skips a row.
pub async fn visible_page<T, F, Fut>(
    page: &PageRequest,
    visible: impl Fn(&T) -> bool,
    mut read: F,
) -> Result<Page<T>>
where
    F: FnMut(PageSpec) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let mut spec = PageSpec::parse(page)?;
    let limit = spec.limit as usize;
    let mut items = Vec::new();
    let mut reads = 0;
    loop {
        reads += 1;
        let found = read(spec).await?;
        items.extend(found.items.into_iter().filter(|item| visible(item)));
        match found.next_cursor {
            Some(cursor) if items.len() < limit && reads < MAX_FILL_READS => {
                let rest = PageRequest {
                    limit: Some((limit - items.len()) as u32),
                    cursor: Some(cursor),
                };
                spec = PageSpec::parse(&rest)?;
            }
            next_cursor => return Ok(Page { items, next_cursor }),
        }
    }
}

/// The period after an update: each end the caller gave, the stored one otherwise.
pub fn merged_period(
    stored: (DateTime<Utc>, DateTime<Utc>),
    from: Option<DateTime<Utc>>,
    thru: Option<DateTime<Utc>>,
) -> Result<ValidityPeriod, FieldError> {
    ValidityPeriod::new(from.unwrap_or(stored.0), thru.unwrap_or(stored.1))
}

/// Checks the size of free-form attributes.
pub fn parse_extra_fields(fields: Option<ExtraFields>) -> Result<ExtraFields, FieldError> {
    let fields = fields.unwrap_or_default();
    let size = serde_json::to_vec(&fields)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if fields
        .iter()
        .any(|(k, v)| k.contains('\0') || json_has_nul(v))
    {
        return Err(crate::values::nul_in("extra_fields"));
    }
    if size > MAX_EXTRA_FIELDS_BYTES {
        return Err(FieldError::new(
            "extra_fields",
            "too_large",
            crate::tr!("field.extra_too_large", max = MAX_EXTRA_FIELDS_BYTES),
        ));
    }
    Ok(fields)
}

fn json_has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        _ => false,
    }
}

/// Checks text search filters: one holding a NUL character could match nothing stored, and
/// would make a PostgreSQL query fail instead, so it is refused by name.
pub fn check_filters(filters: &[(&str, Option<&str>)]) -> Result<()> {
    let errors: Vec<FieldError> = filters
        .iter()
        .filter(|(_, value)| value.is_some_and(|v| v.contains('\0')))
        .map(|(field, _)| crate::values::nul_in(field))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

/// Get-by-id of master data: through the cache when the service has one, straight from the
/// repository otherwise.
pub async fn get_by_id<T, F, Fut>(
    cache: Option<&CacheLayer>,
    tenant: &TenantId,
    id: &str,
    load: F,
) -> Result<T>
where
    T: Cacheable,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    // No key of a stored object looks otherwise; the storage need not be asked.
    if crate::values::EntityKey::parse("id", id).is_err() {
        return Err(Error::not_found(T::OBJECT_NAME, id));
    }
    let found = match cache {
        Some(cache) => cache.get_or_load(tenant, id, load).await?,
        None => load().await?,
    };
    found.ok_or_else(|| Error::not_found(T::OBJECT_NAME, id))
}

/// Drops the cached copy of an object whose change was just committed, so the next read in
/// any instance sharing the cache sees the change. The change event evicts it again in every
/// instance, which also covers a read that raced with this write.
pub async fn evict_after_commit<T: Cacheable>(
    cache: Option<&CacheLayer>,
    tenant: &TenantId,
    id: &str,
) {
    if let Some(cache) = cache {
        cache.evict::<T>(tenant, id).await;
    }
}
