//! Staff lead pages: the list (filters, newest first, the car beside each
//! lead) and a lead's page with call and WhatsApp links, status and note.

use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use maud::{Markup, html};
use serde::Deserialize;

use super::model::{LeadStatus, LeadType};
use super::repo::{self, Lead};
use super::service::{self, Change, LeadQuery};
use crate::auth::access::{Permission, require};
use crate::auth::session::{Staff, verify_form};
use crate::error::{AppError, AppResult};
use crate::ids::LeadId;
use crate::state::AppState;
use crate::upload::media_url;
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::{self, field, input, local_time, select, tel_href, whatsapp_href};
use crate::web::paging::pager;
use crate::web::redirect::LocalPath;

fn status_tag(s: LeadStatus) -> Markup {
    html! { span.badge.{ "badge-" (s.as_str()) } { (s.label()) } }
}

fn vehicle_cell(l: &Lead) -> Markup {
    html! {
        @match (&l.vehicle_id, &l.vehicle_title) {
            (Some(id), Some(title)) => {
                a.lead-vehicle href={ "/admin/vehicles/" (id) } {
                    @if let Some(thumb) = &l.vehicle_thumb {
                        img src=(media_url(thumb)) width="80" height="60" alt="" loading="lazy";
                    }
                    span { (title) }
                }
            }
            (Some(_), None) => { span.muted { "Vehicle deleted" } }
            _ => { span.muted { "General" } }
        }
    }
}

/// `GET /admin/leads`
pub async fn view_leads_get(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<LeadQuery>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageLeads)?;
    let filter = q.parse(&state.config).map_err(AppError::Validation)?;
    let list = service::list(&state, filter).await?;
    let c = &state.config;
    let statuses: Vec<(&str, &str)> = std::iter::once(("", "Any status"))
        .chain(LeadStatus::ALL.iter().map(|s| (s.as_str(), s.label())))
        .collect();
    let kinds: Vec<(&str, &str)> = std::iter::once(("", "Any type"))
        .chain(LeadType::ALL.iter().map(|t| (t.as_str(), t.label())))
        .collect();
    let body = html! {
        div.toolbar { form method="get" action="/admin/leads" {
            (field("Status", "status", None, "", select("status", q.status.as_deref().unwrap_or(""), &statuses)))
            (field("Type", "type", None, "", select("type", q.kind.as_deref().unwrap_or(""), &kinds)))
            (field("From", "date_from", None, "", input("date", "date_from", q.date_from.as_deref().unwrap_or(""), false, "off")))
            (field("To", "date_to", None, "", input("date", "date_to", q.date_to.as_deref().unwrap_or(""), false, "off")))
            @if let Some(v) = &q.vehicle_id { input type="hidden" name="vehicle_id" value=(v); }
            button.btn.btn-secondary type="submit" { "Filter" }
        } }
        @if q.vehicle_id.is_some() {
            p.notice { "Showing the leads about one vehicle. " a href="/admin/leads" { "Show all leads" } }
        }
        p { (layout::count_of(list.total, "lead", "leads")) }
        div.table-wrap {
            table.data {
                thead { tr { th { "Received" } th { "Vehicle" } th { "Who" } th { "Type" } th { "Status" } } }
                tbody {
                    @for l in &list.items {
                        tr {
                            td { a href={ "/admin/leads/" (l.id) } { (local_time(c, &l.created_at)) } }
                            td { (vehicle_cell(l)) }
                            td {
                                a href={ "/admin/leads/" (l.id) } { (l.name) }
                                br;
                                span.muted { (l.phone.as_deref().or(l.email.as_deref()).unwrap_or("")) }
                            }
                            td { (l.kind.label()) }
                            td { (status_tag(l.status)) }
                        }
                    }
                }
            }
        }
        (pager(list.paging(), list.total, |p| format!("/admin/leads?{}", q.query_string(p))))
    };
    Ok(layout::admin(
        c,
        &staff.view(),
        "Leads",
        "/admin/leads",
        body,
    ))
}

