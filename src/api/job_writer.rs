//! Group commit for job creation: one thread inserts the jobs that arrive together in one
//! IMMEDIATE transaction, each inside its own savepoint, and answers every request only after
//! that transaction has committed. A job is as durable as before (committed before its 200); a
//! burst of submissions shares one lock acquisition and one write of each touched page instead of
//! one per job. A submission that fails (an unknown experiment, the concurrent-jobs limit) is
//! rolled back to its savepoint without touching the others.

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::service::DataDir;
use crate::service::jobs::{self, GenerateRequest, Submission};
use crate::store::Db;
use std::sync::Arc;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most submissions committed together.
const MAX_BATCH: usize = 256;

struct Submitted {
    request: GenerateRequest,
    client_key: String,
    max_concurrent_jobs: Option<u32>,
    reply: oneshot::Sender<Result<Submission>>,
}

/// The handle requests submit through; the thread ends when the last handle is dropped.
pub struct JobWriter {
    queue: mpsc::Sender<Submitted>,
}

impl std::fmt::Debug for JobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobWriter").finish_non_exhaustive()
    }
}

impl JobWriter {
    pub fn start(db: Db, settings: Arc<Settings>, data_dir: Arc<DataDir>) -> Result<JobWriter> {
        let (queue, submissions) = mpsc::channel();
        std::thread::Builder::new()
            .name("job-writer".into())
            .spawn(move || run(&db, &settings, &data_dir, &submissions))
            .map_err(|e| Error::Internal(format!("cannot start the job writer thread: {e}")))?;
        Ok(JobWriter { queue })
    }

    /// What `submit_job` does, committed together with the submissions queued meanwhile.
    pub async fn submit(
        &self,
        request: GenerateRequest,
        client_key: String,
        max_concurrent_jobs: Option<u32>,
    ) -> Result<Submission> {
        let (reply, answer) = oneshot::channel();
        let stopped = || Error::Internal("the job writer has stopped".into());
        self.queue
            .send(Submitted {
                request,
                client_key,
                max_concurrent_jobs,
                reply,
            })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn run(db: &Db, settings: &Settings, data_dir: &DataDir, submissions: &mpsc::Receiver<Submitted>) {
    while let Ok(first) = submissions.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match submissions.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        // A panic drops this batch's reply senders (its requests get a 500); the thread lives on.
        let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            commit_batch(db, settings, data_dir, batch)
        }));
        if handled.is_err() {
            log::error!("the job writer panicked while committing a batch of submissions");
        }
    }
}

fn commit_batch(db: &Db, settings: &Settings, data_dir: &DataDir, batch: Vec<Submitted>) {
    let mut ready = Vec::with_capacity(batch.len());
    for submitted in batch {
        match jobs::prepare(
            settings,
            data_dir,
            submitted.request,
            submitted.client_key,
            submitted.max_concurrent_jobs,
        ) {
            Ok(prepared) => ready.push((prepared, submitted.reply)),
            Err(e) => {
                let _ = submitted.reply.send(Err(e));
            }
        }
    }
    if ready.is_empty() {
        return;
    }
    let outcome = db.write(|tx| {
        let mut results = Vec::with_capacity(ready.len());
        for (prepared, _) in &ready {
            tx.execute_batch("SAVEPOINT submission")?;
            match jobs::insert(tx, prepared) {
                Ok(submission) => {
                    tx.execute_batch("RELEASE submission")?;
                    results.push(Ok(submission));
                }
                Err(e) => {
                    tx.execute_batch("ROLLBACK TO submission; RELEASE submission")?;
                    results.push(Err(e));
                }
            }
        }
        Ok(results)
    });
    match outcome {
        Ok(results) => {
            for ((_, reply), result) in ready.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(e) if ready.len() == 1 => {
            if let Some((_, reply)) = ready.pop() {
                let _ = reply.send(Err(e));
            }
        }
        // The batch as a whole failed (the database is busy, full…): each submission gets its
        // own transaction and so its own error.
        Err(_) => {
            for (prepared, reply) in ready {
                let _ = reply.send(db.write(|tx| jobs::insert(tx, &prepared)));
            }
        }
    }
}
