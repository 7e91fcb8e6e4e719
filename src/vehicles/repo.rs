//! Vehicle rows and their photos in SQLite. Lists are one query each (the
//! first photo comes from a correlated subquery on the `(vehicle_id,
//! position)` index), so a page of twenty cars is two statements, not 21.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params, params_from_iter};

use super::model::{Condition, VehicleData, VehicleStatus};
use crate::db::ts;
use crate::ids::{ImageId, UserId, VehicleId};
use crate::web::paging::Paging;

/// A stored listing.
#[derive(Debug, Clone)]
pub struct Vehicle {
    pub id: VehicleId,
    pub data: VehicleData,
    pub created_by: Option<UserId>,
    pub created_at: String,
    pub updated_at: String,
}

/// A stored photo. Paths are relative to `<data_dir>/uploads`.
#[derive(Debug, Clone)]
pub struct Image {
    pub id: ImageId,
    pub vehicle_id: VehicleId,
    pub position: i64,
    pub alt_text: String,
    pub large_path: String,
    pub thumb_path: String,
    pub width: u32,
    pub height: u32,
}

/// A listing as lists show it: with its first photo, if any.
#[derive(Debug, Clone)]
pub struct Listed {
    pub vehicle: Vehicle,
    pub cover: Option<Image>,
}

const COLUMNS: &str = "v.id, v.title, v.make, v.model, v.year, v.trim, v.condition, v.price, v.mileage, \
     v.vin, v.reg_number, v.location, v.description, v.features, v.status, v.created_by, \
     v.created_at, v.updated_at";
const IMAGE_COLUMNS: &str =
    "i.id, i.vehicle_id, i.position, i.alt_text, i.large_path, i.thumb_path, i.width, i.height";

fn vehicle(r: &Row<'_>) -> rusqlite::Result<Vehicle> {
    let text = |i| r.get::<_, String>(i);
    let features: String = r.get(13)?;
    Ok(Vehicle {
        id: r.get(0)?,
        data: VehicleData {
            title: text(1)?,
            make: text(2)?,
            model: text(3)?,
            year: r.get(4)?,
            trim: text(5)?,
            condition: Condition::parse(&text(6)?).unwrap_or(Condition::Used),
            price: r.get(7)?,
            mileage: r.get(8)?,
            vin: text(9)?,
            reg_number: text(10)?,
            location: text(11)?,
            description: text(12)?,
            features: serde_json::from_str(&features).unwrap_or_default(),
            status: VehicleStatus::parse(&text(14)?).unwrap_or(VehicleStatus::Available),
        },
        created_by: r.get(15)?,
        created_at: text(16)?,
        updated_at: text(17)?,
    })
}

fn image_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Option<Image>> {
    let Some(id) = r.get::<_, Option<ImageId>>(at)? else {
        return Ok(None);
    };
    Ok(Some(Image {
        id,
        vehicle_id: r.get(at + 1)?,
        position: r.get(at + 2)?,
        alt_text: r.get(at + 3)?,
        large_path: r.get(at + 4)?,
        thumb_path: r.get(at + 5)?,
        width: r.get(at + 6)?,
        height: r.get(at + 7)?,
    }))
}

fn image(r: &Row<'_>) -> rusqlite::Result<Image> {
    image_at(r, 0)?.ok_or(rusqlite::Error::InvalidQuery)
}

/// The editable columns, in the order both statements below list them.
const DATA_COLUMNS: &str = "title, make, model, year, trim, condition, price, mileage, vin, \
     reg_number, location, description, features, status";

// `&String`, not `&str`: a `&dyn ToSql` needs a sized value.
#[allow(clippy::ptr_arg)]
fn data_values<'a>(v: &'a VehicleData, features: &'a String) -> [&'a dyn ToSql; 14] {
    [
        &v.title,
        &v.make,
        &v.model,
        &v.year,
        &v.trim,
        &v.condition,
        &v.price,
        &v.mileage,
        &v.vin,
        &v.reg_number,
        &v.location,
        &v.description,
        features,
        &v.status,
    ]
}

