//! Vehicle page views, counted per vehicle per business day (SPEC §4).
//!
//! A view is a few bytes in memory, not a database write: counts are added
//! up here and written in one transaction every half minute by the
//! `vehicle_views` job (and when the server stops), so a busy listing never
//! queues writes behind bookings.
//! A crash loses at most the last half minute of counts, which reports can
//! live with. Bots, link-preview fetchers and signed-in staff are not counted.

use std::{collections::HashMap, sync::Mutex};

use axum::http::{HeaderMap, header};

use crate::auth::session::SESSION_COOKIE;
use crate::db::Db;

#[derive(Default)]
pub struct ViewCounter {
    /// (vehicle id, business day) → views since the last flush.
    pending: Mutex<HashMap<(String, String), u64>>,
    /// One flush at a time, so a flush that returns has seen every count
    /// recorded before it started written (the timer job and shutdown may
    /// both flush).
    flushing: tokio::sync::Mutex<()>,
}

impl ViewCounter {
    /// Counts a view of `vehicle_id` on `day` (YYYY-MM-DD, business time zone)
    /// unless the request comes from a bot or a signed-in staff member.
    pub fn record(&self, headers: &HeaderMap, vehicle_id: &str, day: String) {
        if is_bot(headers) || is_staff(headers) {
            return;
        }
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry((vehicle_id.to_owned(), day)).or_default() += 1;
        }
    }

    /// Writes the counts so far and returns how many vehicle-days they
    /// were; on failure they are kept for the next try.
    pub async fn flush(&self, db: &Db) -> anyhow::Result<usize> {
        let _one_at_a_time = self.flushing.lock().await;
        let batch = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Ok(0),
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let written = batch.clone();
        let batch_len = batch.len();
        let result = db
            .write(move |tx| -> anyhow::Result<()> {
                for ((id, day), n) in &written {
                    super::repo::add_views(tx, id, day, *n)?;
                }
                Ok(())
            })
            .await;
        if result.is_err()
            && let Ok(mut pending) = self.pending.lock()
        {
            for (key, n) in batch {
                *pending.entry(key).or_default() += n;
            }
        }
        result.map(|()| batch_len)
    }
}

/// Crawlers and the link previews of WhatsApp, Facebook and friends.
fn is_bot(headers: &HeaderMap) -> bool {
    let Some(agent) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    else {
        return true;
    };
    let agent = agent.to_ascii_lowercase();
    [
        "bot",
        "crawl",
        "spider",
        "slurp",
        "preview",
        "facebookexternalhit",
        "whatsapp",
        "curl",
        "wget",
        "python",
        "headless",
    ]
    .iter()
    .any(|word| agent.contains(word))
}

/// Staff browsing the public site while signed in do not inflate the numbers.
fn is_staff(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| c.split(';').any(|kv| kv.trim().starts_with(SESSION_COOKIE)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn people_count_and_bots_and_staff_do_not() {
        let phone = "Mozilla/5.0 (Linux; Android 13) Chrome/120 Mobile Safari/537.36";
        let counter = ViewCounter::default();
        let day = || "2026-11-24".to_owned();
        counter.record(&headers(&[(header::USER_AGENT, phone)]), "v1", day());
        counter.record(&headers(&[(header::USER_AGENT, phone)]), "v1", day());
        counter.record(
            &headers(&[(header::USER_AGENT, "WhatsApp/2.23")]),
            "v1",
            day(),
        );
        counter.record(
            &headers(&[(header::USER_AGENT, "Googlebot/2.1")]),
            "v1",
            day(),
        );
        counter.record(&headers(&[]), "v1", day());
        counter.record(
            &headers(&[
                (header::USER_AGENT, phone),
                (header::COOKIE, "a=b; daytona_session=xyz"),
            ]),
            "v1",
            day(),
        );
        let pending = counter.pending.lock().unwrap();
        assert_eq!(pending.get(&("v1".into(), day())), Some(&2));
    }
}
