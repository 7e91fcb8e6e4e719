//! Staff changes to the stock, shared by the admin pages and the admin API:
//! every change is checked by the same rules, written with its audit entry
//! in one transaction, and retires the cached public pages.

use serde_json::{Value, json};

use super::model::{VehicleData, VehiclePatch};
use super::repo::{self, Filter, Image, Listed, Vehicle};
use crate::audit::{self, actor::Actor};
use crate::auth::access::{Permission, require};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::ids::{ImageId, VehicleId};
use crate::state::AppState;
use crate::web::paging::Page;

/// Photos per listing: plenty for a car, and a bound on disk use.
pub const MAX_PHOTOS: usize = 40;

fn record(
    tx: &rusqlite::Connection,
    who: &Actor,
    action: &str,
    id: &VehicleId,
    (before, after): (Value, Value),
    now: jiff::Timestamp,
) -> rusqlite::Result<()> {
    audit::record(
        tx,
        who,
        audit::Change {
            action,
            entity_type: "vehicle",
            entity_id: id.as_str(),
            before,
            after,
        },
        now,
    )
}

fn snapshot(v: &VehicleData) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// One page of listings (each with its cover photo).
pub async fn list(state: &AppState, filter: Filter) -> AppResult<Page<Listed>> {
    let paging = filter.paging;
    let (items, total) = state
        .db
        .read(move |c| repo::list(c, &filter).map_err(AppError::from))
        .await?;
    Ok(Page::new(items, paging, total))
}

/// A listing and its photos.
pub async fn find(state: &AppState, id: &VehicleId) -> AppResult<(Vehicle, Vec<Image>)> {
    let id = id.clone();
    state
        .db
        .read(move |c| -> AppResult<_> {
            let v = repo::find(c, &id)?.ok_or(AppError::NotFound)?;
            let images = repo::images(c, &id)?;
            Ok((v, images))
        })
        .await
}

pub async fn create(state: &AppState, who: &Actor, patch: VehiclePatch) -> AppResult<Vehicle> {
    require(who.role, Permission::ManageVehicles)?;
    let data = patch
        .apply_to(&VehicleData::default())
        .map_err(AppError::Validation)?;
    let (who, now) = (who.clone(), state.clock.now());
    let v = state
        .db
        .write(move |tx| -> AppResult<Vehicle> {
            let v = repo::insert(tx, &data, who.user_id.as_ref(), now)?;
            let after = snapshot(&v.data);
            record(tx, &who, "vehicle.create", &v.id, (json!({}), after), now)?;
            Ok(v)
        })
        .await?;
    state.pages.invalidate();
    Ok(v)
}

pub async fn update(
    state: &AppState,
    who: &Actor,
    id: &VehicleId,
    patch: VehiclePatch,
) -> AppResult<Vehicle> {
    require(who.role, Permission::ManageVehicles)?;
    let (who, now, id) = (who.clone(), state.clock.now(), id.clone());
    let v = state
        .db
        .write(move |tx| -> AppResult<Vehicle> {
            let mut v = repo::find(tx, &id)?.ok_or(AppError::NotFound)?;
            let data = patch.apply_to(&v.data).map_err(AppError::Validation)?;
            let changes = audit::diff(&snapshot(&v.data), &snapshot(&data));
            if changes.1 != json!({}) {
                repo::update(tx, &id, &data, now)?;
                record(tx, &who, "vehicle.update", &id, changes, now)?;
            }
            v.data = data;
            Ok(v)
        })
        .await?;
    state.pages.invalidate();
    Ok(v)
}

/// Deletes a listing, then its photo files.
pub async fn delete(state: &AppState, who: &Actor, id: &VehicleId) -> AppResult<()> {
    require(who.role, Permission::ManageVehicles)?;
    let (who, now, vid) = (who.clone(), state.clock.now(), id.clone());
    let files = state
        .db
        .write(move |tx| -> AppResult<Vec<String>> {
            let v = repo::find(tx, &vid)?.ok_or(AppError::NotFound)?;
            let files = repo::delete(tx, &vid)?;
            let before = json!({ "title": v.data.title, "photos": files.len() / 2 });
            record(tx, &who, "vehicle.delete", &vid, (before, json!({})), now)?;
            Ok(files)
        })
        .await?;
    state.uploads.remove(files).await;
    state.pages.invalidate();
    Ok(())
}

