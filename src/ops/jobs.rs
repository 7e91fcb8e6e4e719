//! The server's background work: the outbox worker (`notifications::worker`)
//! and the scheduled in-process jobs (SPEC §8) on tokio-cron-scheduler,
//! started and stopped together by `Background` from `Server::run`.
//!
//! Schedules are 6-field cron (seconds first) in UTC: Malawi has no DST and
//! the scheduler's time-zone handling has known issues. A job may fire twice
//! (overlap, restart), so every job is idempotent: reminders are claimed row
//! by row in the transaction that queues them, cleanup only deletes what is
//! already dead. Adding a job is one line in `jobs`.

use futures_util::future::BoxFuture;
use jiff::SignedDuration;
use tokio::{sync::watch, task::JoinHandle};
use tokio_cron_scheduler::{Job, JobScheduler};

use crate::config::Config;
use crate::state::AppState;

/// A job's body: runs once, returns how many things it handled (for the log).
type Run = fn(AppState) -> BoxFuture<'static, anyhow::Result<usize>>;

/// Session cleanup runs hourly, at minute 17 (away from the reminder ticks).
const SESSION_CLEANUP: &str = "0 17 * * * *";
/// Vehicle view counts are written every half minute.
const VEHICLE_VIEWS: &str = "*/30 * * * * *";

/// Login attempts are kept this long (throttling needs only minutes).
const LOGIN_ATTEMPTS_KEPT: SignedDuration = SignedDuration::from_hours(24 * 7);

/// Every scheduled job: name, 6-field UTC cron schedule, body.
fn jobs(config: &Config) -> Vec<(&'static str, String, Run)> {
    vec![
        ("reminders", config.reminders.schedule.0.clone(), |s| {
            Box::pin(send_reminders(s))
        }),
        ("session_cleanup", SESSION_CLEANUP.to_owned(), |s| {
            Box::pin(purge_expired_sessions(s))
        }),
        ("vehicle_views", VEHICLE_VIEWS.to_owned(), |s| {
            Box::pin(write_vehicle_views(s))
        }),
    ]
}

/// The server's background work: the outbox worker and the scheduled jobs.
pub struct Background {
    state: AppState,
    stop_worker: watch::Sender<bool>,
    worker: JoinHandle<()>,
    scheduler: JobScheduler,
}

impl Background {
    pub async fn start(state: &AppState) -> anyhow::Result<Background> {
        let (stop_worker, stop) = watch::channel(false);
        let worker = tokio::spawn(crate::notifications::worker::run(
            state.clone(),
            state.providers.clone(),
            stop,
        ));
        let scheduler = start_jobs(state)
            .await
            .map_err(|e| anyhow::anyhow!("cannot start scheduled jobs: {e:#}"))?;
        Ok(Background {
            state: state.clone(),
            stop_worker,
            worker,
            scheduler,
        })
    }

    /// Stops the jobs and the worker, which first finishes (and records) the
    /// message it is sending, and writes the view counts not yet written.
    pub async fn stop(mut self) {
        if let Err(e) = self.scheduler.shutdown().await {
            tracing::warn!(error = %e, "scheduled jobs did not stop cleanly");
        }
        log_outcome(
            "vehicle_views",
            write_vehicle_views(self.state.clone()).await,
        );
        let _ = self.stop_worker.send(true);
        if let Err(e) = self.worker.await {
            tracing::error!(error = %e, "outbox worker ended abnormally");
        }
    }
}

/// Starts the scheduler with every job.
async fn start_jobs(state: &AppState) -> anyhow::Result<JobScheduler> {
    let scheduler = JobScheduler::new().await?;
    let mut names = Vec::new();
    for (name, schedule, run) in jobs(&state.config) {
        names.push(format!("{name} ({schedule})"));
        let state = state.clone();
        let job = Job::new_async(schedule.as_str(), move |_, _| {
            let state = state.clone();
            Box::pin(async move { log_outcome(name, run(state).await) })
        })
        .map_err(|e| anyhow::anyhow!("job {name}: bad schedule {schedule:?}: {e}"))?;
        scheduler.add(job).await?;
    }
    scheduler.start().await?;
    tracing::info!(jobs = names.join(", "), "scheduled jobs started (UTC)");
    Ok(scheduler)
}

fn log_outcome(name: &str, outcome: anyhow::Result<usize>) {
    match outcome {
        Ok(0) => tracing::debug!(job = name, "scheduled job: nothing to do"),
        Ok(n) => tracing::info!(job = name, handled = n, "scheduled job done"),
        Err(e) => tracing::error!(job = name, error = format!("{e:#}"), "scheduled job failed"),
    }
}

/// Queues the reminder of every booking due one; returns how many. Safe to
/// run at any time, concurrently or repeatedly: each reminder goes out once.
pub async fn send_reminders(state: AppState) -> anyhow::Result<usize> {
    let config = state.config.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |tx| crate::bookings::repo::queue_due_reminders(tx, &config, now))
        .await
}

/// Writes the vehicle page views counted in memory; returns how many
/// vehicle-days were written.
pub async fn write_vehicle_views(state: AppState) -> anyhow::Result<usize> {
    crate::vehicles::counter::flush(&state).await
}

/// Deletes expired and idle sessions, expired setup links and old login
/// attempts; returns how many rows went.
pub async fn purge_expired_sessions(state: AppState) -> anyhow::Result<usize> {
    let idle = SignedDuration::from_mins(state.config.security.session_idle_minutes.0.into());
    let now = state.clock.now();
    let purged = state
        .db
        .write(move |tx| crate::auth::repo::purge_expired(tx, idle, LOGIN_ATTEMPTS_KEPT, now))
        .await?;
    Ok(purged.sessions + purged.setup_tokens + purged.login_attempts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_schedule_is_valid() {
        for (name, schedule, _) in jobs(&Config::defaults()) {
            assert!(
                Job::new_async(schedule.as_str(), |_, _| Box::pin(async {})).is_ok(),
                "{name}: {schedule}"
            );
        }
    }
}
