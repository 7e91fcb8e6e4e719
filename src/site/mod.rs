//! The public site's own pages: home, about, services, contact, privacy and
//! robots.txt (the stock pages and the sitemap live in `vehicles`, the
//! booking flow in `bookings`). Their facts (name, phone, hours, retention
//! periods) come from the config.

pub mod pages;

use axum::{Router, routing::get};

use crate::state::AppState;

/// The routes of the site pages.
pub fn router() -> Router<AppState> {
    use pages::*;
    Router::new()
        .route("/", get(view_home_get))
        .route("/about", get(view_about_get))
        .route("/services", get(view_services_get))
        .route("/contact", get(view_contact_get).post(view_contact_post))
        .route("/privacy", get(view_privacy_get))
        .route("/robots.txt", get(robots_txt))
}
