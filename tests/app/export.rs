//! The bookings CSV export as clients get it: whole with gzip, with br and
//! without compression; stalled downloads never holding up other pages; a
//! download closed early not logged as an error.

use std::{
    io::{BufRead, BufReader, Read},
    net::SocketAddr,
    process::Stdio,
    time::Duration,
};

use rusqlite::Connection;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

use crate::admin::{PASSWORD, browser, token};
use crate::bookings::workshop;
use crate::helpers::*;

/// Inserts `n` bookings with SQL (fast, no HTTP): five days and three
/// times, so most share their day and time with many others; notes of
/// `notes_len` characters. Returns the ref that sorts last by date (the
/// export's default order).
fn insert_bookings(c: &Connection, n: usize, notes_len: usize) -> rusqlite::Result<String> {
    let mut insert = c.prepare(
        "INSERT INTO bookings (id, booking_ref, customer_name, customer_phone, service_type,
             preferred_date, preferred_time, notes, created_at, updated_at)
         VALUES (?1, ?2, ?3, '+265991234567', 'oil_change', ?4, ?5, ?6, ?7, ?7)",
    )?;
    let notes = "n".repeat(notes_len);
    let mut last = (String::new(), String::new(), String::new());
    for i in 0..n {
        let key = (
            format!("2026-12-{:02}", i % 5 + 1),
            format!("{:02}:00", 8 + i % 3),
            format!("DAY-20261120-{:04}", i + 1),
        );
        insert.execute(rusqlite::params![
            daytona::db::new_id(),
            key.2,
            format!("Customer {i}"),
            key.0,
            key.1,
            notes,
            "2026-11-20T08:00:00Z",
        ])?;
        last = last.max(key);
    }
    Ok(last.2)
}

async fn seed(app: &TestApp, n: usize, notes_len: usize) -> String {
    app.state
        .db
        .write(move |tx| insert_bookings(tx, n, notes_len).map_err(anyhow::Error::from))
        .await
        .unwrap()
}

