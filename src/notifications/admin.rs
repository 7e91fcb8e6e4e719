//! The staff side of the outbox over HTTP: the notifications log
//! (`/admin/notifications`, `GET /v1/admin/notifications`), resending a failed
//! message, and the test message of the settings page and
//! `POST /v1/admin/notifications/test`. The work is in `manage`.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use maud::{Markup, html};
use serde::Deserialize;
use utoipa::ToSchema;

use super::manage::{self, ListQuery, STATUSES};
use super::repo::Notification;
use crate::auth::access::{Permission, require};
use crate::auth::session::{ApiStaff, Staff, verify_form};
use crate::error::{AppError, AppResult, ErrorBody};
use crate::gateways::Channel;
use crate::ids::NotificationId;
use crate::state::AppState;
use crate::web::extract::{Form, Json, Path, Query};
use crate::web::layout::{self, local_time};
use crate::web::paging::{Page, page_param, pager};
use crate::web::redirect::LocalPath;

/// The pages; the `/v1` routes are registered in `crate::api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/notifications", get(view_notifications_get))
        .route("/admin/notifications/{id}", get(view_notification_get))
        .route("/admin/notifications/{id}/resend", post(view_resend_post))
        .route("/admin/settings/test-message", post(view_test_post))
}

/// The notifications log, newest first.
#[utoipa::path(
    get,
    path = "/v1/admin/notifications",
    tag = "admin",
    security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, body = Page<Notification>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn api_list(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<ListQuery>,
) -> AppResult<axum::Json<Page<Notification>>> {
    require(staff.user.role, Permission::ManageNotifications)?;
    let filter = q.parse().map_err(AppError::Validation)?;
    Ok(axum::Json(manage::list(&state, filter).await?))
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
    Json(input): Json<TestRequest>,
) -> AppResult<(StatusCode, axum::Json<Notification>)> {
    require(staff.user.role, Permission::ManageNotifications)?;
    let (channel, to) = manage::parse_test(&state.config, &input.channel, &input.to)
        .map_err(AppError::Validation)?;
    let row = manage::queue_test(&state, &staff.actor(), channel, to).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(row)))
}

/// Queue a failed message again.
#[utoipa::path(
    post,
    path = "/v1/admin/notifications/{id}/resend",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = NotificationId, Path, description = "The message's id")),
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
    Path(id): Path<NotificationId>,
) -> AppResult<(StatusCode, axum::Json<Notification>)> {
    let row = manage::resend(&state, &staff.actor(), &id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(row)))
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
    Query(q): Query<ListQuery>,
    Query(m): Query<MsgParam>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageNotifications)?;
    let filter = q.parse().map_err(AppError::Validation)?;
    let list = manage::list(&state, filter).await?;
    let (status, channel) = (
        q.status.as_deref().unwrap_or(""),
        q.channel.as_deref().unwrap_or(""),
    );
    let page_link = |p: u32| {
        let page = page_param(p);
        let q = layout::query_string(&[("status", status), ("channel", channel), ("page", &page)]);
        format!("/admin/notifications?{q}")
    };
    let c = &state.config;
    let body = html! {
        (flash(m.msg.as_deref()))
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
        @if list.items.is_empty() {
            p.empty { "No messages match." }
        } @else {
            div.table-wrap {
                table.data.notifications {
                    thead { tr { th { "Queued" } th { "Channel" } th { "To" } th { "Message" } th { "Status" } th { "Attempts" } th { "Sent" } } }
                    tbody {
                        @for n in &list.items {
                            tr {
                                td { (local_time(c, &n.created_at)) }
                                td { (n.channel) }
                                td { (n.recipient) }
                                td { a href={ "/admin/notifications/" (n.id) } { (n.template.replace('_', " ")) } }
                                td { (status_badge(&n.status)) @if let Some(e) = &n.error { br; small.muted { (e) } } }
                                td { (n.attempts) }
                                td { @if let Some(s) = &n.sent_at { (local_time(c, s)) } }
                            }
                        }
                    }
                }
            }
            (pager(list.paging(), list.total, page_link))
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
    Path(id): Path<NotificationId>,
    Query(m): Query<MsgParam>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageNotifications)?;
    let n = manage::find(&state, &id).await?;
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
                dt { "Queued" } dd { (local_time(c, &n.created_at)) }
                @if let Some(s) = &n.sent_at { dt { "Sent" } dd { (local_time(c, s)) } }
                @if n.status == "queued" && n.attempts > 0 { dt { "Next attempt" } dd { (local_time(c, &n.next_attempt_at)) } }
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
    Path(id): Path<NotificationId>,
    Form(form): Form<CsrfForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    let msg = match manage::resend(&state, &staff.actor(), &id).await {
        Ok(_) => "resent",
        Err(AppError::Conflict { .. }) => "not_failed",
        Err(e) => return Err(e),
    };
    Ok(LocalPath::new(&format!("/admin/notifications/{id}"))
        .with("msg", msg)
        .into_response())
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
    Form(form): Form<TestForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    require(staff.user.role, Permission::ManageSettings)?;
    let msg = match manage::parse_test(&state.config, &form.channel, &form.to) {
        Ok((channel, to)) => {
            manage::queue_test(&state, &staff.actor(), channel, to).await?;
            "test_queued".to_owned()
        }
        Err(errors) => format!("test_invalid_{}", errors.fields().next().unwrap_or("to")),
    };
    Ok(LocalPath::new("/admin/settings")
        .with("msg", &msg)
        .into_response())
}
