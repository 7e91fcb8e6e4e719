//! Configuration: embedded defaults, one optional TOML file, then environment.
//!
//! `config.example.toml` is compiled in and *is* the set of defaults, so the
//! documented file and the built-in values cannot drift apart. A user file is
//! merged over it key by key (a key the defaults do not have is an error that
//! names it), then `DAYTONA_<SECTION>__<KEY>` variables override single keys,
//! and finally the merged tree is deserialised into typed structs whose field
//! types validate themselves ("parse, don't validate").

use std::{fmt, net::SocketAddr, path::Path, path::PathBuf};

use ipnet::IpNet;
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

/// The documented default configuration, embedded in the binary.
pub const DEFAULT_TOML: &str = include_str!("../config.example.toml");

/// Prefix of environment overrides.
const ENV_PREFIX: &str = "DAYTONA_";

/// Environment variables with the prefix that are not config keys.
const ENV_RESERVED: &[&str] = &["DAYTONA_CONFIG"];

/// Why a configuration could not be loaded. Every variant is a usage error (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("unknown config key `{0}` (see `daytona config default` for every key)")]
    UnknownKey(String),
    #[error("unknown config override {0}: no such key (see `daytona config default`)")]
    UnknownEnv(String),
    #[error("invalid value for `{key}`: {message}")]
    Invalid { key: String, message: String },
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: Server,
    pub storage: Storage,
    pub business: Business,
    pub booking: Booking,
    pub email: Email,
    pub sms: Sms,
    pub whatsapp: WhatsApp,
    pub reminders: Reminders,
    pub backup: Backup,
    pub retention: Retention,
    pub security: Security,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Server {
    pub listen: SocketAddr,
    pub public_url: PublicUrl,
    pub trust_proxy: bool,
    pub log_format: LogFormat,
    pub request_timeout_secs: Positive,
    pub max_body_kib: Positive,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    pub data_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Business {
    pub name: String,
    pub phone: String,
    pub whatsapp: String,
    pub email: String,
    pub address: String,
    pub timezone: Zone,
    pub currency: String,
    pub staff_emails: Vec<String>,
    pub staff_phones: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Booking {
    pub slot_minutes: Positive,
    pub capacity_per_slot: Positive,
    pub closed_dates: Vec<Date>,
    pub min_notice_hours: u32,
    pub max_days_ahead: Positive,
    pub hours: WeekHours,
    pub service_types: ServiceTypeLabels,
}

/// Opening hours for each day of the week.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WeekHours {
    pub mon: OpeningHours,
    pub tue: OpeningHours,
    pub wed: OpeningHours,
    pub thu: OpeningHours,
    pub fri: OpeningHours,
    pub sat: OpeningHours,
    pub sun: OpeningHours,
}

impl WeekHours {
    /// The hours of one weekday.
    pub fn on(&self, day: jiff::civil::Weekday) -> &OpeningHours {
        use jiff::civil::Weekday::*;
        match day {
            Monday => &self.mon,
            Tuesday => &self.tue,
            Wednesday => &self.wed,
            Thursday => &self.thu,
            Friday => &self.fri,
            Saturday => &self.sat,
            Sunday => &self.sun,
        }
    }
}

/// Customer-facing names of the six service types.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceTypeLabels {
    pub oil_change: String,
    pub full_service: String,
    pub tyre_alignment: String,
    pub suspension_check: String,
    pub brake_check: String,
    pub other: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmailProvider {
    Log,
    Smtp,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Email {
    pub provider: EmailProvider,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub username: String,
    pub password: Secret,
    pub from: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmsProvider {
    Log,
    Twilio,
    Africastalking,
    Http,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sms {
    pub provider: SmsProvider,
    pub sender: String,
    pub account: String,
    pub token: Secret,
    pub base_url: String,
    pub http_url: String,
    pub http_headers: Vec<Secret>,
    pub http_body_template: String,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WhatsAppProvider {
    None,
    Log,
    CloudApi,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WhatsApp {
    pub provider: WhatsAppProvider,
    pub token: Secret,
    pub phone_number_id: String,
    pub base_url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Reminders {
    pub hours_before: Positive,
    pub schedule: CronSchedule,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    pub schedule: CronSchedule,
    pub dir: PathBuf,
    pub keep: Positive,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    pub leads_days: Positive,
    pub bookings_days: Positive,
    pub notifications_days: Positive,
    pub audit_days: Positive,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Security {
    pub admin_allow: Vec<IpNet>,
    pub session_hours: Positive,
    pub session_idle_minutes: Positive,
    pub require_totp: bool,
    pub login_max_failures: Positive,
    pub login_lockout_minutes: Positive,
    pub bookings_per_hour: Positive,
    pub lookups_per_hour: Positive,
    pub inquiries_per_hour: Positive,
}

impl Config {
    /// Loads defaults, then `path` (if any), then the `DAYTONA_*` variables in `env`.
    ///
    /// The environment is a parameter so tests can inject it.
    pub fn load<I>(path: Option<&Path>, env: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut tree = default_tree();
        if let Some(path) = path {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.to_owned(),
                source,
            })?;
            let file: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
                path: path.to_owned(),
                message: e.message().to_owned(),
            })?;
            merge(&mut tree, file, "")?;
        }
        for (name, value) in env {
            if name.starts_with(ENV_PREFIX) && !ENV_RESERVED.contains(&name.as_str()) {
                apply_env(&mut tree, &name, &value)?;
            }
        }
        from_tree(tree)
    }

    /// The built-in defaults.
    pub fn defaults() -> Config {
        // The embedded file is covered by tests; failing here is a build defect.
        #[allow(clippy::expect_used)]
        from_tree(default_tree()).expect("embedded config.example.toml is valid")
    }

    /// Base URL for absolute links, without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.server.public_url.0 {
            Some(url) => url.clone(),
            None => {
                // A wildcard listen address is no place to send a browser to.
                let mut addr = self.server.listen;
                if addr.ip().is_unspecified() {
                    addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                format!("http://{addr}")
            }
        }
    }

    /// Whether the site is served over HTTPS (decides `Secure` cookies and HSTS).
    pub fn is_https(&self) -> bool {
        self.base_url().starts_with("https://")
    }

    /// Where backups go.
    pub fn backup_dir(&self) -> PathBuf {
        if self.backup.dir.as_os_str().is_empty() {
            self.storage.data_dir.join("backups")
        } else {
            self.backup.dir.clone()
        }
    }
}

fn default_tree() -> toml::Table {
    // The embedded file is covered by tests; failing here is a build defect.
    #[allow(clippy::expect_used)]
    toml::from_str(DEFAULT_TOML).expect("embedded config.example.toml parses")
}

fn from_tree(tree: toml::Table) -> Result<Config, ConfigError> {
    serde_path_to_error::deserialize(toml::Value::Table(tree)).map_err(|e| ConfigError::Invalid {
        key: e.path().to_string(),
        message: e.inner().message().to_owned(),
    })
}

/// Merges `over` into `base`; every key of `over` must exist in `base`.
fn merge(base: &mut toml::Table, over: toml::Table, prefix: &str) -> Result<(), ConfigError> {
    for (key, value) in over {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (base.get_mut(&key), value) {
            (None, _) => return Err(ConfigError::UnknownKey(path)),
            (Some(toml::Value::Table(inner)), toml::Value::Table(value)) => {
                merge(inner, value, &path)?
            }
            (Some(toml::Value::Table(_)), _) => {
                return Err(ConfigError::Invalid {
                    key: path,
                    message: "expected a [section], found a value".into(),
                });
            }
            (Some(slot), value) => *slot = value,
        }
    }
    Ok(())
}

/// Applies one `DAYTONA_SECTION__KEY=value` override.
///
/// The value is read in the type of the default it replaces, so a numeric
/// password stays a string and `true` becomes a boolean.
fn apply_env(tree: &mut toml::Table, name: &str, raw: &str) -> Result<(), ConfigError> {
    let path: Vec<String> = name[ENV_PREFIX.len()..]
        .split("__")
        .map(str::to_ascii_lowercase)
        .collect();
    let unknown = || ConfigError::UnknownEnv(name.to_owned());
    let (last, sections) = path.split_last().ok_or_else(unknown)?;
    let mut table = tree;
    for section in sections {
        table = match table.get_mut(section) {
            Some(toml::Value::Table(t)) => t,
            _ => return Err(unknown()),
        };
    }
    let slot = table.get_mut(last).ok_or_else(unknown)?;
    let invalid = |message: &str| ConfigError::Invalid {
        key: format!("{} (from {name})", path.join(".")),
        message: message.to_owned(),
    };
    *slot = match slot {
        toml::Value::String(_) => toml::Value::String(raw.to_owned()),
        toml::Value::Table(_) => return Err(unknown()),
        toml::Value::Array(_) if !raw.trim_start().starts_with('[') => {
            // A plain comma-separated list is the friendly form for arrays.
            let items = raw.split(',').map(str::trim).filter(|s| !s.is_empty());
            toml::Value::Array(items.map(|s| toml::Value::String(s.to_owned())).collect())
        }
        _ => {
            let doc: toml::Table = toml::from_str(&format!("v = {raw}"))
                .map_err(|_| invalid("not a valid value for this key"))?;
            doc.get("v")
                .cloned()
                .ok_or_else(|| invalid("empty value"))?
        }
    };
    Ok(())
}

/// An integer of at least 1.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(try_from = "i64", into = "i64")]
pub struct Positive(pub u32);

impl TryFrom<i64> for Positive {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        u32::try_from(v)
            .ok()
            .filter(|v| *v >= 1)
            .map(Positive)
            .ok_or_else(|| format!("must be a whole number of at least 1, got {v}"))
    }
}

impl From<Positive> for i64 {
    fn from(v: Positive) -> i64 {
        v.0.into()
    }
}

/// `public_url`: empty, or an absolute http(s) URL (stored without a trailing slash).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(try_from = "String", into = "String")]
pub struct PublicUrl(pub Option<String>);

impl TryFrom<String> for PublicUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let s = s.trim().trim_end_matches('/');
        if s.is_empty() {
            return Ok(PublicUrl(None));
        }
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or("must start with http:// or https://")?;
        if rest.is_empty() || rest.contains(char::is_whitespace) {
            return Err("must be a URL such as https://daytona.mw".into());
        }
        Ok(PublicUrl(Some(s.to_owned())))
    }
}

