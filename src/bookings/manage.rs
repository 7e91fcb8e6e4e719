//! Staff booking management, shared by the admin pages and the admin API:
//! the filtered list, the detail, and every change (lifecycle transition,
//! reschedule, note, SMS switch) with its history row and audit entry.

use jiff::civil::{Date, Time};
use rusqlite::{Connection, ToSql, params_from_iter};
use serde::Deserialize;
use serde_json::json;

use super::model::BookingStatus;
use super::repo::{self, Attachment, Booking, COLUMNS, Event};
use super::slots::{Schedule, SlotError, fmt_time, parse_date, parse_time};
use crate::audit::{self, actor::Actor};
use crate::auth::access::{Permission, require};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::ids::{AttachmentId, BookingId, NotificationId};
use crate::notifications::repo::Notification;
use crate::state::AppState;
use crate::web::paging::Paging;

/// The list filters as sent (query string of the page, the API and the CSV).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    /// From 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Default 50.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

/// Parsed filters.
#[derive(Debug, Clone)]
pub struct Filter {
    pub status: Option<BookingStatus>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub q: Option<String>,
    pub sort: &'static Sort,
    pub paging: Paging,
}

/// A list order: sort keys, all in one direction, the last one unique.
///
/// The unique last key makes the order total, so neither an offset page nor
/// a keyset page (the CSV export) can lose or repeat a booking that shares
/// the other keys with its neighbours. Every key is NOT NULL: a NULL would
/// fall out of the keyset comparison.
#[derive(Debug)]
pub struct Sort {
    pub name: &'static str,
    keys: &'static [&'static str],
    descending: bool,
}

