//! Booking use cases shared by the JSON API and the HTML pages: parse the
//! input, store the attachment, create in one transaction; look up and
//! cancel by reference and phone.

use axum::extract::Multipart;
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{BookingRef, BookingStatus, ServiceType};
use super::repo::{self, Actor, Booking, Created, Event, NewAttachment, NewBooking};
use super::slots::{Schedule, fmt_time, parse_date, parse_time};
use crate::auth::model::Email;
use crate::config::Config;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::ids::AttachmentId;
use crate::phone::Phone;
use crate::state::AppState;
use crate::text::Lines;
use crate::upload;

/// A checkbox or boolean as JSON (`true`) or a form (`"on"`, `"true"`, `"1"`) sends it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Flag {
    Bool(bool),
    Text(String),
}

impl Flag {
    pub fn is_set(&self) -> bool {
        match self {
            Flag::Bool(b) => *b,
            Flag::Text(s) => matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "on" | "true" | "1" | "yes"
            ),
        }
    }
}

/// A booking request as sent, before parsing. Every field is optional here so
/// that a missing one is reported by name with the others (422), not as a
/// shapeless deserialisation error.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct BookingInput {
    #[schema(required = true, min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// Malawi local (`0991234567`) or international (`+265…`, other countries' E.164).
    #[schema(required = true)]
    pub phone: Option<String>,
    pub email: Option<String>,
    /// As on the number plate, e.g. `BT 1234`.
    #[schema(max_length = 20)]
    pub vehicle_reg: Option<String>,
    /// `oil_change`, `full_service`, `tyre_alignment`, `suspension_check`, `brake_check` or `other`.
    #[schema(required = true)]
    pub service_type: Option<String>,
    /// `YYYY-MM-DD`, in the business time zone.
    #[schema(required = true, format = Date)]
    pub preferred_date: Option<String>,
    /// `HH:MM`, a slot start from `/v1/availability`.
    #[schema(required = true)]
    pub preferred_time: Option<String>,
    #[schema(max_length = 1000)]
    pub notes: Option<String>,
    /// Must be `true`: the customer agrees that the booking is stored.
    #[schema(value_type = bool, required = true)]
    pub consent: Option<Flag>,
    /// Honeypot: people leave it empty; a filled one is silently dropped.
    pub website: Option<String>,
}

fn text(v: &Option<String>) -> &str {
    v.as_deref().map(str::trim).unwrap_or("")
}

pub const MAX_NOTES: usize = 1000;

impl BookingInput {
    /// Filled in by a bot, not a person.
    pub fn is_bot(&self) -> bool {
        !text(&self.website).is_empty()
    }

