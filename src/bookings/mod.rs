//! Workshop bookings: the slot engine, the public booking flow (API and
//! pages), lookup and self-cancel. Staff management builds on `repo` and the
//! lifecycle in `model`.

pub mod admin_api;
pub mod admin_pages;
pub mod api;
pub mod export;
pub mod manage;
pub mod model;
pub mod pages;
pub mod repo;
pub mod service;
pub mod slots;
pub mod views;

use axum::{
    Router, middleware,
    routing::{get, post},
};

use crate::{state::AppState, upload, web};

/// The pages; the `/v1` routes are registered in `crate::api`.
pub fn router() -> Router<AppState> {
    use pages::*;
    Router::new()
        .route("/book", get(view_book_get).post(view_book_post))
        .route(
            "/book/confirm",
            post(view_book_confirm_post).layer(middleware::from_fn_with_state(
                upload::BODY_LIMIT,
                web::multipart_limit,
            )),
        )
        .route("/book/done", get(view_book_done_get))
        .route("/book/calendar.ics", get(calendar_ics))
        .route(
            "/booking-status",
            get(view_status_get).post(view_status_post),
        )
        .route("/booking-status/cancel", post(view_status_cancel_post))
        .route("/admin/today", get(admin_pages::view_today_get))
        .route("/admin/bookings", get(admin_pages::view_bookings_get))
        .route(
            "/admin/bookings.csv",
            get(admin_pages::view_bookings_csv_get),
        )
        .route("/admin/bookings/{id}", get(admin_pages::view_booking_get))
        .route(
            "/admin/bookings/{id}/attachments/{attachment}",
            get(admin_pages::view_attachment_get),
        )
        .route(
            "/admin/bookings/{id}/status",
            post(admin_pages::view_status_post),
        )
        .route(
            "/admin/bookings/{id}/reschedule",
            post(admin_pages::view_reschedule_post),
        )
        .route(
            "/admin/bookings/{id}/notes",
            post(admin_pages::view_notes_post),
        )
}
