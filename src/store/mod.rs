//! SQLite storage: the connection pools, migrations and one repository per table group.
//!
//! All SQL lives under this module. Callers use [`Db::write`] (an IMMEDIATE transaction, committed
//! when the closure returns `Ok`) and [`Db::read`] (a read-only connection), or their async forms
//! from async code, which run the closure on the blocking thread pool.
//!
//! Two pools share the database file: a read pool (`database.pool_size` connections, marked
//! `query_only`) and a write pool of exactly one connection. SQLite allows one writer at a time
//! anyway; queueing writers on the pool instead of letting them spin in SQLite's busy handler keeps
//! write latency low and fair under load. Other processes (a second server, `persona migrate`, the
//! `sqlite3` shell) are handled by `busy_timeout`.

pub mod datasets;
pub mod deliveries;
pub mod events;
pub mod experiments;
pub mod health;
pub mod jobs;
pub mod personas;
pub mod runs;
pub mod webhooks;

use crate::config::DatabaseSettings;
use crate::error::StorageFault;
use crate::error::{Error, Result};
use health::{FileIdentity, StorageHealth};
use r2d2::Pool;
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Name of refinery's bookkeeping table.
const MIGRATIONS_TABLE: &str = "refinery_schema_history";

/// The database: a read pool and a single-connection write pool over one SQLite file.
#[derive(Clone)]
pub struct Db {
    read: Pool<SqliteConnectionManager>,
    write: Pool<SqliteConnectionManager>,
    path: PathBuf,
    /// The file as opened; writes are refused once the path names another file (or none).
    identity: Option<FileIdentity>,
    health: Arc<StorageHealth>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.path).finish_non_exhaustive()
    }
}

/// One migration applied by [`Db::migrate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i64,
    pub name: String,
}

/// The schema version in the file against the newest migration built into this binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationStatus {
    /// `None` when no migration has been applied yet.
    pub applied: Option<i64>,
    pub latest: i64,
}

impl MigrationStatus {
    pub fn is_current(&self) -> bool {
        self.applied == Some(self.latest)
    }
}

impl Db {
    /// Opens (creating if needed) the database file of `settings`. Does not migrate.
    pub fn open(settings: &DatabaseSettings) -> Result<Db> {
        Db::open_path(&settings.path, settings.pool_size, settings.busy_timeout_ms)
    }

