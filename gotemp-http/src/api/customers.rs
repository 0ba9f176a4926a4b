//! Customers (master data): their search and their wording; the handlers are
//! [`master`](super::master)'s.

use super::master::{self, Search, master_data_routes};
use super::*;
use gotemp_core::page::PageRequest;

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

impl Search for CustomerQuery {
    type Entity = Customer;
    fn read(self, v: &mut Violations) -> (CustomerFilter, PageRequest) {
        let filter = CustomerFilter {
            id: text(self.id),
            name: text(self.name),
            valid_on: instant(v, "valid_on", self.valid_on),
        };
        (filter, page(v, self.limit, self.cursor))
    }
}

master_data_routes! {
    service: customers,
    entity: Customer,
    new: NewCustomer,
    changes: CustomerChanges,
    search: CustomerQuery,
    page: CustomerPage,
    collection: "/v1/customers",
    item: "/v1/customers/{id}",
    tag: "customers",
    key: "Customer key",
    missing: "No such customer",
    list: list_customers, "Lists customers.", "A page of customers",
    create: create_customer, "Creates a customer (its key is generated from the name when absent).",
    get: get_customer, "Reads a customer; `ETag` is its version.", "The customer",
    update: update_customer, "Changes a customer: absent fields keep their value.",
        "The customer changed meanwhile",
    delete: delete_customer, "Deletes a customer no promotion names.",
        "Promotions still name the customer, or it changed meanwhile",
}
