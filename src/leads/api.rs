//! The lead API (SPEC §5): `POST /v1/inquiries` for visitors, the list and
//! follow-up for staff.

use axum::{extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{InquiryInput, LeadStatus, LeadType};
use super::repo::Lead;
use super::service::{self, Change, LeadQuery};
use crate::auth::access::{Permission, require};
use crate::auth::session::ApiStaff;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::ids::{LeadId, VehicleId};
use crate::state::AppState;
use crate::upload::media_url;
use crate::web::client::ClientIp;
use crate::web::extract::{Json, Path, Query};
use crate::web::paging::Page;

#[derive(Serialize, ToSchema)]
pub struct InquiryCreated {
    id: LeadId,
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
        // Checked like any inquiry, then a plausible answer for the bot;
        // nothing is stored.
        input
            .parse(&state.config, state.clock.now())
            .map_err(AppError::Validation)?;
        return Ok((
            StatusCode::CREATED,
            axum::Json(InquiryCreated {
                id: LeadId::new(),
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
    id: LeadId,
    vehicle_id: Option<VehicleId>,
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
            vehicle_thumbnail_url: l.vehicle_thumb.as_deref().map(media_url),
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

/// Leads, newest first, with the vehicle each is about.
#[utoipa::path(
    get,
    path = "/v1/admin/leads",
    tag = "admin",
    security(("bearer" = [])),
    params(LeadQuery),
    responses(
        (status = 200, body = Page<LeadJson>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<LeadQuery>,
) -> AppResult<axum::Json<Page<LeadJson>>> {
    require(staff.user.role, Permission::ManageLeads)?;
    let filter = q.parse(&state.config).map_err(AppError::Validation)?;
    Ok(axum::Json(
        service::list(&state, filter).await?.map(LeadJson::from),
    ))
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
    params(("id" = LeadId, Path, description = "The lead's id")),
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
    Path(id): Path<LeadId>,
    Json(p): Json<LeadPatch>,
) -> AppResult<axum::Json<LeadJson>> {
    let change = Change::parse(p.status.as_deref(), p.note)?;
    let lead = service::update(&state, &staff.actor(), &id, change).await?;
    Ok(axum::Json(lead.into()))
}
