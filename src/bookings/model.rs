//! Booking domain types.

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// The six kinds of workshop job a customer can book (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceType {
    OilChange,
    FullService,
    TyreAlignment,
    SuspensionCheck,
    BrakeCheck,
    Other,
}

impl ServiceType {
    pub const ALL: [ServiceType; 6] = [
        ServiceType::OilChange,
        ServiceType::FullService,
        ServiceType::TyreAlignment,
        ServiceType::SuspensionCheck,
        ServiceType::BrakeCheck,
        ServiceType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::OilChange => "oil_change",
            ServiceType::FullService => "full_service",
            ServiceType::TyreAlignment => "tyre_alignment",
            ServiceType::SuspensionCheck => "suspension_check",
            ServiceType::BrakeCheck => "brake_check",
            ServiceType::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<ServiceType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The customer-facing name, from `[booking.service_types]`.
    pub fn label(self, config: &Config) -> &str {
        let l = &config.booking.service_types;
        match self {
            ServiceType::OilChange => &l.oil_change,
            ServiceType::FullService => &l.full_service,
            ServiceType::TyreAlignment => &l.tyre_alignment,
            ServiceType::SuspensionCheck => &l.suspension_check,
            ServiceType::BrakeCheck => &l.brake_check,
            ServiceType::Other => &l.other,
        }
    }

    /// What the job involves, for the services page.
    pub fn description(self) -> &'static str {
        match self {
            ServiceType::OilChange => {
                "Fresh engine oil of the grade your manufacturer specifies, a new oil filter, \
                 and a quick check of coolant, brake fluid, wipers and tyre pressures while the car is with us."
            }
            ServiceType::FullService => {
                "The complete service to your vehicle's schedule: oil and filters (oil, air, fuel, cabin), \
                 plugs where due, fluids, belts, brakes, suspension, lights and battery, with a written report \
                 of anything that needs attention before it becomes expensive."
            }
            ServiceType::TyreAlignment => {
                "Tyre fitting and balancing, puncture repair, rotation and computerised wheel alignment. \
                 Correct alignment stops uneven tyre wear and pulling on rough roads."
            }
            ServiceType::SuspensionCheck => {
                "Shock absorbers, bushes, ball joints, tie-rod ends and steering play checked on the lift. \
                 Recommended after potholes, a knock over bumps or vague steering."
            }
            ServiceType::BrakeCheck => {
                "Pads, discs, drums, shoes, hoses and brake fluid inspected and measured; \
                 worn parts replaced with your approval. Book if you hear squealing or the pedal feels soft."
            }
            ServiceType::Other => {
                "Engine diagnostics and warning lights, electrical faults, air conditioning, \
                 pre-purchase inspections and anything else: describe it in the notes and we will call you."
            }
        }
    }

    /// Typical time the car spends in the bay, as customers are told.
    pub fn typical_duration(self) -> &'static str {
        match self {
            ServiceType::OilChange => "About 45 minutes",
            ServiceType::FullService => "Half a day to a full day",
            ServiceType::TyreAlignment => "About 1 hour",
            ServiceType::SuspensionCheck => "About 1 hour for the check",
            ServiceType::BrakeCheck => "About 1 hour for the check",
            ServiceType::Other => "We confirm after the first look",
        }
    }
}

/// Where a booking is in the workshop (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    Requested,
    Confirmed,
    Rescheduled,
    CheckedIn,
    InProgress,
    Completed,
    Cancelled,
}

impl BookingStatus {
    pub const ALL: [BookingStatus; 7] = [
        BookingStatus::Requested,
        BookingStatus::Confirmed,
        BookingStatus::Rescheduled,
        BookingStatus::CheckedIn,
        BookingStatus::InProgress,
        BookingStatus::Completed,
        BookingStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Requested => "requested",
            BookingStatus::Confirmed => "confirmed",
            BookingStatus::Rescheduled => "rescheduled",
            BookingStatus::CheckedIn => "checked_in",
            BookingStatus::InProgress => "in_progress",
            BookingStatus::Completed => "completed",
            BookingStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<BookingStatus> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Words a customer understands.
    pub fn label(self) -> &'static str {
        match self {
            BookingStatus::Requested => "Requested — waiting for our confirmation",
            BookingStatus::Confirmed => "Confirmed",
            BookingStatus::Rescheduled => "Rescheduled",
            BookingStatus::CheckedIn => "Car checked in",
            BookingStatus::InProgress => "Work in progress",
            BookingStatus::Completed => "Completed — ready for collection",
            BookingStatus::Cancelled => "Cancelled",
        }
    }

