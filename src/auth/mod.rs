//! Staff accounts: passwords, sessions, first-run setup, sign-in, two-step
//! sign-in, staff user management and who may do what.

pub mod access;
pub mod api;
pub mod handlers;
pub mod login;
pub mod model;
pub mod password;
pub mod repo;
pub mod session;
pub mod staff;
pub mod totp;
pub mod two_factor;
pub mod users;
pub mod views;

use axum::{Router, routing::get};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    use handlers::*;
    Router::new()
        .route("/admin/login", get(view_login_get).post(view_login_post))
        .route("/admin/logout", axum::routing::post(view_logout_post))
        .route("/admin/setup", get(view_setup_get).post(view_setup_post))
        .route(
            "/admin/users",
            get(users::view_users_get).post(users::view_users_post),
        )
        .route(
            "/admin/users/{id}",
            axum::routing::post(users::view_user_post),
        )
        .route(
            "/admin/account/2fa",
            get(two_factor::view_2fa_get).post(two_factor::view_2fa_post),
        )
        .route(
            "/admin/account/2fa/disable",
            axum::routing::post(two_factor::view_2fa_disable_post),
        )
}
