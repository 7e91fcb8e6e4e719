//! The schema and the database handle, on real SQLite files.

use daytona::db::{Db, new_id};
use rusqlite::{Connection, params};

async fn open() -> (tempfile::TempDir, Db) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let db = tokio::task::spawn_blocking(move || Db::open(&path))
        .await
        .unwrap()
        .unwrap();
    (dir, db)
}

async fn read<T: Send + 'static>(
    db: &Db,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
) -> T {
    db.read(move |c| -> anyhow::Result<T> { Ok(f(c)?) })
        .await
        .unwrap()
}

#[tokio::test]
async fn every_connection_has_wal_foreign_keys_full_sync_and_a_busy_timeout() {
    let (_dir, db) = open().await;
    let pragmas = |c: &Connection| -> rusqlite::Result<(String, i64, i64, i64)> {
        Ok((
            c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
            c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
            c.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
            c.query_row("PRAGMA busy_timeout", [], |r| r.get(0))?,
        ))
    };
    let reader = read(&db, pragmas).await;
    let writer = db
        .write(move |tx| -> anyhow::Result<_> { Ok(pragmas(tx)?) })
        .await
        .unwrap();
    for got in [reader, writer] {
        // synchronous: 2 = FULL.
        assert_eq!(got, ("wal".to_owned(), 1, 2, 5000));
    }
    let wal_limit: i64 = db
        .with_writer(|c| -> anyhow::Result<_> {
            Ok(c.query_row("PRAGMA journal_size_limit", [], |r| r.get(0))?)
        })
        .await
        .unwrap();
    assert_eq!(wal_limit as u64, daytona::db::WAL_MAX_BYTES);
}

#[tokio::test]
async fn the_schema_has_every_table_of_the_data_model() {
    let (_dir, db) = open().await;
    let tables: Vec<String> = read(&db, |c| {
        let mut s =
            c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
        s.query_map([], |r| r.get(0))?.collect()
    })
    .await;
    for t in [
        "users",
        "vehicles",
        "vehicle_images",
        "bookings",
        "leads",
        "notifications",
        "audit_logs",
        "sessions",
        "booking_events",
        "booking_attachments",
        "vehicle_views",
        "login_attempts",
        "setup_tokens",
        "recovery_codes",
        "booking_ref_counters",
    ] {
        assert!(
            tables.contains(&t.to_owned()),
            "table {t} missing: {tables:?}"
        );
    }
}

#[tokio::test]
async fn reopening_migrates_nothing_and_keeps_data() {
    let (dir, db) = open().await;
    insert_user(&db, "admin").await.unwrap();
    drop(db);
    let path = dir.path().to_owned();
    let db = tokio::task::spawn_blocking(move || Db::open(&path))
        .await
        .unwrap()
        .unwrap();
    let (users, version) = read(&db, |c| {
        let users: i64 = c.query_row("SELECT COUNT(*) FROM users", [], |r| r.get(0))?;
        Ok((users, daytona::db::schema_version(c).unwrap()))
    })
    .await;
    assert_eq!(
        (users, version),
        (1, crate::helpers::latest_schema_version())
    );
}

async fn insert_user(db: &Db, role: &'static str) -> Result<String, rusqlite::Error> {
    db.write(move |tx| {
        let id = new_id();
        tx.execute(
            "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
             VALUES (?1, ?1 || '@x.mw', 'N', ?2, 'h', 't', 't')",
            params![id, role],
        )?;
        Ok(id)
    })
    .await
    .map_err(|e: anyhow::Error| e.downcast::<rusqlite::Error>().unwrap())
}

async fn exec(db: &Db, sql: &'static str) -> Result<usize, rusqlite::Error> {
    db.write(move |tx| Ok(tx.execute(sql, [])?))
        .await
        .map_err(|e: anyhow::Error| e.downcast::<rusqlite::Error>().unwrap())
}

const BOOKING: &str = "INSERT INTO bookings (id, booking_ref, customer_name, customer_phone, service_type, preferred_date, preferred_time, status, created_at, updated_at)
     VALUES ('b1', 'DAY-20261124-001', 'Yamikani', '+265991234567', 'oil_change', '2026-11-25', '08:30', 'requested', 't', 't')";

