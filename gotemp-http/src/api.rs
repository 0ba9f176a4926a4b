//! The `/v1` resources. Each handler carries its OpenAPI description, so the document served at
//! `/openapi.json` is generated from the code that answers.

use crate::ApiState;
use crate::extract::{
    Caller, IfMatch, JsonBody, etag, finish, instant, int, page, parse_query, path_id, text,
};
use crate::problem::{ApiResult, PROBLEM_JSON, Problem, ProblemDetails};
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gotemp_core::entities::*;
use gotemp_core::error::Violations;
use gotemp_core::event::ActionType;
use gotemp_core::page::Page;
use gotemp_core::{ConflictKind, Error, FieldError};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gotemp",
        description = "Users and authentication, customers, products, promotions and the audit trail of every change. Every route but login and validate needs `Authorization: Bearer <token>` from `POST /v1/auth/login`. Errors are `application/problem+json`; validation failures list every field in `errors`.",
    ),
    components(schemas(ProblemDetails, FieldError)),
    tags(
        (name = "auth", description = "Log in and check tokens"),
        (name = "users", description = "People who can log in"),
        (name = "customers", description = "Customers (master data)"),
        (name = "products", description = "Products and categories (master data)"),
        (name = "promotions", description = "Promotions a customer gets on products"),
        (name = "audit", description = "The history of every change"),
    )
)]
struct ApiDoc;

pub(crate) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(login))
        .routes(routes!(validate))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(list_customers, create_customer))
        .routes(routes!(get_customer, update_customer, delete_customer))
        .routes(routes!(list_products, create_product))
        .routes(routes!(get_product, update_product, delete_product))
        .routes(routes!(list_promotions, create_promotion))
        .routes(routes!(get_promotion, update_promotion, delete_promotion))
        .routes(routes!(list_audit))
        .routes(routes!(audit_buckets))
        .routes(routes!(get_audit))
        .merge(crate::hierarchy::routes())
}

/// Completes the generated document: the bearer scheme, and the error responses every operation
/// can give (documented once here rather than on each handler).
pub(crate) fn document(mut doc: Document) -> Document {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .build(),
        ),
    );
    let problem = |description: &str| {
        RefOr::T(
            utoipa::openapi::ResponseBuilder::new()
                .description(description)
                .content(
                    PROBLEM_JSON,
                    utoipa::openapi::ContentBuilder::new()
                        .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                            "ProblemDetails",
                        ))))
                        .build(),
                )
                .build(),
        )
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let public = path.starts_with("/v1/auth/");
        let operations = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.delete.as_mut(),
        ];
        for op in operations.into_iter().flatten() {
            let has_body = op.request_body.is_some();
            let responses = &mut op.responses.responses;
            let mut add = |code: &str, description: &str| {
                responses
                    .entry(code.to_owned())
                    .or_insert_with(|| problem(description));
            };
            if !public {
                add("401", "Missing, expired or invalid bearer token");
            }
            if has_body {
                add("413", "Request body too large");
                add("415", "Request body is not JSON");
            }
            add(
                "422",
                "Invalid input: every failing field is listed in `errors`",
            );
            add(
                "500",
                "Internal error; the body names the request id to report",
            );
            add(
                "503",
                "A backend is unavailable or the request timed out; retry",
            );
            if !public {
                op.security = Some(vec![utoipa::openapi::security::SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
            }
        }
    }
    doc
}

/// A write whose stale version was named by `If-Match` fails the precondition (412); without
/// `If-Match` a concurrent change is a plain conflict (409).
fn write_error(error: Error, if_match: &IfMatch) -> Problem {
    match error {
        Error::Conflict {
            kind: ConflictKind::StaleVersion,
            message,
            ..
        } if if_match.0.is_some() => Problem::precondition_failed(message),
        other => other.into(),
    }
}

