//! Health and reflection let standard tools find every service.

use crate::support::*;

#[tokio::test]
async fn health_and_reflection_let_standard_tools_find_everything() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let test = "health_and_reflection_let_standard_tools_find_everything";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let app = gotemp_testing::wired(store.repos.clone(), tokens()).await;
    let auth = Authenticator::new(Arc::new(LocalVerifier::new(app.users().clone())));
    let running = start(app, &[ServiceName::User, ServiceName::Promotion], auth).await;
    let channel = tonic::transport::Endpoint::from_shared(running.url.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();

    let mut health = HealthClient::new(channel.clone());
    for service in [
        "",
        "gotemp.user.v1.UserService",
        "gotemp.promotion.v1.PromotionService",
    ] {
        let mut status = ServingStatus::Unknown;
        for _ in 0..50 {
            let answer = health
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await
                .map(|r| r.into_inner().status());
            if let Ok(s) = answer {
                status = s;
                if s == ServingStatus::Serving {
                    break;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status, ServingStatus::Serving, "health of {service:?}");
    }
    let not_served = health
        .check(HealthCheckRequest {
            service: "gotemp.audit.v1.AuditService".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        not_served.code(),
        Code::NotFound,
        "only the served services are known"
    );

    let mut reflection = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut answers = reflection
        .server_reflection_info(tokio_stream_once(request))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().expect("one answer");
    let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
        panic!("not a service list: {answer:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "gotemp.user.v1.UserService",
        "gotemp.promotion.v1.PromotionService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    assert!(
        !names
            .iter()
            .any(|n| n.contains("Audit") || n.contains("Customer")),
        "only what this process serves: {names:?}"
    );
    // The older protocol, which Python's grpcio and older grpcurl speak, lists the same.
    {
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut answers = ServerReflectionClient::new(channel)
            .server_reflection_info(tokio_stream_once(request))
            .await
            .expect("v1alpha reflection is served")
            .into_inner();
        let answer = answers.message().await.unwrap().expect("one answer");
        let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
            panic!("not a service list: {answer:?}");
        };
        let old: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        assert_eq!(old, names, "v1alpha lists what v1 does");
    }
    running.stop().await;
    store.finish().await;
}
