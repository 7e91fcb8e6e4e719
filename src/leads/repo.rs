//! Lead rows. Lists bring the vehicle's title and first photo in the same
//! query, so the staff list is one statement however many leads it shows.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params, params_from_iter};

use super::model::{LeadStatus, LeadType, NewLead};
use crate::db::ts;
use crate::ids::{LeadId, VehicleId};
use crate::web::paging::Paging;

#[derive(Debug, Clone)]
pub struct Lead {
    pub id: LeadId,
    pub vehicle_id: Option<VehicleId>,
    /// The vehicle's title, if the lead is about one that still exists.
    pub vehicle_title: Option<String>,
    /// The vehicle's first photo (thumbnail path under uploads).
    pub vehicle_thumb: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub kind: LeadType,
    pub message: String,
    pub preferred_date: Option<String>,
    pub status: LeadStatus,
    pub staff_note: String,
    pub contacted_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const SELECT: &str = "SELECT l.id, l.vehicle_id, v.title,
        (SELECT thumb_path FROM vehicle_images WHERE vehicle_id = l.vehicle_id ORDER BY position, id LIMIT 1),
        l.name, l.phone, l.email, l.type, l.message, l.preferred_date, l.status, l.staff_note,
        l.contacted_at, l.created_at, l.updated_at
     FROM leads l LEFT JOIN vehicles v ON v.id = l.vehicle_id";

fn lead(r: &Row<'_>) -> rusqlite::Result<Lead> {
    Ok(Lead {
        id: r.get(0)?,
        vehicle_id: r.get(1)?,
        vehicle_title: r.get(2)?,
        vehicle_thumb: r.get(3)?,
        name: r.get(4)?,
        phone: r.get(5)?,
        email: r.get(6)?,
        kind: LeadType::parse(&r.get::<_, String>(7)?).unwrap_or(LeadType::General),
        message: r.get(8)?,
        preferred_date: r.get(9)?,
        status: LeadStatus::parse(&r.get::<_, String>(10)?).unwrap_or(LeadStatus::New),
        staff_note: r.get(11)?,
        contacted_at: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

pub fn insert(tx: &Connection, l: &NewLead, now: Timestamp) -> rusqlite::Result<Lead> {
    let id = LeadId::new();
    tx.prepare_cached(
        "INSERT INTO leads (id, vehicle_id, name, phone, email, type, message, preferred_date, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'new', ?9, ?9)",
    )?
    .execute(params![
        id,
        l.vehicle_id,
        l.name,
        l.phone,
        l.email,
        l.kind.as_str(),
        l.message,
        l.preferred_date.map(|d| d.to_string()),
        ts(now),
    ])?;
    find(tx, &id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

pub fn find(conn: &Connection, id: &LeadId) -> rusqlite::Result<Option<Lead>> {
    conn.prepare_cached(&format!("{SELECT} WHERE l.id = ?1"))?
        .query_row([id], lead)
        .optional()
}

/// Sets status and note; the first move to contacted stamps `contacted_at`
/// (it is never moved later: the 24-hour response figure depends on it).
pub fn update(
    tx: &Connection,
    id: &LeadId,
    status: LeadStatus,
    note: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE leads SET status = ?2, staff_note = ?3, updated_at = ?4,
             contacted_at = CASE WHEN ?2 = 'contacted' AND contacted_at IS NULL THEN ?4 ELSE contacted_at END
         WHERE id = ?1",
    )?
    .execute(params![id, status.as_str(), note, ts(now)])?;
    Ok(())
}

/// Staff list filters.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<LeadStatus>,
    pub kind: Option<LeadType>,
    pub vehicle_id: Option<VehicleId>,
    /// Created on or after (UTC timestamp text).
    pub from: Option<String>,
    /// Created before (UTC timestamp text).
    pub until: Option<String>,
    pub paging: Paging,
}

/// Newest first, with the total that match.
pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<(Vec<Lead>, i64)> {
    let mut cond = vec!["1 = 1"];
    let mut args: Vec<&dyn ToSql> = Vec::new();
    let status = f.status.map(LeadStatus::as_str);
    let kind = f.kind.map(LeadType::as_str);
    let filters: [(&str, Option<&dyn ToSql>); 5] = [
        ("l.status = ?", status.as_ref().map(|s| s as &dyn ToSql)),
        ("l.type = ?", kind.as_ref().map(|s| s as &dyn ToSql)),
        (
            "l.vehicle_id = ?",
            f.vehicle_id.as_ref().map(|s| s as &dyn ToSql),
        ),
        (
            "l.created_at >= ?",
            f.from.as_ref().map(|s| s as &dyn ToSql),
        ),
        (
            "l.created_at < ?",
            f.until.as_ref().map(|s| s as &dyn ToSql),
        ),
    ];
    for (sql, value) in filters {
        if let Some(v) = value {
            cond.push(sql);
            args.push(v);
        }
    }
    let cond = cond.join(" AND ");
    let total: i64 = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM leads l WHERE {cond}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let rows = conn
        .prepare_cached(&format!(
            "{SELECT} WHERE {cond} ORDER BY l.created_at DESC, l.id DESC LIMIT {} OFFSET {}",
            f.paging.limit(),
            f.paging.offset()
        ))?
        .query_map(params_from_iter(args.iter()), lead)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// Leads nobody has answered yet.
pub fn pending_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT COUNT(*) FROM leads WHERE status = 'new'")?
        .query_row([], |r| r.get(0))
}

/// The newest `limit` leads nobody has answered yet.
pub fn newest_unanswered(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<Lead>> {
    let filter = Filter {
        status: Some(LeadStatus::New),
        paging: Paging::first(limit),
        ..Default::default()
    };
    Ok(list(conn, &filter)?.0)
}
