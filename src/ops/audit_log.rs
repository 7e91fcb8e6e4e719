//! The audit log for staff: `/admin/audit` and `GET /v1/admin/audit`.

use axum::extract::State;
use maud::{Markup, html};
use serde::Deserialize;

use crate::audit::repo::{self, Entry};
use crate::auth::access::{Permission, require};
use crate::auth::session::{ApiStaff, Staff};
use crate::error::{AppError, AppResult, ErrorBody, FieldErrors};
use crate::state::AppState;
use crate::web::extract::Query;
use crate::web::layout;
use crate::web::paging::{Page, Paging, pager};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From 1.
    #[param(minimum = 1)]
    page: Option<u32>,
    /// Default 50.
    #[param(minimum = 1, maximum = 100)]
    per_page: Option<u32>,
}

async fn load(state: &AppState, q: &PageQuery) -> AppResult<Page<Entry>> {
    let mut errors = FieldErrors::new();
    let paging = Paging::parse(q.page, q.per_page, 50, &mut errors);
    errors.into_result(())?;
    let (items, total) = state
        .db
        .read(move |c| repo::list(c, paging).map_err(AppError::from))
        .await?;
    Ok(Page::new(items, paging, total))
}

/// Every staff change, newest first.
#[utoipa::path(
    get,
    path = "/v1/admin/audit",
    tag = "admin",
    security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = Page<Entry>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn api_list(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(q): Query<PageQuery>,
) -> AppResult<axum::Json<Page<Entry>>> {
    require(staff.user.role, Permission::ViewAudit)?;
    Ok(axum::Json(load(&state, &q).await?))
}

pub async fn view_audit_get(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<PageQuery>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ViewAudit)?;
    let list = load(&state, &q).await?;
    let local = |at: &str| layout::local_date_time(&state.config, at);
    let body = html! {
        @if list.items.is_empty() {
            p.empty { "No staff changes recorded yet." }
        } @else {
            div.table-wrap {
                table.data {
                    thead { tr { th { "When" } th { "Who" } th { "What" } th { "Record" } th { "Before" } th { "After" } } }
                    tbody {
                        @for e in &list.items {
                            tr {
                                td { (local(&e.created_at)) }
                                td {
                                    (e.actor.name)
                                    @if !e.actor.email.is_empty() { br; small.muted { (e.actor.email) } }
                                    @if let Some(ip) = &e.ip { br; small.muted { (ip) } }
                                }
                                td { (e.action) }
                                td {
                                    @if e.entity_type == "booking" {
                                        @if let Some(id) = &e.entity_id { a href={ "/admin/bookings/" (id) } { "booking" } }
                                    } @else {
                                        (e.entity_type)
                                    }
                                }
                                td { code { (e.summary["before"].to_string()) } }
                                td { code { (e.summary["after"].to_string()) } }
                            }
                        }
                    }
                }
            }
            (pager(list.paging(), list.total, |p| format!("/admin/audit?page={p}")))
        }
    };
    let user = staff.view();
    Ok(layout::admin(
        &state.config,
        &user,
        "Audit log",
        "/admin/audit",
        body,
    ))
}
