//! Traces across processes, received by an OTLP receiver inside the test: a gRPC call that
//! carries a W3C `traceparent` is served as a child span of it (semantic-convention attributes),
//! in the caller's trace; the token check the service makes on the caller's behalf in another
//! process continues the same trace, and so does the change's way to the audit trail — the
//! database write, the relay's publish to NATS, and the audit process storing it — whose record
//! keeps the trace id.

mod common;

use common::{spawn, stop, user_service};
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::audit::{AuditFilter, ListAuditRecordsRequest};
use gotemp_grpc::pb::customer::CreateCustomerRequest;
use gotemp_testing::nats::NatsServer;
use gotemp_testing::otlp::Receiver;
use std::time::Duration;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_continues_the_callers_trace_across_processes() {
    let test = "a_call_continues_the_callers_trace_across_processes";
    let receiver = Receiver::start().await;
    let dir = std::env::temp_dir().join(format!("gotemp-traces-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let Some(nats) = NatsServer::start(test).await else {
        return;
    };
    let nats_url = nats.url();
    let db = |name: &str| format!("sqlite://{}/{name}.db", dir.display());
    let (users_db, customers_db, audit_db) = (db("users"), db("customers"), db("audit"));
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        // Export every 200 ms instead of every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
        ("GOTEMP_EVENTS", nats_url.as_str()),
    ];
    let mut env = user_service(&users_db);
    env.extend([
        ("OTEL_SERVICE_NAME", "users"),
        // Cache calls are traced on request only.
        (
            "GOTEMP_TRACE_FILTER",
            "info,gotemp_core::cache=debug,h2=off,hyper=off,tonic=off,tower=off",
        ),
    ]);
    env.extend(otel);
    let (users, users_url) = spawn(&env).await;
    let mut env = vec![
        ("GOTEMP_STORAGE", customers_db.as_str()),
        ("GOTEMP_SERVICES", "customer"),
        ("GOTEMP_USER_SERVICE_URL", users_url.as_str()),
    ];
    env.extend(otel);
    let (customers, customers_url) = spawn(&env).await;
    let mut env = vec![
        ("GOTEMP_STORAGE", audit_db.as_str()),
        ("GOTEMP_SERVICES", "audit"),
        ("GOTEMP_USER_SERVICE_URL", users_url.as_str()),
        ("OTEL_SERVICE_NAME", "audit"),
    ];
    env.extend(otel);
    let (audit, audit_url) = spawn(&env).await;

    let mut login = GotempClient::connect(&users_url).await.unwrap();
    let token = login
        .login("admin@gotemp.local", "ops password of the tests")
        .await
        .unwrap()
        .token;
    let mut client = GotempClient::connect(&customers_url).await.unwrap();
    client.set_token(&token).unwrap();
    let mut request = tonic::Request::new(CreateCustomerRequest {
        id: Some("traced".into()),
        name: "Traced".into(),
        ..Default::default()
    });
    let traceparent = format!("00-{TRACE}-{PARENT}-01");
    request
        .metadata_mut()
        .insert("traceparent", traceparent.parse().unwrap());
    client.customers().create_customer(request).await.unwrap();

    let wait = Duration::from_secs(20);
    let served = receiver
        .wait_for(wait, |s| {
            s.trace_id == TRACE && s.name == "gotemp.customer.v1.CustomerService/CreateCustomer"
        })
        .await;
    assert_eq!(
        served.parent_span_id, PARENT,
        "a child of the caller's span"
    );
    assert_eq!(served.kind, 2, "a server span");
    assert_eq!(served.service, "gotemp-grpc");
    assert_eq!(served.attribute("rpc.system"), Some("grpc"));
    assert_eq!(served.attribute("rpc.method"), Some("CreateCustomer"));
    // The customer process asked the user process to check the token: the same trace.
    let checked = receiver
        .wait_for(wait, |s| {
            s.trace_id == TRACE && s.service == "users" && s.kind == 2
        })
        .await;
    assert_eq!(checked.name, "gotemp.user.v1.UserService/ValidateToken");
    // (The token's user is read from the store, then remembered in the user process for a
    // second: never through the shared cache, so no cache span here.)
    // The change's way to the audit trail, in the same trace: written, published, stored.
    let written = receiver
        .wait_for(wait, |s| s.trace_id == TRACE && s.name == "INSERT customer")
        .await;
    assert_eq!(written.attribute("db.system.name"), Some("sqlite"));
    assert_eq!(
        written.parent_span_id, served.span_id,
        "the write is the call's child"
    );
    let published = receiver
        .wait_for(wait, |s| {
            s.trace_id == TRACE && s.name == "publish gotemp.audit.customer.insert"
        })
        .await;
    assert_eq!(
        (published.kind, published.service.as_str()),
        (4, "gotemp-grpc")
    );
    assert_eq!(published.attribute("messaging.system"), Some("nats"));
    let stored = receiver
        .wait_for(wait, |s| {
            s.trace_id == TRACE && s.service == "audit" && s.kind == 5
        })
        .await;
    assert_eq!(
        stored.parent_span_id, published.span_id,
        "stored as the publish's child"
    );
    let mut auditor = GotempClient::connect(&audit_url).await.unwrap();
    auditor.set_token(&token).unwrap();
    let history = auditor
        .audit()
        .list_audit_records(ListAuditRecordsRequest {
            filter: Some(AuditFilter {
                object_name: Some("customer".into()),
                object_id: Some("traced".into()),
                ..Default::default()
            }),
            page_size: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let record = history.records.first().expect("the change's audit record");
    assert_eq!(record.trace_id.as_deref(), Some(TRACE));

    // No span carries the token or the password.
    for span in receiver.spans() {
        for (key, value) in &span.attributes {
            assert!(!value.contains(&token), "{key} holds the token");
            assert!(
                !value.contains("ops password of the tests"),
                "{key} holds the password"
            );
        }
    }

    stop(audit).await;
    stop(customers).await;
    stop(users).await;
    drop(nats);
    let _ = std::fs::remove_dir_all(&dir);
}
