//! Creating a lead from an inquiry (public) and following it up (staff).
//! Both write their side effects in the same transaction: the staff
//! notification with a new lead, the audit entry with a staff change.

use serde::Deserialize;
use serde_json::json;

use super::model::{InquiryInput, LeadStatus, LeadType};
use super::repo::{self, Filter, Lead};
use crate::audit::{self, actor::Actor};
use crate::auth::access::{Permission, require};
use crate::bookings::slots::parse_date;
use crate::config::Config;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::ids::{LeadId, VehicleId};
use crate::notifications::{self, Subject, messages};
use crate::state::AppState;
use crate::text::Lines;
use crate::web::paging::{Page, Paging, page_param};

/// Stores an inquiry and queues the "new lead" message for staff.
/// An inquiry about a vehicle that does not exist is a 404 (the foreign
/// key on `leads.vehicle_id` says so).
pub async fn create(state: &AppState, input: &InquiryInput) -> AppResult<Lead> {
    let new = input
        .parse(&state.config, state.clock.now())
        .map_err(AppError::Validation)?;
    let (config, now) = (state.config.clone(), state.clock.now());
    let lead = state
        .db
        .write(move |tx| -> AppResult<Lead> {
            let lead = match repo::insert(tx, &new, now) {
                Err(e) if crate::db::is_foreign_key_violation(&e) => Err(AppError::NotFound),
                other => other.map_err(AppError::from),
            }?;
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

pub async fn update(state: &AppState, who: &Actor, id: &LeadId, change: Change) -> AppResult<Lead> {
    require(who.role, Permission::ManageLeads)?;
    let (who, now, id) = (who.clone(), state.clock.now(), id.clone());
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
                    &who,
                    audit::Change {
                        action: "lead.update",
                        entity_type: "lead",
                        entity_id: id.as_str(),
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

impl Change {
    /// A status name and a note into a change (422 for an unknown status).
    pub fn parse(status: Option<&str>, note: Option<String>) -> AppResult<Change> {
        let mut errors = FieldErrors::new();
        let status = status.map(str::trim).and_then(|s| {
            LeadStatus::parse(s).or_else(|| {
                errors.add("status", "Use new, contacted or closed.");
                None
            })
        });
        let note = note.map(|n| crate::text::field(&mut errors, "note", &n, Lines::Many, 2000));
        errors.into_result(Change { status, note })
    }
}

/// The staff list filters (the page and the API).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeadQuery {
    /// `new`, `contacted` or `closed`.
    pub status: Option<String>,
    /// `price_request`, `test_drive_request` or `general`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// Only the leads about this vehicle.
    #[param(value_type = Option<String>, format = Uuid)]
    pub vehicle_id: Option<String>,
    /// Created on or after this day (`YYYY-MM-DD`, business time zone).
    pub date_from: Option<String>,
    /// Created on or before this day.
    pub date_to: Option<String>,
    /// From 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Default 50.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

impl LeadQuery {
    /// The canonical query string of these filters on page `page`.
    pub fn query_string(&self, page: u32) -> String {
        let page = page_param(page);
        let per_page = self.per_page.map(|n| n.to_string()).unwrap_or_default();
        let given = |v: &Option<String>| v.clone().unwrap_or_default();
        crate::web::layout::query_string(&[
            ("status", &given(&self.status)),
            ("type", &given(&self.kind)),
            ("vehicle_id", &given(&self.vehicle_id)),
            ("date_from", &given(&self.date_from)),
            ("date_to", &given(&self.date_to)),
            ("per_page", &per_page),
            ("page", &page),
        ])
    }

    pub fn parse(&self, config: &Config) -> Result<Filter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let status = given(&self.status).and_then(|s| {
            LeadStatus::parse(&s).or_else(|| {
                errors.add("status", "Use new, contacted or closed.");
                None
            })
        });
        let kind = given(&self.kind).and_then(|s| {
            LeadType::parse(&s).or_else(|| {
                errors.add("type", "Use price_request, test_drive_request or general.");
                None
            })
        });
        let tz = config.business.timezone.tz();
        let mut day_start = |field: &str, v: &Option<String>, next: bool| {
            given(v).and_then(|s| match parse_date(&s) {
                Some(d) => {
                    let d = if next { d.tomorrow().unwrap_or(d) } else { d };
                    d.to_zoned(tz.clone())
                        .ok()
                        .map(|z| crate::db::ts(z.timestamp()))
                }
                None => {
                    errors.add(field, "Use YYYY-MM-DD.");
                    None
                }
            })
        };
        let from = day_start("date_from", &self.date_from, false);
        let until = day_start("date_to", &self.date_to, true);
        let vehicle_id = given(&self.vehicle_id).and_then(|s| {
            VehicleId::parse(&s).or_else(|| {
                errors.add("vehicle_id", "Not a vehicle id.");
                None
            })
        });
        let paging = Paging::parse(self.page, self.per_page, 50, &mut errors);
        let filter = Filter {
            status,
            kind,
            vehicle_id,
            from,
            until,
            paging,
        };
        if errors.is_empty() {
            Ok(filter)
        } else {
            Err(errors)
        }
    }
}

/// One page of leads, newest first.
pub async fn list(state: &AppState, filter: Filter) -> AppResult<Page<Lead>> {
    let paging = filter.paging;
    let (items, total) = state
        .db
        .read(move |c| repo::list(c, &filter).map_err(AppError::from))
        .await?;
    Ok(Page::new(items, paging, total))
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
