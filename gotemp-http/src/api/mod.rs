//! The `/v1` resources. Each handler carries its OpenAPI description, so the document served at
//! `/openapi.json` is generated from the code that answers.

use crate::ApiState;
use crate::extract::{
    Caller, ClientAddr, IfMatch, JsonBody, etag, finish, instant, int, page, parse_query, path_id,
    text,
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

mod audit;
mod audit_chain;
mod auth;
mod customers;
mod hierarchy;
mod master;
mod products;
mod promotions;
mod tenants;
mod users;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "gotemp",
        description = "Users and authentication, customers, products, promotions and the audit trail of every change. Every route but login and validate needs `Authorization: Bearer <token>` from `POST /v1/auth/login`, and is allowed or refused (403) by the caller's roles: `admin` everything, `editor` reads and changes customers, products and promotions, `viewer` reads them, `auditor` reads everything including users and the audit trail; every user reads and changes (names, company, password) itself. Errors are `application/problem+json`; validation failures list every field in `errors`.",
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

/// The resources of a deployment: those of a single-tenant one, and the tenants for the
/// platform's operators in a multi-tenant one (`multi`).
pub(crate) fn routes(multi: bool) -> OpenApiRouter<ApiState> {
    let routes = common_routes();
    if !multi {
        return routes;
    }
    routes
        .routes(routes!(tenants::list_tenants, tenants::create_tenant))
        .routes(routes!(
            tenants::get_tenant,
            tenants::update_tenant,
            tenants::delete_tenant
        ))
}

fn common_routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::validate))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::register))
        .routes(routes!(auth::options))
        .routes(routes!(users::get_me))
        .routes(routes!(users::get_my_tenant))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::delete_user
        ))
        .routes(routes!(
            customers::list_customers,
            customers::create_customer
        ))
        .routes(routes!(
            customers::get_customer,
            customers::update_customer,
            customers::delete_customer
        ))
        .routes(routes!(products::list_products, products::create_product))
        .routes(routes!(
            products::get_product,
            products::update_product,
            products::delete_product
        ))
        .routes(routes!(
            promotions::list_promotions,
            promotions::create_promotion
        ))
        .routes(routes!(
            promotions::get_promotion,
            promotions::update_promotion,
            promotions::delete_promotion
        ))
        .routes(routes!(audit::list_audit))
        .routes(routes!(audit::audit_buckets))
        .routes(routes!(audit::get_audit))
        .routes(routes!(audit::list_dead_letters))
        .routes(routes!(audit::replay_dead_letter))
        .routes(routes!(audit_chain::verify_audit))
        .routes(routes!(audit_chain::get_checkpoint))
        .routes(routes!(audit_chain::checkpoint_key))
        .merge(hierarchy::routes())
}

/// The routes that need no token.
pub(crate) const PUBLIC_PATHS: [&str; 4] = [
    "/v1/auth/login",
    "/v1/auth/validate",
    "/v1/auth/register",
    "/v1/auth/options",
];

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
        let public = PUBLIC_PATHS.contains(&path.as_str());
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
                add(
                    "403",
                    "The caller's roles do not grant this; the body names the permission",
                );
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
page_type!(TenantPage, Tenant);
