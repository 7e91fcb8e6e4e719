//! The audit log: every staff change (bookings, users, vehicles, leads,
//! messages) records who did what to which record, with a before/after
//! summary, in the same transaction as the change itself.

pub mod pages;
pub mod repo;

use axum::{Router, routing::get};
use jiff::Timestamp;
use rusqlite::Connection;
use serde_json::Value;

use crate::auth::model::Role;
use crate::ids::UserId;
use crate::state::AppState;

/// The audit log page; `/v1/admin/audit` is registered in `crate::api`.
pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(pages::view_audit_get))
}

/// Who acts: a staff member from an address, or the system itself (the
/// scheduled jobs, the CLI). Owned, so it can move into a write job.
#[derive(Debug, Clone)]
pub struct Actor {
    /// `None` for the system.
    pub user_id: Option<UserId>,
    /// The staff member's e-mail at the time: two staff can share a name.
    pub email: String,
    pub name: String,
    /// What the actor may do (the system may do everything).
    pub role: Role,
    pub ip: Option<String>,
}

impl Actor {
    /// The system acting on its own (`what` names it, e.g. "retention job").
    pub fn system(what: &str) -> Actor {
        Actor {
            user_id: None,
            email: String::new(),
            name: what.to_owned(),
            role: Role::Admin,
            ip: None,
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

/// Records one change, in the caller's transaction.
pub fn record(
    conn: &Connection,
    actor: &Actor,
    change: Change<'_>,
    now: Timestamp,
) -> rusqlite::Result<()> {
    repo::insert(conn, actor, change, now)
}
