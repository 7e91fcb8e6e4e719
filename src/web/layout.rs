//! Page shells: the public layout (header with "Book Service", footer with
//! contact details and opening hours), the admin layout (left nav) and the
//! small centred layout of the sign-in and setup pages.

use maud::{DOCTYPE, Markup, html};

use crate::config::{Config, WeekHours};
use crate::web::assets;

/// What a public page tells the layout about itself.
pub struct Page<'a> {
    pub title: &'a str,
    /// Meta description for search engines and link previews.
    pub description: &'a str,
    pub body: Markup,
}

fn head(config: &Config, title: &str, description: &str) -> Markup {
    head_with(config, title, description, html! {})
}

fn head_with(config: &Config, title: &str, description: &str, extra: Markup) -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
        title { (title) " · " (config.business.name) }
        @if !description.is_empty() {
            meta name="description" content=(description);
        }
        meta name="theme-color" content="#0b3d91";
        link rel="stylesheet" href=(assets::url("app.css"));
        link rel="icon" type="image/svg+xml" href=(assets::url("favicon.svg"));
        (extra)
    }
}

fn brand(config: &Config, href: &str) -> Markup {
    let initial = config.business.name.chars().next().unwrap_or('D');
    html! {
        a.brand href=(href) {
            span.brand-mark aria-hidden="true" { (initial) }
            span.brand-name { (config.business.name) }
        }
    }
}

/// The public layout.
pub fn public(config: &Config, page: Page<'_>) -> Markup {
    public_with_head(config, page, html! {})
}

/// The public layout with extra `<head>` content (link previews, structured data).
pub fn public_with_head(config: &Config, page: Page<'_>, extra: Markup) -> Markup {
    let b = &config.business;
    html! {
        (DOCTYPE)
        html lang="en" {
            head { (head_with(config, page.title, page.description, extra)) }
            body.public {
                a.skip-link href="#main" { "Skip to content" }
                header.site-header {
                    div.wrap.header-row {
                        (brand(config, "/"))
                        nav.site-nav aria-label="Main" {
                            a href="/services" { "Services" }
                            a href="/vehicles" { "Vehicles" }
                            a href="/about" { "About" }
                            a href="/contact" { "Contact" }
                        }
                        a.btn.btn-book href="/book" { "Book Service" }
                    }
                }
                main #main .wrap.page { (page.body) }
                footer.site-footer {
                    div.wrap.footer-grid {
                        section {
                            h2 { (b.name) }
                            p { (b.address) }
                        }
                        section {
                            h2 { "Contact" }
                            (contact_list(config))
                        }
                        section {
                            h2 { "Opening hours" }
                            (hours_list(&config.booking.hours))
                        }
                    }
                    div.wrap.footer-legal {
                        nav aria-label="Footer" {
                            a href="/about" { "About" }
                            a href="/services" { "Services" }
                            a href="/booking-status" { "Check a booking" }
                            a href="/privacy" { "Privacy" }
                        }
                        p { "© " (b.name) }
                    }
                }
            }
        }
    }
}

/// Phone, WhatsApp and email links of the business.
pub fn contact_list(config: &Config) -> Markup {
    let b = &config.business;
    html! {
        ul.contact-list {
            li { a href=(tel_href(&b.phone)) { "Call " (b.phone) } }
            @if !b.whatsapp.is_empty() {
                li { a href=(whatsapp_href(&b.whatsapp, "")) rel="noopener" { "WhatsApp us" } }
            }
            li { a href={ "mailto:" (b.email) } { (b.email) } }
        }
    }
}

/// `tel:` link for a phone number as written on the site.
pub fn tel_href(phone: &str) -> String {
    let digits: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    format!("tel:{digits}")
}

/// `https://wa.me/` link, optionally with a prefilled message.
pub fn whatsapp_href(number: &str, text: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if text.is_empty() {
        format!("https://wa.me/{digits}")
    } else {
        let encoded: String = url_encode(text);
        format!("https://wa.me/{digits}?text={encoded}")
    }
}

/// `a=1&b=x%20y` from (name, value) pairs, leaving out empty values.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Opening hours with consecutive days of equal hours grouped ("Mon–Fri").
pub fn hours_list(hours: &WeekHours) -> Markup {
    html! {
        dl.hours {
            @for (days, time) in opening_hours_rows(hours) {
                dt { (days) }
                dd { (time) }
            }
        }
    }
}

