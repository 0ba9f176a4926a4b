//! Products and categories (master data): their search and their wording; the handlers are
//! [`master`](super::master)'s.

use super::master::{self, Search, master_data_routes};
use super::*;
use gotemp_core::page::PageRequest;

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

impl Search for ProductQuery {
    type Entity = Product;
    fn read(self, v: &mut Violations) -> (ProductFilter, PageRequest) {
        let filter = ProductFilter {
            id: text(self.id),
            name: text(self.name),
            hierarchy_level: text(self.hierarchy_level),
            valid_on: instant(v, "valid_on", self.valid_on),
        };
        (filter, page(v, self.limit, self.cursor))
    }
}

master_data_routes! {
    service: products,
    entity: Product,
    new: NewProduct,
    changes: ProductChanges,
    search: ProductQuery,
    page: ProductPage,
    collection: "/v1/products",
    item: "/v1/products/{id}",
    tag: "products",
    key: "Product key",
    missing: "No such product",
    list: list_products, "Lists products.", "A page of products",
    create: create_product, "Creates a product (its key is generated from the name when absent).",
    get: get_product, "Reads a product; `ETag` is its version.", "The product",
    update: update_product, "Changes a product: absent fields keep their value, `hierarchy_level: \"\"` clears it.",
        "The product changed meanwhile",
    delete: delete_product, "Deletes a product.", "The product changed meanwhile",
}
