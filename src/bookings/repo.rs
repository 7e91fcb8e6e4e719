//! Bookings in SQLite. Plain functions over a connection; the caller owns the
//! transaction, so "capacity check + insert + history + outbox" is one unit.

use std::collections::HashMap;

use jiff::{
    Timestamp,
    civil::{Date, Time},
};
use rusqlite::{Connection, OptionalExtension, params};

use super::model::{BookingRef, BookingStatus, ServiceType};
use super::slots::{Schedule, fmt_time, parse_date, parse_time};
use crate::config::Config;
use crate::db::ts;
use crate::gateways::{Channel, Message};
use crate::ids::{AttachmentId, BookingId, UserId};
use crate::notifications::{self, Subject, messages};
use crate::phone::Phone;

/// A validated booking request.
#[derive(Debug, Clone)]
pub struct NewBooking {
    pub name: String,
    pub phone: Phone,
    pub email: Option<String>,
    pub vehicle_reg: Option<String>,
    pub service_type: ServiceType,
    pub date: Date,
    pub time: Time,
    pub notes: String,
}

/// A stored file that belongs to a new booking.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub id: AttachmentId,
    pub kind: &'static str,
    pub content_type: &'static str,
    pub path: String,
    pub size: usize,
}

/// A booking as stored.
#[derive(Debug, Clone)]
pub struct Booking {
    pub id: BookingId,
    pub booking_ref: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: Option<String>,
    pub vehicle_reg: Option<String>,
    pub service_type: ServiceType,
    pub preferred_date: Date,
    pub preferred_time: Time,
    pub status: BookingStatus,
    pub notes: String,
    pub admin_note: String,
    pub sms_enabled: bool,
    pub created_at: String,
}

/// One line of a booking's history.
#[derive(Debug, Clone)]
pub struct Event {
    pub from: Option<BookingStatus>,
    pub to: BookingStatus,
    pub actor: String,
    pub note: String,
    pub at: String,
}

/// Who changed a booking.
pub struct Actor<'a> {
    pub user_id: Option<&'a UserId>,
    pub label: &'a str,
}

impl<'a> Actor<'a> {
    /// A staff member (or the system) as the history shows them.
    pub fn staff(who: &'a crate::audit::actor::Actor) -> Actor<'a> {
        Actor {
            user_id: who.user_id.as_ref(),
            label: &who.name,
        }
    }
}

impl Actor<'static> {
    pub const CUSTOMER: Actor<'static> = Actor {
        user_id: None,
        label: "customer",
    };
}

pub enum Created {
    New(Booking),
    /// The same request key was seen before: the earlier booking.
    Repeat(Booking),
    /// The slot is at capacity; the next free slots.
    SlotFull(Vec<(Date, Time)>),
}

pub const COLUMNS: &str = "id, booking_ref, customer_name, customer_phone, customer_email, vehicle_reg, \
                       service_type, preferred_date, preferred_time, status, notes, sms_enabled, created_at, admin_note";

pub fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Booking> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("invalid {what} in bookings row").into(),
        )
    };
    let service: String = r.get(6)?;
    let date: String = r.get(7)?;
    let time: String = r.get(8)?;
    let status: String = r.get(9)?;
    Ok(Booking {
        id: r.get(0)?,
        booking_ref: r.get(1)?,
        customer_name: r.get(2)?,
        customer_phone: r.get(3)?,
        customer_email: r.get(4)?,
        vehicle_reg: r.get(5)?,
        service_type: ServiceType::parse(&service).ok_or_else(|| bad(6, "service_type"))?,
        preferred_date: parse_date(&date).ok_or_else(|| bad(7, "preferred_date"))?,
        preferred_time: parse_time(&time).ok_or_else(|| bad(8, "preferred_time"))?,
        status: BookingStatus::parse(&status).ok_or_else(|| bad(9, "status"))?,
        notes: r.get(10)?,
        sms_enabled: r.get(11)?,
        created_at: r.get(12)?,
        admin_note: r.get(13)?,
    })
}

pub fn find_by_ref(conn: &Connection, booking_ref: &str) -> rusqlite::Result<Option<Booking>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM bookings WHERE booking_ref = ?1"
    ))?
    .query_row([booking_ref], from_row)
    .optional()
}

fn find_by_request_key(conn: &Connection, key: &str) -> rusqlite::Result<Option<Booking>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM bookings WHERE request_key = ?1"
    ))?
    .query_row([key], from_row)
    .optional()
}

