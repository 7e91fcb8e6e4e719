//! Staff stock pages: the vehicles list with one-click status, the listing
//! form (new and edit), and photo management (multi-file upload, alt text,
//! order, delete). Every form carries the session's CSRF token.

use axum::{
    extract::{Multipart, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
};
use maud::{Markup, html};
use serde::Deserialize;

use super::browse::{BrowseQuery, href, parse_number};
use super::manage::{self, ImageChange};
use super::model::{Condition, VehicleData, VehiclePatch, VehicleStatus, price_label};
use super::repo::{Image, Listed, Vehicle};
use crate::auth::access::{Permission, require};
use crate::auth::session::{Staff, verify_form};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::ids::{ImageId, VehicleId};
use crate::state::AppState;
use crate::upload::{Part, PartReader, UploadError, media_url};
use crate::web::back_to;
use crate::web::extract::{Form, Path, Query};
use crate::web::layout::{self, field, input, select};
use crate::web::paging::pager;
use crate::web::redirect::LocalPath;

#[derive(Deserialize, Default)]
pub struct MsgParam {
    msg: Option<String>,
    /// Files refused by the last upload, "name: why" joined by newlines.
    refused: Option<String>,
}

fn flash(m: &MsgParam) -> Markup {
    let text = match m.msg.as_deref() {
        Some("saved") => Some(("alert-success", "Saved.")),
        Some("created") => Some(("alert-success", "Vehicle added. Now add its photos.")),
        Some("deleted") => Some(("alert-success", "Vehicle deleted.")),
        Some("photos") => Some(("alert-success", "Photos added.")),
        Some("photo_deleted") => Some(("alert-success", "Photo deleted.")),
        Some("no_photo") => Some(("alert-error", "Choose one or more photos first.")),
        _ => None,
    };
    html! {
        @if let Some((class, t)) = text {
            p.alert.(class) role="status" { (t) }
        }
        @if let Some(refused) = &m.refused {
            div.alert.alert-error role="alert" {
                p { "Some files were not added:" }
                ul { @for line in refused.lines() { li { (line) } } }
            }
        }
    }
}

fn status_buttons(v: &Vehicle, csrf: &str, back: &str) -> Markup {
    html! {
        div.actions {
            @for to in VehicleStatus::ALL.iter().filter(|s| **s != v.data.status) {
                form method="post" action={ "/admin/vehicles/" (v.id) "/status" } {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="to" value=(to.as_str());
                    input type="hidden" name="back" value=(back);
                    button.btn.btn-small.btn-secondary type="submit" { "Mark " (to.label().to_lowercase()) }
                }
            }
        }
    }
}

/// `GET /admin/vehicles`
pub async fn view_vehicles_get(
    State(state): State<AppState>,
    staff: Staff,
    uri: axum::http::Uri,
    Query(mut q): Query<BrowseQuery>,
    Query(m): Query<MsgParam>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageVehicles)?;
    q.status.get_or_insert_with(|| "any".into());
    q.per_page.get_or_insert_with(|| "50".into());
    let filter = q.parse().map_err(AppError::Validation)?;
    let list = manage::list(&state, filter.clone()).await?;
    let c = &state.config;
    let back = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/admin/vehicles".into());
    let status = filter
        .statuses
        .first()
        .filter(|_| filter.statuses.len() == 1)
        .map(|s| s.as_str())
        .unwrap_or("any");
    let mut status_options = vec![("any", "All")];
    status_options.extend(VehicleStatus::options());
    let body = html! {
        (flash(&m))
        div.toolbar {
            a.btn.btn-primary href="/admin/vehicles/new" { "Add vehicle" }
            form method="get" action="/admin/vehicles" {
                (field("Search", "q", None, "", input("search", "q", filter.q.as_deref().unwrap_or(""), false, "off")))
                (field("Status", "status", None, "", select("status", status, &status_options)))
                button.btn.btn-secondary type="submit" { "Filter" }
            }
        }
        p { (layout::count_of(list.total, "vehicle", "vehicles")) }
        ul.admin-vehicles {
            @for l in &list.items { (admin_card(c, l, &staff.csrf, &back)) }
        }
        (pager(filter.paging, list.total, |p| href("/admin/vehicles", &filter, p)))
    };
    Ok(layout::admin(
        c,
        &staff.view(),
        "Vehicles",
        "/admin/vehicles",
        body,
    ))
}

