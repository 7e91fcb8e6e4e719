//! The outside services that deliver messages (SMS, email, WhatsApp), below
//! every domain: the outbox in `notifications` hands rows to them.
//!
//! Where messages go: one small provider per gateway behind one trait,
//! chosen by `[email]`, `[sms]` and `[whatsapp]`. Each gateway takes a base
//! URL (or host) from the config, so tests drive the real code against
//! local fakes. Secrets go only into the request that needs them, never into
//! a log line or an error text.

use std::{sync::OnceLock, time::Duration};

use futures_util::future::BoxFuture;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
    message::{Mailbox, MultiPart},
    transport::smtp::authentication::Credentials,
};
use maud::{DOCTYPE, html};
use serde_json::json;

use crate::config::{Config, EmailProvider, Secret, SmsProvider, SmtpTls, WhatsAppProvider};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
    WhatsApp,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::WhatsApp];

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The name staff read.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Email => "Email",
            Channel::Sms => "SMS",
            Channel::WhatsApp => "WhatsApp",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::WhatsApp => "whatsapp",
        }
    }
}

/// The content of one message (the row's `payload`). Emails get their HTML
/// version from this text when sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Message {
    /// Email subject; empty for SMS.
    #[serde(default)]
    pub subject: String,
    pub text: String,
}

/// How long one gateway request or SMTP conversation may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a send failed, as recorded in the outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub message: String,
    /// Retrying cannot help (refused recipient, bad credentials, channel off).
    pub permanent: bool,
}

impl SendError {
    pub fn temporary(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            permanent: false,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        SendError {
            message: message.into(),
            permanent: true,
        }
    }
}

/// One way of delivering a message to a recipient.
pub trait Provider: Send + Sync {
    fn send<'a>(
        &'a self,
        to: &'a str,
        message: &'a Message,
    ) -> BoxFuture<'a, Result<(), SendError>>;
}

/// The provider of each channel, built once from the config.
pub struct Providers {
    email: Box<dyn Provider>,
    sms: Box<dyn Provider>,
    /// `None` when `[whatsapp] provider = "none"`.
    whatsapp: Option<Box<dyn Provider>>,
}

impl Providers {
    /// Builds every configured provider; an unusable setting (an SMTP host
    /// missing, a bad sender address) is an error at start-up, not at the
    /// first booking.
    pub fn from_config(c: &Config) -> anyhow::Result<Providers> {
        let email: Box<dyn Provider> = match c.email.provider {
            EmailProvider::Log => Box::new(Log(Channel::Email)),
            EmailProvider::Smtp => Box::new(Smtp::new(c)?),
        };
        let sms: Box<dyn Provider> = match c.sms.provider {
            SmsProvider::Log => Box::new(Log(Channel::Sms)),
            SmsProvider::Twilio => Box::new(Twilio::new(c)?),
            SmsProvider::Africastalking => Box::new(AfricasTalking::new(c)?),
            SmsProvider::Http => Box::new(HttpGateway::new(c)?),
        };
        let whatsapp: Option<Box<dyn Provider>> = match c.whatsapp.provider {
            WhatsAppProvider::None => None,
            WhatsAppProvider::Log => Some(Box::new(Log(Channel::WhatsApp))),
            WhatsAppProvider::CloudApi => Some(Box::new(CloudApi::new(c)?)),
        };
        Ok(Providers {
            email,
            sms,
            whatsapp,
        })
    }

    /// The provider of `channel`, unless that channel is switched off.
    pub fn get(&self, channel: Channel) -> Option<&dyn Provider> {
        match channel {
            Channel::Email => Some(self.email.as_ref()),
            Channel::Sms => Some(self.sms.as_ref()),
            Channel::WhatsApp => self.whatsapp.as_deref(),
        }
    }
}

/// A gateway's HTTP client (with timeouts), built at its first send: setting
/// up TLS costs start-up time and memory a server that has not sent
/// anything yet does not need to pay.
#[derive(Default)]
struct Http(OnceLock<Result<reqwest::Client, String>>);

