//! The staff side of the outbox: the notifications log (`/admin/notifications`,
//! `GET /v1/admin/notifications`), resending a failed message, and the test
//! message of the settings page and `POST /v1/admin/notifications/test`.
//! Every resend and test message is audited.

use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use jiff::Timestamp;
use maud::{Markup, html};
use rusqlite::{Connection, OptionalExtension, ToSql, params, params_from_iter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::{Channel, Message, Subject, messages, providers};
use crate::app::AppState;
use crate::audit;
use crate::auth::access::{Permission, require};
use crate::auth::model::Email;
use crate::auth::repo::User;
use crate::auth::session::{ApiStaff, Staff, verify_form};
use crate::config::Config;
use crate::error::{AppError, AppResult, ErrorBody, FieldErrors};
use crate::phone::Phone;
use crate::web::client::ClientIp;
use crate::web::extract::{Form, Json, Path, Query};
use crate::web::layout::{self, AdminUser};

/// The pages; the `/v1` routes are registered in `crate::api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/notifications", get(view_notifications_get))
        .route("/admin/notifications/{id}", get(view_notification_get))
        .route("/admin/notifications/{id}/resend", post(view_resend_post))
        .route("/admin/settings/test-message", post(view_test_post))
}

const STATUSES: [&str; 3] = ["queued", "sent", "failed"];

/// The log's filters, as sent by the page and the API.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct ListQuery {
    /// `queued`, `sent` or `failed`.
    pub status: Option<String>,
    /// `email`, `sms` or `whatsapp`.
    pub channel: Option<String>,
    pub page: Option<u32>,
    /// Default 50, at most 200.
    pub per_page: Option<u32>,
}

/// Parsed filters.
#[derive(Debug, Clone)]
pub struct Filter {
    status: Option<&'static str>,
    channel: Option<Channel>,
    page: u32,
    per_page: u32,
}

impl ListQuery {
    pub fn parse(&self) -> Result<Filter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let status = given(&self.status).and_then(|s| {
            let found = STATUSES.into_iter().find(|k| *k == s);
            if found.is_none() {
                errors.add("status", "Use queued, sent or failed.");
            }
            found
        });
        let channel = given(&self.channel).and_then(|c| {
            let found = Channel::parse(&c);
            if found.is_none() {
                errors.add("channel", "Use email, sms or whatsapp.");
            }
            found
        });
        let per_page = self.per_page.unwrap_or(50);
        if !(1..=200).contains(&per_page) {
            errors.add("per_page", "Between 1 and 200.");
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            status,
            channel,
            page: self.page.unwrap_or(1).max(1),
            per_page,
        })
    }
}

/// One outbox row as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    /// Email subject; empty for SMS and WhatsApp.
    pub subject: String,
    pub text: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub booking_id: Option<String>,
    pub lead_id: Option<String>,
    pub created_at: String,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
}

const COLUMNS: &str = "id, channel, recipient, template, payload, status, attempts, error, \
                       booking_id, lead_id, created_at, next_attempt_at, sent_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Notification> {
    let payload: String = r.get(4)?;
    let message: Message = serde_json::from_str(&payload).unwrap_or(Message {
        subject: String::new(),
        text: payload,
    });
    Ok(Notification {
        id: r.get(0)?,
        channel: r.get(1)?,
        recipient: r.get(2)?,
        template: r.get(3)?,
        subject: message.subject,
        text: message.text,
        status: r.get(5)?,
        attempts: r.get(6)?,
        error: r.get(7)?,
        booking_id: r.get(8)?,
        lead_id: r.get(9)?,
        created_at: r.get(10)?,
        next_attempt_at: r.get(11)?,
        sent_at: r.get(12)?,
    })
}

/// One page of the log, newest first, and the total matching.
pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<(Vec<Notification>, i64)> {
    let mut clauses = Vec::new();
    let mut args: Vec<&dyn ToSql> = Vec::new();
    let channel = f.channel.map(Channel::as_str);
    if let Some(c) = &channel {
        clauses.push("channel = ?");
        args.push(c);
    }
    if let Some(s) = &f.status {
        clauses.push("status = ?");
        args.push(s);
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM notifications {where_sql}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let offset = i64::from(f.page - 1) * i64::from(f.per_page);
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM notifications {where_sql}
             ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {offset}",
            f.per_page
        ))?
        .query_map(params_from_iter(args.iter()), from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

pub fn find(conn: &Connection, id: &str) -> rusqlite::Result<Option<Notification>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = ?1"
    ))?
    .query_row([id], from_row)
    .optional()
}

/// Who is acting, for the audit log.
struct Actor {
    user_id: String,
    label: String,
    ip: String,
}

impl Actor {
    fn new(user: &User, ip: &ClientIp) -> Actor {
        Actor {
            user_id: user.id.clone(),
            label: user.name.clone(),
            ip: ip.0.to_string(),
        }
    }

