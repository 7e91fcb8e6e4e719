//! Thin handlers for sign-in, sign-out, first-run setup and the dashboard.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use jiff::SignedDuration;
use serde::Deserialize;

use super::model::NewUser;
use super::session::{self, SESSION_COOKIE, Staff};
use super::{password, repo, views};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::roles::Role;
use crate::state::AppState;
use crate::web::client::ClientIp;
use crate::web::extract::{Form, Query};
use crate::web::redirect::LocalPath;

/// How long the first-run setup link stays valid.
pub const SETUP_LINK_LIFETIME: SignedDuration = SignedDuration::from_hours(24);

/// When no staff user exists yet, issues a fresh setup token and returns the
/// link the owner opens to create the first admin.
pub async fn issue_setup_link(state: &AppState) -> anyhow::Result<Option<String>> {
    let now = state.clock.now();
    let token = state
        .db
        .write(move |tx| -> anyhow::Result<Option<String>> {
            if repo::count_users(tx)? > 0 {
                return Ok(None);
            }
            repo::create_setup_token(tx, SETUP_LINK_LIFETIME, now).map(Some)
        })
        .await?;
    Ok(token.map(|t| format!("{}/admin/setup?token={t}", state.config.base_url())))
}

#[derive(Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

/// Refuses setup once an admin exists, or with an unknown or expired token.
async fn check_setup_token(state: &AppState, token: &str) -> AppResult<Option<Response>> {
    let now = state.clock.now();
    let token = token.to_owned();
    let (users, valid) = state
        .db
        .read(move |c| -> AppResult<(i64, bool)> {
            Ok((
                repo::count_users(c)?,
                repo::setup_token_valid(c, &token, now)?,
            ))
        })
        .await?;
    if users > 0 {
        return Ok(Some(Redirect::to("/admin/login").into_response()));
    }
    if !valid {
        return Err(AppError::forbidden(
            "invalid_setup_token",
            "This setup link is not valid or has expired. Restart `daytona serve` to print a new one.",
        ));
    }
    Ok(None)
}

pub async fn view_setup_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<SetupQuery>,
) -> AppResult<Response> {
    if let Some(done) = check_setup_token(&state, &q.token).await? {
        return Ok(done);
    }
    let (jar, csrf) = session::csrf_cookie_token(&state, &headers, jar);
    let page = views::setup(
        &state.config,
        &q.token,
        &csrf,
        &Default::default(),
        &FieldErrors::new(),
    );
    Ok((jar, page).into_response())
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

pub async fn view_setup_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    Form(form): Form<SetupForm>,
) -> AppResult<Response> {
    let expected = jar
        .get(session::CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    session::verify_form(&headers, &expected, &form.csrf)?;
    if let Some(done) = check_setup_token(&state, &form.token).await? {
        return Ok(done);
    }
    let parsed = NewUser::parse(&form.email, &form.name, Role::Admin, &form.password);
    let user = match parsed {
        Ok(user) if form.password == form.password_confirm => user,
        result => {
            let mut errors = result.err().unwrap_or_default();
            if form.password != form.password_confirm {
                errors.add("password_confirm", "The two passwords differ.");
            }
            let values = views::SetupValues {
                email: &form.email,
                name: &form.name,
            };
            let page = views::setup(&state.config, &form.token, &form.csrf, &values, &errors);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let hash = password::hash_blocking(user.password.expose().to_owned()).await?;
    let now = state.clock.now();
    let lifetime = SignedDuration::from_hours(state.config.security.session_hours.0.into());
    let token = form.token.clone();
    let ua = user_agent(&headers);
    let ip = ip.to_string();
    let created = state
        .db
        .write(move |tx| -> AppResult<Option<repo::NewSession>> {
            // Re-checked inside the write transaction: two tabs submitting at
            // once must not create two first admins.
            if repo::count_users(tx)? > 0 || !repo::setup_token_valid(tx, &token, now)? {
                return Ok(None);
            }
            let id = repo::insert_user(tx, &user, &hash, now)?;
            repo::delete_setup_tokens(tx)?;
            repo::record_login(tx, &id, now)?;
            let session =
                repo::create_session(tx, &id, repo::SessionKind::Cookie, lifetime, &ip, &ua, now)?;
            tracing::info!(user_id = %id, "first admin created through the setup link");
            Ok(Some(session))
        })
        .await?;
    let Some(session) = created else {
        return Ok(Redirect::to("/admin/login").into_response());
    };
    let jar = jar
        .remove(Cookie::from(session::CSRF_COOKIE))
        .add(session::cookie(
            &state,
            &headers,
            SESSION_COOKIE,
            session.token,
            Some(lifetime),
        ));
    Ok((jar, Redirect::to("/admin")).into_response())
}

#[derive(Deserialize)]
pub struct LoginQuery {
    /// Where to go after signing in: an admin page, or nothing.
    #[serde(default, deserialize_with = "LocalPath::lenient")]
    next: Option<LocalPath>,
}

pub async fn view_login_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<LoginQuery>,
) -> Response {
    let (jar, csrf) = session::csrf_cookie_token(&state, &headers, jar);
    let values = views::LoginValues {
        email: "",
        next: q.next.as_ref().map_or("", LocalPath::as_str),
    };
    (jar, views::login(&state.config, &csrf, &values, None, None)).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default, deserialize_with = "LocalPath::lenient")]
    next: Option<LocalPath>,
}

