//! Serialised read views kept as bytes, and a cached database check for the health probe.
//!
//! Most reads ask again for views that have not changed: a finished job polled by a client, the
//! first page of the job list, the experiments list. Building one costs a blocking-pool hop, a
//! pool checkout, several queries and a fresh serialisation; serving it from memory costs one
//! `PRAGMA data_version` on a connection this thread keeps, and sometimes one primary-key lookup.
//!
//! Correctness with several processes on one database file rests on SQLite's `data_version`: on a
//! given connection it changes whenever *any other* connection (of this process or another one)
//! has committed since that connection last asked. Each actix worker thread keeps its own read
//! connection and its own entries, stamped with the `data_version` they were built under:
//! - while the version is unchanged, nothing in the file has changed, so every entry is current;
//! - once it changes, a job entry is checked against the job row (status, progress, cancel flag,
//!   attempts, run and `updated_at`: every change of a job sets `updated_at` and at least one of
//!   these) and kept only if that still matches; list entries, which depend on many rows, are
//!   dropped.
//!
//! Entries are built from a pooled read that starts after the version was read, so an entry never
//! describes an older state than its stamp. The connection has a short busy timeout and is used
//! on the executor only for these two tiny statements; when it is busy or broken the request takes
//! the ordinary pooled path. Each thread holds at most [`MAX_BYTES_PER_THREAD`] of bodies.

use crate::error::Result;
use crate::store::Db;
use crate::util::blocking;
use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::web::Bytes;
use rusqlite::{Connection, OptionalExtension};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bodies one worker thread keeps; past it the thread's entries are dropped and rebuilt on demand.
pub const MAX_BYTES_PER_THREAD: usize = 32 * 1024 * 1024;

/// How long the per-thread connection waits on a lock before the request takes the pooled path.
const THREAD_READER_BUSY_TIMEOUT: Duration = Duration::from_millis(2);

/// Identifies one cache (one server) in the thread-local map: tests run several servers, on
/// different database files, in one process.
static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static THREADS: RefCell<HashMap<u64, ThreadCache>> = RefCell::new(HashMap::new());
}

/// What makes a job's cached view current: the job row's columns that every change touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStamp {
    pub status: String,
    pub progress: i64,
    pub cancel_requested: bool,
    pub attempts: i64,
    pub run_id: Option<String>,
    pub updated_at: String,
}

impl JobStamp {
    pub fn of(job: &crate::domain::jobs::Job) -> JobStamp {
        JobStamp {
            status: job.status.as_str().to_string(),
            progress: i64::from(job.progress),
            cancel_requested: job.cancel_requested,
            attempts: i64::from(job.attempts),
            run_id: job.run_id.clone(),
            updated_at: job.updated_at.clone(),
        }
    }

    fn read(conn: &Connection, job_id: &str) -> rusqlite::Result<Option<JobStamp>> {
        conn.prepare_cached(
            "SELECT status, progress, cancel_requested, attempts, run_id, updated_at FROM jobs WHERE id = ?1",
        )?
        .query_row([job_id], |row| {
            Ok(JobStamp {
                status: row.get(0)?,
                progress: row.get(1)?,
                cancel_requested: row.get::<_, i64>(2)? != 0,
                attempts: row.get(3)?,
                run_id: row.get(4)?,
                updated_at: row.get(5)?,
            })
        })
        .optional()
    }
}

/// Which view a cached body is, and so how it is re-checked after the database changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ViewKey {
    /// `GET /api/v1/generate/{id}`: re-checked against the job row.
    Job(String),
    /// A list page, by route and raw query string: dropped on any change.
    List(&'static str, String),
}

/// A serialised JSON body, with the `X-Total-Count` of list pages.
#[derive(Debug, Clone)]
pub struct CachedBody {
    pub body: Bytes,
    pub total_count: Option<u64>,
}

impl CachedBody {
    pub fn json<T: serde::Serialize>(value: &T, total_count: Option<u64>) -> Result<CachedBody> {
        Ok(CachedBody {
            body: Bytes::from(serde_json::to_vec(value)?),
            total_count,
        })
    }

    /// A 200 response with this body (a cheap reference-counted copy of the bytes).
    pub fn response(&self) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("application/json")));
        if let Some(total) = self.total_count {
            response.insert_header((HeaderName::from_static("x-total-count"), HeaderValue::from(total)));
        }
        response.body(self.body.clone())
    }
}

struct Entry {
    body: CachedBody,
    /// The thread connection's `data_version` under which the entry is known to be current.
    version: i64,
    job_stamp: Option<JobStamp>,
}

struct ThreadCache {
    conn: Connection,
    entries: HashMap<ViewKey, Entry>,
    bytes: usize,
}

