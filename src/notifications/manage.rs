//! Staff management of the outbox, shared by the admin pages and the admin
//! API: the filtered log, one message, resending a failed one and queueing a
//! test message (both audited).

use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use super::repo::{self, Filter, Notification};
use super::{Subject, messages};
use crate::audit::{self, actor::Actor};
use crate::auth::access::{Permission, require};
use crate::auth::model::Email;
use crate::config::Config;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::gateways::{self, Channel};
use crate::ids::NotificationId;
use crate::phone::Phone;
use crate::state::AppState;
use crate::web::paging::{Page, Paging};

pub const STATUSES: [&str; 3] = ["queued", "sent", "failed"];

/// The log's filters, as sent by the page and the API.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `queued`, `sent` or `failed`.
    pub status: Option<String>,
    /// `email`, `sms` or `whatsapp`.
    pub channel: Option<String>,
    /// From 1.
    #[param(minimum = 1)]
    pub page: Option<u32>,
    /// Default 50.
    #[param(minimum = 1, maximum = 100)]
    pub per_page: Option<u32>,
}

impl ListQuery {
    pub fn parse(&self) -> Result<Filter, FieldErrors> {
        let mut errors = FieldErrors::new();
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let status = given(&self.status).and_then(|s| {
            let found = STATUSES.into_iter().find(|k| *k == s);
            if found.is_none() {
                errors.add("status", "Use queued, sent or failed.");
            }
            found
        });
        let channel = given(&self.channel).and_then(|c| {
            let found = Channel::parse(&c);
            if found.is_none() {
                errors.add("channel", "Use email, sms or whatsapp.");
            }
            found
        });
        let paging = Paging::parse(self.page, self.per_page, 50, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            status,
            channel,
            paging,
        })
    }
}

/// Queues a failed message again, from a fresh attempt count. Anything but
/// a failed message is a 409: a queued one is on its way, a sent one arrived.
pub async fn resend(
    state: &AppState,
    actor: &Actor,
    id: &NotificationId,
) -> AppResult<Notification> {
    require(actor.role, Permission::ManageNotifications)?;
    let now = state.clock.now();
    let (actor, id) = (actor.clone(), id.clone());
    state
        .db
        .write(move |tx| -> AppResult<Notification> {
            let before = repo::find(tx, &id)?.ok_or(AppError::NotFound)?;
            if before.status != "failed" {
                return Err(AppError::Conflict {
                    code: "not_failed",
                    message: "Only a failed message can be sent again.".into(),
                    details: json!({"status": before.status}),
                });
            }
            repo::requeue(tx, &id, now)?;
            let change = audit::Change {
                action: "notification.resend",
                entity_type: "notification",
                entity_id: id.as_str(),
                before: json!({"status": before.status, "attempts": before.attempts}),
                after: json!({"status": "queued", "attempts": 0}),
            };
            audit::record(tx, &actor, change, now)?;
            repo::find(tx, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// A test message request, parsed: a configured channel and a recipient
/// valid for it.
pub fn parse_test(
    config: &Config,
    channel: &str,
    to: &str,
) -> Result<(Channel, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(channel) = Channel::parse(channel.trim()) else {
        errors.add("channel", "Use email, sms or whatsapp.");
        return Err(errors);
    };
    if !gateways::configured(config, channel) {
        errors.add(
            "channel",
            format!(
                "{} is not configured ([whatsapp] provider is \"none\").",
                channel.label()
            ),
        );
        return Err(errors);
    }
    let to = match channel {
        Channel::Email => Email::parse(to).map(|e| e.as_str().to_owned()),
        Channel::Sms | Channel::WhatsApp => Phone::parse(to).map(|p| p.as_str().to_owned()),
    };
    to.map(|to| (channel, to)).map_err(|why| {
        errors.add("to", why);
        errors
    })
}

/// Queues a test message; returns the new row.
pub async fn queue_test(
    state: &AppState,
    actor: &Actor,
    channel: Channel,
    to: String,
) -> AppResult<Notification> {
    require(actor.role, Permission::ManageNotifications)?;
    let now = state.clock.now();
    let (config, actor) = (state.config.clone(), actor.clone());
    state
        .db
        .write(move |tx| -> AppResult<Notification> {
            let message = messages::test_message(&config, channel.label());
            let id = super::enqueue(tx, channel, &to, "test", &message, Subject::default(), now)?;
            let change = audit::Change {
                action: "notification.test",
                entity_type: "notification",
                entity_id: id.as_str(),
                before: json!({}),
                after: json!({"channel": channel.as_str(), "to": to}),
            };
            audit::record(tx, &actor, change, now)?;
            repo::find(tx, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

/// One page of the log, newest first.
pub async fn list(state: &AppState, filter: Filter) -> AppResult<Page<Notification>> {
    let paging = filter.paging;
    let (items, total) = state
        .db
        .read(move |c| repo::list(c, &filter).map_err(AppError::from))
        .await?;
    Ok(Page::new(items, paging, total))
}

/// One message.
pub async fn find(state: &AppState, id: &NotificationId) -> AppResult<Notification> {
    let id = id.clone();
    state
        .db
        .read(move |c| repo::find(c, &id)?.ok_or(AppError::NotFound))
        .await
}
