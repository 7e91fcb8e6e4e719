//! The shared state every handler, job and domain may use: the configuration,
//! the database, the clock and the infrastructure built from them.
//!
//! It sits below the domains and never imports one: domains take it as a
//! parameter, and `app` (which imports the domains) assembles it.

use std::{ops::Deref, sync::Arc};

use crate::{
    clock::Clock,
    config::Config,
    db::Db,
    gateways::Providers,
    ids::VehicleId,
    tally::Tally,
    upload::Uploads,
    web::{cache::PageCache, ratelimit::RateLimits},
};

/// Everything a request handler may need.
pub struct App {
    /// The effective configuration (defaults, file, environment).
    pub config: Arc<Config>,
    /// The database: the only way to SQLite.
    pub db: Db,
    /// The time source; a fixed clock in tests.
    pub clock: Arc<dyn Clock>,
    /// The gateway of each notification channel, as configured.
    pub providers: Arc<Providers>,
    /// Stored files under `<data_dir>/uploads`.
    pub uploads: Uploads,
    /// Per-address limits on public POSTs and lookups.
    pub limits: RateLimits,
    /// Rendered public stock pages, until the stock changes.
    pub pages: PageCache,
    /// Vehicle page views not yet written: (vehicle id, business day) → views.
    pub views: Tally<(VehicleId, String)>,
}

/// Cheap-to-clone handle to the `App`, used as axum state.
#[derive(Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    pub fn new(app: App) -> Self {
        AppState(Arc::new(app))
    }

    /// Makes the outbox worker look at the queue now (tests call this after
    /// moving the clock past a retry's time).
    pub fn wake_outbox(&self) {
        self.db.outbox_signal().notify_one();
    }
}

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// Lets infrastructure (the `web` middleware and extractors) ask for just
/// the configuration, without knowing the state.
impl axum::extract::FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Arc<Config> {
        state.config.clone()
    }
}
