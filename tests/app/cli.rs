//! The command line: exit codes 0/1/2, one clear error line, serve/migrate/admin.

use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Command, Output, Stdio},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use crate::helpers::*;

pub fn daytona(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(daytona_bin())
        .args(args)
        .env("DAYTONA_STORAGE__DATA_DIR", data_dir)
        .env_remove("DAYTONA_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn assert_one_error_line(o: &Output) {
    let err = stderr(o);
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "expected one error line, got: {err}"
    );
    assert!(err.starts_with("daytona: error: "), "{err}");
}

#[test]
fn config_default_prints_the_documented_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let out = daytona(dir.path(), &["config", "default"], None);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), include_str!("../../config.example.toml"));
}

#[test]
fn config_check_accepts_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("daytona.toml");
    std::fs::write(
        &file,
        "[business]\nname = \"Zomba Motors\"\n[booking.hours]\nsat = \"\"\n",
    )
    .unwrap();
    let out = daytona(
        dir.path(),
        &["--config", file.to_str().unwrap(), "config", "check"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("configuration OK"));
}

#[test]
fn config_errors_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("[server]\nlisten_on = \"0.0.0.0:80\"\n", "server.listen_on"),
        ("[payments]\nkey = 1\n", "payments"),
        (
            "[booking.hours]\nfunday = \"08:00-09:00\"\n",
            "booking.hours.funday",
        ),
        (
            "[booking]\ncapacity_per_slot = \"three\"\n",
            "booking.capacity_per_slot",
        ),
        ("[server\nlisten = 1\n", "not valid TOML"),
        // Gateways that could never send are configuration errors too.
        ("[sms]\nprovider = \"twilio\"\n", "[sms] account"),
        (
            "[email]\nprovider = \"smtp\"\nsmtp_host = \"\"\n",
            "smtp_host",
        ),
        (
            "[email]\nprovider = \"smtp\"\nsmtp_host = \"smtp example\"\n",
            "smtp_host",
        ),
        (
            "[sms]\nprovider = \"http\"\nhttp_url = \"not a url\"\n",
            "[sms] http_url",
        ),
        (
            "[whatsapp]\nprovider = \"cloud_api\"\n",
            "[whatsapp] phone_number_id",
        ),
    ];
    for (text, key) in cases {
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, text).unwrap();
        let out = daytona(
            dir.path(),
            &["--config", file.to_str().unwrap(), "config", "check"],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert_one_error_line(&out);
        assert!(stderr(&out).contains(key), "{text}: {}", stderr(&out));
    }
}

#[test]
fn config_file_can_come_from_the_environment_and_missing_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(daytona_bin())
        .args(["config", "check"])
        .env("DAYTONA_CONFIG", dir.path().join("missing.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.toml"), "{}", stderr(&out));
}

#[test]
fn environment_overrides_are_validated_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(daytona_bin())
        .args(["config", "check"])
        .env("DAYTONA_BUSINESS__TIMEZONE", "Mars/Olympus_Mons")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("business.timezone"));
    let out = Command::new(daytona_bin())
        .args(["config", "check"])
        .env("DAYTONA_SMS__PASSWORD", "x")
        .env("DAYTONA_STORAGE__DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("DAYTONA_SMS__PASSWORD"));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["frobnicate"][..],
        &["admin", "create"][..],
        &["serve", "--bogus"][..],
    ] {
        let out = daytona(dir.path(), args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert_eq!(
        daytona(dir.path(), &["--help"], None).status.code(),
        Some(0)
    );
}

#[test]
fn migrate_creates_the_schema_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let first = daytona(dir.path(), &["migrate"], None);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let v = latest_schema_version();
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .count();
    let want = format!("applied {files} migration(s); schema version {v}");
    assert!(stdout(&first).contains(&want), "{}", stdout(&first));
    let again = daytona(dir.path(), &["migrate"], None);
    assert_eq!(again.status.code(), Some(0));
    assert!(stdout(&again).contains(&format!("applied 0 migration(s); schema version {v}")));
    assert!(dir.path().join("daytona.db").exists());
}

