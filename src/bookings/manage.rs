//! Staff booking management, shared by the admin pages and the admin API:
//! the filtered list, the detail, and every change (lifecycle transition,
//! reschedule, note, SMS switch) with its history row and audit entry.

use jiff::civil::{Date, Time};
use rusqlite::{Connection, ToSql, params_from_iter};
use serde::Deserialize;
use serde_json::json;

use super::model::BookingStatus;
use super::repo::{self, Booking, COLUMNS, Event};
use super::slots::{Schedule, SlotError, fmt_time, parse_date, parse_time};
use crate::audit;
use crate::auth::access::{Permission, require};
use crate::auth::repo::User;
use crate::db::ts;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::state::AppState;

/// The list filters as sent (query string of the page, the API and the CSV).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// One of the booking statuses.
    pub status: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub date_from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    pub date_to: Option<String>,
    /// Text in the ref, name, phone or registration.
    pub q: Option<String>,
    /// `date` (default), `-date`, `created`, `-created`, `status`, `name`.
    pub sort: Option<String>,
    pub page: Option<u32>,
    /// Default 50, at most 200.
    pub per_page: Option<u32>,
}

/// Parsed filters.
#[derive(Debug, Clone)]
pub struct Filter {
    pub status: Option<BookingStatus>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub q: Option<String>,
    pub sort: &'static str,
    pub page: u32,
    pub per_page: u32,
}

const SORTS: &[(&str, &str)] = &[
    ("date", "preferred_date, preferred_time, booking_ref"),
    (
        "-date",
        "preferred_date DESC, preferred_time DESC, booking_ref DESC",
    ),
    ("created", "created_at, id"),
    ("-created", "created_at DESC, id DESC"),
    ("status", "status, preferred_date, preferred_time"),
    ("name", "customer_name COLLATE NOCASE, preferred_date"),
];

impl ListQuery {
    pub fn parse(&self) -> Result<Filter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let status = text(&self.status).and_then(|s| {
            BookingStatus::parse(&s).or_else(|| {
                errors.add("status", "Unknown status.");
                None
            })
        });
        let mut date = |field: &str, v: &Option<String>| {
            text(v).and_then(|s| {
                parse_date(&s).or_else(|| {
                    errors.add(field, "Use YYYY-MM-DD.");
                    None
                })
            })
        };
        let from = date("date_from", &self.date_from);
        let to = date("date_to", &self.date_to);
        let sort_key = text(&self.sort).unwrap_or_else(|| "date".into());
        let sort = SORTS
            .iter()
            .find(|(k, _)| *k == sort_key)
            .map(|(_, sql)| *sql);
        if sort.is_none() {
            errors.add(
                "sort",
                "Use date, -date, created, -created, status or name.",
            );
        }
        let (page, per_page) = crate::web::paging(self.page, self.per_page, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            status,
            from,
            to,
            q: text(&self.q).map(|q| q.chars().take(100).collect()),
            sort: sort.unwrap_or(SORTS[0].1),
            page,
            per_page,
        })
    }
}

impl Filter {
    /// The WHERE clause and its parameters; every filter has an index
    /// (status+date, date) and the text search runs inside the date range.
    fn where_clause(&self) -> (String, Vec<Box<dyn ToSql + Send>>) {
        let mut clauses = Vec::new();
        let mut params: Vec<Box<dyn ToSql + Send>> = Vec::new();
        if let Some(s) = self.status {
            clauses.push("status = ?");
            params.push(Box::new(s.as_str()));
        }
        if let Some(d) = self.from {
            clauses.push("preferred_date >= ?");
            params.push(Box::new(d.to_string()));
        }
        if let Some(d) = self.to {
            clauses.push("preferred_date <= ?");
            params.push(Box::new(d.to_string()));
        }
        if let Some(q) = &self.q {
            let escaped = q
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let like = format!("%{escaped}%");
            // A phone typed in any form also matches its stored E.164.
            let phone = crate::phone::Phone::parse(q)
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            clauses.push(
                "(booking_ref LIKE ? ESCAPE '\\' OR customer_name LIKE ? ESCAPE '\\' \
                 OR customer_phone LIKE ? ESCAPE '\\' OR vehicle_reg LIKE ? ESCAPE '\\' OR customer_phone = ?)",
            );
            for _ in 0..4 {
                params.push(Box::new(like.clone()));
            }
            params.push(Box::new(phone));
        }
        let sql = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        (sql, params)
    }
}

