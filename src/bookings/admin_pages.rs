//! Staff booking pages: the bookings table, a booking's detail, today's jobs
//! for technicians, and the form posts behind every quick action.

use axum::{
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use maud::{Markup, html};
use serde::Deserialize;

use super::export;
use super::manage::{self, Change, ListQuery};
use super::model::BookingStatus;
use super::repo::{Booking, when};
use super::slots::{Schedule, fmt_time};
use crate::auth::access::{Permission, require};
use crate::auth::session::{Staff, verify_form};
use crate::error::{AppError, AppResult};
use crate::ids::{AttachmentId, BookingId};
use crate::state::AppState;
use crate::web::back_to;
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::{self, tel_href, whatsapp_href};
use crate::web::paging::{Paging, pager};
use crate::web::redirect::LocalPath;

/// The button label of a move to `to`.
fn action_label(to: BookingStatus) -> &'static str {
    match to {
        BookingStatus::Requested => "Reopen",
        BookingStatus::Confirmed => "Confirm",
        BookingStatus::Rescheduled => "Reschedule",
        BookingStatus::CheckedIn => "Check in",
        BookingStatus::InProgress => "Start",
        BookingStatus::Completed => "Complete",
        BookingStatus::Cancelled => "Cancel",
    }
}

/// One form per allowed transition (a reschedule needs a date, so it links
/// to the detail page instead).
fn actions(b: &Booking, csrf: &str, back: &str, technician: bool) -> Markup {
    html! {
        div.actions {
            @for to in b.status.allowed_targets() {
                @if *to == BookingStatus::Rescheduled {
                    @if !technician {
                        a.btn.btn-small.btn-secondary href={ "/admin/bookings/" (b.id) "#reschedule" } { "Reschedule" }
                    }
                } @else if !technician || matches!(to, BookingStatus::CheckedIn | BookingStatus::InProgress | BookingStatus::Completed) {
                    form method="post" action={ "/admin/bookings/" (b.id) "/status" } {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="to" value=(to.as_str());
                        input type="hidden" name="back" value=(back);
                        button.btn.btn-small
                            .btn-danger[*to == BookingStatus::Cancelled]
                            .btn-primary[*to != BookingStatus::Cancelled]
                            type="submit" { (action_label(*to)) }
                    }
                }
            }
        }
    }
}

fn badge(s: BookingStatus) -> Markup {
    html! { span class={ "badge badge-" (s.as_str()) } { (s.as_str().replace('_', " ")) } }
}

fn flash(msg: &Option<String>) -> Markup {
    let text = match msg.as_deref() {
        Some("updated") => Some(("alert-success", "Saved.")),
        Some("invalid_transition") => Some((
            "alert-error",
            "That step is not possible from the booking's current status.",
        )),
        Some("slot_full") => Some(("alert-error", "That slot is full. Choose another time.")),
        Some("invalid_slot") => Some((
            "alert-error",
            "That is not a slot the workshop offers (closed day, past date or off the grid).",
        )),
        Some("forbidden") => Some(("alert-error", "Your role does not allow that.")),
        _ => None,
    };
    html! {
        @if let Some((class, t)) = text {
            p.alert.(class) role="status" { (t) }
        }
    }
}