/// `[("Mon–Fri", "07:30–17:00"), ("Sat", "08:00–12:00"), ("Sun", "Closed")]`.
pub fn opening_hours_rows(hours: &WeekHours) -> Vec<(String, String)> {
    use jiff::civil::Weekday::*;
    let days = [
        (Monday, "Mon"),
        (Tuesday, "Tue"),
        (Wednesday, "Wed"),
        (Thursday, "Thu"),
        (Friday, "Fri"),
        (Saturday, "Sat"),
        (Sunday, "Sun"),
    ];
    let label = |day| match hours.on(day).0 {
        None => "Closed".to_owned(),
        Some((open, close)) => format!("{}–{}", open.strftime("%H:%M"), close.strftime("%H:%M")),
    };
    let mut rows: Vec<(&str, &str, String)> = Vec::new();
    for (day, name) in days {
        let time = label(day);
        match rows.last_mut() {
            Some((_, last, t)) if *t == time => *last = name,
            _ => rows.push((name, name, time)),
        }
    }
    rows.into_iter()
        .map(|(first, last, time)| {
            let days = if first == last {
                first.to_owned()
            } else {
                format!("{first}–{last}")
            };
            (days, time)
        })
        .collect()
}

/// Who is signed in, as the admin layout shows it.
pub struct AdminUser<'a> {
    pub name: &'a str,
    /// The role's name as staff read it.
    pub role: &'a str,
    /// The session's CSRF token for the sign-out form.
    pub csrf: &'a str,
    /// The sections this user may open: (path, label).
    pub nav: Vec<(&'static str, &'static str)>,
}

/// The admin layout; `active` is the nav path to highlight.
pub fn admin(
    config: &Config,
    user: &AdminUser<'_>,
    title: &str,
    active: &str,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                (head(config, title, ""))
                meta name="robots" content="noindex";
            }
            body.admin {
                div.admin-shell {
                    aside.admin-nav {
                        (brand(config, "/admin"))
                        nav aria-label="Admin" {
                            @for (path, label) in &user.nav {
                                @if *path == active {
                                    a href=(path) aria-current="page" { (label) }
                                } @else {
                                    a href=(path) { (label) }
                                }
                            }
                        }
                        div.admin-user {
                            span { (user.name) " · " (user.role) }
                            a href="/admin/account/2fa" { "Two-step sign-in" }
                            form method="post" action="/admin/logout" {
                                input type="hidden" name="csrf" value=(user.csrf);
                                button.btn.btn-small.btn-secondary type="submit" { "Sign out" }
                            }
                        }
                    }
                    main.admin-main #main {
                        header.admin-header { h1 { (title) } }
                        (body)
                    }
                }
            }
        }
    }
}

/// The small centred layout of the sign-in and first-run setup pages.
pub fn auth(config: &Config, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                (head(config, title, ""))
                meta name="robots" content="noindex";
            }
            body.auth {
                main.auth-card #main {
                    (brand(config, "/"))
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A form field: label, control, error message (if any) and hint, wired
/// together with `aria-describedby` so screen readers read the error.
pub fn field(label: &str, name: &str, error: Option<&str>, hint: &str, control: Markup) -> Markup {
    let error_id = format!("{name}-error");
    html! {
        div.field.has-error[error.is_some()] {
            label for=(name) { (label) }
            (control)
            @if let Some(error) = error {
                p.field-error id=(error_id) { (error) }
            }
            @if !hint.is_empty() {
                p.hint { (hint) }
            }
        }
    }
}

/// A `<select>` of (value, label) options with `current` selected.
pub fn select<V: AsRef<str>, L: AsRef<str>>(
    name: &str,
    current: &str,
    options: &[(V, L)],
) -> Markup {
    html! {
        select id=(name) name=(name) {
            @for (value, label) in options {
                option value=(value.as_ref()) selected[value.as_ref() == current] { (label.as_ref()) }
            }
        }
    }
}

/// A text-like `<input>` that keeps the user's value and points at its error.
pub fn input(kind: &str, name: &str, value: &str, invalid: bool, autocomplete: &str) -> Markup {
    let described = format!("{name}-error");
    html! {
        input id=(name) name=(name) type=(kind) value=(value) autocomplete=(autocomplete)
            aria-invalid=[invalid.then_some("true")]
            aria-describedby=[invalid.then_some(&described)];
    }
}

/// "1 vehicle", "2,431 vehicles".
pub fn count_of(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", thousands(n))
    }
}

/// `12500000` → `12,500,000`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A stored UTC time (an `*_at` column) in the business time zone, e.g.
/// "Tue 24 Nov 14:05"; the text as stored if it is not a time.
pub fn local_time(config: &Config, at: &str) -> String {
    local_time_as(config, at, "%a %-d %b %H:%M")
}

/// Like `local_time`, with the year: "Tue 24 Nov 2026, 14:05".
pub fn local_date_time(config: &Config, at: &str) -> String {
    local_time_as(config, at, "%a %-d %b %Y, %H:%M")
}

fn local_time_as(config: &Config, at: &str, format: &str) -> String {
    at.parse::<jiff::Timestamp>()
        .map(|t| {
            t.to_zoned(config.business.timezone.tz().clone())
                .strftime(format)
                .to_string()
        })
        .unwrap_or_else(|_| at.to_owned())
}
