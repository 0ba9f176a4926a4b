//! Services another process serves, called over gRPC through [`Instances`]: the customer
//! directory the promotion service needs when customers are deployed apart.

use crate::auth::set_bearer;
use crate::convert::{from_struct, instant};
use crate::discovery::Instances;
use crate::pb::customer::Customer as CustomerMessage;
use crate::pb::customer::GetCustomerRequest;
use crate::pb::customer::customer_service_client::CustomerServiceClient;
use async_trait::async_trait;
use gotemp_core::Actor;
use gotemp_core::entities::Customer;
use gotemp_core::ports::CustomerDirectory;
use gotemp_core::{Error, Result};
use tonic::{Code, Request};

/// Customers (their existence, name and what a policy decides on) from a customer service
/// deployed apart. Calls carry the caller's own token (the caller's rights, nothing more), and
/// go to any live instance.
pub struct RemoteCustomerDirectory {
    instances: Instances,
}

impl RemoteCustomerDirectory {
    /// Asks the customer service's `instances`.
    pub fn new(instances: Instances) -> Self {
        Self { instances }
    }
}

#[async_trait]
impl CustomerDirectory for RemoteCustomerDirectory {
    async fn customer(&self, caller: &Actor, id: &str) -> Result<Option<Customer>> {
        use secrecy::ExposeSecret as _;
        // Authentication gives every caller its credentials; only gotemp itself (seeding, a
        // tool) has none, and another process would not take its word.
        let token = (caller.credentials())
            .map(|token| token.expose_secret().to_owned())
            .ok_or_else(|| {
                Error::Unauthenticated("no bearer token to ask the customer service with".into())
            })?;
        let answer = self
            .instances
            .call(|channel| {
                let token = token.clone();
                async move {
                    let mut request = Request::new(GetCustomerRequest { id: id.to_owned() });
                    set_bearer(&mut request, &token)?;
                    CustomerServiceClient::new(channel)
                        .get_customer(request)
                        .await
                }
            })
            .await;
        match answer {
            Ok(customer) => customer_of(customer.into_inner()).map(Some),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) if status.code() == Code::Unavailable => Err(Error::unavailable_from(
                format!("customer service: {}", status.message()),
                status,
            )),
            Err(status) => Err(Error::internal_from(
                format!("customer service: {status}"),
                status,
            )),
        }
    }
}

/// The customer a customer service answered. Its timestamps are always set; one missing is the
/// other service's fault, reported as such rather than guessed.
fn customer_of(m: CustomerMessage) -> Result<Customer> {
    let at = |field: &str, t| {
        instant(field, t)
            .map_err(|e| Error::internal(format!("customer service: {e}")))?
            .ok_or_else(|| Error::internal(format!("customer service: no {field}")))
    };
    Ok(Customer {
        valid_from: at("valid_from", m.valid_from)?,
        valid_thru: at("valid_thru", m.valid_thru)?,
        created_at: at("created_at", m.created_at)?,
        updated_at: at("updated_at", m.updated_at)?,
        extra_fields: m.extra_fields.map(from_struct).unwrap_or_default(),
        id: m.id,
        name: m.name,
        modified_by: m.modified_by,
        version: m.version,
    })
}