#[test]
fn admin_create_and_reset_password() {
    let dir = tempfile::tempdir().unwrap();
    let create = |email: &str, pw: &str| {
        daytona(
            dir.path(),
            &[
                "admin",
                "create",
                "--email",
                email,
                "--name",
                "Grace Mwale",
                "--role",
                "manager",
                "--password-stdin",
            ],
            Some(&format!("{pw}\n")),
        )
    };
    let ok = create("grace@daytona.mw", "workshop password 1");
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).contains("created manager user grace@daytona.mw"));

    let dup = create("Grace@Daytona.mw", "workshop password 1");
    assert_eq!(dup.status.code(), Some(1));
    assert_one_error_line(&dup);
    assert!(stderr(&dup).contains("already exists"));

    let bad = create("grace", "short");
    assert_eq!(bad.status.code(), Some(2));
    assert_one_error_line(&bad);
    assert!(stderr(&bad).contains("--email") && stderr(&bad).contains("--password"));

    let reset = daytona(
        dir.path(),
        &[
            "admin",
            "reset-password",
            "--email",
            "grace@daytona.mw",
            "--password-stdin",
        ],
        Some("a brand new password\n"),
    );
    assert_eq!(reset.status.code(), Some(0), "{}", stderr(&reset));

    let unknown = daytona(
        dir.path(),
        &[
            "admin",
            "reset-password",
            "--email",
            "nobody@daytona.mw",
            "--password-stdin",
        ],
        Some("a brand new password\n"),
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert_one_error_line(&unknown);

    let role = daytona(
        dir.path(),
        &[
            "admin",
            "create",
            "--email",
            "x@daytona.mw",
            "--name",
            "X",
            "--role",
            "owner",
            "--password-stdin",
        ],
        Some("workshop password 1\n"),
    );
    assert_eq!(role.status.code(), Some(2));
}

#[test]
fn admin_create_without_a_terminal_asks_for_password_stdin() {
    let dir = tempfile::tempdir().unwrap();
    // setsid: a new session has no controlling terminal to prompt on.
    let out = Command::new("setsid")
        .arg(daytona_bin())
        .args(["admin", "create", "--email", "a@daytona.mw", "--name", "A"])
        .env("DAYTONA_STORAGE__DATA_DIR", dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--password-stdin"));
}

/// Starts `daytona serve` on a fresh data dir; returns the child, its base
/// URL and the two lines of the first-run setup link it printed next.
fn serve(data_dir: &Path) -> (std::process::Child, String, Vec<String>) {
    let (child, base, rest) = serve_with(data_dir, &[], Stdio::null());
    (child, base, rest.iter().take(2).collect())
}

/// Starts `daytona serve` on a free port with extra environment (e.g.
/// `RUST_LOG`) and its log (stderr) going to `stderr`; returns the child, its
/// base URL and whatever it prints after the address line.
pub fn serve_with(
    data_dir: &Path,
    env: &[(&str, &str)],
    stderr: Stdio,
) -> (
    std::process::Child,
    String,
    std::sync::mpsc::Receiver<String>,
) {
    let mut child = Command::new(daytona_bin())
        .arg("serve")
        .env("DAYTONA_STORAGE__DATA_DIR", data_dir)
        .env("DAYTONA_SERVER__LISTEN", "127.0.0.1:0")
        .env_remove("DAYTONA_CONFIG")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        if let Some(url) = line.strip_prefix("Daytona is running at ") {
            break url.to_owned();
        }
    };
    // Keep reading, or the server's next line would meet a closed pipe.
    (child, base, forward(lines))
}

/// Reads `lines` on a thread of its own, handing each to the receiver.
pub fn forward<R: BufRead + Send + 'static>(
    lines: std::io::Lines<R>,
) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

