//! Handlers and views of the site pages (see the module header).

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use maud::{Markup, html};

use crate::bookings::model::ServiceType;
use crate::config::Config;
use crate::error::AppResult;
use crate::leads::forms::{self, Inquiry, Placement, inquiry_form};
use crate::leads::model::{InquiryInput, LeadType};
use crate::state::AppState;
use crate::web::client::ClientIp;
use crate::web::extract::{Form, Query};
use crate::web::layout::{self, Page, hours_list, tel_href, whatsapp_href};

pub async fn view_home_get(State(state): State<AppState>) -> Markup {
    let c = &state.config;
    let b = &c.business;
    layout::public(
        c,
        Page {
            title: "Car service, repairs and quality vehicles",
            description: &format!(
                "{} — book a workshop slot online in a minute, or browse quality vehicles for sale.",
                b.name
            ),
            body: html! {
                section.hero {
                    h1 { "Service you can book in a minute. Cars you can trust." }
                    p.lead {
                        "Book a workshop slot from your phone, no account needed. You get a booking "
                        "reference straight away and an SMS when we confirm."
                    }
                    div.actions {
                        a.btn.btn-primary href="/book" { "Book a service" }
                        a.btn.btn-secondary href="/vehicles" { "See vehicles for sale" }
                    }
                }
                section {
                    h2 { "What we do" }
                    div.cards {
                        @for t in ServiceType::ALL {
                            article.card {
                                h3 { (t.label(c)) }
                                p { (t.description()) }
                                a.card-link href={ "/services#" (t.as_str()) } { "More about " (t.label(c).to_lowercase()) }
                            }
                        }
                    }
                }
                section {
                    h2 { "How booking works" }
                    ol.features {
                        li { strong { "Pick a day and time. " } "Only free slots are shown." }
                        li { strong { "Get your reference. " } "Keep it to check or cancel your booking." }
                        li { strong { "We confirm by SMS. " } "And remind you the day before." }
                        li { strong { "Drop the car off. " } "We call you when it is ready to collect." }
                    }
                    div.btn-row {
                        a.btn.btn-primary href="/book" { "Book now" }
                        a.btn.btn-secondary href="/booking-status" { "Check a booking" }
                    }
                }
                section.contact-block {
                    h2 { "Visit or call" }
                    p { (b.address) }
                    (hours_list(&c.booking.hours))
                    div.btn-row {
                        a.btn.btn-secondary href=(tel_href(&b.phone)) { "Call " (b.phone) }
                        @if !b.whatsapp.is_empty() {
                            a.btn.btn-whatsapp href=(whatsapp_href(&b.whatsapp, "")) rel="noopener" { "WhatsApp" }
                        }
                    }
                }
            },
        },
    )
}

pub async fn view_about_get(State(state): State<AppState>) -> Markup {
    let c = &state.config;
    let name = &c.business.name;
    layout::public(
        c,
        Page {
            title: "About us",
            description: &format!("About {name}: car sales and a full-service workshop in Malawi."),
            body: html! {
                h1.page-title { "About " (name) }
                div.prose {
                    p.lead {
                        (name) " is a car dealership and service workshop. We sell carefully inspected "
                        "used, new and refurbished vehicles, and we keep them — and yours — on the road."
                    }
                    h2 { "The workshop" }
                    p {
                        "Our workshop has " (c.booking.capacity_per_slot.0) " service bays and trained "
                        "technicians for routine servicing, tyres and alignment, suspension, brakes and "
                        "diagnostics. Book a slot online and we confirm it by SMS; when you drop the car "
                        "off we check it in, and we let you know the moment it is ready for collection."
                    }
                    h2 { "Vehicles for sale" }
                    p {
                        "Every vehicle we list has been inspected in our own workshop. Prices are shown "
                        "in " (c.business.currency) "; where a price is on request, ask and we answer "
                        "the same working day. You can ask for a test drive straight from the listing."
                    }
                    h2 { "Why customers come back" }
                    ul {
                        li { "Clear booking references and honest time estimates." }
                        li { "We ask before doing any work that was not booked." }
                        li { "Reminders before your appointment, so nobody waits in vain." }
                    }
                    p {
                        a.btn.btn-primary href="/book" { "Book a service" }
                    }
                }
            },
        },
    )
}

pub async fn view_services_get(State(state): State<AppState>) -> Markup {
    let c = &state.config;
    layout::public(
        c,
        Page {
            title: "Services",
            description: "Oil changes, full services, tyres and alignment, suspension and brake checks, diagnostics.",
            body: html! {
                h1.page-title { "Workshop services" }
                p.lead {
                    "Choose the service when you book. Not sure what your car needs? Pick "
                    "“" (ServiceType::Other.label(c)) "” and describe the problem."
                }
                div.service-list {
                    @for t in ServiceType::ALL {
                        article.service id=(t.as_str()) {
                            h2 { (t.label(c)) }
                            p { (t.description()) }
                            p.service-meta { (t.typical_duration()) }
                            a.btn.btn-secondary.btn-small href={ "/book?service_type=" (t.as_str()) } { "Book " (t.label(c).to_lowercase()) }
                        }
                    }
                }
            },
        },
    )
}

#[derive(serde::Deserialize)]
pub struct SentParam {
    sent: Option<String>,
}

