//! The audit trail: searched, read one by one, and counted per time bucket.

use super::*;

/// Audit search; every given filter must match.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditQuery {
    /// Object name (`user`, `customer`, `product`, `promotion`).
    object_name: Option<String>,
    /// Object id (usually with `object_name`).
    object_id: Option<String>,
    /// The acting user's id.
    #[param(value_type = Option<i64>)]
    performed_by: Option<String>,
    /// Owning service.
    service: Option<String>,
    /// `insert`, `update`, `delete` or `access`.
    #[param(value_type = Option<ActionType>)]
    action_type: Option<String>,
    /// Changes at or after this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    from: Option<String>,
    /// Changes before this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    to: Option<String>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

// The list and the bucket count take the same filters from differently shaped queries.
#[allow(clippy::too_many_arguments)]
fn audit_filter(
    v: &mut Violations,
    object_name: Option<String>,
    object_id: Option<String>,
    performed_by: Option<String>,
    service: Option<String>,
    action_type: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> AuditFilter {
    let action_type = text(action_type).and_then(|raw| {
        v.check(ActionType::parse(raw.trim()).ok_or_else(|| {
            FieldError::new(
                "action_type",
                "invalid_action_type",
                gotemp_core::tr!("field.invalid_action_type", got = format!("{raw:?}")),
            )
        }))
    });
    AuditFilter {
        object_name: text(object_name),
        object_id: text(object_id),
        performed_by: int(v, "performed_by", performed_by),
        service: text(service),
        action_type,
        from: instant(v, "from", from),
        to: instant(v, "to", to),
    }
}

/// Lists audit records, newest first.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "A page of audit records", body = AuditPage)))]
pub(super) async fn list_audit(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: AuditQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let filter = audit_filter(
        &mut v,
        q.object_name,
        q.object_id,
        q.performed_by,
        q.service,
        q.action_type,
        q.from,
        q.to,
    );
    let page = page(&mut v, q.limit, q.cursor);
    finish(v)?;
    let found = state.app.audit().list(&actor, &filter, &page).await?;
    Ok(axum::Json(AuditPage::from(found)).into_response())
}

/// Reads one audit record.
#[utoipa::path(get, path = "/v1/audit/{id}", tag = "audit", params(("id" = i64, Path, description = "Audit record id")),
    responses(
        (status = 200, description = "The record", body = AuditRecord),
        (status = 404, description = "No such record", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn get_audit(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let record = state.app.audit().get(&actor, path_id(&id)?).await?;
    Ok(axum::Json(record).into_response())
}

/// Counting per time bucket.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct BucketQuery {
    /// Bucket width: `30s`, `15m`, `1h`, `1d`, … (default `1h`, at least a second).
    width: Option<String>,
    /// Object name.
    object_name: Option<String>,
    /// Object id.
    object_id: Option<String>,
    /// The acting user's id.
    #[param(value_type = Option<i64>)]
    performed_by: Option<String>,
    /// Owning service.
    service: Option<String>,
    /// `insert`, `update`, `delete` or `access`.
    #[param(value_type = Option<ActionType>)]
    action_type: Option<String>,
    /// Changes at or after this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    from: Option<String>,
    /// Changes before this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    to: Option<String>,
}

/// Change counts per time bucket.
#[derive(Serialize, ToSchema)]
pub(super) struct BucketsResponse {
    /// The bucket width in seconds.
    width_secs: i64,
    /// The start of the range counted: `from` as given, or as many widths before `to` as one
    /// count may return (10,000).
    from: chrono::DateTime<chrono::Utc>,
    /// The end of the range counted: `to` as given, or now.
    to: chrono::DateTime<chrono::Utc>,
    /// Buckets with at least one change, oldest first.
    buckets: Vec<BucketCount>,
}

/// Counts changes per time bucket, oldest first.
#[utoipa::path(get, path = "/v1/audit/buckets", tag = "audit", params(BucketQuery),
    responses((status = 200, description = "Counts per bucket", body = BucketsResponse)))]
pub(super) async fn audit_buckets(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: BucketQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let width = match text(q.width) {
        None => Some(chrono::Duration::hours(1)),
        Some(raw) => v.check(
            humantime::parse_duration(raw.trim())
                .ok()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .ok_or_else(|| {
                    FieldError::new(
                        "width",
                        "invalid_duration",
                        gotemp_core::tr!("field.invalid_duration", got = format!("{raw:?}")),
                    )
                }),
        ),
    };
    let filter = audit_filter(
        &mut v,
        q.object_name,
        q.object_id,
        q.performed_by,
        q.service,
        q.action_type,
        q.from,
        q.to,
    );
    finish(v)?;
    let width = width.unwrap_or_else(|| chrono::Duration::hours(1));
    let counted = (state.app.audit())
        .count_by_bucket(&actor, &filter, width)
        .await?;
    Ok(axum::Json(BucketsResponse {
        width_secs: width.num_seconds(),
        from: counted.from,
        to: counted.to,
        buckets: counted.counts,
    })
    .into_response())
}

/// Listing parked messages.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct DeadLetterQuery {
    /// How many, newest first: 1 to 500 (default 100).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
}

/// Parked messages: the audit events that could not be stored, newest first.
#[derive(Serialize, ToSchema)]
pub(super) struct DeadLetters {
    /// How many are parked in all.
    total: u64,
    /// The newest of them.
    items: Vec<gotemp_core::ports::DeadLetter>,
}

/// Lists the parked audit messages (administrators only).
#[utoipa::path(get, path = "/v1/audit/dead-letters", tag = "audit", params(DeadLetterQuery),
    responses(
        (status = 200, description = "The parked messages, newest first", body = DeadLetters),
        (status = 403, description = "Not an administrator", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn list_dead_letters(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: DeadLetterQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let limit = int::<u32>(&mut v, "limit", q.limit).unwrap_or(100);
    finish(v)?;
    let audit = state.app.audit();
    let items = audit.list_dead_letters(&actor, limit).await?;
    let total = audit.undelivered_count(Some(actor.tenant.clone())).await?;
    Ok(axum::Json(DeadLetters { total, items }).into_response())
}

/// Stores a parked message now that its cause is fixed, and forgets it; idempotent through the
/// event id (administrators only).
#[utoipa::path(post, path = "/v1/audit/dead-letters/{id}/replay", tag = "audit",
    params(("id" = i64, Path, description = "Dead letter number")),
    responses(
        (status = 200, description = "Stored (or found stored already)", body = gotemp_core::services::Replayed),
        (status = 404, description = "No such dead letter", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Not an event this deployment published", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn replay_dead_letter(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let replayed = state
        .app
        .audit()
        .replay_dead_letter(&actor, path_id(&id)?)
        .await?;
    Ok(axum::Json(replayed).into_response())
}
