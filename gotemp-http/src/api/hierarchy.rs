//! Hierarchies: a customer's children and parents (sold-to, pay-to), a product's children,
//! parents (categories) and components, and the links between them.

use crate::ApiState;
use crate::extract::{Caller, JsonBody, finish, instant, parse_query};
use crate::problem::{ApiResult, ProblemDetails};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gotemp_core::entities::{Customer, Link, NewLink, Product, Related};
use gotemp_core::error::Violations;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(crate) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new()
        .routes(routes!(customer_children, add_customer_child))
        .routes(routes!(customer_parents))
        .routes(routes!(remove_customer_child))
        .routes(routes!(product_children, add_product_child))
        .routes(routes!(product_parents))
        .routes(routes!(product_components, add_product_component))
        .routes(routes!(remove_product_child))
        .routes(routes!(remove_product_component))
}

/// Which links to follow.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct LinkedQuery {
    /// Only links valid at this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    valid_on: Option<String>,
}

fn valid_on(raw: Option<String>) -> ApiResult<Option<DateTime<Utc>>> {
    let q: LinkedQuery = parse_query(raw.as_deref())?;
    let mut v = Violations::default();
    let at = instant(&mut v, "valid_on", q.valid_on);
    finish(v)?;
    Ok(at)
}

/// A linked customer and the link that leads to it.
#[derive(Serialize, ToSchema)]
struct LinkedCustomer {
    link: Link,
    customer: Customer,
}

/// Customers linked to the one asked about, ordered by id.
#[derive(Serialize, ToSchema)]
struct LinkedCustomers {
    items: Vec<LinkedCustomer>,
}

impl From<Vec<Related<Customer>>> for LinkedCustomers {
    fn from(items: Vec<Related<Customer>>) -> Self {
        let items = items.into_iter().map(|r| LinkedCustomer {
            link: r.link,
            customer: r.object,
        });
        Self {
            items: items.collect(),
        }
    }
}

/// A linked product and the link that leads to it.
#[derive(Serialize, ToSchema)]
struct LinkedProduct {
    link: Link,
    product: Product,
}

/// Products linked to the one asked about, ordered by id.
#[derive(Serialize, ToSchema)]
struct LinkedProducts {
    items: Vec<LinkedProduct>,
}

impl From<Vec<Related<Product>>> for LinkedProducts {
    fn from(items: Vec<Related<Product>>) -> Self {
        let items = items.into_iter().map(|r| LinkedProduct {
            link: r.link,
            product: r.object,
        });
        Self {
            items: items.collect(),
        }
    }
}

/// A list of neighbours: `GET /v1/<things>/{id}/<which>?valid_on=`.
macro_rules! neighbours {
    ($name:ident, $path:literal, $tag:literal, $service:ident, $method:ident, $body:ty, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(get, path = $path, tag = $tag, params(("id" = String, Path, description = "Key"), LinkedQuery),
            responses(
                (status = 200, description = $doc, body = $body),
                (status = 404, description = "No such object", body = ProblemDetails, content_type = "application/problem+json"),
            ))]
        async fn $name(
            State(state): State<ApiState>,
            Caller(actor): Caller,
            Path(id): Path<String>,
            RawQuery(raw): RawQuery,
        ) -> ApiResult<Response> {
            let at = valid_on(raw)?;
            let found = state.app.$service().$method(&actor, &id, at).await?;
            Ok(axum::Json(<$body>::from(found)).into_response())
        }
    };
}

neighbours!(
    customer_children,
    "/v1/customers/{id}/children",
    "customers",
    customers,
    children,
    LinkedCustomers,
    "The customers this one is parent of (sold-to, pay-to)."
);
neighbours!(
    customer_parents,
    "/v1/customers/{id}/parents",
    "customers",
    customers,
    parents,
    LinkedCustomers,
    "The customers this one is a child of."
);
neighbours!(
    product_children,
    "/v1/products/{id}/children",
    "products",
    products,
    children,
    LinkedProducts,
    "The products in this category."
);
neighbours!(
    product_parents,
    "/v1/products/{id}/parents",
    "products",
    products,
    parents,
    LinkedProducts,
    "The categories this product is in."
);
neighbours!(
    product_components,
    "/v1/products/{id}/components",
    "products",
    products,
    components,
    LinkedProducts,
    "The components of this product."
);

/// A new link: `POST /v1/<things>/{id}/<which>` with the other end in the body.
macro_rules! add_link {
    ($name:ident, $path:literal, $tag:literal, $service:ident, $method:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = $tag, params(("id" = String, Path, description = "Key")), request_body = NewLink,
            responses(
                (status = 201, description = "Linked", body = Link),
                (status = 404, description = "No such object", body = ProblemDetails, content_type = "application/problem+json"),
                (status = 409, description = "Linked so already, or the other end was deleted meanwhile", body = ProblemDetails, content_type = "application/problem+json"),
            ))]
        async fn $name(
            State(state): State<ApiState>,
            Caller(actor): Caller,
            Path(id): Path<String>,
            JsonBody(input): JsonBody<NewLink>,
        ) -> ApiResult<Response> {
            let link = state.app.$service().$method(&actor, &id, input).await?;
            Ok((StatusCode::CREATED, axum::Json(link)).into_response())
        }
    };
}

add_link!(
    add_customer_child,
    "/v1/customers/{id}/children",
    "customers",
    customers,
    add_child,
    "Makes the customer in the body a child of this one (`kind` `sold_to` or `pay_to`); a loop is refused."
);
add_link!(
    add_product_child,
    "/v1/products/{id}/children",
    "products",
    products,
    add_child,
    "Puts the product in the body into this category; a loop is refused."
);
add_link!(
    add_product_component,
    "/v1/products/{id}/components",
    "products",
    products,
    add_component,
    "Makes the product in the body a component of this one; a loop is refused."
);

/// A removed link: `DELETE /v1/<things>/{id}/<which>/{other}`.
macro_rules! remove_link {
    ($name:ident, $path:literal, $tag:literal, $service:ident, $method:ident, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(delete, path = $path, tag = $tag,
            params(("id" = String, Path, description = "Key"), ("other" = String, Path, description = "Key of the other end")),
            responses(
                (status = 204, description = "Unlinked"),
                (status = 404, description = "No such link", body = ProblemDetails, content_type = "application/problem+json"),
            ))]
        async fn $name(
            State(state): State<ApiState>,
            Caller(actor): Caller,
            Path((id, other)): Path<(String, String)>,
        ) -> ApiResult<StatusCode> {
            state.app.$service().$method(&actor, &id, &other).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

remove_link!(
    remove_customer_child,
    "/v1/customers/{id}/children/{other}",
    "customers",
    customers,
    remove_child,
    "Removes a child from this customer."
);
remove_link!(
    remove_product_child,
    "/v1/products/{id}/children/{other}",
    "products",
    products,
    remove_child,
    "Removes a product from this category."
);
remove_link!(
    remove_product_component,
    "/v1/products/{id}/components/{other}",
    "products",
    products,
    remove_component,
    "Removes a component from this product."
);
