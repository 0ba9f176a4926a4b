//! Traces across processes, received by an OTLP receiver inside the test: a gRPC call that
//! carries a W3C `traceparent` is served as a child span of it (semantic-convention attributes),
//! in the caller's trace, and the token check the service makes on the caller's behalf in
//! another process continues the same trace.

mod common;

use common::{spawn, stop};
use gotemp_grpc::client::GotempClient;
use gotemp_grpc::pb::customer::CreateCustomerRequest;
use gotemp_store::testing::otlp::Receiver;
use std::time::Duration;

const SECRET: &str = "0FWB2CTgahkJwdsl3fWIQMqMIYkc/kZrfHs+U0OWOQU=";
const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_continues_the_callers_trace_across_processes() {
    let receiver = Receiver::start().await;
    let dir = std::env::temp_dir().join(format!("gotemp-traces-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = |name: &str| format!("sqlite://{}/{name}.db", dir.display());
    let (users_db, customers_db) = (db("users"), db("customers"));
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        // Export every 200 ms instead of every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY", "200"),
    ];
    let mut env = vec![
        ("GOTEMP_STORAGE", users_db.as_str()),
        ("GOTEMP_SERVICES", "user"),
        ("GOTEMP_JWT_SECRET", SECRET),
        ("GOTEMP_ADMIN_PASSWORD", "ops password"),
        ("GOTEMP_SEED", "true"),
        ("OTEL_SERVICE_NAME", "users"),
    ];
    env.extend(otel);
    let (users, users_url) = spawn(&env).await;
    let mut env = vec![
        ("GOTEMP_STORAGE", customers_db.as_str()),
        ("GOTEMP_SERVICES", "customer"),
        ("GOTEMP_USER_SERVICE_URL", users_url.as_str()),
    ];
    env.extend(otel);
    let (customers, customers_url) = spawn(&env).await;

    let mut login = GotempClient::connect(&users_url).await.unwrap();
    let token = login
        .login("admin@gotemp.local", "ops password")
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
        .wait_for(wait, |s| s.trace_id == TRACE && s.service == "users")
        .await;
    assert_eq!(checked.kind, 2, "{checked:?}");
    // No span carries the token or the password.
    for span in receiver.spans() {
        for (key, value) in &span.attributes {
            assert!(!value.contains(&token), "{key} holds the token");
            assert!(!value.contains("ops password"), "{key} holds the password");
        }
    }

    stop(customers).await;
    stop(users).await;
    let _ = std::fs::remove_dir_all(&dir);
}
