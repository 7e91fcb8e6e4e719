//! Partials of the outbox shown on other pages.

use maud::{Markup, html};

use crate::config::Config;
use crate::gateways::{self, Channel};

/// The settings page's "send test message" forms, one per configured channel.
pub fn test_forms(config: &Config, csrf: &str, msg: Option<&str>) -> Markup {
    let notice = match msg {
        Some("test_queued") => Some((
            "alert-success",
            "Test message queued. Its outcome shows in the notifications log.",
        )),
        Some("test_invalid_to") => Some((
            "alert-error",
            "That recipient is not valid for the channel.",
        )),
        Some("test_invalid_channel") => Some(("alert-error", "That channel is not configured.")),
        _ => None,
    };
    html! {
        section.panel #test-message {
            h2 { "Send a test message" }
            p.muted { "The log provider only writes the message to the server log." }
            @if let Some((class, t)) = notice { p.alert.(class) role="status" { (t) } }
            @for ch in Channel::ALL.into_iter().filter(|ch| gateways::configured(config, *ch)) {
                form.toolbar method="post" action="/admin/settings/test-message" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="channel" value=(ch.as_str());
                    label { (ch.label()) " (" (gateways::provider_name(config, ch)) ") to "
                        @if ch == Channel::Email {
                            input type="email" name="to" required placeholder="you@example.com";
                        } @else {
                            input type="tel" name="to" required placeholder="0991 234 567";
                        }
                    }
                    button.btn.btn-small.btn-primary type="submit" { "Send test message" }
                }
            }
            p.muted { a href="/admin/notifications" { "Notifications log" } }
        }
    }
}