#[derive(Deserialize, Default)]
pub struct MsgParam {
    msg: Option<String>,
}

/// `GET /admin/leads/{id}`
pub async fn view_lead_get(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<LeadId>,
    Query(m): Query<MsgParam>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageLeads)?;
    let lookup = id.clone();
    let l = state
        .db
        .read(move |c| repo::find(c, &lookup).map_err(AppError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let c = &state.config;
    let greeting = match &l.vehicle_title {
        Some(t) => format!(
            "Hello {}, this is {} about the {} you asked about.",
            l.name, c.business.name, t
        ),
        None => format!(
            "Hello {}, this is {} replying to your message.",
            l.name, c.business.name
        ),
    };
    let body = html! {
        @match m.msg.as_deref() {
            Some("saved") => p.alert.alert-success role="status" { "Saved." },
            Some("invalid_transition") => p.alert.alert-error role="status" { "That step is not possible from the lead's current status." },
            _ => {},
        }
        dl.summary {
            dt { "Status" } dd { (status_tag(l.status)) }
            dt { "Type" } dd { (l.kind.label()) }
            dt { "Vehicle" } dd { (vehicle_cell(&l)) }
            dt { "Name" } dd { (l.name) }
            @if let Some(p) = &l.phone {
                dt { "Phone" }
                dd.contact-actions {
                    a.btn.btn-small.btn-secondary href=(tel_href(p)) { "Call " (p) }
                    a.btn.btn-small.btn-whatsapp href=(whatsapp_href(p, &greeting)) rel="noopener" { "WhatsApp" }
                }
            }
            @if let Some(e) = &l.email {
                dt { "Email" } dd { a href={ "mailto:" (e) } { (e) } }
            }
            @if let Some(d) = &l.preferred_date {
                dt { "Preferred day" } dd { (d) }
            }
            dt { "Message" } dd { @if l.message.is_empty() { span.muted { "(none)" } } @else { (l.message) } }
            dt { "Received" } dd { (local_time(c, &l.created_at)) }
            dt { "First contacted" } dd {
                @if let Some(at) = &l.contacted_at { (local_time(c, at)) } @else { span.muted { "Not yet" } }
            }
        }
        form.form.lead-form method="post" action={ "/admin/leads/" (l.id) } {
            input type="hidden" name="csrf" value=(staff.csrf);
            (field("Staff note", "note", None, "What was agreed, when to call again.", html! {
                textarea id="note" name="note" rows="4" maxlength="2000" { (l.staff_note) }
            }))
            div.actions {
                button.btn.btn-secondary type="submit" name="status" value=(l.status.as_str()) { "Save note" }
                @for to in l.status.allowed_targets() {
                    button.btn.btn-primary type="submit" name="status" value=(to.as_str()) {
                        @match to {
                            LeadStatus::Contacted if l.status == LeadStatus::Closed => "Reopen",
                            LeadStatus::Contacted => "Mark contacted",
                            LeadStatus::Closed => "Close lead",
                            LeadStatus::New => "Mark new",
                        }
                    }
                }
            }
        }
        p { a href="/admin/leads" { "← All leads" } }
    };
    Ok(layout::admin(
        c,
        &staff.view(),
        &format!("Lead from {}", l.name),
        "/admin/leads",
        body,
    ))
}

#[derive(Deserialize)]
pub struct LeadForm {
    #[serde(default)]
    csrf: String,
    status: Option<String>,
    note: Option<String>,
}

/// `POST /admin/leads/{id}`: note and/or status.
pub async fn view_lead_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<LeadId>,
    Form(form): Form<LeadForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    let change = Change::parse(form.status.as_deref(), form.note)?;
    let msg = match service::update(&state, &staff.actor(), &id, change).await {
        Ok(_) => "saved",
        Err(AppError::Conflict { .. }) => "invalid_transition",
        Err(e) => return Err(e),
    };
    Ok(LocalPath::new(&format!("/admin/leads/{id}"))
        .with("msg", msg)
        .into_response())
}