    fn record(
        &self,
        tx: &Connection,
        change: audit::Change<'_>,
        now: Timestamp,
    ) -> rusqlite::Result<()> {
        let actor = audit::Actor {
            user_id: &self.user_id,
            label: &self.label,
            ip: Some(&self.ip),
        };
        audit::record(tx, &actor, change, now)
    }
}

/// Queues a failed message again, from a fresh attempt count. Anything but
/// a failed message is a 409: a queued one is on its way, a sent one arrived.
async fn resend(state: &AppState, actor: Actor, id: &str) -> AppResult<Notification> {
    let now = state.clock.now();
    let id = id.to_owned();
    state
        .db
        .write(move |tx| -> AppResult<Notification> {
            let before = find(tx, &id)?.ok_or(AppError::NotFound)?;
            if before.status != "failed" {
                return Err(AppError::Conflict {
                    code: "not_failed",
                    message: "Only a failed message can be sent again.".into(),
                    details: json!({"status": before.status}),
                });
            }
            tx.prepare_cached(
                "UPDATE notifications SET status = 'queued', attempts = 0, error = NULL, next_attempt_at = ?1
                 WHERE id = ?2",
            )?
            .execute(params![crate::db::ts(now), id])?;
            let change = audit::Change {
                action: "notification.resend",
                entity_type: "notification",
                entity_id: &id,
                before: json!({"status": before.status, "attempts": before.attempts}),
                after: json!({"status": "queued", "attempts": 0}),
            };
            actor.record(tx, change, now)?;
            find(tx, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// A test message request, parsed: a configured channel and a recipient
/// valid for it.
pub fn parse_test(
    config: &Config,
    channel: &str,
    to: &str,
) -> Result<(Channel, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(channel) = Channel::parse(channel.trim()) else {
        errors.add("channel", "Use email, sms or whatsapp.");
        return Err(errors);
    };
    if !providers::configured(config, channel) {
        errors.add(
            "channel",
            format!(
                "{} is not configured ([whatsapp] provider is \"none\").",
                channel.label()
            ),
        );
        return Err(errors);
    }
    let to = match channel {
        Channel::Email => Email::parse(to).map(|e| e.as_str().to_owned()),
        Channel::Sms | Channel::WhatsApp => Phone::parse(to).map(|p| p.as_str().to_owned()),
    };
    to.map(|to| (channel, to)).map_err(|why| {
        errors.add("to", why);
        errors
    })
}

/// Queues a test message; returns the new row.
async fn queue_test(
    state: &AppState,
    actor: Actor,
    channel: Channel,
    to: String,
) -> AppResult<Notification> {
    let now = state.clock.now();
    let config = state.config.clone();
    state
        .db
        .write(move |tx| -> AppResult<Notification> {
            let message = messages::test_message(&config, channel.label());
            let id = super::enqueue(tx, channel, &to, "test", &message, Subject::default(), now)?;
            let change = audit::Change {
                action: "notification.test",
                entity_type: "notification",
                entity_id: &id,
                before: json!({}),
                after: json!({"channel": channel.as_str(), "to": to}),
            };
            actor.record(tx, change, now)?;
            find(tx, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

async fn load(state: &AppState, filter: Filter) -> AppResult<(Vec<Notification>, i64)> {
    state
        .db
        .read(move |c| list(c, &filter).map_err(AppError::from))
        .await
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
    let (items, total) = load(&state, filter).await?;
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
    let (channel, to) =
        parse_test(&state.config, &input.channel, &input.to).map_err(AppError::Validation)?;
    let row = queue_test(&state, Actor::new(&staff.user, &ip), channel, to).await?;
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
    let row = resend(&state, Actor::new(&staff.user, &ip), &id).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(row)))
}

fn admin_user(staff: &Staff) -> AdminUser<'_> {
    AdminUser {
        name: &staff.user.name,
        role: staff.user.role,
        csrf: &staff.csrf,
    }
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
    let (rows, total) = load(&state, filter).await?;
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
        &admin_user(&staff),
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
        .read(move |c| find(c, &id).map_err(AppError::from))
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
        &admin_user(&staff),
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
    let msg = match resend(&state, Actor::new(&staff.user, &ip), &id).await {
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
    let msg = match parse_test(&state.config, &form.channel, &form.to) {
        Ok((channel, to)) => {
            queue_test(&state, Actor::new(&staff.user, &ip), channel, to).await?;
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
            @for ch in Channel::ALL.into_iter().filter(|ch| providers::configured(config, *ch)) {
                form.toolbar method="post" action="/admin/settings/test-message" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="channel" value=(ch.as_str());
                    label { (ch.label()) " (" (providers::provider_name(config, ch)) ") to "
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
