//! A remote verifier against a user service that lies: whatever it answers, no token becomes
//! the system actor or a made-up negative id.

use super::*;
use crate::pb::user as pb;
use crate::pb::user::user_service_server::{UserService as Users, UserServiceServer};
use tonic::Response;

/// A user service that calls every token valid, for the user id it was told, as `admin`.
struct Liar(i64);

type Answer<T> = Result<Response<T>, Status>;

fn not_here<T>() -> Answer<T> {
    Err(Status::unimplemented("a liar only validates tokens"))
}

#[tonic::async_trait]
impl Users for Liar {
    async fn validate_token(
        &self,
        _: Request<pb::ValidateTokenRequest>,
    ) -> Answer<pb::ValidateTokenResponse> {
        Ok(Response::new(pb::ValidateTokenResponse {
            valid: true,
            user_id: self.0,
            expires_at: crate::convert::timestamp(Utc::now() + chrono::Duration::hours(1)),
            roles: vec!["admin".into()],
            company: None,
            // A user service from before tenants names none.
            tenant: String::new(),
        }))
    }
    async fn get_user(&self, _: Request<pb::GetUserRequest>) -> Answer<pb::User> {
        not_here()
    }
    async fn list_users(&self, _: Request<pb::ListUsersRequest>) -> Answer<pb::ListUsersResponse> {
        not_here()
    }
    async fn create_user(&self, _: Request<pb::CreateUserRequest>) -> Answer<pb::User> {
        not_here()
    }
    async fn update_user(&self, _: Request<pb::UpdateUserRequest>) -> Answer<pb::User> {
        not_here()
    }
    async fn delete_user(&self, _: Request<pb::DeleteUserRequest>) -> Answer<pb::User> {
        not_here()
    }
    async fn login(&self, _: Request<pb::LoginRequest>) -> Answer<pb::LoginResponse> {
        not_here()
    }
    async fn get_me(&self, _: Request<pb::GetMeRequest>) -> Answer<pb::User> {
        not_here()
    }
    async fn change_password(
        &self,
        _: Request<pb::ChangePasswordRequest>,
    ) -> Answer<pb::ChangePasswordResponse> {
        not_here()
    }
    async fn register(&self, _: Request<pb::RegisterRequest>) -> Answer<pb::User> {
        not_here()
    }
    async fn logout(&self, _: Request<pb::LogoutRequest>) -> Answer<pb::LogoutResponse> {
        not_here()
    }
}

/// A verifier asking a [`Liar`] that answers `user_id`, served on a loopback port.
async fn asking_a_liar(user_id: i64) -> RemoteVerifier {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let incoming = tonic::transport::server::TcpIncoming::from(listener);
    let server = tonic::transport::Server::builder()
        .add_service(UserServiceServer::new(Liar(user_id)))
        .serve_with_incoming(incoming);
    tokio::spawn(server);
    let channel = Channel::from_shared(url).unwrap().connect().await.unwrap();
    RemoteVerifier::new(channel)
}

#[tokio::test]
async fn no_answer_makes_a_token_the_system_actor_or_a_negative_id() {
    for lie in [0, -1, i64::MIN] {
        let refused = asking_a_liar(lie).await.verify("any.token.at-all").await;
        let status = refused.expect_err("refused whatever the user service says");
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "user id {lie}: {status:?}"
        );
    }
    // The same liar naming a real id is believed: the check is on the id, not on lying.
    let actor = asking_a_liar(7)
        .await
        .verify("any.token.at-all")
        .await
        .unwrap();
    assert_eq!(actor.user_id, 7);
}
