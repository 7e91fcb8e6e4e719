//! The staff roles. Below every domain: the sign-in code gives a user a
//! role, the audit log records who acted in which role, and `auth::access`
//! says what each role may do.

use serde::{Deserialize, Serialize};

/// A staff role (SPEC §5): `admin` everything; `manager` all but users and
/// settings; `technician` today's jobs and the workshop steps.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Manager,
    Technician,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Technician => "technician",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "manager" => Some(Role::Manager),
            "technician" => Some(Role::Technician),
            _ => None,
        }
    }
}