impl From<PublicUrl> for String {
    fn from(v: PublicUrl) -> String {
        v.0.unwrap_or_default()
    }
}

/// An IANA time zone name that the bundled database knows.
#[derive(Clone, Deserialize, Serialize, PartialEq)]
#[serde(try_from = "String", into = "String")]
pub struct Zone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl Zone {
    pub fn tz(&self) -> &jiff::tz::TimeZone {
        &self.tz
    }
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl TryFrom<String> for Zone {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        let tz = jiff::tz::TimeZone::get(&name).map_err(|_| {
            format!("unknown time zone {name:?} (use an IANA name such as Africa/Blantyre)")
        })?;
        Ok(Zone { name, tz })
    }
}

impl From<Zone> for String {
    fn from(v: Zone) -> String {
        v.name
    }
}

/// Opening hours of one day: closed (`""`) or `"HH:MM-HH:MM"` with open < close.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(try_from = "String", into = "String")]
pub struct OpeningHours(pub Option<(Time, Time)>);

impl TryFrom<String> for OpeningHours {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(OpeningHours(None));
        }
        let err = || format!("expected \"HH:MM-HH:MM\" or \"\" for closed, got {s:?}");
        let (open, close) = s.split_once('-').ok_or_else(err)?;
        let parse = |t: &str| Time::strptime("%H:%M", t.trim()).map_err(|_| err());
        let (open, close) = (parse(open)?, parse(close)?);
        if open >= close {
            return Err(format!("opening time must be before closing time in {s:?}"));
        }
        Ok(OpeningHours(Some((open, close))))
    }
}

