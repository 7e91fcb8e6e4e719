//! The outbox (SPEC §8): every message is a row in `notifications`, written in
//! the same transaction as the change it reports, so a message is never lost
//! and a failed gateway never blocks or loses a booking. `worker` sends the
//! rows through `crate::gateways`; `manage` and `admin` are the staff log, resend
//! and test message.

pub mod admin;
pub mod manage;
pub mod messages;
pub mod worker;

use jiff::Timestamp;
use rusqlite::{Connection, params};

use crate::{
    config::Config,
    db::{new_id, ts},
    gateways::{Channel, Message},
};

/// What a message is about, for the notifications log and retries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    pub booking_id: Option<&'a str>,
    pub lead_id: Option<&'a str>,
}

/// Queues one message for sending; returns the new row's id.
pub fn enqueue(
    conn: &Connection,
    channel: Channel,
    recipient: &str,
    template: &str,
    message: &Message,
    about: Subject<'_>,
    now: Timestamp,
) -> anyhow::Result<String> {
    let id = new_id();
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

/// Queues a message for every staff address in `[business]`: email to
/// `staff_emails`, SMS to `staff_phones`.
pub fn enqueue_for_staff(
    conn: &Connection,
    config: &Config,
    template: &str,
    message: &Message,
    about: Subject<'_>,
    now: Timestamp,
) -> anyhow::Result<()> {
    for email in &config.business.staff_emails {
        enqueue(conn, Channel::Email, email, template, message, about, now)?;
    }
    for phone in &config.business.staff_phones {
        enqueue(conn, Channel::Sms, phone, template, message, about, now)?;
    }
    Ok(())
}
