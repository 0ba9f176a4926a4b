//! People who can log in. Passwords go in, never out.

use super::*;

/// User search; every given filter must match.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct UserQuery {
    /// Exact id.
    #[param(value_type = Option<i64>)]
    id: Option<String>,
    /// Exact given name.
    first_name: Option<String>,
    /// Exact family name.
    last_name: Option<String>,
    /// E-mail, compared case-insensitively.
    email: Option<String>,
    /// Exact company.
    company: Option<String>,
    /// Valid at this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    valid_on: Option<String>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Lists users.
#[utoipa::path(get, path = "/v1/users", tag = "users", params(UserQuery),
    responses((status = 200, description = "A page of users", body = UserPage)))]
pub(super) async fn list_users(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: UserQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let filter = UserFilter {
        id: int(&mut v, "id", q.id),
        first_name: text(q.first_name),
        last_name: text(q.last_name),
        email: text(q.email),
        company: text(q.company),
        valid_on: instant(&mut v, "valid_on", q.valid_on),
    };
    let page = page(&mut v, q.limit, q.cursor);
    finish(v)?;
    let found = state.app.users().list(&actor, &filter, &page).await?;
    Ok(axum::Json(UserPage::from(found)).into_response())
}

/// Creates a user; the password is stored only as a hash and never returned.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = User, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The e-mail is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn create_user(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    JsonBody(input): JsonBody<NewUser>,
) -> ApiResult<Response> {
    let user = state.app.users().create(&actor, input).await?;
    Ok(created(
        format!("/v1/users/{}", user.id),
        user.version,
        user,
    ))
}

/// Reads a user; `ETag` is its version.
#[utoipa::path(get, path = "/v1/users/{id}", tag = "users", params(("id" = i64, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = User, headers(("ETag" = String))),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn get_user(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let user = state.app.users().get(&actor, path_id(&id)?).await?;
    Ok(current(user.version, user))
}

/// Reads the caller; `ETag` is its version.
#[utoipa::path(get, path = "/v1/users/me", tag = "users",
    responses((status = 200, description = "The caller", body = User, headers(("ETag" = String)))))]
pub(super) async fn get_me(
    State(state): State<ApiState>,
    Caller(actor): Caller,
) -> ApiResult<Response> {
    let user = state.app.users().me(&actor).await?;
    Ok(current(user.version, user))
}

/// The organisation a signed-in user works in: its tenant's key and name.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(super) struct OwnTenant {
    /// The tenant's key (`default` in a single-tenant deployment).
    key: String,
    /// The tenant's name.
    name: String,
}

/// The caller's own tenant (key and name), so a page can say whose data it shows; any
/// signed-in user, in either tenancy.
#[utoipa::path(get, path = "/v1/users/me/tenant", tag = "users",
    responses((status = 200, description = "The caller's tenant", body = OwnTenant)))]
pub(super) async fn get_my_tenant(
    State(state): State<ApiState>,
    Caller(actor): Caller,
) -> ApiResult<Response> {
    let tenant = state.app.tenants().own(&actor).await?;
    Ok(axum::Json(OwnTenant {
        key: tenant.key,
        name: tenant.name,
    })
    .into_response())
}

/// Changes a user: absent fields keep their value, `company: ""` clears it. With
/// `users:manage` any field; on oneself without it only names and company.
#[utoipa::path(put, path = "/v1/users/{id}", tag = "users", request_body = UserChanges,
    params(("id" = i64, Path, description = "User id"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    responses(
        (status = 200, description = "Changed", body = User, headers(("ETag" = String))),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail is taken, the change would leave no active admin, or the user changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords (changing one's own password or e-mail); `Retry-After` says when to try again", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn update_user(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    JsonBody(changes): JsonBody<UserChanges>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let user = (state
        .app
        .users()
        .update(&actor, id, changes, if_match.0)
        .await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(current(user.version, user))
}

/// Deletes an inactive user (deactivate it first).
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id"), ("If-Match" = Option<String>, Header, description = "The ETag the delete is based on")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The user is active, or changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn delete_user(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    let id = path_id(&id)?;
    (state.app.users().delete(&actor, id, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(StatusCode::NO_CONTENT)
}