/// `GET /admin/bookings`
pub async fn view_bookings_get(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
    Query(m): Query<MsgParam>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageBookings)?;
    let filter = q.parse().map_err(AppError::Validation)?;
    let paging = filter.paging;
    let (rows, total) = manage::load_page(&state, filter).await?;
    let query_string = |page: u32| q.query_string(page);
    let back = format!("/admin/bookings?{}", query_string(paging.page));
    let sort = q.sort.as_deref().unwrap_or("date");
    let body = html! {
        (flash(&m.msg))
        form.toolbar method="get" action="/admin/bookings" {
            label { "Status "
                select name="status" {
                    option value="" { "Any" }
                    @for s in BookingStatus::ALL {
                        option value=(s.as_str()) selected[q.status.as_deref() == Some(s.as_str())] { (s.as_str().replace('_', " ")) }
                    }
                }
            }
            label { "From " input type="date" name="date_from" value=(q.date_from.as_deref().unwrap_or("")); }
            label { "To " input type="date" name="date_to" value=(q.date_to.as_deref().unwrap_or("")); }
            label { "Search " input type="search" name="q" placeholder="Ref, name, phone, reg" value=(q.q.as_deref().unwrap_or("")); }
            label { "Sort "
                select name="sort" {
                    @for (key, label) in [("date", "Date ↑"), ("-date", "Date ↓"), ("created", "Booked ↑"), ("-created", "Booked ↓"), ("status", "Status"), ("name", "Name")] {
                        option value=(key) selected[key == sort] { (label) }
                    }
                }
            }
            button.btn.btn-primary.btn-small type="submit" { "Filter" }
            a.btn.btn-secondary.btn-small href={ "/admin/bookings.csv?" (query_string(1)) } { "Export CSV" }
        }
        p.muted { (total) " booking" @if total != 1 { "s" } }
        @if rows.is_empty() {
            p.empty { "No bookings match." }
        } @else {
            div.table-wrap {
                table.data {
                    thead { tr { th { "Ref" } th { "When" } th { "Customer" } th { "Service" } th { "Reg" } th { "Status" } th { "Actions" } } }
                    tbody {
                        @for b in &rows {
                            tr {
                                td { a href={ "/admin/bookings/" (b.id) } { (b.booking_ref) } }
                                td { (when(b.preferred_date, b.preferred_time)) }
                                td { (b.customer_name) br; a href=(tel_href(&b.customer_phone)) { (b.customer_phone) } }
                                td { (b.service_type.label(&state.config)) }
                                td { (b.vehicle_reg.as_deref().unwrap_or("")) }
                                td { (badge(b.status)) }
                                td { (actions(b, &staff.csrf, &back, false)) }
                            }
                        }
                    }
                }
            }
            (pager(paging, total, |p| format!("/admin/bookings?{}", query_string(p))))
        }
    };
    Ok(layout::admin(
        &state.config,
        &staff.view(),
        "Bookings",
        "/admin/bookings",
        body,
    ))
}

/// `GET /admin/bookings.csv`: the table's filters, every page.
pub async fn view_bookings_csv_get(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    require(staff.user.role, Permission::ManageBookings)?;
    export::response(&state, q.parse().map_err(AppError::Validation)?).await
}

#[derive(Deserialize, Default)]
pub struct MsgParam {
    msg: Option<String>,
}