#[tokio::test]
async fn check_constraints_refuse_values_outside_every_enum() {
    let (_dir, db) = open().await;
    assert!(insert_user(&db, "owner").await.is_err(), "role");
    exec(&db, BOOKING).await.unwrap();
    let refused = [
        "UPDATE bookings SET status = 'lost'",
        "UPDATE bookings SET service_type = 'car_wash'",
        "UPDATE bookings SET booking_ref = 'X-1'",
        "UPDATE bookings SET preferred_date = '25/11/2026'",
        "UPDATE bookings SET sms_enabled = 2",
        "INSERT INTO vehicles (id, title, make, model, year, condition, created_at, updated_at) VALUES ('v', 't', 'Toyota', 'Hilux', 2015, 'salvage', 't', 't')",
        "INSERT INTO vehicles (id, title, make, model, year, condition, status, created_at, updated_at) VALUES ('v', 't', 'Toyota', 'Hilux', 2015, 'used', 'stolen', 't', 't')",
        "INSERT INTO vehicles (id, title, make, model, year, condition, price, created_at, updated_at) VALUES ('v', 't', 'Toyota', 'Hilux', 2015, 'used', -1, 't', 't')",
        "INSERT INTO vehicles (id, title, make, model, year, condition, features, created_at, updated_at) VALUES ('v', 't', 'Toyota', 'Hilux', 2015, 'used', '{}', 't', 't')",
        "INSERT INTO leads (id, name, type, created_at, updated_at) VALUES ('l', 'N', 'general', 't', 't')",
        "INSERT INTO leads (id, name, phone, type, created_at, updated_at) VALUES ('l', 'N', '+265', 'spam', 't', 't')",
        "INSERT INTO leads (id, name, phone, type, status, created_at, updated_at) VALUES ('l', 'N', '+265', 'general', 'lost', 't', 't')",
        "INSERT INTO notifications (id, channel, recipient, template, payload, next_attempt_at, created_at) VALUES ('n', 'pigeon', 'x', 't', '{}', 't', 't')",
        "INSERT INTO notifications (id, channel, recipient, template, payload, status, next_attempt_at, created_at) VALUES ('n', 'sms', 'x', 't', '{}', 'lost', 't', 't')",
        "INSERT INTO booking_events (id, booking_id, to_status, actor_label, created_at) VALUES ('e', 'b1', 'lost', 'x', 't')",
        "INSERT INTO booking_attachments (id, booking_id, kind, content_type, path, size_bytes, created_at) VALUES ('a', 'b1', 'image', 'image/gif', 'p', 1, 't')",
    ];
    for sql in refused {
        let err = exec(&db, sql).await.unwrap_err();
        assert!(
            err.to_string().contains("CHECK constraint failed"),
            "{sql}: {err}"
        );
    }
}

#[tokio::test]
async fn booking_refs_are_unique_and_foreign_keys_hold() {
    let (_dir, db) = open().await;
    exec(&db, BOOKING).await.unwrap();
    let dup = exec(&db, "INSERT INTO bookings (id, booking_ref, customer_name, customer_phone, service_type, preferred_date, preferred_time, created_at, updated_at) VALUES ('b2', 'DAY-20261124-001', 'Y', '+265', 'other', '2026-11-25', '08:30', 't', 't')").await;
    assert!(dup.unwrap_err().to_string().contains("UNIQUE"));
    let orphan = exec(&db, "INSERT INTO booking_events (id, booking_id, to_status, actor_label, created_at) VALUES ('e', 'nope', 'requested', 'customer', 't')").await;
    assert!(orphan.unwrap_err().to_string().contains("FOREIGN KEY"));

    // Deleting a vehicle removes its images and views; its leads keep the person.
    exec(&db, "INSERT INTO vehicles (id, title, make, model, year, condition, created_at, updated_at) VALUES ('v1', 'Hilux', 'Toyota', 'Hilux', 2015, 'used', 't', 't')").await.unwrap();
    exec(&db, "INSERT INTO vehicle_images (id, vehicle_id, position, large_path, thumb_path, width, height, created_at) VALUES ('i1', 'v1', 0, 'l', 't', 1, 1, 't')").await.unwrap();
    exec(
        &db,
        "INSERT INTO vehicle_views (vehicle_id, day, views) VALUES ('v1', '2026-11-24', 3)",
    )
    .await
    .unwrap();
    exec(&db, "INSERT INTO leads (id, vehicle_id, name, phone, type, created_at, updated_at) VALUES ('l1', 'v1', 'N', '+265991234567', 'price_request', 't', 't')").await.unwrap();
    exec(&db, "DELETE FROM vehicles WHERE id = 'v1'")
        .await
        .unwrap();
    let (images, views, lead_vehicle) = read(&db, |c| {
        Ok((
            c.query_row("SELECT COUNT(*) FROM vehicle_images", [], |r| {
                r.get::<_, i64>(0)
            })?,
            c.query_row("SELECT COUNT(*) FROM vehicle_views", [], |r| {
                r.get::<_, i64>(0)
            })?,
            c.query_row("SELECT vehicle_id FROM leads WHERE id = 'l1'", [], |r| {
                r.get::<_, Option<String>>(0)
            })?,
        ))
    })
    .await;
    assert_eq!((images, views, lead_vehicle), (0, 0, None));
}

