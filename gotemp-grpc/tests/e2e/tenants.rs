//! A multi-tenant deployment over gRPC: the platform's operator creates tenants through
//! `gotemp.tenant.v1.TenantService`; each tenant's users reach only their own objects (another
//! tenant's is NOT_FOUND) and no tenant's administrator reaches the tenants. A single-tenant
//! deployment does not serve the tenant service at all.

use gotemp::domain::values::Tenancy;
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::{customer, tenant, user};
use gotemp_testing::TestApp;
use tonic::Code;

const PASSWORD: &str = "a tenant administrator's long passphrase";

async fn tenant_admin(app: &TestApp, key: &str) -> GotempClient {
    let email = format!("admin@{key}.example");
    let new = tenant::CreateTenantRequest {
        key: key.into(),
        name: format!("Tenant {key}"),
        admin: Some(tenant::TenantAdmin {
            email: email.clone(),
            first_name: "First".into(),
            last_name: "Admin".into(),
            password: PASSWORD.into(),
        }),
        ..Default::default()
    };
    let made = app
        .grpc()
        .tenants()
        .create_tenant(new)
        .await
        .unwrap()
        .into_inner();
    assert_eq!((made.key.as_str(), made.active), (key, true));
    let mut client = GotempClient::connect(&app.grpc_url).await.unwrap();
    let login = user::LoginRequest {
        email,
        password: PASSWORD.into(),
    };
    let token = client
        .users()
        .login(login)
        .await
        .unwrap()
        .into_inner()
        .token;
    client.set_token(&token).unwrap();
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_over_grpc_see_only_their_own() {
    let app = TestApp::builder()
        .config(|c| c.auth.tenancy = Tenancy::Multi)
        .spawn()
        .await;
    let (herons, swans) = (
        tenant_admin(&app, "herons").await,
        tenant_admin(&app, "swans").await,
    );
    let new = customer::CreateCustomerRequest {
        id: Some("c1".into()),
        name: "Herons's own".into(),
        ..Default::default()
    };
    herons.customers().create_customer(new).await.unwrap();
    let get = |id: &str| customer::GetCustomerRequest { id: id.into() };
    let theirs = swans.customers().get_customer(get("c1")).await.unwrap_err();
    assert_eq!(theirs.code(), Code::NotFound, "{theirs:?}");
    let mine = herons
        .customers()
        .get_customer(get("c1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.name, "Herons's own");
    let list = tenant::ListTenantsRequest::default();
    let refused = herons
        .tenants()
        .list_tenants(list.clone())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let all = app
        .grpc()
        .tenants()
        .list_tenants(list)
        .await
        .unwrap()
        .into_inner();
    let keys: Vec<&str> = all.tenants.iter().map(|t| t.key.as_str()).collect();
    assert!(
        keys.contains(&"herons") && keys.contains(&"platform"),
        "{keys:?}"
    );
    let delete = tenant::DeleteTenantRequest {
        key: "herons".into(),
        version: None,
    };
    let kept = app
        .grpc()
        .tenants()
        .delete_tenant(delete)
        .await
        .unwrap_err();
    assert_eq!(
        kept.code(),
        Code::FailedPrecondition,
        "herons hold a customer"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_tenant_deployment_serves_no_tenant_service() {
    let app = TestApp::spawn().await;
    let list = tenant::ListTenantsRequest::default();
    let absent = app.grpc().tenants().list_tenants(list).await.unwrap_err();
    assert_eq!(absent.code(), Code::Unimplemented);
    app.stop().await;
}