    /// The lifecycle: every allowed transition, in one place.
    pub fn allowed_targets(self) -> &'static [BookingStatus] {
        use BookingStatus::*;
        match self {
            Requested => &[Confirmed, Rescheduled, CheckedIn, Cancelled],
            Confirmed => &[Rescheduled, CheckedIn, Cancelled],
            Rescheduled => &[Confirmed, Rescheduled, CheckedIn, Cancelled],
            CheckedIn => &[InProgress, Cancelled],
            InProgress => &[Completed],
            Completed | Cancelled => &[],
        }
    }

    pub fn can_become(self, to: BookingStatus) -> bool {
        self.allowed_targets().contains(&to)
    }

    /// Customers may cancel themselves until the car is checked in.
    pub fn customer_may_cancel(self) -> bool {
        matches!(
            self,
            BookingStatus::Requested | BookingStatus::Confirmed | BookingStatus::Rescheduled
        )
    }

    /// Whether a booking in this status holds its slot.
    pub fn holds_slot(self) -> bool {
        self != BookingStatus::Cancelled
    }
}

/// The 409 for a transition the lifecycle does not allow.
pub fn invalid_transition(from: BookingStatus, to: BookingStatus) -> crate::error::AppError {
    let allowed: Vec<&str> = from.allowed_targets().iter().map(|s| s.as_str()).collect();
    crate::error::AppError::Conflict {
        code: "invalid_transition",
        message: format!(
            "A booking that is {} cannot become {}.",
            from.as_str(),
            to.as_str()
        ),
        details: serde_json::json!({ "from": from.as_str(), "to": to.as_str(), "allowed": allowed }),
    }
}

/// `DAY-YYYYMMDD-NNN`: creation day in the business time zone and that day's sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRef(String);

impl BookingRef {
    pub fn new(day: jiff::civil::Date, seq: u32) -> BookingRef {
        BookingRef(format!("DAY-{}-{seq:03}", day.strftime("%Y%m%d")))
    }

    /// Accepts any case and surrounding space, as customers type it.
    pub fn parse(raw: &str) -> Option<BookingRef> {
        let s = raw.trim().to_ascii_uppercase();
        let rest = s.strip_prefix("DAY-")?;
        let (date, seq) = rest.split_once('-')?;
        let ok = date.len() == 8
            && date.bytes().all(|b| b.is_ascii_digit())
            && (3..=6).contains(&seq.len())
            && seq.bytes().all(|b| b.is_ascii_digit());
        ok.then_some(BookingRef(s))
    }

    /// The smallest and just-past-largest ref of a day, for an index range scan.
    pub fn day_range(day: jiff::civil::Date) -> (String, String) {
        let ymd = day.strftime("%Y%m%d");
        (format!("DAY-{ymd}-"), format!("DAY-{ymd}."))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BookingRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in ServiceType::ALL {
            assert_eq!(ServiceType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert_eq!(ServiceType::parse("car_wash"), None);
        for s in BookingStatus::ALL {
            assert_eq!(BookingStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn lifecycle_matches_the_contract() {
        use BookingStatus::*;
        let allowed: Vec<(BookingStatus, BookingStatus)> = BookingStatus::ALL
            .into_iter()
            .flat_map(|f| BookingStatus::ALL.into_iter().map(move |t| (f, t)))
            .filter(|(f, t)| f.can_become(*t))
            .collect();
        assert_eq!(allowed.len(), 4 + 3 + 4 + 2 + 1);
        assert!(Rescheduled.can_become(Rescheduled));
        assert!(!Confirmed.can_become(Confirmed));
        assert!(!Completed.can_become(Cancelled));
        assert!(!InProgress.can_become(Cancelled));
        assert!(Requested.customer_may_cancel() && !CheckedIn.customer_may_cancel());
    }

    #[test]
    fn booking_refs() {
        let day = jiff::civil::date(2026, 11, 24);
        assert_eq!(BookingRef::new(day, 7).as_str(), "DAY-20261124-007");
        assert_eq!(BookingRef::new(day, 1234).as_str(), "DAY-20261124-1234");
        assert_eq!(
            BookingRef::parse(" day-20261124-007 ").unwrap().as_str(),
            "DAY-20261124-007"
        );
        for bad in [
            "",
            "DAY-2026112-007",
            "DAY-20261124-07",
            "XYZ-20261124-007",
            "DAY-20261124-00A",
        ] {
            assert!(BookingRef::parse(bad).is_none(), "{bad}");
        }
        let (lo, hi) = BookingRef::day_range(day);
        assert!(lo.as_str() < "DAY-20261124-001" && "DAY-20261124-999" < hi.as_str());
        assert!("DAY-20261125-001" > hi.as_str());
    }
}
