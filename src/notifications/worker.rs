//! The outbox worker: sends queued `notifications` rows in the background,
//! never on a request's path.
//!
//! - **Claim before send.** A row is claimed by counting the attempt,
//!   clearing the previous attempt's error and pushing `next_attempt_at` one
//!   lease ahead, committed before the gateway is called. If the process dies mid-send, only that row comes due again
//!   (after the lease), so at most that one message is sent twice.
//! - **Retries.** A failure is recorded with its error text and retried with
//!   exponential backoff (1, 2, 4 … minutes) until `MAX_ATTEMPTS`; then, or
//!   at once for a permanent refusal, the row is `failed`. All times come
//!   from the app clock, so tests move time instead of sleeping.
//! - **Wake-ups.** The database pokes the worker after every commit that
//!   touched the outbox; it also wakes when the next retry falls due, and at
//!   least every `POLL`.
//! - **One at a time.** Messages are sent sequentially: a workshop sends a
//!   few dozen a day, gateways rate-limit bursts, every send is bounded by a
//!   timeout, and one in-flight message is what graceful shutdown waits for.

use std::{panic::AssertUnwindSafe, sync::Arc, time::Duration};

use futures_util::FutureExt;

use jiff::{SignedDuration, Timestamp};
use rusqlite::Connection;
use tokio::sync::watch;

use super::repo;
use crate::gateways::{Providers, SendError};
use crate::state::AppState;

/// Attempts before a message is given up as `failed` (about two hours of retries).
pub const MAX_ATTEMPTS: i64 = 8;
/// A claimed row is not claimed again for this long (covers a crash mid-send).
const LEASE: SignedDuration = SignedDuration::from_mins(10);
/// The first retry waits this long; each further one twice as long.
const FIRST_BACKOFF: SignedDuration = SignedDuration::from_mins(1);
/// The longest the worker sleeps without looking at the queue.
const POLL: Duration = Duration::from_secs(30);

/// A row claimed for sending; `attempts` includes this one.
pub type Claimed = repo::Queued;

/// Claims the queued row that is due first, if any. A row whose attempts
/// were all used up by sends that never recorded an outcome (crashes) is
/// failed here instead of being tried forever.
pub fn claim_next(tx: &Connection, now: Timestamp) -> anyhow::Result<Option<Claimed>> {
    loop {
        let Some(mut row) = repo::next_queued(tx, now)? else {
            return Ok(None);
        };
        row.attempts += 1;
        if row.attempts > MAX_ATTEMPTS {
            repo::mark_failed(tx, &row.id, INTERRUPTED)?;
            continue;
        }
        repo::lease(tx, &row.id, row.attempts, now.saturating_add(LEASE)?)?;
        return Ok(Some(row));
    }
}

/// The error of a message given up because its sends kept being cut short.
const INTERRUPTED: &str = "every attempt was interrupted (the server stopped mid-send)";

/// How long to wait before attempt `attempts + 1`.
pub fn backoff(attempts: i64) -> SignedDuration {
    let doublings = attempts.clamp(1, 16) - 1;
    FIRST_BACKOFF.saturating_mul(1 << doublings)
}

/// Records the outcome of a claimed row's attempt.
pub fn record(
    tx: &Connection,
    job: &Claimed,
    outcome: &Result<(), SendError>,
    now: Timestamp,
) -> anyhow::Result<()> {
    match outcome {
        Ok(()) => repo::mark_sent(tx, &job.id, now)?,
        Err(e) if e.permanent || job.attempts >= MAX_ATTEMPTS => {
            repo::mark_failed(tx, &job.id, &e.message)?
        }
        Err(e) => repo::retry_at(
            tx,
            &job.id,
            &e.message,
            now.saturating_add(backoff(job.attempts))?,
        )?,
    }
    Ok(())
}

async fn deliver(providers: &Providers, job: &Claimed) -> Result<(), SendError> {
    let channel = job
        .channel
        .ok_or_else(|| SendError::permanent("unknown channel"))?;
    let message = job
        .message
        .as_ref()
        .map_err(|e| SendError::permanent(format!("unreadable message: {e}")))?;
    let provider = providers.get(channel).ok_or_else(|| {
        SendError::permanent(format!(
            "the {} channel is not configured",
            channel.as_str()
        ))
    })?;
    provider.send(&job.recipient, message).await
}