/// The outcome of [`ReadCache::lookup`].
#[derive(Debug)]
pub enum Lookup {
    Hit(CachedBody),
    /// Not cached (or no longer current): build the view, then [`ReadCache::store`] it with this
    /// version.
    Miss(i64),
    /// The thread's connection is busy or cannot be opened: build the view without caching it.
    Bypass,
}

/// Hit and miss counts (what tests and operators read to see the cache work).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

/// One server's cache of serialised views (the entries live in each worker thread).
pub struct ReadCache {
    id: u64,
    db: Db,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl ReadCache {
    pub fn new(db: Db) -> ReadCache {
        ReadCache {
            id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed),
            db,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// The current body of `key` if this thread has one; runs two tiny statements at most.
    pub fn lookup(&self, key: &ViewKey) -> Lookup {
        let outcome = THREADS.with(|threads| {
            let mut threads = threads.borrow_mut();
            let cache = match threads.entry(self.id) {
                std::collections::hash_map::Entry::Occupied(slot) => slot.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    match self.db.open_reader(THREAD_READER_BUSY_TIMEOUT) {
                        Ok(conn) => slot.insert(ThreadCache {
                            conn,
                            entries: HashMap::new(),
                            bytes: 0,
                        }),
                        Err(e) => {
                            log::debug!("read cache: cannot open a thread connection: {e}");
                            return Lookup::Bypass;
                        }
                    }
                }
            };
            match cache.lookup(key) {
                Ok(outcome) => outcome,
                Err(e) => {
                    // Busy, or the file went away: take the pooled path, and open afresh next time.
                    log::debug!("read cache: bypassed: {e}");
                    threads.remove(&self.id);
                    Lookup::Bypass
                }
            }
        });
        match outcome {
            Lookup::Hit(_) => self.hits.fetch_add(1, Ordering::Relaxed),
            _ => self.misses.fetch_add(1, Ordering::Relaxed),
        };
        outcome
    }

    /// Keeps `body` for `key`, current as of `version` (from [`Lookup::Miss`]). Job views pass the
    /// stamp of the row they were built from.
    pub fn store(&self, key: ViewKey, version: i64, body: CachedBody, job_stamp: Option<JobStamp>) {
        THREADS.with(|threads| {
            let mut threads = threads.borrow_mut();
            let Some(cache) = threads.get_mut(&self.id) else {
                return;
            };
            let size = body.body.len();
            if size > MAX_BYTES_PER_THREAD / 4 {
                return;
            }
            if cache.bytes + size > MAX_BYTES_PER_THREAD {
                cache.entries.clear();
                cache.bytes = 0;
            }
            cache.bytes += size;
            if let Some(old) = cache.entries.insert(
                key,
                Entry {
                    body,
                    version,
                    job_stamp,
                },
            ) {
                cache.bytes -= old.body.body.len();
            }
        });
    }

    /// Serves `key` from this thread's cache, or builds it with `build` (on the blocking pool,
    /// returning the body and, for a job, the row's stamp) and keeps it.
    pub async fn serve<F>(&self, key: ViewKey, build: F) -> Result<HttpResponse>
    where
        F: FnOnce() -> Result<(CachedBody, Option<JobStamp>)> + Send + 'static,
    {
        match self.lookup(&key) {
            Lookup::Hit(body) => Ok(body.response()),
            Lookup::Miss(version) => {
                let (body, stamp) = blocking(build).await?;
                let response = body.response();
                self.store(key, version, body, stamp);
                Ok(response)
            }
            Lookup::Bypass => Ok(blocking(build).await?.0.response()),
        }
    }
}

impl ThreadCache {
    fn lookup(&mut self, key: &ViewKey) -> rusqlite::Result<Lookup> {
        let version: i64 = self
            .conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |row| row.get(0))?;
        let Some(entry) = self.entries.get_mut(key) else {
            return Ok(Lookup::Miss(version));
        };
        if entry.version == version {
            return Ok(Lookup::Hit(entry.body.clone()));
        }
        let still_current = match (&entry.job_stamp, key) {
            (Some(stamp), ViewKey::Job(job_id)) => JobStamp::read(&self.conn, job_id)?.as_ref() == Some(stamp),
            _ => false,
        };
        if still_current {
            entry.version = version;
            return Ok(Lookup::Hit(entry.body.clone()));
        }
        if let Some(old) = self.entries.remove(key) {
            self.bytes -= old.body.body.len();
        }
        Ok(Lookup::Miss(version))
    }
}

/// How long a database check answers the health probe.
pub const HEALTH_CHECK_TTL: Duration = Duration::from_millis(250);

/// Past this age without a successful check, the probe answers 503 even while a check hangs.
pub const HEALTH_CHECK_MAX_AGE: Duration = Duration::from_secs(1);

/// The health probe's database check, run at most once per [`HEALTH_CHECK_TTL`] whatever the
/// request rate; a fault shows within `HEALTH_CHECK_TTL` plus the check's own time, and a check
/// that hangs shows after [`HEALTH_CHECK_MAX_AGE`].
#[derive(Debug, Default)]
pub struct HealthCheck {
    state: Mutex<HealthState>,
    /// A check is running (on the blocking pool); others answer from the last result meanwhile.
    in_flight: AtomicBool,
}