pub async fn view_login_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    ClientIp(ip): ClientIp,
    Form(form): Form<LoginForm>,
) -> AppResult<Response> {
    let expected = jar
        .get(session::CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    session::verify_form(&headers, &expected, &form.csrf)?;
    let again = |status: StatusCode, message: &str| {
        let values = views::LoginValues {
            email: &form.email,
            next: form.next.as_ref().map_or("", LocalPath::as_str),
        };
        (
            status,
            views::login(&state.config, &form.csrf, &values, Some(message), None),
        )
            .into_response()
    };
    let user = match super::login::attempt(
        &state,
        &form.email,
        &form.password,
        Some(form.totp.as_str()),
        ip,
    )
    .await
    {
        Ok(user) => user,
        Err(AppError::Unauthorized { message, .. }) => {
            return Ok(again(StatusCode::UNAUTHORIZED, &message));
        }
        Err(AppError::RateLimited { retry_after_secs }) => {
            let minutes = retry_after_secs.div_ceil(60);
            let mut res = again(
                StatusCode::TOO_MANY_REQUESTS,
                &format!("Too many failed sign-ins. Try again in {minutes} minutes."),
            );
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, retry_after_secs.into());
            return Ok(res);
        }
        Err(e) => return Err(e),
    };
    let now = state.clock.now();
    let lifetime = SignedDuration::from_hours(state.config.security.session_hours.0.into());
    let (ua, ip) = (user_agent(&headers), ip.to_string());
    let id = user.id.clone();
    let session = state
        .db
        .write(move |tx| {
            repo::create_session(tx, &id, repo::SessionKind::Cookie, lifetime, &ip, &ua, now)
                .map_err(AppError::Internal)
        })
        .await?;
    let jar = jar.add(session::cookie(
        &state,
        &headers,
        SESSION_COOKIE,
        session.token,
        Some(lifetime),
    ));
    // Only admin pages are followed after sign-in (no open redirect).
    let target = form
        .next
        .and_then(|n| LocalPath::under(n.as_str(), "/admin"))
        .unwrap_or_else(|| LocalPath::new(user.role.home()));
    Ok((jar, target).into_response())
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn view_logout_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    staff: Staff,
    Form(form): Form<CsrfOnly>,
) -> AppResult<Response> {
    session::verify_form(&headers, &staff.csrf, &form.csrf)?;
    let token = staff.token.clone();
    state
        .db
        .write(move |tx| repo::delete_session(tx, &token).map_err(AppError::from))
        .await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/admin/login")).into_response())
}

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}
