//! my-app: gotemp's services inside an application of its own. A rule for customers (a hook), who
//! may see which customer (a policy), change events over NATS when GOTEMP_EVENTS names a server,
//! and gotemp's HTTP API served beside the application's own route.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::routing::get;
use gotemp::domain::auth::bearer_token;
use gotemp::domain::entities::{Customer, CustomerDraft};
use gotemp::domain::hooks::Hooks;
use gotemp::domain::page::PageRequest;
use gotemp::domain::policy::{Object, Policy, Request, Role, RolePolicy};
use gotemp::domain::{Actor, Error, FieldError};
use gotemp::runner::{BoxError, Seed, Server, Serving, Stopping};
use gotemp::{Application, Config, Gotemp};
use gotemp_http::problem::Problem;

/// The application's rule: every customer a person creates carries the id it has in the
/// company's ERP. Runs after gotemp's own rules, before anything is stored, on every path that
/// creates a customer: HTTP, gRPC, direct calls.
struct RequireErpId;

#[async_trait::async_trait]
impl Hooks<Customer, CustomerDraft> for RequireErpId {
    async fn before_create(
        &self,
        actor: &Actor,
        draft: &CustomerDraft,
    ) -> gotemp::domain::Result<()> {
        // The demo data is seeded as the system actor, and has no ERP ids.
        if actor.is_system() || draft.extra_fields.contains_key("erp_id") {
            return Ok(());
        }
        Err(Error::invalid(FieldError::new(
            "extra_fields.erp_id",
            "required",
            "extra_fields.erp_id is required: every customer needs its ERP id",
        )))
    }
}

/// Which company a customer belongs to: the application's own knowledge (here the demo
/// customers; in yours, your data).
fn company_of(customer_id: &str) -> Option<&'static str> {
    match customer_id {
        "ducksrus" | "ducksrusd" | "ducksrusb" => Some("Ducks R Us"),
        "patoloco" => Some("Pato Loco Inc"),
        "canard" => Some("Canard Oui Oui"),
        _ => None,
    }
}

/// The built-in roles, plus: a user of a company deals only with that company's customers and
/// their promotions. Administrators, auditors and users without a company are decided by their
/// roles alone. gotemp asks it about every object a call touches; what a caller may not read is
/// left out of lists and answered as not found.
struct CompanyScoped;

impl Policy for CompanyScoped {
    fn allows(&self, request: &Request<'_>) -> bool {
        if !RolePolicy.allows(request) {
            return false;
        }
        let actor = request.actor;
        if actor.roles.contains(Role::Admin) || actor.roles.contains(Role::Auditor) {
            return true;
        }
        let Some(company) = actor.company.as_deref() else {
            return true;
        };
        match request.object {
            Some(Object::Customer(customer)) => company_of(&customer.id) == Some(company),
            Some(Object::Promotion(promotion)) => {
                company_of(&promotion.customer_id) == Some(company)
            }
            _ => true,
        }
    }
}

/// The application's own route: the names of the customers the caller may see, for a caller
/// with a gotemp token (`POST /v1/auth/login`).
async fn my_customers(
    State(services): State<Gotemp>,
    headers: HeaderMap,
) -> Result<String, Problem> {
    let token = (headers.get(AUTHORIZATION))
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token)
        .ok_or_else(|| Problem::unauthenticated("send Authorization: Bearer <token>"))?;
    let caller = services.users().authenticate(token).await?;
    let first = PageRequest::first(100);
    let page = (services.customers())
        .list(&caller.actor, &Default::default(), &first)
        .await?;
    let names: Vec<&str> = page.items.iter().map(|c| c.name.as_str()).collect();
    Ok(names.join("\n"))
}

/// One listener serving the application's routes and gotemp's whole HTTP API.
struct Web {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
}

impl Server for Web {
    fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve(self: Box<Self>, app: &Application, stopping: Stopping) -> Serving {
        let events = Some(app.events().clone());
        let gotemp_api = gotemp_http::router(app.gotemp().clone(), events, &app.config().http);
        let router = Router::new()
            .route("/app/customers", get(my_customers))
            .with_state(app.gotemp().clone())
            .merge(gotemp_api);
        let Web { listener, .. } = *self;
        Box::pin(async move {
            gotemp_http::serve(router, listener, None, stopping).await?;
            Ok(())
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Logging (RUST_LOG, GOTEMP_LOG_FORMAT) and trace export, the error said on stderr.
    gotemp::runner::process("my-app", "info", run()).await
}

async fn run() -> Result<(), BoxError> {
    // GOTEMP_* variables (and the file GOTEMP_CONFIG names). On the embedded default, the token
    // secret is kept in data/jwt_secret; any other storage needs GOTEMP_JWT_SECRET.
    let file = std::env::var_os("GOTEMP_CONFIG").map(std::path::PathBuf::from);
    let (config, _secret) = Config::load_or_keep_secret(file.as_deref())?;
    let app = Application::builder(config)
        .services(|services| {
            services
                .hook::<Customer>(Arc::new(RequireErpId))
                .policy(Arc::new(CompanyScoped))
        })
        // The administrator and the demo data on the first start; drop it in production.
        .seed(Seed::FirstStart)
        // Opens and migrates the stores, and starts the event pipeline GOTEMP_EVENTS names:
        // in process for `memory`, NATS JetStream for nats://… (the `nats` feature).
        .build()
        .await?;
    let listener = gotemp::runner::listen(app.config().http.addr, "http_addr").await?;
    let addr = listener.local_addr()?;
    println!(
        "my-app on http://{addr}: /app/customers, gotemp's API under /v1, Swagger UI at /docs"
    );
    // Serves until SIGTERM or ctrl-c, then lets requests finish and stops the event pipeline.
    app.run(vec![Box::new(Web { listener, addr })]).await
}