/// `GET /admin/bookings/{id}`
pub async fn view_booking_get(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<BookingId>,
    Query(m): Query<MsgParam>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageBookings)?;
    let d = manage::detail(&state, &id).await?;
    let b = &d.booking;
    let c = &state.config;
    let local = |at: &str| layout::local_time(c, at);
    let back = format!("/admin/bookings/{}", b.id);
    let schedule = Schedule::new(c);
    // Every slot start of the week from the booking's day, for the reschedule form.
    let all_times: Vec<String> = {
        let mut v: Vec<String> = (0..7)
            .filter_map(|i| b.preferred_date.checked_add(jiff::Span::new().days(i)).ok())
            .flat_map(|d| schedule.slot_times(d))
            .chain([b.preferred_time])
            .map(fmt_time)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let wa = whatsapp_href(
        &b.customer_phone,
        &format!(
            "Hello {}, about your booking {} at {}: ",
            b.customer_name, b.booking_ref, c.business.name
        ),
    );
    let body = html! {
        (flash(&m.msg))
        section.panel {
            h2 { (b.booking_ref) " " (badge(b.status)) }
            dl.summary {
                dt { "When" } dd { (when(b.preferred_date, b.preferred_time)) }
                dt { "Service" } dd { (b.service_type.label(c)) }
                dt { "Customer" } dd { (b.customer_name) }
                dt { "Phone" } dd { a href=(tel_href(&b.customer_phone)) { (b.customer_phone) } " · " a href=(wa) rel="noopener" { "WhatsApp" } }
                @if let Some(e) = &b.customer_email { dt { "Email" } dd { a href={ "mailto:" (e) } { (e) } } }
                @if let Some(r) = &b.vehicle_reg { dt { "Vehicle" } dd { (r) } }
                @if !b.notes.is_empty() { dt { "Customer notes" } dd { (b.notes) } }
                dt { "Booked" } dd { (local(&b.created_at)) }
            }
            (actions(b, &staff.csrf, &back, false))
        }
        @if b.status.can_become(BookingStatus::Rescheduled) {
            section.panel #reschedule {
                h2 { "Reschedule" }
                form.form.toolbar method="post" action={ "/admin/bookings/" (b.id) "/reschedule" } {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    label { "Day " input type="date" name="preferred_date" value=(b.preferred_date.to_string()) required; }
                    label { "Time "
                        select name="preferred_time" {
                            @for t in &all_times {
                                option value=(t) selected[*t == fmt_time(b.preferred_time)] { (t) }
                            }
                        }
                    }
                    button.btn.btn-primary.btn-small type="submit" { "Move booking" }
                }
            }
        }
        section.panel {
            h2 { "Staff note and messages" }
            form.form method="post" action={ "/admin/bookings/" (b.id) "/notes" } {
                input type="hidden" name="csrf" value=(staff.csrf);
                div.field {
                    label for="admin_note" { "Note (staff only)" }
                    textarea #admin_note name="admin_note" rows="3" maxlength="2000" { (b.admin_note) }
                }
                div.field.checkbox {
                    input #sms_enabled type="checkbox" name="sms_enabled" value="on" checked[b.sms_enabled];
                    label for="sms_enabled" { "Send SMS updates to the customer" }
                }
                button.btn.btn-primary.btn-small type="submit" { "Save" }
            }
        }
        @if !d.attachments.is_empty() {
            section.panel {
                h2 { "Attachments" }
                ul {
                    @for a in &d.attachments {
                        li { a href={ "/admin/bookings/" (b.id) "/attachments/" (a.id) } { (a.kind) " (" (a.size / 1024) " KB)" } }
                    }
                }
            }
        }
        section.panel {
            h2 { "History" }
            ol.history {
                @for e in &d.history {
                    li {
                        strong { (e.to.as_str().replace('_', " ")) }
                        " — " (local(&e.at)) " by " (e.actor)
                        @if !e.note.is_empty() { " (" (e.note) ")" }
                    }
                }
            }
        }
        section.panel {
            h2 { "Messages" }
            @if d.notifications.is_empty() {
                p.empty { "No messages." }
            } @else {
                div.table-wrap {
                    table.data {
                        thead { tr { th { "Channel" } th { "To" } th { "Message" } th { "Status" } th { "Queued" } } }
                        tbody {
                            @for n in &d.notifications {
                                tr {
                                    td { (n.channel) } td { (n.recipient) }
                                    td { a href={ "/admin/notifications/" (n.id) } { (n.template.replace('_', " ")) } }
                                    td { (n.status) @if let Some(e) = &n.error { br; small.muted { (e) } } }
                                    td { (local(&n.created_at)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        p { a href="/admin/bookings" { "← All bookings" } }
    };
    Ok(layout::admin(
        c,
        &staff.view(),
        &format!("Booking {}", b.booking_ref),
        "/admin/bookings",
        body,
    ))
}

/// `GET /admin/bookings/{id}/attachments/{attachment}`
pub async fn view_attachment_get(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, attachment)): Path<(BookingId, AttachmentId)>,
) -> AppResult<Response> {
    require(staff.user.role, Permission::ManageBookings)?;
    let a = manage::attachment(&state, &id, &attachment).await?;
    let bytes = tokio::fs::read(state.uploads.path(&a.path))
        .await
        .map_err(|_| AppError::NotFound)?;
    let disposition = if a.kind == "pdf" {
        "attachment; filename=\"attachment.pdf\""
    } else {
        "inline"
    };
    Ok((
        [
            (header::CONTENT_TYPE, a.content_type),
            (header::CONTENT_DISPOSITION, disposition.to_owned()),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default, deserialize_with = "LocalPath::lenient")]
    back: Option<LocalPath>,
}

/// What an action's failure is called in the flash message.
fn outcome(result: AppResult<Booking>) -> AppResult<&'static str> {
    match result {
        Ok(_) => Ok("updated"),
        Err(AppError::Conflict {
            code: "slot_full", ..
        }) => Ok("slot_full"),
        Err(AppError::Conflict { .. }) => Ok("invalid_transition"),
        Err(AppError::Validation(_)) => Ok("invalid_slot"),
        Err(e) => Err(e),
    }
}

/// `POST /admin/bookings/{id}/status`: a quick action.
pub async fn view_status_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<BookingId>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    let to =
        BookingStatus::parse(&form.to).ok_or_else(|| AppError::bad_request("Unknown status."))?;
    let actor = staff.actor();
    let change = Change {
        status: Some(to),
        ..Default::default()
    };
    let msg = outcome(manage::apply(&state, &actor, &id, change).await)?;
    Ok(back_to(form.back, &format!("/admin/bookings/{id}"), msg))
}

#[derive(Deserialize)]
pub struct RescheduleForm {
    #[serde(default)]
    csrf: String,
    preferred_date: Option<String>,
    preferred_time: Option<String>,
}

/// `POST /admin/bookings/{id}/reschedule`
pub async fn view_reschedule_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<BookingId>,
    Form(form): Form<RescheduleForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    let back = format!("/admin/bookings/{id}");
    let reschedule = match manage::parse_reschedule(
        form.preferred_date.as_deref(),
        form.preferred_time.as_deref(),
    ) {
        Ok(Some(r)) => r,
        _ => return Ok(back_to(None, &back, "invalid_slot")),
    };
    let actor = staff.actor();
    let change = Change {
        reschedule: Some(reschedule),
        ..Default::default()
    };
    let msg = outcome(manage::apply(&state, &actor, &id, change).await)?;
    Ok(back_to(None, &back, msg))
}

#[derive(Deserialize)]
pub struct NotesForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    admin_note: String,
    sms_enabled: Option<String>,
}

/// `POST /admin/bookings/{id}/notes`: staff note and the SMS switch.
pub async fn view_notes_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<BookingId>,
    Form(form): Form<NotesForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    let actor = staff.actor();
    let change = Change {
        admin_note: Some(form.admin_note),
        sms_enabled: Some(form.sms_enabled.is_some()),
        ..Default::default()
    };
    let back = format!("/admin/bookings/{id}");
    let msg = outcome(manage::apply(&state, &actor, &id, change).await)?;
    Ok(back_to(None, &back, msg))
}

/// `GET /admin/today`: the technician's phone view of today's jobs.
pub async fn view_today_get(
    State(state): State<AppState>,
    staff: Staff,
    Query(m): Query<MsgParam>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ViewToday)?;
    let today = Schedule::new(&state.config).today(state.clock.now());
    let filter = ListQuery {
        date_from: Some(today.to_string()),
        date_to: Some(today.to_string()),
        ..Default::default()
    }
    .parse()
    .map_err(AppError::Validation)?;
    // One day's jobs are bounded by the slots times the bays: show them all.
    let filter = manage::Filter {
        paging: Paging::first(1000),
        ..filter
    };
    let (rows, _) = manage::load_page(&state, filter).await?;
    let technician = !staff.user.role.can(Permission::ManageBookings);
    let c = &state.config;
    let body = html! {
        (flash(&m.msg))
        p.lead { (today.strftime("%A %-d %B")) }
        @let jobs: Vec<&Booking> = rows.iter().filter(|b| b.status != BookingStatus::Cancelled).collect();
        @if jobs.is_empty() {
            p.empty { "No jobs booked for today." }
        }
        ul.jobs {
            @for b in jobs {
                li.job {
                    div.job-head {
                        span.job-time { (fmt_time(b.preferred_time)) }
                        (badge(b.status))
                    }
                    p.job-title { strong { (b.service_type.label(c)) } @if let Some(r) = &b.vehicle_reg { " · " (r) } }
                    p { (b.customer_name) " · " a href=(tel_href(&b.customer_phone)) { (b.customer_phone) } }
                    @if !b.notes.is_empty() { p.muted { (b.notes) } }
                    (actions(b, &staff.csrf, "/admin/today", technician))
                }
            }
        }
    };
    Ok(layout::admin(
        c,
        &staff.view(),
        "Today's jobs",
        "/admin/today",
        body,
    ))
}
