//! The outbox (SPEC §8): every message is a row in `notifications`, written in
//! the same transaction as the change it reports, so a message is never lost
//! and a failed gateway never blocks or loses a booking. `worker` sends the
//! rows through `crate::gateways`; `manage` and `admin` are the staff log, resend
//! and test message.

pub mod admin;
pub mod manage;
pub mod messages;
pub mod repo;
pub mod views;
pub mod worker;

use jiff::Timestamp;
use rusqlite::Connection;

use crate::{
    config::Config,
    gateways::{Channel, Message},
    ids::{BookingId, LeadId, NotificationId},
};

/// What a message is about, for the notifications log and retries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject<'a> {
    pub booking_id: Option<&'a BookingId>,
    pub lead_id: Option<&'a LeadId>,
}

/// Queues one message for sending, in the caller's transaction; returns
/// the new row's id.
pub fn enqueue(
    conn: &Connection,
    channel: Channel,
    recipient: &str,
    template: &str,
    message: &Message,
    about: Subject<'_>,
    now: Timestamp,
) -> anyhow::Result<NotificationId> {
    repo::insert(conn, channel, recipient, template, message, about, now)
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