#[tokio::test]
async fn list_filters_are_served_by_indexes() {
    let (_dir, db) = open().await;
    let queries = [
        "SELECT id FROM vehicles WHERE status IN ('available', 'reserved') ORDER BY created_at DESC",
        "SELECT id FROM vehicles WHERE make = 'Toyota' AND model = 'Hilux'",
        "SELECT id FROM vehicles WHERE year BETWEEN 2010 AND 2020",
        "SELECT id FROM vehicles WHERE price BETWEEN 1 AND 2",
        "SELECT id FROM vehicles WHERE condition = 'used'",
        "SELECT COUNT(*) FROM bookings WHERE preferred_date = '2026-11-25' AND preferred_time = '08:30' AND status <> 'cancelled'",
        "SELECT id FROM bookings WHERE status = 'requested' AND preferred_date >= '2026-11-01'",
        "SELECT id FROM bookings WHERE preferred_date BETWEEN '2026-11-01' AND '2026-11-30'",
        "SELECT id FROM leads WHERE status = 'new' ORDER BY created_at DESC",
        "SELECT id FROM notifications WHERE status = 'queued' AND next_attempt_at <= 'z'",
        "SELECT id FROM notifications WHERE channel = 'sms' AND status = 'failed'",
        "SELECT id FROM notifications WHERE channel = 'sms' ORDER BY created_at DESC",
        // The reminder job's scan (the partial index holds only bookings still due one).
        "SELECT id FROM bookings WHERE reminder_sent = 0 AND status IN ('confirmed', 'rescheduled')
         AND preferred_date BETWEEN '2026-11-23' AND '2026-11-24'
         AND preferred_date || 'T' || preferred_time > '2026-11-23T08:00'",
        "SELECT id FROM audit_logs ORDER BY created_at DESC",
        "SELECT token_hash FROM sessions WHERE expires_at < 'z'",
    ];
    for sql in queries {
        let plan: Vec<String> = read(&db, move |c| {
            let mut s = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            s.query_map([], |r| r.get::<_, String>(3))?.collect()
        })
        .await;
        let plan = plan.join(" | ");
        assert!(
            plan.contains("USING INDEX") || plan.contains("USING COVERING INDEX"),
            "{sql}: {plan}"
        );
    }
}

#[tokio::test]
async fn concurrent_writes_and_reads_never_fail_busy() {
    let (_dir, db) = open().await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.write(move |tx| -> anyhow::Result<()> {
                tx.execute(
                    "INSERT INTO login_attempts (email, ip, succeeded, at) VALUES (?1, '127.0.0.1', 0, 't')",
                    [format!("u{i}@x.mw")],
                )?;
                Ok(())
            })
            .await
            .unwrap();
            db.read(|c| -> anyhow::Result<i64> { Ok(c.query_row("SELECT COUNT(*) FROM login_attempts", [], |r| r.get(0))?) })
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap() >= 1);
    }
    let total: i64 = read(&db, |c| {
        c.query_row("SELECT COUNT(*) FROM login_attempts", [], |r| r.get(0))
    })
    .await;
    assert_eq!(total, 40);
}

#[tokio::test]
async fn a_failed_write_rolls_back_everything_it_did() {
    let (_dir, db) = open().await;
    let result = db
        .write(|tx| -> anyhow::Result<()> {
            tx.execute_batch(BOOKING)?;
            anyhow::bail!("second step failed")
        })
        .await;
    assert!(result.is_err());
    let n: i64 = read(&db, |c| {
        c.query_row("SELECT COUNT(*) FROM bookings", [], |r| r.get(0))
    })
    .await;
    assert_eq!(n, 0);
}

