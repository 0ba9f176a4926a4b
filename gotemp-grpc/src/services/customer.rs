//! `gotemp.customer.v1.CustomerService`.

use super::links;
use crate::auth::Authenticator;
use crate::convert::{from_struct, instant, link, page, page_request, timestamp, to_struct};
use crate::pb::customer as pb;
use crate::pb::hierarchy as h;
use crate::status::IntoStatus as _;
use gotemp_core::Result;
use gotemp_core::entities::{Customer, CustomerChanges, CustomerFilter, NewCustomer, Related};
use gotemp_core::services::CustomerService;
use tonic::{Request, Response, Status};

/// The customer service over gRPC.
pub struct CustomerGrpc {
    customers: CustomerService,
    auth: Authenticator,
}

impl CustomerGrpc {
    /// Serves `customers`, checking callers with `auth`.
    pub fn new(customers: CustomerService, auth: Authenticator) -> Self {
        Self { customers, auth }
    }

    /// The tonic service, ready to be added to a server.
    pub fn into_server(self) -> pb::customer_service_server::CustomerServiceServer<Self> {
        pb::customer_service_server::CustomerServiceServer::new(self)
    }
}

fn customer(c: Customer) -> pb::Customer {
    pb::Customer {
        id: c.id,
        name: c.name,
        valid_from: timestamp(c.valid_from),
        valid_thru: timestamp(c.valid_thru),
        extra_fields: Some(to_struct(c.extra_fields)),
        created_at: timestamp(c.created_at),
        updated_at: timestamp(c.updated_at),
        modified_by: c.modified_by,
        version: c.version,
    }
}

fn linked(items: Vec<Related<Customer>>) -> pb::LinkedCustomers {
    let items = items.into_iter().map(|r| pb::LinkedCustomer {
        link: Some(link(r.link)),
        customer: Some(customer(r.object)),
    });
    pb::LinkedCustomers {
        items: items.collect(),
    }
}

#[tonic::async_trait]
impl pb::customer_service_server::CustomerService for CustomerGrpc {
    async fn get_customer(
        &self,
        request: Request<pb::GetCustomerRequest>,
    ) -> std::result::Result<Response<pb::Customer>, Status> {
        self.auth.caller(&request).await?;
        let found = self
            .customers
            .get(&request.into_inner().id)
            .await
            .or_status()?;
        Ok(Response::new(customer(found)))
    }

    async fn list_customers(
        &self,
        request: Request<pb::ListCustomersRequest>,
    ) -> std::result::Result<Response<pb::ListCustomersResponse>, Status> {
        self.auth.caller(&request).await?;
        let r = request.into_inner();
        let filter = (|| -> Result<CustomerFilter> {
            Ok(CustomerFilter {
                id: r.id.clone(),
                name: r.name.clone(),
                valid_on: instant("valid_on", r.valid_on)?,
            })
        })()
        .or_status()?;
        let found = self
            .customers
            .list(&filter, &page_request(r.page_size, r.page_token))
            .await
            .or_status()?;
        let (customers, next_page_token) = page(found, customer);
        Ok(Response::new(pb::ListCustomersResponse {
            customers,
            next_page_token,
        }))
    }

    async fn create_customer(
        &self,
        request: Request<pb::CreateCustomerRequest>,
    ) -> std::result::Result<Response<pb::Customer>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let input = NewCustomer {
            valid_from: instant("valid_from", r.valid_from).or_status()?,
            valid_thru: instant("valid_thru", r.valid_thru).or_status()?,
            id: r.id,
            name: r.name,
            extra_fields: r.extra_fields.map(from_struct),
        };
        let created = self.customers.create(&actor, input).await.or_status()?;
        Ok(Response::new(customer(created)))
    }

    async fn update_customer(
        &self,
        request: Request<pb::UpdateCustomerRequest>,
    ) -> std::result::Result<Response<pb::Customer>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let changes = CustomerChanges {
            valid_from: instant("valid_from", r.valid_from).or_status()?,
            valid_thru: instant("valid_thru", r.valid_thru).or_status()?,
            name: r.name,
            extra_fields: r.extra_fields.map(from_struct),
        };
        let updated = self
            .customers
            .update(&actor, &r.id, changes, r.version)
            .await
            .or_status()?;
        Ok(Response::new(customer(updated)))
    }

    async fn delete_customer(
        &self,
        request: Request<pb::DeleteCustomerRequest>,
    ) -> std::result::Result<Response<pb::Customer>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let deleted = self
            .customers
            .delete(&actor, &r.id, r.version)
            .await
            .or_status()?;
        Ok(Response::new(customer(deleted)))
    }

    async fn list_children(
        &self,
        request: Request<h::ListLinkedRequest>,
    ) -> std::result::Result<Response<pb::LinkedCustomers>, Status> {
        let (id, valid_on) = links::listed(&self.auth, request).await?;
        let found = self.customers.children(&id, valid_on).await.or_status()?;
        Ok(Response::new(linked(found)))
    }

    async fn list_parents(
        &self,
        request: Request<h::ListLinkedRequest>,
    ) -> std::result::Result<Response<pb::LinkedCustomers>, Status> {
        let (id, valid_on) = links::listed(&self.auth, request).await?;
        let found = self.customers.parents(&id, valid_on).await.or_status()?;
        Ok(Response::new(linked(found)))
    }

    async fn add_child(
        &self,
        request: Request<h::AddLinkRequest>,
    ) -> std::result::Result<Response<h::Link>, Status> {
        let (actor, id, input) = links::adding(&self.auth, request).await?;
        links::answer(self.customers.add_child(&actor, &id, input).await)
    }

    async fn remove_child(
        &self,
        request: Request<h::RemoveLinkRequest>,
    ) -> std::result::Result<Response<h::Link>, Status> {
        let (actor, id, other) = links::removing(&self.auth, request).await?;
        links::answer(self.customers.remove_child(&actor, &id, &other).await)
    }
}
