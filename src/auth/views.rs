//! Sign-in, first-run setup and dashboard pages.

use maud::{Markup, html};

use crate::config::Config;
use crate::error::FieldErrors;
use crate::web::layout::{self, field, input};

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