impl From<OpeningHours> for String {
    fn from(v: OpeningHours) -> String {
        v.to_string()
    }
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => Ok(()),
            Some((open, close)) => {
                write!(f, "{}-{}", open.strftime("%H:%M"), close.strftime("%H:%M"))
            }
        }
    }
}

/// A 6-field cron expression (seconds first), as tokio-cron-scheduler reads it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(try_from = "String", into = "String")]
pub struct CronSchedule(pub String);

impl TryFrom<String> for CronSchedule {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let fields = s.split_whitespace().count();
        if fields != 6 {
            return Err(format!(
                "expected 6 cron fields (sec min hour day month weekday), got {fields} in {s:?}"
            ));
        }
        Ok(CronSchedule(s))
    }
}

impl From<CronSchedule> for String {
    fn from(v: CronSchedule) -> String {
        v.0
    }
}

/// A secret value: never printed by `Debug`, redacted when serialised for display.
#[derive(Clone, Deserialize, PartialEq, Eq, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it to its service.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.is_set() {
            "\"<redacted>\""
        } else {
            "\"\""
        })
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.is_set() { "<redacted>" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = Config::defaults();
        assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.storage.data_dir, PathBuf::from("./data"));
        assert_eq!(c.business.timezone.name(), "Africa/Blantyre");
        assert_eq!(c.business.currency, "MWK");
        assert_eq!(c.booking.slot_minutes.0, 60);
        assert_eq!(c.booking.capacity_per_slot.0, 3);
        assert_eq!(c.booking.min_notice_hours, 2);
        assert_eq!(c.booking.max_days_ahead.0, 60);
        assert_eq!(c.booking.hours.mon.to_string(), "07:30-17:00");
        assert_eq!(c.booking.hours.sat.to_string(), "08:00-12:00");
        assert_eq!(c.booking.hours.sun, OpeningHours(None));
        assert_eq!(c.reminders.hours_before.0, 24);
        assert_eq!(c.backup.keep.0, 14);
        assert_eq!(c.backup_dir(), PathBuf::from("./data/backups"));
        assert_eq!(c.retention.leads_days.0, 1095);
        assert_eq!(c.retention.notifications_days.0, 180);
        assert_eq!(c.retention.audit_days.0, 730);
        assert_eq!(c.email.provider, EmailProvider::Log);
        assert_eq!(c.sms.provider, SmsProvider::Log);
        assert_eq!(c.whatsapp.provider, WhatsAppProvider::None);
        assert!(!c.server.trust_proxy);
        assert_eq!(c.base_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn every_default_key_is_documented_by_a_comment() {
        let mut previous = "";
        for line in DEFAULT_TOML.lines() {
            let t = line.trim();
            let is_key = !t.is_empty() && !t.starts_with('#') && !t.starts_with('[');
            assert!(
                !is_key || previous.starts_with('#'),
                "key without a comment above it in config.example.toml: {t}"
            );
            previous = t;
        }
    }

    #[test]
    fn environment_overrides_keep_the_type_of_the_default() {
        let c = Config::load(
            None,
            env(&[
                ("DAYTONA_EMAIL__PASSWORD", "123456"),
                ("DAYTONA_BOOKING__CAPACITY_PER_SLOT", "5"),
                ("DAYTONA_SERVER__TRUST_PROXY", "true"),
                ("DAYTONA_BOOKING__HOURS__SAT", "08:00-13:00"),
                ("DAYTONA_BUSINESS__STAFF_EMAILS", "a@x.mw, b@x.mw"),
                ("DAYTONA_SECURITY__ADMIN_ALLOW", "[\"10.1.0.0/16\"]"),
                ("DAYTONA_CONFIG", "ignored.toml"),
                ("PATH", "/usr/bin"),
            ]),
        )
        .unwrap();
        assert_eq!(c.email.password.expose(), "123456");
        assert_eq!(c.booking.capacity_per_slot.0, 5);
        assert!(c.server.trust_proxy);
        assert_eq!(c.booking.hours.sat.to_string(), "08:00-13:00");
        assert_eq!(c.business.staff_emails, vec!["a@x.mw", "b@x.mw"]);
        assert_eq!(c.security.admin_allow.len(), 1);
    }

    #[test]
    fn unknown_environment_key_is_named() {
        let err = Config::load(None, env(&[("DAYTONA_SERVER__LISTEN_ON", "x")])).unwrap_err();
        assert!(
            err.to_string().contains("DAYTONA_SERVER__LISTEN_ON"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            (
                "DAYTONA_BUSINESS__TIMEZONE",
                "Mars/Olympus",
                "business.timezone",
            ),
            (
                "DAYTONA_BOOKING__HOURS__MON",
                "17:00-07:00",
                "booking.hours.mon",
            ),
            ("DAYTONA_EMAIL__PROVIDER", "pigeon", "email.provider"),
            ("DAYTONA_BOOKING__SLOT_MINUTES", "0", "booking.slot_minutes"),
            (
                "DAYTONA_SECURITY__ADMIN_ALLOW",
                "10.0.0.0/33",
                "security.admin_allow",
            ),
            (
                "DAYTONA_SERVER__PUBLIC_URL",
                "daytona.mw",
                "server.public_url",
            ),
            (
                "DAYTONA_REMINDERS__SCHEDULE",
                "*/5 * * * *",
                "reminders.schedule",
            ),
            (
                "DAYTONA_BOOKING__CLOSED_DATES",
                "2026-02-30",
                "booking.closed_dates",
            ),
            ("DAYTONA_SERVER__LISTEN", "nowhere", "server.listen"),
        ];
        for (var, value, key) in cases {
            let err = Config::load(None, env(&[(var, value)])).unwrap_err();
            assert!(err.to_string().contains(key), "{var}={value}: {err}");
        }
    }

    #[test]
    fn secrets_are_redacted_in_debug_and_serialisation() {
        let c = Config::load(None, env(&[("DAYTONA_SMS__TOKEN", "hunter2")])).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!serde_json::to_string(&c).unwrap().contains("hunter2"));
        assert_eq!(c.sms.token.expose(), "hunter2");
    }
}
