//! The vehicle API (SPEC §5): the public list and detail, cached like the
//! pages, and the staff API for listings and their photos.

use axum::{
    extract::{Multipart, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use super::browse::{BrowseQuery, query_string};
use super::manage::{self, ImageChange};
use super::model::{Condition, VehiclePatch, VehicleStatus, vehicle_path};
use super::repo::{Image, Listed, Vehicle};
use crate::auth::access::{Permission, require};
use crate::auth::session::ApiStaff;
use crate::config::Config;
use crate::error::{AppError, AppResult, ErrorBody, FieldErrors};
use crate::ids::{ImageId, VehicleId};
use crate::state::AppState;
use crate::upload::{UploadError, media_url};
use crate::web::extract::{Json, Path, Query};
use crate::web::paging::Page;

/// A listing in a list.
#[derive(Serialize, ToSchema)]
pub struct VehicleSummary {
    id: VehicleId,
    title: String,
    make: String,
    model: String,
    year: i64,
    condition: Condition,
    /// MWK; null is "price on request".
    price: Option<i64>,
    currency: String,
    mileage: Option<i64>,
    location: String,
    status: VehicleStatus,
    thumbnail_url: Option<String>,
    /// The public page of this listing.
    url: String,
}

impl VehicleSummary {
    fn new(config: &Config, l: &Listed) -> Self {
        let v = &l.vehicle;
        VehicleSummary {
            id: v.id.clone(),
            title: v.data.title.clone(),
            make: v.data.make.clone(),
            model: v.data.model.clone(),
            year: v.data.year,
            condition: v.data.condition,
            price: v.data.price,
            currency: config.business.currency.clone(),
            mileage: v.data.mileage,
            location: v.data.location.clone(),
            status: v.data.status,
            thumbnail_url: l.cover.as_ref().map(|i| media_url(&i.thumb_path)),
            url: vehicle_path(&v.id, &v.data.title),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ImageJson {
    id: ImageId,
    url: String,
    thumb_url: String,
    alt_text: String,
    width: u32,
    height: u32,
}

impl From<&Image> for ImageJson {
    fn from(i: &Image) -> Self {
        ImageJson {
            id: i.id.clone(),
            url: media_url(&i.large_path),
            thumb_url: media_url(&i.thumb_path),
            alt_text: i.alt_text.clone(),
            width: i.width,
            height: i.height,
        }
    }
}

/// A whole listing.
#[derive(Serialize, ToSchema)]
pub struct VehicleDetail {
    id: VehicleId,
    title: String,
    make: String,
    model: String,
    year: i64,
    trim: String,
    condition: Condition,
    price: Option<i64>,
    currency: String,
    mileage: Option<i64>,
    vin: String,
    reg_number: String,
    location: String,
    description: String,
    features: Vec<String>,
    status: VehicleStatus,
    images: Vec<ImageJson>,
    url: String,
    created_at: String,
    updated_at: String,
}

impl VehicleDetail {
    fn new(config: &Config, v: &Vehicle, images: &[Image]) -> Self {
        let d = &v.data;
        VehicleDetail {
            id: v.id.clone(),
            title: d.title.clone(),
            make: d.make.clone(),
            model: d.model.clone(),
            year: d.year,
            trim: d.trim.clone(),
            condition: d.condition,
            price: d.price,
            currency: config.business.currency.clone(),
            mileage: d.mileage,
            vin: d.vin.clone(),
            reg_number: d.reg_number.clone(),
            location: d.location.clone(),
            description: d.description.clone(),
            features: d.features.clone(),
            status: d.status,
            images: images.iter().map(ImageJson::from).collect(),
            url: vehicle_path(&v.id, &v.data.title),
            created_at: v.created_at.clone(),
            updated_at: v.updated_at.clone(),
        }
    }
}

const JSON: &str = "application/json";

fn json_bytes<T: Serialize>(value: &T) -> AppResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| AppError::Internal(e.into()))
}

/// Vehicles for sale: available and reserved unless `status` says otherwise.
#[utoipa::path(
    get,
    path = "/v1/vehicles",
    tag = "vehicles",
    params(BrowseQuery),
    responses(
        (status = 200, body = Page<VehicleSummary>, description = "With ETag; 304 on If-None-Match"),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<BrowseQuery>,
) -> AppResult<Response> {
    let filter = q.parse().map_err(AppError::Validation)?;
    let key = format!("api:list?{}", query_string(&filter, filter.paging.page));
    let render = async {
        let list = manage::list(&state, filter).await?;
        json_bytes(&list.map(|l| VehicleSummary::new(&state.config, &l)))
    };
    state.pages.serve(key, &headers, JSON, render).await
}

/// One listing with its photos and features.
#[utoipa::path(
    get,
    path = "/v1/vehicles/{id}",
    tag = "vehicles",
    params(("id" = VehicleId, Path, description = "The vehicle's id")),
    responses((status = 200, body = VehicleDetail), (status = 404, body = ErrorBody))
)]
pub async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<VehicleId>,
) -> AppResult<Response> {
    let render = async {
        let (v, images) = manage::find(&state, &id).await?;
        json_bytes(&VehicleDetail::new(&state.config, &v, &images))
    };
    let key = format!("api:vehicle:{id}");
    state.pages.serve(key, &headers, JSON, render).await
}