pub async fn view_contact_get(State(state): State<AppState>, Query(q): Query<SentParam>) -> Markup {
    let sent = q.sent.as_deref().and_then(LeadType::parse);
    contact_page(&state.config, &Inquiry::Sent(sent))
}

/// `POST /contact`: the call-back form.
pub async fn view_contact_post(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Form(input): Form<InquiryInput>,
) -> AppResult<Response> {
    match forms::submit(&state, ip, input, None).await? {
        Inquiry::Sent(_) => Ok(Redirect::to("/contact?sent=general#call-back").into_response()),
        invalid => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            contact_page(&state.config, &invalid),
        )
            .into_response()),
    }
}

fn contact_page(c: &Config, inquiry: &Inquiry) -> Markup {
    let b = &c.business;
    layout::public(
        c,
        Page {
            title: "Contact",
            description: &format!("Address, phone, WhatsApp and opening hours of {}.", b.name),
            body: html! {
                h1.page-title { "Contact us" }
                div.cards {
                    section.card.contact-block {
                        h2 { "Find us" }
                        address { (b.address) }
                    }
                    section.card.contact-block {
                        h2 { "Call or message" }
                        div.btn-row {
                            a.btn.btn-primary href=(tel_href(&b.phone)) { "Call " (b.phone) }
                            @if !b.whatsapp.is_empty() {
                                a.btn.btn-whatsapp href=(whatsapp_href(&b.whatsapp, &format!("Hello {}, ", b.name))) rel="noopener" { "WhatsApp us" }
                            }
                        }
                        p { "Email: " a href={ "mailto:" (b.email) } { (b.email) } }
                    }
                    section.card.contact-block {
                        h2 { "Opening hours" }
                        (hours_list(&c.booking.hours))
                        @if !c.booking.closed_dates.is_empty() {
                            p.muted { "Also closed on: "
                                (c.booking.closed_dates.iter().map(|d| d.strftime("%-d %b %Y").to_string()).collect::<Vec<_>>().join(", ")) }
                        }
                    }
                }
                p.notice { "For the workshop, the quickest way is to " a href="/book" { "book a slot online" } "." }
                section #call-back .call-back {
                    h2 { "Ask us to call you back" }
                    p { "Looking for a car, or a question about a repair? Leave your number and we will call you." }
                    (forms::thanks(inquiry))
                    (inquiry_form("/contact", LeadType::General, Placement::CallBack, inquiry))
                }
            },
        },
    )
}

pub async fn view_privacy_get(State(state): State<AppState>) -> Markup {
    let c = &state.config;
    let b = &c.business;
    let r = &c.retention;
    let years = |days: u32| -> String {
        if days.is_multiple_of(365) {
            let y = days / 365;
            format!("{y} year{}", if y == 1 { "" } else { "s" })
        } else {
            format!("{days} days")
        }
    };
    layout::public(
        c,
        Page {
            title: "Privacy",
            description: &format!("What {} stores about you, why, and for how long.", b.name),
            body: html! {
                h1.page-title { "Privacy" }
                div.prose {
                    p.lead {
                        "We keep only what we need to service your car and answer your questions, "
                        "we keep it on our own server, and we delete it when it is no longer needed."
                    }
                    h2 { "What we store and why" }
                    ul {
                        li { strong { "Bookings: " } "your name, phone number, optional email, vehicle registration, "
                            "the service, the date and time, your notes and any photo or document you attach — "
                            "to plan the job, contact you about it and keep a service history." }
                        li { strong { "Vehicle inquiries: " } "your name, phone number and/or email, your message and "
                            "the vehicle you asked about — to answer you." }
                        li { strong { "Messages we send: " } "a record of each SMS, email or WhatsApp message "
                            "(recipient and text) — to know it was delivered and to resend it if needed." }
                        li { strong { "Staff activity: " } "which staff member changed what — to keep your booking safe from mistakes and misuse." }
                    }
                    p { "We ask for your consent on every form. We do not sell or share your data, and we use "
                        "it only for your booking or inquiry — no marketing messages." }
                    h2 { "How long we keep it" }
                    div.table-wrap {
                        table.data {
                            thead { tr { th { "What" } th { "Kept for" } th { "Then" } } }
                            tbody {
                                tr { td { "Bookings" } td { (years(r.bookings_days.0)) } td { "Anonymised: name, phone, email, registration and notes are removed" } }
                                tr { td { "Inquiries (leads)" } td { (years(r.leads_days.0)) } td { "Deleted" } }
                                tr { td { "Record of messages sent" } td { (years(r.notifications_days.0)) } td { "Deleted" } }
                                tr { td { "Staff activity log" } td { (years(r.audit_days.0)) } td { "Deleted" } }
                            }
                        }
                    }
                    p { "Backups are kept for " (c.backup.keep.0) " days and then overwritten." }
                    h2 { "Your rights" }
                    p { "You can ask to see, correct or delete what we hold about you. Contact us at "
                        a href={ "mailto:" (b.email) } { (b.email) } " or call " a href=(tel_href(&b.phone)) { (b.phone) } "." }
                    p.muted { "Cookies: the public site sets none. Staff pages use one sign-in cookie." }
                }
            },
        },
    )
}

pub async fn robots_txt(State(state): State<AppState>) -> impl IntoResponse {
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /v1/\nDisallow: /booking-status\nAllow: /\n\nSitemap: {}/sitemap.xml\n",
        state.config.base_url()
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
}
