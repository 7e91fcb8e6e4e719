//! The public booking API (SPEC §5): availability, create, lookup, cancel.

use axum::{
    extract::{FromRequest, Multipart, Request, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{BookingStatus, ServiceType};
use super::repo::{self, NewBooking};
use super::service::{
    self, Availability, BookingInput, Found, Outcome, day_availability, read_multipart,
};
use super::slots::{Schedule, fmt_time, parse_date};
use crate::error::{AppError, AppResult, ErrorBody, FieldErrors};
use crate::state::AppState;
use crate::web::client::ClientIp;
use crate::web::extract::{Json, Path, Query};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvailabilityQuery {
    /// `YYYY-MM-DD`, in the business time zone.
    #[param(required = true, format = Date)]
    date: Option<String>,
}

/// Every slot of a day with its capacity, bookings and free places.
#[utoipa::path(
    get,
    path = "/v1/availability",
    tag = "bookings",
    params(AvailabilityQuery),
    responses(
        (status = 200, body = Availability),
        (status = 422, description = "Missing or malformed date", body = ErrorBody),
    )
)]
pub async fn availability(
    State(state): State<AppState>,
    Query(q): Query<AvailabilityQuery>,
) -> AppResult<axum::Json<Availability>> {
    let Some(date) = q.date.as_deref().and_then(parse_date) else {
        let mut fields = FieldErrors::new();
        fields.add("date", "Give a date as YYYY-MM-DD.");
        return Err(AppError::Validation(fields));
    };
    Ok(axum::Json(day_availability(&state, date).await?))
}

#[derive(Serialize, ToSchema)]
pub struct BookingCreated {
    booking_ref: String,
    status: BookingStatus,
    service_type: ServiceType,
    preferred_date: String,
    preferred_time: String,
}

/// Book a workshop slot. JSON, or multipart with the same fields plus an
/// optional `attachment` (JPEG/PNG/WebP/PDF, at most 5 MB; photos up to 24
/// megapixels). An `Idempotency-Key` header makes retries return the first
/// booking.
#[utoipa::path(
    post,
    path = "/v1/bookings",
    tag = "bookings",
    request_body(content(
        (BookingInput = "application/json"),
        (BookingInput = "multipart/form-data"),
    )),
    responses(
        (status = 201, body = BookingCreated),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 409, description = "`slot_full`, with `alternatives: [{date, time}]`", body = ErrorBody),
        (status = 413, description = "JSON body over `[server] max_body_kib`, attachment over 5 MB, or form fields over 64 KB", body = ErrorBody),
        (status = 415, description = "Neither JSON nor multipart, or an attachment that is not JPEG/PNG/WebP/PDF", body = ErrorBody),
        (status = 422, description = "Validation failed; `fields` names each bad field (an unreadable attachment, or one over 24 megapixels, under `attachment`)", body = ErrorBody),
        (status = 429, description = "Rate limited; see Retry-After", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    req: Request,
) -> AppResult<Response> {
    state.limits.bookings.check(ip)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (input, attachment) = if content_type.starts_with("application/json") {
        let Json(input) = Json::<BookingInput>::from_request(req, &state).await?;
        (input, None)
    } else if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(req, &state)
            .await
            .map_err(|e| AppError::bad_request(e.body_text()))?;
        let upload = read_multipart(multipart).await?;
        if upload.attachment_too_large {
            return Err(crate::upload::UploadError::TooLarge.into_app_error("attachment"));
        }
        (upload.input, upload.attachment)
    } else {
        return Err(AppError::UnsupportedMediaType(
            "Send application/json or multipart/form-data.".into(),
        ));
    };
    let now = state.clock.now();
    let new = input
        .parse(&state.config, now)
        .map_err(AppError::Validation)?;
    if input.is_bot() {
        // Checked like any request, then accepted silently: the bot learns
        // nothing; nothing is stored.
        return Ok(created_response(&fake_booking(&state, &new, now)));
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .map(|k| format!("api:{k}"));
    match service::create(&state, new, attachment, key).await? {
        Outcome::Booked(b) => Ok(created_response(&BookingCreated::from(b.as_ref()))),
        Outcome::SlotFull(alternatives) => Err(service::slot_full_error(&alternatives)),
    }
}

