//! Vehicle page views, counted per vehicle per business day (SPEC §4).
//!
//! A view is a few bytes in memory, not a database write: counts are added
//! up here and written in one transaction every half minute by the
//! `vehicle_views` job (and when the server stops), so a busy listing never
//! queues writes behind bookings.
//! A crash loses at most the last half minute of counts, which reports can
//! live with. Bots, link-preview fetchers and signed-in staff are not counted.

use axum::http::{HeaderMap, header};

use crate::auth::session::SESSION_COOKIE;
use crate::ids::VehicleId;
use crate::state::AppState;

/// Counts a view of `vehicle_id` on `day` (YYYY-MM-DD, business time zone)
/// unless the request comes from a bot or a signed-in staff member.
pub fn record(state: &AppState, headers: &HeaderMap, vehicle_id: &VehicleId, day: String) {
    if counts(headers) {
        state.views.add((vehicle_id.clone(), day));
    }
}

/// Whether a request with these headers is a person's view.
fn counts(headers: &HeaderMap) -> bool {
    !is_bot(headers) && !is_staff(headers)
}

/// Writes the counts so far in one transaction; returns how many
/// vehicle-days they were. On failure they are kept for the next try.
pub async fn flush(state: &AppState) -> anyhow::Result<usize> {
    let db = state.db.clone();
    state
        .views
        .flush(|batch| async move {
            db.write(move |tx| -> anyhow::Result<()> {
                for ((id, day), n) in &batch {
                    super::repo::add_views(tx, id, day, *n)?;
                }
                Ok(())
            })
            .await
        })
        .await
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
        assert!(counts(&headers(&[(header::USER_AGENT, phone)])));
        assert!(!counts(&headers(&[(header::USER_AGENT, "WhatsApp/2.23")])));
        assert!(!counts(&headers(&[(header::USER_AGENT, "Googlebot/2.1")])));
        assert!(!counts(&headers(&[])));
        assert!(!counts(&headers(&[
            (header::USER_AGENT, phone),
            (header::COOKIE, "a=b; daytona_session=xyz"),
        ])));
    }
}
