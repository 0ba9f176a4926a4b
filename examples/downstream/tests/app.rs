//! The application's integration test: a whole gotemp, spawned for this test on free ports,
//! driven over HTTP and gRPC as the application's own clients would.

use gotemp_grpc::pb::customer::{CreateCustomerRequest, GetCustomerRequest};
use gotemp_testing::TestApp;

#[tokio::test]
async fn a_customer_created_over_http_is_read_over_grpc_and_audited() {
    let app = TestApp::spawn().await;
    let created = app
        .http()
        .post(app.url("/v1/customers"))
        .json(&serde_json::json!({"id": downstream::CUSTOMER, "name": "Acme Ltd"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201, "{:?}", created.text().await);

    let read = app
        .grpc()
        .customers()
        .get_customer(GetCustomerRequest {
            id: downstream::CUSTOMER.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.name, "Acme Ltd");

    // The change reached the audit trail, as every write does.
    app.gotemp()
        .wait_for_audit(std::time::Duration::from_secs(5))
        .await
        .unwrap();
    let history = app
        .http()
        .get(app.url(&format!("/v1/audit?object_id={}", downstream::CUSTOMER)))
        .send()
        .await
        .unwrap();
    assert_eq!(history.status(), 200);
    let history: serde_json::Value = history.json().await.unwrap();
    assert_eq!(history["items"].as_array().map(Vec::len), Some(1), "{history}");
    app.stop().await;
}

#[tokio::test]
async fn a_customer_created_over_grpc_is_read_over_http() {
    let app = TestApp::spawn().await;
    app.grpc()
        .customers()
        .create_customer(CreateCustomerRequest {
            id: Some(downstream::CUSTOMER.into()),
            name: "Acme over gRPC".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let read: serde_json::Value = app
        .http()
        .get(app.url(&format!("/v1/customers/{}", downstream::CUSTOMER)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["name"], "Acme over gRPC", "{read}");
    app.stop().await;
}
