//! The lead API (SPEC §5): `POST /v1/inquiries` for visitors, the list and
//! follow-up for staff.

use axum::{extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{InquiryInput, LeadStatus, LeadType};
use super::repo::{self, Filter, Lead};
use super::service::{self, Change};
use crate::audit::Who;
use crate::auth::access::{Permission, require};
use crate::auth::session::ApiStaff;
use crate::bookings::slots::parse_date;
use crate::config::Config;
use crate::error::{AppError, AppResult, ErrorBody, FieldErrors};
use crate::state::AppState;
use crate::web::client::ClientIp;
use crate::web::extract::{Json, Path, Query};

#[derive(Serialize, ToSchema)]
pub struct InquiryCreated {
    id: String,
    status: LeadStatus,
}

/// Asks about a vehicle (or in general). Needs a phone or an email and
/// `consent: true`; notifies staff.
#[utoipa::path(
    post,
    path = "/v1/inquiries",
    tag = "vehicles",
    request_body = InquiryInput,
    responses(
        (status = 201, body = InquiryCreated),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown vehicle"),
        (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(input): Json<InquiryInput>,
) -> AppResult<(StatusCode, axum::Json<InquiryCreated>)> {
    state.limits.inquiries.check(ip)?;
    if input.is_bot() {
        // A plausible answer for a bot; nothing is stored.
        return Ok((
            StatusCode::CREATED,
            axum::Json(InquiryCreated {
                id: crate::db::new_id(),
                status: LeadStatus::New,
            }),
        ));
    }
    let lead = service::create(&state, &input).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(InquiryCreated {
            id: lead.id,
            status: lead.status,
        }),
    ))
}

/// A lead as staff see it.
#[derive(Serialize, ToSchema)]
pub struct LeadJson {
    id: String,
    vehicle_id: Option<String>,
    vehicle_title: Option<String>,
    vehicle_thumbnail_url: Option<String>,
    name: String,
    phone: Option<String>,
    email: Option<String>,
    #[serde(rename = "type")]
    kind: LeadType,
    message: String,
    preferred_date: Option<String>,
    status: LeadStatus,
    note: String,
    /// When staff first marked it contacted.
    contacted_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<Lead> for LeadJson {
    fn from(l: Lead) -> Self {
        LeadJson {
            vehicle_thumbnail_url: l
                .vehicle_thumb
                .as_deref()
                .map(crate::vehicles::api::media_url),
            id: l.id,
            vehicle_id: l.vehicle_id,
            vehicle_title: l.vehicle_title,
            name: l.name,
            phone: l.phone,
            email: l.email,
            kind: l.kind,
            message: l.message,
            preferred_date: l.preferred_date,
            status: l.status,
            note: l.staff_note,
            contacted_at: l.contacted_at,
            created_at: l.created_at,
            updated_at: l.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LeadPage {
    items: Vec<LeadJson>,
    page: u32,
    per_page: u32,
    total: i64,
}

/// The staff list filters (the page and the API).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct LeadQuery {
    /// `new`, `contacted` or `closed`.
    pub status: Option<String>,
    /// `price_request`, `test_drive_request` or `general`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    pub vehicle_id: Option<String>,
    /// Created on or after this day (`YYYY-MM-DD`, business time zone).
    pub date_from: Option<String>,
    /// Created on or before this day.
    pub date_to: Option<String>,
    pub page: Option<u32>,
    /// Default 50, at most 200.
    pub per_page: Option<u32>,
}

impl LeadQuery {
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
        let (page, per_page) = crate::web::paging(self.page, self.per_page, &mut errors);
        let filter = Filter {
            status,
            kind,
            vehicle_id: given(&self.vehicle_id),
            from,
            until,
            page,
            per_page,
        };
        if errors.is_empty() {
            Ok(filter)
        } else {
            Err(errors)
        }
    }
}

pub async fn load(state: &AppState, filter: Filter) -> AppResult<(Vec<Lead>, i64)> {
    state
        .db
        .read(move |c| repo::list(c, &filter).map_err(AppError::from))
        .await
}

/// Leads, newest first, with the vehicle each is about.
#[utoipa::path(
    get,
    path = "/v1/admin/leads",
    tag = "admin",
    security(("bearer" = [])),
    params(LeadQuery),
    responses(
        (status = 200, body = LeadPage),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<LeadQuery>,
) -> AppResult<axum::Json<LeadPage>> {
    require(staff.user.role, Permission::ManageLeads)?;
    let filter = q.parse(&state.config).map_err(AppError::Validation)?;
    let (page, per_page) = (filter.page, filter.per_page);
    let (rows, total) = load(&state, filter).await?;
    Ok(axum::Json(LeadPage {
        items: rows.into_iter().map(LeadJson::from).collect(),
        page,
        per_page,
        total,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadPatch {
    /// `new` → `contacted` → `closed`; `closed` → `contacted` reopens.
    status: Option<String>,
    /// The staff note.
    note: Option<String>,
}

/// Moves a lead on and/or sets its note. The first move to `contacted`
/// records `contacted_at`.
#[utoipa::path(
    patch,
    path = "/v1/admin/leads/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body = LeadPatch,
    responses(
        (status = 200, body = LeadJson),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    staff: ApiStaff,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Json(p): Json<LeadPatch>,
) -> AppResult<axum::Json<LeadJson>> {
    let change = parse_change(p.status.as_deref(), p.note)?;
    let lead = service::update(&state, &Who::new(&staff.user, ip), &id, change).await?;
    Ok(axum::Json(lead.into()))
}

/// A status name and a note into a change (422 for an unknown status).
pub fn parse_change(status: Option<&str>, note: Option<String>) -> AppResult<Change> {
    let status = match status.map(str::trim) {
        None => None,
        Some(s) => Some(LeadStatus::parse(s).ok_or_else(|| {
            let mut f = FieldErrors::new();
            f.add("status", "Use new, contacted or closed.");
            AppError::Validation(f)
        })?),
    };
    Ok(Change { status, note })
}