impl Http {
    fn get(&self) -> Result<&reqwest::Client, SendError> {
        self.0
            .get_or_init(|| {
                reqwest::Client::builder()
                    .timeout(SEND_TIMEOUT)
                    .connect_timeout(CONNECT_TIMEOUT)
                    .user_agent(concat!("daytona/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| SendError::permanent(format!("cannot set up the HTTP client: {e}")))
    }
}

/// Whether `channel` can send at all with this config.
pub fn configured(c: &Config, channel: Channel) -> bool {
    channel != Channel::WhatsApp || c.whatsapp.provider != WhatsAppProvider::None
}

/// The configured provider of `channel`, as the config names it.
pub fn provider_name(c: &Config, channel: Channel) -> &'static str {
    match channel {
        Channel::Email => match c.email.provider {
            EmailProvider::Log => "log",
            EmailProvider::Smtp => "smtp",
        },
        Channel::Sms => match c.sms.provider {
            SmsProvider::Log => "log",
            SmsProvider::Twilio => "twilio",
            SmsProvider::Africastalking => "africastalking",
            SmsProvider::Http => "http",
        },
        Channel::WhatsApp => match c.whatsapp.provider {
            WhatsAppProvider::None => "none",
            WhatsAppProvider::Log => "log",
            WhatsAppProvider::CloudApi => "cloud_api",
        },
    }
}

/// The `log` provider: the message goes to the log and counts as sent, so a
/// fresh install shows working notifications before any gateway is set up.
struct Log(Channel);

impl Provider for Log {
    fn send<'a>(&'a self, to: &'a str, m: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            tracing::info!(
                channel = self.0.as_str(),
                to,
                subject = m.subject,
                text = m.text,
                "message sent by the log provider"
            );
            Ok(())
        })
    }
}

/// Email over SMTP (lettre, rustls): plain text plus an HTML version. The
/// transport (and its TLS set-up) is built at the first send, like `Http`.
struct Smtp {
    settings: crate::config::Email,
    transport: OnceLock<Result<AsyncSmtpTransport<Tokio1Executor>, String>>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

impl Smtp {
    fn new(c: &Config) -> anyhow::Result<Smtp> {
        let e = &c.email;
        let host = e.smtp_host.trim();
        anyhow::ensure!(
            !host.is_empty(),
            "[email] provider is \"smtp\" but smtp_host is empty"
        );
        rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|_| anyhow::anyhow!("[email] smtp_host is not a host name: {host:?}"))?;
        let from = e
            .from
            .parse()
            .map_err(|_| anyhow::anyhow!("[email] from is not an email address: {:?}", e.from))?;
        Ok(Smtp {
            settings: e.clone(),
            transport: OnceLock::new(),
            from,
            // A bad business email only loses the Reply-To header.
            reply_to: format!("{} <{}>", c.business.name, c.business.email)
                .parse()
                .ok(),
        })
    }

    fn transport(&self) -> Result<&AsyncSmtpTransport<Tokio1Executor>, SendError> {
        self.transport
            .get_or_init(|| smtp_transport(&self.settings).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| SendError::permanent(format!("cannot set up SMTP: {e}")))
    }
}

fn smtp_transport(
    e: &crate::config::Email,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let host = e.smtp_host.trim();
    let builder = match e.smtp_tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
    };
    let mut builder = builder.port(e.smtp_port).timeout(Some(SEND_TIMEOUT));
    if !e.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            e.username.clone(),
            e.password.expose().to_owned(),
        ));
    }
    Ok(builder.build())
}

impl Provider for Smtp {
    fn send<'a>(&'a self, to: &'a str, m: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let to: Mailbox = to
                .parse()
                .map_err(|_| SendError::permanent("not a valid email address"))?;
            let mut builder = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(&m.subject);
            if let Some(reply_to) = &self.reply_to {
                builder = builder.reply_to(reply_to.clone());
            }
            let email = builder
                .multipart(MultiPart::alternative_plain_html(
                    m.text.clone(),
                    html_body(m),
                ))
                .map_err(|e| SendError::permanent(format!("cannot build the email: {e}")))?;
            match self.transport()?.send(email).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => {
                    Err(SendError::permanent(format!("SMTP refused: {e}")))
                }
                Err(e) => Err(SendError::temporary(format!("SMTP failed: {e}"))),
            }
        })
    }
}

/// The HTML version of an email: the same text, paragraphs kept.
pub fn html_body(m: &Message) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (m.subject) } }
            body style="font-family: Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #1a1a1a" {
                @for paragraph in m.text.split("\n\n").filter(|p| !p.trim().is_empty()) {
                    p {
                        @for (i, line) in paragraph.lines().enumerate() {
                            @if i > 0 { br; }
                            (line)
                        }
                    }
                }
            }
        }
    }
    .into_string()
}

/// `base_url` when set, else the provider's own, without a trailing slash.
fn base(configured: &str, default: &str) -> String {
    let url = configured.trim();
    let url = if url.is_empty() { default } else { url };
    url.trim_end_matches('/').to_owned()
}