/// The booking with this ref, only when `key` is the one it was created with.
pub fn find_by_ref_and_key(
    conn: &Connection,
    booking_ref: &str,
    key: &str,
) -> rusqlite::Result<Option<Booking>> {
    Ok(find_by_request_key(conn, key)?.filter(|b| b.booking_ref == booking_ref))
}

pub fn find_by_id(conn: &Connection, id: &BookingId) -> rusqlite::Result<Option<Booking>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM bookings WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()
}

pub fn events(conn: &Connection, booking_id: &BookingId) -> rusqlite::Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT from_status, to_status, actor_label, note, created_at FROM booking_events
         WHERE booking_id = ?1 ORDER BY created_at, rowid",
    )?;
    stmt.query_map([booking_id], |r| {
        let from: Option<String> = r.get(0)?;
        let to: String = r.get(1)?;
        Ok(Event {
            from: from.as_deref().and_then(BookingStatus::parse),
            to: BookingStatus::parse(&to).unwrap_or(BookingStatus::Requested),
            actor: r.get(2)?,
            note: r.get(3)?,
            at: r.get(4)?,
        })
    })?
    .collect()
}

/// Bookings holding each slot of the days `from..=to`.
pub fn slot_counts(
    conn: &Connection,
    from: Date,
    to: Date,
) -> rusqlite::Result<HashMap<(Date, Time), i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT preferred_date, preferred_time, COUNT(*) FROM bookings
         WHERE preferred_date BETWEEN ?1 AND ?2 AND status <> 'cancelled'
         GROUP BY preferred_date, preferred_time",
    )?;
    let rows = stmt.query_map([from.to_string(), to.to_string()], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut counts = HashMap::new();
    for row in rows {
        let (d, t, n) = row?;
        if let (Some(d), Some(t)) = (parse_date(&d), parse_time(&t)) {
            counts.insert((d, t), n);
        }
    }
    Ok(counts)
}

/// Up to `limit` bookable slots with room, after `date` `time`.
pub fn next_free_slots(
    conn: &Connection,
    config: &Config,
    date: Date,
    time: Time,
    now: Timestamp,
    limit: usize,
) -> rusqlite::Result<Vec<(Date, Time)>> {
    let schedule = Schedule::new(config);
    let start = date.max(schedule.today(now));
    let end = schedule.last_bookable_day(now);
    if start > end {
        return Ok(Vec::new());
    }
    let counts = slot_counts(conn, start, end)?;
    let mut free = Vec::new();
    let mut day = start;
    while day <= end && free.len() < limit {
        for t in schedule.slot_times(day) {
            let later = day > date || t > time;
            let room = counts.get(&(day, t)).copied().unwrap_or(0) < schedule.capacity();
            if later && room && schedule.check(day, t, now).is_ok() {
                free.push((day, t));
                if free.len() == limit {
                    break;
                }
            }
        }
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    Ok(free)
}

/// The capacity rule, in one place: `None` when the slot at `date` `time`
/// has room (not counting `except`, the booking being moved), else the next
/// free slots to offer instead. Must run in the write transaction that then
/// takes the slot, so concurrent requests can never overbook it.
pub fn slot_full(
    tx: &Connection,
    config: &Config,
    date: Date,
    time: Time,
    except: Option<&BookingId>,
    now: Timestamp,
) -> rusqlite::Result<Option<Vec<(Date, Time)>>> {
    let taken: i64 = tx
        .prepare_cached(
            "SELECT COUNT(*) FROM bookings WHERE preferred_date = ?1 AND preferred_time = ?2
             AND status <> 'cancelled' AND id IS NOT ?3",
        )?
        .query_row(params![date.to_string(), fmt_time(time), except], |r| {
            r.get(0)
        })?;
    if taken < Schedule::new(config).capacity() {
        return Ok(None);
    }
    next_free_slots(tx, config, date, time, now, 3).map(Some)
}

/// Moves a booking to another slot and arms its reminder again.
pub fn move_slot(
    tx: &Connection,
    id: &BookingId,
    date: Date,
    time: Time,
    now: Timestamp,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE bookings SET preferred_date = ?1, preferred_time = ?2, reminder_sent = 0, updated_at = ?3
         WHERE id = ?4",
    )?
    .execute(params![date.to_string(), fmt_time(time), ts(now), id])?;
    Ok(())
}

pub fn set_admin_note(
    tx: &Connection,
    id: &BookingId,
    note: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE bookings SET admin_note = ?1, updated_at = ?2 WHERE id = ?3")?
        .execute(params![note, ts(now), id])?;
    Ok(())
}

