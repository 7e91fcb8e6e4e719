//! A lead (SPEC §4): someone asked about a car, or asked us to call back.
//! The inquiry as sent, the rules it must pass, and the follow-up states.

use jiff::{Timestamp, civil::Date};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::model::Email;
use crate::bookings::service::Flag;
use crate::bookings::slots::parse_date;
use crate::config::Config;
use crate::error::{AppError, FieldErrors};
use crate::ids::VehicleId;
use crate::phone::Phone;
use crate::text::Lines;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadType {
    PriceRequest,
    TestDriveRequest,
    General,
}

impl LeadType {
    pub const ALL: [LeadType; 3] = [
        LeadType::PriceRequest,
        LeadType::TestDriveRequest,
        LeadType::General,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadType::PriceRequest => "price_request",
            LeadType::TestDriveRequest => "test_drive_request",
            LeadType::General => "general",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LeadType::PriceRequest => "Price request",
            LeadType::TestDriveRequest => "Test drive request",
            LeadType::General => "Message",
        }
    }

    pub fn parse(s: &str) -> Option<LeadType> {
        LeadType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeadStatus {
    New,
    Contacted,
    Closed,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 3] = [LeadStatus::New, LeadStatus::Contacted, LeadStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Contacted => "contacted",
            LeadStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LeadStatus::New => "New",
            LeadStatus::Contacted => "Contacted",
            LeadStatus::Closed => "Closed",
        }
    }

    pub fn parse(s: &str) -> Option<LeadStatus> {
        LeadStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// new → contacted → closed; a lead closed too early can be reopened
    /// as contacted. Nothing goes back to new: that is what "pending" counts.
    pub fn allowed_targets(self) -> &'static [LeadStatus] {
        match self {
            LeadStatus::New => &[LeadStatus::Contacted, LeadStatus::Closed],
            LeadStatus::Contacted => &[LeadStatus::Closed],
            LeadStatus::Closed => &[LeadStatus::Contacted],
        }
    }

    /// 409 `invalid_transition` naming from, to and the allowed targets.
    pub fn check_move(self, to: LeadStatus) -> Result<(), AppError> {
        if self == to || self.allowed_targets().contains(&to) {
            return Ok(());
        }
        Err(AppError::Conflict {
            code: "invalid_transition",
            message: format!("A {} lead cannot become {}.", self.as_str(), to.as_str()),
            details: serde_json::json!({
                "from": self.as_str(),
                "to": to.as_str(),
                "allowed": self.allowed_targets().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            }),
        })
    }
}

/// An inquiry as sent (`POST /v1/inquiries` or a form on a vehicle page).
/// Every field is optional here so each missing one is named in the 422.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct InquiryInput {
    /// The vehicle asked about; absent for a general inquiry.
    #[schema(format = Uuid)]
    pub vehicle_id: Option<String>,
    #[schema(required = true, min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// A phone or an email is required.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// `price_request`, `test_drive_request` or `general`.
    #[serde(rename = "type")]
    #[schema(required = true)]
    pub kind: Option<String>,
    #[schema(max_length = 2000)]
    pub message: Option<String>,
    /// `YYYY-MM-DD`, for test drives.
    pub preferred_date: Option<String>,
    /// Must be `true`: the visitor agrees to be contacted.
    #[schema(value_type = bool, required = true)]
    pub consent: Option<Flag>,
    /// Honeypot: people leave it empty; a filled one is silently dropped.
    pub website: Option<String>,
}

/// A checked inquiry, ready to store.
#[derive(Debug, Clone)]
pub struct NewLead {
    pub vehicle_id: Option<VehicleId>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub kind: LeadType,
    pub message: String,
    pub preferred_date: Option<Date>,
}

pub const MAX_MESSAGE: usize = 2000;
/// How far ahead a test drive may be asked for.
const TEST_DRIVE_DAYS_AHEAD: i64 = 90;

fn text(v: &Option<String>) -> &str {
    v.as_deref().map(str::trim).unwrap_or("")
}

impl InquiryInput {
    pub fn is_bot(&self) -> bool {
        !text(&self.website).is_empty()
    }

