//! Booking use cases shared by the JSON API and the HTML pages: parse the
//! input, store the attachment, create in one transaction; look up and
//! cancel by reference and phone.

use jiff::civil::{Date, Time};
use serde::Deserialize;
use utoipa::ToSchema;

use super::model::{BookingRef, BookingStatus, ServiceType};
use super::repo::{self, Actor, Booking, Created, Event, NewAttachment, NewBooking};
use super::slots::{Schedule, parse_date, parse_time};
use crate::auth::model::Email;
use crate::config::Config;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::phone::Phone;
use crate::state::AppState;

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
    pub name: Option<String>,
    /// Malawi local (`0991234567`) or international (`+265…`, other countries' E.164).
    pub phone: Option<String>,
    pub email: Option<String>,
    pub vehicle_reg: Option<String>,
    /// `oil_change`, `full_service`, `tyre_alignment`, `suspension_check`, `brake_check` or `other`.
    pub service_type: Option<String>,
    /// `YYYY-MM-DD`, in the business time zone.
    pub preferred_date: Option<String>,
    /// `HH:MM`, a slot start from `/v1/availability`.
    pub preferred_time: Option<String>,
    pub notes: Option<String>,
    /// Must be `true`: the customer agrees that the booking is stored.
    #[schema(value_type = bool)]
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
        let name = text(&self.name);
        if name.is_empty() {
            errors.add("name", "Enter your name.");
        } else if name.chars().count() > 100 {
            errors.add("name", "Use at most 100 characters.");
        }
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
        let notes = text(&self.notes);
        if notes.chars().count() > MAX_NOTES {
            errors.add("notes", format!("Use at most {MAX_NOTES} characters."));
        }
        if !self.consent.as_ref().is_some_and(Flag::is_set) {
            errors.add("consent", "Please agree so that we can store your booking.");
        }
        match (phone, service_type, date, time) {
            (Some(phone), Some(service_type), Some(date), Some(time)) if errors.is_empty() => {
                Ok(NewBooking {
                    name: name.to_owned(),
                    phone,
                    email,
                    vehicle_reg,
                    service_type,
                    date,
                    time,
                    notes: notes.to_owned(),
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
    let id = crate::db::new_id();
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
