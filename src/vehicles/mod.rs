//! Vehicle stock: listings with photos, the public browse and detail pages
//! (cached, with link previews and structured data), and the staff pages and
//! API that keep the stock up to date.

pub mod admin_pages;
pub mod api;
pub mod browse;
pub mod counter;
pub mod manage;
pub mod model;
pub mod pages;
pub mod repo;

use axum::{
    Router, middleware,
    routing::{get, post},
};

use crate::{state::AppState, web};

/// Ten phone photos of up to 5 MB each in one upload, with room to spare.
pub const PHOTOS_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The pages; the `/v1` routes are registered in `crate::api`.
pub fn router() -> Router<AppState> {
    use admin_pages as admin;
    Router::new()
        .route("/vehicles", get(pages::view_vehicles_get))
        .route("/vehicles/{key}", get(pages::view_vehicle_get))
        .route("/vehicles/{key}/inquire", post(pages::view_inquire_post))
        .route("/media/vehicles/{vehicle}/{file}", get(pages::media_get))
        .route("/sitemap.xml", get(pages::sitemap_xml))
        .route("/admin/vehicles", get(admin::view_vehicles_get))
        .route(
            "/admin/vehicles/new",
            get(admin::view_new_get).post(admin::view_new_post),
        )
        .route(
            "/admin/vehicles/{id}",
            get(admin::view_edit_get).post(admin::view_edit_post),
        )
        .route("/admin/vehicles/{id}/status", post(admin::view_status_post))
        .route("/admin/vehicles/{id}/delete", post(admin::view_delete_post))
        .route(
            "/admin/vehicles/{id}/photos",
            post(admin::view_photos_post).layer(middleware::from_fn_with_state(
                PHOTOS_BODY_LIMIT,
                web::multipart_limit,
            )),
        )
        .route(
            "/admin/vehicles/{id}/photos/{image}",
            post(admin::view_photo_post),
        )
}
