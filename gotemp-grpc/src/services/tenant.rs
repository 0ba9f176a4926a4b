//! `gotemp.tenant.v1.TenantService`: the tenants of a multi-tenant deployment, for the platform's
//! operators.

use crate::auth::Authenticator;
use crate::convert::{instant, page, page_request, timestamp};
use crate::pb::tenant as pb;
use crate::status::IntoStatus as _;
use gotemp_core::entities::{NewTenant, NewTenantAdmin, Tenant, TenantChanges};
use gotemp_core::services::TenantService;
use secrecy::SecretString;
use tonic::{Request, Response, Status};

/// The tenant service over gRPC.
pub struct TenantGrpc {
    tenants: TenantService,
    auth: Authenticator,
}

impl TenantGrpc {
    /// Serves `tenants`, checking callers with `auth`.
    pub fn new(tenants: TenantService, auth: Authenticator) -> Self {
        Self { tenants, auth }
    }

    /// The tonic service, ready to be added to a server.
    pub fn into_server(self) -> pb::tenant_service_server::TenantServiceServer<Self> {
        pb::tenant_service_server::TenantServiceServer::new(self)
            .max_decoding_message_size(crate::limits::MAX_REQUEST_BYTES)
    }
}

fn tenant(t: Tenant) -> pb::Tenant {
    pb::Tenant {
        key: t.key,
        name: t.name,
        active: t.active,
        valid_from: timestamp(t.valid_from),
        valid_thru: timestamp(t.valid_thru),
        created_at: timestamp(t.created_at),
        updated_at: timestamp(t.updated_at),
        modified_by: t.modified_by,
        version: t.version,
    }
}

#[tonic::async_trait]
impl pb::tenant_service_server::TenantService for TenantGrpc {
    async fn get_tenant(
        &self,
        request: Request<pb::GetTenantRequest>,
    ) -> Result<Response<pb::Tenant>, Status> {
        let actor = self.auth.caller(&request).await?;
        let key = request.into_inner().key;
        let found = self.tenants.get(&actor, &key).await.or_status()?;
        Ok(Response::new(tenant(found)))
    }

    async fn list_tenants(
        &self,
        request: Request<pb::ListTenantsRequest>,
    ) -> Result<Response<pb::ListTenantsResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let found = (self.tenants)
            .list(&actor, &page_request(r.page_size, r.page_token))
            .await
            .or_status()?;
        let (tenants, next_page_token) = page(found, tenant);
        Ok(Response::new(pb::ListTenantsResponse {
            tenants,
            next_page_token,
        }))
    }

    async fn create_tenant(
        &self,
        request: Request<pb::CreateTenantRequest>,
    ) -> Result<Response<pb::Tenant>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let admin = r.admin.unwrap_or_default();
        let input = NewTenant {
            valid_from: instant("valid_from", r.valid_from).or_status()?,
            valid_thru: instant("valid_thru", r.valid_thru).or_status()?,
            key: r.key,
            name: r.name,
            admin: NewTenantAdmin {
                email: admin.email,
                first_name: admin.first_name,
                last_name: admin.last_name,
                password: SecretString::from(admin.password),
            },
        };
        let (created, _admin) = self.tenants.create(&actor, input).await.or_status()?;
        Ok(Response::new(tenant(created)))
    }

    async fn update_tenant(
        &self,
        request: Request<pb::UpdateTenantRequest>,
    ) -> Result<Response<pb::Tenant>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let changes = TenantChanges {
            valid_from: instant("valid_from", r.valid_from).or_status()?,
            valid_thru: instant("valid_thru", r.valid_thru).or_status()?,
            name: r.name,
            active: r.active,
        };
        let updated = (self.tenants)
            .update(&actor, &r.key, changes, r.version)
            .await
            .or_status()?;
        Ok(Response::new(tenant(updated)))
    }

    async fn delete_tenant(
        &self,
        request: Request<pb::DeleteTenantRequest>,
    ) -> Result<Response<pb::Tenant>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let deleted = (self.tenants.delete(&actor, &r.key, r.version).await).or_status()?;
        Ok(Response::new(tenant(deleted)))
    }
}