pub fn set_sms_enabled(
    tx: &Connection,
    id: &BookingId,
    on: bool,
    now: Timestamp,
) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE bookings SET sms_enabled = ?1, updated_at = ?2 WHERE id = ?3")?
        .execute(params![on, ts(now), id])?;
    Ok(())
}

/// An attachment's stored facts.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub id: AttachmentId,
    pub kind: String,
    pub content_type: String,
    pub path: String,
    pub size: i64,
}

/// A booking's attachments, or just the one named.
pub fn attachments(
    c: &Connection,
    booking_id: &BookingId,
    only: Option<&AttachmentId>,
) -> rusqlite::Result<Vec<Attachment>> {
    c.prepare_cached(
        "SELECT id, kind, content_type, path, size_bytes FROM booking_attachments
         WHERE booking_id = ?1 AND (?2 IS NULL OR id = ?2) ORDER BY created_at",
    )?
    .query_map(params![booking_id, only], |r| {
        Ok(Attachment {
            id: r.get(0)?,
            kind: r.get(1)?,
            content_type: r.get(2)?,
            path: r.get(3)?,
            size: r.get(4)?,
        })
    })?
    .collect()
}

/// Creates a booking if its slot has room. Must run in a write transaction:
/// the count and the insert are then atomic, so concurrent requests can
/// never overbook a slot, and the per-day sequence can never repeat.
pub fn create(
    tx: &Connection,
    config: &Config,
    new: &NewBooking,
    attachment: Option<&NewAttachment>,
    request_key: Option<&str>,
    now: Timestamp,
) -> anyhow::Result<Created> {
    if let Some(key) = request_key
        && let Some(existing) = find_by_request_key(tx, key)?
    {
        return Ok(Created::Repeat(existing));
    }
    if let Some(alternatives) = slot_full(tx, config, new.date, new.time, None, now)? {
        return Ok(Created::SlotFull(alternatives));
    }
    let (date, time) = (new.date.to_string(), fmt_time(new.time));
    let booking_ref = next_ref(tx, Schedule::new(config).today(now))?;
    let id = BookingId::new();
    tx.prepare_cached(
        "INSERT INTO bookings (id, booking_ref, customer_name, customer_phone, customer_email, vehicle_reg,
                               service_type, preferred_date, preferred_time, status, notes, request_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'requested', ?10, ?11, ?12, ?12)",
    )?
    .execute(params![
            id,
            booking_ref.as_str(),
            new.name,
            new.phone.as_str(),
            new.email,
            new.vehicle_reg,
            new.service_type.as_str(),
            date,
            time,
            new.notes,
            request_key,
            ts(now),
        ])?;
    add_event(
        tx,
        &id,
        None,
        BookingStatus::Requested,
        &Actor::CUSTOMER,
        "",
        now,
    )?;
    if let Some(a) = attachment {
        tx.execute(
            "INSERT INTO booking_attachments (id, booking_id, kind, content_type, path, size_bytes, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![a.id, id, a.kind, a.content_type, a.path, a.size as i64, ts(now)],
        )?;
    }
    let booking = Booking {
        id,
        booking_ref: booking_ref.to_string(),
        customer_name: new.name.clone(),
        customer_phone: new.phone.as_str().to_owned(),
        customer_email: new.email.clone(),
        vehicle_reg: new.vehicle_reg.clone(),
        service_type: new.service_type,
        preferred_date: new.date,
        preferred_time: new.time,
        status: BookingStatus::Requested,
        notes: new.notes.clone(),
        admin_note: String::new(),
        sms_enabled: true,
        created_at: ts(now),
    };
    enqueue_received(tx, config, &booking, now)?;
    Ok(Created::New(booking))
}

/// The next `DAY-YYYYMMDD-NNN` of `day`, from the per-day counter.
fn next_ref(tx: &Connection, day: Date) -> rusqlite::Result<BookingRef> {
    let seq: i64 = tx
        .prepare_cached(
            "INSERT INTO booking_ref_counters (day, last_seq) VALUES (?1, 1)
             ON CONFLICT (day) DO UPDATE SET last_seq = last_seq + 1
             RETURNING last_seq",
        )?
        .query_row([day.strftime("%Y%m%d").to_string()], |r| r.get(0))?;
    Ok(BookingRef::new(day, u32::try_from(seq).unwrap_or(u32::MAX)))
}

