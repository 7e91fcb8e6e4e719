//! Staff users, sessions and setup tokens in SQLite. Plain functions over a
//! connection: the caller owns the transaction.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::auth::model::NewUser;
use crate::db::ts;
use crate::ids::UserId;
use crate::roles::Role;

/// A staff user as stored.
#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
    /// Base32 TOTP secret when two-step sign-in is on.
    pub totp_secret: Option<String>,
    pub totp_last_step: Option<i64>,
}

impl User {
    /// This user, acting from `ip`, as the audit log records them.
    pub fn actor(&self, ip: std::net::IpAddr) -> crate::audit::actor::Actor {
        crate::audit::actor::Actor {
            user_id: Some(self.id.clone()),
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role,
            ip: Some(ip.to_string()),
        }
    }
}

const USER_COLUMNS: &str =
    "id, email, name, role, password_hash, disabled, totp_secret, totp_last_step";

fn user_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(3)?;
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        // The CHECK constraint admits only valid roles.
        role: Role::parse(&role).unwrap_or(Role::Technician),
        password_hash: r.get(4)?,
        disabled: r.get(5)?,
        totp_secret: r.get(6)?,
        totp_last_step: r.get(7)?,
    })
}

pub fn count_users(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))
}

pub fn find_user_by_email(conn: &Connection, email: &str) -> rusqlite::Result<Option<User>> {
    conn.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE email = ?1"),
        [email],
        user_from_row,
    )
    .optional()
}

/// Inserts a user whose password is already hashed; returns the new id.
pub fn insert_user(
    conn: &Connection,
    user: &NewUser,
    password_hash: &str,
    now: Timestamp,
) -> rusqlite::Result<UserId> {
    let id = UserId::new();
    conn.execute(
        "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            id,
            user.email.as_str(),
            user.name,
            user.role.as_str(),
            password_hash,
            ts(now)
        ],
    )?;
    Ok(id)
}

/// Sets a new password hash and revokes every session of that user.
/// Returns false when no such user exists.
pub fn set_password(
    conn: &Connection,
    email: &str,
    password_hash: &str,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    let Some(user) = find_user_by_email(conn, email)? else {
        return Ok(false);
    };
    conn.execute(
        "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
        params![password_hash, ts(now), user.id],
    )?;
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", [&user.id])?;
    Ok(true)
}

pub fn record_login(conn: &Connection, user_id: &UserId, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE users SET last_login_at = ?1 WHERE id = ?2",
        params![ts(now), user_id],
    )?;
    Ok(())
}

pub fn record_login_attempt(
    conn: &Connection,
    email: &str,
    ip: &str,
    succeeded: bool,
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO login_attempts (email, ip, succeeded, at) VALUES (?1, ?2, ?3, ?4)",
        params![email, ip, succeeded, ts(now)],
    )?;
    Ok(())
}

/// Failed attempts since `since`, for this account or this address (the
/// larger count), not counting those before that account's or address's
/// last success.
pub fn recent_login_failures(
    c: &Connection,
    email: &str,
    ip: &str,
    since: &str,
) -> rusqlite::Result<i64> {
    let count = |column: &str, key: &str| -> rusqlite::Result<i64> {
        c.prepare_cached(&format!(
            "SELECT COUNT(*) FROM login_attempts
             WHERE {column} = ?1 AND succeeded = 0 AND at > ?2
               AND at > COALESCE((SELECT MAX(at) FROM login_attempts WHERE {column} = ?1 AND succeeded = 1), '')"
        ))?
        .query_row(params![key, since], |r| r.get(0))
    };
    Ok(count("email", email)?.max(count("ip", ip)?))
}

/// The last TOTP time step accepted for this user (a code works once).
pub fn totp_last_step(conn: &Connection, id: &UserId) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT totp_last_step FROM users WHERE id = ?1",
        [id],
        |r| r.get(0),
    )
}

