//! Leads: inquiries from the vehicle pages and the API, and the staff
//! follow-up (new → contacted → closed, with the first-contact time that
//! the 24-hour response figure is built on).

pub mod admin_pages;
pub mod api;
pub mod forms;
pub mod model;
pub mod repo;
pub mod service;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

/// The staff pages; the public forms live on the vehicle pages, the `/v1`
/// routes in `crate::api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/leads", get(admin_pages::view_leads_get))
        .route("/admin/leads/{id}", get(admin_pages::view_lead_get))
        .route("/admin/leads/{id}", post(admin_pages::view_lead_post))
}