fn admin_card(c: &crate::config::Config, l: &Listed, csrf: &str, back: &str) -> Markup {
    let v = &l.vehicle;
    html! {
        li.admin-vehicle {
            a.admin-vehicle-photo href={ "/admin/vehicles/" (v.id) } {
                @if let Some(img) = &l.cover {
                    img src=(media_url(&img.thumb_path)) width="120" height="90" alt="" loading="lazy";
                } @else {
                    span.no-photo { "No photo" }
                }
            }
            div {
                a href={ "/admin/vehicles/" (v.id) } { strong { (v.data.title) } }
                p { (price_label(&c.business.currency, v.data.price)) " · "
                    span.badge.{ "badge-" (v.data.status.as_str()) } { (v.data.status.label()) } }
                (status_buttons(v, csrf, back))
            }
        }
    }
}

/// The listing form as sent: text everywhere, so bad numbers are reported
/// next to their field with the rest of the input kept.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VehicleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    make: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    trim: String,
    #[serde(default)]
    condition: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    mileage: String,
    #[serde(default)]
    vin: String,
    #[serde(default)]
    reg_number: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    description: String,
    /// One feature per line.
    #[serde(default)]
    features: String,
    #[serde(default)]
    status: String,
}

impl VehicleForm {
    fn from_data(d: &VehicleData) -> VehicleForm {
        let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        VehicleForm {
            csrf: String::new(),
            title: d.title.clone(),
            make: d.make.clone(),
            model: d.model.clone(),
            year: if d.year > 0 {
                d.year.to_string()
            } else {
                String::new()
            },
            trim: d.trim.clone(),
            condition: d.condition.as_str().into(),
            price: num(d.price),
            mileage: num(d.mileage),
            vin: d.vin.clone(),
            reg_number: d.reg_number.clone(),
            location: d.location.clone(),
            description: d.description.clone(),
            features: d.features.join("\n"),
            status: d.status.as_str().into(),
        }
    }

    /// The patch this form asks for, and the errors of the numbers that
    /// could not be read.
    fn patch(&self) -> (VehiclePatch, FieldErrors) {
        let mut errors = FieldErrors::new();
        let mut number = |name: &str, s: &str, why: &str| match s.trim() {
            "" => None,
            s => parse_number(s).or_else(|| {
                errors.add(name, why);
                None
            }),
        };
        let year = number("year", &self.year, "A year like 2018.");
        let price = number(
            "price",
            &self.price,
            "A whole number of MWK, e.g. 12,500,000.",
        );
        let mileage = number("mileage", &self.mileage, "Kilometres, e.g. 85,000.");
        let patch = VehiclePatch {
            title: Some(self.title.clone()),
            make: Some(self.make.clone()),
            model: Some(self.model.clone()),
            year: Some(year.unwrap_or(0)),
            trim: Some(self.trim.clone()),
            condition: Some(self.condition.clone()),
            price: Some(price),
            mileage: Some(mileage),
            vin: Some(self.vin.clone()),
            reg_number: Some(self.reg_number.clone()),
            location: Some(self.location.clone()),
            description: Some(self.description.clone()),
            features: Some(self.features.lines().map(str::to_owned).collect()),
            status: Some(self.status.clone()),
        };
        (patch, errors)
    }
}

/// Checks the form: the parse errors of numbers win over the rules'
/// "required" messages for the same field.
fn checked(form: &VehicleForm, base: &VehicleData) -> Result<VehiclePatch, FieldErrors> {
    let (patch, mut errors) = form.patch();
    if let Err(rule_errors) = patch.clone().apply_to(base) {
        for name in rule_errors.fields() {
            if errors.get(name).is_none()
                && let Some(why) = rule_errors.get(name)
            {
                errors.add(name, why);
            }
        }
    }
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(errors)
    }
}

