//! The staff JSON API's sign-in: `POST /v1/auth/login`, `POST /v1/auth/logout`,
//! `GET /v1/auth/me`. Tokens are opaque, stored hashed, expire, and are
//! revoked by logout and by a password reset.

use axum::{extract::State, http::StatusCode};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::repo::{self, SessionKind};
use super::session::ApiStaff;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::ids::UserId;
use crate::roles::Role;
use crate::state::AppState;
use crate::web::client::ClientIp;
use crate::web::extract::Json;

#[derive(Deserialize, ToSchema)]
pub struct LoginInput {
    email: String,
    password: String,
    /// The current code from the authenticator app, when 2FA is on.
    totp: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl From<&repo::User> for UserView {
    fn from(u: &repo::User) -> Self {
        UserView {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LoginResult {
    /// Send as `Authorization: Bearer <token>`.
    token: String,
    expires_at: String,
    user: UserView,
}

/// Sign in and get a bearer token.
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    tag = "auth",
    request_body = LoginInput,
    responses(
        (status = 200, body = LoginResult),
        (status = 401, description = "`invalid_credentials` (the same for an unknown email and a wrong password), `totp_required` or `invalid_totp`", body = ErrorBody),
        (status = 403, description = "Address outside admin_allow", body = ErrorBody),
        (status = 429, description = "Too many failures for this account or address", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(input): Json<LoginInput>,
) -> AppResult<axum::Json<LoginResult>> {
    let user = super::login::attempt(
        &state,
        &input.email,
        &input.password,
        input.totp.as_deref(),
        ip,
    )
    .await?;
    let now = state.clock.now();
    let lifetime = SignedDuration::from_hours(state.config.security.session_hours.0.into());
    let id = user.id.clone();
    let ip = ip.to_string();
    let session = state
        .db
        .write(move |tx| {
            repo::create_session(tx, &id, SessionKind::Bearer, lifetime, &ip, "api", now)
                .map_err(AppError::Internal)
        })
        .await?;
    Ok(axum::Json(LoginResult {
        token: session.token,
        expires_at: session.expires_at.to_string(),
        user: UserView::from(&user),
    }))
}

/// Revoke this token.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Token revoked"), (status = 401, body = ErrorBody))
)]
pub async fn logout(State(state): State<AppState>, staff: ApiStaff) -> AppResult<StatusCode> {
    let token = staff.token;
    state
        .db
        .write(move |tx| repo::delete_session(tx, &token).map_err(AppError::from))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who this token belongs to.
#[utoipa::path(
    get,
    path = "/v1/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody))
)]
pub async fn me(staff: ApiStaff) -> axum::Json<UserView> {
    axum::Json(UserView::from(&staff.user))
}
