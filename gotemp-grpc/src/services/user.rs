//! `gotemp.user.v1.UserService`.

use crate::auth::Authenticator;
use crate::convert::{instant, page, page_request, timestamp};
use crate::pb::user as pb;
use crate::status::IntoStatus as _;
use gotemp_core::entities::{NewUser, User, UserChanges, UserFilter};
use gotemp_core::policy::Roles;
use gotemp_core::services::UserService;
use gotemp_core::{Error, FieldError, Result};
use secrecy::SecretString;
use tonic::{Request, Response, Status};

/// The user service over gRPC.
pub struct UserGrpc {
    users: UserService,
    auth: Authenticator,
}

impl UserGrpc {
    /// Serves `users`, checking callers with `auth`.
    pub fn new(users: UserService, auth: Authenticator) -> Self {
        Self { users, auth }
    }

    /// The tonic service, ready to be added to a server.
    pub fn into_server(self) -> pb::user_service_server::UserServiceServer<Self> {
        pb::user_service_server::UserServiceServer::new(self)
            .max_decoding_message_size(crate::limits::MAX_REQUEST_BYTES)
    }
}

pub(crate) fn user(u: User) -> pb::User {
    pb::User {
        id: u.id,
        first_name: u.first_name,
        last_name: u.last_name,
        name: u.name,
        email: u.email,
        company: u.company,
        valid_from: timestamp(u.valid_from),
        valid_thru: timestamp(u.valid_thru),
        active: u.active,
        created_at: timestamp(u.created_at),
        updated_at: timestamp(u.updated_at),
        modified_by: u.modified_by,
        version: u.version,
        roles: role_names(u.roles),
    }
}

fn role_names(roles: Roles) -> Vec<String> {
    roles.names().into_iter().map(str::to_owned).collect()
}

/// Role names from a request; an unknown one is INVALID_ARGUMENT naming `roles`.
fn roles(given: Option<pb::Roles>) -> Result<Option<Roles>> {
    given
        .map(|r| {
            Roles::parse("roles", &r.roles).map_err(|message| {
                Error::invalid(FieldError::new("roles", "unknown_role", message))
            })
        })
        .transpose()
}

fn filter(r: &pb::ListUsersRequest) -> Result<UserFilter> {
    Ok(UserFilter {
        id: r.id,
        first_name: r.first_name.clone(),
        last_name: r.last_name.clone(),
        email: r.email.clone(),
        company: r.company.clone(),
        valid_on: instant("valid_on", r.valid_on)?,
    })
}

fn new_user(r: pb::CreateUserRequest) -> Result<NewUser> {
    Ok(NewUser {
        valid_from: instant("valid_from", r.valid_from)?,
        valid_thru: instant("valid_thru", r.valid_thru)?,
        first_name: r.first_name,
        last_name: r.last_name,
        email: r.email,
        company: r.company,
        active: r.active,
        roles: roles(r.roles)?,
        password: SecretString::from(r.password),
    })
}

fn changes(r: pb::UpdateUserRequest) -> Result<UserChanges> {
    Ok(UserChanges {
        valid_from: instant("valid_from", r.valid_from)?,
        valid_thru: instant("valid_thru", r.valid_thru)?,
        first_name: r.first_name,
        last_name: r.last_name,
        email: r.email,
        company: r.company,
        active: r.active,
        roles: roles(r.roles)?,
        password: r.password.map(SecretString::from),
        current_password: r.current_password.map(SecretString::from),
    })
}

#[tonic::async_trait]
impl pb::user_service_server::UserService for UserGrpc {
    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> std::result::Result<Response<pb::User>, Status> {
        let actor = self.auth.caller(&request).await?;
        let id = request.into_inner().id;
        let found = self.users.get(&actor, id).await.or_status()?;
        Ok(Response::new(user(found)))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> std::result::Result<Response<pb::ListUsersResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let filter = filter(&r).or_status()?;
        let found = self
            .users
            .list(&actor, &filter, &page_request(r.page_size, r.page_token))
            .await
            .or_status()?;
        let (users, next_page_token) = page(found, user);
        Ok(Response::new(pb::ListUsersResponse {
            users,
            next_page_token,
        }))
    }

    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> std::result::Result<Response<pb::User>, Status> {
        let actor = self.auth.caller(&request).await?;
        let input = new_user(request.into_inner()).or_status()?;
        let created = self.users.create(&actor, input).await.or_status()?;
        Ok(Response::new(user(created)))
    }