#[tokio::test]
async fn concurrent_writes_share_commits_but_fail_alone() {
    let (_dir, db) = open().await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            db.write(move |tx| -> anyhow::Result<()> {
                tx.execute(
                    "INSERT INTO login_attempts (email, ip, succeeded, at) VALUES (?1, '127.0.0.1', 0, 't')",
                    [format!("u{i}@x.mw")],
                )?;
                // Every third write fails after writing: only its own row goes.
                anyhow::ensure!(i % 3 != 0, "write {i} refused");
                Ok(())
            })
            .await
        }));
    }
    let mut failed = 0;
    for t in tasks {
        if t.await.unwrap().is_err() {
            failed += 1;
        }
    }
    assert_eq!(failed, 20);
    let rows: i64 = read(&db, |c| {
        c.query_row("SELECT COUNT(*) FROM login_attempts", [], |r| r.get(0))
    })
    .await;
    assert_eq!(rows, 40);
}

#[tokio::test]
async fn a_panicking_write_is_an_error_and_the_writer_lives_on() {
    let (_dir, db) = open().await;
    let result = db
        .write(|_tx| -> anyhow::Result<()> { panic!("bug in a write") })
        .await;
    assert!(result.unwrap_err().to_string().contains("panicked"));
    exec(&db, BOOKING).await.unwrap();
    let n: i64 = read(&db, |c| {
        c.query_row("SELECT COUNT(*) FROM bookings", [], |r| r.get(0))
    })
    .await;
    assert_eq!(n, 1);
}

/// The size of the database's write-ahead log file (0 when there is none).
fn wal_bytes(dir: &std::path::Path) -> u64 {
    std::fs::metadata(dir.join("daytona.db-wal")).map_or(0, |m| m.len())
}

/// `rows` writes of 4 KiB each from 64 concurrent writers (so they share
/// commits, as a burst of bookings does) while readers come and go.
async fn write_burst(db: &Db, rows: usize) {
    db.write(|tx| -> anyhow::Result<()> {
        Ok(tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS burst (id INTEGER PRIMARY KEY, pad BLOB NOT NULL)",
        )?)
    })
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for writer in 0..64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for _ in (writer..rows).step_by(64) {
                db.write(|tx| -> anyhow::Result<()> {
                    tx.execute("INSERT INTO burst (pad) VALUES (randomblob(4096))", [])?;
                    Ok(())
                })
                .await
                .unwrap();
                if writer % 8 == 0 {
                    read(&db, |c| {
                        c.query_row("SELECT MAX(id) FROM burst", [], |r| r.get::<_, i64>(0))
                    })
                    .await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

/// Polls `check` every 20 ms until it holds or `secs` have passed.
async fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    check()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_write_burst_the_wal_shrinks_back_within_seconds() {
    let (dir, db) = open().await;
    write_burst(&db, 4_000).await;
    let after_burst = wal_bytes(dir.path());
    assert!(
        after_burst > 4 << 20,
        "the burst grew the WAL ({after_burst} bytes)"
    );
    // Readers keep coming and going; the log must shrink anyway.
    let reading = {
        let db = db.clone();
        tokio::spawn(async move {
            loop {
                read(&db, |c| {
                    c.query_row("SELECT COUNT(*) FROM burst", [], |r| r.get::<_, i64>(0))
                })
                .await;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };
    let shrunk = eventually(5, || wal_bytes(dir.path()) <= 1 << 20).await;
    reading.abort();
    assert!(
        shrunk,
        "WAL still {} bytes 5 s after the burst",
        wal_bytes(dir.path())
    );
    let rows: i64 = read(&db, |c| {
        c.query_row("SELECT COUNT(*) FROM burst", [], |r| r.get(0))
    })
    .await;
    assert_eq!(rows, 4_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_stays_bounded_during_a_long_write_burst() {
    let (dir, db) = open().await;
    let path = dir.path().to_owned();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let sampler = tokio::spawn(async move {
        let mut largest = 0;
        while stopped.try_recv().is_err() {
            largest = largest.max(wal_bytes(&path));
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        largest
    });
    // About 60 MiB of new rows, several times the WAL's bound.
    write_burst(&db, 15_000).await;
    stop.send(()).unwrap();
    let largest = sampler.await.unwrap();
    assert!(
        largest <= daytona::db::WAL_MAX_BYTES,
        "the WAL reached {largest} bytes during the burst"
    );
}
