//! Booking pages: Details → Confirm → Reference, and the status page.

use jiff::civil::Date;
use maud::{Markup, html};

use super::model::{BookingStatus, ServiceType};
use super::repo::{Booking, Event, when};
use super::service::Availability;
use super::service::BookingInput;
use crate::config::Config;
use crate::error::FieldErrors;
use crate::web::layout::{self, Page, field, input, whatsapp_href};

fn v(x: &Option<String>) -> &str {
    x.as_deref().unwrap_or("")
}

fn steps(current: u8) -> Markup {
    html! {
        ol.steps aria-label="Booking steps" {
            @for (n, label) in [(1u8, "Details"), (2, "Confirm"), (3, "Reference")] {
                @if n == current {
                    li aria-current="step" { strong { (n) ". " (label) } }
                } @else {
                    li { (n) ". " (label) }
                }
            }
        }
    }
}

/// The booking's fields as hidden inputs, carried from one step to the next.
fn hidden_fields(input: &BookingInput) -> Markup {
    html! {
        @for (name, value) in [
            ("name", &input.name), ("phone", &input.phone), ("email", &input.email),
            ("vehicle_reg", &input.vehicle_reg), ("service_type", &input.service_type),
            ("preferred_date", &input.preferred_date), ("preferred_time", &input.preferred_time),
            ("notes", &input.notes),
        ] {
            input type="hidden" name=(name) value=(v(value));
        }
    }
}

fn honeypot() -> Markup {
    html! {
        div.hp aria-hidden="true" {
            label for="website" { "Leave this empty" }
            input #website type="text" name="website" tabindex="-1" autocomplete="off";
        }
    }
}

/// What the details form needs besides the input.
pub struct DetailsPage<'a> {
    pub input: &'a BookingInput,
    pub errors: &'a FieldErrors,
    pub day: Date,
    pub first_day: Date,
    pub last_day: Date,
    pub availability: &'a Availability,
    /// Free slots to suggest after a "slot full".
    pub alternatives: &'a [(String, String)],
}

pub fn details(c: &Config, p: &DetailsPage<'_>) -> Markup {
    let err = |f| p.errors.get(f);
    let chosen_time = v(&p.input.preferred_time);
    let free: Vec<&str> = p.availability.free_times().collect();
    let service = v(&p.input.service_type);
    layout::public(
        c,
        Page {
            title: "Book a service",
            description: "Book a workshop slot in a minute: pick a day and a free time.",
            body: html! {
                h1.page-title { "Book a service" }
                (steps(1))
                @if !p.errors.is_empty() {
                    p.alert.alert-error role="alert" { "Please check the fields marked below." }
                }
                form.form.booking-form method="post" action="/book" novalidate {
                    input type="hidden" name="step" value="review";
                    (field("Day", "preferred_date", err("preferred_date"), "",
                        html! {
                            input #preferred_date type="date" name="preferred_date" value=(p.day.to_string())
                                min=(p.first_day.to_string()) max=(p.last_day.to_string()) required
                                aria-invalid=[err("preferred_date").map(|_| "true")]
                                aria-describedby=[err("preferred_date").map(|_| "preferred_date-error")];
                        }))
                    button.btn.btn-secondary.btn-small.js-hide type="submit" name="step" value="dates" formnovalidate {
                        "Show free times"
                    }
                    fieldset.field.slots.has-error[err("preferred_time").is_some()] #slots data-capacity-url="/v1/availability" {
                        legend { "Time on " (p.day.strftime("%A %-d %B")) }
                        @if let Some(e) = err("preferred_time") {
                            p.field-error #preferred_time-error { (e) }
                        }
                        @if free.is_empty() {
                            p.empty {
                                @if p.availability.closed { "The workshop is closed on this day. " }
                                @else { "No free times on this day. " }
                                "Please choose another day."
                            }
                        } @else {
                            div.slot-grid {
                                @for t in &free {
                                    label.slot {
                                        input type="radio" name="preferred_time" value=(t) checked[*t == chosen_time] required;
                                        span { (t) }
                                    }
                                }
                            }
                        }
                        @if !p.alternatives.is_empty() {
                            p.hint { "Free soon:" }
                            ul.alternatives {
                                @for (d, t) in p.alternatives {
                                    li { a href={ "/book?date=" (d) "&service_type=" (service) } { (d) " " (t) } }
                                }
                            }
                        }
                    }
                    (field("Service", "service_type", err("service_type"), "",
                        html! {
                            select #service_type name="service_type" required
                                aria-invalid=[err("service_type").map(|_| "true")] {
                                option value="" { "Choose a service" }
                                @for t in ServiceType::ALL {
                                    option value=(t.as_str()) selected[t.as_str() == service] { (t.label(c)) }
                                }
                            }
                        }))
                    (field("Your name", "name", err("name"), "", input("text", "name", v(&p.input.name), err("name").is_some(), "name")))
                    (field("Phone", "phone", err("phone"),
                        "We send your confirmation here by SMS.",
                        input("tel", "phone", v(&p.input.phone), err("phone").is_some(), "tel")))
                    (field("Email (optional)", "email", err("email"), "",
                        input("email", "email", v(&p.input.email), err("email").is_some(), "email")))
                    (field("Vehicle registration (optional)", "vehicle_reg", err("vehicle_reg"), "As on the number plate, e.g. BT 1234.",
                        input("text", "vehicle_reg", v(&p.input.vehicle_reg), err("vehicle_reg").is_some(), "off")))
                    (field("What should we know? (optional)", "notes", err("notes"), "Noises, warning lights, anything else.",
                        html! {
                            textarea #notes name="notes" rows="3" maxlength="1000"
                                aria-invalid=[err("notes").map(|_| "true")] { (v(&p.input.notes)) }
                        }))
                    (honeypot())
                    button.btn.btn-primary.btn-block type="submit" name="step" value="review" { "Continue" }
                }
                script src=(crate::web::assets::url("book.js")) defer {}
            },
        },
    )
}