    pub fn parse(&self, config: &Config, now: Timestamp) -> Result<NewLead, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = crate::text::name(&mut errors, "name", text(&self.name), "Enter your name.");
        let phone = match text(&self.phone) {
            "" => None,
            raw => Phone::parse(raw)
                .map_err(|e| errors.add("phone", e))
                .ok()
                .map(|p| p.as_str().to_owned()),
        };
        let email = match text(&self.email) {
            "" => None,
            raw => Email::parse(raw)
                .map_err(|e| errors.add("email", e))
                .ok()
                .map(|e| e.as_str().to_owned()),
        };
        if text(&self.phone).is_empty() && text(&self.email).is_empty() {
            errors.add(
                "phone",
                "Give a phone number or an email address so we can answer you.",
            );
        }
        let kind = LeadType::parse(text(&self.kind));
        if kind.is_none() {
            errors.add(
                "type",
                "Choose price_request, test_drive_request or general.",
            );
        }
        let message = crate::text::field(
            &mut errors,
            "message",
            text(&self.message),
            Lines::Many,
            MAX_MESSAGE,
        );
        let preferred_date = match (kind, text(&self.preferred_date)) {
            (Some(LeadType::TestDriveRequest), raw) if !raw.is_empty() => {
                check_test_drive_date(config, now, raw)
                    .map_err(|e| errors.add("preferred_date", e))
                    .ok()
            }
            _ => None,
        };
        if !self.consent.as_ref().is_some_and(Flag::is_set) {
            errors.add("consent", "Please agree so that we may contact you.");
        }
        let vehicle_id = match text(&self.vehicle_id) {
            "" => None,
            given => VehicleId::parse(given).or_else(|| {
                errors.add("vehicle_id", "This is not a vehicle of ours.");
                None
            }),
        };
        match kind {
            Some(kind) if errors.is_empty() => Ok(NewLead {
                vehicle_id,
                name,
                phone,
                email,
                kind,
                message,
                preferred_date,
            }),
            _ => Err(errors),
        }
    }
}

fn check_test_drive_date(config: &Config, now: Timestamp, raw: &str) -> Result<Date, String> {
    let date = parse_date(raw).ok_or("Choose a day (YYYY-MM-DD).")?;
    let today = now.to_zoned(config.business.timezone.tz().clone()).date();
    if date < today {
        return Err("Choose today or a later day.".into());
    }
    if date > today.saturating_add(jiff::Span::new().days(TEST_DRIVE_DAYS_AHEAD)) {
        return Err(format!("Choose a day within {TEST_DRIVE_DAYS_AHEAD} days."));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: &str) -> InquiryInput {
        InquiryInput {
            name: Some("Chikondi Banda".into()),
            phone: Some("0991 234 567".into()),
            kind: Some(kind.into()),
            consent: Some(Flag::Bool(true)),
            ..Default::default()
        }
    }

    fn now() -> Timestamp {
        "2026-11-24T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_phone_or_an_email_and_consent_are_needed() {
        let c = Config::defaults();
        let lead = input("price_request").parse(&c, now()).unwrap();
        assert_eq!(lead.phone.as_deref(), Some("+265991234567"));
        let mut bare = input("general");
        bare.phone = None;
        bare.consent = None;
        let errors = bare.parse(&c, now()).unwrap_err();
        assert_eq!(errors.fields().collect::<Vec<_>>(), ["consent", "phone"]);
    }

    #[test]
    fn test_drive_dates_are_checked_and_kept_only_for_test_drives() {
        let c = Config::defaults();
        let mut drive = input("test_drive_request");
        drive.preferred_date = Some("2026-11-27".into());
        assert!(drive.parse(&c, now()).unwrap().preferred_date.is_some());
        drive.preferred_date = Some("2026-11-01".into());
        assert!(
            drive
                .parse(&c, now())
                .unwrap_err()
                .get("preferred_date")
                .is_some()
        );
        let mut price = input("price_request");
        price.preferred_date = Some("2026-11-27".into());
        assert_eq!(price.parse(&c, now()).unwrap().preferred_date, None);
    }

    #[test]
    fn leads_move_forward_or_reopen() {
        assert!(LeadStatus::New.check_move(LeadStatus::Contacted).is_ok());
        assert!(LeadStatus::Closed.check_move(LeadStatus::Contacted).is_ok());
        assert!(LeadStatus::Contacted.check_move(LeadStatus::New).is_err());
    }
}