    async fn update_user(
        &self,
        request: Request<pb::UpdateUserRequest>,
    ) -> std::result::Result<Response<pb::User>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let (id, version) = (r.id, r.version);
        let changes = changes(r).or_status()?;
        let updated = self
            .users
            .update(&actor, id, changes, version)
            .await
            .or_status()?;
        Ok(Response::new(user(updated)))
    }

    async fn delete_user(
        &self,
        request: Request<pb::DeleteUserRequest>,
    ) -> std::result::Result<Response<pb::User>, Status> {
        let actor = self.auth.caller(&request).await?;
        let r = request.into_inner();
        let deleted = self
            .users
            .delete(&actor, r.id, r.version)
            .await
            .or_status()?;
        Ok(Response::new(user(deleted)))
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> std::result::Result<Response<pb::LoginResponse>, Status> {
        let source = request.remote_addr().map(|a| a.ip());
        let r = request.into_inner();
        let password = SecretString::from(r.password);
        let outcome = (self.users.login_from(source, &r.email, &password).await).or_status()?;
        Ok(Response::new(pb::LoginResponse {
            token: outcome.token,
            expires_at: timestamp(outcome.expires_at),
            user: Some(user(outcome.user)),
        }))
    }

    async fn validate_token(
        &self,
        request: Request<pb::ValidateTokenRequest>,
    ) -> std::result::Result<Response<pb::ValidateTokenResponse>, Status> {
        // The caller proves itself with its own token (often the very token it asks about).
        self.auth.caller(&request).await?;
        let answer = match self.users.authenticate(&request.into_inner().token).await {
            Ok(found) => pb::ValidateTokenResponse {
                valid: true,
                user_id: found.actor.user_id,
                expires_at: timestamp(found.expires_at),
                roles: role_names(found.actor.roles),
                company: found.actor.company.as_deref().map(str::to_owned),
                tenant: found.actor.tenant.to_string(),
            },
            Err(Error::Unauthenticated(_)) => pb::ValidateTokenResponse::default(),
            Err(e) => return Err(crate::status::to_status(e)),
        };
        Ok(Response::new(answer))
    }

    async fn get_me(
        &self,
        request: Request<pb::GetMeRequest>,
    ) -> std::result::Result<Response<pb::User>, Status> {
        let actor = self.auth.caller(&request).await?;
        let found = self.users.me(&actor).await.or_status()?;
        Ok(Response::new(user(found)))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> std::result::Result<Response<pb::ChangePasswordResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        let source = request.remote_addr().map(|a| a.ip());
        let r = request.into_inner();
        let (current, new) = (
            SecretString::from(r.current_password),
            SecretString::from(r.new_password),
        );
        let users = &self.users;
        (users.change_password(&actor, &current, &new, source).await).or_status()?;
        Ok(Response::new(pb::ChangePasswordResponse {}))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> std::result::Result<Response<pb::LogoutResponse>, Status> {
        let actor = self.auth.caller(&request).await?;
        self.users.logout(&actor).await.or_status()?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn register(
        &self,
        request: Request<pb::RegisterRequest>,
    ) -> std::result::Result<Response<pb::User>, Status> {
        if !self.users.registration_open() {
            return Err(Status::unimplemented(
                "registration is closed: an administrator creates users",
            ));
        }
        let source = request.remote_addr().map(|a| a.ip());
        let r = request.into_inner();
        let input = gotemp_core::entities::NewRegistration {
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            password: SecretString::from(r.password),
            organisation: r.organisation,
        };
        let created = self.users.register(source, input).await.or_status()?;
        Ok(Response::new(user(created)))
    }
}
