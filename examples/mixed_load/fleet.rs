//! Logged-in clients of every process of the cluster, one method per kind of request, each
//! answer sorted into answered, refused retriably, or failed.

use crate::Error;
use crate::cluster::Cluster;
use crate::load::{Ack, Outcome, Shared, Stable, Via, name_of};
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::{audit, customer, product, promotion, user};
use serde_json::{Value, json};
use std::future::Future;
use std::time::Duration;
use tonic::Code;
/// Logged-in clients of every process.
pub struct Fleet {
    http: reqwest::Client,
    http_urls: Vec<String>,
    http_token: String,
    customers: Vec<GotempClient>,
    products: Vec<GotempClient>,
    promotions: Vec<GotempClient>,
    audits: Vec<GotempClient>,
    users: Vec<GotempClient>,
    email: String,
    password: String,
}

/// How long a client waits for an answer before it counts the request as unanswered.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

impl Fleet {
    pub async fn connect(cluster: &Cluster) -> Result<Self, Error> {
        // The administrator of the tenant that holds the demo data (ducks, when the cluster
        // serves many tenants).
        let email = cluster.get("tenant_admin_email")?.to_owned();
        let password = cluster.get("tenant_admin_password")?.to_owned();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .pool_max_idle_per_host(64)
            .build()?;
        let http_urls = cluster.replicas("http");
        let first = http_urls.first().ok_or("the cluster has no http1")?;
        let login: Value = http
            .post(format!("{first}/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let http_token = login["token"]
            .as_str()
            .ok_or("the login answered no token")?
            .to_owned();
        let users = connect_all(&cluster.replicas("user"), None).await?;
        let mut first_user = users.first().ok_or("the cluster has no user1")?.clone();
        let token = first_user.login(&email, &password).await?.token;
        Ok(Self {
            http,
            http_urls,
            http_token,
            customers: connect_all(&cluster.replicas("customer"), Some(&token)).await?,
            products: connect_all(&cluster.replicas("product"), Some(&token)).await?,
            promotions: connect_all(&cluster.replicas("promotion"), Some(&token)).await?,
            audits: connect_all(&cluster.replicas("audit"), Some(&token)).await?,
            users,
            email,
            password,
        })
    }

    /// Replicas per service (the same for every service in the cluster).
    pub fn replicas(&self) -> usize {
        self.http_urls.len()
    }

    async fn http(
        &self,
        replica: usize,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Outcome> {
        let url = format!("{}{path}", self.http_urls[replica % self.http_urls.len()]);
        let mut request = self.http.request(method, url).bearer_auth(&self.http_token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Outcome::retriable(format!("http{}: {e}", replica + 1)))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
        }
        let detail = format!("http{}: {status} {text}", replica + 1);
        // What a client retries: overload and the server's own "not now".
        if matches!(status.as_u16(), 429 | 502 | 503 | 504) {
            Err(Outcome::retriable(detail))
        } else {
            Err(Outcome::failed(detail))
        }
    }

    pub async fn create(&self, via: Via, id: &str, name: &str) -> Result<(), Outcome> {
        match via {
            Via::Http(r) => {
                let body = json!({ "id": id, "name": name });
                self.http(r, reqwest::Method::POST, "/v1/customers", Some(body))
                    .await
                    .map(drop)
            }
            Via::Grpc(r) => {
                let c = &self.customers[r % self.customers.len()];
                grpc(
                    r,
                    c.customers()
                        .create_customer(timed(customer::CreateCustomerRequest {
                            id: Some(id.into()),
                            name: name.into(),
                            ..Default::default()
                        })),
                )
                .await
                .map(drop)
            }
        }
    }

    /// Renames without a version (last writer wins): the version it made comes back.
    pub async fn rename(&self, via: Via, id: &str, name: &str) -> Result<i64, Outcome> {
        match via {
            Via::Http(r) => {
                let path = format!("/v1/customers/{id}");
                let body = json!({ "name": name });
                let answer = self
                    .http(r, reqwest::Method::PUT, &path, Some(body))
                    .await?;
                answer["version"]
                    .as_i64()
                    .ok_or_else(|| Outcome::failed(format!("no version in {answer}")))
            }
            Via::Grpc(r) => {
                let c = &self.customers[r % self.customers.len()];
                let request = customer::UpdateCustomerRequest {
                    id: id.into(),
                    name: Some(name.into()),
                    ..Default::default()
                };
                let answer = grpc(r, c.customers().update_customer(timed(request))).await?;
                Ok(answer.version)
            }
        }
    }

    pub async fn delete(&self, via: Via, id: &str) -> Result<(), Outcome> {
        match via {
            Via::Http(r) => {
                let path = format!("/v1/customers/{id}");
                self.http(r, reqwest::Method::DELETE, &path, None)
                    .await
                    .map(drop)
            }
            Via::Grpc(r) => {
                let c = &self.customers[r % self.customers.len()];
                let request = customer::DeleteCustomerRequest {
                    id: id.into(),
                    version: None,
                };
                grpc(r, c.customers().delete_customer(timed(request)))
                    .await
                    .map(drop)
            }
        }
    }

    /// The customer's name as this process answers it (from its cache when it has it).
    pub async fn customer_name(&self, via: Via, id: &str) -> Result<String, Outcome> {
        match via {
            Via::Http(r) => {
                let path = format!("/v1/customers/{id}");
                let answer = self.http(r, reqwest::Method::GET, &path, None).await?;
                Ok(answer["name"].as_str().unwrap_or_default().to_owned())
            }
            Via::Grpc(r) => {
                let c = &self.customers[r % self.customers.len()];
                let request = customer::GetCustomerRequest { id: id.into() };
                Ok(grpc(r, c.customers().get_customer(timed(request)))
                    .await?
                    .name)
            }
        }
    }

    /// The customer name a promotion is shown with (looked up in the customer service).
    pub async fn promotion_customer(&self, via: Via, id: i64) -> Result<String, Outcome> {
        match via {
            Via::Http(r) => {
                let path = format!("/v1/promotions/{id}");
                let answer = self.http(r, reqwest::Method::GET, &path, None).await?;
                Ok(answer["customer_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned())
            }
            Via::Grpc(r) => {
                let c = &self.promotions[r % self.promotions.len()];
                let request = promotion::GetPromotionRequest { id };
                let answer = grpc(r, c.promotions().get_promotion(timed(request))).await?;
                Ok(answer.customer_name.unwrap_or_default())
            }
        }
    }

    pub async fn product(&self, via: Via) -> Result<(), Outcome> {
        match via {
            Via::Http(r) => self
                .http(r, reqwest::Method::GET, "/v1/products/switch", None)
                .await
                .map(drop),
            Via::Grpc(r) => {
                let c = &self.products[r % self.products.len()];
                let request = product::GetProductRequest {
                    id: "switch".into(),
                };
                grpc(r, c.products().get_product(timed(request)))
                    .await
                    .map(drop)
            }
        }
    }

    pub async fn audit(&self, via: Via, id: &str) -> Result<(), Outcome> {
        match via {
            Via::Http(r) => {
                let path = format!("/v1/audit?object_name=customer&object_id={id}&limit=5");
                self.http(r, reqwest::Method::GET, &path, None)
                    .await
                    .map(drop)
            }
            Via::Grpc(r) => {
                let c = &self.audits[r % self.audits.len()];
                let request = audit::ListAuditRecordsRequest {
                    filter: Some(audit::AuditFilter {
                        object_name: Some("customer".into()),
                        object_id: Some(id.into()),
                        ..Default::default()
                    }),
                    page_size: 5,
                    ..Default::default()
                };
                grpc(r, c.audit().list_audit_records(timed(request)))
                    .await
                    .map(drop)
            }
        }
    }

    pub async fn login(&self, via: Via) -> Result<(), Outcome> {
        self.login_as(via, &self.email, &self.password).await
    }

    /// A login as `email` that nobody has: checked against the decoy hash like any other login
    /// (so it keeps a password-hashing thread busy), refused, and counted against that account
    /// alone — so a burst of them warms every hashing thread without tripping the throttle,
    /// which lets one account have at most two checks in flight.
    pub async fn unknown_login(&self, via: Via, email: &str) -> Result<(), Outcome> {
        match self.login_as(via, email, "not anyone's password").await {
            Err(o) if o.detail.contains("401") || o.detail.contains("Unauthenticated") => Ok(()),
            Err(o) => Err(o),
            Ok(()) => Err(Outcome::failed(format!("{email} logged in"))),
        }
    }

    async fn login_as(&self, via: Via, email: &str, password: &str) -> Result<(), Outcome> {
        match via {
            Via::Http(r) => {
                let body = json!({ "email": email, "password": password });
                self.http(r, reqwest::Method::POST, "/v1/auth/login", Some(body))
                    .await
                    .map(drop)
            }
            Via::Grpc(r) => {
                let c = &self.users[r % self.users.len()];
                let request = user::LoginRequest {
                    email: email.to_owned(),
                    password: password.to_owned(),
                };
                grpc(r, c.users().login(timed(request))).await.map(drop)
            }
        }
    }

    /// A customer and a promotion for it, made before the load starts (no fault yet: any error
    /// ends the run).
    pub async fn make_stable(&self, shared: &Shared, id: String) -> Result<Stable, Error> {
        let name = name_of(&id, 0);
        self.create(Via::Http(0), &id, &name)
            .await
            .map_err(|o| o.detail)?;
        shared.ledger(&id, |o| o.create = Ack::Acked);
        let days = |n: i64| {
            let t = chrono::Utc::now() + chrono::Duration::days(n);
            Some(prost_types::Timestamp {
                seconds: t.timestamp(),
                nanos: 0,
            })
        };
        let request = promotion::CreatePromotionRequest {
            name: format!("load promotion for {id}"),
            valid_from: days(-1),
            valid_thru: days(30),
            active: true,
            customer_id: id.clone(),
            products: vec![promotion::PromotionProduct {
                product_id: "switch".into(),
                upc_code: None,
                discounts: vec![promotion::Discount {
                    id: 0,
                    value: 10.0,
                    r#type: 1,
                    description: None,
                }],
            }],
            ..Default::default()
        };
        let c = self.promotions.first().ok_or("no promotion replica")?;
        let made = grpc(0, c.promotions().create_promotion(timed(request)))
            .await
            .map_err(|o| o.detail)?;
        Ok(Stable {
            id,
            promotion: made.id,
        })
    }
}

async fn connect_all(urls: &[String], token: Option<&str>) -> Result<Vec<GotempClient>, Error> {
    let mut clients = Vec::new();
    for url in urls {
        let mut client = GotempClient::connect(url).await?;
        if let Some(token) = token {
            client.set_token(token)?;
        }
        clients.push(client);
    }
    Ok(clients)
}

fn timed<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(REQUEST_TIMEOUT);
    request
}

/// A gRPC answer, with the status sorted the way a client sorts it.
async fn grpc<T>(
    replica: usize,
    call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, Outcome> {
    let answer = tokio::time::timeout(REQUEST_TIMEOUT + Duration::from_secs(1), call)
        .await
        .map_err(|_| Outcome::retriable(format!("grpc replica {}: no answer", replica + 1)))?;
    answer.map(tonic::Response::into_inner).map_err(|s| {
        let detail = format!(
            "grpc replica {}: {:?} {}",
            replica + 1,
            s.code(),
            s.message()
        );
        // A broken connection reaches the client as Unknown/Internal with a transport error
        // and no answer from the server: nothing the server decided.
        let transport = s.metadata().is_empty()
            && matches!(s.code(), Code::Unknown | Code::Internal)
            && (s.message().contains("transport") || s.message().contains("connection"));
        match s.code() {
            Code::Unavailable
            | Code::DeadlineExceeded
            | Code::ResourceExhausted
            | Code::Aborted
            | Code::Cancelled => Outcome::retriable(detail),
            _ if transport => Outcome::retriable(detail),
            _ => Outcome::failed(detail),
        }
    })
}