#[test]
fn serve_prints_the_setup_link_holds_the_lock_and_stops_on_sigterm() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base, printed) = serve(dir.path());
    let link = printed
        .iter()
        .find_map(|l| {
            l.trim()
                .strip_prefix(&format!("{base}/admin/setup?token="))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("no setup link in {printed:?}"));
    assert_eq!(link.len(), 64);

    let body = http_get(&base, "/healthz");
    assert!(body.contains("{\"status\":\"ok\"}"), "{body}");

    // A second server on the same data dir refuses to start.
    let second = daytona(dir.path(), &["serve"], None);
    assert_eq!(second.status.code(), Some(1));
    assert_one_error_line(&second);
    assert!(
        stderr(&second).contains("another daytona server is running"),
        "{}",
        stderr(&second)
    );

    let pid = server.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = server.wait().unwrap();
    assert_eq!(status.code(), Some(0), "signal {:?}", status.signal());
}

/// A tiny blocking HTTP/1.0 GET, so this test needs no async runtime.
fn http_get(base: &str, path: &str) -> String {
    use std::io::Read;
    let addr = base.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    out
}

/// A power cut in the middle of a burst of bookings (`kill -9` of a real
/// server): the write-ahead log it leaves is bounded, so the next start has
/// little to read, and every acknowledged booking is there afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_burst_leaves_a_bounded_wal_and_every_booking() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "1000000"),
        ("DAYTONA_BOOKING__HOURS__SAT", "07:30-17:00"),
        ("DAYTONA_BOOKING__HOURS__SUN", "07:30-17:00"),
        ("DAYTONA_SECURITY__BOOKINGS_PER_HOUR", "1000000000"),
        ("RUST_LOG", "warn"),
    ];
    let (mut server, base, _) = serve_with(dir.path(), &env, Stdio::null());
    let today = jiff::Zoned::now().in_tz("Africa/Blantyre").unwrap().date();
    let date = today
        .checked_add(jiff::Span::new().days(3))
        .unwrap()
        .to_string();
    let acknowledged = Arc::new(AtomicUsize::new(0));
    daytona::app::install_tls_provider();
    let client = reqwest::Client::new();
    let mut clients = Vec::new();
    for n in 0..32 {
        let (client, url, date, acknowledged) = (
            client.clone(),
            format!("{base}/v1/bookings"),
            date.clone(),
            acknowledged.clone(),
        );
        clients.push(tokio::spawn(async move {
            let body = serde_json::json!({
                "name": format!("Burst {n}"), "phone": "0991234567", "service_type": "oil_change",
                "preferred_date": date, "preferred_time": "09:30", "consent": true
            });
            // Until the server dies under us.
            while let Ok(res) = client.post(&url).json(&body).send().await {
                assert_eq!(res.status(), 201);
                acknowledged.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    // About 30 MiB of log under passive checkpoints alone.
    while acknowledged.load(Ordering::SeqCst) < 3_000 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let acknowledged = acknowledged.load(Ordering::SeqCst);
    for c in clients {
        c.await.unwrap();
    }

    let wal = std::fs::metadata(dir.path().join("daytona.db-wal")).map_or(0, |m| m.len());
    assert!(
        wal <= daytona::db::WAL_MAX_BYTES,
        "kill -9 left {wal} bytes of WAL"
    );
    let (mut server, base, _) = serve_with(dir.path(), &env, Stdio::null());
    assert!(http_get(&base, "/healthz").contains("{\"status\":\"ok\"}"));
    server.kill().unwrap();
    server.wait().unwrap();
    let stored: i64 = rusqlite::Connection::open(dir.path().join("daytona.db"))
        .unwrap()
        .query_row("SELECT COUNT(*) FROM bookings", [], |r| r.get(0))
        .unwrap();
    assert!(
        stored >= acknowledged as i64,
        "{stored} stored, {acknowledged} acknowledged"
    );
}