/// 201 with `Location` and `ETag`.
fn created<T: Serialize>(location: String, version: i64, body: T) -> Response {
    let mut response = (StatusCode::CREATED, etag(version), axum::Json(body)).into_response();
    if let Ok(value) = location.parse() {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// 200 with `ETag`.
fn current<T: Serialize>(version: i64, body: T) -> Response {
    (etag(version), axum::Json(body)).into_response()
}

macro_rules! page_type {
    ($name:ident, $item:ty) => {
        /// One page of results; pass `next_cursor` back as `cursor` for the next one.
        #[derive(Serialize, ToSchema)]
        pub struct $name {
            /// The rows of this page.
            items: Vec<$item>,
            /// Absent on the last page.
            next_cursor: Option<String>,
        }

        impl From<Page<$item>> for $name {
            fn from(page: Page<$item>) -> Self {
                Self {
                    items: page.items,
                    next_cursor: page.next_cursor,
                }
            }
        }
    };
}

page_type!(UserPage, User);
page_type!(CustomerPage, Customer);
page_type!(ProductPage, Product);
page_type!(PromotionPage, Promotion);
page_type!(AuditPage, AuditRecord);

// ---------------------------------------------------------------------------------------------
// auth

/// Credentials.
#[derive(Deserialize, ToSchema)]
struct LoginRequest {
    /// The user's e-mail.
    #[serde(default)]
    email: String,
    /// The user's password.
    #[serde(default = "empty_secret")]
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

fn empty_secret() -> SecretString {
    SecretString::from("")
}

/// A bearer token and whom it stands for.
#[derive(Serialize, ToSchema)]
struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    /// When the token stops being accepted.
    expires_at: DateTime<Utc>,
    /// The user who logged in.
    user: User,
}

/// Logs in: e-mail and password for a token.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Unknown e-mail, wrong password, or an inactive or expired user (deliberately not told apart)", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
async fn login(
    State(state): State<ApiState>,
    JsonBody(body): JsonBody<LoginRequest>,
) -> ApiResult<Response> {
    let outcome = state.app.users.login(&body.email, &body.password).await?;
    Ok(axum::Json(LoginResponse {
        token: outcome.token,
        expires_at: outcome.expires_at,
        user: outcome.user,
    })
    .into_response())
}

/// A token to check.
#[derive(Deserialize, ToSchema)]
struct ValidateRequest {
    /// The token.
    #[serde(default)]
    token: String,
}

/// Whether a token is accepted, and for whom.
#[derive(Serialize, ToSchema)]
struct ValidateResponse {
    /// Whether the token is valid now.
    valid: bool,
    /// The user it stands for, when valid.
    user_id: Option<i64>,
    /// When it expires, when valid.
    expires_at: Option<DateTime<Utc>>,
}

/// Checks a token (for services and gateways that do not hold the signing secret).
#[utoipa::path(post, path = "/v1/auth/validate", tag = "auth", request_body = ValidateRequest,
    responses((status = 200, description = "The verdict (an invalid token is `valid: false`, not an error)", body = ValidateResponse)))]
async fn validate(
    State(state): State<ApiState>,
    JsonBody(body): JsonBody<ValidateRequest>,
) -> ApiResult<Response> {
    let answer = match state.app.users.validate_token(&body.token) {
        Ok(verified) => ValidateResponse {
            valid: true,
            user_id: Some(verified.actor.user_id),
            expires_at: Some(verified.expires_at),
        },
        Err(Error::Unauthenticated(_)) => ValidateResponse {
            valid: false,
            user_id: None,
            expires_at: None,
        },
        Err(other) => return Err(other.into()),
    };
    Ok(axum::Json(answer).into_response())
}

// ---------------------------------------------------------------------------------------------
// users

/// User search; every given filter must match.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct UserQuery {
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
async fn list_users(
    State(state): State<ApiState>,
    _: Caller,
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
    let found = state.app.users.list(&filter, &page).await?;
    Ok(axum::Json(UserPage::from(found)).into_response())
}