/// Checks an export holds `n` distinct bookings and ends with `last`.
fn assert_whole(csv: &[u8], n: usize, last: &str) {
    let mut reader = csv::Reader::from_reader(csv);
    assert_eq!(&reader.headers().unwrap()[0], "booking_ref");
    let refs: Vec<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    assert_eq!(refs.len(), n);
    assert_eq!(refs.last().map(String::as_str), Some(last));
    let distinct: std::collections::HashSet<&String> = refs.iter().collect();
    assert_eq!(distinct.len(), n);
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(data, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[tokio::test]
async fn the_csv_arrives_whole_with_gzip_with_br_and_without_compression() {
    let app = workshop(&[]).await;
    // More than two pages of the export's reads, and not a multiple of one.
    let n = 1234;
    let last = seed(&app, n, 40).await;
    let token = token(&app, "manager").await;
    let export = || {
        raw_client()
            .get(app.url("/v1/admin/bookings.csv"))
            .bearer_auth(&token)
    };
    for (encoding, decode) in [("gzip", gunzip as fn(&[u8]) -> Vec<u8>), ("br", unbrotli)] {
        let res = export()
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], encoding);
        let body = res
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{encoding}: {e:?}"));
        assert_whole(&decode(&body), n, &last);
    }
    let res = export().send().await.unwrap();
    assert!(res.headers().get("content-encoding").is_none());
    assert_whole(&res.bytes().await.unwrap(), n, &last);

    // The staff page's "Export CSV" link, in a browser.
    let (browser, _) = browser(&app, "manager").await;
    let res = browser
        .get(app.url("/admin/bookings.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"bookings.csv\""
    );
    assert_whole(&res.bytes().await.unwrap(), n, &last);
}

/// Where `needle` first starts in `data`.
fn find(data: &[u8], needle: &[u8]) -> Option<usize> {
    data.windows(needle.len()).position(|w| w == needle)
}

/// Asks for the whole export over a socket with a small receive buffer and
/// reads only the response head (the export has begun), the way a phone
/// that lost its signal stops reading. Returns the socket and what was read.
async fn stalled_download(addr: SocketAddr, token: &str) -> (TcpStream, Vec<u8>) {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(addr).await.unwrap();
    let request = format!(
        "GET /v1/admin/bookings.csv HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut read = Vec::new();
    while find(&read, b"\r\n\r\n").is_none() {
        let mut buf = [0; 1024];
        let got = stream.read(&mut buf).await.unwrap();
        assert!(got > 0, "closed before the response head");
        read.extend_from_slice(&buf[..got]);
    }
    assert!(
        read.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&read)
    );
    (stream, read)
}

/// The body of a chunked response; panics unless the last (empty) chunk
/// arrived, i.e. unless the server finished the response.
fn dechunk(response: &[u8]) -> Vec<u8> {
    let head_end = find(response, b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&response[..head_end]).to_ascii_lowercase();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let mut rest = &response[head_end + 4..];
    let mut body = Vec::new();
    loop {
        let line = find(rest, b"\r\n").expect("a chunk size line: the response was cut off");
        let size = std::str::from_utf8(&rest[..line]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        rest = &rest[line + 2..];
        if size == 0 {
            return body;
        }
        assert!(rest.len() >= size + 2, "the response was cut off");
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// More stalled downloads than the database has read connections (4).
const STALLED: usize = 6;

/// Generous for a loaded 2-core box; a request held up by a stalled export
/// would wait for the 30 s request timeout.
const PROMPTLY: Duration = Duration::from_secs(5);

#[tokio::test]
async fn stalled_downloads_never_hold_up_the_public_pages() {
    let app = workshop(&[]).await;
    // About 9 MB of CSV: more than the socket buffers can take in (the
    // kernel grows a loopback send buffer up to 4 MB).
    let n = 6000;
    let last = seed(&app, n, 1500).await;
    let token = token(&app, "manager").await;
    let mut stalled = Vec::new();
    for i in 0..STALLED {
        let started = tokio::time::timeout(PROMPTLY, stalled_download(app.addr, &token)).await;
        stalled.push(started.unwrap_or_else(|_| panic!("export {i} was never answered")));
    }
    // Before the fix, each stalled export held a read connection until the
    // client read again, so these waited for the 30 s request timeout.
    let visitor = client();
    for round in 0..3 {
        for path in [
            "/healthz",
            "/book",
            "/v1/vehicles",
            "/v1/availability?date=2026-11-24",
        ] {
            let answered = tokio::time::timeout(PROMPTLY, async {
                let res = visitor.get(app.url(path)).send().await.unwrap();
                (res.status(), res.bytes().await.unwrap())
            })
            .await;
            let (status, _) = answered.unwrap_or_else(|_| panic!("{path} hung (round {round})"));
            assert_eq!(status, 200, "{path}");
        }
    }
    // A client that reads again still gets the whole file (two are enough
    // to show it; each takes a while through its small window).
    for (mut stream, mut read) in stalled.into_iter().take(2) {
        stream.read_to_end(&mut read).await.unwrap();
        assert_whole(&dechunk(&read), n, &last);
    }
}

/// Stops the server when the test ends, passed or failed.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_download_closed_early_is_not_logged_as_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let created = crate::cli::daytona(
        dir.path(),
        &[
            "admin",
            "create",
            "--email",
            "grace@daytona.mw",
            "--name",
            "Grace Mwale",
            "--role",
            "manager",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(created.status.code(), Some(0));
    let db = Connection::open(dir.path().join(daytona::db::DB_FILE)).unwrap();
    insert_bookings(&db, 3000, 300).unwrap();
    drop(db);
    let (mut server, base, _) = crate::cli::serve_with(
        dir.path(),
        &[("RUST_LOG", "info,daytona=debug")],
        Stdio::piped(),
    );
    let log = crate::cli::forward(BufReader::new(server.stderr.take().unwrap()).lines());
    let _server = Stopped(server);
    let login: serde_json::Value = client()
        .post(format!("{base}/v1/auth/login"))
        .json(&json!({"email": "grace@daytona.mw", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let addr = base.strip_prefix("http://").unwrap().parse().unwrap();
    let (stream, _) = stalled_download(addr, login["token"].as_str().unwrap()).await;
    drop(stream);
    let mut seen = Vec::new();
    let outcome = loop {
        let line = log
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("the export's end was never logged: {seen:#?}"));
        seen.push(line.clone());
        if line.contains("CSV export") {
            break line;
        }
    };
    assert!(outcome.contains("closed early"), "{outcome}");
    assert!(!seen.iter().any(|l| l.contains("ERROR")), "{seen:#?}");
}
