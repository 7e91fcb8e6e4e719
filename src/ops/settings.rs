//! `/admin/settings`: the effective configuration, every secret redacted.

use axum::extract::State;
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::access::{Permission, require};
use crate::auth::session::Staff;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::extract::Query;
use crate::web::layout;

#[derive(Deserialize, Default)]
pub struct SettingsParams {
    msg: Option<String>,
}

pub async fn view_settings_get(
    State(state): State<AppState>,
    staff: Staff,
    Query(params): Query<SettingsParams>,
) -> AppResult<Markup> {
    require(staff.user.role, Permission::ManageSettings)?;
    // `Secret` serialises as "<redacted>", so this can never show one.
    let effective = toml::to_string_pretty(state.config.as_ref()).map_err(anyhow::Error::from)?;
    let body = html! {
        (crate::notifications::views::test_forms(&state.config, &staff.csrf, params.msg.as_deref()))
        section.panel {
            h2 { "Effective configuration" }
            p.muted {
                "Built-in defaults, then the config file, then DAYTONA_* environment variables. "
                "Secrets are never shown. Change settings in the config file or the environment and restart the service."
            }
            pre.config { code { (effective) } }
        }
    };
    let user = staff.view();
    Ok(layout::admin(
        &state.config,
        &user,
        "Settings",
        "/admin/settings",
        body,
    ))
}
