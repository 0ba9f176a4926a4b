//! A typed client for every gotemp service: log in once, and each call carries the token.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use gotemp_grpc::client::GotempClient;
//! use gotemp_grpc::pb::customer::GetCustomerRequest;
//! let mut client = GotempClient::connect("http://127.0.0.1:50051").await?;
//! client.login("admin@gotemp.local", "change-me-now").await?;
//! let ducks = client
//!     .customers()
//!     .get_customer(GetCustomerRequest { id: "ducksrus".into() })
//!     .await?
//!     .into_inner();
//! # Ok(()) }
//! ```

use crate::pb;
use gotemp_core::i18n::Locale;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, ClientTlsConfig};
use tonic::{Request, Status};

/// Adds `authorization: Bearer <token>` to every request, when there is a token, and
/// `accept-language` when a language was chosen.
#[derive(Clone, Default)]
pub struct Bearer {
    token: Option<MetadataValue<Ascii>>,
    language: Option<Locale>,
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.token {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        if let Some(language) = self.language {
            let value = MetadataValue::from_static(language.as_str());
            request.metadata_mut().insert("accept-language", value);
        }
        Ok(request)
    }
}

/// The channel every service client shares, with the token interceptor.
pub type Authed = InterceptedService<Channel, Bearer>;

/// One connection to a gotemp server, with a client per service.
#[derive(Clone)]
pub struct GotempClient {
    channel: Channel,
    bearer: Bearer,
}

impl GotempClient {
    /// Connects to `url`: `http://host:port`, or `https://host:port` checked against the
    /// system's roots.
    pub async fn connect(url: &str) -> Result<Self, tonic::transport::Error> {
        Self::connect_with(url, &ClientTlsConfig::new().with_native_roots()).await
    }

    /// Connects to `url` with `tls` for an `https://` URL (a private CA, a client certificate
    /// for mutual TLS: see [`crate::tls::client_tls`]).
    pub async fn connect_with(
        url: &str,
        tls: &ClientTlsConfig,
    ) -> Result<Self, tonic::transport::Error> {
        let channel = crate::tls::endpoint(url, tls)?.connect().await?;
        Ok(Self::from_channel(channel))
    }

    /// Uses an existing channel (no token yet).
    pub fn from_channel(channel: Channel) -> Self {
        Self {
            channel,
            bearer: Bearer::default(),
        }
    }

    /// Logs in; later calls carry the token.
    pub async fn login(
        &mut self,
        email: &str,
        password: &str,
    ) -> Result<pb::user::LoginResponse, Status> {
        let answer = self
            .users()
            .login(pb::user::LoginRequest {
                email: email.to_owned(),
                password: password.to_owned(),
            })
            .await?
            .into_inner();
        self.set_token(&answer.token)?;
        Ok(answer)
    }

    /// Uses `token` for later calls (for instance one issued elsewhere).
    pub fn set_token(&mut self, token: &str) -> Result<(), Status> {
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| Status::invalid_argument("the token is not valid metadata"))?;
        self.bearer.token = Some(value);
        Ok(())
    }

    /// Calls without a token from now on.
    pub fn clear_token(&mut self) {
        self.bearer.token = None;
    }

    /// Asks for messages (errors above all) in `language` from now on; the server's default,
    /// English, otherwise.
    pub fn set_language(&mut self, language: Locale) {
        self.bearer.language = Some(language);
    }

    fn authed(&self) -> Authed {
        InterceptedService::new(self.channel.clone(), self.bearer.clone())
    }

    /// `gotemp.user.v1.UserService`.
    pub fn users(&self) -> pb::user::user_service_client::UserServiceClient<Authed> {
        pb::user::user_service_client::UserServiceClient::new(self.authed())
    }

    /// `gotemp.customer.v1.CustomerService`.
    pub fn customers(
        &self,
    ) -> pb::customer::customer_service_client::CustomerServiceClient<Authed> {
        pb::customer::customer_service_client::CustomerServiceClient::new(self.authed())
    }

    /// `gotemp.product.v1.ProductService`.
    pub fn products(&self) -> pb::product::product_service_client::ProductServiceClient<Authed> {
        pb::product::product_service_client::ProductServiceClient::new(self.authed())
    }

    /// `gotemp.promotion.v1.PromotionService`.
    pub fn promotions(
        &self,
    ) -> pb::promotion::promotion_service_client::PromotionServiceClient<Authed> {
        pb::promotion::promotion_service_client::PromotionServiceClient::new(self.authed())
    }

    /// `gotemp.audit.v1.AuditService`.
    pub fn audit(&self) -> pb::audit::audit_service_client::AuditServiceClient<Authed> {
        pb::audit::audit_service_client::AuditServiceClient::new(self.authed())
    }

    /// `gotemp.tenant.v1.TenantService` (multi-tenant deployments).
    pub fn tenants(&self) -> pb::tenant::tenant_service_client::TenantServiceClient<Authed> {
        pb::tenant::tenant_service_client::TenantServiceClient::new(self.authed())
    }
}
