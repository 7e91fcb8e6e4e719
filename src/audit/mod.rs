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