pub struct ConfirmPage<'a> {
    pub input: &'a BookingInput,
    pub errors: &'a FieldErrors,
    pub request_key: &'a str,
    pub service_label: &'a str,
    pub when: &'a str,
}

pub fn confirm(c: &Config, p: &ConfirmPage<'_>) -> Markup {
    let err = |f| p.errors.get(f);
    layout::public(
        c,
        Page {
            title: "Confirm your booking",
            description: "",
            body: html! {
                h1.page-title { "Confirm your booking" }
                (steps(2))
                @if !p.errors.is_empty() {
                    p.alert.alert-error role="alert" { "Please check the fields marked below." }
                }
                dl.summary {
                    dt { "Service" } dd { (p.service_label) }
                    dt { "When" } dd { (p.when) }
                    dt { "Name" } dd { (v(&p.input.name)) }
                    dt { "Phone" } dd { (v(&p.input.phone)) }
                    @if !v(&p.input.email).is_empty() { dt { "Email" } dd { (v(&p.input.email)) } }
                    @if !v(&p.input.vehicle_reg).is_empty() { dt { "Vehicle" } dd { (v(&p.input.vehicle_reg)) } }
                    @if !v(&p.input.notes).is_empty() { dt { "Notes" } dd { (v(&p.input.notes)) } }
                }
                form.form method="post" action="/book/confirm" enctype="multipart/form-data" {
                    (hidden_fields(p.input))
                    input type="hidden" name="request_key" value=(p.request_key);
                    (field("Photo or document (optional)", "attachment", err("attachment"),
                        "A photo of the problem or the registration document: JPEG, PNG, WebP or PDF, at most 5 MB.",
                        html! {
                            input #attachment type="file" name="attachment" accept="image/jpeg,image/png,image/webp,application/pdf"
                                aria-invalid=[err("attachment").map(|_| "true")];
                        }))
                    div.field.checkbox.has-error[err("consent").is_some()] {
                        input #consent type="checkbox" name="consent" value="on" required;
                        label for="consent" {
                            "I agree that " (c.business.name) " stores these details to handle my booking, as described in the "
                            a href="/privacy" { "privacy notice" } "."
                        }
                        @if let Some(e) = err("consent") {
                            p.field-error #consent-error { (e) }
                        }
                    }
                    (honeypot())
                    button.btn.btn-primary.btn-block type="submit" { "Confirm booking" }
                }
                form method="post" action="/book" {
                    (hidden_fields(p.input))
                    input type="hidden" name="step" value="edit";
                    button.btn.btn-secondary.btn-block type="submit" { "Change details" }
                }
            },
        },
    )
}

