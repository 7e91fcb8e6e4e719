//! The test harness: `spawn_app` starts the product in-process exactly as
//! `daytona serve` does (same `app::start`), with a temporary data dir.

use std::{net::SocketAddr, sync::Arc};

use daytona::{
    app,
    clock::{Clock, SystemClock},
    config::Config,
    state::AppState,
};
use reqwest::{Client, Response, redirect};
use scraper::{Html, Selector};
use tempfile::TempDir;

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    /// A browser: keeps cookies, asks for gzip and br, never follows redirects.
    pub client: Client,
    pub setup_link: Option<String>,
    pub state: AppState,
    /// Deleted when the test ends.
    data_dir: TempDir,
    /// The configuration environment and clock it was started with (for `restart`).
    env: Vec<(String, String)>,
    clock: Arc<dyn Clock>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Starts the app with default config plus `overrides` (as environment
/// variables would give them, e.g. `("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "2")`).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_with_clock(overrides, Arc::new(SystemClock)).await
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with_clock(overrides: &[(&str, &str)], clock: Arc<dyn Clock>) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let mut env = vec![
        (
            "DAYTONA_SERVER__LISTEN".to_owned(),
            "127.0.0.1:0".to_owned(),
        ),
        (
            "DAYTONA_STORAGE__DATA_DIR".to_owned(),
            data_dir.path().display().to_string(),
        ),
        // The scheduled reminder run (every 5 real minutes) would add rows
        // in the middle of tests that count them; tests call it directly.
        (
            "DAYTONA_REMINDERS__SCHEDULE".to_owned(),
            "0 0 0 1 1 *".to_owned(),
        ),
    ];
    env.extend(
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    start_app(data_dir, env, clock).await
}

async fn start_app(
    data_dir: TempDir,
    env: Vec<(String, String)>,
    clock: Arc<dyn Clock>,
) -> TestApp {
    let config = Config::load(None, env.clone()).unwrap();
    let server = app::start(config, clock.clone()).await.unwrap();
    let addr = server.local_addr().unwrap();
    let state = server.state.clone();
    let setup_link = server.setup_link.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let handle = tokio::spawn(server.run(async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        base: format!("http://{addr}"),
        client: client(),
        setup_link,
        state,
        data_dir,
        env,
        clock,
        shutdown: Some(tx),
        server: Some(handle),
    }
}

/// A client that behaves like a browser: it keeps cookies, sends
/// `Accept-Encoding: gzip, br` and decompresses the answer itself (reqwest's
/// `gzip` and `brotli` features), so every test gets each compressed and
/// streamed response the way users do. It never follows redirects.
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// A client that neither asks for compression nor undoes it: for tests that
/// look at the response as sent (`Content-Encoding`, the encoded bytes).
pub fn raw_client() -> Client {
    Client::builder()
        .no_gzip()
        .no_brotli()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A JSON API request with a bearer token: the status and the body
    /// (`Null` when there is none).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    /// GETs a page and returns its status and parsed HTML.
    pub async fn page(&self, path: &str) -> (u16, Html) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, Html::parse_document(&res.text().await.unwrap()))
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        self.shut_down().await;
    }

    async fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.server.take() {
            handle.await.unwrap().unwrap();
        }
    }

    /// Stops the server, then starts a new one on the same data dir, config and clock.
    pub async fn restart(mut self) -> TestApp {
        self.shut_down().await;
        let env = std::mem::take(&mut self.env);
        let data_dir = std::mem::replace(&mut self.data_dir, tempfile::tempdir().unwrap());
        start_app(data_dir, env, self.clock.clone()).await
    }

    /// Completes first-run setup and leaves `self.client` signed in as the admin.
    pub async fn create_first_admin(&self, email: &str, password: &str) {
        let link = self.setup_link.clone().expect("fresh app has a setup link");
        let path_and_query = link.strip_prefix(&self.base).unwrap().to_owned();
        let (status, html) = self.page(&path_and_query).await;
        assert_eq!(status, 200);
        let token = input_value(&html, "token");
        let csrf = input_value(&html, "csrf");
        let res = self
            .post_form(
                "/admin/setup",
                &[
                    ("csrf", &csrf),
                    ("token", &token),
                    ("name", "Chikondi Banda"),
                    ("email", email),
                    ("password", password),
                    ("password_confirm", password),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 303, "{}", res.text().await.unwrap());
    }
}

/// The `value` of the form input named `name`.
pub fn input_value(html: &Html, name: &str) -> String {
    let sel = Selector::parse(&format!("input[name=\"{name}\"]")).unwrap();
    html.select(&sel)
        .next()
        .unwrap_or_else(|| panic!("no input named {name}"))
        .value()
        .attr("value")
        .unwrap_or_default()
        .to_owned()
}

/// The text of every element matching `css`.
pub fn texts(html: &Html, css: &str) -> Vec<String> {
    let sel = Selector::parse(css).unwrap();
    html.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_owned())
        .collect()
}

/// The attribute `attr` of every element matching `css`.
pub fn attrs(html: &Html, css: &str, attr: &str) -> Vec<String> {
    let sel = Selector::parse(css).unwrap();
    html.select(&sel)
        .filter_map(|e| e.value().attr(attr).map(str::to_owned))
        .collect()
}

/// Path of the daytona binary built for these tests.
pub fn daytona_bin() -> &'static str {
    env!("CARGO_BIN_EXE_daytona")
}

/// The number of migrations in `migrations/` (= the newest schema version).
pub fn latest_schema_version() -> i64 {
    // Files are `V<n>__name.sql`; numbers may leave gaps.
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_prefix('V')?
                .split("__")
                .next()?
                .parse::<i64>()
                .ok()
        })
        .max()
        .unwrap()
}

/// GETs `url` with `client` and parses the page.
pub async fn get_page(client: &Client, url: String) -> Html {
    Html::parse_document(&client.get(url).send().await.unwrap().text().await.unwrap())
}

/// One number from the app's database, e.g. `SELECT COUNT(*) FROM leads`.
pub async fn db_count(app: &TestApp, sql: &'static str) -> i64 {
    app.state
        .db
        .read(move |c| -> anyhow::Result<i64> { Ok(c.query_row(sql, [], |r| r.get(0))?) })
        .await
        .unwrap()
}
