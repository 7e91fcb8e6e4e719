//! Sign-in, first-run setup and dashboard pages.

use maud::{Markup, html};

use crate::config::Config;
use crate::error::FieldErrors;
use crate::web::layout::{self, AdminUser, field, input};

/// What the user typed into the sign-in form (never the password).
#[derive(Default)]
pub struct LoginValues<'a> {
    pub email: &'a str,
    pub next: &'a str,
}

pub fn login(
    config: &Config,
    csrf: &str,
    values: &LoginValues<'_>,
    error: Option<&str>,
    notice: Option<&str>,
) -> Markup {
    layout::auth(
        config,
        "Staff sign-in",
        html! {
            @if let Some(notice) = notice {
                p.alert.alert-success role="status" { (notice) }
            }
            @if let Some(error) = error {
                p.alert.alert-error role="alert" { (error) }
            }
            form.form method="post" action="/admin/login" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="next" value=(values.next);
                (field("Email", "email", None, "", input("email", "email", values.email, error.is_some(), "username")))
                (field("Password", "password", None, "", input("password", "password", "", error.is_some(), "current-password")))
                (field("Authentication code", "totp", None, "Only if you turned on two-step sign-in: the 6-digit code from your app, or a recovery code.",
                    input("text", "totp", "", false, "one-time-code")))
                button.btn.btn-primary.btn-block type="submit" { "Sign in" }
            }
        },
    )
}

/// What the user typed into the setup form (never the passwords).
#[derive(Default)]
pub struct SetupValues<'a> {
    pub email: &'a str,
    pub name: &'a str,
}

pub fn setup(
    config: &Config,
    token: &str,
    csrf: &str,
    values: &SetupValues<'_>,
    errors: &FieldErrors,
) -> Markup {
    let err = |f| errors.get(f);
    layout::auth(
        config,
        "Create the first admin",
        html! {
            p.lead {
                "Welcome to " (config.business.name) "'s Daytona. This account runs everything: "
                "keep the password safe. You can add the rest of the staff afterwards."
            }
            @if !errors.is_empty() {
                p.alert.alert-error role="alert" { "Please correct the fields marked below." }
            }
            form.form method="post" action="/admin/setup" {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="token" value=(token);
                (field("Your name", "name", err("name"), "", input("text", "name", values.name, err("name").is_some(), "name")))
                (field("Email", "email", err("email"), "You sign in with this address.", input("email", "email", values.email, err("email").is_some(), "username")))
                (field("Password", "password", err("password"),
                    &format!("At least {} characters. A short sentence is easy to remember.", super::model::MIN_PASSWORD_LEN),
                    input("password", "password", "", err("password").is_some(), "new-password")))
                (field("Repeat the password", "password_confirm", err("password_confirm"), "",
                    input("password", "password_confirm", "", err("password_confirm").is_some(), "new-password")))
                button.btn.btn-primary.btn-block type="submit" { "Create admin account" }
            }
        },
    )
}

/// Counts shown on the dashboard.
pub struct DashboardCounts {
    pub today_by_status: Vec<(String, i64)>,
    pub awaiting_confirmation: i64,
    pub week_bookings: i64,
    pub new_leads: i64,
    pub vehicles_available: i64,
    /// The newest leads nobody has answered yet.
    pub pending_leads: Vec<crate::leads::repo::Lead>,
}

pub fn dashboard(config: &Config, user: &AdminUser<'_>, counts: &DashboardCounts) -> Markup {
    let today_total: i64 = counts.today_by_status.iter().map(|(_, n)| n).sum();
    layout::admin(
        config,
        user,
        "Dashboard",
        "/admin",
        html! {
            div.stats {
                div.stat { span.stat-value { (today_total) } span.stat-label { "Bookings today" } }
                div.stat { span.stat-value { (counts.awaiting_confirmation) } span.stat-label { "Awaiting confirmation" } }
                div.stat { span.stat-value { (counts.week_bookings) } span.stat-label { "Bookings this week" } }
                a.stat href="/admin/leads?status=new" { span.stat-value { (counts.new_leads) } span.stat-label { "New leads" } }
                div.stat { span.stat-value { (counts.vehicles_available) } span.stat-label { "Vehicles for sale" } }
            }
            section.panel {
                h2 { "Today's bookings by status" }
                @if counts.today_by_status.is_empty() {
                    p.empty { "No bookings for today yet." }
                } @else {
                    div.table-wrap {
                        table.data {
                            thead { tr { th { "Status" } th { "Bookings" } } }
                            tbody {
                                @for (status, n) in &counts.today_by_status {
                                    tr {
                                        td { span class={ "badge badge-" (status) } { (status.replace('_', " ")) } }
                                        td { (n) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section.panel {
                h2 { "Leads waiting for an answer" }
                @if counts.pending_leads.is_empty() {
                    p.empty { "No pending leads. Well done." }
                } @else {
                    ul.pending-leads {
                        @for l in &counts.pending_leads {
                            li {
                                a href={ "/admin/leads/" (l.id) } { (l.name) }
                                " · " (l.kind.label())
                                @if let Some(t) = &l.vehicle_title { " · " (t) }
                                " · " span.muted { (crate::leads::admin_pages::local_time(config, &l.created_at)) }
                            }
                        }
                    }
                    a href="/admin/leads?status=new" { "All new leads" }
                }
            }
        },
    )
}