/// Creates a user; the password is stored only as a hash and never returned.
#[utoipa::path(post, path = "/v1/users", tag = "users", request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = User, headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "The e-mail is taken", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
async fn create_user(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    JsonBody(input): JsonBody<NewUser>,
) -> ApiResult<Response> {
    let user = state.app.users.create(&actor, input).await?;
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
async fn get_user(
    State(state): State<ApiState>,
    _: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let user = state.app.users.get(path_id(&id)?).await?;
    Ok(current(user.version, user))
}

/// Changes a user: absent fields keep their value, `company: ""` clears it.
#[utoipa::path(put, path = "/v1/users/{id}", tag = "users", request_body = UserChanges,
    params(("id" = i64, Path, description = "User id"), ("If-Match" = Option<String>, Header, description = "The ETag the change is based on")),
    responses(
        (status = 200, description = "Changed", body = User, headers(("ETag" = String))),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail is taken, or the user changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
async fn update_user(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    JsonBody(changes): JsonBody<UserChanges>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let user = (state
        .app
        .users
        .update(&actor, id, changes, if_match.0)
        .await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(current(user.version, user))
}

/// Deletes a user.
#[utoipa::path(delete, path = "/v1/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id"), ("If-Match" = Option<String>, Header, description = "The ETag the delete is based on")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The user changed meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "If-Match names a version that is no longer current", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
async fn delete_user(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    let id = path_id(&id)?;
    (state.app.users.delete(&actor, id, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// customers

/// Customer search.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct CustomerQuery {
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
async fn list_customers(
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
async fn create_customer(
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
async fn get_customer(
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
async fn update_customer(
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
async fn delete_customer(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    (state.app.customers.delete(&actor, &id, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// products

/// Product search.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ProductQuery {
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
async fn list_products(
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
async fn create_product(
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
async fn get_product(
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
async fn update_product(
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
async fn delete_product(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    (state.app.products.delete(&actor, &id, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// promotions

/// Promotion search.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PromotionQuery {
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
async fn list_promotions(
    State(state): State<ApiState>,
    _: Caller,
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
    let found = state.app.promotions.list(&filter, &page).await?;
    Ok(axum::Json(PromotionPage::from(found)).into_response())
}

/// Creates a promotion for an existing customer.
#[utoipa::path(post, path = "/v1/promotions", tag = "promotions", request_body = NewPromotion,
    responses((status = 201, description = "Created", body = Promotion, headers(("Location" = String), ("ETag" = String)))))]
async fn create_promotion(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    JsonBody(input): JsonBody<NewPromotion>,
) -> ApiResult<Response> {
    let promotion = state.app.promotions.create(&actor, input).await?;
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
async fn get_promotion(
    State(state): State<ApiState>,
    _: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let promotion = state.app.promotions.get(path_id(&id)?).await?;
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
async fn update_promotion(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    JsonBody(changes): JsonBody<PromotionChanges>,
) -> ApiResult<Response> {
    let id = path_id(&id)?;
    let promotion = (state
        .app
        .promotions
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
async fn delete_promotion(
    State(state): State<ApiState>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
) -> ApiResult<StatusCode> {
    let id = path_id(&id)?;
    (state.app.promotions.delete(&actor, id, if_match.0).await)
        .map_err(|e| write_error(e, &if_match))?;
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------------
// audit

/// Audit search; every given filter must match.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Object name (`user`, `customer`, `product`, `promotion`).
    object_name: Option<String>,
    /// Object id (usually with `object_name`).
    object_id: Option<String>,
    /// The acting user's id.
    #[param(value_type = Option<i64>)]
    performed_by: Option<String>,
    /// Owning service.
    service: Option<String>,
    /// `insert`, `update` or `delete`.
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
                format!("action_type must be insert, update or delete, got {raw:?}"),
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
async fn list_audit(
    State(state): State<ApiState>,
    _: Caller,
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
    let found = state.app.audit.list(&filter, &page).await?;
    Ok(axum::Json(AuditPage::from(found)).into_response())
}

/// Reads one audit record.
#[utoipa::path(get, path = "/v1/audit/{id}", tag = "audit", params(("id" = i64, Path, description = "Audit record id")),
    responses(
        (status = 200, description = "The record", body = AuditRecord),
        (status = 404, description = "No such record", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
async fn get_audit(
    State(state): State<ApiState>,
    _: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let record = state.app.audit.get(path_id(&id)?).await?;
    Ok(axum::Json(record).into_response())
}

/// Counting per time bucket.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct BucketQuery {
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
    /// `insert`, `update` or `delete`.
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
struct BucketsResponse {
    /// The bucket width in seconds.
    width_secs: i64,
    /// Buckets with at least one change, oldest first.
    buckets: Vec<BucketCount>,
}

/// Counts changes per time bucket, oldest first.
#[utoipa::path(get, path = "/v1/audit/buckets", tag = "audit", params(BucketQuery),
    responses((status = 200, description = "Counts per bucket", body = BucketsResponse)))]
async fn audit_buckets(
    State(state): State<ApiState>,
    _: Caller,
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
                        format!("width must be a duration such as 30s, 15m, 1h or 1d, got {raw:?}"),
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
    let buckets = state.app.audit.count_by_bucket(&filter, width).await?;
    Ok(axum::Json(BucketsResponse {
        width_secs: width.num_seconds(),
        buckets,
    })
    .into_response())
}