/// One page of bookings and the total matching.
pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<(Vec<Booking>, i64)> {
    let (where_sql, params) = f.where_clause();
    let total: i64 = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM bookings {where_sql}"))?
        .query_row(params_from_iter(params.iter()), |r| r.get(0))?;
    let offset = i64::from(f.page - 1) * i64::from(f.per_page);
    let sql = format!(
        "SELECT {COLUMNS} FROM bookings {where_sql} ORDER BY {} LIMIT {} OFFSET {offset}",
        f.sort, f.per_page
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(params.iter()), repo::from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// Calls `each` for every matching booking in list order (for the CSV export).
pub fn for_each(
    conn: &Connection,
    f: &Filter,
    mut each: impl FnMut(&Booking) -> bool,
) -> rusqlite::Result<()> {
    let (where_sql, params) = f.where_clause();
    let sql = format!(
        "SELECT {COLUMNS} FROM bookings {where_sql} ORDER BY {}",
        f.sort
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    while let Some(row) = rows.next()? {
        if !each(&repo::from_row(row)?) {
            break;
        }
    }
    Ok(())
}

/// A notification about a booking, for its detail page.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SentMessage {
    /// The outbox row (its page is `/admin/notifications/{id}`).
    pub id: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub status: String,
    pub attempts: i64,
    pub error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// An attachment's stored facts.
#[derive(Debug, Clone)]
pub struct AttachmentInfo {
    pub id: String,
    pub kind: String,
    pub content_type: String,
    pub path: String,
    pub size: i64,
}

/// A booking's attachments, or just the one named.
fn attachments(
    c: &Connection,
    booking_id: &str,
    only: Option<&str>,
) -> rusqlite::Result<Vec<AttachmentInfo>> {
    c.prepare_cached(
        "SELECT id, kind, content_type, path, size_bytes FROM booking_attachments
         WHERE booking_id = ?1 AND (?2 IS NULL OR id = ?2) ORDER BY created_at",
    )?
    .query_map(rusqlite::params![booking_id, only], |r| {
        Ok(AttachmentInfo {
            id: r.get(0)?,
            kind: r.get(1)?,
            content_type: r.get(2)?,
            path: r.get(3)?,
            size: r.get(4)?,
        })
    })?
    .collect()
}

/// One attachment of one booking.
pub async fn attachment(state: &AppState, booking_id: &str, id: &str) -> AppResult<AttachmentInfo> {
    let (booking_id, id) = (booking_id.to_owned(), id.to_owned());
    state
        .db
        .read(move |c| -> AppResult<AttachmentInfo> {
            attachments(c, &booking_id, Some(&id))?
                .pop()
                .ok_or(AppError::NotFound)
        })
        .await
}

pub struct Detail {
    pub booking: Booking,
    pub history: Vec<Event>,
    pub notifications: Vec<SentMessage>,
    pub attachments: Vec<AttachmentInfo>,
}

pub async fn detail(state: &AppState, id: &str) -> AppResult<Detail> {
    let id = id.to_owned();
    state
        .db
        .read(move |c| -> AppResult<Detail> {
            let booking = repo::find_by_id(c, &id)?.ok_or(AppError::NotFound)?;
            let history = repo::events(c, &id)?;
            let notifications = c
                .prepare_cached(
                    "SELECT id, channel, recipient, template, status, attempts, error, created_at, sent_at
                     FROM notifications WHERE booking_id = ?1 ORDER BY created_at, id",
                )?
                .query_map([&id], |r| {
                    Ok(SentMessage {
                        id: r.get(0)?,
                        channel: r.get(1)?,
                        recipient: r.get(2)?,
                        template: r.get(3)?,
                        status: r.get(4)?,
                        attempts: r.get(5)?,
                        error: r.get(6)?,
                        created_at: r.get(7)?,
                        sent_at: r.get(8)?,
                    })
                })?
                .collect::<Result<_, _>>()?;
            let attachments = attachments(c, &id, None)?;
            Ok(Detail {
                booking,
                history,
                notifications,
                attachments,
            })
        })
        .await
}

/// A staff change to one booking; absent parts stay as they are.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub status: Option<BookingStatus>,
    pub reschedule: Option<(Date, Time)>,
    pub admin_note: Option<String>,
    pub sms_enabled: Option<bool>,
}

impl Change {
    /// Technicians may only move jobs through the workshop.
    fn permission(&self) -> Permission {
        let workshop_step = matches!(
            self.status,
            Some(BookingStatus::CheckedIn | BookingStatus::InProgress | BookingStatus::Completed)
        );
        if workshop_step
            && self.reschedule.is_none()
            && self.admin_note.is_none()
            && self.sms_enabled.is_none()
        {
            Permission::WorkshopSteps
        } else {
            Permission::ManageBookings
        }
    }
}

/// Parses `preferred_date` + `preferred_time` of a reschedule request.
pub fn parse_reschedule(
    date: Option<&str>,
    time: Option<&str>,
) -> Result<Option<(Date, Time)>, FieldErrors> {
    let mut errors = FieldErrors::new();
    match (date, time) {
        (None, None) => Ok(None),
        (d, t) => {
            let d = d.and_then(parse_date);
            let t = t.and_then(parse_time);
            if d.is_none() {
                errors.add("preferred_date", "Choose a day (YYYY-MM-DD).");
            }
            if t.is_none() {
                errors.add("preferred_time", "Choose a time (HH:MM).");
            }
            match (d, t) {
                (Some(d), Some(t)) => Ok(Some((d, t))),
                _ => Err(errors),
            }
        }
    }
}

/// Who is acting, for history and audit.
pub struct StaffActor<'a> {
    pub user: &'a User,
    pub ip: String,
}

/// Applies a change in one write transaction: lifecycle checked in one place
/// (409 `invalid_transition`), reschedule subject to capacity (409
/// `slot_full`), a history row per status change, an audit entry.
pub async fn apply(
    state: &AppState,
    actor: &StaffActor<'_>,
    id: &str,
    change: Change,
) -> AppResult<Booking> {
    require(actor.user.role, change.permission())?;
    if let Some((date, time)) = change.reschedule {
        let schedule = Schedule::new(&state.config);
        // Staff may book at short notice or far ahead, but only real slots.
        match schedule.check(date, time, state.clock.now()) {
            Ok(()) | Err(SlotError::TooSoon | SlotError::TooFarAhead) => {}
            Err(e) => {
                let mut errors = FieldErrors::new();
                errors.add(e.field(), e.message(&schedule));
                return Err(AppError::Validation(errors));
            }
        }
    }
    let config = state.config.clone();
    let now = state.clock.now();
    let (user_id, label, ip) = (
        actor.user.id.clone(),
        actor.user.name.clone(),
        actor.ip.clone(),
    );
    let id = id.to_owned();
    state
        .db
        .write(move |tx| -> AppResult<Booking> {
            let before = repo::find_by_id(tx, &id)?.ok_or(AppError::NotFound)?;
            let who = repo::Actor { user_id: Some(&user_id), label: &label };
            let mut b = before.clone();
            if let Some((date, time)) = change.reschedule {
                if !b.status.can_become(BookingStatus::Rescheduled) {
                    return Err(super::model::invalid_transition(b.status, BookingStatus::Rescheduled));
                }
                let taken: i64 = tx
                    .prepare_cached(
                        "SELECT COUNT(*) FROM bookings WHERE preferred_date = ?1 AND preferred_time = ?2
                         AND status <> 'cancelled' AND id <> ?3",
                    )?
                    .query_row(rusqlite::params![date.to_string(), fmt_time(time), id], |r| r.get(0))?;
                if taken >= Schedule::new(&config).capacity() {
                    let alternatives = repo::next_free_slots(tx, &config, date, time, now, 3)?;
                    return Err(super::service::slot_full_error(&alternatives));
                }
                tx.prepare_cached(
                    "UPDATE bookings SET preferred_date = ?1, preferred_time = ?2, reminder_sent = 0, updated_at = ?3 WHERE id = ?4",
                )?
                .execute(rusqlite::params![date.to_string(), fmt_time(time), ts(now), id])?;
                b.preferred_date = date;
                b.preferred_time = time;
                let note = format!("moved to {}", repo::when(date, time));
                b = repo::transition(tx, &config, &b, BookingStatus::Rescheduled, &who, &note, now)?;
            }
            if let Some(to) = change.status.filter(|to| change.reschedule.is_none() || *to != BookingStatus::Rescheduled) {
                b = repo::transition(tx, &config, &b, to, &who, "", now)?;
            }
            if let Some(note) = &change.admin_note {
                let note: String = note.trim().chars().take(2000).collect();
                tx.prepare_cached("UPDATE bookings SET admin_note = ?1, updated_at = ?2 WHERE id = ?3")?
                    .execute(rusqlite::params![note, ts(now), id])?;
                b.admin_note = note;
            }
            if let Some(on) = change.sms_enabled {
                tx.prepare_cached("UPDATE bookings SET sms_enabled = ?1, updated_at = ?2 WHERE id = ?3")?
                    .execute(rusqlite::params![on, ts(now), id])?;
                b.sms_enabled = on;
            }
            let (was, now_is) = diff(&before, &b);
            if was != json!({}) {
                audit::record(
                    tx,
                    &audit::Actor { user_id: &user_id, label: &label, ip: Some(&ip) },
                    audit::Change {
                        action: "booking.update",
                        entity_type: "booking",
                        entity_id: &id,
                        before: was,
                        after: now_is,
                    },
                    now,
                )?;
            }
            Ok(b)
        })
        .await
}

/// The fields that differ, before and after.
fn diff(a: &Booking, b: &Booking) -> (serde_json::Value, serde_json::Value) {
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    let mut field = |name: &str, x: serde_json::Value, y: serde_json::Value| {
        if x != y {
            before.insert(name.into(), x);
            after.insert(name.into(), y);
        }
    };
    field("status", json!(a.status.as_str()), json!(b.status.as_str()));
    field(
        "preferred_date",
        json!(a.preferred_date.to_string()),
        json!(b.preferred_date.to_string()),
    );
    field(
        "preferred_time",
        json!(fmt_time(a.preferred_time)),
        json!(fmt_time(b.preferred_time)),
    );
    field("admin_note", json!(a.admin_note), json!(b.admin_note));
    field("sms_enabled", json!(a.sms_enabled), json!(b.sms_enabled));
    (before.into(), after.into())
}
