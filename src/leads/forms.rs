//! The inquiry forms of the public pages (a vehicle's page, `/contact`):
//! rendering with errors and input kept, and the one way a form post
//! becomes a lead.

use std::net::IpAddr;

use maud::{Markup, html};

use super::model::{InquiryInput, LeadType};
use super::service;
use crate::bookings::service::Flag;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::ids::VehicleId;
use crate::state::AppState;

/// The state of the inquiry forms on a page.
pub enum Inquiry {
    /// Fresh forms, or the thank-you banner after `kind` was sent.
    Sent(Option<LeadType>),
    /// A form sent back with its errors and the visitor's input.
    Invalid {
        kind: LeadType,
        input: Box<InquiryInput>,
        errors: FieldErrors,
    },
}

/// Where a form stands: on a vehicle's page (folded until tapped) or on
/// its own (`/contact`, always open).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    Vehicle,
    CallBack,
}

/// One inquiry form (`kind` decides its fields and wording), open and
/// showing its errors when it is the one sent back.
pub fn inquiry_form(action: &str, kind: LeadType, place: Placement, state: &Inquiry) -> Markup {
    let (input_ref, errors) = match state {
        Inquiry::Invalid {
            kind: k,
            input,
            errors,
        } if *k == kind => (Some(input.as_ref()), Some(errors)),
        _ => (None, None),
    };
    let value = |f: fn(&InquiryInput) -> &Option<String>| {
        input_ref.and_then(|i| f(i).clone()).unwrap_or_default()
    };
    let err = |name: &str| errors.and_then(|e| e.get(name));
    let prefix = kind.as_str();
    let id = |name: &str| format!("{prefix}-{name}");
    let (title, button, message_label) = match kind {
        LeadType::PriceRequest => (
            "Request price",
            "Send price request",
            "Anything to add? (optional)",
        ),
        LeadType::TestDriveRequest => (
            "Request test drive",
            "Ask for a test drive",
            "Anything to add? (optional)",
        ),
        LeadType::General if place == Placement::CallBack => (
            "Request a call back",
            "Call me back",
            "What is it about? (optional)",
        ),
        LeadType::General => ("Contact seller", "Send message", "Your message"),
    };
    let about = match place {
        Placement::Vehicle => "this vehicle",
        Placement::CallBack => "my request",
    };
    let text_input = |kind_: &str, name: &str, v: String, auto: &str| {
        let described = format!("{}-error", id(name));
        html! {
            input id=(id(name)) name=(name) type=(kind_) value=(v) autocomplete=(auto)
                aria-invalid=[err(name).map(|_| "true")] aria-describedby=[err(name).map(|_| described.clone())];
        }
    };
    let row = |label: &str, name: &str, control: Markup, hint: &str| {
        html! {
            div.field.has-error[err(name).is_some()] {
                label for=(id(name)) { (label) }
                (control)
                @if let Some(e) = err(name) { p.field-error id={ (id(name)) "-error" } { (e) } }
                @if !hint.is_empty() { p.hint { (hint) } }
            }
        }
    };
    let consent_checked = input_ref
        .and_then(|i| i.consent.as_ref())
        .is_some_and(Flag::is_set);
    html! {
        details.inquiry id={ "inquire-" (prefix) } open[errors.is_some() || place == Placement::CallBack] {
            summary.btn.btn-secondary { (title) }
            form.form method="post" action=(action) novalidate {
                input type="hidden" name="type" value=(prefix);
                (row("Your name", "name", text_input("text", "name", value(|i| &i.name), "name"), ""))
                (row("Phone", "phone", text_input("tel", "phone", value(|i| &i.phone), "tel"), "We usually answer by phone or WhatsApp."))
                (row("Email (optional if you gave a phone)", "email", text_input("email", "email", value(|i| &i.email), "email"), ""))
                @if kind == LeadType::TestDriveRequest {
                    (row("Preferred day", "preferred_date", text_input("date", "preferred_date", value(|i| &i.preferred_date), "off"), ""))
                }
                (row(message_label, "message", html! {
                    textarea id=(id("message")) name="message" rows="3" maxlength="2000" { (value(|i| &i.message)) }
                }, ""))
                div.hp aria-hidden="true" {
                    label for=(id("website")) { "Leave this empty" }
                    input id=(id("website")) name="website" type="text" tabindex="-1" autocomplete="off";
                }
                div.field.checkbox.has-error[err("consent").is_some()] {
                    label {
                        input type="checkbox" name="consent" value="on" checked[consent_checked];
                        " You may contact me about " (about) ". See our " a href="/privacy" { "privacy notice" } "."
                    }
                    @if let Some(e) = err("consent") { p.field-error { (e) } }
                }
                button.btn.btn-primary type="submit" { (button) }
            }
        }
    }
}

/// The thank-you banner after a form was sent.
pub fn thanks(inquiry: &Inquiry) -> Markup {
    html! {
        @if let Inquiry::Sent(Some(kind)) = inquiry {
            div.notice.notice-success role="status" { (service::thank_you(*kind)) }
        }
    }
}

/// Handles a form post: a bot is thanked and forgotten, a person is rate
/// limited, then the inquiry is stored (`Sent`) or sent back with its
/// errors (`Invalid`).
pub async fn submit(
    state: &AppState,
    ip: IpAddr,
    mut input: InquiryInput,
    vehicle_id: Option<VehicleId>,
) -> AppResult<Inquiry> {
    let kind = input
        .kind
        .as_deref()
        .and_then(LeadType::parse)
        .unwrap_or(LeadType::General);
    state.limits.inquiries.check(ip)?;
    input.vehicle_id = vehicle_id.map(|id| id.to_string());
    let created = if input.is_bot() {
        // Checked like any inquiry, then thanked; nothing is stored.
        input
            .parse(&state.config, state.clock.now())
            .map(|_| ())
            .map_err(AppError::Validation)
    } else {
        service::create(state, &input).await.map(|_| ())
    };
    match created {
        Ok(_) => Ok(Inquiry::Sent(Some(kind))),
        Err(AppError::Validation(errors)) => Ok(Inquiry::Invalid {
            kind,
            input: Box::new(input),
            errors,
        }),
        Err(e) => Err(e),
    }
}
