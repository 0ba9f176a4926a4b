//! Customers (master data).

use super::*;

/// Customer search.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct CustomerQuery {
    /// Exact key.
    id: Option<String>,
    /// Exact name.
    name: Option<String>,
    /// Valid at this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    valid_on: Option<String>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Lists customers.
#[utoipa::path(get, path = "/v1/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, description = "A page of customers", body = CustomerPage)))]
pub(super) async fn list_customers(
    State(state): State<ApiState>,
    _: Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: CustomerQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let filter = CustomerFilter {
        id: text(q.id),
        name: text(q.name),
        valid_on: instant(&mut v, "valid_on", q.valid_on),
    };
    let page = page(&mut v, q.limit, q.cursor);
    finish(v)?;
    let found = state.app.customers.list(&filter, &page).await?;
    Ok(axum::Json(CustomerPage::from(found)).into_response())
}

/// Creates a customer (its key is generated from the name when absent).
#[utoipa::path(post, path = "/v1/customers", tag = "customers", request_body = NewCustomer,
    responses(
        (status = 201, description = "Created", body = Customer, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The key is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn create_customer(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    JsonBody(input): JsonBody<NewCustomer>,
) -> ApiResult<Response> {
    let customer = state.app.customers.create(&actor, input).await?;
    Ok(created(
        format!("/v1/customers/{}", customer.id),
        customer.version,
        customer,
    ))
}

/// Reads a customer; `ETag` is its version.
#[utoipa::path(get, path = "/v1/customers/{id}", tag = "customers", params(("id" = String, Path, description = "Customer key")),
    responses(
        (status = 200, description = "The customer", body = Customer, headers(("ETag" = String))),
        (status = 404, description = "No such customer", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn get_customer(
    State(state): State<ApiState>,
    _: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let customer = state.app.customers.get(&id).await?;
    Ok(current(customer.version, customer))
}

/// Changes a customer: absent fields keep their value.
#[utoipa::path(put, path = "/v1/customers/{id}", tag = "customers", request_body = CustomerChanges,
    params(("id" = String, Path, description = "Customer key"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    responses(
        (status = 200, description = "Changed", body = Customer, headers(("ETag" = String))),
        (status = 404, description = "No such customer", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The customer changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn update_customer(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    JsonBody(changes): JsonBody<CustomerChanges>,
) -> ApiResult<Response> {
    let customer = (state
        .app
        .customers
        .update(&actor, &id, changes, if_match.0)
        .await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(current(customer.version, customer))
}

/// Deletes a customer no promotion names.
#[utoipa::path(delete, path = "/v1/customers/{id}", tag = "customers",
    params(("id" = String, Path, description = "Customer key"), ("If-Match" = Option<String>, Header, description = "The ETag the delete is based on")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such customer", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Promotions still name the customer, or it changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn delete_customer(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    (state.app.customers.delete(&actor, &id, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(StatusCode::NO_CONTENT)
}
