//! The `audit_logs` table.

use jiff::Timestamp;
use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::Value;

use super::actor::Actor;
use crate::db::{new_id, ts};
use crate::ids::UserId;
use crate::web::paging::Paging;

/// Inserts one entry; `summary` is `{"before": …, "after": …}`.
pub fn insert(
    conn: &Connection,
    actor: &Actor,
    (action, entity_type, entity_id): (&str, &str, &str),
    summary: &Value,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_logs (id, actor_user_id, actor_email, actor_label, action, entity_type, entity_id, summary, ip, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        new_id(),
        actor.user_id,
        actor.email,
        actor.name,
        action,
        entity_type,
        entity_id,
        summary.to_string(),
        actor.ip,
        ts(now)
    ])?;
    Ok(())
}

/// Who made a change, as listed: the id and e-mail identify them, the name
/// is what they were called at the time.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntryActor {
    /// `null` when the system acted (a scheduled job, the CLI).
    pub id: Option<UserId>,
    pub email: String,
    pub name: String,
}

/// One audit entry as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: String,
    pub actor: EntryActor,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    #[schema(value_type = Object)]
    pub summary: Value,
    pub ip: Option<String>,
    pub created_at: String,
}

/// Newest first, one page, and the total.
pub fn list(conn: &Connection, paging: Paging) -> rusqlite::Result<(Vec<Entry>, i64)> {
    let total = conn.query_row("SELECT COUNT(*) FROM audit_logs", [], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, actor_user_id, actor_email, actor_label, action, entity_type, entity_id, summary, ip, created_at
         FROM audit_logs ORDER BY created_at DESC, id DESC LIMIT ?1 OFFSET ?2",
    )?;
    let rows = stmt
        .query_map(params![paging.limit(), paging.offset()], |r| {
            let summary: String = r.get(7)?;
            Ok(Entry {
                id: r.get(0)?,
                actor: EntryActor {
                    id: r.get(1)?,
                    email: r.get(2)?,
                    name: r.get(3)?,
                },
                action: r.get(4)?,
                entity_type: r.get(5)?,
                entity_id: r.get(6)?,
                summary: serde_json::from_str(&summary).unwrap_or(Value::Null),
                ip: r.get(8)?,
                created_at: r.get(9)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}
