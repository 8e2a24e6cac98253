//! Restart safety: leases, recovery, stale workers and graceful shutdown, in process (several
//! servers over one database file) and with the real binary (SIGKILL and SIGTERM).

use crate::support::executors::{FakeExecutor, fake_personas};
use crate::support::{WAIT, is_ended, spawn_process, test_app, test_settings, wait_until, write_planted_csv};
use persona::api::state::DataDir;
use persona::domain::time::now_rfc3339;
use persona::generate::Progress;
use persona::service::jobs::{Submission, parse_generate_request, submit};
use persona::store::Db;
use persona::store::jobs as job_store;
use persona::store::runs::RunDetails;
use persona::worker::{ExecuteFuture, JobExecutor, JobOutput, JobRun};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A lease deadline long past, as left behind by a worker that died.
const EXPIRED: &str = "2000-01-01T00:00:00.000Z";

/// A migrated database under `root` with `jobs` pending jobs on `data.csv`, created as the API
/// would; returns it and the job ids.
fn prepare(root: &Path, jobs: usize) -> (Db, Vec<String>) {
    let settings = test_settings(root);
    std::fs::create_dir_all(&settings.storage.data_dir).unwrap();
    std::fs::write(
        settings.storage.data_dir.join("data.csv"),
        "participant_id,quote\nP1,hi\n",
    )
    .unwrap();
    let db = Db::open(&settings.database).unwrap();
    db.migrate().unwrap();
    let data_dir = DataDir::resolve(&settings.storage.data_dir).unwrap();
    let ids = (0..jobs)
        .map(|_| {
            let request = parse_generate_request(&json!({"data": "data.csv", "count": 2}), &settings).unwrap();
            match submit(&db, &settings, &data_dir, request, "ip:127.0.0.1".into(), None).unwrap() {
                Submission::Created(entry) => entry.job.id,
                other => panic!("{other:?}"),
            }
        })
        .collect();
    (db, ids)
}

/// Claims the oldest pending job as a worker that then dies (its lease already expired).
fn claim_as_dead_worker(db: &Db) -> persona::domain::jobs::Job {
    db.write(|tx| job_store::claim_next(tx, "dead-worker", EXPIRED, &now_rfc3339()))
        .unwrap()
        .expect("a pending job")
}

#[tokio::test]
async fn a_job_whose_worker_died_is_requeued_and_completed_once() {
    let root = tempfile::tempdir().unwrap();
    let (db, ids) = prepare(root.path(), 1);
    let dead = claim_as_dead_worker(&db);
    assert_eq!(dead.id, ids[0]);

    let executor = FakeExecutor::succeeding();
    let app = test_app().root(root.path()).executor(executor.shared()).spawn().await;
    let job = app.wait_for_job(&ids[0], is_ended, WAIT).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["attempts"], 2);
    assert_eq!(executor.started(), 1);
    assert_eq!(
        app.query_i64("SELECT COUNT(*) FROM runs WHERE job_id = ?1", [&ids[0]]),
        1
    );
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM personas", []), 2);
    assert_eq!(
        app.query_i64("SELECT lease_epoch FROM jobs WHERE id = ?1", [&ids[0]]),
        2
    );
}

