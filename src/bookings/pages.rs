//! The booking pages: `/book` (Details → Confirm → Reference) and
//! `/booking-status`. Plain form posts; JavaScript only refreshes the slot list.

use std::collections::HashMap;

use axum::{
    extract::{FromRequest, Multipart, Request, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use jiff::civil::Date;
use maud::Markup;
use serde::Deserialize;

use super::model::ServiceType;
use super::repo::{self, when};
use super::service::{self, BookingInput, Flag, Outcome, day_availability, read_multipart};
use super::slots::{Schedule, fmt_time, parse_date, parse_time};
use super::views;
use crate::auth::session::check_same_origin;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::state::AppState;
use crate::upload::UploadError;
use crate::web::client::ClientIp;
use crate::web::extract::{Form, Query};
use crate::web::redirect::LocalPath;

#[derive(Deserialize)]
pub struct BookQuery {
    date: Option<String>,
    service_type: Option<String>,
}

pub async fn view_book_get(
    State(state): State<AppState>,
    Query(q): Query<BookQuery>,
) -> AppResult<Markup> {
    let input = BookingInput {
        service_type: q.service_type.filter(|s| ServiceType::parse(s).is_some()),
        preferred_date: q.date,
        ..Default::default()
    };
    details_page(&state, &input, &FieldErrors::new(), &[]).await
}

/// Renders the details step for the chosen day, or the first day with a
/// free slot when none (or an unusable one) is chosen.
async fn details_page(
    state: &AppState,
    input: &BookingInput,
    errors: &FieldErrors,
    alternatives: &[(Date, jiff::civil::Time)],
) -> AppResult<Markup> {
    let now = state.clock.now();
    let schedule = Schedule::new(&state.config);
    let (first_day, last_day) = (schedule.today(now), schedule.last_bookable_day(now));
    let chosen = input
        .preferred_date
        .as_deref()
        .and_then(parse_date)
        .filter(|d| (first_day..=last_day).contains(d));
    let day = match chosen {
        Some(d) => d,
        None => {
            let config = state.config.clone();
            let first = state
                .db
                .read(move |c| {
                    repo::next_free_slots(c, &config, first_day, jiff::civil::Time::MIN, now, 1)
                        .map_err(AppError::from)
                })
                .await?;
            first.first().map(|(d, _)| *d).unwrap_or(first_day)
        }
    };
    let availability = day_availability(state, day).await?;
    let alternatives: Vec<(String, String)> = alternatives
        .iter()
        .map(|(d, t)| (d.to_string(), fmt_time(*t)))
        .collect();
    Ok(views::details(
        &state.config,
        &views::DetailsPage {
            input,
            errors,
            day,
            first_day,
            last_day,
            availability: &availability,
            alternatives: &alternatives,
        },
    ))
}

impl BookingInput {
    /// The booking fields of a form or multipart body.
    pub fn from_fields(fields: &mut HashMap<String, String>) -> BookingInput {
        let mut take = |k: &str| fields.remove(k);
        BookingInput {
            name: take("name"),
            phone: take("phone"),
            email: take("email"),
            vehicle_reg: take("vehicle_reg"),
            service_type: take("service_type"),
            preferred_date: take("preferred_date"),
            preferred_time: take("preferred_time"),
            notes: take("notes"),
            consent: take("consent").map(Flag::Text),
            website: take("website"),
        }
    }
}

/// `POST /book`: "Show free times", "Change details" and "Continue".
pub async fn view_book_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(mut fields): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    check_same_origin(&headers)?;
    let step = fields.remove("step").unwrap_or_default();
    let input = BookingInput::from_fields(&mut fields);
    if step != "review" {
        return Ok(details_page(&state, &input, &FieldErrors::new(), &[])
            .await?
            .into_response());
    }
    // Consent is asked on the confirm step; everything else is checked now.
    let probe = BookingInput {
        consent: Some(Flag::Bool(true)),
        ..input.clone()
    };
    match probe.parse(&state.config, state.clock.now()) {
        Err(errors) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            details_page(&state, &input, &errors, &[]).await?,
        )
            .into_response()),
        Ok(new) => {
            let key = crate::auth::repo::random_token();
            Ok(confirm_page(
                &state,
                &input,
                &FieldErrors::new(),
                &key,
                new.service_type,
                new.date,
                new.time,
            )
            .into_response())
        }
    }
}

