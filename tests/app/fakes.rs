//! Local stand-ins for the outside world, bound to 127.0.0.1:0: a minimal
//! SMTP server that keeps every message it is given, and an HTTP gateway
//! that records every request (Twilio, Africa's Talking, the generic shape,
//! WhatsApp Cloud API) and answers with a status the test chooses.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU16, AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    body::Bytes,
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One message as the SMTP server received it.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, as sent after DATA.
    pub data: String,
}

impl Mail {
    /// `data` with quoted-printable undone (soft line breaks, `=XX` bytes).
    pub fn decoded(&self) -> String {
        let joined = self.data.replace("=\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
            match (bytes[i], hex) {
                (b'=', Some(b)) => {
                    out.push(b);
                    i += 3;
                }
                (b, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(smtp_session(stream, kept.clone()));
            }
        });
        SmtpSink { port, mails }
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

/// Speaks just enough SMTP for one client: greeting, EHLO/HELO, MAIL, RCPT,
/// DATA ... ".", RSET, NOOP, QUIT.
async fn smtp_session(stream: TcpStream, mails: Arc<Mutex<Vec<Mail>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"220 sink.test ESMTP\r\n").await;
    let mut mail = Mail::default();
    let mut in_data = false;
    while let Ok(Some(line)) = lines.next_line().await {
        if in_data {
            if line == "." {
                mails.lock().unwrap().push(std::mem::take(&mut mail));
                in_data = false;
                let _ = write.write_all(b"250 2.0.0 queued\r\n").await;
            } else {
                mail.data.push_str(line.strip_prefix('.').unwrap_or(&line));
                mail.data.push('\n');
            }
            continue;
        }
        let upper = line.to_ascii_uppercase();
        let address = || {
            let start = line.find('<').map_or(0, |i| i + 1);
            let end = line.rfind('>').unwrap_or(line.len());
            line[start..end].to_owned()
        };
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("MAIL FROM") {
            mail = Mail {
                from: address(),
                ..Mail::default()
            };
            b"250 2.1.0 ok\r\n"
        } else if upper.starts_with("RCPT TO") {
            mail.to.push(address());
            b"250 2.1.5 ok\r\n"
        } else if upper.starts_with("DATA") {
            in_data = true;
            b"354 end data with <CR><LF>.<CR><LF>\r\n"
        } else if upper.starts_with("QUIT") {
            let _ = write.write_all(b"221 2.0.0 bye\r\n").await;
            return;
        } else {
            // HELO, RSET, NOOP and anything else.
            b"250 ok\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// One request as the fake gateway received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Request {
    /// The body as form fields.
    pub fn form(&self) -> HashMap<String, String> {
        serde_urlencoded::from_str(&self.body).unwrap()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Clone)]
pub struct Gateway {
    pub base: String,
    requests: Arc<Mutex<Vec<Request>>>,
    status: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
    /// While false, requests wait before being answered.
    open: Arc<tokio::sync::watch::Sender<bool>>,
}

impl Gateway {
    pub async fn start() -> Gateway {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let gateway = Gateway {
            base: format!("http://{addr}"),
            requests: Arc::default(),
            status: Arc::new(AtomicU16::new(201)),
            delay_ms: Arc::default(),
            open: Arc::new(tokio::sync::watch::Sender::new(true)),
        };
        let g = gateway.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let g = g.clone();
                async move { g.answer(method, uri, headers, body).await }
            },
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        gateway
    }

    async fn answer(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        self.requests.lock().unwrap().push(Request {
            method: method.to_string(),
            path: uri.path().to_owned(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let _ = self.open.subscribe().wait_for(|open| *open).await;
        let delay = self.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let status = StatusCode::from_u16(self.status.load(Ordering::SeqCst)).unwrap();
        // Africa's Talking's answer shape; the other providers ignore the body.
        let body = r#"{"SMSMessageData":{"Recipients":[{"statusCode":101,"status":"Success"}]}}"#;
        (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response()
    }

    /// Every later request is answered with `status`.
    pub fn answer_with(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Every later request is answered only after `ms` milliseconds.
    pub fn delay(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Requests wait unanswered until `release`.
    pub fn hold(&self) {
        self.open.send_replace(false);
    }

    pub fn release(&self) {
        self.open.send_replace(true);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

/// Polls `check` until it returns `Some`, for up to 10 seconds.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}