impl Sort {
    /// The `ORDER BY` list.
    fn order_by(&self) -> String {
        let dir = if self.descending { " DESC" } else { "" };
        self.keys
            .iter()
            .map(|k| format!("{k}{dir}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "Strictly after the cursor" as one row-value comparison, with one `?`
    /// per key (a key's own collation applies, as in the `ORDER BY`).
    fn after(&self) -> String {
        let op = if self.descending { "<" } else { ">" };
        let marks = vec!["?"; self.keys.len()].join(", ");
        format!("({}) {op} ({marks})", self.keys.join(", "))
    }
}

pub const SORTS: &[Sort] = &[
    Sort {
        name: "date",
        keys: &["preferred_date", "preferred_time", "booking_ref"],
        descending: false,
    },
    Sort {
        name: "-date",
        keys: &["preferred_date", "preferred_time", "booking_ref"],
        descending: true,
    },
    Sort {
        name: "created",
        keys: &["created_at", "id"],
        descending: false,
    },
    Sort {
        name: "-created",
        keys: &["created_at", "id"],
        descending: true,
    },
    Sort {
        name: "status",
        keys: &["status", "preferred_date", "preferred_time", "booking_ref"],
        descending: false,
    },
    Sort {
        name: "name",
        keys: &[
            "customer_name COLLATE NOCASE",
            "preferred_date",
            "preferred_time",
            "booking_ref",
        ],
        descending: false,
    },
];

impl ListQuery {
    /// The canonical query string of these filters on page `page`.
    pub fn query_string(&self, page: u32) -> String {
        let given = |v: &Option<String>| v.clone().unwrap_or_default();
        let per_page = self.per_page.map(|n| n.to_string()).unwrap_or_default();
        crate::web::layout::query_string(&[
            ("status", &given(&self.status)),
            ("date_from", &given(&self.date_from)),
            ("date_to", &given(&self.date_to)),
            ("q", &given(&self.q)),
            ("sort", &given(&self.sort)),
            ("per_page", &per_page),
            ("page", &crate::web::paging::page_param(page)),
        ])
    }

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
        let sort = SORTS.iter().find(|s| s.name == sort_key);
        if sort.is_none() {
            errors.add(
                "sort",
                "Use date, -date, created, -created, status or name.",
            );
        }
        let paging = Paging::parse(self.page, self.per_page, 50, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            status,
            from,
            to,
            q: text(&self.q).map(|q| q.chars().take(100).collect()),
            sort: sort.unwrap_or(&SORTS[0]),
            paging,
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
    let sql = format!(
        "SELECT {COLUMNS} FROM bookings {where_sql} ORDER BY {} LIMIT {} OFFSET {}",
        f.sort.order_by(),
        f.paging.limit(),
        f.paging.offset()
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(params.iter()), repo::from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// One page of the filtered list and the total matching, off the runtime.
pub async fn load_page(state: &AppState, filter: Filter) -> AppResult<(Vec<Booking>, i64)> {
    state
        .db
        .read(move |c| list(c, &filter).map_err(AppError::from))
        .await
}

/// Where a keyset page ends: the sort key values of its last booking, as
/// stored, so the next page starts exactly after it.
#[derive(Debug, Clone)]
pub struct Cursor(Vec<rusqlite::types::Value>);

/// Up to `limit` bookings in list order, after `after` (from the start when
/// `None`), and the cursor of the next page (`None` after the last). Unlike
/// `list`'s offset, a page starts at its cursor (through the sort's index,
/// where it has one) rather than sorting and skipping every row before it.
pub fn page_after(
    conn: &Connection,
    f: &Filter,
    after: Option<&Cursor>,
    limit: usize,
) -> rusqlite::Result<(Vec<Booking>, Option<Cursor>)> {
    let (mut where_sql, mut params) = f.where_clause();
    if let Some(Cursor(values)) = after {
        let glue = if where_sql.is_empty() {
            "WHERE"
        } else {
            " AND"
        };
        where_sql.push_str(&format!("{glue} {}", f.sort.after()));
        params.extend(
            values
                .iter()
                .map(|v| Box::new(v.clone()) as Box<dyn ToSql + Send>),
        );
    }
    let keys = f.sort.keys.join(", ");
    let sql = format!(
        "SELECT {COLUMNS}, {keys} FROM bookings {where_sql} ORDER BY {} LIMIT {limit}",
        f.sort.order_by()
    );
    let first_key = COLUMNS.split(',').count();
    let mut rows = Vec::with_capacity(limit);
    let mut last = None;
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut cursor = stmt.query(params_from_iter(params.iter()))?;
    while let Some(row) = cursor.next()? {
        rows.push(repo::from_row(row)?);
        if rows.len() == limit {
            let values = (first_key..first_key + f.sort.keys.len())
                .map(|i| row.get(i))
                .collect::<rusqlite::Result<_>>()?;
            last = Some(Cursor(values));
        }
    }
    Ok((rows, last))
}

/// A notification about a booking, for its detail page.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SentMessage {
    /// The outbox row (its page is `/admin/notifications/{id}`).
    pub id: NotificationId,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub status: String,
    pub attempts: i64,
    pub error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

impl From<Notification> for SentMessage {
    fn from(n: Notification) -> Self {
        SentMessage {
            id: n.id,
            channel: n.channel,
            recipient: n.recipient,
            template: n.template,
            status: n.status,
            attempts: n.attempts,
            error: n.error,
            created_at: n.created_at,
            sent_at: n.sent_at,
        }
    }
}

/// One attachment of one booking.
pub async fn attachment(
    state: &AppState,
    booking_id: &BookingId,
    id: &AttachmentId,
) -> AppResult<Attachment> {
    let (booking_id, id) = (booking_id.clone(), id.clone());
    state
        .db
        .read(move |c| -> AppResult<Attachment> {
            repo::attachments(c, &booking_id, Some(&id))?
                .pop()
                .ok_or(AppError::NotFound)
        })
        .await
}

pub struct Detail {
    pub booking: Booking,
    pub history: Vec<Event>,
    pub notifications: Vec<SentMessage>,
    pub attachments: Vec<Attachment>,
}

pub async fn detail(state: &AppState, id: &BookingId) -> AppResult<Detail> {
    let id = id.clone();
    state
        .db
        .read(move |c| -> AppResult<Detail> {
            let booking = repo::find_by_id(c, &id)?.ok_or(AppError::NotFound)?;
            Ok(Detail {
                booking,
                history: repo::events(c, &id)?,
                notifications: crate::notifications::repo::for_booking(c, &id)?
                    .into_iter()
                    .map(SentMessage::from)
                    .collect(),
                attachments: repo::attachments(c, &id, None)?,
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

/// Applies a change in one write transaction: lifecycle checked in one place
/// (409 `invalid_transition`), reschedule subject to capacity (409
/// `slot_full`), a history row per status change, an audit entry.
pub async fn apply(
    state: &AppState,
    actor: &Actor,
    id: &BookingId,
    change: Change,
) -> AppResult<Booking> {
    require(actor.role, change.permission())?;
    let mut errors = FieldErrors::new();
    let change = Change {
        admin_note: change.admin_note.map(|n| {
            crate::text::field(
                &mut errors,
                "admin_note",
                &n,
                crate::text::Lines::Many,
                2000,
            )
        }),
        ..change
    };
    errors.into_result(())?;
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
    let (actor, id) = (actor.clone(), id.clone());
    state
        .db
        .write(move |tx| -> AppResult<Booking> {
            let before = repo::find_by_id(tx, &id)?.ok_or(AppError::NotFound)?;
            let who = repo::Actor::staff(&actor);
            let mut b = before.clone();
            if let Some((date, time)) = change.reschedule {
                if !b.status.can_become(BookingStatus::Rescheduled) {
                    return Err(super::model::invalid_transition(
                        b.status,
                        BookingStatus::Rescheduled,
                    ));
                }
                if let Some(alternatives) =
                    repo::slot_full(tx, &config, date, time, Some(&id), now)?
                {
                    return Err(super::service::slot_full_error(&alternatives));
                }
                repo::move_slot(tx, &id, date, time, now)?;
                b.preferred_date = date;
                b.preferred_time = time;
                let note = format!("moved to {}", repo::when(date, time));
                b = repo::transition(
                    tx,
                    &config,
                    &b,
                    BookingStatus::Rescheduled,
                    &who,
                    &note,
                    now,
                )?;
            }
            if let Some(to) = change
                .status
                .filter(|to| change.reschedule.is_none() || *to != BookingStatus::Rescheduled)
            {
                b = repo::transition(tx, &config, &b, to, &who, "", now)?;
            }
            if let Some(note) = change.admin_note {
                repo::set_admin_note(tx, &id, &note, now)?;
                b.admin_note = note;
            }
            if let Some(on) = change.sms_enabled {
                repo::set_sms_enabled(tx, &id, on, now)?;
                b.sms_enabled = on;
            }
            let (was, now_is) = diff(&before, &b);
            if was != json!({}) {
                audit::record(
                    tx,
                    &actor,
                    audit::Change {
                        action: "booking.update",
                        entity_type: "booking",
                        entity_id: id.as_str(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// 23 bookings that tie in groups on every sort key but the last: two
    /// days, two times, two statuses, one name in three spellings of case
    /// (equal under NOCASE) and another, two creation times.
    fn tied_bookings() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        crate::db::migrate(&mut c).unwrap();
        for i in 0..23_usize {
            c.execute(
                "INSERT INTO bookings (id, booking_ref, customer_name, customer_phone, service_type,
                     preferred_date, preferred_time, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, '+265991234567', 'oil_change', ?4, ?5, ?6, ?7, ?7)",
                rusqlite::params![
                    format!("id-{:02}", 22 - i),
                    format!("DAY-20261120-{:03}", (i * 7) % 23 + 1),
                    ["Banda", "banda", "BANDA", "Phiri"][i % 4],
                    ["2026-11-24", "2026-11-25"][i % 2],
                    ["09:00", "10:00"][i / 3 % 2],
                    ["requested", "confirmed"][usize::from(i % 3 == 0)],
                    ["2026-11-20T08:00:00Z", "2026-11-20T09:00:00Z"][i / 5 % 2],
                ],
            )
            .unwrap();
        }
        c
    }

    fn ids(rows: &[Booking]) -> Vec<BookingId> {
        rows.iter().map(|b| b.id.clone()).collect()
    }

    #[test]
    fn keyset_pages_cover_every_sort_exactly_once_in_list_order() {
        let c = tied_bookings();
        for sort in SORTS {
            for q in [None, Some("banda")] {
                let f = ListQuery {
                    sort: Some(sort.name.into()),
                    q: q.map(Into::into),
                    per_page: Some(100),
                    ..Default::default()
                }
                .parse()
                .unwrap();
                let (listed, total) = list(&c, &f).unwrap();
                let (whole, end) = page_after(&c, &f, None, 100).unwrap();
                assert_eq!(ids(&whole), ids(&listed), "{}", sort.name);
                assert_eq!((whole.len() as i64, end.is_none()), (total, true));
                for limit in [1, 2, 5, 22, 23] {
                    let mut paged = Vec::new();
                    let mut after = None;
                    loop {
                        let (rows, next) = page_after(&c, &f, after.as_ref(), limit).unwrap();
                        assert!(rows.len() <= limit);
                        paged.extend(ids(&rows));
                        match next {
                            Some(n) => after = Some(n),
                            None => break,
                        }
                    }
                    assert_eq!(paged, ids(&listed), "{} {q:?} by {limit}", sort.name);
                }
            }
        }
    }

    #[test]
    fn every_sort_ends_in_a_unique_key() {
        for sort in SORTS {
            let last = sort.keys.last().unwrap();
            assert!(["id", "booking_ref"].contains(last), "{}", sort.name);
        }
    }
}
