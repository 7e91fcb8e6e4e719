//! The database handle: the only way to a SQLite connection.
//!
//! Writes go to one dedicated writer thread that owns the only read-write
//! connection. It takes every write waiting in its queue and runs them in one
//! `BEGIN IMMEDIATE` transaction, each inside its own savepoint (so one
//! failing write rolls back alone), then commits once: group commit. With
//! `synchronous=FULL` a commit costs an fsync, so batching lets throughput
//! follow the disk instead of being capped at one booking per fsync; every
//! caller still hears "done" only after the commit that made its write
//! durable. One writer also means SQLite never sees two writers, so there is
//! no read-to-write upgrade deadlock or SQLITE_BUSY between our own writes.
//!
//! The writer also tells the outbox worker when a commit added or changed a
//! `notifications` row (an SQLite update hook sets a flag; the commit pokes a
//! `Notify`), so a queued message is sent at once whichever domain queued it.
//!
//! Reads use a small pool of read-only connections that WAL lets run beside
//! the writer, on tokio's blocking pool. Nothing touches SQLite on the async
//! runtime's threads.
//!
//! The write-ahead log is kept small (see `checkpoint_loop`): a log that
//! grows without bound fills a small VPS disk, and after a power cut the
//! next start must read all of it before answering.

mod lock;
mod migrate;

pub use lock::{DataDirLock, LockError};
pub use migrate::{migrate, schema_version};

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering},
        mpsc,
    },
    time::Duration,
};

use anyhow::{Context, anyhow};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::{Notify, Semaphore, oneshot};

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "daytona.db";

/// How many read connections may be open at once; enough for a 1–2 core box.
const READERS: usize = 4;

/// How many queued writes share one commit at most.
const MAX_BATCH: usize = 64;

/// The write-ahead log's bound (`journal_size_limit`). The writer
/// checkpoints on its own once the log holds half of it, so even a long
/// burst of writes leaves at most this much for the next start to read.
pub const WAL_MAX_BYTES: u64 = 16 << 20;

/// How long a connection waits for a lock before giving up with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Cheap-to-clone handle to the database.
#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// The writer thread's queue; the thread ends when the last `Db` is dropped.
    writer: mpsc::Sender<Job>,
    /// Dropping it (with the last `Db`) stops the checkpoint thread.
    _checkpointer: mpsc::Sender<()>,
    /// Idle read connections; the semaphore bounds how many exist.
    readers: Mutex<Vec<Connection>>,
    reader_slots: Semaphore,
    /// Poked after each commit that touched `notifications`.
    outbox: Arc<Notify>,
}

/// How the writer notices outbox writes: the update hook sets `touched`;
/// after a successful commit the writer clears it and pokes `outbox`.
struct OutboxSignal {
    touched: Arc<AtomicBool>,
    outbox: Arc<Notify>,
}

impl OutboxSignal {
    fn install(conn: &mut Connection) -> anyhow::Result<OutboxSignal> {
        let touched = Arc::new(AtomicBool::new(false));
        let flag = touched.clone();
        conn.update_hook(Some(
            move |_: rusqlite::hooks::Action, _: &str, table: &str, _: i64| {
                if table == "notifications" {
                    flag.store(true, Ordering::Relaxed);
                }
            },
        ))?;
        Ok(OutboxSignal {
            touched,
            outbox: Arc::new(Notify::new()),
        })
    }

    /// After a commit: wake the worker if the commit queued or changed a message.
    fn committed(&self, ok: bool) {
        if self.touched.swap(false, Ordering::Relaxed) && ok {
            self.outbox.notify_one();
        }
    }
}

/// What the writer knows about the write-ahead log: how many frames it
/// holds (from SQLite's WAL hook, after each commit) and how many writes it
/// has run (so the checkpoint thread can tell when it is idle).
struct WalWatch {
    frames: Arc<AtomicU32>,
    commits: Arc<AtomicU64>,
    /// Past this many frames the writer checkpoints on its own.
    checkpoint_at: u32,
}

impl WalWatch {
    fn install(conn: &mut Connection) -> anyhow::Result<WalWatch> {
        // Checkpoints copy the WAL into the database file and fsync it; the
        // checkpoint thread does that beside the writer, so SQLite's own
        // automatic checkpoint (run by the committing connection) is off.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let page: u32 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let frames = Arc::new(AtomicU32::new(0));
        let count = frames.clone();
        conn.wal_hook(Some(move |_: &mut rusqlite::hooks::Wal, pages| {
            count.store(u32::try_from(pages).unwrap_or(0), Ordering::Relaxed);
            Ok(())
        }))?;
        Ok(WalWatch {
            frames,
            commits: Arc::new(AtomicU64::new(0)),
            checkpoint_at: u32::try_from(WAL_MAX_BYTES / 2 / u64::from(page.max(512)))
                .unwrap_or(u32::MAX),
        })
    }

