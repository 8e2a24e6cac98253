//! The web workspace's only door into the library. Every read a page shows goes through one of
//! these functions, each a thin call of what the matching API handler calls, returning the
//! API's own view types, so the pages and the JSON API can never disagree. (When the request use
//! cases move into a service layer, only this file needs repointing.) All functions block: call
//! them through [`crate::util::blocking`].

use crate::api::experiments::{ExperimentView, RunDetailView, RunSummaryView};
use crate::api::routes::webhooks::{AttemptView, DeliveryView, WebhookView};
use crate::config::Settings;
use crate::domain::Persona;
use crate::domain::jobs::{JobStatus, JobView};
use crate::error::{Error, Result};
use crate::generate::providers::{ProviderStatus, provider_statuses};
use crate::service::jobs::{Db, ListQuery};
use crate::service::{experiments, jobs, personas, webhooks};

/// Experiments scanned by a name search (the store pages by position, not by name).
const SEARCH_SCAN: u32 = 10_000;

/// A page of jobs, newest first, and how many match `status` over all pages.
pub fn jobs(db: &Db, status: Option<JobStatus>, limit: u32, offset: u64) -> Result<(u64, Vec<JobView>)> {
    db.read(|conn| jobs::list(conn, &ListQuery { status, limit, offset }, false))
}

/// One job with its result (personas included once completed).
pub fn job(db: &Db, job_id: &str) -> Result<JobView> {
    jobs::read_view(db, job_id)
}

/// A page of experiments, newest first, and the total. With `search`, only those whose name or
/// a data source contains it (case-insensitive).
pub fn experiments(db: &Db, search: Option<&str>, limit: u32, offset: u64) -> Result<(u64, Vec<ExperimentView>)> {
    let Some(needle) = search.map(str::to_lowercase) else {
        let (total, items) = experiments::list(db, limit, offset)?;
        return Ok((total, items.into_iter().map(ExperimentView::from).collect()));
    };
    let (_, items) = experiments::list(db, SEARCH_SCAN, 0)?;
    let matching: Vec<ExperimentView> = items
        .into_iter()
        .map(ExperimentView::from)
        .filter(|e| {
            e.name.to_lowercase().contains(&needle) || e.data_sources.iter().any(|s| s.to_lowercase().contains(&needle))
        })
        .collect();
    let total = matching.len() as u64;
    let page = matching
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .collect();
    Ok((total, page))
}

/// A run as its experiment's history lists it, with the run's mean persona quality.
pub struct RunHistoryEntry {
    pub run: RunSummaryView,
    pub mean_quality: Option<f64>,
}

/// An experiment, its run count, and a page of its runs (newest first).
pub fn experiment_history(
    db: &Db,
    experiment_id: &str,
    limit: u32,
    offset: u64,
) -> Result<(ExperimentView, u64, Vec<RunHistoryEntry>)> {
    let found = experiments::read(db, experiment_id)?;
    let (total, runs) = experiments::read_runs(db, experiment_id, limit, offset)?;
    let history = runs
        .iter()
        .map(|run| RunHistoryEntry {
            run: RunSummaryView::from(run),
            // The run's quality summary, as written to its metadata at the end of the run.
            mean_quality: run.metadata["quality"]["average_score"].as_f64(),
        })
        .collect();
    Ok((found.summary.into(), total, history))
}

/// One run with its personas, typed.
pub fn run(db: &Db, experiment_id: &str, run_id: &str) -> Result<(RunDetailView, Vec<Persona>)> {
    let detail = RunDetailView::from(experiments::read_run(db, experiment_id, run_id)?);
    let personas = detail
        .personas
        .iter()
        .map(|raw| serde_json::from_str::<Persona>(raw.get()).map_err(Error::from))
        .collect::<Result<Vec<_>>>()?;
    Ok((detail, personas))
}

/// One stored persona.
pub fn persona(db: &Db, persona_id: &str) -> Result<Persona> {
    personas::read(db, persona_id)
}

/// The default provider and every provider's status (what `GET /api/v1/providers` lists).
pub fn providers(settings: &Settings) -> (String, Vec<ProviderStatus>) {
    (settings.generation.provider.clone(), provider_statuses(settings))
}

/// Every registered webhook.
pub fn webhooks(db: &Db) -> Result<Vec<WebhookView>> {
    Ok(webhooks::list(db)?.into_iter().map(WebhookView::from).collect())
}

/// A delivery with its attempts, oldest first.
pub type DeliveryWithAttempts = (DeliveryView, Vec<AttemptView>);

/// A webhook's latest deliveries, each with its attempts, and the total.
pub fn deliveries(db: &Db, webhook_id: &str, limit: u32) -> Result<(u64, Vec<DeliveryWithAttempts>)> {
    let (total, found) = webhooks::deliveries_with_attempts(db, webhook_id, limit)?;
    let views = found
        .into_iter()
        .map(|(delivery, attempts)| {
            (
                DeliveryView::from(delivery),
                attempts.into_iter().map(AttemptView::from).collect(),
            )
        })
        .collect();
    Ok((total, views))
}
