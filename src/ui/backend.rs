//! The web workspace's only door into the library. Every read a page shows goes through one of
//! these functions, each a thin call of what the matching API handler calls, returning the
//! API's own view types, so the pages and the JSON API can never disagree. (When the request use
//! cases move into a service layer, only this file needs repointing.) All functions block: call
//! them through [`crate::store::blocking`].

use crate::api::experiments::{ExperimentView, RunDetailView, RunSummaryView, read_run};
use crate::api::generate::{JobView, job_view, read_job_view};
use crate::api::routes::webhooks::{AttemptView, DeliveryView, WebhookView};
use crate::config::Settings;
use crate::domain::Persona;
use crate::error::{Error, Result};
use crate::generate::providers::{ProviderStatus, provider_statuses};
use crate::store::jobs::{self, JobStatus, ListQuery};
use crate::store::{Db, experiments, personas, runs, webhooks};

/// Experiments scanned by a name search (the store pages by position, not by name).
const SEARCH_SCAN: u32 = 10_000;

/// A page of jobs, newest first, and how many match `status` over all pages.
pub fn jobs(db: &Db, status: Option<JobStatus>, limit: u32, offset: u64) -> Result<(u64, Vec<JobView>)> {
    db.read(|conn| {
        let total = jobs::count(conn, status)?;
        let views = jobs::list_entries(conn, &ListQuery { status, limit, offset })?
            .into_iter()
            .map(|entry| job_view(conn, entry, false))
            .collect::<Result<Vec<_>>>()?;
        Ok((total, views))
    })
}

/// One job with its result (personas included once completed).
pub fn job(db: &Db, job_id: &str) -> Result<JobView> {
    read_job_view(db, job_id)
}

/// A page of experiments, newest first, and the total. With `search`, only those whose name or
/// a data source contains it (case-insensitive).
pub fn experiments(db: &Db, search: Option<&str>, limit: u32, offset: u64) -> Result<(u64, Vec<ExperimentView>)> {
    db.read(|conn| match search.map(str::to_lowercase) {
        None => {
            let total = experiments::count(conn)?;
            let items = experiments::list(conn, limit, offset)?;
            Ok((total, items.into_iter().map(ExperimentView::from).collect()))
        }
        Some(needle) => {
            let matching: Vec<ExperimentView> = experiments::list(conn, SEARCH_SCAN, 0)?
                .into_iter()
                .map(ExperimentView::from)
                .filter(|e| {
                    e.name.to_lowercase().contains(&needle)
                        || e.data_sources.iter().any(|s| s.to_lowercase().contains(&needle))
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
    })
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
    db.read(|conn| {
        let summary = experiments::get_summary(conn, experiment_id)?.ok_or_else(|| Error::NotFound {
            resource: "experiment",
            id: experiment_id.to_string(),
        })?;
        let total = runs::count_for_experiment(conn, experiment_id)?;
        let history = runs::list_for_experiment(conn, experiment_id, limit, offset)?
            .iter()
            .map(|run| RunHistoryEntry {
                run: RunSummaryView::from(run),
                // The run's quality summary, as written to its metadata at the end of the run.
                mean_quality: run.metadata["quality"]["average_score"].as_f64(),
            })
            .collect();
        Ok((summary.into(), total, history))
    })
}

/// One run with its personas, typed.
pub fn run(db: &Db, experiment_id: &str, run_id: &str) -> Result<(RunDetailView, Vec<Persona>)> {
    let detail = read_run(db, experiment_id, run_id)?;
    let personas = detail
        .personas
        .iter()
        .map(|raw| serde_json::from_str::<Persona>(raw.get()).map_err(Error::from))
        .collect::<Result<Vec<_>>>()?;
    Ok((detail, personas))
}

/// One stored persona.
pub fn persona(db: &Db, persona_id: &str) -> Result<Persona> {
    db.read(|conn| personas::get_persona(conn, persona_id))?
        .map(|(persona, _)| persona)
        .ok_or_else(|| Error::NotFound {
            resource: "persona",
            id: persona_id.to_string(),
        })
}

/// The default provider and every provider's status (what `GET /api/v1/providers` lists).
pub fn providers(settings: &Settings) -> (String, Vec<ProviderStatus>) {
    (settings.generation.provider.clone(), provider_statuses(settings))
}

/// Every registered webhook.
pub fn webhooks(db: &Db) -> Result<Vec<WebhookView>> {
    Ok(db
        .read(webhooks::list_webhooks)?
        .into_iter()
        .map(WebhookView::from)
        .collect())
}

/// A delivery with its attempts, oldest first.
pub type DeliveryWithAttempts = (DeliveryView, Vec<AttemptView>);

/// A webhook's latest deliveries, each with its attempts, and the total.
pub fn deliveries(db: &Db, webhook_id: &str, limit: u32) -> Result<(u64, Vec<DeliveryWithAttempts>)> {
    db.read(|conn| {
        let (deliveries, total) = webhooks::list_deliveries(conn, webhook_id, None, limit, 0)?;
        let with_attempts = deliveries
            .into_iter()
            .map(|delivery| {
                let attempts = webhooks::attempts_of(conn, &delivery.id)?
                    .into_iter()
                    .map(AttemptView::from)
                    .collect();
                Ok((DeliveryView::from(delivery), attempts))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((total, with_attempts))
    })
}