fn features_json(v: &VehicleData) -> String {
    serde_json::to_string(&v.features).unwrap_or_else(|_| "[]".into())
}

pub fn insert(
    tx: &Connection,
    v: &VehicleData,
    created_by: Option<&UserId>,
    now: Timestamp,
) -> rusqlite::Result<Vehicle> {
    let (id, now, features) = (VehicleId::new(), ts(now), features_json(v));
    let values = data_values(v, &features);
    let placeholders = (1..=values.len() + 3)
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    tx.prepare_cached(&format!(
        "INSERT INTO vehicles ({DATA_COLUMNS}, id, created_by, created_at, updated_at)
         VALUES ({placeholders}, ?{})",
        values.len() + 3
    ))?
    .execute(params_from_iter(values.into_iter().chain([
        &id as &dyn ToSql,
        &created_by,
        &now,
    ])))?;
    find(tx, &id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

pub fn update(
    tx: &Connection,
    id: &VehicleId,
    v: &VehicleData,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let (now, features) = (ts(now), features_json(v));
    let values = data_values(v, &features);
    let set = DATA_COLUMNS
        .split(", ")
        .enumerate()
        .map(|(i, col)| format!("{col} = ?{}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    tx.prepare_cached(&format!(
        "UPDATE vehicles SET {set}, updated_at = ?{} WHERE id = ?{}",
        values.len() + 1,
        values.len() + 2
    ))?
    .execute(params_from_iter(
        values.into_iter().chain([&now as &dyn ToSql, &id]),
    ))?;
    Ok(())
}

/// Deletes a listing (its photo rows and view counts go with it) and
/// returns the photo files to remove once the transaction has committed.
pub fn delete(tx: &Connection, id: &VehicleId) -> rusqlite::Result<Vec<String>> {
    let files = images(tx, id)?
        .into_iter()
        .flat_map(|i| [i.large_path, i.thumb_path])
        .collect();
    tx.prepare_cached("DELETE FROM vehicles WHERE id = ?1")?
        .execute([id])?;
    Ok(files)
}

pub fn find(conn: &Connection, id: &VehicleId) -> rusqlite::Result<Option<Vehicle>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM vehicles v WHERE v.id = ?1"))?
        .query_row([id], vehicle)
        .optional()
}

/// The photos of a listing in display order.
pub fn images(conn: &Connection, vehicle_id: &VehicleId) -> rusqlite::Result<Vec<Image>> {
    conn.prepare_cached(&format!(
        "SELECT {IMAGE_COLUMNS} FROM vehicle_images i WHERE i.vehicle_id = ?1 ORDER BY i.position, i.id"
    ))?
    .query_map([vehicle_id], image)?
    .collect()
}

pub fn find_image(
    conn: &Connection,
    vehicle_id: &VehicleId,
    image_id: &ImageId,
) -> rusqlite::Result<Option<Image>> {
    conn.prepare_cached(&format!(
        "SELECT {IMAGE_COLUMNS} FROM vehicle_images i WHERE i.vehicle_id = ?1 AND i.id = ?2"
    ))?
    .query_row(params![vehicle_id, image_id], image)
    .optional()
}

/// Adds a photo at the end of the listing's photos.
pub fn add_image(tx: &Connection, img: &Image, now: Timestamp) -> rusqlite::Result<Image> {
    let position: i64 = tx
        .prepare_cached(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM vehicle_images WHERE vehicle_id = ?1",
        )?
        .query_row([&img.vehicle_id], |r| r.get(0))?;
    tx.prepare_cached(
        "INSERT INTO vehicle_images (id, vehicle_id, position, alt_text, large_path, thumb_path, width, height, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        img.id,
        img.vehicle_id,
        position,
        img.alt_text,
        img.large_path,
        img.thumb_path,
        img.width,
        img.height,
        ts(now)
    ])?;
    touch(tx, &img.vehicle_id, now)?;
    Ok(Image {
        position,
        ..img.clone()
    })
}

