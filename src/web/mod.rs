//! HTTP plumbing shared by every domain: middleware, extractors, assets,
//! page layouts, the public page cache and rate limits. It knows the
//! configuration, never a domain or the app state.

pub mod assets;
pub mod cache;
pub mod client;
pub mod extract;
pub mod layout;
pub mod paging;
pub mod ratelimit;
pub mod redirect;

use axum::{
    body::Body,
    extract::{DefaultBodyLimit, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use maud::html;
use tower::{Layer, ServiceExt};

use std::sync::Arc;

use crate::config::Config;
use crate::error::{ErrorInfo, error_body};
use redirect::LocalPath;

/// Content-Security-Policy: only our own scripts, styles and images; no inline
/// script; never framed.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers of SPEC §10 to every response.
pub async fn security_headers(
    State(config): State<Arc<Config>>,
    req: Request,
    next: Next,
) -> Response {
    let https = is_https(&config, req.headers());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set("content-security-policy", CSP);
    set("x-content-type-options", "nosniff");
    set("x-frame-options", "DENY");
    set("referrer-policy", "strict-origin-when-cross-origin");
    set(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    set("cross-origin-opener-policy", "same-origin");
    if https {
        set(
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}

/// For routes that take uploads (`from_fn_with_state(limit, multipart_limit)`):
/// a multipart body may be up to `limit` bytes, while any other body (JSON,
/// a urlencoded form) keeps the server-wide `[server] max_body_kib`.
/// Raising `DefaultBodyLimit` on the whole route would let a JSON body of
/// the upload's size through as well.
pub async fn multipart_limit(State(limit): State<usize>, req: Request, next: Next) -> Response {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return next.run(req).await;
    }
    match DefaultBodyLimit::max(limit).layer(next).oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}

/// Whether this request came over HTTPS: the configured public URL says
/// so, or (only when `trust_proxy` is on) our proxy does.
pub fn is_https(config: &Config, headers: &axum::http::HeaderMap) -> bool {
    config.is_https()
        || (config.server.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https")))
}

/// Gives every error one consistent body: the JSON shape of SPEC §5 under
/// `/v1` (also for errors produced outside handlers: 405, 408, 413, panics),
/// and an HTML page with the layout everywhere else.
pub async fn error_bodies(State(config): State<Arc<Config>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let is_api = path == "/v1" || path.starts_with("/v1/");
    if is_api && content_type.starts_with("application/json") {
        return res;
    }
    if !is_api && (content_type.starts_with("text/html") || path == "/healthz") {
        return res;
    }
    let message = res
        .extensions()
        .get::<ErrorInfo>()
        .map(|i| i.message.clone())
        .unwrap_or_else(|| default_message(status).to_owned());
    let (mut parts, _) = res.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = if is_api {
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Body::from(error_body(default_code(status), &message).to_string())
    } else {
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        Body::from(error_page(&config, status, &message).into_string())
    };
    Response::from_parts(parts, body)
}

fn error_page(config: &Config, status: StatusCode, message: &str) -> maud::Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    layout::public(
        config,
        layout::Page {
            title,
            description: "",
            body: html! {
                section.error-page {
                    p.error-code { (status.as_u16()) }
                    h1 { (title) }
                    p.lead { (message) }
                    div.btn-row {
                        a.btn.btn-primary href="/" { "Go to the home page" }
                        a.btn.btn-secondary href="/contact" { "Contact us" }
                    }
                }
            },
        },
    )
}

fn default_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "internal_error",
        _ => "error",
    }
}

fn default_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => {
            "We could not find that page. It may have moved, or the link may be mistyped."
        }
        StatusCode::METHOD_NOT_ALLOWED => "This address does not accept that kind of request.",
        StatusCode::REQUEST_TIMEOUT => "The request took too long. Please try again.",
        StatusCode::PAYLOAD_TOO_LARGE => "What you sent is too large.",
        StatusCode::FORBIDDEN => "You are not allowed to do that.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "That kind of content is not accepted here.",
        s if s.is_server_error() => {
            "Something went wrong on our side. Please try again in a moment."
        }
        _ => "The request could not be handled.",
    }
}

/// Fallback for every unknown path; `error_bodies` picks JSON or HTML.
pub async fn not_found() -> impl IntoResponse {
    crate::error::AppError::NotFound
}

/// Where to go after a staff action: back to the admin page it came from
/// (when that is one), else `fallback`, with the outcome as a message code
/// replacing an earlier one.
pub fn back_to(back: Option<LocalPath>, fallback: &str, msg: &str) -> Response {
    back.and_then(|b| LocalPath::under(b.as_str(), "/admin"))
        .unwrap_or_else(|| LocalPath::new(fallback))
        .with("msg", msg)
        .into_response()
}
