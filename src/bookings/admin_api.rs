//! The staff booking API (SPEC §5): list, detail, change, check-in, CSV.

use axum::{extract::State, response::Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::export;
use super::manage::{self, Change, ListQuery, SentMessage};
use super::model::{BookingStatus, ServiceType};
use super::repo::Booking;
use super::slots::fmt_time;
use crate::auth::access::{Permission, require};
use crate::auth::session::ApiStaff;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::ids::BookingId;
use crate::state::AppState;
use crate::web::extract::{Json, Path, Query};
use crate::web::paging::Page;

#[derive(Serialize, ToSchema)]
pub struct AdminBooking {
    id: BookingId,
    booking_ref: String,
    customer_name: String,
    customer_phone: String,
    customer_email: Option<String>,
    vehicle_reg: Option<String>,
    service_type: ServiceType,
    preferred_date: String,
    preferred_time: String,
    status: BookingStatus,
    notes: String,
    admin_note: String,
    sms_enabled: bool,
    created_at: String,
    /// Statuses this booking may move to next.
    allowed_transitions: Vec<BookingStatus>,
}

impl From<&Booking> for AdminBooking {
    fn from(b: &Booking) -> Self {
        AdminBooking {
            id: b.id.clone(),
            booking_ref: b.booking_ref.clone(),
            customer_name: b.customer_name.clone(),
            customer_phone: b.customer_phone.clone(),
            customer_email: b.customer_email.clone(),
            vehicle_reg: b.vehicle_reg.clone(),
            service_type: b.service_type,
            preferred_date: b.preferred_date.to_string(),
            preferred_time: fmt_time(b.preferred_time),
            status: b.status,
            notes: b.notes.clone(),
            admin_note: b.admin_note.clone(),
            sms_enabled: b.sms_enabled,
            created_at: b.created_at.clone(),
            allowed_transitions: b.status.allowed_targets().to_vec(),
        }
    }
}

/// Bookings, filtered, sorted and paged.
#[utoipa::path(
    get,
    path = "/v1/admin/bookings",
    tag = "admin",
    security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = Page<AdminBooking>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<ListQuery>,
) -> AppResult<axum::Json<Page<AdminBooking>>> {
    require(staff.user.role, Permission::ManageBookings)?;
    let filter = q.parse().map_err(AppError::Validation)?;
    let paging = filter.paging;
    let (rows, total) = manage::load_page(&state, filter).await?;
    Ok(axum::Json(Page::new(
        rows.iter().map(AdminBooking::from).collect(),
        paging,
        total,
    )))
}

#[derive(Serialize, ToSchema)]
pub struct HistoryItem {
    from: Option<BookingStatus>,
    to: BookingStatus,
    by: String,
    note: String,
    at: String,
}

#[derive(Serialize, ToSchema)]
pub struct BookingDetail {
    #[serde(flatten)]
    booking: AdminBooking,
    history: Vec<HistoryItem>,
    notifications: Vec<SentMessage>,
}

/// One booking with its history and the messages sent about it.
#[utoipa::path(
    get,
    path = "/v1/admin/bookings/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = BookingId, Path, description = "The booking's id")),
    responses((status = 200, body = BookingDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub async fn detail(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<BookingId>,
) -> AppResult<axum::Json<BookingDetail>> {
    require(staff.user.role, Permission::ManageBookings)?;
    Ok(axum::Json(detail_view(manage::detail(&state, &id).await?)))
}

fn detail_view(d: manage::Detail) -> BookingDetail {
    BookingDetail {
        booking: AdminBooking::from(&d.booking),
        history: d
            .history
            .into_iter()
            .map(|e| HistoryItem {
                from: e.from,
                to: e.to,
                by: e.actor,
                note: e.note,
                at: e.at,
            })
            .collect(),
        notifications: d.notifications,
    }
}

#[derive(Deserialize, ToSchema, Default)]
pub struct BookingPatch {
    status: Option<BookingStatus>,
    admin_note: Option<String>,
    /// With `preferred_time`: a reschedule (capacity enforced).
    preferred_date: Option<String>,
    preferred_time: Option<String>,
    sms_enabled: Option<bool>,
}

/// Change a booking: status (lifecycle enforced), reschedule, note, SMS switch.
#[utoipa::path(
    patch,
    path = "/v1/admin/bookings/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = BookingId, Path, description = "The booking's id")),
    request_body = BookingPatch,
    responses(
        (status = 200, body = AdminBooking),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "`invalid_transition` (with from, to, allowed) or `slot_full` (with alternatives)", body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<BookingId>,
    Json(p): Json<BookingPatch>,
) -> AppResult<axum::Json<AdminBooking>> {
    let reschedule =
        manage::parse_reschedule(p.preferred_date.as_deref(), p.preferred_time.as_deref())
            .map_err(AppError::Validation)?;
    let change = Change {
        status: p.status,
        reschedule,
        admin_note: p.admin_note,
        sms_enabled: p.sms_enabled,
    };
    apply(&state, &staff, &id, change).await
}

/// The car has arrived: move the booking to `checked_in`.
#[utoipa::path(
    post,
    path = "/v1/admin/bookings/{id}/checkin",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = BookingId, Path, description = "The booking's id")),
    responses((status = 200, body = AdminBooking), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody))
)]
pub async fn checkin(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<BookingId>,
) -> AppResult<axum::Json<AdminBooking>> {
    let change = Change {
        status: Some(BookingStatus::CheckedIn),
        ..Default::default()
    };
    apply(&state, &staff, &id, change).await
}

async fn apply(
    state: &AppState,
    staff: &ApiStaff,
    id: &BookingId,
    change: Change,
) -> AppResult<axum::Json<AdminBooking>> {
    let b = manage::apply(state, &staff.actor(), id, change).await?;
    Ok(axum::Json(AdminBooking::from(&b)))
}

/// The filtered list as CSV (all pages), streamed.
#[utoipa::path(
    get,
    path = "/v1/admin/bookings.csv",
    tag = "admin",
    security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "CSV; cells starting with = + - @ are neutralised", content_type = "text/csv"))
)]
pub async fn export_csv(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    require(staff.user.role, Permission::ManageBookings)?;
    export::response(&state, q.parse().map_err(AppError::Validation)?).await
}