/// The booking form's request key, made when the Confirm step was shown:
/// a double-clicked submit is one booking, and only the browser that booked
/// sees its reference page. Anything but the 64 hex characters we hand out
/// is replaced by a fresh key, so it can never break the redirect after the
/// booking is stored.
fn request_key(sent: Option<&String>) -> String {
    match sent {
        Some(k) if k.len() == 64 && k.bytes().all(|b| b.is_ascii_hexdigit()) => k.clone(),
        _ => crate::auth::repo::random_token(),
    }
}

fn confirm_page(
    state: &AppState,
    input: &BookingInput,
    errors: &FieldErrors,
    key: &str,
    service: ServiceType,
    date: Date,
    time: jiff::civil::Time,
) -> Markup {
    views::confirm(
        &state.config,
        &views::ConfirmPage {
            input,
            errors,
            request_key: key,
            service_label: service.label(&state.config),
            when: &when(date, time),
        },
    )
}

/// `POST /book/confirm` (multipart, with the optional photo): creates the
/// booking and redirects to its reference page.
pub async fn view_book_confirm_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    req: Request,
) -> AppResult<Response> {
    check_same_origin(&headers)?;
    state.limits.bookings.check(ip)?;
    let multipart = Multipart::from_request(req, &state)
        .await
        .map_err(|_| AppError::UnsupportedMediaType("Expected a multipart form.".into()))?;
    let upload = read_multipart(multipart).await?;
    let key = request_key(upload.extra.get("request_key"));
    let input = upload.input;
    if input.is_bot() {
        return Ok(Redirect::to("/book/done?ref=DAY-00000000-000&key=0").into_response());
    }
    let now = state.clock.now();
    let new = match input.parse(&state.config, now) {
        Ok(new) => new,
        Err(errors) => return confirm_or_details(&state, &input, errors, &key).await,
    };
    let (service, date, time) = (new.service_type, new.date, new.time);
    let stored_key = format!("web:{key}");
    let result = if upload.attachment_too_large {
        Err(UploadError::TooLarge.into_app_error("attachment"))
    } else {
        service::create(&state, new, upload.attachment, Some(stored_key)).await
    };
    match result {
        Ok(Outcome::Booked(b)) => Ok(LocalPath::new("/book/done")
            .with("ref", &b.booking_ref)
            .with("key", &key)
            .into_response()),
        Ok(Outcome::SlotFull(alternatives)) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "preferred_time",
                "Sorry, that time was just taken. Please choose another.",
            );
            let input = BookingInput {
                preferred_time: None,
                ..input
            };
            Ok((
                StatusCode::CONFLICT,
                details_page(&state, &input, &errors, &alternatives).await?,
            )
                .into_response())
        }
        // A refused attachment (too large, not a kind we take, unreadable)
        // comes back next to its field, with the status the API would give.
        Err(
            e @ (AppError::Validation(_)
            | AppError::PayloadTooLarge(_)
            | AppError::UnsupportedMediaType(_)),
        ) => {
            let status = e.status();
            let errors = match e {
                AppError::Validation(errors) => errors,
                refused => {
                    let mut errors = FieldErrors::new();
                    errors.add("attachment", refused.to_string());
                    errors
                }
            };
            let page = confirm_page(&state, &input, &errors, &key, service, date, time);
            Ok((status, page).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Errors on the confirm step's own fields show there; anything else sends
/// the customer back to the details.
async fn confirm_or_details(
    state: &AppState,
    input: &BookingInput,
    errors: FieldErrors,
    key: &str,
) -> AppResult<Response> {
    let only_confirm_fields = errors.fields().all(|f| f == "consent" || f == "attachment");
    let parsed = (
        input.service_type.as_deref().and_then(ServiceType::parse),
        input.preferred_date.as_deref().and_then(parse_date),
        input.preferred_time.as_deref().and_then(parse_time),
    );
    let page = match parsed {
        (Some(s), Some(d), Some(t)) if only_confirm_fields => {
            confirm_page(state, input, &errors, key, s, d, t)
        }
        _ => details_page(state, input, &errors, &[]).await?,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(rename = "ref", default)]
    booking_ref: String,
    #[serde(default)]
    key: String,
}

async fn find_own_booking(state: &AppState, q: &DoneQuery) -> AppResult<repo::Booking> {
    let (r, k) = (q.booking_ref.clone(), format!("web:{}", q.key));
    state
        .db
        .read(move |c| repo::find_by_ref_and_key(c, &r, &k).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)
}

/// The Reference step. Only the browser that made the booking knows the key.
pub async fn view_book_done_get(
    State(state): State<AppState>,
    Query(q): Query<DoneQuery>,
) -> AppResult<Markup> {
    let booking = find_own_booking(&state, &q).await?;
    Ok(views::reference(&state.config, &booking, &q.key))
}

/// An iCalendar file for the booked slot.
pub async fn calendar_ics(
    State(state): State<AppState>,
    Query(q): Query<DoneQuery>,
) -> AppResult<Response> {
    let b = find_own_booking(&state, &q).await?;
    let schedule = Schedule::new(&state.config);
    let start = schedule
        .slot_start(b.preferred_date, b.preferred_time)
        .ok_or_else(|| anyhow::anyhow!("booking slot has no start instant"))?;
    let end = start
        .saturating_add(jiff::SignedDuration::from_mins(schedule.slot_minutes()))
        .map_err(anyhow::Error::from)?;
    let fmt = |t: jiff::Timestamp| t.strftime("%Y%m%dT%H%M%SZ").to_string();
    let c = &state.config;
    let host = c
        .base_url()
        .split("://")
        .nth(1)
        .unwrap_or("daytona")
        .to_owned();
    let body = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//Daytona//Workshop booking//EN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}@{}", b.booking_ref, ics_escape(&host)),
        format!("DTSTAMP:{}", fmt(state.clock.now())),
        format!("DTSTART:{}", fmt(start)),
        format!("DTEND:{}", fmt(end)),
        format!(
            "SUMMARY:{}",
            ics_escape(&format!(
                "{} at {}",
                b.service_type.label(c),
                c.business.name
            ))
        ),
        format!("LOCATION:{}", ics_escape(&c.business.address)),
        format!(
            "DESCRIPTION:{}",
            ics_escape(&format!(
                "Booking {}. Questions: {}",
                b.booking_ref, c.business.phone
            ))
        ),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ]
    .join("\r\n")
        + "\r\n";
    let disposition = format!("attachment; filename=\"{}.ics\"", b.booking_ref);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// RFC 5545 text escaping.
fn ics_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
        .replace('\r', "")
}

#[derive(Deserialize)]
pub struct StatusQuery {
    #[serde(rename = "ref", default)]
    booking_ref: String,
}

pub async fn view_status_get(
    State(state): State<AppState>,
    Query(q): Query<StatusQuery>,
) -> Markup {
    views::status(
        &state.config,
        &views::StatusPage {
            booking_ref: &q.booking_ref,
            phone: "",
            error: None,
            found: None,
            notice: None,
        },
    )
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(rename = "ref", default)]
    booking_ref: String,
    #[serde(default)]
    phone: String,
}

