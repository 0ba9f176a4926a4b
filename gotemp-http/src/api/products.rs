//! Products and categories (master data).

use super::*;

/// Product search.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ProductQuery {
    /// Exact key.
    id: Option<String>,
    /// Exact name.
    name: Option<String>,
    /// Exact hierarchy level (`sku`, `cat`, …).
    hierarchy_level: Option<String>,
    /// Valid at this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    valid_on: Option<String>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Lists products.
#[utoipa::path(get, path = "/v1/products", tag = "products", params(ProductQuery),
    responses((status = 200, description = "A page of products", body = ProductPage)))]
pub(super) async fn list_products(
    State(state): State<ApiState>,
    _: Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: ProductQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let filter = ProductFilter {
        id: text(q.id),
        name: text(q.name),
        hierarchy_level: text(q.hierarchy_level),
        valid_on: instant(&mut v, "valid_on", q.valid_on),
    };
    let page = page(&mut v, q.limit, q.cursor);
    finish(v)?;
    let found = state.app.products.list(&filter, &page).await?;
    Ok(axum::Json(ProductPage::from(found)).into_response())
}

/// Creates a product (its key is generated from the name when absent).
#[utoipa::path(post, path = "/v1/products", tag = "products", request_body = NewProduct,
    responses(
        (status = 201, description = "Created", body = Product, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The key is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn create_product(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    JsonBody(input): JsonBody<NewProduct>,
) -> ApiResult<Response> {
    let product = state.app.products.create(&actor, input).await?;
    Ok(created(
        format!("/v1/products/{}", product.id),
        product.version,
        product,
    ))
}

/// Reads a product; `ETag` is its version.
#[utoipa::path(get, path = "/v1/products/{id}", tag = "products", params(("id" = String, Path, description = "Product key")),
    responses(
        (status = 200, description = "The product", body = Product, headers(("ETag" = String))),
        (status = 404, description = "No such product", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn get_product(
    State(state): State<ApiState>,
    _: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let product = state.app.products.get(&id).await?;
    Ok(current(product.version, product))
}

/// Changes a product: absent fields keep their value, `hierarchy_level: ""` clears it.
#[utoipa::path(put, path = "/v1/products/{id}", tag = "products", request_body = ProductChanges,
    params(("id" = String, Path, description = "Product key"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    responses(
        (status = 200, description = "Changed", body = Product, headers(("ETag" = String))),
        (status = 404, description = "No such product", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The product changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn update_product(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    JsonBody(changes): JsonBody<ProductChanges>,
) -> ApiResult<Response> {
    let product = (state
        .app
        .products
        .update(&actor, &id, changes, if_match.0)
        .await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(current(product.version, product))
}

/// Deletes a product.
#[utoipa::path(delete, path = "/v1/products/{id}", tag = "products",
    params(("id" = String, Path, description = "Product key"), ("If-Match" = Option<String>, Header, description = "The ETag the delete is based on")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such product", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The product changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn delete_product(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    (state.app.products.delete(&actor, &id, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(StatusCode::NO_CONTENT)
}
