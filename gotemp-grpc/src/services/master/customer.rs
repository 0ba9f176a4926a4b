//! `gotemp.customer.v1.CustomerService`: the customer messages and their conversions.

use super::{Answer, MasterGrpc, MasterMessages};
use crate::convert::{from_struct, instant, link, page_request, timestamp, to_struct};
use crate::pb::customer as pb;
use crate::pb::customer::customer_service_server::{CustomerService, CustomerServiceServer};
use crate::pb::hierarchy as h;
use gotemp_core::Result;
use gotemp_core::entities::{Customer, CustomerChanges, CustomerFilter, NewCustomer, Related};
use gotemp_core::page::PageRequest;
use tonic::Request;

impl MasterMessages for Customer {
    type Message = pb::Customer;
    type Linked = pb::LinkedCustomers;
    type GetRequest = pb::GetCustomerRequest;
    type ListRequest = pb::ListCustomersRequest;
    type ListResponse = pb::ListCustomersResponse;
    type CreateRequest = pb::CreateCustomerRequest;
    type UpdateRequest = pb::UpdateCustomerRequest;
    type DeleteRequest = pb::DeleteCustomerRequest;

    fn message(self) -> pb::Customer {
        pb::Customer {
            id: self.id,
            name: self.name,
            valid_from: timestamp(self.valid_from),
            valid_thru: timestamp(self.valid_thru),
            extra_fields: Some(to_struct(self.extra_fields)),
            created_at: timestamp(self.created_at),
            updated_at: timestamp(self.updated_at),
            modified_by: self.modified_by,
            version: self.version,
        }
    }

    fn linked(items: Vec<Related<Customer>>) -> pb::LinkedCustomers {
        let items = items.into_iter().map(|r| pb::LinkedCustomer {
            link: Some(link(r.link)),
            customer: Some(r.object.message()),
        });
        pb::LinkedCustomers {
            items: items.collect(),
        }
    }

    fn get_id(request: pb::GetCustomerRequest) -> String {
        request.id
    }

    fn search(r: pb::ListCustomersRequest) -> Result<(CustomerFilter, PageRequest)> {
        let filter = CustomerFilter {
            id: r.id,
            name: r.name,
            valid_on: instant("valid_on", r.valid_on)?,
        };
        Ok((filter, page_request(r.page_size, r.page_token)))
    }

    fn listed(customers: Vec<pb::Customer>, next_page_token: String) -> pb::ListCustomersResponse {
        pb::ListCustomersResponse {
            customers,
            next_page_token,
        }
    }

    fn new_input(r: pb::CreateCustomerRequest) -> Result<NewCustomer> {
        Ok(NewCustomer {
            valid_from: instant("valid_from", r.valid_from)?,
            valid_thru: instant("valid_thru", r.valid_thru)?,
            id: r.id,
            name: r.name,
            extra_fields: r.extra_fields.map(from_struct),
        })
    }

    fn changes(r: pb::UpdateCustomerRequest) -> Result<(String, CustomerChanges, Option<i64>)> {
        let changes = CustomerChanges {
            valid_from: instant("valid_from", r.valid_from)?,
            valid_thru: instant("valid_thru", r.valid_thru)?,
            name: r.name,
            extra_fields: r.extra_fields.map(from_struct),
        };
        Ok((r.id, changes, r.version))
    }

    fn deleted(r: pb::DeleteCustomerRequest) -> (String, Option<i64>) {
        (r.id, r.version)
    }
}

master_rpcs!(
    Customer, CustomerServiceServer, CustomerService,
    get: get_customer, list: list_customers, create: create_customer, update: update_customer,
    delete: delete_customer {}
);