pub fn add_event(
    tx: &Connection,
    booking_id: &BookingId,
    from: Option<BookingStatus>,
    to: BookingStatus,
    actor: &Actor<'_>,
    note: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO booking_events (id, booking_id, from_status, to_status, actor_user_id, actor_label, note, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
            crate::db::new_id(),
            booking_id,
            from.map(BookingStatus::as_str),
            to.as_str(),
            actor.user_id,
            actor.label,
            note,
            ts(now)
        ])?;
    Ok(())
}

/// Moves a booking to `to` if the lifecycle allows it, recording who did it.
/// Returns the refused transition's 409 otherwise.
pub fn transition(
    tx: &Connection,
    config: &Config,
    booking: &Booking,
    to: BookingStatus,
    actor: &Actor<'_>,
    note: &str,
    now: Timestamp,
) -> Result<Booking, crate::error::AppError> {
    if !booking.status.can_become(to) {
        return Err(super::model::invalid_transition(booking.status, to));
    }
    tx.execute(
        "UPDATE bookings SET status = ?1, updated_at = ?2 WHERE id = ?3",
        params![to.as_str(), ts(now), booking.id],
    )?;
    add_event(tx, &booking.id, Some(booking.status), to, actor, note, now)?;
    let updated = Booking {
        status: to,
        ..booking.clone()
    };
    if let Some((template, compose)) = status_message(to) {
        enqueue_for_customer(tx, config, &updated, template, compose, now)?;
    }
    Ok(updated)
}

/// The customer's message for a move to `to`: template name, SMS, email.
/// Starting the work (`in_progress`) is quiet: the customer heard "checked
/// in" minutes before and hears "ready for pickup" next.
fn status_message(to: BookingStatus) -> Option<(&'static str, (Compose, Compose))> {
    use BookingStatus::*;
    Some(match to {
        Requested | InProgress => return None,
        Confirmed => (
            "booking_confirmed",
            (
                messages::booking_confirmed_sms,
                messages::booking_confirmed_email,
            ),
        ),
        Rescheduled => (
            "booking_rescheduled",
            (
                messages::booking_rescheduled_sms,
                messages::booking_rescheduled_email,
            ),
        ),
        CheckedIn => (
            "booking_checked_in",
            (
                messages::booking_checked_in_sms,
                messages::booking_checked_in_email,
            ),
        ),
        Completed => (
            "booking_completed",
            (
                messages::booking_completed_sms,
                messages::booking_completed_email,
            ),
        ),
        Cancelled => (
            "booking_cancelled",
            (
                messages::booking_cancelled_sms,
                messages::booking_cancelled_email,
            ),
        ),
    })
}

/// Queues the reminder of every confirmed or rescheduled booking whose slot
/// starts within `[reminders] hours_before` from `now` (and has not begun).
///
/// Each booking is claimed with `reminder_sent = 0 -> 1` in the transaction
/// that queues its messages, so a reminder goes out exactly once however
/// often, concurrently or across restarts this runs. Returns how many
/// bookings were reminded.
pub fn queue_due_reminders(
    tx: &Connection,
    config: &Config,
    now: Timestamp,
) -> anyhow::Result<usize> {
    let tz = config.business.timezone.tz();
    let hours = i64::from(config.reminders.hours_before.0);
    let local = |t: Timestamp| t.to_zoned(tz.clone()).datetime();
    let (from, until) = (
        local(now),
        local(now.saturating_add(jiff::SignedDuration::from_hours(hours))?),
    );
    let slot = |d: jiff::civil::DateTime| d.strftime("%Y-%m-%dT%H:%M").to_string();
    let due: Vec<Booking> = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM bookings
             WHERE reminder_sent = 0 AND status IN ('confirmed', 'rescheduled')
               AND preferred_date BETWEEN ?1 AND ?2
               AND preferred_date || 'T' || preferred_time > ?3
               AND preferred_date || 'T' || preferred_time <= ?4"
        ))?
        .query_map(
            params![
                from.date().to_string(),
                until.date().to_string(),
                slot(from),
                slot(until)
            ],
            from_row,
        )?
        .collect::<Result<_, _>>()?;
    let mut reminded = 0;
    for b in due {
        let claimed = tx
            .prepare_cached(
                "UPDATE bookings SET reminder_sent = 1 WHERE id = ?1 AND reminder_sent = 0",
            )?
            .execute([&b.id])?;
        if claimed == 1 {
            let compose: (Compose, Compose) = (
                messages::booking_reminder_sms,
                messages::booking_reminder_email,
            );
            enqueue_for_customer(tx, config, &b, "booking_reminder", compose, now)?;
            reminded += 1;
        }
    }
    Ok(reminded)
}