pub fn set_alt_text(
    tx: &Connection,
    img: &Image,
    alt_text: &str,
    now: Timestamp,
) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE vehicle_images SET alt_text = ?2 WHERE id = ?1")?
        .execute(params![img.id, alt_text])?;
    touch(tx, &img.vehicle_id, now)
}

/// Moves a photo to `position` (0 = first) and renumbers the others.
pub fn move_image(
    tx: &Connection,
    img: &Image,
    position: usize,
    now: Timestamp,
) -> rusqlite::Result<()> {
    let mut order: Vec<ImageId> = images(tx, &img.vehicle_id)?
        .into_iter()
        .map(|i| i.id)
        .filter(|id| *id != img.id)
        .collect();
    order.insert(position.min(order.len()), img.id.clone());
    let mut set = tx.prepare_cached("UPDATE vehicle_images SET position = ?2 WHERE id = ?1")?;
    for (pos, id) in order.iter().enumerate() {
        set.execute(params![id, pos as i64])?;
    }
    touch(tx, &img.vehicle_id, now)
}

pub fn delete_image(tx: &Connection, img: &Image, now: Timestamp) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM vehicle_images WHERE id = ?1")?
        .execute([&img.id])?;
    touch(tx, &img.vehicle_id, now)
}

/// Photos are part of the listing: changing one changes the listing.
fn touch(tx: &Connection, vehicle_id: &VehicleId, now: Timestamp) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE vehicles SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![vehicle_id, ts(now)])?;
    Ok(())
}

/// How a list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    PriceAsc,
    PriceDesc,
    YearDesc,
    MileageAsc,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Newest,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::YearDesc,
        Sort::MileageAsc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
            Sort::YearDesc => "year_desc",
            Sort::MileageAsc => "mileage_asc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Newest => "Newest first",
            Sort::PriceAsc => "Price: low to high",
            Sort::PriceDesc => "Price: high to low",
            Sort::YearDesc => "Year: newest",
            Sort::MileageAsc => "Mileage: lowest",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Every order ends on the id so pages never overlap or skip.
    fn sql(self) -> &'static str {
        match self {
            Sort::Newest => "v.created_at DESC, v.id DESC",
            Sort::PriceAsc => "v.price IS NULL, v.price, v.id",
            Sort::PriceDesc => "v.price IS NULL, v.price DESC, v.id",
            Sort::YearDesc => "v.year DESC, v.created_at DESC, v.id",
            Sort::MileageAsc => "v.mileage IS NULL, v.mileage, v.id",
        }
    }
}

/// A parsed list filter (public browse and the admin list).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub make: Option<String>,
    pub model: Option<String>,
    pub year_min: Option<i64>,
    pub year_max: Option<i64>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub condition: Option<Condition>,
    /// Empty: every status.
    pub statuses: Vec<VehicleStatus>,
    pub q: Option<String>,
    pub sort: Sort,
    pub paging: Paging,
}