/// A gateway's answer as a send outcome: 2xx is sent; 429 and 5xx may pass
/// (retry); any other status will not (permanent).
async fn check(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<reqwest::Response, SendError> {
    let res = sent.map_err(|e| {
        // The URL carries no secret, but the message is clearer without it.
        SendError::temporary(format!("gateway unreachable: {}", e.without_url()))
    })?;
    let status = res.status();
    if status.is_success() {
        return Ok(res);
    }
    let body = res.text().await.unwrap_or_default();
    let snippet: String = body.chars().take(200).collect();
    let message = format!("gateway answered {status}: {snippet}");
    if status.as_u16() == 429 || status.is_server_error() {
        Err(SendError::temporary(message))
    } else {
        Err(SendError::permanent(message))
    }
}

/// Fails when a gateway needs a setting that is empty.
fn require(value: &str, what: &str) -> anyhow::Result<()> {
    anyhow::ensure!(!value.trim().is_empty(), "{what} must be set");
    Ok(())
}

/// `url` when it is an absolute http(s) URL; `key` names the setting it came from.
fn checked_url(url: String, key: &str) -> anyhow::Result<String> {
    match reqwest::Url::parse(&url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(url),
        _ => anyhow::bail!("{key} is not an http(s) URL: {url:?}"),
    }
}

/// Twilio's Messages API: form `To`, `From`, `Body`, HTTP basic auth.
struct Twilio {
    http: Http,
    url: String,
    account: String,
    token: Secret,
    sender: String,
}

impl Twilio {
    fn new(c: &Config) -> anyhow::Result<Twilio> {
        let s = &c.sms;
        require(&s.account, "[sms] account (the Twilio account SID)")?;
        require(&s.sender, "[sms] sender (a Twilio number or sender id)")?;
        Ok(Twilio {
            url: checked_url(
                format!(
                    "{}/2010-04-01/Accounts/{}/Messages.json",
                    base(&s.base_url, "https://api.twilio.com"),
                    s.account.trim()
                ),
                "[sms] base_url",
            )?,
            http: Http::default(),
            account: s.account.clone(),
            token: s.token.clone(),
            sender: s.sender.clone(),
        })
    }
}

impl Provider for Twilio {
    fn send<'a>(&'a self, to: &'a str, m: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let req = self
                .http
                .get()?
                .post(&self.url)
                .basic_auth(&self.account, Some(self.token.expose()))
                .form(&[("To", to), ("From", &self.sender), ("Body", &m.text)]);
            check(req.send().await).await.map(drop)
        })
    }
}

/// Africa's Talking SMS API: form `username`, `to`, `message`, `from`,
/// the key in an `apiKey` header; per-recipient status in the JSON answer.
struct AfricasTalking {
    http: Http,
    url: String,
    username: String,
    key: Secret,
    sender: String,
}

impl AfricasTalking {
    fn new(c: &Config) -> anyhow::Result<AfricasTalking> {
        let s = &c.sms;
        require(&s.account, "[sms] account (the Africa's Talking user name)")?;
        Ok(AfricasTalking {
            url: checked_url(
                format!(
                    "{}/version1/messaging",
                    base(&s.base_url, "https://api.africastalking.com")
                ),
                "[sms] base_url",
            )?,
            http: Http::default(),
            username: s.account.clone(),
            key: s.token.clone(),
            sender: s.sender.clone(),
        })
    }
}

impl Provider for AfricasTalking {
    fn send<'a>(&'a self, to: &'a str, m: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let mut form = vec![
                ("username", self.username.as_str()),
                ("to", to),
                ("message", m.text.as_str()),
            ];
            if !self.sender.is_empty() {
                form.push(("from", &self.sender));
            }
            let req = self
                .http
                .get()?
                .post(&self.url)
                .header("apiKey", self.key.expose())
                .header("Accept", "application/json")
                .form(&form);
            let res = check(req.send().await).await?;
            let answer: serde_json::Value = res.json().await.unwrap_or_default();
            recipient_accepted(&answer)
        })
    }
}

/// Africa's Talking answers 201 even for a refused number; its recipient
/// status codes 100–102 mean accepted.
fn recipient_accepted(answer: &serde_json::Value) -> Result<(), SendError> {
    let Some(first) = answer["SMSMessageData"]["Recipients"]
        .as_array()
        .and_then(|r| r.first())
    else {
        return Ok(());
    };
    match first["statusCode"].as_i64() {
        Some(100..=102) | None => Ok(()),
        Some(code) => Err(SendError::permanent(format!(
            "gateway refused the recipient: {} ({code})",
            first["status"].as_str().unwrap_or("unknown")
        ))),
    }
}

/// Any HTTP SMS gateway: a POST of `http_body_template` (JSON, with `{to}`,
/// `{text}` and `{sender}` filled in, JSON-escaped) to `http_url`, plus the
/// configured headers.
struct HttpGateway {
    http: Http,
    url: String,
    headers: Vec<(String, Secret)>,
    template: String,
    sender: String,
}