fn vehicle_form(action: &str, f: &VehicleForm, errors: &FieldErrors, csrf: &str) -> Markup {
    let text = |label: &str, name: &str, value: &str, hint: &str| {
        field(
            label,
            name,
            errors.get(name),
            hint,
            input("text", name, value, errors.get(name).is_some(), "off"),
        )
    };
    let numeric = |label: &str, name: &str, value: &str, hint: &str| {
        field(
            label,
            name,
            errors.get(name),
            hint,
            html! {
                input id=(name) name=(name) type="text" inputmode="numeric" value=(value)
                    aria-invalid=[errors.get(name).map(|_| "true")];
            },
        )
    };
    html! {
        form.form.vehicle-form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(csrf);
            div.form-grid {
                (text("Make", "make", &f.make, "e.g. Toyota"))
                (text("Model", "model", &f.model, "e.g. Hilux"))
                (numeric("Year", "year", &f.year, ""))
                (text("Trim / engine", "trim", &f.trim, "e.g. 2.8 GD-6 Raider"))
                (field("Condition", "condition", errors.get("condition"), "", select("condition", &f.condition, &Condition::options())))
                (field("Status", "status", errors.get("status"), "", select("status", &f.status, &VehicleStatus::options())))
                (numeric("Price (MWK)", "price", &f.price, "Leave empty for \"Price on request\"."))
                (numeric("Mileage (km)", "mileage", &f.mileage, ""))
                (text("Registration", "reg_number", &f.reg_number, ""))
                (text("VIN", "vin", &f.vin, ""))
                (text("Location", "location", &f.location, "Where the car can be seen, e.g. Blantyre showroom"))
            }
            (text("Title", "title", &f.title, "Leave empty for \"year make model trim\"."))
            (field("Features", "features", errors.get("features"), "One per line, e.g. Air conditioning.", html! {
                textarea id="features" name="features" rows="5" { (f.features) }
            }))
            (field("Description", "description", errors.get("description"), "", html! {
                textarea id="description" name="description" rows="8" maxlength="5000" { (f.description) }
            }))
            button.btn.btn-primary type="submit" { "Save" }
        }
    }
}

/// `GET /admin/vehicles/new`
pub async fn view_new_get(State(state): State<AppState>, staff: Staff) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageVehicles)?;
    let form = VehicleForm::from_data(&VehicleData::default());
    let body = vehicle_form(
        "/admin/vehicles/new",
        &form,
        &FieldErrors::new(),
        &staff.csrf,
    );
    Ok(layout::admin(
        &state.config,
        &staff.view(),
        "Add vehicle",
        "/admin/vehicles",
        body,
    ))
}