/// Claims, sends and records one message; `false` when none was due.
pub async fn send_one(state: &AppState, providers: &Providers) -> anyhow::Result<bool> {
    let now = state.clock.now();
    let Some(job) = state.db.write(move |tx| claim_next(tx, now)).await? else {
        return Ok(false);
    };
    let outcome = deliver(providers, &job).await;
    match &outcome {
        Ok(()) => tracing::info!(id = %job.id, attempt = job.attempts, "message sent"),
        Err(e) => {
            tracing::warn!(
                id = %job.id,
                attempt = job.attempts,
                error = e.message,
                "message not sent"
            )
        }
    }
    let now = state.clock.now();
    state
        .db
        .write(move |tx| record(tx, &job, &outcome, now))
        .await?;
    Ok(true)
}

/// Runs until `stop` turns true (or its sender is dropped). A send in
/// progress is finished and recorded first.
pub async fn run(state: AppState, providers: Arc<Providers>, mut stop: watch::Receiver<bool>) {
    let signal = state.db.outbox_signal();
    loop {
        if *stop.borrow() {
            break;
        }
        // A panicking provider must not end the worker: its message stays
        // leased and is retried (or failed) like one cut short by a crash.
        let sent = AssertUnwindSafe(send_one(&state, &providers))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("a provider panicked")));
        let wait = match sent {
            Ok(true) => continue,
            Ok(false) => until_next_due(&state).await,
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "outbox worker failed; retrying");
                POLL
            }
        };
        tokio::select! {
            _ = signal.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            changed = stop.changed() => if changed.is_err() { break },
        }
    }
    tracing::debug!("outbox worker stopped");
}

/// How long until the next queued row is due, at most `POLL`.
async fn until_next_due(state: &AppState) -> Duration {
    let next = state
        .db
        .read(|c| repo::next_due(c).map_err(anyhow::Error::from))
        .await
        .ok()
        .flatten();
    let now = state.clock.now();
    match next {
        // Already due (it came due just now): look again at once.
        Some(due) => {
            Duration::try_from(due.duration_since(now)).map_or(Duration::ZERO, |d| d.min(POLL))
        }
        None => POLL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::gateways::{Channel, Message};
    use crate::notifications::{Subject, enqueue};

    async fn outbox_with(n: usize) -> (tempfile::TempDir, Db, Timestamp) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(dir.path()).unwrap();
        let now: Timestamp = "2026-11-23T06:00:00Z".parse().unwrap();
        db.write(move |tx| -> anyhow::Result<()> {
            for i in 0..n {
                let m = Message {
                    subject: String::new(),
                    text: format!("message {i}"),
                };
                enqueue(
                    tx,
                    Channel::Sms,
                    "+265991234567",
                    "test",
                    &m,
                    Subject::default(),
                    now,
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
        (dir, db, now)
    }

    async fn claim(db: &Db, now: Timestamp) -> Option<Claimed> {
        db.write(move |tx| claim_next(tx, now)).await.unwrap()
    }

    #[tokio::test]
    async fn a_send_cut_short_repeats_only_that_message_after_its_lease() {
        let (_dir, db, now) = outbox_with(2).await;
        // The first claim "crashes": nothing is recorded for it.
        let first = claim(&db, now).await.unwrap();
        let second = claim(&db, now).await.unwrap();
        assert_ne!(first.id, second.id);
        let outcome = Ok(());
        let done = second;
        db.write(move |tx| record(tx, &done, &outcome, now))
            .await
            .unwrap();
        assert!(claim(&db, now).await.is_none(), "the first is still leased");
        let later = now.saturating_add(LEASE).unwrap();
        let again = claim(&db, later).await.unwrap();
        assert_eq!((again.id, again.attempts), (first.id, 2));
        assert!(
            claim(&db, later).await.is_none(),
            "the sent one never comes back"
        );
    }

    #[tokio::test]
    async fn a_message_whose_every_send_was_cut_short_is_failed() {
        let (_dir, db, mut now) = outbox_with(1).await;
        for attempt in 1..=MAX_ATTEMPTS {
            assert_eq!(claim(&db, now).await.unwrap().attempts, attempt);
            now = now.saturating_add(LEASE).unwrap();
        }
        assert!(claim(&db, now).await.is_none());
        let (status, error): (String, String) = db
            .read(|c| -> anyhow::Result<_> {
                Ok(
                    c.query_row("SELECT status, error FROM notifications", [], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?,
                )
            })
            .await
            .unwrap();
        assert_eq!((status.as_str(), error.as_str()), ("failed", INTERRUPTED));
    }

    #[test]
    fn backoff_doubles() {
        assert_eq!(backoff(1), SignedDuration::from_mins(1));
        assert_eq!(backoff(2), SignedDuration::from_mins(2));
        assert_eq!(backoff(4), SignedDuration::from_mins(8));
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| backoff(a).as_secs()).sum();
        assert!(total < 3 * 3600, "{total}");
    }
}
