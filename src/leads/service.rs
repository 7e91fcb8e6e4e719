//! Creating a lead from an inquiry (public) and following it up (staff).
//! Both write their side effects in the same transaction: the staff
//! notification with a new lead, the audit entry with a staff change.

use serde_json::json;

use super::model::{InquiryInput, LeadStatus, LeadType};
use super::repo::{self, Lead};
use crate::audit::{self, Who};
use crate::auth::access::{Permission, require};
use crate::error::{AppError, AppResult};
use crate::notifications::{self, Subject, messages};
use crate::state::AppState;

/// Stores an inquiry and queues the "new lead" message for staff.
/// An inquiry about a vehicle that does not exist is a 404.
pub async fn create(state: &AppState, input: &InquiryInput) -> AppResult<Lead> {
    let new = input
        .parse(&state.config, state.clock.now())
        .map_err(AppError::Validation)?;
    let (config, now) = (state.config.clone(), state.clock.now());
    let lead = state
        .db
        .write(move |tx| -> AppResult<Lead> {
            if let Some(vid) = &new.vehicle_id
                && crate::vehicles::repo::find(tx, vid)?.is_none()
            {
                return Err(AppError::NotFound);
            }
            let lead = repo::insert(tx, &new, now)?;
            let admin_url = format!("{}/admin/leads/{}", config.base_url(), lead.id);
            let message = messages::new_lead_staff(&messages::LeadFacts {
                kind: lead.kind.label(),
                name: &lead.name,
                phone: lead.phone.as_deref().unwrap_or(""),
                email: lead.email.as_deref().unwrap_or(""),
                vehicle: lead.vehicle_title.as_deref().unwrap_or(""),
                admin_url: &admin_url,
            });
            let about = Subject {
                booking_id: None,
                lead_id: Some(&lead.id),
            };
            notifications::enqueue_for_staff(tx, &config, "new_lead", &message, about, now)?;
            Ok(lead)
        })
        .await?;
    tracing::info!(lead_id = %lead.id, kind = lead.kind.as_str(), "lead created");
    Ok(lead)
}

/// A staff change to a lead; absent parts stay as they are.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub status: Option<LeadStatus>,
    pub note: Option<String>,
}

pub async fn update(state: &AppState, who: &Who, id: &str, change: Change) -> AppResult<Lead> {
    require(who.role, Permission::ManageLeads)?;
    let (who, now, id) = (who.clone(), state.clock.now(), id.to_owned());
    state
        .db
        .write(move |tx| -> AppResult<Lead> {
            let before = repo::find(tx, &id)?.ok_or(AppError::NotFound)?;
            let status = change.status.unwrap_or(before.status);
            before.status.check_move(status)?;
            let note = change
                .note
                .as_deref()
                .map(|n| n.trim().chars().take(2000).collect::<String>())
                .unwrap_or_else(|| before.staff_note.clone());
            repo::update(tx, &id, status, &note, now)?;
            let after = repo::find(tx, &id)?.ok_or(AppError::NotFound)?;
            let (was, now_is) = audit::diff(
                &json!({ "status": before.status.as_str(), "staff_note": before.staff_note }),
                &json!({ "status": after.status.as_str(), "staff_note": after.staff_note }),
            );
            if now_is != json!({}) {
                audit::record(
                    tx,
                    &who.actor(),
                    audit::Change {
                        action: "lead.update",
                        entity_type: "lead",
                        entity_id: &id,
                        before: was,
                        after: now_is,
                    },
                    now,
                )?;
            }
            Ok(after)
        })
        .await
}

/// What the visitor is told after sending an inquiry.
pub fn thank_you(kind: LeadType) -> &'static str {
    match kind {
        LeadType::PriceRequest => {
            "Thank you. We will send you the price within one working day, usually much sooner."
        }
        LeadType::TestDriveRequest => {
            "Thank you. We will call you within one working day to agree a time for the test drive."
        }
        LeadType::General => "Thank you. We will get back to you within one working day.",
    }
}
