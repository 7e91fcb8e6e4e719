//! The staff booking API (SPEC §5): list, detail, change, check-in, CSV.

use axum::{
    body::Body,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::manage::{self, Change, Filter, ListQuery, SentMessage};
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

pub async fn load_page(state: &AppState, filter: Filter) -> AppResult<(Vec<Booking>, i64)> {
    state
        .db
        .read(move |c| manage::list(c, &filter).map_err(AppError::from))
        .await
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
    let (rows, total) = load_page(&state, filter).await?;
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
    csv_response(&state, q.parse().map_err(AppError::Validation)?)
}

/// A spreadsheet would run a cell that starts with one of these as a formula.
fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

const CSV_HEADER: [&str; 13] = [
    "booking_ref",
    "status",
    "preferred_date",
    "preferred_time",
    "service_type",
    "customer_name",
    "customer_phone",
    "customer_email",
    "vehicle_reg",
    "notes",
    "admin_note",
    "sms_enabled",
    "created_at",
];

/// Hands the CSV to the response body in 64 KiB chunks.
struct ChunkSender {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Vec<u8>>,
}

impl ChunkSender {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.tx
            .blocking_send(std::mem::take(&mut self.buf))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl std::io::Write for ChunkSender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Streams the CSV: rows are read on a blocking thread and sent in chunks,
/// so tens of thousands of bookings never sit in memory at once.
pub fn csv_response(state: &AppState, filter: Filter) -> AppResult<Response> {
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let db = state.db.clone();
    let config = state.config.clone();
    tokio::spawn(async move {
        let result = db
            .read(move |c| -> anyhow::Result<()> {
                let mut w = csv::Writer::from_writer(ChunkSender {
                    buf: Vec::new(),
                    tx,
                });
                w.write_record(CSV_HEADER)?;
                let mut failed = None;
                manage::for_each(c, &filter, |b| {
                    let date = b.preferred_date.to_string();
                    let time = fmt_time(b.preferred_time);
                    let record = [
                        b.booking_ref.as_str(),
                        b.status.as_str(),
                        &date,
                        &time,
                        b.service_type.label(&config),
                        &b.customer_name,
                        &b.customer_phone,
                        b.customer_email.as_deref().unwrap_or(""),
                        b.vehicle_reg.as_deref().unwrap_or(""),
                        &b.notes,
                        &b.admin_note,
                        if b.sms_enabled { "yes" } else { "no" },
                        &b.created_at,
                    ];
                    // An error here means the client went away: stop reading.
                    match w.write_record(record.iter().map(|c| neutralise(c).into_owned())) {
                        Ok(()) => true,
                        Err(e) => {
                            failed = Some(e);
                            false
                        }
                    }
                })?;
                if let Some(e) = failed {
                    return Err(e.into());
                }
                w.flush()?;
                Ok(())
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = format!("{e:#}"), "CSV export failed");
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"bookings.csv\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+265991234567"), "'+265991234567");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("Banda"), "Banda");
        assert_eq!(neutralise(""), "");
    }
}
