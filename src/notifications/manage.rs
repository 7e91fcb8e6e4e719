//! Staff management of the outbox, shared by the admin pages and the admin
//! API: the filtered log, one message, resending a failed one and queueing a
//! test message (both audited).

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, ToSql, params, params_from_iter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::{Subject, messages};
use crate::audit;
use crate::auth::model::Email;
use crate::auth::repo::User;
use crate::config::Config;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::gateways::{self, Channel, Message};
use crate::phone::Phone;
use crate::state::AppState;
use crate::web::client::ClientIp;

pub const STATUSES: [&str; 3] = ["queued", "sent", "failed"];

/// The log's filters, as sent by the page and the API.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
pub struct ListQuery {
    /// `queued`, `sent` or `failed`.
    pub status: Option<String>,
    /// `email`, `sms` or `whatsapp`.
    pub channel: Option<String>,
    pub page: Option<u32>,
    /// Default 50, at most 200.
    pub per_page: Option<u32>,
}

/// Parsed filters.
#[derive(Debug, Clone)]
pub struct Filter {
    status: Option<&'static str>,
    channel: Option<Channel>,
    pub page: u32,
    pub per_page: u32,
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
        let (page, per_page) = crate::web::paging(self.page, self.per_page, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Filter {
            status,
            channel,
            page,
            per_page,
        })
    }
}

/// One outbox row as staff see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    pub id: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    /// Email subject; empty for SMS and WhatsApp.
    pub subject: String,
    pub text: String,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub booking_id: Option<String>,
    pub lead_id: Option<String>,
    pub created_at: String,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
}

const COLUMNS: &str = "id, channel, recipient, template, payload, status, attempts, error, \
                       booking_id, lead_id, created_at, next_attempt_at, sent_at";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Notification> {
    let payload: String = r.get(4)?;
    let message: Message = serde_json::from_str(&payload).unwrap_or(Message {
        subject: String::new(),
        text: payload,
    });
    Ok(Notification {
        id: r.get(0)?,
        channel: r.get(1)?,
        recipient: r.get(2)?,
        template: r.get(3)?,
        subject: message.subject,
        text: message.text,
        status: r.get(5)?,
        attempts: r.get(6)?,
        error: r.get(7)?,
        booking_id: r.get(8)?,
        lead_id: r.get(9)?,
        created_at: r.get(10)?,
        next_attempt_at: r.get(11)?,
        sent_at: r.get(12)?,
    })
}

/// One page of the log, newest first, and the total matching.
pub fn list(conn: &Connection, f: &Filter) -> rusqlite::Result<(Vec<Notification>, i64)> {
    let mut clauses = Vec::new();
    let mut args: Vec<&dyn ToSql> = Vec::new();
    let channel = f.channel.map(Channel::as_str);
    if let Some(c) = &channel {
        clauses.push("channel = ?");
        args.push(c);
    }
    if let Some(s) = &f.status {
        clauses.push("status = ?");
        args.push(s);
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let total = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM notifications {where_sql}"))?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))?;
    let offset = i64::from(f.page - 1) * i64::from(f.per_page);
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM notifications {where_sql}
             ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {offset}",
            f.per_page
        ))?
        .query_map(params_from_iter(args.iter()), from_row)?
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

pub fn find(conn: &Connection, id: &str) -> rusqlite::Result<Option<Notification>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = ?1"
    ))?
    .query_row([id], from_row)
    .optional()
}

/// Who is acting, for the audit log.
pub struct Actor {
    user_id: String,
    label: String,
    ip: String,
}

impl Actor {
    pub fn new(user: &User, ip: &ClientIp) -> Actor {
        Actor {
            user_id: user.id.clone(),
            label: user.name.clone(),
            ip: ip.0.to_string(),
        }
    }

    fn record(
        &self,
        tx: &Connection,
        change: audit::Change<'_>,
        now: Timestamp,
    ) -> rusqlite::Result<()> {
        let actor = audit::Actor {
            user_id: &self.user_id,
            label: &self.label,
            ip: Some(&self.ip),
        };
        audit::record(tx, &actor, change, now)
    }
}

/// Queues a failed message again, from a fresh attempt count. Anything but
/// a failed message is a 409: a queued one is on its way, a sent one arrived.
pub async fn resend(state: &AppState, actor: Actor, id: &str) -> AppResult<Notification> {
    let now = state.clock.now();
    let id = id.to_owned();
    state
        .db
        .write(move |tx| -> AppResult<Notification> {
            let before = find(tx, &id)?.ok_or(AppError::NotFound)?;
            if before.status != "failed" {
                return Err(AppError::Conflict {
                    code: "not_failed",
                    message: "Only a failed message can be sent again.".into(),
                    details: json!({"status": before.status}),
                });
            }
            tx.prepare_cached(
                "UPDATE notifications SET status = 'queued', attempts = 0, error = NULL, next_attempt_at = ?1
                 WHERE id = ?2",
            )?
            .execute(params![crate::db::ts(now), id])?;
            let change = audit::Change {
                action: "notification.resend",
                entity_type: "notification",
                entity_id: &id,
                before: json!({"status": before.status, "attempts": before.attempts}),
                after: json!({"status": "queued", "attempts": 0}),
            };
            actor.record(tx, change, now)?;
            find(tx, &id)?.ok_or(AppError::NotFound)
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
    actor: Actor,
    channel: Channel,
    to: String,
) -> AppResult<Notification> {
    let now = state.clock.now();
    let config = state.config.clone();
    state
        .db
        .write(move |tx| -> AppResult<Notification> {
            let message = messages::test_message(&config, channel.label());
            let id = super::enqueue(tx, channel, &to, "test", &message, Subject::default(), now)?;
            let change = audit::Change {
                action: "notification.test",
                entity_type: "notification",
                entity_id: &id,
                before: json!({}),
                after: json!({"channel": channel.as_str(), "to": to}),
            };
            actor.record(tx, change, now)?;
            find(tx, &id)?.ok_or(AppError::NotFound)
        })
        .await
}

pub async fn load(state: &AppState, filter: Filter) -> AppResult<(Vec<Notification>, i64)> {
    state
        .db
        .read(move |c| list(c, &filter).map_err(AppError::from))
        .await
}
