//! The `notifications` table (the outbox): queueing, the staff log, and the
//! worker's claim and outcome updates. Plain functions over a connection:
//! the caller owns the transaction.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, ToSql, params, params_from_iter};
use serde::Serialize;
use utoipa::ToSchema;

use super::Subject;
use crate::db::ts;
use crate::gateways::{Channel, Message};
use crate::ids::{BookingId, LeadId, NotificationId};
use crate::web::paging::Paging;

/// Inserts a queued message, due now; returns its id.
pub fn insert(
    conn: &Connection,
    channel: Channel,
    recipient: &str,
    template: &str,
    message: &Message,
    about: Subject<'_>,
    now: Timestamp,
) -> anyhow::Result<NotificationId> {
    let id = NotificationId::new();
    conn.prepare_cached(
        "INSERT INTO notifications (id, channel, recipient, template, payload, status, next_attempt_at, booking_id, lead_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?8, ?6)",
    )?
    .execute(params![
        id,
        channel.as_str(),
        recipient,
        template,
        serde_json::to_string(message)?,
        ts(now),
        about.booking_id,
        about.lead_id,
    ])?;
    Ok(id)
}

/// One outbox row as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: NotificationId,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    /// Email subject; empty for SMS and WhatsApp.
    pub subject: String,
    pub text: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub booking_id: Option<BookingId>,
    pub lead_id: Option<LeadId>,
    pub created_at: String,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
}

const COLUMNS: &str = "id, channel, recipient, template, payload, status, attempts, error, \
                       booking_id, lead_id, created_at, next_attempt_at, sent_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Notification> {
    let payload: String = r.get(4)?;
    let message: Message = serde_json::from_str(&payload).unwrap_or(Message {
        subject: String::new(),
        text: payload,
    });
    Ok(Notification {
        id: r.get(0)?,
        channel: r.get(1)?,
        recipient: r.get(2)?,
        template: r.get(3)?,
        subject: message.subject,
        text: message.text,
        status: r.get(5)?,
        attempts: r.get(6)?,
        error: r.get(7)?,
        booking_id: r.get(8)?,
        lead_id: r.get(9)?,
        created_at: r.get(10)?,
        next_attempt_at: r.get(11)?,
        sent_at: r.get(12)?,
    })
}

/// The log's filters, parsed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<&'static str>,
    pub channel: Option<Channel>,
    pub paging: Paging,
}

/// One page of the log, newest first, and the total matching.
pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<(Vec<Notification>, i64)> {
    let mut clauses = Vec::new();
    let mut args: Vec<&dyn ToSql> = Vec::new();
    let channel = f.channel.map(Channel::as_str);
    if let Some(c) = &channel {
        clauses.push("channel = ?");
        args.push(c);
    }
    if let Some(s) = &f.status {
        clauses.push("status = ?");
        args.push(s);
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM notifications {where_sql}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM notifications {where_sql}
             ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
            f.paging.limit(),
            f.paging.offset()
        ))?
        .query_map(params_from_iter(args.iter()), from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

pub fn find(conn: &Connection, id: &NotificationId) -> rusqlite::Result<Option<Notification>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = ?1"
    ))?
    .query_row([id], from_row)
    .optional()
}

/// The messages about one booking, oldest first.
pub fn for_booking(conn: &Connection, id: &BookingId) -> rusqlite::Result<Vec<Notification>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE booking_id = ?1 ORDER BY created_at, id"
    ))?
    .query_map([id], from_row)?
    .collect()
}

/// Queues a message again from a fresh attempt count, due now.
pub fn requeue(conn: &Connection, id: &NotificationId, now: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE notifications SET status = 'queued', attempts = 0, error = NULL, next_attempt_at = ?1
         WHERE id = ?2",
    )?
    .execute(params![ts(now), id])?;
    Ok(())
}

/// A queued row, as the worker sends it.
#[derive(Debug)]
pub struct Queued {
    pub id: NotificationId,
    pub channel: Option<Channel>,
    pub recipient: String,
    pub message: Result<Message, String>,
    /// Attempts so far, not counting the next one.
    pub attempts: i64,
}

/// The queued row due first at `now`, if any.
pub fn next_queued(conn: &Connection, now: Timestamp) -> rusqlite::Result<Option<Queued>> {
    conn.prepare_cached(
        "SELECT id, channel, recipient, payload, attempts FROM notifications
         WHERE status = 'queued' AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, id LIMIT 1",
    )?
    .query_row([ts(now)], |r| {
        let channel: String = r.get(1)?;
        let payload: String = r.get(3)?;
        Ok(Queued {
            id: r.get(0)?,
            channel: Channel::parse(&channel),
            recipient: r.get(2)?,
            message: serde_json::from_str(&payload).map_err(|e| e.to_string()),
            attempts: r.get(4)?,
        })
    })
    .optional()
}

/// Counts an attempt and pushes the row's due time to `until` (its lease).
pub fn lease(
    conn: &Connection,
    id: &NotificationId,
    attempts: i64,
    until: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE notifications SET attempts = ?1, next_attempt_at = ?2, error = NULL WHERE id = ?3",
    )?
    .execute(params![attempts, ts(until), id])?;
    Ok(())
}

pub fn mark_sent(conn: &Connection, id: &NotificationId, now: Timestamp) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE notifications SET status = 'sent', sent_at = ?1, error = NULL WHERE id = ?2",
    )?
    .execute(params![ts(now), id])?;
    Ok(())
}

pub fn mark_failed(conn: &Connection, id: &NotificationId, error: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE notifications SET status = 'failed', error = ?1 WHERE id = ?2")?
        .execute(params![error, id])?;
    Ok(())
}

/// Records a failed attempt that will be retried at `retry_at`.
pub fn retry_at(
    conn: &Connection,
    id: &NotificationId,
    error: &str,
    retry_at: Timestamp,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE notifications SET next_attempt_at = ?1, error = ?2 WHERE id = ?3")?
        .execute(params![ts(retry_at), error, id])?;
    Ok(())
}

/// When the next queued row falls due, if any.
pub fn next_due(conn: &Connection) -> rusqlite::Result<Option<Timestamp>> {
    let next: Option<String> = conn
        .prepare_cached("SELECT MIN(next_attempt_at) FROM notifications WHERE status = 'queued'")?
        .query_row([], |r| r.get(0))?;
    Ok(next.and_then(|t| t.parse().ok()))
}
