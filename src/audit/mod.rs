//! The audit log: every staff change (bookings, users, later vehicles and
//! leads) records who did what to which record, with a before/after summary.
//! Written in the same transaction as the change itself.

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::Value;

use crate::db::{new_id, ts};

/// Who acted.
pub struct Actor<'a> {
    pub user_id: &'a str,
    pub label: &'a str,
    pub ip: Option<&'a str>,
}

/// A staff member making changes, owned so it can move into a write job.
#[derive(Debug, Clone)]
pub struct Who {
    pub user_id: String,
    pub label: String,
    pub ip: String,
    pub role: crate::auth::model::Role,
}

impl Who {
    pub fn new(user: &crate::auth::repo::User, ip: std::net::IpAddr) -> Who {
        Who {
            user_id: user.id.clone(),
            label: user.name.clone(),
            ip: ip.to_string(),
            role: user.role,
        }
    }

    pub fn actor(&self) -> Actor<'_> {
        Actor {
            user_id: &self.user_id,
            label: &self.label,
            ip: Some(&self.ip),
        }
    }
}

/// The fields of two JSON objects that differ, as (before, after).
pub fn diff(before: &Value, after: &Value) -> (Value, Value) {
    let empty = serde_json::Map::new();
    let (a, b) = (
        before.as_object().unwrap_or(&empty),
        after.as_object().unwrap_or(&empty),
    );
    let mut was = serde_json::Map::new();
    let mut now = serde_json::Map::new();
    for (k, v) in b {
        let old = a.get(k).unwrap_or(&Value::Null);
        if old != v {
            was.insert(k.clone(), old.clone());
            now.insert(k.clone(), v.clone());
        }
    }
    (was.into(), now.into())
}

/// What changed: `before`/`after` hold only the fields that changed.
pub struct Change<'a> {
    /// e.g. `booking.update`, `user.create`.
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub before: Value,
    pub after: Value,
}

/// Records one change.
pub fn record(
    conn: &Connection,
    actor: &Actor<'_>,
    change: Change<'_>,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let Change {
        action,
        entity_type,
        entity_id,
        before,
        after,
    } = change;
    let summary = serde_json::json!({ "before": before, "after": after });
    conn.prepare_cached(
        "INSERT INTO audit_logs (id, actor_user_id, actor_label, action, entity_type, entity_id, summary, ip, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        new_id(),
        actor.user_id,
        actor.label,
        action,
        entity_type,
        entity_id,
        summary.to_string(),
        actor.ip,
        ts(now)
    ])?;
    Ok(())
}

/// One audit entry as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: String,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    #[schema(value_type = Object)]
    pub summary: Value,
    pub ip: Option<String>,
    pub created_at: String,
}

/// Newest first, one page.
pub fn list(conn: &Connection, limit: i64, offset: i64) -> rusqlite::Result<(Vec<Entry>, i64)> {
    let total = conn.query_row("SELECT COUNT(*) FROM audit_logs", [], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, actor_label, action, entity_type, entity_id, summary, ip, created_at
         FROM audit_logs ORDER BY created_at DESC, id DESC LIMIT ?1 OFFSET ?2",
    )?;
    let rows = stmt
        .query_map(params![limit, offset], |r| {
            let summary: String = r.get(5)?;
            Ok(Entry {
                id: r.get(0)?,
                actor: r.get(1)?,
                action: r.get(2)?,
                entity_type: r.get(3)?,
                entity_id: r.get(4)?,
                summary: serde_json::from_str(&summary).unwrap_or(Value::Null),
                ip: r.get(6)?,
                created_at: r.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

pub mod pages {
    //! `/admin/audit` and `GET /v1/admin/audit`.

    use axum::extract::State;
    use maud::{Markup, html};
    use serde::{Deserialize, Serialize};

    use super::{Entry, list};
    use crate::auth::access::{Permission, require};
    use crate::auth::session::{ApiStaff, Staff};
    use crate::error::{AppError, AppResult, ErrorBody};
    use crate::state::AppState;
    use crate::web::extract::Query;
    use crate::web::layout;

    #[derive(Deserialize, utoipa::IntoParams)]
    pub struct PageQuery {
        page: Option<u32>,
        /// Default 50, at most 200.
        per_page: Option<u32>,
    }

    impl PageQuery {
        fn limits(&self) -> (u32, u32) {
            (
                self.page.unwrap_or(1).max(1),
                self.per_page.unwrap_or(50).clamp(1, 200),
            )
        }
    }

    async fn load(state: &AppState, page: u32, per_page: u32) -> AppResult<(Vec<Entry>, i64)> {
        let offset = i64::from(page - 1) * i64::from(per_page);
        state
            .db
            .read(move |c| list(c, i64::from(per_page), offset).map_err(AppError::from))
            .await
    }

    #[derive(Serialize, utoipa::ToSchema)]
    pub struct AuditPage {
        items: Vec<Entry>,
        page: u32,
        per_page: u32,
        total: i64,
    }

    /// Every staff change, newest first.
    #[utoipa::path(
        get,
        path = "/v1/admin/audit",
        tag = "admin",
        security(("bearer" = [])),
        params(PageQuery),
        responses((status = 200, body = AuditPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody))
    )]
    pub async fn api_list(
        State(state): State<AppState>,
        staff: ApiStaff,
        Query(q): Query<PageQuery>,
    ) -> AppResult<axum::Json<AuditPage>> {
        require(staff.user.role, Permission::ViewAudit)?;
        let (page, per_page) = q.limits();
        let (items, total) = load(&state, page, per_page).await?;
        Ok(axum::Json(AuditPage {
            items,
            page,
            per_page,
            total,
        }))
    }

    pub async fn view_audit_get(
        State(state): State<AppState>,
        staff: Staff,
        Query(q): Query<PageQuery>,
    ) -> AppResult<Markup> {
        require(staff.user.role, Permission::ViewAudit)?;
        let (page, per_page) = q.limits();
        let (items, total) = load(&state, page, per_page).await?;
        let tz = state.config.business.timezone.tz();
        let local = |at: &str| {
            at.parse::<jiff::Timestamp>()
                .map(|t| {
                    t.to_zoned(tz.clone())
                        .strftime("%a %-d %b %Y %H:%M")
                        .to_string()
                })
                .unwrap_or_default()
        };
        let pages = (total + i64::from(per_page) - 1) / i64::from(per_page);
        let body = html! {
            @if items.is_empty() {
                p.empty { "No staff changes recorded yet." }
            } @else {
                div.table-wrap {
                    table.data {
                        thead { tr { th { "When" } th { "Who" } th { "What" } th { "Record" } th { "Before" } th { "After" } } }
                        tbody {
                            @for e in &items {
                                tr {
                                    td { (local(&e.created_at)) }
                                    td { (e.actor) @if let Some(ip) = &e.ip { br; small.muted { (ip) } } }
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
                @if pages > 1 {
                    nav.pager aria-label="Pages" {
                        @if page > 1 { a.btn.btn-small.btn-secondary href={ "/admin/audit?page=" (page - 1) } { "← Newer" } }
                        span { "Page " (page) " of " (pages) }
                        @if i64::from(page) < pages { a.btn.btn-small.btn-secondary href={ "/admin/audit?page=" (page + 1) } { "Older →" } }
                    }
                }
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
}