    /// After each write. A checkpoint beside a busy writer never catches up
    /// with it, and SQLite starts the log over only when a write begins with
    /// every frame copied back; so during a burst the writer itself copies
    /// the (short) rest once the log is past half its bound. Its next write
    /// then starts the log over, and `journal_size_limit` trims the file.
    fn written(&self, conn: &Connection) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        if self.frames.load(Ordering::Relaxed) >= self.checkpoint_at {
            checkpoint(conn, "PASSIVE");
        }
    }
}

/// Reports a write's outcome once the fate of its batch is known:
/// `Ok(())` when the commit succeeded, else why it failed.
type Done = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A write in the shared transaction (or `Err` when none could be begun).
/// Returns whether it succeeded (to keep or roll back its savepoint).
type TxJob = Box<dyn FnOnce(Result<&Transaction<'_>, &str>) -> (bool, Done) + Send>;

enum Job {
    Tx(TxJob),
    /// Whole-connection work outside any transaction (backup, `VACUUM INTO`).
    Raw(Box<dyn FnOnce(&mut Connection) + Send>),
}

impl Db {
    /// Opens (creating if needed) `<data_dir>/daytona.db`, applies pending
    /// migrations and starts the writer thread.
    pub fn open(data_dir: &Path) -> anyhow::Result<Db> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
        let path = data_dir.join(DB_FILE);
        let mut conn = open_connection(&path, false)?;
        migrate(&mut conn)?;
        let signal = OutboxSignal::install(&mut conn)?;
        let outbox = signal.outbox.clone();
        let wal = WalWatch::install(&mut conn)?;
        let commits = wal.commits.clone();
        let checkpoint_conn = open_connection(&path, false)?;
        // An idle-time checkpoint holds the write lock while it waits for
        // readers; it gives up soon rather than keep a booking waiting.
        checkpoint_conn.busy_timeout(CHECKPOINT_WAIT)?;
        let (writer, jobs) = mpsc::channel();
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || writer_loop(conn, jobs, signal, wal))
            .context("cannot start the database writer thread")?;
        let (checkpointer, stop) = mpsc::channel();
        std::thread::Builder::new()
            .name("db-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpoint_conn, stop, commits))
            .context("cannot start the database checkpoint thread")?;
        Ok(Db {
            inner: Arc::new(Inner {
                path,
                writer,
                _checkpointer: checkpointer,
                readers: Mutex::new(Vec::new()),
                reader_slots: Semaphore::new(READERS),
                outbox,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Notified after every commit that queued or changed an outbox row.
    pub fn outbox_signal(&self) -> Arc<Notify> {
        self.inner.outbox.clone()
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
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                let conn = match lock(&inner.readers)?.pop() {
                    Some(conn) => conn,
                    None => open_connection(&inner.path, true)?,
                };
                let result = f(&conn);
                lock(&inner.readers)?.push(conn);
                result
            })
        })
        .await
        .map_err(|e| E::from(anyhow!("database task failed: {e}")))?
    }

    /// Runs `f` inside a write transaction: its changes are kept when it
    /// returns `Ok` and rolled back otherwise. Resolves only once the commit
    /// is durable (or has failed, which turns an `Ok` into an error).
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + Send + 'static,
    {
        let (send, recv) = oneshot::channel::<Result<T, E>>();
        let span = tracing::Span::current();
        let job: TxJob = Box::new(move |tx| {
            let _entered = span.enter();
            let result = match tx {
                Err(why) => Err(E::from(anyhow!("database write could not start: {why}"))),
                Ok(tx) => catch_unwind(AssertUnwindSafe(|| f(tx)))
                    .unwrap_or_else(|_| Err(E::from(anyhow!("database write panicked")))),
            };
            let ok = result.is_ok();
            let done: Done = Box::new(move |commit| {
                let result = match (commit, result) {
                    (Ok(()), result) => result,
                    (Err(_), Err(e)) => Err(e),
                    (Err(why), Ok(_)) => Err(E::from(anyhow!("database commit failed: {why}"))),
                };
                let _ = send.send(result);
            });
            (ok, done)
        });
        self.send(Job::Tx(job))?;
        recv.await
            .map_err(|_| E::from(anyhow!("database writer stopped")))?
    }

    /// Runs `f` with the writer connection itself, outside any transaction
    /// (for `VACUUM INTO`, online backup and other whole-database work).
    pub async fn with_writer<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + Send + 'static,
    {
        let (send, recv) = oneshot::channel::<Result<T, E>>();
        let span = tracing::Span::current();
        self.send(Job::Raw(Box::new(move |conn| {
            let _entered = span.enter();
            let result = catch_unwind(AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(E::from(anyhow!("database task panicked"))));
            let _ = send.send(result);
        })))?;
        recv.await
            .map_err(|_| E::from(anyhow!("database writer stopped")))?
    }

    fn send<E: From<anyhow::Error>>(&self, job: Job) -> Result<(), E> {
        self.inner
            .writer
            .send(job)
            .map_err(|_| E::from(anyhow!("database writer stopped")))
    }
}

/// The writer thread: batches queued writes into one transaction each.
fn writer_loop(
    mut conn: Connection,
    jobs: mpsc::Receiver<Job>,
    signal: OutboxSignal,
    wal: WalWatch,
) {
    let mut next: Option<Job> = None;
    loop {
        let job = match next.take().map(Ok).unwrap_or_else(|| jobs.recv()) {
            Ok(job) => job,
            Err(_) => return, // every Db handle is gone
        };
        match job {
            Job::Raw(f) => {
                f(&mut conn);
                signal.committed(true);
            }
            Job::Tx(first) => {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match jobs.try_recv() {
                        Ok(Job::Tx(job)) => batch.push(job),
                        Ok(raw) => {
                            next = Some(raw);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let ok = run_batch(&mut conn, batch);
                signal.committed(ok);
            }
        }
        wal.written(&conn);
    }
}

/// Runs one batch in one transaction; returns whether it committed.
fn run_batch(conn: &mut Connection, batch: Vec<TxJob>) -> bool {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let why = e.to_string();
            for job in batch {
                let (_, done) = job(Err(&why));
                done(Err(why.clone()));
            }
            return false;
        }
    };
    let mut dones = Vec::with_capacity(batch.len());
    for job in batch {
        if let Err(e) = tx.execute_batch("SAVEPOINT job") {
            let (_, done) = job(Err(&e.to_string()));
            dones.push(done);
            continue;
        }
        let (ok, done) = job(Ok(&tx));
        let end = if ok {
            "RELEASE job"
        } else {
            "ROLLBACK TO job; RELEASE job"
        };
        if let Err(e) = tx.execute_batch(end) {
            tracing::error!(error = %e, "could not end a write's savepoint");
        }
        dones.push(done);
    }
    let commit = tx.commit().map_err(|e| e.to_string());
    if let Err(e) = &commit {
        tracing::error!(error = %e, "database commit failed; the batch's writes were not stored");
    }
    let ok = commit.is_ok();
    for done in dones {
        done(commit.clone());
    }
    ok
}

/// How often the checkpoint thread looks at the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// How long an idle-time checkpoint waits for readers (holding the write lock).
const CHECKPOINT_WAIT: Duration = Duration::from_millis(100);

/// Copies the WAL back into the database file beside the writer, until the
/// database is closed, then empties it.
///
/// While the writer is busy the checkpoints are passive: they never block it
/// (or any reader), but they also cannot start the log over, and readers can
/// hold them back. Once a whole interval has passed without a write, a
/// TRUNCATE checkpoint copies the rest, waits briefly for readers still on an
/// older snapshot (ours hold one only during a `read` call) and empties the
/// file, so an idle server has no log for the next start to read. If a
/// reader outlasts the wait, it is tried again in the next interval.
fn checkpoint_loop(conn: Connection, stop: mpsc::Receiver<()>, commits: Arc<AtomicU64>) {
    let mut seen = commits.load(Ordering::Relaxed);
    let mut emptied = false;
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        let now = commits.load(Ordering::Relaxed);
        if now != seen {
            (seen, emptied) = (now, false);
            checkpoint(&conn, "PASSIVE");
        } else if !emptied {
            emptied = checkpoint(&conn, "TRUNCATE");
        }
    }
    checkpoint(&conn, "TRUNCATE");
}

/// Runs one checkpoint; returns whether it ran to the end (a TRUNCATE that
/// a reader or a writer held up past its wait did not).
fn checkpoint(conn: &Connection, mode: &str) -> bool {
    match conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(busy) => busy == 0,
        Err(e) => {
            tracing::warn!(error = %e, mode, "WAL checkpoint failed; will retry");
            false
        }
    }
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
        // When the log starts over, a file grown past this is cut back.
        conn.pragma_update(None, "journal_size_limit", WAL_MAX_BYTES as i64)?;
    }
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(conn)
}

/// Whether a statement failed on a UNIQUE constraint (an email taken, a
/// key used twice).
pub fn is_unique_violation(e: &rusqlite::Error) -> bool {
    constraint_failed(e, rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

/// Whether a statement failed because a referenced row does not exist.
pub fn is_foreign_key_violation(e: &rusqlite::Error) -> bool {
    constraint_failed(e, rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
}

fn constraint_failed(e: &rusqlite::Error, code: std::ffi::c_int) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == code)
}

/// Formats a timestamp the way every `*_at` column stores it: fixed-width UTC
/// with milliseconds, so text order is time order.
pub fn ts(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A new id: a UUIDv7, unique and time-ordered.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
