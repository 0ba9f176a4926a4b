//! Services another process serves, called over gRPC through [`Instances`]: the customer
//! directory the promotion service needs when customers are deployed apart.

use crate::auth::{caller_token, set_bearer};
use crate::discovery::Instances;
use crate::pb::customer::GetCustomerRequest;
use crate::pb::customer::customer_service_client::CustomerServiceClient;
use async_trait::async_trait;
use gotemp_core::ports::CustomerDirectory;
use gotemp_core::{Error, Result};
use tonic::{Code, Request};

/// Customer names and existence from a customer service deployed apart. Calls carry the token
/// of the request being served (the caller's rights, nothing more), and go to any live
/// instance.
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
    async fn customer_name(&self, id: &str) -> Result<Option<String>> {
        let token = caller_token().ok_or_else(|| {
            Error::Unavailable("no caller token to ask the customer service with".into())
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
            Ok(customer) => Ok(Some(customer.into_inner().name)),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) if status.code() == Code::Unavailable => Err(Error::Unavailable(format!(
                "customer service: {}",
                status.message()
            ))),
            Err(status) => Err(Error::Internal(format!("customer service: {status}"))),
        }
    }
}