pub fn set_totp_last_step(conn: &Connection, id: &UserId, step: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE users SET totp_last_step = ?1 WHERE id = ?2",
        params![step, id],
    )?;
    Ok(())
}

/// Spends an unused recovery code; false when there is no such code.
pub fn use_recovery_code(
    conn: &Connection,
    id: &UserId,
    code_hash: &str,
    now: Timestamp,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE recovery_codes SET used_at = ?1 WHERE user_id = ?2 AND code_hash = ?3 AND used_at IS NULL",
        params![ts(now), id, code_hash],
    )? == 1)
}

pub fn unused_recovery_codes(conn: &Connection, id: &UserId) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
        [id],
        |r| r.get(0),
    )
}

/// Turns two-step sign-in on with `secret`, replacing any recovery codes.
pub fn enable_totp(
    conn: &Connection,
    id: &UserId,
    secret: &str,
    step: i64,
    recovery_hashes: &[String],
    now: Timestamp,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE users SET totp_secret = ?1, totp_last_step = ?2, updated_at = ?3 WHERE id = ?4",
        params![secret, step, ts(now), id],
    )?;
    conn.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [id])?;
    for h in recovery_hashes {
        conn.execute(
            "INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![crate::db::new_id(), id, h, ts(now)],
        )?;
    }
    Ok(())
}

pub fn disable_totp(conn: &Connection, id: &UserId, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE users SET totp_secret = NULL, totp_last_step = NULL, updated_at = ?1 WHERE id = ?2",
        params![ts(now), id],
    )?;
    conn.execute("DELETE FROM recovery_codes WHERE user_id = ?1", [id])?;
    Ok(())
}

/// A staff user as the users list and API show them (no secrets).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StaffUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub last_login_at: Option<String>,
}

const STAFF_COLUMNS: &str = "id, email, name, role, disabled, last_login_at";

fn staff_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StaffUser> {
    let role: String = r.get(3)?;
    Ok(StaffUser {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        role: Role::parse(&role).unwrap_or(Role::Technician),
        disabled: r.get(4)?,
        last_login_at: r.get(5)?,
    })
}

/// Every staff user, enabled ones first, by name.
pub fn list_staff(c: &Connection) -> rusqlite::Result<Vec<StaffUser>> {
    c.prepare_cached(&format!(
        "SELECT {STAFF_COLUMNS} FROM users ORDER BY disabled, name COLLATE NOCASE"
    ))?
    .query_map([], staff_from_row)?
    .collect()
}

pub fn find_staff(c: &Connection, id: &UserId) -> rusqlite::Result<Option<StaffUser>> {
    c.prepare_cached(&format!("SELECT {STAFF_COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id], staff_from_row)
        .optional()
}

pub fn set_name(c: &Connection, id: &UserId, name: &str, now: Timestamp) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET name = ?1, updated_at = ?2 WHERE id = ?3",
        params![name, ts(now), id],
    )?;
    Ok(())
}

pub fn set_role(c: &Connection, id: &UserId, role: Role, now: Timestamp) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET role = ?1, updated_at = ?2 WHERE id = ?3",
        params![role.as_str(), ts(now), id],
    )?;
    Ok(())
}

/// Disables or enables a user; disabling signs them out everywhere.
pub fn set_disabled(
    c: &Connection,
    id: &UserId,
    disabled: bool,
    now: Timestamp,
) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET disabled = ?1, updated_at = ?2 WHERE id = ?3",
        params![disabled, ts(now), id],
    )?;
    if disabled {
        c.execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
    }
    Ok(())
}

/// A fresh random secret (hex), for session tokens, CSRF tokens and setup links.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Only this digest of a secret token is stored, so a leaked database does
/// not hand out live sessions.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How a session was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Cookie,
    Bearer,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

/// A new session's secrets; only the hash of `token` is stored.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
    pub expires_at: Timestamp,
}

