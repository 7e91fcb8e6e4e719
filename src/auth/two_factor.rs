//! `/admin/account/2fa`: turn two-step sign-in on (scan the QR code, confirm
//! one code, keep the recovery codes) or off.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use serde_json::json;

use super::session::{Staff, verify_form};
use super::{repo, totp};
use crate::audit;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::extract::Form;
use crate::web::layout::{self, field, input};

fn page(state: &AppState, staff: &Staff, body: Markup) -> Markup {
    let user = staff.view();
    layout::admin(
        &state.config,
        &user,
        "Two-step sign-in",
        "/admin/account/2fa",
        body,
    )
}

fn enrol_form(
    state: &AppState,
    staff: &Staff,
    secret: &str,
    error: Option<&str>,
) -> AppResult<Markup> {
    let url = totp::otpauth_url(secret, &staff.user.email, &state.config.business.name)?;
    let svg = totp::qr_svg(&url)?;
    Ok(page(
        state,
        staff,
        html! {
            @if state.config.security.require_totp {
                p.alert.alert-error role="alert" { "Two-step sign-in is required here. Set it up to continue." }
            }
            section.panel {
                h2 { "1. Scan this code" }
                p { "Open an authenticator app (Google Authenticator, Microsoft Authenticator, Aegis…) and scan:" }
                div.qr { (PreEscaped(svg)) }
                p.hint { "Cannot scan? Enter this key by hand: " code { (secret) } }
                h2 { "2. Enter the code the app shows" }
                form.form method="post" action="/admin/account/2fa" {
                    input type="hidden" name="csrf" value=(staff.csrf);
                    input type="hidden" name="secret" value=(secret);
                    (field("6-digit code", "code", error, "", input("text", "code", "", error.is_some(), "one-time-code")))
                    button.btn.btn-primary type="submit" { "Turn on two-step sign-in" }
                }
            }
        },
    ))
}

pub async fn view_2fa_get(State(state): State<AppState>, staff: Staff) -> AppResult<Markup> {
    if staff.user.totp_secret.is_none() {
        return enrol_form(&state, &staff, &totp::new_secret(), None);
    }
    let id = staff.user.id.clone();
    let left: i64 = state
        .db
        .read(move |c| repo::unused_recovery_codes(c, &id).map_err(AppError::from))
        .await?;
    Ok(page(
        &state,
        &staff,
        html! {
            section.panel {
                p.alert.alert-success { "Two-step sign-in is on for " (staff.user.email) "." }
                p { (left) " unused recovery codes left." }
                @if !state.config.security.require_totp {
                    form.form method="post" action="/admin/account/2fa/disable" {
                        input type="hidden" name="csrf" value=(staff.csrf);
                        (field("Current code", "code", None, "To turn it off, confirm with a code from the app.", input("text", "code", "", false, "one-time-code")))
                        button.btn.btn-danger type="submit" { "Turn off" }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
}

pub async fn view_2fa_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<EnrolForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    if staff.user.totp_secret.is_some() {
        return Ok(Redirect::to("/admin/account/2fa").into_response());
    }
    let now = state.clock.now();
    let unix = u64::try_from(now.as_second()).unwrap_or(0);
    let Some(step) = totp::verify(&form.secret, &form.code, unix, None) else {
        let page = enrol_form(
            &state,
            &staff,
            &form.secret,
            Some("That code does not match. Check the phone's clock and try the next code."),
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let codes = totp::recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_hash(c)).collect();
    let (actor, secret) = (staff.actor(), form.secret.clone());
    let id = staff.user.id.clone();
    state
        .db
        .write(move |tx| -> AppResult<()> {
            repo::enable_totp(tx, &id, &secret, step, &hashes, now)?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    action: "user.totp_on",
                    entity_type: "user",
                    entity_id: id.as_str(),
                    before: json!({"totp": false}),
                    after: json!({"totp": true}),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    Ok(page(
        &state,
        &staff,
        html! {
            section.panel {
                p.alert.alert-success role="status" { "Two-step sign-in is on." }
                h2 { "Your recovery codes" }
                p { "Each works once if you lose your phone. Write them down now: they are not shown again." }
                ol.recovery-codes { @for c in &codes { li { code { (c) } } } }
                a.btn.btn-primary href=(staff.user.role.home()) { "Done" }
            }
        },
    )
    .into_response())
}

#[derive(Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
}

pub async fn view_2fa_disable_post(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Form(form): Form<DisableForm>,
) -> AppResult<Response> {
    verify_form(&headers, &staff.csrf, &form.csrf)?;
    if state.config.security.require_totp {
        return Err(AppError::forbidden(
            "totp_required",
            "Two-step sign-in is required on this system.",
        ));
    }
    let Some(secret) = staff.user.totp_secret.clone() else {
        return Ok(Redirect::to("/admin/account/2fa").into_response());
    };
    let unix = u64::try_from(state.clock.now().as_second()).unwrap_or(0);
    if totp::verify(&secret, &form.code, unix, staff.user.totp_last_step).is_none() {
        return Err(AppError::forbidden(
            "invalid_totp",
            "That code is not valid; two-step sign-in stays on.",
        ));
    }
    let (actor, id, now) = (staff.actor(), staff.user.id.clone(), state.clock.now());
    state
        .db
        .write(move |tx| -> AppResult<()> {
            repo::disable_totp(tx, &id, now)?;
            audit::record(
                tx,
                &actor,
                audit::Change {
                    action: "user.totp_off",
                    entity_type: "user",
                    entity_id: id.as_str(),
                    before: json!({"totp": true}),
                    after: json!({"totp": false}),
                },
                now,
            )?;
            Ok(())
        })
        .await?;
    Ok(Redirect::to("/admin/account/2fa").into_response())
}
