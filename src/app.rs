//! The application assembled: the router with its middleware stack, and the
//! server loop with its background work (outbox worker, scheduled jobs).
//! `serve` (CLI) and the integration tests both start the product through
//! `start` and `Server::run`, so tests get the worker and the jobs too.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, extract::DefaultBodyLimit, http::StatusCode, middleware, routing::get};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    sensitive_headers::SetSensitiveHeadersLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

use crate::{
    clock::Clock,
    config::Config,
    db::Db,
    state::{App, AppState},
    tally::Tally,
    upload::Uploads,
    web::{self, cache::PageCache, ratelimit::RateLimits},
};

/// The complete router with every middleware.
pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.config.server.request_timeout_secs.0.into());
    let body_limit = state.config.server.max_body_kib.0 as usize * 1024;
    let stack = ServiceBuilder::new()
        .layer(SetSensitiveHeadersLayer::new([
            axum::http::header::AUTHORIZATION,
            axum::http::header::COOKIE,
            axum::http::header::SET_COOKIE,
        ]))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(TraceLayer::new_for_http().make_span_with(make_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn_with_state(
            state.config.clone(),
            web::security_headers,
        ))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            state.config.clone(),
            web::error_bodies,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::auth::access::admin_allowlist,
        ))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(DefaultBodyLimit::max(body_limit));
    Router::new()
        .merge(crate::notifications::admin::router())
        .merge(crate::site::router())
        .merge(crate::auth::router())
        .merge(crate::dashboard::router())
        .merge(crate::ops::router())
        .merge(crate::bookings::router())
        .merge(crate::vehicles::router())
        .merge(crate::leads::router())
        .merge(crate::api::router())
        .route("/assets/{file}", get(web::assets::serve))
        .fallback(web::not_found)
        .layer(stack)
        .with_state(state)
}

/// The request span: method, path and request id, never query strings
/// (setup tokens and phone numbers travel there) or headers.
fn make_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

/// A prepared server: state built, database migrated, listener bound.
pub struct Server {
    pub state: AppState,
    pub listener: TcpListener,
    /// The first-run link, when no staff user exists yet.
    pub setup_link: Option<String>,
}

impl Server {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Starts the background work, serves until `shutdown` resolves, then
    /// finishes in-flight requests and stops the background work (letting a
    /// message being sent finish, writing the last view counts).
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let background = crate::ops::jobs::Background::start(&self.state)
            .await
            .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
        let app = router(self.state);
        let served = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        background.stop().await;
        served
    }
}

/// Binds the listener, opens and migrates the database and issues the
/// first-run setup link if needed.
pub async fn start(mut config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Server> {
    let listener = TcpListener::bind(config.server.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.server.listen))?;
    // With port 0 (tests) the real port is known only now; links must use it.
    config.server.listen = listener.local_addr()?;
    install_tls_provider();
    let providers = crate::gateways::Providers::from_config(&config)?;
    let data_dir = config.storage.data_dir.clone();
    let db = tokio::task::spawn_blocking(move || Db::open(&data_dir)).await??;
    let state = AppState::new(App {
        uploads: Uploads::new(&config.storage.data_dir),
        limits: RateLimits::new(&config.security),
        pages: PageCache::default(),
        views: Tally::default(),
        config: Arc::new(config),
        db,
        clock,
        providers: Arc::new(providers),
    });
    let setup_link = crate::auth::handlers::issue_setup_link(&state).await?;
    Ok(Server {
        state,
        listener,
        setup_link,
    })
}

/// Makes ring rustls's process-wide crypto provider (reqwest is built without
/// one). Idempotent: a second call, or `main`'s, changes nothing.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
