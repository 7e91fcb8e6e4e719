//! Staff sessions for the HTML admin: the session cookie, CSRF tokens, and
//! the `Staff` extractor that every admin page takes.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use jiff::SignedDuration;
use std::net::IpAddr;

use crate::audit::actor::Actor;
use crate::auth::repo::{self, User};
use crate::error::AppError;
use crate::state::AppState;
use crate::web::client::client_ip;

pub const SESSION_COOKIE: &str = "daytona_session";
/// Double-submit CSRF cookie for forms shown before there is a session (sign-in, setup).
pub const CSRF_COOKIE: &str = "daytona_csrf";

/// `last_seen_at` is refreshed at most this often, so browsing is not a write per request.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);

/// The signed-in staff member of an admin page request.
pub struct Staff {
    pub user: User,
    /// This session's CSRF token, to embed in forms and check on POST.
    pub csrf: String,
    pub token: String,
    /// Where the request came from (audit, throttling).
    pub ip: IpAddr,
}

impl Staff {
    /// This staff member as the actor of a change.
    pub fn actor(&self) -> Actor {
        self.user.actor(self.ip)
    }

    /// Who the admin layout shows as signed in.
    pub fn view(&self) -> crate::web::layout::AdminUser<'_> {
        crate::web::layout::AdminUser {
            name: &self.user.name,
            role: self.user.role.as_str(),
            csrf: &self.csrf,
            nav: super::access::nav(self.user.role),
        }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let to_login = || {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/admin");
            let target = format!("/admin/login?next={}", crate::web::layout::url_encode(next));
            Redirect::to(&target).into_response()
        };
        let jar = CookieJar::from_headers(&parts.headers);
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Err(to_login());
        };
        let session = live_session(state, &token, repo::SessionKind::Cookie)
            .await
            .map_err(IntoResponse::into_response)?
            .ok_or_else(to_login)?;
        // `[security] require_totp`: nothing but enrolment until 2FA is on.
        let path = parts.uri.path();
        if state.config.security.require_totp
            && session.user.totp_secret.is_none()
            && !path.starts_with("/admin/account/2fa")
            && path != "/admin/logout"
        {
            return Err(Redirect::to("/admin/account/2fa").into_response());
        }
        Ok(Staff {
            user: session.user,
            csrf: session.csrf,
            token,
            ip: client_ip(parts, state.config.server.trust_proxy),
        })
    }
}

/// Finds a session that has neither expired nor idled out, and refreshes
/// its idle clock (at most once a minute, so browsing is not a write per page).
async fn live_session(
    state: &AppState,
    token: &str,
    kind: repo::SessionKind,
) -> Result<Option<repo::SessionUser>, AppError> {
    let now = state.clock.now();
    let idle = SignedDuration::from_mins(state.config.security.session_idle_minutes.0.into());
    let lookup = token.to_owned();
    let found = state
        .db
        .read(move |c| repo::find_session(c, &lookup, kind, idle, now))
        .await?;
    let Some(session) = found else {
        return Ok(None);
    };
    let stale = jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%.fZ", &session.last_seen_at)
        .map(|seen| now.duration_since(seen) > TOUCH_EVERY)
        .unwrap_or(true);
    if stale {
        let touch = token.to_owned();
        state
            .db
            .write(move |tx| repo::touch_session(tx, &touch, now).map_err(AppError::from))
            .await?;
    }
    Ok(Some(session))
}

/// The staff member behind a JSON API request (`Authorization: Bearer …`).
pub struct ApiStaff {
    pub user: User,
    pub token: String,
    /// Where the request came from (audit).
    pub ip: IpAddr,
}

impl ApiStaff {
    /// This staff member as the actor of a change.
    pub fn actor(&self) -> Actor {
        self.user.actor(self.ip)
    }
}

impl FromRequestParts<AppState> for ApiStaff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let unauthorized = || AppError::Unauthorized {
            code: "unauthorized",
            message: "Sign in first: send Authorization: Bearer <token> from POST /v1/auth/login."
                .into(),
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(unauthorized)?
            .to_owned();
        let session = live_session(state, &token, repo::SessionKind::Bearer)
            .await?
            .ok_or_else(unauthorized)?;
        if state.config.security.require_totp && session.user.totp_secret.is_none() {
            return Err(AppError::forbidden(
                "totp_enrolment_required",
                "Two-step sign-in is required: turn it on at /admin/account/2fa first.",
            ));
        }
        Ok(ApiStaff {
            user: session.user,
            token,
            ip: client_ip(parts, state.config.server.trust_proxy),
        })
    }
}

/// Whether the request reached us over HTTPS (directly per `public_url`, or
/// through a trusted proxy that says so).
pub fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    crate::web::is_https(&state.config, headers)
}

/// A cookie with the flags every Daytona cookie has. `Secure` only over
/// HTTPS: browsers drop Secure cookies on plain-HTTP LAN addresses, and the
/// admin must be able to sign in on the workshop LAN.
pub fn cookie(
    state: &AppState,
    headers: &HeaderMap,
    name: &'static str,
    value: String,
    max_age: Option<SignedDuration>,
) -> Cookie<'static> {
    let mut c = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(is_https(state, headers))
        .build();
    if let Some(age) = max_age {
        c.set_max_age(time_duration(age));
    }
    c
}

fn time_duration(d: SignedDuration) -> time::Duration {
    time::Duration::seconds(d.as_secs())
}

/// The pre-session CSRF token: the one in the cookie, or a new one to set.
pub fn csrf_cookie_token(
    state: &AppState,
    headers: &HeaderMap,
    jar: CookieJar,
) -> (CookieJar, String) {
    match jar.get(CSRF_COOKIE) {
        Some(c) if c.value().len() == 64 => {
            let token = c.value().to_owned();
            (jar, token)
        }
        _ => {
            let token = repo::random_token();
            let jar = jar.add(cookie(state, headers, CSRF_COOKIE, token.clone(), None));
            (jar, token)
        }
    }
}

/// Checks a submitted form: its CSRF token must equal `expected`, and a
/// browser that says where the request came from must say it came from us.
pub fn verify_form(headers: &HeaderMap, expected: &str, submitted: &str) -> Result<(), AppError> {
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), submitted.as_bytes()) {
        return Err(AppError::forbidden(
            "csrf_failed",
            "This form has expired. Go back, reload the page and try again.",
        ));
    }
    check_same_origin(headers)
}

/// Refuses requests that a browser marks as cross-site, or whose `Origin`
/// names another host than the one addressed.
pub fn check_same_origin(headers: &HeaderMap) -> Result<(), AppError> {
    let cross = || AppError::forbidden("cross_origin", "Cross-site requests are not allowed.");
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site")
    {
        return Err(cross());
    }
    if let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        let origin = origin.to_str().unwrap_or_default();
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or("");
        if origin == "null" || !origin_host.eq_ignore_ascii_case(host.to_str().unwrap_or_default())
        {
            return Err(cross());
        }
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
