//! Signing in, for the HTML form and the JSON API alike: throttling, the
//! password check, and the same answer for an unknown email and a wrong
//! password.

use std::net::IpAddr;

use super::{password, repo};
use crate::db::ts;
use crate::error::{AppError, AppResult};
use crate::ids::UserId;
use crate::state::AppState;
use jiff::SignedDuration;

/// The one answer for every failed password check.
pub const INVALID: &str = "Email or password is incorrect.";

/// Checks throttling, then the credentials; records the attempt either way.
pub async fn attempt(
    state: &AppState,
    email: &str,
    password: &str,
    totp: Option<&str>,
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
            Ok((
                user,
                repo::recent_login_failures(c, &lookup, &lookup_ip, &since)?,
            ))
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
    let Some(user) = user.filter(|_| ok) else {
        record(state, email, ip, None).await?;
        return Err(AppError::Unauthorized {
            code: "invalid_credentials",
            message: INVALID.into(),
        });
    };
    let Some(secret) = user.totp_secret.clone() else {
        record(state, email, ip, Some(user.id.clone())).await?;
        return Ok(user);
    };
    // Two-step sign-in: the password was right; now the code.
    let Some(code) = totp
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
    else {
        return Err(AppError::Unauthorized {
            code: "totp_required",
            message: "Enter the 6-digit code from your authenticator app.".into(),
        });
    };
    let unix = u64::try_from(now.as_second()).unwrap_or(0);
    let id = user.id.clone();
    let accepted = state
        .db
        .write(move |tx| -> AppResult<bool> {
            // Re-read the last step inside the write: a code works once, even
            // for two sign-ins racing each other.
            let last = repo::totp_last_step(tx, &id)?;
            let accepted = if let Some(step) = super::totp::verify(&secret, &code, unix, last) {
                repo::set_totp_last_step(tx, &id, step)?;
                true
            } else {
                repo::use_recovery_code(tx, &id, &super::totp::recovery_hash(&code), now)?
            };
            repo::record_login_attempt(tx, &email, &ip, accepted, now)?;
            if accepted {
                repo::record_login(tx, &id, now)?;
            }
            Ok(accepted)
        })
        .await?;
    if accepted {
        Ok(user)
    } else {
        Err(AppError::Unauthorized {
            code: "invalid_totp",
            message: "That code is not valid. Use a fresh code from the app, or a recovery code."
                .into(),
        })
    }
}

/// Records a password check: success (with the user) or failure.
async fn record(
    state: &AppState,
    email: String,
    ip: String,
    user_id: Option<UserId>,
) -> AppResult<()> {
    let now = state.clock.now();
    state
        .db
        .write(move |tx| -> AppResult<()> {
            repo::record_login_attempt(tx, &email, &ip, user_id.is_some(), now)?;
            if let Some(id) = &user_id {
                repo::record_login(tx, id, now)?;
            }
            Ok(())
        })
        .await
}