impl HttpGateway {
    fn new(c: &Config) -> anyhow::Result<HttpGateway> {
        let s = &c.sms;
        require(&s.http_url, "[sms] http_url")?;
        let headers = s
            .http_headers
            .iter()
            .map(|h| {
                let (name, value) = h.expose().split_once(':').ok_or_else(|| {
                    anyhow::anyhow!("[sms] http_headers entries must look like \"Name: value\"")
                })?;
                let name = name.trim();
                reqwest::header::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| anyhow::anyhow!("[sms] http_headers: bad header name {name:?}"))?;
                Ok((name.to_owned(), Secret::new(value.trim())))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(HttpGateway {
            http: Http::default(),
            url: checked_url(s.http_url.trim().to_owned(), "[sms] http_url")?,
            headers,
            template: s.http_body_template.clone(),
            sender: s.sender.clone(),
        })
    }
}

/// `template` with `{to}`, `{text}` and `{sender}` replaced by JSON-escaped
/// values (without quotes: the template holds them), in one pass so a
/// placeholder inside a customer's text is never expanded.
pub fn fill_template(template: &str, to: &str, text: &str, sender: &str) -> String {
    let escape = |s: &str| {
        let quoted = serde_json::Value::from(s).to_string();
        quoted[1..quoted.len() - 1].to_owned()
    };
    let mut out = String::with_capacity(template.len() + text.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        let (value, len) = [("{to}", to), ("{text}", text), ("{sender}", sender)]
            .iter()
            .find(|(p, _)| tail.starts_with(p))
            .map(|(p, v)| (escape(v), p.len()))
            .unwrap_or_else(|| ("{".to_owned(), 1));
        out.push_str(&value);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

impl Provider for HttpGateway {
    fn send<'a>(&'a self, to: &'a str, m: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let body = fill_template(&self.template, to, &m.text, &self.sender);
            let mut req = self
                .http
                .get()?
                .post(&self.url)
                .header("Content-Type", "application/json")
                .body(body);
            for (name, value) in &self.headers {
                req = req.header(name, value.expose());
            }
            check(req.send().await).await.map(drop)
        })
    }
}

/// Meta's WhatsApp Cloud API: a text message to the number's digits.
struct CloudApi {
    http: Http,
    url: String,
    token: Secret,
}

/// The Graph API version the Cloud API calls use.
const GRAPH_VERSION: &str = "v21.0";

impl CloudApi {
    fn new(c: &Config) -> anyhow::Result<CloudApi> {
        let w = &c.whatsapp;
        require(&w.phone_number_id, "[whatsapp] phone_number_id")?;
        Ok(CloudApi {
            url: checked_url(
                format!(
                    "{}/{GRAPH_VERSION}/{}/messages",
                    base(&w.base_url, "https://graph.facebook.com"),
                    w.phone_number_id.trim()
                ),
                "[whatsapp] base_url",
            )?,
            http: Http::default(),
            token: w.token.clone(),
        })
    }
}

impl Provider for CloudApi {
    fn send<'a>(&'a self, to: &'a str, m: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let digits: String = to.chars().filter(char::is_ascii_digit).collect();
            let req = self
                .http
                .get()?
                .post(&self.url)
                .bearer_auth(self.token.expose())
                .json(&json!({
                    "messaging_product": "whatsapp",
                    "to": digits,
                    "type": "text",
                    "text": {"preview_url": false, "body": m.text},
                }));
            check(req.send().await).await.map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_escapes_and_never_expands_twice() {
        let body = fill_template(
            r#"{"to":"{to}","message":"{text}","from":"{sender}","x":{}}"#,
            "+265991234567",
            "Say \"hi\" {to}\nbye",
            "DAYTONA",
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["to"], "+265991234567");
        assert_eq!(v["message"], "Say \"hi\" {to}\nbye");
        assert_eq!(v["from"], "DAYTONA");
    }

    #[test]
    fn africas_talking_recipient_status() {
        let ok =
            json!({"SMSMessageData": {"Recipients": [{"statusCode": 101, "status": "Success"}]}});
        assert!(recipient_accepted(&ok).is_ok());
        let bad = json!({"SMSMessageData": {"Recipients": [{"statusCode": 403, "status": "InvalidPhoneNumber"}]}});
        let err = recipient_accepted(&bad).unwrap_err();
        assert!(err.permanent && err.message.contains("InvalidPhoneNumber"));
        assert!(recipient_accepted(&json!({})).is_ok());
    }

    #[test]
    fn html_keeps_paragraphs_and_escapes() {
        let html = html_body(&Message {
            subject: "S".into(),
            text: "Dear <b>A</b>,\n\nLine 1\nLine 2".into(),
        });
        assert!(html.contains("&lt;b&gt;A&lt;/b&gt;"));
        assert!(html.contains("<p>Line 1<br>Line 2</p>"));
    }
}
