//! Who is calling: every RPC but Login carries `authorization: Bearer <token>`, checked here.
//!
//! Two ways to check a token: [`LocalVerifier`], the user service of this process (services
//! deployed with it), and [`RemoteVerifier`], which asks the user service's ValidateToken
//! (services deployed apart, as in the original) and remembers a positive answer for a second
//! at most, so a revoked token is refused everywhere within that. Either way the caller's roles
//! are the user's current ones, never what an old token claimed.

use crate::discovery::Instances;
use crate::pb::user::ValidateTokenRequest;
use crate::pb::user::user_service_client::UserServiceClient;
use crate::service_name::ServiceName;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use gotemp_core::Actor;
use gotemp_core::policy::Roles;
use gotemp_core::services::UserService;
use gotemp_core::values::TenantId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};

/// Checks a bearer token.
#[async_trait]
pub trait TokenVerifier: Send + Sync {
    /// The caller the token stands for, or UNAUTHENTICATED.
    async fn verify(&self, token: &str) -> Result<Actor, Status>;
}

/// Verifies tokens with the user service of this process: signature, then the user as stored
/// now (through its cache, which every change of the user evicts).
pub struct LocalVerifier {
    users: UserService,
}

impl LocalVerifier {
    /// Verifies with `users` (`app.users().clone()`).
    pub fn new(users: UserService) -> Self {
        Self { users }
    }
}

#[async_trait]
impl TokenVerifier for LocalVerifier {
    async fn verify(&self, token: &str) -> Result<Actor, Status> {
        self.users
            .authenticate(token)
            .await
            .map(|found| found.actor)
            .map_err(crate::status::to_status)
    }
}

/// Verifies tokens by asking the user service, remembering each valid token's answer for
/// [`REMEMBER_FOR`] (or until it expires, if sooner): a burst of calls costs one round trip,
/// and a revocation reaches this process within that time.
pub struct RemoteVerifier {
    users: Instances,
    valid: Mutex<HashMap<String, (Actor, DateTime<Utc>)>>,
}

/// Tokens remembered at most; expired ones are dropped first when it fills.
const REMEMBERED_TOKENS: usize = 10_000;

/// The longest a positive answer is remembered: how late a revocation may arrive here.
pub const REMEMBER_FOR: chrono::Duration = chrono::Duration::seconds(1);

impl RemoteVerifier {
    /// Asks the user service behind `channel`.
    pub fn new(channel: Channel) -> Self {
        Self::discovered(Instances::fixed(ServiceName::User, channel))
    }

    /// Asks any live instance of the user service (found by discovery).
    pub fn discovered(users: Instances) -> Self {
        Self {
            users,
            valid: Mutex::new(HashMap::new()),
        }
    }

    fn remembered(&self, token: &str) -> Option<Actor> {
        let valid = self.valid.lock().unwrap_or_else(|p| p.into_inner());
        match valid.get(token) {
            Some((actor, until)) if *until > Utc::now() => Some(actor.clone()),
            _ => None,
        }
    }

    fn remember(&self, token: &str, actor: Actor, expires: DateTime<Utc>) {
        let mut valid = self.valid.lock().unwrap_or_else(|p| p.into_inner());
        if valid.len() >= REMEMBERED_TOKENS {
            let now = Utc::now();
            valid.retain(|_, (_, e)| *e > now);
            if valid.len() >= REMEMBERED_TOKENS {
                valid.clear();
            }
        }
        valid.insert(token.to_owned(), (actor, expires));
    }
}

#[async_trait]
impl TokenVerifier for RemoteVerifier {
    async fn verify(&self, token: &str) -> Result<Actor, Status> {
        if let Some(actor) = self.remembered(token) {
            return Ok(actor);
        }
        // The token vouches for itself: the user service authenticates the call with it.
        let ask = |channel: Channel| async move {
            let mut request = Request::new(ValidateTokenRequest {
                token: token.to_owned(),
            });
            set_bearer(&mut request, token)?;
            UserServiceClient::new(channel)
                .validate_token(request)
                .await
        };
        let answer = match self.users.call(ask).await {
            Ok(answer) => answer.into_inner(),
            Err(status) if status.code() == Code::Unauthenticated => return Err(status),
            Err(status) => {
                tracing::warn!(%status, "user service could not validate a token");
                return Err(Status::unavailable(
                    "the user service could not be asked to validate the token",
                ));
            }
        };
        // No token stands for the system actor (id 0) or a made-up negative id, whatever a
        // user service answers: such an actor would pass every check.
        if !answer.valid || answer.user_id <= 0 {
            return Err(Status::unauthenticated(gotemp_core::tr!(
                "auth.invalid_token"
            )));
        }
        let roles = Roles::parse("roles", &answer.roles)
            .map_err(|e| Status::internal(format!("the user service answered unknown {e}")))?;
        // A user service from before tenants answers none: it serves the tenant `default`.
        let tenant = match answer.tenant.as_str() {
            "" => TenantId::default_tenant(),
            key => TenantId::parse("tenant", key).map_err(|e| {
                Status::internal(format!(
                    "the user service answered a bad tenant: {}",
                    e.message
                ))
            })?,
        };
        let actor = Actor::new(tenant, answer.user_id, roles)
            .in_company(answer.company.as_deref())
            .with_credentials(secrecy::SecretString::from(token.to_owned()));
        if let Some(expires) = crate::convert::instant("expires_at", answer.expires_at)
            .ok()
            .flatten()
        {
            self.remember(token, actor.clone(), expires.min(Utc::now() + REMEMBER_FOR));
        }
        Ok(actor)
    }
}

/// Puts `token` into a request's `authorization` metadata, with the trace and the language of
/// the request being served.
pub fn set_bearer<T>(request: &mut Request<T>, token: &str) -> Result<(), Status> {
    let value = format!("Bearer {token}")
        .parse()
        .map_err(|_| Status::invalid_argument("the token is not valid metadata"))?;
    request.metadata_mut().insert("authorization", value);
    // The call continues the trace of the request being served.
    if let Some(traceparent) = gotemp::logging::current_traceparent()
        && let Ok(value) = traceparent.parse()
    {
        request.metadata_mut().insert("traceparent", value);
    }
    // ...and asks for answers in the caller's language.
    let language = gotemp_core::i18n::current().as_str();
    (request.metadata_mut()).insert("accept-language", MetadataValue::from_static(language));
    Ok(())
}

/// Reads and checks the bearer token of a request.
#[derive(Clone)]
pub struct Authenticator {
    verifier: Arc<dyn TokenVerifier>,
}

impl Authenticator {
    /// Checks tokens with `verifier`.
    pub fn new(verifier: Arc<dyn TokenVerifier>) -> Self {
        Self { verifier }
    }

    /// The caller of `request`, or UNAUTHENTICATED saying what is missing or wrong.
    pub async fn caller<T>(&self, request: &Request<T>) -> Result<Actor, Status> {
        let token = bearer(request)?;
        self.verifier.verify(token).await
    }
}

/// The token of `authorization: Bearer <token>`.
pub fn bearer<T>(request: &Request<T>) -> Result<&str, Status> {
    let value = request
        .metadata()
        .get("authorization")
        .ok_or_else(|| Status::unauthenticated(gotemp_core::tr!("auth.metadata_missing")))?
        .to_str()
        .map_err(|_| Status::unauthenticated(gotemp_core::tr!("auth.metadata_not_text")))?;
    gotemp_core::auth::bearer_token(value)
        .ok_or_else(|| Status::unauthenticated(gotemp_core::tr!("auth.metadata_malformed")))
}

#[cfg(test)]
mod tests;