fn created_response(body: &BookingCreated) -> Response {
    (StatusCode::CREATED, axum::Json(body)).into_response()
}

impl From<&repo::Booking> for BookingCreated {
    fn from(b: &repo::Booking) -> Self {
        BookingCreated {
            booking_ref: b.booking_ref.clone(),
            status: b.status,
            service_type: b.service_type,
            preferred_date: b.preferred_date.to_string(),
            preferred_time: fmt_time(b.preferred_time),
        }
    }
}

/// What a honeypot submission is told: the booking it asked for, with a
/// plausible reference, as a real one would read. It does not exist.
fn fake_booking(state: &AppState, new: &NewBooking, now: jiff::Timestamp) -> BookingCreated {
    let day = Schedule::new(&state.config).today(now);
    BookingCreated {
        booking_ref: super::model::BookingRef::new(day, rand::random_range(100..999)).to_string(),
        status: BookingStatus::Requested,
        service_type: new.service_type,
        preferred_date: new.date.to_string(),
        preferred_time: fmt_time(new.time),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// The phone number the booking was made with, in any accepted form.
    /// Without it, or with another number, the answer is 404.
    #[param(required = true)]
    phone: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BookingView {
    booking_ref: String,
    status: BookingStatus,
    service_type: ServiceType,
    preferred_date: String,
    preferred_time: String,
    /// Whether the customer may still cancel it.
    can_cancel: bool,
    history: Vec<HistoryEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    status: BookingStatus,
    /// UTC timestamp.
    at: String,
}

impl From<Found> for BookingView {
    fn from(f: Found) -> Self {
        let b = f.booking;
        BookingView {
            booking_ref: b.booking_ref,
            status: b.status,
            service_type: b.service_type,
            preferred_date: b.preferred_date.to_string(),
            preferred_time: fmt_time(b.preferred_time),
            can_cancel: b.status.customer_may_cancel(),
            history: f
                .history
                .into_iter()
                .map(|e| HistoryEntry {
                    status: e.to,
                    at: e.at,
                })
                .collect(),
        }
    }
}

/// A booking's status and history, when the phone matches.
#[utoipa::path(
    get,
    path = "/v1/bookings/{booking_ref}",
    tag = "bookings",
    params(("booking_ref" = String, Path, description = "DAY-YYYYMMDD-NNN"), LookupQuery),
    responses(
        (status = 200, body = BookingView),
        (status = 404, description = "Unknown reference or wrong phone (the same answer)", body = ErrorBody),
        (status = 429, description = "Rate limited", body = ErrorBody),
    )
)]
pub async fn lookup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(booking_ref): Path<String>,
    Query(q): Query<LookupQuery>,
) -> AppResult<axum::Json<BookingView>> {
    state.limits.lookups.check(ip)?;
    let found = service::lookup(&state, &booking_ref, q.phone.as_deref().unwrap_or("")).await?;
    Ok(axum::Json(found.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct CancelInput {
    phone: Option<String>,
}

/// Customer self-cancel while the car is not yet checked in.
#[utoipa::path(
    post,
    path = "/v1/bookings/{booking_ref}/cancel",
    tag = "bookings",
    params(("booking_ref" = String, Path, description = "DAY-YYYYMMDD-NNN")),
    request_body = CancelInput,
    responses(
        (status = 200, body = BookingView),
        (status = 404, description = "Unknown reference or wrong phone (the same answer)", body = ErrorBody),
        (status = 409, description = "`invalid_transition`: already checked in, completed or cancelled", body = ErrorBody),
        (status = 429, description = "Rate limited", body = ErrorBody),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(booking_ref): Path<String>,
    Json(input): Json<CancelInput>,
) -> AppResult<axum::Json<BookingView>> {
    state.limits.lookups.check(ip)?;
    let found = service::cancel(&state, &booking_ref, input.phone.as_deref().unwrap_or("")).await?;
    Ok(axum::Json(found.into()))
}