#[tokio::test]
async fn a_job_whose_workers_keep_dying_fails_after_max_attempts() {
    let root = tempfile::tempdir().unwrap();
    let (db, ids) = prepare(root.path(), 1);
    for _ in 0..2 {
        let dead = claim_as_dead_worker(&db);
        if dead.attempts < 2 {
            assert!(
                db.write(|tx| job_store::requeue(tx, &dead.lease(), &now_rfc3339()))
                    .unwrap()
            );
        }
    }
    let executor = FakeExecutor::succeeding();
    let app = test_app()
        .root(root.path())
        .settings(|s| s.worker.max_attempts = 2)
        .executor(executor.shared())
        .spawn()
        .await;
    let job = app.wait_for_job(&ids[0], is_ended, WAIT).await;
    assert_eq!(job["status"], "failed", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(
        error.contains("stopped 2 times without finishing it (lease expired); giving up after 2 attempt(s)"),
        "{error}"
    );
    assert_eq!(executor.started(), 0);
    assert_eq!(
        app.query_i64(
            "SELECT COUNT(*) FROM runs WHERE job_id = ?1 AND status = 'failed'",
            [&ids[0]]
        ),
        1
    );
}

#[tokio::test]
async fn a_dead_worker_s_job_with_a_cancel_request_ends_cancelled() {
    let root = tempfile::tempdir().unwrap();
    let (db, ids) = prepare(root.path(), 1);
    let dead = claim_as_dead_worker(&db);
    assert!(
        db.write(|tx| job_store::request_cancel(tx, &dead.id, &now_rfc3339()))
            .unwrap()
    );
    let executor = FakeExecutor::succeeding();
    let app = test_app().root(root.path()).executor(executor.shared()).spawn().await;
    let job = app.wait_for_job(&ids[0], is_ended, WAIT).await;
    assert_eq!(job["status"], "cancelled", "{job}");
    assert_eq!(executor.started(), 0);
}

/// Simulates losing the lease mid-run: while "generating", another worker re-queues and claims
/// the job (as recovery would after this worker's lease expired); then it returns personas.
struct LosesItsLease {
    db: Db,
}

impl JobExecutor for LosesItsLease {
    fn execute(&self, run: JobRun, _progress: Arc<dyn Progress>) -> ExecuteFuture {
        let db = self.db.clone();
        Box::pin(async move {
            let job_id = run.job_id.clone();
            persona::util::blocking(move || {
                db.write(|tx| {
                    let job = job_store::get(tx, &job_id)?.expect("job");
                    assert!(job_store::requeue(tx, &job.lease(), &now_rfc3339())?);
                    let taken = job_store::claim_next(tx, "other-worker", "2999-01-01T00:00:00.000Z", &now_rfc3339())?;
                    assert_eq!(taken.map(|j| j.id), Some(job_id.clone()));
                    Ok(())
                })
            })
            .await?;
            Ok(JobOutput {
                personas: fake_personas(&run),
                details: RunDetails::default(),
            })
        })
    }
}

#[tokio::test]
async fn a_worker_that_lost_its_lease_cannot_complete_the_job() {
    let root = tempfile::tempdir().unwrap();
    let (db, ids) = prepare(root.path(), 1);
    let app = test_app()
        .root(root.path())
        .executor(Arc::new(LosesItsLease { db: db.clone() }))
        .spawn()
        .await;
    let job = app
        .wait_for_job(&ids[0], |j| j["status"] == "running" && j["attempts"] == 2, WAIT)
        .await;
    assert_eq!(job["attempts"], 2);
    // The first worker's result is discarded: nothing is recorded for it, the job stays with
    // the worker that holds the lease now.
    let db_check = db.clone();
    let id = ids[0].clone();
    wait_until("the first worker to give up", WAIT, || {
        db_check
            .read(|c| job_store::get(c, &id))
            .unwrap()
            .is_some_and(|j| j.lease_owner.as_deref() == Some("other-worker"))
    })
    .await;
    app.shutdown().await;
    let job = db.read(|c| job_store::get(c, &ids[0])).unwrap().unwrap();
    assert_eq!(job.status, persona::domain::jobs::JobStatus::Running);
    assert_eq!(job.lease_owner.as_deref(), Some("other-worker"));
    let run_statuses = || -> Vec<String> {
        db.read(|c| {
            let mut stmt = c.prepare("SELECT status FROM runs")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .unwrap()
    };
    // One run for the job, still running: the second claim kept the first claim's run.
    assert_eq!(run_statuses(), ["running"]);

    // The lease holder completes it, once.
    let done = db
        .write(|tx| job_store::complete(tx, &job.lease(), &RunDetails::default(), &[], &now_rfc3339()))
        .unwrap();
    assert!(done.is_some());
    assert_eq!(run_statuses(), ["completed"]);
}

#[tokio::test]
async fn two_servers_on_one_database_never_run_a_job_twice() {
    let root = tempfile::tempdir().unwrap();
    let (_db, ids) = prepare(root.path(), 12);
    let first = FakeExecutor::succeeding();
    let second = FakeExecutor::succeeding();
    let a = test_app()
        .root(root.path())
        .settings(|s| s.worker.concurrency = 3)
        .executor(first.shared())
        .spawn()
        .await;
    let b = test_app()
        .root(root.path())
        .settings(|s| s.worker.concurrency = 3)
        .executor(second.shared())
        .spawn()
        .await;
    for id in &ids {
        assert_eq!(a.wait_for_job(id, is_ended, WAIT).await["status"], "completed");
    }
    let mut started: Vec<String> = first
        .runs()
        .into_iter()
        .chain(second.runs())
        .map(|r| r.job_id)
        .collect();
    started.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(started, expected, "every job ran exactly once");
    assert_eq!(b.query_i64("SELECT COUNT(*) FROM runs", []), 12);
    assert_eq!(b.query_i64("SELECT COUNT(*) FROM personas", []), 24);
    assert_eq!(b.query_i64("SELECT MAX(attempts) FROM jobs", []), 1);
}

#[tokio::test]
async fn graceful_shutdown_lets_a_running_job_finish() {
    let executor = FakeExecutor::waiting();
    let app = test_app().executor(executor.shared()).spawn().await;
    app.write_data_file("a.csv", "x");
    let id = app.create_job(json!({"data": "a.csv"})).await;
    app.wait_for_job(&id, |j| j["status"] == "running", WAIT).await;

    let db = app.db.clone();
    let (client, health) = (app.client.clone(), app.url("/api/v1/health"));
    let stopping = tokio::spawn(app.shutdown());
    // Once the server no longer accepts requests, the shutdown is under way; the job then ends.
    let deadline = std::time::Instant::now() + WAIT;
    while client.get(&health).send().await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "the server kept answering");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    executor.release();
    stopping.await.unwrap();
    let job = db.read(|c| job_store::get(c, &id)).unwrap().unwrap();
    assert_eq!(job.status, persona::domain::jobs::JobStatus::Completed);
}

#[tokio::test]
async fn a_job_still_running_after_the_grace_period_is_recovered_by_the_next_start() {
    let root = tempfile::tempdir().unwrap();
    let stuck = FakeExecutor::waiting();
    let app = test_app()
        .root(root.path())
        .settings(|s| {
            s.server.shutdown_grace_seconds = 0;
            s.worker.lease_seconds = 2;
        })
        .executor(stuck.shared())
        .spawn()
        .await;
    app.write_data_file("a.csv", "x");
    let id = app.create_job(json!({"data": "a.csv", "count": 2})).await;
    app.wait_for_job(&id, |j| j["status"] == "running", WAIT).await;
    // "running" is recorded at the claim; wait until generation itself has begun too.
    wait_until("the stuck job to start", WAIT, || stuck.started() == 1).await;
    app.shutdown().await;
    // The abandoned job put itself back to pending on the way out; it did not end cancelled.
    let db = Db::open(&test_settings(root.path()).database).unwrap();
    let status: String = db
        .read(|conn| Ok(conn.query_row("SELECT status FROM jobs WHERE id = ?1", [&id], |row| row.get(0))?))
        .unwrap();
    assert_eq!(status, "pending");
    drop(db);

    let executor = FakeExecutor::succeeding();
    let app = test_app()
        .root(root.path())
        .settings(|s| s.worker.lease_seconds = 2)
        .executor(executor.shared())
        .spawn()
        .await;
    let job = app.wait_for_job(&id, is_ended, WAIT).await;
    assert_eq!(
        (job["status"].as_str(), job["attempts"].as_u64()),
        (Some("completed"), Some(2))
    );
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM runs", []), 1);
    assert_eq!(app.query_i64("SELECT COUNT(*) FROM personas", []), 2);
    assert_eq!(stuck.started(), 1);
}

/// Generation that blocks its thread (CPU-bound work that never yields) for `seconds`.
struct BlocksItsThread {
    seconds: u64,
}

impl JobExecutor for BlocksItsThread {
    fn execute(&self, run: JobRun, _progress: Arc<dyn Progress>) -> ExecuteFuture {
        let seconds = self.seconds;
        Box::pin(async move {
            std::thread::sleep(Duration::from_secs(seconds));
            Ok(JobOutput {
                personas: fake_personas(&run),
                details: RunDetails::default(),
            })
        })
    }
}

#[tokio::test]
async fn leases_stay_renewed_while_generation_blocks_its_threads() {
    let root = tempfile::tempdir().unwrap();
    let (_db, ids) = prepare(root.path(), 3);
    let settings = |s: &mut persona::config::Settings| {
        s.worker.lease_seconds = 2;
        s.worker.concurrency = 3;
    };
    // Every job blocks for longer than the lease; a second server on the same database would
    // take over any job whose lease lapsed.
    let busy = test_app()
        .root(root.path())
        .settings(settings)
        .executor(Arc::new(BlocksItsThread { seconds: 3 }))
        .spawn()
        .await;
    for id in &ids {
        busy.wait_for_job(id, |j| j["status"] == "running", WAIT).await;
    }
    let thief = FakeExecutor::succeeding();
    let _other = test_app()
        .root(root.path())
        .settings(settings)
        .executor(thief.shared())
        .spawn()
        .await;
    for id in &ids {
        let job = busy.wait_for_job(id, is_ended, WAIT).await;
        assert_eq!(
            (job["status"].as_str(), job["attempts"].as_u64()),
            (Some("completed"), Some(1)),
            "{job}"
        );
    }
    assert_eq!(
        thief.started(),
        0,
        "no lease lapsed while the jobs blocked their threads"
    );
}

#[test]
fn persona_migrate_applies_the_schema_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/persona.db");
    let run = || {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_persona"))
            .args(["migrate", "--db"])
            .arg(&db)
            .env_remove("PERSONA_CONFIG")
            .output()
            .expect("persona migrate runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let latest = persona::store::latest_embedded_version();
    let first = run();
    assert!(first.starts_with("applied V1__core\n"), "{first}");
    assert_eq!(first.matches("applied V").count() as i64, latest, "{first}");
    assert!(first.contains(&format!("schema version {latest}")), "{first}");
    let second = run();
    assert!(
        second.contains(&format!("up to date (schema version {latest})")),
        "{second}"
    );
    let opened = Db::open_path(&db, 1, 1000).unwrap();
    assert!(opened.migration_status().unwrap().is_current());
}

/// Rows of the stored result, checked after a restart: one run per job, its personas stored
/// once and counted right.
fn assert_each_job_recorded_once(db: &Db, ids: &[String]) {
    db.read(|c| {
        for id in ids {
            let (runs, status): (i64, String) = c.query_row(
                "SELECT (SELECT COUNT(*) FROM runs WHERE job_id = jobs.id), status FROM jobs WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            assert_eq!((runs, status.as_str()), (1, "completed"), "job {id}");
            let (counted, stored): (i64, i64) = c.query_row(
                "SELECT runs.personas_count, (SELECT COUNT(*) FROM personas WHERE personas.run_id = runs.id)
                 FROM jobs JOIN runs ON runs.id = jobs.run_id WHERE jobs.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            assert!(
                counted > 0 && counted == stored,
                "job {id}: {counted} counted, {stored} stored"
            );
        }
        let orphans: i64 = c.query_row(
            "SELECT COUNT(*) FROM personas WHERE run_id NOT IN (SELECT run_id FROM jobs WHERE run_id IS NOT NULL)",
            [],
            |r| r.get(0),
        )?;
        assert_eq!(orphans, 0, "every stored persona belongs to a job's run");
        let runs: i64 = c.query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))?;
        assert_eq!(runs as usize, ids.len());
        Ok(())
    })
    .unwrap();
}

#[tokio::test]
async fn after_sigkill_and_a_restart_every_job_ends_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    write_planted_csv(&dir.path().join("data/interviews.csv"), 6, 40);
    let env = [
        ("PERSONA_WORKER_CONCURRENCY", "1"),
        ("PERSONA_WORKER_LEASE_SECONDS", "2"),
    ];
    let server = spawn_process(dir.path(), &env).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(server.create_job(json!({"data": "interviews.csv", "count": 4})).await);
    }
    server.wait_for_job(&ids[0], |j| j["status"] == "running", WAIT).await;
    let before = [server.job(&ids[0]).await, server.job(&ids[3]).await];
    server.kill_hard();
    assert_eq!(before[0]["status"], "running", "one job was running at the kill");
    assert_eq!(before[1]["status"], "pending", "another was still pending");

    let server = spawn_process(dir.path(), &env).await;
    for id in &ids {
        let job = server.wait_for_job(id, is_ended, Duration::from_secs(120)).await;
        assert_eq!(job["status"], "completed", "{job}\n{}", server.log());
    }
    assert_eq!(
        server.job(&ids[0]).await["attempts"],
        2,
        "the interrupted job ran again"
    );
    let db = Db::open_path(&dir.path().join("persona.db"), 1, 5000).unwrap();
    assert_each_job_recorded_once(&db, &ids);
    let status = server.terminate(WAIT);
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn sigterm_lets_the_running_job_finish_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    write_planted_csv(&dir.path().join("data/interviews.csv"), 6, 40);
    let server = spawn_process(dir.path(), &[("PERSONA_SERVER_SHUTDOWN_GRACE_SECONDS", "60")]).await;
    let id = server.create_job(json!({"data": "interviews.csv", "count": 4})).await;
    server.wait_for_job(&id, |j| j["status"] == "running", WAIT).await;
    let log_path = server.log_path.clone();
    let status = server.terminate(Duration::from_secs(90));
    assert!(status.success(), "exit status {status}");
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("SIGTERM received") && log.contains("stopped"), "{log}");

    let db = Db::open_path(&dir.path().join("persona.db"), 1, 5000).unwrap();
    let job = db.read(|c| job_store::get(c, &id)).unwrap().unwrap();
    assert_eq!(
        job.status,
        persona::domain::jobs::JobStatus::Completed,
        "the running job finished during the grace period"
    );
    assert_each_job_recorded_once(&db, std::slice::from_ref(&id));
}
