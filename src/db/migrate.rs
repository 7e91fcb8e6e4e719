//! Schema migrations: the SQL files in `migrations/`, embedded at build time.

use anyhow::Context;
use rusqlite::Connection;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Applies every pending migration; returns how many were applied.
pub fn migrate(conn: &mut Connection) -> anyhow::Result<usize> {
    let report = embedded::migrations::runner()
        .run(conn)
        .context("database migration failed")?;
    Ok(report.applied_migrations().len())
}

/// The newest migration version applied to this database (0 for none).
pub fn schema_version(conn: &Connection) -> anyhow::Result<i64> {
    let has_history: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'refinery_schema_history')",
        [],
        |r| r.get(0),
    )?;
    if !has_history {
        return Ok(0);
    }
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM refinery_schema_history",
        [],
        |r| r.get(0),
    )?)
}
