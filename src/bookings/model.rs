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
    }
}