/// Every listing, whatever its status unless `status` is given.
#[utoipa::path(
    get,
    path = "/v1/admin/vehicles",
    tag = "admin",
    security(("bearer" = [])),
    params(BrowseQuery),
    responses(
        (status = 200, body = Page<VehicleSummary>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn admin_list(
    State(state): State<AppState>,
    staff: ApiStaff,
    Query(mut q): Query<BrowseQuery>,
) -> AppResult<axum::Json<Page<VehicleSummary>>> {
    require(staff.user.role, Permission::ManageVehicles)?;
    q.status.get_or_insert_with(|| "any".into());
    let filter = q.parse().map_err(AppError::Validation)?;
    let list = manage::list(&state, filter).await?;
    Ok(axum::Json(
        list.map(|l| VehicleSummary::new(&state.config, &l)),
    ))
}

/// Creates a listing: `make`, `model`, `year` and `condition` are required;
/// the title defaults to "year make model trim".
#[utoipa::path(
    post,
    path = "/v1/admin/vehicles",
    tag = "admin",
    security(("bearer" = [])),
    request_body = VehiclePatch,
    responses(
        (status = 201, body = VehicleDetail),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn admin_create(
    State(state): State<AppState>,
    staff: ApiStaff,
    Json(patch): Json<VehiclePatch>,
) -> AppResult<(StatusCode, axum::Json<VehicleDetail>)> {
    let who = staff.actor();
    let v = manage::create(&state, &who, patch).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(VehicleDetail::new(&state.config, &v, &[])),
    ))
}

/// Changes a listing; absent fields stay, `"price": null` means price on request.
#[utoipa::path(
    patch,
    path = "/v1/admin/vehicles/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = VehicleId, Path, description = "The vehicle's id")),
    request_body = VehiclePatch,
    responses(
        (status = 200, body = VehicleDetail),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn admin_update(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<VehicleId>,
    Json(patch): Json<VehiclePatch>,
) -> AppResult<axum::Json<VehicleDetail>> {
    let who = staff.actor();
    manage::update(&state, &who, &id, patch).await?;
    let (v, images) = manage::find(&state, &id).await?;
    Ok(axum::Json(VehicleDetail::new(&state.config, &v, &images)))
}

/// Deletes a listing and its photo files.
#[utoipa::path(
    delete,
    path = "/v1/admin/vehicles/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = VehicleId, Path, description = "The vehicle's id")),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
pub async fn admin_delete(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<VehicleId>,
) -> AppResult<StatusCode> {
    manage::delete(&state, &staff.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ImageCreated {
    id: ImageId,
    url: String,
    thumb_url: String,
}

/// Adds a photo (multipart `image`, optional `alt_text`): checked by
/// content, re-encoded without EXIF into a large and a thumbnail version.
#[utoipa::path(
    post,
    path = "/v1/admin/vehicles/{id}/images",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = VehicleId, Path, description = "The vehicle's id")),
    request_body(content_type = "multipart/form-data", description = "`image` (JPEG, PNG or WebP, at most 5 MB and 24 megapixels) and optional `alt_text`"),
    responses(
        (status = 201, body = ImageCreated),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody),
    )
)]
pub async fn admin_add_image(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path(id): Path<VehicleId>,
    multipart: Multipart,
) -> AppResult<Response> {
    require(staff.user.role, Permission::ManageVehicles)?;
    let mut form = crate::upload::read_multipart(multipart, "image").await?;
    let Some(file) = form.file else {
        let mut fields = FieldErrors::new();
        fields.add("image", "Attach a photo.");
        return Err(AppError::Validation(fields));
    };
    let bytes = file
        .bytes
        .ok_or_else(|| UploadError::TooLarge.into_app_error("image"))?;
    let alt = form.fields.remove("alt_text").unwrap_or_default();
    let img = manage::add_image(&state, &staff.actor(), &id, bytes, &alt).await?;
    let created = ImageCreated {
        url: media_url(&img.large_path),
        thumb_url: media_url(&img.thumb_path),
        id: img.id,
    };
    Ok((StatusCode::CREATED, axum::Json(created)).into_response())
}

/// Changes a photo's alt text or its place in the order.
#[utoipa::path(
    patch,
    path = "/v1/admin/vehicles/{id}/images/{image_id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = VehicleId, Path, description = "The vehicle's id"), ("image_id" = ImageId, Path, description = "The photo's id")),
    request_body = ImageChange,
    responses(
        (status = 200, body = ImageJson),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
pub async fn admin_update_image(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path((id, image_id)): Path<(VehicleId, ImageId)>,
    Json(change): Json<ImageChange>,
) -> AppResult<axum::Json<ImageJson>> {
    let who = staff.actor();
    let img = manage::change_image(&state, &who, &id, &image_id, change).await?;
    Ok(axum::Json(ImageJson::from(&img)))
}

/// Deletes a photo and its files.
#[utoipa::path(
    delete,
    path = "/v1/admin/vehicles/{id}/images/{image_id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = VehicleId, Path, description = "The vehicle's id"), ("image_id" = ImageId, Path, description = "The photo's id")),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
pub async fn admin_delete_image(
    State(state): State<AppState>,
    staff: ApiStaff,
    Path((id, image_id)): Path<(VehicleId, ImageId)>,
) -> AppResult<StatusCode> {
    manage::delete_image(&state, &staff.actor(), &id, &image_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