    pub fn open_path(path: &Path, read_pool_size: u32, busy_timeout_ms: u64) -> Result<Db> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                Error::Internal(format!(
                    "cannot create the database directory {}: {e}",
                    parent.display()
                ))
            })?;
        }
        let open_error = |e: r2d2::Error| Error::Internal(format!("cannot open database {}: {e}", path.display()));
        // One connection opened directly first: a pool retries a failing open until its timeout
        // and then reports a bare "timed out", where this names the cause at once.
        r2d2::ManageConnection::connect(&manager(path, busy_timeout_ms, false))
            .map_err(|e| Error::Internal(format!("cannot open database {}: {e}", path.display())))?;
        let wait = Duration::from_millis(busy_timeout_ms.max(1000));
        // The writer is created first so that the file and its WAL mode exist before readers open it.
        let write = Pool::builder()
            .max_size(1)
            .connection_timeout(wait)
            .build(manager(path, busy_timeout_ms, false))
            .map_err(open_error)?;
        let read = Pool::builder()
            .max_size(read_pool_size.max(1))
            .connection_timeout(wait)
            .build(manager(path, busy_timeout_ms, true))
            .map_err(open_error)?;
        Ok(Db {
            read,
            write,
            path: path.to_path_buf(),
            identity: FileIdentity::of(path),
            health: Arc::new(StorageHealth::default()),
        })
    }

    /// The last storage fault of writes (`None` while writes succeed).
    pub fn storage_fault(&self) -> Option<StorageFault> {
        self.health.fault()
    }

    /// `PRAGMA quick_check`: `Err` naming the first problems when the file is damaged.
    pub fn quick_check(&self) -> Result<()> {
        let conn = self.write.get()?;
        let problems: Vec<String> = {
            let mut stmt = conn.prepare("PRAGMA quick_check(5)")?;
            let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if problems.len() == 1 && problems[0] == "ok" {
            return Ok(());
        }
        Err(Error::Internal(format!(
            "the database file {} is corrupt ({}); restore it from a backup or recover it with \
             `sqlite3 {} .recover` (see docs/operations.md)",
            self.path.display(),
            problems.join("; "),
            self.path.display()
        )))
    }

    /// Refuses writes once the database path no longer names the file this process opened.
    fn check_file_identity(&self) -> Result<()> {
        if self.identity.is_some() && FileIdentity::of(&self.path) != self.identity {
            self.health.record(StorageFault::Replaced);
            return Err(StorageFault::Replaced.error());
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies every embedded migration not yet in the file; returns those applied now.
    pub fn migrate(&self) -> Result<Vec<AppliedMigration>> {
        let mut conn = self.write.get()?;
        check_migration_history(&conn, &self.path)?;
        // refinery panics on some malformed history rows; a panic here must end as a message.
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            embedded::migrations::runner().run(&mut *conn)
        }))
        .map_err(|_| {
            Error::Internal(format!(
                "migrating {}: the table {MIGRATIONS_TABLE} cannot be read",
                self.path.display()
            ))
        })?;
        let report = run.map_err(|e| Error::Internal(format!("migrating {}: {e}", self.path.display())))?;
        Ok(report
            .applied_migrations()
            .iter()
            .map(|m| AppliedMigration {
                version: i64::from(m.version()),
                name: m.name().to_string(),
            })
            .collect())
    }

    /// Which schema version the file has, read without writing anything.
    pub fn migration_status(&self) -> Result<MigrationStatus> {
        let latest = latest_embedded_version();
        self.read(|conn| {
            let table_exists: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
                [MIGRATIONS_TABLE],
                |row| row.get(0),
            )?;
            let applied = if table_exists {
                conn.query_row(&format!("SELECT MAX(version) FROM {MIGRATIONS_TABLE}"), [], |row| {
                    row.get::<_, Option<i64>>(0)
                })
                .optional()?
                .flatten()
            } else {
                None
            };
            Ok(MigrationStatus { applied, latest })
        })
    }

    /// Runs `f` in an IMMEDIATE transaction on the write connection: committed when `f` returns
    /// `Ok`, rolled back otherwise. Never call `write` from inside `f` (one writer: it would wait
    /// for itself).
    ///
    /// A write failing for disk-full, read-only, I/O or corruption is `Unavailable` naming the
    /// fault and recorded in the storage health; the next successful write clears it.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.check_file_identity()?;
        match self.write_transaction(f) {
            Ok((value, changed)) => {
                // A transaction that changed no row can commit on a full disk: only one that
                // wrote something shows the storage works again.
                if changed {
                    self.health.clear();
                }
                Ok(value)
            }
            Err(e) => {
                if let Some(fault) = StorageFault::of_error(&e) {
                    self.health.record(fault);
                }
                Err(e)
            }
        }
    }

    /// The closure's value and whether the transaction changed any row.
    fn write_transaction<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<(T, bool)> {
        let mut conn = self.write.get()?;
        let before = conn.total_changes();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        COMMITS.send_modify(|n| *n = n.wrapping_add(1));
        Ok((value, conn.total_changes() > before))
    }

    /// Runs `f` on a read-only pooled connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.read.get()?;
        f(&conn)
    }

    /// [`Db::write`] on the blocking thread pool, for async callers.
    pub async fn write_async<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let db = self.clone();
        crate::util::blocking(move || db.write(f)).await
    }

    /// [`Db::read`] on the blocking thread pool, for async callers.
    pub async fn read_async<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let db = self.clone();
        crate::util::blocking(move || db.read(f)).await
    }

    /// A read-only connection outside the pools, for a thread that keeps its own (the read cache
    /// of `api::read_cache`). `busy_timeout` is short on purpose: such a connection is used on the
    /// async executor, which must not wait on another process's lock; on `SQLITE_BUSY` callers
    /// fall back to the pooled path.
    pub fn open_reader(&self, busy_timeout: Duration) -> Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            // Read-write (kept read-only by `query_only`) like the pooled readers: a read-only
            // open of a WAL file needs its `-shm` file writable anyway.
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
                | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
                | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )?;
        conn.busy_timeout(busy_timeout)?;
        conn.execute_batch("PRAGMA query_only = ON;")?;
        Ok(conn)
    }

    /// Whether the database answers a query, its file is still the one opened, and writes work.
    /// A file deleted while the server runs still answers on open connections, but everything
    /// written from then on is lost, so that counts as unhealthy too. After a failed write the
    /// storage is probed with a real write, so that the fault clears once the disk has room (or
    /// is writable) again even while no client writes.
    pub fn ping(&self) -> Result<()> {
        self.read(|conn| {
            conn.query_row("SELECT 1", [], |row| row.get::<_, i64>(0))?;
            Ok(())
        })?;
        if !self.path.exists() {
            return Err(Error::Unavailable(format!(
                "database file {} is missing",
                self.path.display()
            )));
        }
        self.check_file_identity()?;
        if self.health.fault().is_some() {
            // A real write of a typical size (one 64 KiB row, replaced each time): a tiny one can
            // fit in the last free pages while ordinary writes still fail. The table lives
            // outside the migrations: it holds nothing and is created on the first fault.
            let _ = self.write(|tx| {
                tx.execute_batch(
                    "CREATE TABLE IF NOT EXISTS storage_probe (
                         id INTEGER PRIMARY KEY CHECK (id = 1), written_at TEXT NOT NULL, filler BLOB NOT NULL);
                     INSERT OR REPLACE INTO storage_probe (id, written_at, filler)
                         VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), zeroblob(65536));",
                )?;
                Ok(())
            });
        }
        match self.health.fault() {
            Some(fault) => Err(fault.error()),
            None => Ok(()),
        }
    }
}