/// `POST /admin/vehicles/new`
pub async fn view_new_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<VehicleForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    let who = staff.actor();
    let result = match checked(&form, &VehicleData::default()) {
        Ok(patch) => manage::create(&state, &who, patch).await,
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok(v) => Ok(LocalPath::new(&format!("/admin/vehicles/{}", v.id))
            .with("msg", "created")
            .into_response()),
        Err(AppError::Validation(errors)) => {
            let body = vehicle_form("/admin/vehicles/new", &form, &errors, &staff.csrf);
            let page = layout::admin(
                &state.config,
                &staff.view(),
                "Add vehicle",
                "/admin/vehicles",
                body,
            );
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

fn photos(v: &Vehicle, images: &[Image], csrf: &str) -> Markup {
    let last = images.len().saturating_sub(1);
    html! {
        section #photos {
            h2 { "Photos (" (images.len()) ")" }
            p.hint { "The first photo is the cover in lists and link previews. JPEG, PNG or WebP, at most 5 MB each; they are resized and stripped of location data." }
            form.form.upload method="post" action={ "/admin/vehicles/" (v.id) "/photos" } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(csrf);
                div.field {
                    label for="image" { "Add photos" }
                    input id="image" name="image" type="file" accept="image/jpeg,image/png,image/webp" multiple;
                }
                button.btn.btn-primary type="submit" { "Upload" }
            }
            ol.photo-list {
                @for (i, img) in images.iter().enumerate() {
                    li.photo-item {
                        img src=(media_url(&img.thumb_path)) width="160" height="120" alt=(img.alt_text) loading="lazy";
                        form.form method="post" action={ "/admin/vehicles/" (v.id) "/photos/" (img.id) } {
                            input type="hidden" name="csrf" value=(csrf);
                            label for={ "alt-" (img.id) } { "Description for screen readers" }
                            input id={ "alt-" (img.id) } name="alt_text" type="text" value=(img.alt_text) maxlength="200";
                            div.actions {
                                button.btn.btn-small.btn-secondary type="submit" name="action" value="save" { "Save text" }
                                @if i > 0 {
                                    button.btn.btn-small.btn-secondary type="submit" name="action" value="up" { "Move up" }
                                }
                                @if i < last {
                                    button.btn.btn-small.btn-secondary type="submit" name="action" value="down" { "Move down" }
                                }
                                button.btn.btn-small.btn-danger type="submit" name="action" value="delete" { "Delete" }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn edit_page(
    state: &AppState,
    staff: &Staff,
    v: &Vehicle,
    images: &[Image],
    form: &VehicleForm,
    errors: &FieldErrors,
    m: &MsgParam,
) -> Markup {
    let action = format!("/admin/vehicles/{}", v.id);
    let body = html! {
        (flash(m))
        p {
            a href=(super::model::vehicle_path(&v.id, &v.data.title)) { "View public page" } " · "
            a href={ "/admin/leads?vehicle_id=" (v.id) } { "Leads about this car" } " · "
            span.badge.{ "badge-" (v.data.status.as_str()) } { (v.data.status.label()) }
        }
        (status_buttons(v, &staff.csrf, &action))
        (vehicle_form(&action, form, errors, &staff.csrf))
        (photos(v, images, &staff.csrf))
        section.danger-zone {
            h2 { "Delete this vehicle" }
            p { "Removes the listing and all its photos. Leads about it are kept." }
            form method="post" action={ "/admin/vehicles/" (v.id) "/delete" } {
                input type="hidden" name="csrf" value=(staff.csrf);
                label.checkbox { input type="checkbox" name="confirm" value="yes" required; " Yes, delete it" }
                button.btn.btn-danger type="submit" { "Delete vehicle" }
            }
        }
    };
    layout::admin(
        &state.config,
        &staff.view(),
        &v.data.title,
        "/admin/vehicles",
        body,
    )
}

/// `GET /admin/vehicles/{id}`
pub async fn view_edit_get(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<VehicleId>,
    Query(m): Query<MsgParam>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageVehicles)?;
    let (v, images) = manage::find(&state, &id).await?;
    let form = VehicleForm::from_data(&v.data);
    Ok(edit_page(
        &state,
        &staff,
        &v,
        &images,
        &form,
        &FieldErrors::new(),
        &m,
    ))
}

/// `POST /admin/vehicles/{id}`
pub async fn view_edit_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<VehicleId>,
    Form(form): Form<VehicleForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    let (v, images) = manage::find(&state, &id).await?;
    let result = match checked(&form, &v.data) {
        Ok(patch) => manage::update(&state, &staff.actor(), &id, patch).await,
        Err(errors) => Err(AppError::Validation(errors)),
    };
    match result {
        Ok(_) => Ok(LocalPath::new(&format!("/admin/vehicles/{id}"))
            .with("msg", "saved")
            .into_response()),
        Err(AppError::Validation(errors)) => {
            let page = edit_page(
                &state,
                &staff,
                &v,
                &images,
                &form,
                &errors,
                &MsgParam::default(),
            );
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    to: String,
    #[serde(default, deserialize_with = "LocalPath::lenient")]
    back: Option<LocalPath>,
}

/// `POST /admin/vehicles/{id}/status`: one click from the list.
pub async fn view_status_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<VehicleId>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    let patch = VehiclePatch {
        status: Some(form.to),
        ..Default::default()
    };
    manage::update(&state, &staff.actor(), &id, patch).await?;
    Ok(back_to(form.back, "/admin/vehicles", "saved"))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    confirm: Option<String>,
}

/// `POST /admin/vehicles/{id}/delete`
pub async fn view_delete_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<VehicleId>,
    Form(form): Form<DeleteForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    if form.confirm.as_deref() != Some("yes") {
        return Ok(LocalPath::new(&format!("/admin/vehicles/{id}"))
            .fragment("photos")
            .into_response());
    }
    manage::delete(&state, &staff.actor(), &id).await?;
    Ok(Redirect::to("/admin/vehicles?msg=deleted").into_response())
}

/// `POST /admin/vehicles/{id}/photos`: several files at once, handled one
/// at a time as they arrive (memory holds one photo, not the whole form).
/// The form's CSRF field comes before its file input, so it is checked
/// before any photo is touched. Good photos are kept, refused ones listed
/// by name.
pub async fn view_photos_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<VehicleId>,
    multipart: Multipart,
) -> AppResult<Response> {
    let who = staff.actor();
    let mut parts = PartReader::new(multipart, "image");
    let (mut checked, mut added, mut refused) = (false, 0, Vec::new());
    while let Some(part) = parts.next().await? {
        match part {
            Part::Text { name, value } if name == "csrf" => {
                verify_form(&headers, &staff.csrf, &value)?;
                checked = true;
            }
            Part::Text { .. } => {}
            Part::File { file, .. } => {
                if !checked {
                    verify_form(&headers, &staff.csrf, "")?;
                }
                let result = match file.bytes {
                    None => Err(UploadError::TooLarge.into_app_error("image")),
                    Some(bytes) => manage::add_image(&state, &who, &id, bytes, "").await,
                };
                match result {
                    Ok(_) => added += 1,
                    Err(e @ (AppError::NotFound | AppError::Internal(_))) => return Err(e),
                    Err(e) => refused.push(format!("{}: {}", file.filename, refusal(&e))),
                }
            }
        }
    }
    if !checked {
        verify_form(&headers, &staff.csrf, "")?;
    }
    if added == 0 && refused.is_empty() {
        return Ok(LocalPath::new(&format!("/admin/vehicles/{id}"))
            .with("msg", "no_photo")
            .fragment("photos")
            .into_response());
    }
    let mut target = LocalPath::new(&format!("/admin/vehicles/{id}")).with("msg", "photos");
    if !refused.is_empty() {
        target = target.with("refused", &refused.join("\n"));
    }
    Ok(target.fragment("photos").into_response())
}

fn refusal(e: &AppError) -> String {
    match e {
        AppError::Validation(f) => f.get("image").unwrap_or("not a usable photo").to_owned(),
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
pub struct PhotoForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    alt_text: Option<String>,
}

/// `POST /admin/vehicles/{id}/photos/{image}`: save alt text, move, delete.
pub async fn view_photo_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path((id, image_id)): Path<(VehicleId, ImageId)>,
    Form(form): Form<PhotoForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    let who = staff.actor();
    let (_, images) = manage::find(&state, &id).await?;
    let index = images
        .iter()
        .position(|i| i.id == image_id)
        .ok_or(AppError::NotFound)?;
    let msg = match form.action.as_str() {
        "delete" => {
            manage::delete_image(&state, &who, &id, &image_id).await?;
            "photo_deleted"
        }
        action => {
            let position = match action {
                "up" => Some(index.saturating_sub(1) as u32),
                "down" => Some(index as u32 + 1),
                _ => None,
            };
            let change = ImageChange {
                alt_text: form.alt_text,
                position,
            };
            manage::change_image(&state, &who, &id, &image_id, change).await?;
            "saved"
        }
    };
    Ok(LocalPath::new(&format!("/admin/vehicles/{id}"))
        .with("msg", msg)
        .fragment("photos")
        .into_response())
}