pub fn create_session(
    conn: &Connection,
    user_id: &UserId,
    kind: SessionKind,
    lifetime: SignedDuration,
    ip: &str,
    user_agent: &str,
    now: Timestamp,
) -> anyhow::Result<NewSession> {
    let token = random_token();
    let csrf = random_token();
    let expires_at = now.checked_add(lifetime)?;
    let kind = kind.as_str();
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, ip, user_agent, created_at, last_seen_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
        params![token_hash(&token), user_id, kind, csrf, ip, user_agent, ts(now), ts(expires_at)],
    )?;
    Ok(NewSession {
        token,
        csrf,
        expires_at,
    })
}

/// A live session with its user.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub user: User,
    pub csrf: String,
    pub last_seen_at: String,
}

/// Looks up a session that is neither expired nor idle for longer than
/// `idle`, whose user is not disabled.
pub fn find_session(
    conn: &Connection,
    token: &str,
    kind: SessionKind,
    idle: SignedDuration,
    now: Timestamp,
) -> anyhow::Result<Option<SessionUser>> {
    let idle_cutoff = ts(now.checked_sub(idle)?);
    let found = conn
        .query_row(
            "SELECT u.id, u.email, u.name, u.role, u.password_hash, u.disabled, u.totp_secret, u.totp_last_step,
                    s.csrf_token, s.last_seen_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.last_seen_at > ?3 AND u.disabled = 0
               AND s.kind = ?4",
            params![token_hash(token), ts(now), idle_cutoff, kind.as_str()],
            |r| {
                Ok(SessionUser {
                    user: user_from_row(r)?,
                    csrf: r.get(8)?,
                    last_seen_at: r.get(9)?,
                })
            },
        )
        .optional()?;
    Ok(found)
}

pub fn touch_session(conn: &Connection, token: &str, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sessions SET last_seen_at = ?1 WHERE token_hash = ?2",
        params![ts(now), token_hash(token)],
    )?;
    Ok(())
}

pub fn delete_session(conn: &Connection, token: &str) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM sessions WHERE token_hash = ?1",
        [token_hash(token)],
    )?;
    Ok(())
}

/// Replaces any earlier setup token with a new one valid for `lifetime`.
pub fn create_setup_token(
    conn: &Connection,
    lifetime: SignedDuration,
    now: Timestamp,
) -> anyhow::Result<String> {
    let token = random_token();
    conn.execute("DELETE FROM setup_tokens", [])?;
    conn.execute(
        "INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES (?1, ?2, ?3)",
        params![token_hash(&token), ts(now), ts(now.checked_add(lifetime)?)],
    )?;
    Ok(token)
}

pub fn setup_token_valid(conn: &Connection, token: &str, now: Timestamp) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM setup_tokens WHERE token_hash = ?1 AND expires_at > ?2)",
        params![token_hash(token), ts(now)],
        |r| r.get(0),
    )
}

pub fn delete_setup_tokens(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM setup_tokens", [])?;
    Ok(())
}

/// What the cleanup job removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: usize,
    pub setup_tokens: usize,
    pub login_attempts: usize,
}

/// Deletes sessions that expired or sat idle for longer than `idle`, expired
/// setup links, and login attempts older than `attempts_kept` (throttling
/// only looks back `login_lockout_minutes`).
pub fn purge_expired(
    conn: &Connection,
    idle: SignedDuration,
    attempts_kept: SignedDuration,
    now: Timestamp,
) -> anyhow::Result<Purged> {
    Ok(Purged {
        sessions: conn.execute(
            "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?2",
            params![ts(now), ts(now.checked_sub(idle)?)],
        )?,
        setup_tokens: conn.execute("DELETE FROM setup_tokens WHERE expires_at <= ?1", [ts(now)])?,
        login_attempts: conn.execute(
            "DELETE FROM login_attempts WHERE at < ?1",
            [ts(now.checked_sub(attempts_kept)?)],
        )?,
    })
}
