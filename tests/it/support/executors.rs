//! Job executors for tests: they stand in for the generation pipeline when a test needs a job
//! that is quick, slow, stuck, failing or crashing.

use persona::domain::{IdKind, Persona};
use persona::error::Error;
use persona::generate::{Progress, Step};
use persona::store::runs::RunDetails;
use persona::worker::{ExecuteFuture, JobExecutor, JobOutput, JobRun};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// What a [`FakeExecutor`] does with each job.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Walks through the pipeline steps and returns `count` personas.
    Succeed,
    /// Starts, then waits (checking cancellation) until [`FakeExecutor::release`].
    WaitForRelease,
    /// Fails with an input error carrying this message.
    Fail(String),
    /// Panics.
    Panic,
}

/// A scripted executor that records the runs it was given.
#[derive(Clone)]
pub struct FakeExecutor {
    behaviour: Behaviour,
    started: Arc<AtomicUsize>,
    runs: Arc<Mutex<Vec<JobRun>>>,
    release: Arc<watch::Sender<bool>>,
}

impl FakeExecutor {
    pub fn new(behaviour: Behaviour) -> FakeExecutor {
        FakeExecutor {
            behaviour,
            started: Arc::new(AtomicUsize::new(0)),
            runs: Arc::new(Mutex::new(Vec::new())),
            release: Arc::new(watch::channel(false).0),
        }
    }

    pub fn succeeding() -> FakeExecutor {
        FakeExecutor::new(Behaviour::Succeed)
    }

    pub fn waiting() -> FakeExecutor {
        FakeExecutor::new(Behaviour::WaitForRelease)
    }

    pub fn failing(message: &str) -> FakeExecutor {
        FakeExecutor::new(Behaviour::Fail(message.into()))
    }

    pub fn panicking() -> FakeExecutor {
        FakeExecutor::new(Behaviour::Panic)
    }

    /// As a trait object for `spawn_app_with`.
    pub fn shared(&self) -> Arc<dyn JobExecutor> {
        Arc::new(self.clone())
    }

    /// Lets every waiting (and future) job finish.
    pub fn release(&self) {
        self.release.send_replace(true);
    }

    /// Jobs started so far.
    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    /// The runs started so far, in order.
    pub fn runs(&self) -> Vec<JobRun> {
        self.runs.lock().unwrap().clone()
    }
}

/// `count` personas for a run, as the pipeline would return them.
pub fn fake_personas(run: &JobRun) -> Vec<Persona> {
    (0..run.generation.count)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "id": IdKind::Persona.new_id(),
                "name": format!("Persona {}", i + 1),
                "title": format!("The Tester {}", i + 1),
                "summary": "A persona made by the test executor.",
                "goals": ["ship it"],
                "participants": [format!("P{:03}", i + 1)],
                "segment_size": 1,
                "provider": run.generation.provider,
                "model": "fake-v1",
                "experiment_id": run.experiment_id,
                "run_id": run.run_id,
            }))
            .expect("a valid persona")
        })
        .collect()
}

fn check(progress: &dyn Progress, step: Step) -> Result<(), Error> {
    if progress.cancelled() {
        return Err(Error::Cancelled);
    }
    progress.step(step, "");
    Ok(())
}

impl JobExecutor for FakeExecutor {
    fn execute(&self, run: JobRun, progress: Arc<dyn Progress>) -> ExecuteFuture {
        let this = self.clone();
        Box::pin(async move {
            this.started.fetch_add(1, Ordering::SeqCst);
            this.runs.lock().unwrap().push(run.clone());
            check(&*progress, Step::Ingesting)?;
            match &this.behaviour {
                Behaviour::Succeed => {}
                Behaviour::WaitForRelease => {
                    check(&*progress, Step::Segmenting)?;
                    let mut released = this.release.subscribe();
                    loop {
                        if *released.borrow_and_update() {
                            break;
                        }
                        if progress.cancelled() {
                            return Err(Error::Cancelled);
                        }
                        let _ = tokio::time::timeout(Duration::from_millis(20), released.changed()).await;
                    }
                }
                Behaviour::Fail(message) => return Err(Error::invalid(message.clone())),
                Behaviour::Panic => panic!("the fake executor crashed on purpose"),
            }
            check(&*progress, Step::Synthesising)?;
            check(&*progress, Step::Writing)?;
            let personas = fake_personas(&run);
            let folder = run.output_dir.join(&run.run_id);
            std::fs::create_dir_all(&folder)?;
            std::fs::write(folder.join("personas.json"), serde_json::to_vec_pretty(&personas)?)?;
            progress.step(Step::Done, "");
            Ok(JobOutput {
                personas,
                details: RunDetails {
                    model: Some("fake-v1".into()),
                    output_path: Some(folder.display().to_string()),
                    duration_ms: Some(1),
                    ..RunDetails::default()
                },
            })
        })
    }
}
