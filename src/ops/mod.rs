//! Operating the appliance: health checks, the settings page and the
//! scheduled jobs (backups, restore and retention join here with their
//! features).

pub mod audit_log;
pub mod jobs;
pub mod settings;

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// The settings and audit log pages; `/healthz` and `/v1/admin/audit` are
/// registered with the API in `crate::api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/settings", get(settings::view_settings_get))
        .route("/admin/audit", get(audit_log::view_audit_get))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answered; `unavailable` otherwise.
    status: &'static str,
}

/// Liveness and readiness: answers only after a real query on the database.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "ops",
    responses(
        (status = 200, description = "The server and its database work", body = Health),
        (status = 503, description = "The database did not answer", body = Health),
    )
)]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let check = state
        .db
        .read(|c| -> anyhow::Result<i64> {
            Ok(
                c.query_row("SELECT COUNT(*) FROM refinery_schema_history", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .await;
    match check {
        Ok(n) if n > 0 => (StatusCode::OK, Json(Health { status: "ok" })),
        other => {
            if let Err(e) = other {
                tracing::error!(error = format!("{e:#}"), "health check failed");
            }
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "unavailable",
                }),
            )
        }
    }
}
