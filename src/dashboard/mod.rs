//! The staff dashboard: today's work, what waits for an answer and the
//! headline numbers. It owns no table: it asks each domain for its figures.

mod views;

use axum::{
    Router,
    extract::State,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use jiff::ToSpan;

use crate::auth::access::Permission;
use crate::auth::session::Staff;
use crate::error::AppResult;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin", get(view_dashboard_get))
}

/// Everything the dashboard shows, read in one go.
struct Figures {
    bookings: crate::bookings::repo::DayFigures,
    new_leads: i64,
    /// The newest leads nobody has answered yet.
    pending_leads: Vec<crate::leads::repo::Lead>,
    vehicles: crate::vehicles::repo::StockFigures,
}

async fn view_dashboard_get(State(state): State<AppState>, staff: Staff) -> AppResult<Response> {
    if !staff.user.role.can(Permission::ManageBookings) {
        return Ok(Redirect::to(staff.user.role.home()).into_response());
    }
    let today = state
        .clock
        .now()
        .to_zoned(state.config.business.timezone.tz().clone())
        .date();
    let monday = today
        .checked_sub(i32::from(today.weekday().to_monday_zero_offset()).days())
        .map_err(anyhow::Error::from)?;
    let figures = state
        .db
        .read(move |c| -> AppResult<Figures> {
            Ok(Figures {
                bookings: crate::bookings::repo::day_figures(c, today, monday)?,
                new_leads: crate::leads::repo::pending_count(c)?,
                pending_leads: crate::leads::repo::newest_unanswered(c, 5)?,
                vehicles: crate::vehicles::repo::stock_figures(c)?,
            })
        })
        .await?;
    Ok(views::dashboard(&state.config, &staff.view(), &figures).into_response())
}
