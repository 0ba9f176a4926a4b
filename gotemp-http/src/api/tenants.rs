//! The tenants of a multi-tenant deployment, for the platform's operators (`tenants:*`). Not
//! routed in a single-tenant one, whose API is as it always was.

use super::*;

/// Tenant list paging.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct TenantQuery {
    /// Rows per page, 1 to 500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Lists the tenants by key.
#[utoipa::path(get, path = "/v1/tenants", tag = "tenants", params(TenantQuery),
    responses((status = 200, description = "A page of tenants", body = TenantPage)))]
pub(super) async fn list_tenants(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: TenantQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let page = page(&mut v, q.limit, q.cursor);
    finish(v)?;
    let found = state.app.tenants().list(&actor, &page).await?;
    Ok(axum::Json(TenantPage::from(found)).into_response())
}

/// Creates a tenant with its first administrator (the role `admin` in it), both or neither.
#[utoipa::path(post, path = "/v1/tenants", tag = "tenants", request_body = NewTenant,
    responses(
        (status = 201, description = "Created", body = Tenant, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The key or the administrator's e-mail is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn create_tenant(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    JsonBody(input): JsonBody<NewTenant>,
) -> ApiResult<Response> {
    let (tenant, _admin) = state.app.tenants().create(&actor, input).await?;
    Ok(created(
        format!("/v1/tenants/{}", tenant.key),
        tenant.version,
        tenant,
    ))
}

/// Reads a tenant; `ETag` is its version.
#[utoipa::path(get, path = "/v1/tenants/{key}", tag = "tenants", params(("key" = String, Path, description = "Tenant key")),
    responses(
        (status = 200, description = "The tenant", body = Tenant, headers(("ETag" = String))),
        (status = 404, description = "No such tenant", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn get_tenant(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(key): Path<String>,
) -> ApiResult<Response> {
    let tenant = state.app.tenants().get(&actor, &key).await?;
    Ok(current(tenant.version, tenant))
}

/// Changes a tenant's name, state or validity: `"active": false` closes it (its users' tokens
/// are refused within 2 s; its data stays).
#[utoipa::path(put, path = "/v1/tenants/{key}", tag = "tenants", request_body = TenantChanges,
    params(("key" = String, Path, description = "Tenant key"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    responses(
        (status = 200, description = "Changed", body = Tenant, headers(("ETag" = String))),
        (status = 404, description = "No such tenant", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The tenant changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn update_tenant(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(key): Path<String>,
    if_match: IfMatch,
    JsonBody(changes): JsonBody<TenantChanges>,
) -> ApiResult<Response> {
    let tenants = state.app.tenants();
    let tenant = (tenants.update(&actor, &key, changes, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(current(tenant.version, tenant))
}

/// Deletes a tenant that holds no more data (409 while it does).
#[utoipa::path(delete, path = "/v1/tenants/{key}", tag = "tenants",
    params(("key" = String, Path, description = "Tenant key"), ("If-Match" = Option<String>, Header, description = "The ETag the delete is based on")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such tenant", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The tenant still holds data, or changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn delete_tenant(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(key): Path<String>,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    (state.app.tenants().delete(&actor, &key, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(StatusCode::NO_CONTENT)
}
