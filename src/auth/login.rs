//! Signing in, for the HTML form and the JSON API alike: throttling, the
//! password check, and the same answer for an unknown email and a wrong
//! password.

use std::net::IpAddr;

use jiff::SignedDuration;
use rusqlite::params;

use super::{password, repo};
use crate::app::AppState;
use crate::db::ts;
use crate::error::{AppError, AppResult};

/// The one answer for every failed password check.
pub const INVALID: &str = "Email or password is incorrect.";

/// Checks throttling, then the credentials; records the attempt either way.
pub async fn attempt(
    state: &AppState,
    email: &str,
    password: &str,
    ip: IpAddr,
) -> AppResult<repo::User> {
    let email = email.trim().to_lowercase();
    let ip = ip.to_string();
    let now = state.clock.now();
    let window = SignedDuration::from_mins(state.config.security.login_lockout_minutes.0.into());
    let max = i64::from(state.config.security.login_max_failures.0);
    let since = ts(now.checked_sub(window).map_err(anyhow::Error::from)?);
    let (lookup, lookup_ip) = (email.clone(), ip.clone());
    let (user, failures) = state
        .db
        .read(move |c| -> AppResult<(Option<repo::User>, i64)> {
            let user = repo::find_user_by_email(c, &lookup)?;
            Ok((user, recent_failures(c, &lookup, &lookup_ip, &since)?))
        })
        .await?;
    if failures >= max {
        tracing::warn!(%ip, "sign-in paused after repeated failures");
        return Err(AppError::RateLimited {
            retry_after_secs: window.as_secs().unsigned_abs(),
        });
    }
    let user = user.filter(|u| !u.disabled);
    let ok = password::verify_blocking(
        password.to_owned(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    let user_id = user.as_ref().filter(|_| ok).map(|u| u.id.clone());
    state
        .db
        .write(move |tx| -> AppResult<()> {
            repo::record_login_attempt(tx, &email, &ip, user_id.is_some(), now)?;
            if let Some(id) = &user_id {
                repo::record_login(tx, id, now)?;
            }
            Ok(())
        })
        .await?;
    match user {
        Some(user) if ok => Ok(user),
        _ => Err(AppError::Unauthorized {
            code: "invalid_credentials",
            message: INVALID.into(),
        }),
    }
}

/// Failed attempts inside the window, for this account or this address,
/// since that account's or address's last success.
fn recent_failures(
    c: &rusqlite::Connection,
    email: &str,
    ip: &str,
    since: &str,
) -> rusqlite::Result<i64> {
    let count = |column: &str, key: &str| -> rusqlite::Result<i64> {
        c.prepare_cached(&format!(
            "SELECT COUNT(*) FROM login_attempts
             WHERE {column} = ?1 AND succeeded = 0 AND at > ?2
               AND at > COALESCE((SELECT MAX(at) FROM login_attempts WHERE {column} = ?1 AND succeeded = 1), '')"
        ))?
        .query_row(params![key, since], |r| r.get(0))
    };
    Ok(count("email", email)?.max(count("ip", ip)?))
}