/// The user's words as an FTS5 query: each word a prefix, all required.
/// Quoting every token means no input can be FTS syntax.
fn fts_query(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

impl Filter {
    fn where_clause(&self) -> (String, Vec<Box<dyn ToSql>>) {
        let mut sql = vec!["1 = 1".to_owned()];
        let mut args: Vec<Box<dyn ToSql>> = Vec::new();
        let mut add = |cond: &str, v: Box<dyn ToSql>| {
            args.push(v);
            sql.push(cond.replace('?', &format!("?{}", args.len())));
        };
        if let Some(m) = &self.make {
            add("v.make = ?", Box::new(m.clone()));
        }
        if let Some(m) = &self.model {
            add("v.model = ?", Box::new(m.clone()));
        }
        if let Some(y) = self.year_min {
            add("v.year >= ?", Box::new(y));
        }
        if let Some(y) = self.year_max {
            add("v.year <= ?", Box::new(y));
        }
        if let Some(p) = self.price_min {
            add("v.price >= ?", Box::new(p));
        }
        if let Some(p) = self.price_max {
            add("v.price <= ?", Box::new(p));
        }
        if let Some(c) = self.condition {
            add("v.condition = ?", Box::new(c.as_str()));
        }
        if let Some(q) = self.q.as_deref().and_then(fts_query) {
            add(
                "v.id IN (SELECT id FROM vehicles_fts WHERE vehicles_fts MATCH ?)",
                Box::new(q),
            );
        }
        if !self.statuses.is_empty() {
            let list = self
                .statuses
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            sql.push(format!("v.status IN ({list})"));
        }
        (sql.join(" AND "), args)
    }
}

/// One page of listings and the total that match.
pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<(Vec<Listed>, i64)> {
    let (cond, args) = f.where_clause();
    let total: i64 = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM vehicles v WHERE {cond}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let sql = format!(
        "SELECT {COLUMNS}, {IMAGE_COLUMNS}
         FROM vehicles v
         LEFT JOIN vehicle_images i ON i.id = (
             SELECT id FROM vehicle_images WHERE vehicle_id = v.id ORDER BY position, id LIMIT 1)
         WHERE {cond}
         ORDER BY {}
         LIMIT {} OFFSET {}",
        f.sort.sql(),
        f.paging.limit(),
        f.paging.offset()
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(args.iter()), |r| {
            Ok(Listed {
                vehicle: vehicle(r)?,
                cover: image_at(r, 18)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// Makes (with how many cars each) among the listings the public sees, for
/// the filter form.
pub fn makes(conn: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    conn.prepare_cached(
        "SELECT make, COUNT(*) FROM vehicles WHERE status IN ('available', 'reserved')
         GROUP BY make COLLATE NOCASE ORDER BY make COLLATE NOCASE",
    )?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}

/// Ids, titles and last change of every unsold listing, for the sitemap.
pub fn unsold(conn: &Connection) -> rusqlite::Result<Vec<(VehicleId, String, String)>> {
    conn.prepare_cached(
        "SELECT id, title, updated_at FROM vehicles WHERE status IN ('available', 'reserved')
         ORDER BY created_at DESC",
    )?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
    .collect()
}

/// Adds `views` to a listing's count for `day` (one row per car per day).
/// Listings deleted since the views were counted are skipped.
pub fn add_views(
    tx: &Connection,
    vehicle_id: &VehicleId,
    day: &str,
    views: u64,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO vehicle_views (vehicle_id, day, views)
         SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM vehicles WHERE id = ?1)
         ON CONFLICT (vehicle_id, day) DO UPDATE SET views = views + excluded.views",
    )?
    .execute(params![vehicle_id, day, views as i64])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_cannot_be_fts_syntax() {
        assert_eq!(
            fts_query("hilux \"OR\" NEAR(x*"),
            Some("\"hilux\"* \"OR\"* \"NEAR\"* \"x\"*".into())
        );
        assert_eq!(fts_query(" -*- "), None);
    }
}

/// The stock as the public site shows it: available and reserved cars
/// (the default of `/vehicles`), and how many of those are reserved.
#[derive(Debug, Clone, Copy)]
pub struct StockFigures {
    pub on_sale: i64,
    pub reserved: i64,
}

pub fn stock_figures(conn: &Connection) -> rusqlite::Result<StockFigures> {
    conn.prepare_cached(
        "SELECT COUNT(*), COALESCE(SUM(status = 'reserved'), 0) FROM vehicles
         WHERE status IN ('available', 'reserved')",
    )?
    .query_row([], |r| {
        Ok(StockFigures {
            on_sale: r.get(0)?,
            reserved: r.get(1)?,
        })
    })
}
