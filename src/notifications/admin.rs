//! The staff side of the outbox over HTTP: the notifications log
//! (`/admin/notifications`, `GET /v1/admin/notifications`), resending a failed
//! message, and the test message of the settings page and
//! `POST /v1/admin/notifications/test`. The work is in `manage`.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use jiff::Timestamp;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::manage::{self, Actor, ListQuery, Notification, STATUSES};
use crate::auth::access::{Permission, require};
use crate::auth::session::{ApiStaff, Staff, verify_form};
use crate::config::Config;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::gateways::{self, Channel};
use crate::state::AppState;
use crate::web::client::ClientIp;
use crate::web::extract::{Form, Json, Path, Query};
use crate::web::layout;

/// The pages; the `/v1` routes are registered in `crate::api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/notifications", get(view_notifications_get))
        .route("/admin/notifications/{id}", get(view_notification_get))
        .route("/admin/notifications/{id}/resend", post(view_resend_post))
        .route("/admin/settings/test-message", post(view_test_post))
}

#[derive(Serialize, ToSchema)]
pub struct NotificationPage {
    items: Vec<Notification>,
    page: u32,
    per_page: u32,
    total: i64,
}

/// The notifications log, newest first.
#[utoipa::path(
    get,
    path = "/v1/admin/notifications",
    tag = "admin",
    security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = NotificationPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn api_list(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<ListQuery>,
) -> AppResult<axum::Json<NotificationPage>> {
    require(staff.user.role, Permission::ManageNotifications)?;
    let filter = q.parse().map_err(AppError::Validation)?;
    let (page, per_page) = (filter.page, filter.per_page);
    let (items, total) = manage::load(&state, filter).await?;
    Ok(axum::Json(NotificationPage {
        items,
        page,
        per_page,
        total,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct TestRequest {
    /// `email`, `sms` or `whatsapp` (when configured).
    channel: String,
    /// An email address or a phone number, as the channel needs.
    to: String,
}

/// Queue a test message on one channel.
#[utoipa::path(
    post,
    path = "/v1/admin/notifications/test",
    tag = "admin",
    security(("bearer" = [])),
    request_body = TestRequest,
    responses(
        (status = 202, description = "Queued; the worker sends it", body = Notification),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, description = "Unknown or unconfigured channel, or a bad recipient", body = ErrorBody),
    )
)]
pub async fn api_test(
    State(state): State<AppState>,
    staff: ApiStaff,
    ip: ClientIp,
    Json(input): Json<TestRequest>,
) -> AppResult<(StatusCode, axum::Json<Notification>)> {
    require(staff.user.role, Permission::ManageNotifications)?;
    let (channel, to) = manage::parse_test(&state.config, &input.channel, &input.to)
        .map_err(AppError::Validation)?;
    let row = manage::queue_test(&state, Actor::new(&staff.user, &ip), channel, to).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(row)))
}

/// Queue a failed message again.
#[utoipa::path(
    post,
    path = "/v1/admin/notifications/{id}/resend",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    responses(
        (status = 202, description = "Queued again", body = Notification),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`not_failed`: only a failed message can be resent", body = ErrorBody),
    )
)]
pub async fn api_resend(
    State(state): State<AppState>,
    staff: ApiStaff,
    ip: ClientIp,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, axum::Json<Notification>)> {
    require(staff.user.role, Permission::ManageNotifications)?;
    let row = manage::resend(&state, Actor::new(&staff.user, &ip), &id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(row)))
}

#[derive(Deserialize, Default)]
pub struct PageParams {
    #[serde(flatten)]
    q: ListQuery,
    msg: Option<String>,
}