/// Checks, re-encodes and stores one photo at the end of the listing's
/// photos. Nothing is left on disk if any step fails.
pub async fn add_image(
    state: &AppState,
    who: &Actor,
    vehicle_id: &VehicleId,
    bytes: Vec<u8>,
    alt_text: &str,
) -> AppResult<Image> {
    require(who.role, Permission::ManageVehicles)?;
    let alt_text = clean_alt(alt_text)?;
    let (_, existing) = find(state, vehicle_id).await?;
    if existing.len() >= MAX_PHOTOS {
        let mut fields = FieldErrors::new();
        fields.add("image", format!("At most {MAX_PHOTOS} photos per vehicle."));
        return Err(AppError::Validation(fields));
    }
    let photo = state
        .uploads
        .process(bytes)
        .await
        .map_err(|e| e.into_app_error("image"))?;
    let id = ImageId::new();
    let img = Image {
        large_path: format!("vehicles/{vehicle_id}/{id}-large.jpg"),
        thumb_path: format!("vehicles/{vehicle_id}/{id}-thumb.jpg"),
        id,
        vehicle_id: vehicle_id.clone(),
        position: 0,
        alt_text,
        width: photo.width,
        height: photo.height,
    };
    let files = vec![img.large_path.clone(), img.thumb_path.clone()];
    let stored = async {
        state.uploads.store(&img.large_path, photo.large).await?;
        state.uploads.store(&img.thumb_path, photo.thumb).await
    }
    .await;
    if let Err(e) = stored {
        state.uploads.remove(files).await;
        return Err(AppError::Internal(e));
    }
    let (who, now, row) = (who.clone(), state.clock.now(), img.clone());
    let saved = state
        .db
        .write(move |tx| -> AppResult<Image> {
            // The listing may have been deleted while the photo was processed.
            repo::find(tx, &row.vehicle_id)?.ok_or(AppError::NotFound)?;
            let img = repo::add_image(tx, &row, now)?;
            let after = json!({ "photo": img.id, "alt_text": img.alt_text });
            record(
                tx,
                &who,
                "vehicle.photo_add",
                &img.vehicle_id,
                (json!({}), after),
                now,
            )?;
            Ok(img)
        })
        .await;
    if saved.is_err() {
        state.uploads.remove(files).await;
    }
    state.pages.invalidate();
    saved
}

/// Alt text: one line of at most 200 characters.
fn clean_alt(s: &str) -> AppResult<String> {
    let mut errors = FieldErrors::new();
    let alt = crate::text::field(&mut errors, "alt_text", s, crate::text::Lines::One, 200);
    errors.into_result(alt)
}

/// A change to one photo; absent parts stay as they are.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageChange {
    pub alt_text: Option<String>,
    /// New place in the order, 0 = first (the cover photo).
    pub position: Option<u32>,
}

pub async fn change_image(
    state: &AppState,
    who: &Actor,
    vehicle_id: &VehicleId,
    image_id: &ImageId,
    change: ImageChange,
) -> AppResult<Image> {
    require(who.role, Permission::ManageVehicles)?;
    let alt_text = change.alt_text.as_deref().map(clean_alt).transpose()?;
    let (who, now) = (who.clone(), state.clock.now());
    let (vid, iid) = (vehicle_id.clone(), image_id.clone());
    let img = state
        .db
        .write(move |tx| -> AppResult<Image> {
            let img = repo::find_image(tx, &vid, &iid)?.ok_or(AppError::NotFound)?;
            let mut after = img.clone();
            if let Some(alt) = alt_text {
                after.alt_text = alt;
                repo::set_alt_text(tx, &img, &after.alt_text, now)?;
            }
            if let Some(pos) = change.position {
                repo::move_image(tx, &img, pos as usize, now)?;
            }
            let after = repo::find_image(tx, &vid, &iid)?.unwrap_or(after);
            let changes = audit::diff(
                &json!({ "photo": img.id, "alt_text": img.alt_text, "position": img.position }),
                &json!({ "photo": img.id, "alt_text": after.alt_text, "position": after.position }),
            );
            record(tx, &who, "vehicle.photo_update", &vid, changes, now)?;
            Ok(after)
        })
        .await?;
    state.pages.invalidate();
    Ok(img)
}

pub async fn delete_image(
    state: &AppState,
    who: &Actor,
    vehicle_id: &VehicleId,
    image_id: &ImageId,
) -> AppResult<()> {
    require(who.role, Permission::ManageVehicles)?;
    let (who, now) = (who.clone(), state.clock.now());
    let (vid, iid) = (vehicle_id.clone(), image_id.clone());
    let img = state
        .db
        .write(move |tx| -> AppResult<Image> {
            let img = repo::find_image(tx, &vid, &iid)?.ok_or(AppError::NotFound)?;
            repo::delete_image(tx, &img, now)?;
            let before = json!({ "photo": img.id, "alt_text": img.alt_text });
            record(
                tx,
                &who,
                "vehicle.photo_delete",
                &vid,
                (before, json!({})),
                now,
            )?;
            Ok(img)
        })
        .await?;
    state
        .uploads
        .remove(vec![img.large_path, img.thumb_path])
        .await;
    state.pages.invalidate();
    Ok(())
}