    /// Every rule of SPEC §5; each failure names its field.
    pub fn parse(&self, config: &Config, now: jiff::Timestamp) -> Result<NewBooking, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = crate::text::name(&mut errors, "name", text(&self.name), "Enter your name.");
        let phone = Phone::parse(text(&self.phone))
            .map_err(|e| errors.add("phone", e))
            .ok();
        let email = match text(&self.email) {
            "" => None,
            raw => Email::parse(raw)
                .map_err(|e| errors.add("email", e))
                .ok()
                .map(|e| e.as_str().to_owned()),
        };
        let vehicle_reg = parse_reg(text(&self.vehicle_reg))
            .map_err(|e| errors.add("vehicle_reg", e))
            .ok()
            .flatten();
        let service_type = ServiceType::parse(text(&self.service_type));
        if service_type.is_none() {
            errors.add("service_type", "Choose one of the services.");
        }
        let date = parse_date(text(&self.preferred_date));
        if date.is_none() {
            errors.add("preferred_date", "Choose a day (YYYY-MM-DD).");
        }
        let time = parse_time(text(&self.preferred_time));
        if time.is_none() {
            errors.add("preferred_time", "Choose a time (HH:MM).");
        }
        if let (Some(d), Some(t)) = (date, time) {
            let schedule = Schedule::new(config);
            if let Err(e) = schedule.check(d, t, now) {
                errors.add(e.field(), e.message(&schedule));
            }
        } else if let Some(d) = date {
            // Date-only problems are worth reporting even without a time.
            let schedule = Schedule::new(config);
            if let Some(t) = schedule.slot_times(d).first()
                && let Err(e) = schedule.check(d, *t, now)
                && e.field() == "preferred_date"
            {
                errors.add(e.field(), e.message(&schedule));
            }
        }
        let notes = crate::text::field(
            &mut errors,
            "notes",
            text(&self.notes),
            Lines::Many,
            MAX_NOTES,
        );
        if !self.consent.as_ref().is_some_and(Flag::is_set) {
            errors.add("consent", "Please agree so that we can store your booking.");
        }
        match (phone, service_type, date, time) {
            (Some(phone), Some(service_type), Some(date), Some(time)) if errors.is_empty() => {
                Ok(NewBooking {
                    name,
                    phone,
                    email,
                    vehicle_reg,
                    service_type,
                    date,
                    time,
                    notes,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A vehicle registration as on the plate, upper-cased (`BT 1234`, `MZ 4567 A`).
fn parse_reg(raw: &str) -> Result<Option<String>, &'static str> {
    if raw.is_empty() {
        return Ok(None);
    }
    let reg = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    let ok = reg.len() <= 20
        && reg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    if ok {
        Ok(Some(reg))
    } else {
        Err("Enter the registration as on the number plate, e.g. BT 1234.")
    }
}

/// The outcome of a booking request.
pub enum Outcome {
    /// Stored (or found again by its request key).
    Booked(Box<Booking>),
    /// Slot at capacity: the next free slots.
    SlotFull(Vec<(Date, Time)>),
}

/// Checks and stores the attachment, then creates the booking in one write
/// transaction. A refused or failed request leaves no file and no row.
pub async fn create(
    state: &AppState,
    new: NewBooking,
    attachment: Option<Vec<u8>>,
    request_key: Option<String>,
) -> AppResult<Outcome> {
    let stored = match attachment {
        Some(bytes) => Some(store_attachment(state, bytes).await?),
        None => None,
    };
    let now = state.clock.now();
    let config = state.config.clone();
    let row = stored.clone();
    let result = state
        .db
        .write(move |tx| repo::create(tx, &config, &new, row.as_ref(), request_key.as_deref(), now))
        .await;
    let keep_file = matches!(result, Ok(Created::New(_)));
    if let (false, Some(a)) = (keep_file, &stored) {
        state.uploads.remove(vec![a.path.clone()]).await;
    }
    match result.map_err(AppError::Internal)? {
        Created::New(b) => {
            tracing::info!(booking_ref = %b.booking_ref, "booking created");
            Ok(Outcome::Booked(Box::new(b)))
        }
        Created::Repeat(b) => Ok(Outcome::Booked(Box::new(b))),
        Created::SlotFull(alternatives) => Ok(Outcome::SlotFull(alternatives)),
    }
}

async fn store_attachment(state: &AppState, bytes: Vec<u8>) -> AppResult<NewAttachment> {
    let prepared = state
        .uploads
        .prepare_attachment(bytes)
        .await
        .map_err(|e| e.into_app_error("attachment"))?;
    let id = AttachmentId::new();
    let path = format!("attachments/{id}.{}", prepared.extension);
    let size = prepared.bytes.len();
    state.uploads.store(&path, prepared.bytes).await?;
    Ok(NewAttachment {
        id,
        kind: if prepared.kind.is_image() {
            "image"
        } else {
            "pdf"
        },
        content_type: prepared.content_type,
        path,
        size,
    })
}

#[derive(Serialize, ToSchema)]
pub struct Availability {
    date: String,
    pub closed: bool,
    slots: Vec<SlotAvailability>,
}

#[derive(Serialize, ToSchema)]
pub struct SlotAvailability {
    /// `HH:MM`
    time: String,
    capacity: i64,
    booked: i64,
    available: i64,
    /// Whether the slot can still be booked now (not past, not too soon, not too far ahead).
    bookable: bool,
}

/// Availability of one day (also used by the booking page).
pub async fn day_availability(
    state: &AppState,
    date: jiff::civil::Date,
) -> AppResult<Availability> {
    let counts = state
        .db
        .read(move |c| repo::slot_counts(c, date, date).map_err(AppError::from))
        .await?;
    let schedule = Schedule::new(&state.config);
    let now = state.clock.now();
    let capacity = schedule.capacity();
    let slots = schedule
        .slot_times(date)
        .into_iter()
        .map(|t| {
            let booked = counts.get(&(date, t)).copied().unwrap_or(0);
            SlotAvailability {
                time: fmt_time(t),
                capacity,
                booked,
                available: (capacity - booked).max(0),
                bookable: schedule.check(date, t, now).is_ok(),
            }
        })
        .collect();
    Ok(Availability {
        date: date.to_string(),
        closed: schedule.is_closed(date),
        slots,
    })
}

impl Availability {
    /// Slot times a customer can pick now.
    pub fn free_times(&self) -> impl Iterator<Item = &str> {
        self.slots
            .iter()
            .filter(|s| s.bookable && s.available > 0)
            .map(|s| s.time.as_str())
    }
}

/// A multipart booking request: the fields, the file, and any other fields
/// (the booking page's request key).
pub struct BookingUpload {
    pub input: BookingInput,
    pub attachment: Option<Vec<u8>>,
    /// The file was over 5 MB and was discarded.
    pub attachment_too_large: bool,
    pub extra: std::collections::HashMap<String, String>,
}

/// Reads the booking fields and the optional `attachment` of a multipart body.
pub async fn read_multipart(multipart: Multipart) -> AppResult<BookingUpload> {
    let mut form = upload::read_multipart(multipart, "attachment").await?;
    let file = form.file;
    let input = BookingInput::from_fields(&mut form.fields);
    Ok(BookingUpload {
        input,
        attachment_too_large: file.as_ref().is_some_and(|f| f.bytes.is_none()),
        attachment: file.and_then(|f| f.bytes),
        extra: form.fields,
    })
}

/// The 409 body for a full slot.
pub fn slot_full_error(alternatives: &[(Date, Time)]) -> AppError {
    let alternatives: Vec<serde_json::Value> = alternatives
        .iter()
        .map(|(d, t)| serde_json::json!({ "date": d.to_string(), "time": super::slots::fmt_time(*t) }))
        .collect();
    AppError::Conflict {
        code: "slot_full",
        message: "That time is fully booked. Please choose another.".into(),
        details: serde_json::json!({ "alternatives": alternatives }),
    }
}

/// A booking with its history, found by reference and phone.
pub struct Found {
    pub booking: Booking,
    pub history: Vec<Event>,
}

/// Finds a booking by ref and phone. An unknown ref, a malformed ref or phone
/// and a phone that does not match all give the same `NotFound`, so the
/// answer reveals nothing about which refs exist.
pub async fn lookup(state: &AppState, raw_ref: &str, raw_phone: &str) -> AppResult<Found> {
    let (Some(booking_ref), Ok(phone)) = (BookingRef::parse(raw_ref), Phone::parse(raw_phone))
    else {
        return Err(AppError::NotFound);
    };
    state
        .db
        .read(move |c| -> AppResult<Found> {
            let booking = repo::find_by_ref(c, booking_ref.as_str())?
                .filter(|b| b.customer_phone == phone.as_str())
                .ok_or(AppError::NotFound)?;
            let history = repo::events(c, &booking.id)?;
            Ok(Found { booking, history })
        })
        .await
}

/// Customer self-cancel, allowed until the car is checked in.
pub async fn cancel(state: &AppState, raw_ref: &str, raw_phone: &str) -> AppResult<Found> {
    let (Some(booking_ref), Ok(phone)) = (BookingRef::parse(raw_ref), Phone::parse(raw_phone))
    else {
        return Err(AppError::NotFound);
    };
    let config = state.config.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |tx| -> AppResult<Found> {
            let booking = repo::find_by_ref(tx, booking_ref.as_str())?
                .filter(|b| b.customer_phone == phone.as_str())
                .ok_or(AppError::NotFound)?;
            if !booking.status.customer_may_cancel() {
                return Err(super::model::invalid_transition(
                    booking.status,
                    BookingStatus::Cancelled,
                ));
            }
            let booking = repo::transition(
                tx,
                &config,
                &booking,
                BookingStatus::Cancelled,
                &Actor::CUSTOMER,
                "",
                now,
            )?;
            let history = repo::events(tx, &booking.id)?;
            Ok(Found { booking, history })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BookingInput {
        BookingInput {
            name: Some("Yamikani Phiri".into()),
            phone: Some("0991 234 567".into()),
            email: Some("".into()),
            vehicle_reg: Some(" bt  1234 ".into()),
            service_type: Some("oil_change".into()),
            preferred_date: Some("2026-11-24".into()),
            preferred_time: Some("08:30".into()),
            notes: None,
            consent: Some(Flag::Text("on".into())),
            website: None,
        }
    }

    fn now() -> jiff::Timestamp {
        "2026-11-23T06:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_good_request_parses_and_normalises() {
        let b = input().parse(&Config::defaults(), now()).unwrap();
        assert_eq!(b.phone.as_str(), "+265991234567");
        assert_eq!(b.vehicle_reg.as_deref(), Some("BT 1234"));
        assert_eq!(b.email, None);
    }

    #[test]
    fn every_missing_field_is_named() {
        let errors = BookingInput::default()
            .parse(&Config::defaults(), now())
            .unwrap_err();
        for field in [
            "name",
            "phone",
            "service_type",
            "preferred_date",
            "preferred_time",
            "consent",
        ] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        assert!(errors.get("email").is_none() && errors.get("vehicle_reg").is_none());
    }

    #[test]
    fn consent_must_be_given() {
        for consent in [
            None,
            Some(Flag::Bool(false)),
            Some(Flag::Text("off".into())),
        ] {
            let errors = BookingInput { consent, ..input() }
                .parse(&Config::defaults(), now())
                .unwrap_err();
            assert!(errors.get("consent").is_some());
        }
        let ok = BookingInput {
            consent: Some(Flag::Bool(true)),
            ..input()
        };
        assert!(ok.parse(&Config::defaults(), now()).is_ok());
    }
}