pub fn reference(c: &Config, b: &Booking, key: &str) -> Markup {
    let status_url = format!("/booking-status?ref={}", b.booking_ref);
    let ics_url = format!("/book/calendar.ics?ref={}&key={key}", b.booking_ref);
    let wa_text = format!(
        "Hello {}, about my booking {} ({}, {}).",
        c.business.name,
        b.booking_ref,
        b.service_type.label(c),
        when(b.preferred_date, b.preferred_time)
    );
    layout::public(
        c,
        Page {
            title: "Booking received",
            description: "",
            body: html! {
                h1.page-title { "Booking received" }
                (steps(3))
                section.reference {
                    p { "Your booking reference" }
                    p.booking-ref { (b.booking_ref) }
                    p.hint { "Keep it: you need it with your phone number to check or cancel the booking." }
                }
                p.notice {
                    "We will confirm by SMS to " (b.customer_phone) ". "
                    "If the time does not suit us, we will call you to agree another."
                }
                dl.summary {
                    dt { "Status" } dd { (b.status.label()) }
                    dt { "Service" } dd { (b.service_type.label(c)) }
                    dt { "When" } dd { (when(b.preferred_date, b.preferred_time)) }
                    dt { "Where" } dd { (c.business.address) }
                }
                div.btn-row {
                    a.btn.btn-primary href=(ics_url) download { "Add to calendar" }
                    a.btn.btn-whatsapp href=(whatsapp_href(&c.business.whatsapp, &wa_text)) rel="noopener" { "WhatsApp us" }
                    a.btn.btn-secondary href=(status_url) { "Check status" }
                }
            },
        },
    )
}

pub struct StatusPage<'a> {
    pub booking_ref: &'a str,
    pub phone: &'a str,
    pub error: Option<&'a str>,
    pub found: Option<(&'a Booking, &'a [Event])>,
    pub notice: Option<&'a str>,
}

pub fn status(c: &Config, p: &StatusPage<'_>) -> Markup {
    let local = |at: &str| layout::local_date_time(c, at);
    layout::public(
        c,
        Page {
            title: "Check a booking",
            description: "",
            body: html! {
                h1.page-title { "Check a booking" }
                @if let Some(notice) = p.notice {
                    p.alert.alert-success role="status" { (notice) }
                }
                @if let Some((b, history)) = p.found {
                    section.panel.booking-status {
                        p.booking-ref { (b.booking_ref) }
                        p { span class={ "badge badge-" (b.status.as_str()) } { (b.status.label()) } }
                        dl.summary {
                            dt { "Service" } dd { (b.service_type.label(c)) }
                            dt { "When" } dd { (when(b.preferred_date, b.preferred_time)) }
                            @if let Some(reg) = &b.vehicle_reg { dt { "Vehicle" } dd { (reg) } }
                        }
                        h2 { "History" }
                        ol.history {
                            @for e in history.iter() {
                                li { strong { (e.to.label()) } " — " (local(&e.at)) }
                            }
                        }
                        @if b.status.customer_may_cancel() {
                            form.form method="post" action="/booking-status/cancel" {
                                input type="hidden" name="ref" value=(b.booking_ref);
                                input type="hidden" name="phone" value=(p.phone);
                                button.btn.btn-danger type="submit" { "Cancel this booking" }
                            }
                        } @else if b.status != BookingStatus::Cancelled && b.status != BookingStatus::Completed {
                            p.hint { "The car is with us; to change anything please call " (c.business.phone) "." }
                        }
                    }
                } @else {
                    p.lead { "Enter your booking reference and the phone number you booked with." }
                    @if let Some(e) = p.error {
                        p.alert.alert-error role="alert" { (e) }
                    }
                    form.form method="post" action="/booking-status" {
                        (field("Booking reference", "ref", None, "Like DAY-20261124-001.",
                            input("text", "ref", p.booking_ref, p.error.is_some(), "off")))
                        (field("Phone", "phone", None, "", input("tel", "phone", p.phone, p.error.is_some(), "tel")))
                        button.btn.btn-primary.btn-block type="submit" { "Find my booking" }
                    }
                }
            },
        },
    )
}
