//! The audit log: every staff change (bookings, users, vehicles, leads,
//! messages) records who did what to which record, with a before/after
//! summary, in the same transaction as the change itself.

pub mod actor;
pub mod repo;

use jiff::Timestamp;
use rusqlite::Connection;
use serde_json::Value;

use actor::Actor;

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
    let Change {
        action,
        entity_type,
        entity_id,
        before,
        after,
    } = change;
    let summary = serde_json::json!({ "before": before, "after": after });
    repo::insert(conn, actor, (action, entity_type, entity_id), &summary, now)
}