/// Shows a time stored in UTC in the business time zone.
fn local(config: &Config, at: &str) -> String {
    at.parse::<Timestamp>()
        .map(|t| {
            t.to_zoned(config.business.timezone.tz().clone())
                .strftime("%a %-d %b %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

fn status_badge(status: &str) -> Markup {
    html! { span class={ "badge badge-" (status) } { (status) } }
}

fn flash(msg: Option<&str>) -> Markup {
    let text = match msg {
        Some("resent") => Some(("alert-success", "Queued again; it will be sent shortly.")),
        Some("not_failed") => Some(("alert-error", "Only a failed message can be sent again.")),
        _ => None,
    };
    html! {
        @if let Some((class, t)) = text { p.alert.(class) role="status" { (t) } }
    }
}

/// `GET /admin/notifications`
pub async fn view_notifications_get(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<PageParams>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageNotifications)?;
    let q = params.q;
    let filter = q.parse().map_err(AppError::Validation)?;
    let (page, per_page) = (filter.page, filter.per_page);
    let (rows, total) = manage::load(&state, filter).await?;
    let (status, channel) = (
        q.status.as_deref().unwrap_or(""),
        q.channel.as_deref().unwrap_or(""),
    );
    let page_link = |p: u32| {
        format!(
            "/admin/notifications?status={}&channel={}&page={p}",
            layout::url_encode(status),
            layout::url_encode(channel)
        )
    };
    let pages = (total + i64::from(per_page) - 1) / i64::from(per_page);
    let c = &state.config;
    let body = html! {
        (flash(params.msg.as_deref()))
        form.toolbar method="get" action="/admin/notifications" {
            label { "Status "
                select name="status" {
                    option value="" { "Any" }
                    @for s in STATUSES { option value=(s) selected[status == s] { (s) } }
                }
            }
            label { "Channel "
                select name="channel" {
                    option value="" { "Any" }
                    @for ch in Channel::ALL { option value=(ch.as_str()) selected[channel == ch.as_str()] { (ch.label()) } }
                }
            }
            button.btn.btn-small.btn-secondary type="submit" { "Filter" }
        }
        @if rows.is_empty() {
            p.empty { "No messages match." }
        } @else {
            div.table-wrap {
                table.data.notifications {
                    thead { tr { th { "Queued" } th { "Channel" } th { "To" } th { "Message" } th { "Status" } th { "Attempts" } th { "Sent" } } }
                    tbody {
                        @for n in &rows {
                            tr {
                                td { (local(c, &n.created_at)) }
                                td { (n.channel) }
                                td { (n.recipient) }
                                td { a href={ "/admin/notifications/" (n.id) } { (n.template.replace('_', " ")) } }
                                td { (status_badge(&n.status)) @if let Some(e) = &n.error { br; small.muted { (e) } } }
                                td { (n.attempts) }
                                td { @if let Some(s) = &n.sent_at { (local(c, s)) } }
                            }
                        }
                    }
                }
            }
            @if pages > 1 {
                nav.pager aria-label="Pages" {
                    @if page > 1 { a.btn.btn-small.btn-secondary href=(page_link(page - 1)) { "← Newer" } }
                    span { "Page " (page) " of " (pages) }
                    @if i64::from(page) < pages { a.btn.btn-small.btn-secondary href=(page_link(page + 1)) { "Older →" } }
                }
            }
        }
    };
    Ok(layout::admin(
        c,
        &staff.view(),
        "Notifications",
        "/admin/notifications",
        body,
    ))
}

#[derive(Deserialize, Default)]
pub struct MsgParam {
    msg: Option<String>,
}

/// `GET /admin/notifications/{id}`: one message, with Resend when it failed.
pub async fn view_notification_get(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    Query(m): Query<MsgParam>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageNotifications)?;
    let n = state
        .db
        .read(move |c| manage::find(c, &id).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let c = &state.config;
    let body = html! {
        (flash(m.msg.as_deref()))
        section.panel {
            dl.summary {
                dt { "Channel" } dd { (n.channel) }
                dt { "To" } dd { (n.recipient) }
                dt { "Message" } dd { (n.template.replace('_', " ")) }
                dt { "Status" } dd { (status_badge(&n.status)) }
                dt { "Attempts" } dd { (n.attempts) }
                dt { "Queued" } dd { (local(c, &n.created_at)) }
                @if let Some(s) = &n.sent_at { dt { "Sent" } dd { (local(c, s)) } }
                @if n.status == "queued" && n.attempts > 0 { dt { "Next attempt" } dd { (local(c, &n.next_attempt_at)) } }
                @if let Some(e) = &n.error { dt { "Last error" } dd { (e) } }
                @if let Some(b) = &n.booking_id { dt { "Booking" } dd { a href={ "/admin/bookings/" (b) } { "Open booking" } } }
            }
            @if !n.subject.is_empty() { h2 { (n.subject) } }
            pre.message-text { (n.text) }
            @if n.status == "failed" {
                form method="post" action={ "/admin/notifications/" (n.id) "/resend" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    button.btn.btn-primary type="submit" { "Resend" }
                }
            }
        }
        p { a href="/admin/notifications" { "← All messages" } }
    };
    Ok(layout::admin(
        c,
        &staff.view(),
        "Message",
        "/admin/notifications",
        body,
    ))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/notifications/{id}/resend`
pub async fn view_resend_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    ip: ClientIp,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    require(staff.user.role, Permission::ManageNotifications)?;
    let msg = match manage::resend(&state, Actor::new(&staff.user, &ip), &id).await {
        Ok(_) => "resent",
        Err(AppError::Conflict { .. }) => "not_failed",
        Err(e) => return Err(e),
    };
    Ok(Redirect::to(&format!("/admin/notifications/{id}?msg={msg}")).into_response())
}

#[derive(Deserialize)]
pub struct TestForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    to: String,
}

/// `POST /admin/settings/test-message`: the settings page's test button.
pub async fn view_test_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    ip: ClientIp,
    Form(form): Form<TestForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    require(staff.user.role, Permission::ManageSettings)?;
    let msg = match manage::parse_test(&state.config, &form.channel, &form.to) {
        Ok((channel, to)) => {
            manage::queue_test(&state, Actor::new(&staff.user, &ip), channel, to).await?;
            "test_queued".to_owned()
        }
        Err(errors) => format!("test_invalid_{}", errors.fields().next().unwrap_or("to")),
    };
    Ok(Redirect::to(&format!("/admin/settings?msg={msg}")).into_response())
}

/// The settings page's "send test message" forms, one per configured channel.
pub fn test_forms(config: &Config, csrf: &str, msg: Option<&str>) -> Markup {
    let notice = match msg {
        Some("test_queued") => Some((
            "alert-success",
            "Test message queued. Its outcome shows in the notifications log.",
        )),
        Some("test_invalid_to") => Some((
            "alert-error",
            "That recipient is not valid for the channel.",
        )),
        Some("test_invalid_channel") => Some(("alert-error", "That channel is not configured.")),
        _ => None,
    };
    html! {
        section.panel #test-message {
            h2 { "Send a test message" }
            p.muted { "The log provider only writes the message to the server log." }
            @if let Some((class, t)) = notice { p.alert.(class) role="status" { (t) } }
            @for ch in Channel::ALL.into_iter().filter(|ch| gateways::configured(config, *ch)) {
                form.toolbar method="post" action="/admin/settings/test-message" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="channel" value=(ch.as_str());
                    label { (ch.label()) " (" (gateways::provider_name(config, ch)) ") to "
                        @if ch == Channel::Email {
                            input type="email" name="to" required placeholder="you@example.com";
                        } @else {
                            input type="tel" name="to" required placeholder="0991 234 567";
                        }
                    }
                    button.btn.btn-small.btn-primary type="submit" { "Send test message" }
                }
            }
            p.muted { a href="/admin/notifications" { "Notifications log" } }
        }
    }
}