/// "Tue 24 Nov 08:30", as messages and pages show a slot.
pub fn when(date: Date, time: Time) -> String {
    format!("{} {}", date.strftime("%a %-d %b"), fmt_time(time))
}

fn with_facts<T>(
    config: &Config,
    b: &Booking,
    f: impl FnOnce(&messages::BookingFacts<'_>) -> T,
) -> T {
    let when = when(b.preferred_date, b.preferred_time);
    f(&messages::BookingFacts {
        booking_ref: &b.booking_ref,
        customer_name: &b.customer_name,
        customer_phone: &b.customer_phone,
        vehicle_reg: b.vehicle_reg.as_deref().unwrap_or(""),
        service: b.service_type.label(config),
        when: &when,
    })
}

type Compose = fn(&Config, &messages::BookingFacts<'_>) -> Message;

/// Queues a message to the customer: SMS (unless switched off for this
/// booking) and email (when they gave one).
fn enqueue_for_customer(
    tx: &Connection,
    config: &Config,
    b: &Booking,
    template: &str,
    (sms, email): (Compose, Compose),
    now: Timestamp,
) -> anyhow::Result<()> {
    with_facts(config, b, |facts| -> anyhow::Result<()> {
        let about = Subject {
            booking_id: Some(&b.id),
            lead_id: None,
        };
        if b.sms_enabled {
            notifications::enqueue(
                tx,
                Channel::Sms,
                &b.customer_phone,
                template,
                &sms(config, facts),
                about,
                now,
            )?;
        }
        if let Some(to) = &b.customer_email {
            notifications::enqueue(
                tx,
                Channel::Email,
                to,
                template,
                &email(config, facts),
                about,
                now,
            )?;
        }
        Ok(())
    })
}

/// "Booking received" for the customer, "new booking" for staff.
fn enqueue_received(
    tx: &Connection,
    config: &Config,
    b: &Booking,
    now: Timestamp,
) -> anyhow::Result<()> {
    let compose: (Compose, Compose) = (
        messages::booking_received_sms,
        messages::booking_received_email,
    );
    enqueue_for_customer(tx, config, b, "booking_received", compose, now)?;
    with_facts(config, b, |facts| -> anyhow::Result<()> {
        let about = Subject {
            booking_id: Some(&b.id),
            lead_id: None,
        };
        let staff = messages::new_booking_staff(facts);
        notifications::enqueue_for_staff(tx, config, "new_booking", &staff, about, now)
    })
}

/// The dashboard's booking figures for `today` and the week from `monday`.
#[derive(Debug, Clone)]
pub struct DayFigures {
    /// Today's bookings per status, in lifecycle order.
    pub today_by_status: Vec<(String, i64)>,
    /// Requested and not yet confirmed, today or later.
    pub awaiting_confirmation: i64,
    /// Not cancelled, Monday to Sunday of this week.
    pub week_bookings: i64,
}

pub fn day_figures(c: &Connection, today: Date, monday: Date) -> anyhow::Result<DayFigures> {
    let sunday = monday.checked_add(jiff::Span::new().days(6))?;
    let today_by_status = c
        .prepare_cached(
            "SELECT status, COUNT(*) FROM bookings WHERE preferred_date = ?1
             GROUP BY status ORDER BY MIN(CASE status
               WHEN 'requested' THEN 1 WHEN 'confirmed' THEN 2 WHEN 'rescheduled' THEN 3
               WHEN 'checked_in' THEN 4 WHEN 'in_progress' THEN 5 WHEN 'completed' THEN 6 ELSE 7 END)",
        )?
        .query_map([today.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let awaiting_confirmation = c
        .prepare_cached(
            "SELECT COUNT(*) FROM bookings WHERE status = 'requested' AND preferred_date >= ?1",
        )?
        .query_row([today.to_string()], |r| r.get(0))?;
    let week_bookings = c
        .prepare_cached(
            "SELECT COUNT(*) FROM bookings WHERE preferred_date BETWEEN ?1 AND ?2 AND status <> 'cancelled'",
        )?
        .query_row([monday.to_string(), sunday.to_string()], |r| r.get(0))?;
    Ok(DayFigures {
        today_by_status,
        awaiting_confirmation,
        week_bookings,
    })
}
