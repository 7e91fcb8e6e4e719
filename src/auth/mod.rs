//! Staff accounts: passwords, sessions, first-run setup, sign-in and the
//! admin dashboard.

pub mod access;
pub mod api;
pub mod handlers;
pub mod login;
pub mod model;
pub mod password;
pub mod repo;
pub mod session;
pub mod views;

use axum::{Router, routing::get};

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    use handlers::*;
    Router::new()
        .route("/admin", get(view_dashboard_get))
        .route("/admin/login", get(view_login_get).post(view_login_post))
        .route("/admin/logout", axum::routing::post(view_logout_post))
        .route("/admin/setup", get(view_setup_get).post(view_setup_post))
}
