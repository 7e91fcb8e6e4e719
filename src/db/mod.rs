//! The database handle: the only way to a SQLite connection.
//!
//! One writer connection behind a mutex serialises every write transaction
//! (SQLite allows one writer at a time anyway, and `BEGIN IMMEDIATE` on a
//! single connection can never hit the read-to-write upgrade deadlock), plus a
//! small pool of read-only connections that WAL lets run beside it. All work
//! runs in `spawn_blocking`, never on the async runtime's threads.

mod lock;
mod migrate;

pub use lock::{DataDirLock, LockError};
pub use migrate::{migrate, schema_version};

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::{Context, anyhow};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::Semaphore;

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "daytona.db";

/// How many read connections may be open at once; enough for a 1–2 core box.
const READERS: usize = 4;

/// How long a connection waits for a lock before giving up with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Cheap-to-clone handle to the database.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    /// Idle read connections; the semaphore bounds how many exist.
    readers: Mutex<Vec<Connection>>,
    reader_slots: Semaphore,
}

impl Db {
    /// Opens (creating if needed) `<data_dir>/daytona.db` and applies pending migrations.
    pub fn open(data_dir: &Path) -> anyhow::Result<Db> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
        let path = data_dir.join(DB_FILE);
        let mut writer = open_connection(&path, false)?;
        migrate(&mut writer)?;
        Ok(Db {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                reader_slots: Semaphore::new(READERS),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on a read-only connection.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + Send + 'static,
    {
        let _permit = self
            .inner
            .reader_slots
            .acquire()
            .await
            .map_err(|e| E::from(anyhow!(e)))?;
        let inner = self.inner.clone();
        run_blocking(move || {
            let conn = match lock(&inner.readers)?.pop() {
                Some(conn) => conn,
                None => open_connection(&inner.path, true)?,
            };
            let result = f(&conn);
            lock(&inner.readers)?.push(conn);
            result
        })
        .await
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the writer; commits
    /// when `f` returns `Ok`, rolls back otherwise.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + Send + 'static,
    {
        let inner = self.inner.clone();
        run_blocking(move || {
            let mut conn = lock(&inner.writer)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| E::from(anyhow!(e)))?;
            let value = f(&tx)?;
            tx.commit().map_err(|e| E::from(anyhow!(e)))?;
            Ok(value)
        })
        .await
    }

    /// Runs `f` with the writer connection itself, outside any transaction
    /// (for `VACUUM INTO`, online backup and other whole-database work).
    pub async fn with_writer<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + Send + 'static,
    {
        let inner = self.inner.clone();
        run_blocking(move || f(&mut *lock(&inner.writer)?)).await
    }
}

/// Runs blocking work on tokio's blocking pool, keeping the caller's tracing span.
async fn run_blocking<T, E, F>(f: F) -> Result<T, E>
where
    F: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<anyhow::Error> + Send + 'static,
{
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || span.in_scope(f))
        .await
        .map_err(|e| E::from(anyhow!("database task failed: {e}")))?
}

fn lock<T, E: From<anyhow::Error>>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, E> {
    m.lock()
        .map_err(|_| E::from(anyhow!("database connection lock poisoned")))
}

/// Opens one connection with the pragmas every connection needs.
///
/// `synchronous=FULL` makes a commit durable across a power cut, which is
/// common where this runs: an acknowledged booking must survive one.
pub fn open_connection(path: &Path, read_only: bool) -> anyhow::Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)
        .with_context(|| format!("cannot open database {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if !read_only {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        anyhow::ensure!(mode == "wal", "database refused WAL mode (got {mode})");
    }
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(conn)
}

/// Formats a timestamp the way every `*_at` column stores it: fixed-width UTC
/// with milliseconds, so text order is time order.
pub fn ts(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A new random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
