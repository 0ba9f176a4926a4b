//! Promotions, each read with its customer's name.

use super::*;

/// Promotion search.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct PromotionQuery {
    /// Exact id.
    #[param(value_type = Option<i64>)]
    id: Option<String>,
    /// Exact name.
    name: Option<String>,
    /// Promotions that include this product.
    product_id: Option<String>,
    /// Promotions for this customer.
    customer_id: Option<String>,
    /// Valid at this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    valid_on: Option<String>,
    /// Rows per page, 1 to 500 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

/// Lists promotions, each with its customer's name.
#[utoipa::path(get, path = "/v1/promotions", tag = "promotions", params(PromotionQuery),
    responses((status = 200, description = "A page of promotions", body = PromotionPage)))]
pub(super) async fn list_promotions(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let q: PromotionQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let filter = PromotionFilter {
        id: int(&mut v, "id", q.id),
        name: text(q.name),
        product_id: text(q.product_id),
        customer_id: text(q.customer_id),
        valid_on: instant(&mut v, "valid_on", q.valid_on),
    };
    let page = page(&mut v, q.limit, q.cursor);
    finish(v)?;
    let found = state.app.promotions().list(&actor, &filter, &page).await?;
    Ok(axum::Json(PromotionPage::from(found)).into_response())
}

/// Creates a promotion for an existing customer.
#[utoipa::path(post, path = "/v1/promotions", tag = "promotions", request_body = NewPromotion,
    responses((status = 201, description = "Created", body = Promotion, headers(("Location" = String), ("ETag" = String)))))]
pub(super) async fn create_promotion(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    JsonBody(input): JsonBody<NewPromotion>,
) -> ApiResult<Response> {
    let promotion = state.app.promotions().create(&actor, input).await?;
    Ok(created(
        format!("/v1/promotions/{}", promotion.id),
        promotion.version,
        promotion,
    ))
}

/// Reads a promotion; `ETag` is its version.
#[utoipa::path(get, path = "/v1/promotions/{id}", tag = "promotions", params(("id" = i64, Path, description = "Promotion id")),
    responses(
        (status = 200, description = "The promotion", body = Promotion, headers(("ETag" = String))),
        (status = 404, description = "No such promotion", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn get_promotion(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let promotion = state.app.promotions().get(&actor, path_id(&id)?).await?;
    Ok(current(promotion.version, promotion))
}

/// Changes a promotion: absent fields keep their value, `products` replaces the list.
#[utoipa::path(put, path = "/v1/promotions/{id}", tag = "promotions", request_body = PromotionChanges,
    params(("id" = i64, Path, description = "Promotion id"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    responses(
        (status = 200, description = "Changed", body = Promotion, headers(("ETag" = String))),
        (status = 404, description = "No such promotion", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The promotion changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn update_promotion(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    JsonBody(changes): JsonBody<PromotionChanges>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let promotion = (state
        .app
        .promotions()
        .update(&actor, id, changes, if_match.0)
        .await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(current(promotion.version, promotion))
}

/// Deletes a promotion still in its initial approval state.
#[utoipa::path(delete, path = "/v1/promotions/{id}", tag = "promotions",
    params(("id" = i64, Path, description = "Promotion id"), ("If-Match" = Option<String>, Header, description = "The ETag the delete is based on")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such promotion", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "Past its initial approval state, or changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn delete_promotion(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    let id = path_id(&id)?;
    (state.app.promotions().delete(&actor, id, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(StatusCode::NO_CONTENT)
}
