//! Logging in and checking tokens (the two routes that need no token), and changing one's own
//! password.

use super::*;

/// Credentials.
#[derive(Deserialize, ToSchema)]
pub(super) struct LoginRequest {
    /// The user's e-mail.
    #[serde(default)]
    email: String,
    /// The user's password.
    #[serde(default = "empty_secret")]
    #[schema(value_type = String, format = Password)]
    password: SecretString,
}

fn empty_secret() -> SecretString {
    SecretString::from("")
}

/// A bearer token and whom it stands for.
#[derive(Serialize, ToSchema)]
pub(super) struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    /// When the token stops being accepted.
    expires_at: DateTime<Utc>,
    /// The user who logged in.
    user: User,
}

/// Logs in: e-mail and password for a token.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Unknown e-mail, wrong password, or an inactive or expired user (deliberately not told apart)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this account, or attempts from this address; `Retry-After` says when to try again", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn login(
    State(state): State<ApiState>,
    ClientAddr(source): ClientAddr,
    JsonBody(body): JsonBody<LoginRequest>,
) -> ApiResult<Response> {
    let users = state.app.users();
    let outcome = users
        .login_from(source, &body.email, &body.password)
        .await?;
    Ok(axum::Json(LoginResponse {
        token: outcome.token,
        expires_at: outcome.expires_at,
        user: outcome.user,
    })
    .into_response())
}

/// A token to check.
#[derive(Deserialize, ToSchema)]
pub(super) struct ValidateRequest {
    /// The token.
    #[serde(default)]
    token: String,
}

/// Whether a token is accepted, and for whom.
#[derive(Serialize, ToSchema)]
pub(super) struct ValidateResponse {
    /// Whether the token is valid now.
    valid: bool,
    /// The user it stands for, when valid.
    user_id: Option<i64>,
    /// When it expires, when valid.
    expires_at: Option<DateTime<Utc>>,
    /// The user's roles now, when valid.
    #[schema(value_type = Option<Vec<gotemp_core::policy::Role>>)]
    roles: Option<gotemp_core::policy::Roles>,
}

/// Checks a token (for services and gateways that do not hold the signing secret).
#[utoipa::path(post, path = "/v1/auth/validate", tag = "auth", request_body = ValidateRequest,
    responses((status = 200, description = "The verdict (an invalid token is `valid: false`, not an error)", body = ValidateResponse)))]
pub(super) async fn validate(
    State(state): State<ApiState>,
    JsonBody(body): JsonBody<ValidateRequest>,
) -> ApiResult<Response> {
    let answer = match state.app.users().authenticate(&body.token).await {
        Ok(found) => ValidateResponse {
            valid: true,
            user_id: Some(found.actor.user_id),
            expires_at: Some(found.expires_at),
            roles: Some(found.actor.roles),
        },
        Err(Error::Unauthenticated(_)) => ValidateResponse {
            valid: false,
            user_id: None,
            expires_at: None,
            roles: None,
        },
        Err(other) => return Err(other.into()),
    };
    Ok(axum::Json(answer).into_response())
}

/// The current password and the new one.
#[derive(Deserialize, ToSchema)]
pub(super) struct ChangePasswordRequest {
    /// The password the caller has now.
    #[serde(default = "empty_secret")]
    #[schema(value_type = String, format = Password)]
    current_password: SecretString,
    /// The new password, 8 to 1024 characters.
    #[serde(default = "empty_secret")]
    #[schema(value_type = String, format = Password, min_length = 8, max_length = 1024)]
    new_password: SecretString,
}

/// Changes the caller's own password. Every token issued before, this one included, stops
/// working: log in again with the new password.
#[utoipa::path(post, path = "/v1/auth/password", tag = "auth", request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; log in again"),
        (status = 401, description = "Missing or invalid token, or the current password is wrong (said like a failed login)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords, or attempts from this address; `Retry-After` says when to try again", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn change_password(
    State(state): State<ApiState>,
    ClientAddr(source): ClientAddr,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    (state.app.users())
        .change_password(&actor, &body.current_password, &body.new_password, source)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Logs the caller out: every token of the caller issued so far, this one included, is refused
/// from now on (tokens are not told apart per device, so every session of the caller ends).
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Logged out; the token no longer works"),
        (status = 401, description = "Missing or invalid token", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn logout(
    State(state): State<ApiState>,
    Caller(actor): Caller,
) -> ApiResult<StatusCode> {
    state.app.users().logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signs up as an active user with the roles of `GOTEMP_REGISTRATION_ROLES` (none by default:
/// it sees only itself until an administrator grants roles), when the deployment opened
/// registration (`GOTEMP_REGISTRATION=open`); otherwise the route does not exist (404). In a
/// multi-tenant deployment the sign-up names its `organisation` and starts a tenant for it, with
/// the registrant as its administrator.
#[utoipa::path(post, path = "/v1/auth/register", tag = "auth", request_body = NewRegistration,
    responses(
        (status = 201, description = "Signed up; log in with the password", body = User, headers(("Location" = String), ("ETag" = String))),
        (status = 404, description = "Registration is closed", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "The e-mail is taken", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ups for this e-mail or from this address; `Retry-After` says when to try again", body = ProblemDetails, content_type = "application/problem+json"),
    ))]
pub(super) async fn register(
    State(state): State<ApiState>,
    ClientAddr(source): ClientAddr,
    JsonBody(input): JsonBody<NewRegistration>,
) -> ApiResult<Response> {
    let users = state.app.users();
    if !users.registration_open() {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            gotemp_core::tr!("denied.registration_closed"),
        ));
    }
    let user = users.register(source, input).await?;
    Ok(created(
        format!("/v1/users/{}", user.id),
        user.version,
        user,
    ))
}

/// What a sign-in page may offer before anyone signs in.
#[derive(Serialize, ToSchema)]
pub(super) struct AuthOptions {
    /// `open`: anyone may sign up (`POST /v1/auth/register`); `closed`: administrators create
    /// users.
    registration: &'static str,
    /// The roles a user who signs up gets; empty: none until an administrator grants some.
    /// In a multi-tenant deployment the registrant administers the tenant it starts instead.
    #[schema(value_type = Vec<String>)]
    registration_roles: gotemp_core::policy::Roles,
    /// `single`: one organisation; `multi`: many, and a sign-up names its organisation
    /// (`organisation`), whose new tenant it starts.
    #[schema(value_type = String, example = "single")]
    tenancy: &'static str,
    /// Where a trace can be seen, `{trace_id}` standing for its id (`GOTEMP_TRACE_URL`): audit
    /// records link their trace there. Absent when none is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    trace_url: Option<String>,
}

/// Says whether anyone may sign up, so a sign-in page offers it only then.
#[utoipa::path(get, path = "/v1/auth/options", tag = "auth",
    responses((status = 200, description = "What the sign-in page may offer", body = AuthOptions)))]
pub(super) async fn options(State(state): State<ApiState>) -> ApiResult<Response> {
    let registration = match state.app.users().registration_open() {
        true => "open",
        false => "closed",
    };
    let trace_url = state.trace_url.as_deref().map(str::to_owned);
    Ok(axum::Json(AuthOptions {
        registration,
        registration_roles: state.app.users().registration_roles(),
        tenancy: state.app.tenancy().as_str(),
        trace_url,
    })
    .into_response())
}