const NOT_FOUND: &str =
    "We could not find a booking with that reference and phone number. Please check both.";

pub async fn view_status_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    check_same_origin(&headers)?;
    state.limits.lookups.check(ip)?;
    let result = service::lookup(&state, &form.booking_ref, &form.phone).await;
    status_result(&state, &form, result, None).await
}

pub async fn view_status_cancel_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    check_same_origin(&headers)?;
    state.limits.lookups.check(ip)?;
    let result = service::cancel(&state, &form.booking_ref, &form.phone).await;
    status_result(
        &state,
        &form,
        result,
        Some("Your booking is cancelled. We have sent you a confirmation."),
    )
    .await
}

async fn status_result(
    state: &AppState,
    form: &StatusForm,
    result: AppResult<service::Found>,
    notice: Option<&str>,
) -> AppResult<Response> {
    let page = |found: Option<(&repo::Booking, &[repo::Event])>,
                error: Option<&str>,
                notice: Option<&str>| {
        views::status(
            &state.config,
            &views::StatusPage {
                booking_ref: &form.booking_ref,
                phone: &form.phone,
                error,
                found,
                notice,
            },
        )
    };
    match result {
        Ok(f) => Ok(page(Some((&f.booking, &f.history)), None, notice).into_response()),
        Err(AppError::NotFound) => {
            Ok((StatusCode::NOT_FOUND, page(None, Some(NOT_FOUND), None)).into_response())
        }
        Err(AppError::Conflict { .. }) => {
            // Re-read so the page shows the current state; a conflict means it exists.
            let f = service::lookup(state, &form.booking_ref, &form.phone).await?;
            let msg = "This booking can no longer be cancelled online. Please call us.";
            Ok((
                StatusCode::CONFLICT,
                page(Some((&f.booking, &f.history)), None, Some(msg)),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}