#[derive(Debug, Default)]
struct HealthState {
    checked_at: Option<Instant>,
    /// What the last check found wrong; `None` when it passed.
    fault: Option<String>,
}

impl HealthCheck {
    /// `Ok` while the database answered a check recently, else what is wrong.
    pub async fn check(self: &Arc<Self>, db: &Db) -> std::result::Result<(), String> {
        if let Some(answer) = self.recent(HEALTH_CHECK_TTL) {
            return answer;
        }
        if self.in_flight.swap(true, Ordering::AcqRel) {
            // Someone else is checking: the last answer holds until it is too old.
            return self
                .recent(HEALTH_CHECK_MAX_AGE)
                .unwrap_or_else(|| Err("the database check has not answered for a second".into()));
        }
        let (probe, db) = (self.clone(), db.clone());
        // The state is updated inside the blocking task so that a client going away mid-check
        // cannot leave `in_flight` set.
        let finished = blocking(move || {
            let result = db.ping().map_err(|e| {
                log::warn!("health check: {e}");
                crate::store::health::probe_message(&e)
            });
            probe.record(result.clone());
            Ok(result)
        })
        .await;
        match finished {
            Ok(result) => result,
            Err(e) => {
                self.record(Err(e.to_string()));
                Err(e.to_string())
            }
        }
    }

    fn recent(&self, max_age: Duration) -> Option<std::result::Result<(), String>> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state
            .checked_at
            .filter(|at| at.elapsed() < max_age)
            .map(|_| state.fault.clone().map_or(Ok(()), Err))
    }

    fn record(&self, result: std::result::Result<(), String>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.checked_at = Some(Instant::now());
        state.fault = result.err();
        drop(state);
        self.in_flight.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_db;

    fn body(text: &str) -> CachedBody {
        CachedBody {
            body: Bytes::from(text.to_string()),
            total_count: None,
        }
    }

    #[test]
    fn list_entries_last_until_any_commit_by_another_connection() {
        let (_dir, db) = temp_db();
        let cache = ReadCache::new(db.clone());
        let key = ViewKey::List("experiments", String::new());
        let Lookup::Miss(version) = cache.lookup(&key) else {
            panic!("an empty cache misses")
        };
        cache.store(key.clone(), version, body("[]"), None);
        assert!(matches!(cache.lookup(&key), Lookup::Hit(b) if b.body == "[]"));
        db.write(|tx| {
            tx.execute(
                "INSERT INTO experiments (id, name, created_at, updated_at) VALUES ('exp-1', 'n', 't', 't')",
                [],
            )?;
            Ok(())
        })
        .unwrap();
        assert!(
            matches!(cache.lookup(&key), Lookup::Miss(_)),
            "a commit drops list entries"
        );
        assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 2 });
    }

    #[test]
    fn bodies_past_the_per_thread_budget_evict_the_thread_s_entries() {
        let (_dir, db) = temp_db();
        let cache = ReadCache::new(db);
        let big = "x".repeat(MAX_BYTES_PER_THREAD / 5);
        for n in 0..6 {
            let key = ViewKey::List("jobs", n.to_string());
            let Lookup::Miss(version) = cache.lookup(&key) else {
                panic!("new keys miss")
            };
            cache.store(key, version, body(&big), None);
        }
        let total = THREADS.with(|t| t.borrow().get(&cache.id).map(|c| c.bytes)).unwrap();
        assert!(total <= MAX_BYTES_PER_THREAD, "{total}");
        assert!(matches!(
            cache.lookup(&ViewKey::List("jobs", "5".into())),
            Lookup::Hit(_)
        ));
        assert!(matches!(
            cache.lookup(&ViewKey::List("jobs", "0".into())),
            Lookup::Miss(_)
        ));
    }

    #[tokio::test]
    async fn health_checks_are_reused_for_their_time_to_live() {
        let (dir, db) = temp_db();
        let check = Arc::new(HealthCheck::default());
        check.check(&db).await.unwrap();
        let first = check.state.lock().unwrap().checked_at.unwrap();
        check.check(&db).await.unwrap();
        let second = check.state.lock().unwrap().checked_at.unwrap();
        assert!(
            first == second || first.elapsed() >= HEALTH_CHECK_TTL,
            "a second probe within the TTL reuses the check"
        );
        std::fs::remove_file(dir.path().join("persona.db")).unwrap();
        let deadline = Instant::now() + HEALTH_CHECK_MAX_AGE;
        while check.check(&db).await.is_ok() {
            assert!(Instant::now() < deadline, "the fault shows within a second");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let fault = check.check(&db).await.unwrap_err();
        assert!(fault.contains("missing"), "{fault}");
    }
}