/// Refuses (with a message, where refinery would panic) a migration history whose `applied_on`
/// values are not RFC 3339 timestamps.
fn check_migration_history(conn: &Connection, path: &Path) -> Result<()> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
        [MIGRATIONS_TABLE],
        |row| row.get(0),
    )?;
    if !exists {
        return Ok(());
    }
    let mut stmt = conn.prepare(&format!("SELECT version, applied_on FROM {MIGRATIONS_TABLE}"))?;
    let rows = stmt.query_map([], |row| {
        Ok((
            row.get::<_, rusqlite::types::Value>(0)?,
            row.get::<_, rusqlite::types::Value>(1)?,
        ))
    })?;
    for row in rows {
        let (version, applied_on) = row?;
        let valid = match &applied_on {
            rusqlite::types::Value::Text(text) => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            _ => false,
        };
        if !valid || !matches!(version, rusqlite::types::Value::Integer(_)) {
            return Err(Error::Internal(format!(
                "the migration history of {} is damaged: table {MIGRATIONS_TABLE} has the row \
                 version {version:?}, applied_on {applied_on:?} (applied_on must be an RFC 3339 timestamp); \
                 fix or delete that row",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Counts this process's committed write transactions: event streams wait on it to read new
/// events at once (they also poll, for writes by other processes on the same file).
static COMMITS: std::sync::LazyLock<tokio::sync::watch::Sender<u64>> =
    std::sync::LazyLock::new(|| tokio::sync::watch::channel(0).0);

/// A receiver that changes after every write transaction this process commits.
pub fn commits() -> tokio::sync::watch::Receiver<u64> {
    COMMITS.subscribe()
}

fn manager(path: &Path, busy_timeout_ms: u64, read_only: bool) -> SqliteConnectionManager {
    SqliteConnectionManager::file(path).with_init(move |conn| {
        conn.busy_timeout(Duration::from_millis(busy_timeout_ms))?;
        // journal_mode answers with a row, so it is read rather than executed.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
        if read_only {
            conn.execute_batch("PRAGMA query_only = ON;")?;
        }
        Ok(())
    })
}

/// The newest migration version compiled into this binary.
pub fn latest_embedded_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

/// Reads a JSON TEXT column into a value, naming the column when the stored text is corrupt.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Internal(format!("corrupt JSON in column {column}: {e}")))
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Db;

    /// A migrated database in a temporary directory (kept alive by the returned guard).
    pub fn temp_db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open_path(&dir.path().join("persona.db"), 4, 5000).expect("open");
        db.migrate().expect("migrate");
        (dir, db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_status_tracks_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_path(&dir.path().join("sub/persona.db"), 2, 1000).unwrap();
        let before = db.migration_status().unwrap();
        assert_eq!(before.applied, None);
        assert!(!before.is_current());
        let applied = db.migrate().unwrap();
        assert_eq!(applied.first().map(|m| m.version), Some(1));
        assert_eq!(applied.first().map(|m| m.name.as_str()), Some("core"));
        assert!(db.migration_status().unwrap().is_current());
        assert!(db.migrate().unwrap().is_empty(), "a second run applies nothing");
    }

    #[test]
    fn connections_use_wal_foreign_keys_and_read_only_readers() {
        let (_dir, db) = test_support::temp_db();
        let (mode, fk): (String, i64) = db
            .read(|c| {
                Ok((
                    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                    c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
                ))
            })
            .unwrap();
        assert_eq!((mode.as_str(), fk), ("wal", 1));
        let err = db
            .read(|c| {
                c.execute("DELETE FROM jobs", [])?;
                Ok(())
            })
            .unwrap_err();
        assert!(
            err.to_string().contains("readonly") || err.to_string().contains("read-only"),
            "{err}"
        );
    }

    #[test]
    fn a_failed_write_closure_rolls_back() {
        let (_dir, db) = test_support::temp_db();
        let err = db
            .write(|tx| {
                tx.execute(
                    "INSERT INTO experiments (id, name, created_at, updated_at) VALUES ('exp-1', 'n', 't', 't')",
                    [],
                )?;
                Err::<(), _>(Error::Conflict("stop".into()))
            })
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)));
        let count: i64 = db
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM experiments", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(count, 0);
    }

    /// The query plan of `sql`, one step per line, as `EXPLAIN QUERY PLAN` prints it.
    fn query_plan(db: &Db, sql: &str) -> String {
        db.read(|c| {
            let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let steps = stmt
                .query_map([], |row| row.get::<_, String>(3))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(steps.join("\n"))
        })
        .unwrap()
    }

    #[test]
    fn list_reads_walk_indexes_without_sorting() {
        let (_dir, db) = test_support::temp_db();
        let experiments = query_plan(
            &db,
            &format!(
                "SELECT e.id, {} FROM experiments e ORDER BY e.created_at DESC, e.rowid DESC LIMIT 20 OFFSET 0",
                experiments::SUMMARY_COLUMNS
            ),
        );
        println!("experiments page:\n{experiments}");
        assert!(
            experiments.contains("SCAN e USING INDEX experiments_created"),
            "{experiments}"
        );
        assert!(
            experiments.contains("COVERING INDEX jobs_experiment_status"),
            "{experiments}"
        );
        assert!(!experiments.contains("TEMP B-TREE"), "{experiments}");
        let jobs = query_plan(
            &db,
            "SELECT jobs.id, runs.id FROM jobs LEFT JOIN runs ON runs.id = jobs.run_id
             ORDER BY jobs.created_at DESC, jobs.rowid DESC LIMIT 20 OFFSET 0",
        );
        println!("jobs page:\n{jobs}");
        assert!(jobs.contains("SCAN jobs USING INDEX jobs_created"), "{jobs}");
        assert!(!jobs.contains("TEMP B-TREE"), "{jobs}");
        let by_status = query_plan(
            &db,
            "SELECT jobs.id FROM jobs WHERE jobs.status = 'completed'
             ORDER BY jobs.created_at DESC, jobs.rowid DESC LIMIT 20 OFFSET 0",
        );
        println!("jobs page by status:\n{by_status}");
        assert!(
            by_status.contains("INDEX jobs_status_created (status=?)"),
            "{by_status}"
        );
        assert!(!by_status.contains("TEMP B-TREE"), "{by_status}");
        for count in [
            "SELECT COUNT(*) FROM jobs",
            "SELECT COUNT(*) FROM jobs WHERE status = 'completed'",
        ] {
            let plan = query_plan(&db, count);
            println!("{count}:\n{plan}");
            assert!(plan.contains("COVERING INDEX"), "{plan}");
        }
    }

    #[test]
    fn ping_fails_once_the_file_is_gone() {
        let (dir, db) = test_support::temp_db();
        db.ping().unwrap();
        std::fs::remove_file(dir.path().join("persona.db")).unwrap();
        let err = db.ping().unwrap_err();
        assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    }
}
