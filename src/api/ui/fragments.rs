//! The data of each page as server-rendered HTML (`/ui/fragments/...`). Guarded like the API's
//! reads; bad query parameters get the API's error envelope. Each handler reads through
//! [`super::backend`] on the blocking pool and renders.

use super::backend::{self, RunHistoryEntry};
use super::pages::html_response;
use super::render::{
    self, CardKind, duration, optional_time, pager, persona_card, quality_chart, stage, status_badge, time,
};
use crate::api::error::ApiError;
use crate::api::experiments::RunDetailView;
use crate::api::query::QueryParams;
use crate::api::state::AppState;
use crate::domain::jobs::JobStatus;
use crate::domain::jobs::JobView;
use crate::domain::values::PersonaCount;
use crate::domain::{EvidenceField, Persona};
use crate::util::blocking;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use std::collections::BTreeSet;

const JOBS_PER_PAGE: u32 = 25;
const EXPERIMENTS_PER_PAGE: u32 = 20;
const RUNS_PER_PAGE: u32 = 50;
const DELIVERIES_SHOWN: u32 = 20;
/// Experiments offered in the generation form's experiment list.
const EXPERIMENT_CHOICES: u32 = 200;
/// Two personas of compared runs are the same persona when at least this share of their
/// participants is common (Jaccard index of the participant sets).
const PERSIST_OVERLAP: f64 = 0.5;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ui/fragments/", web::get().to(generate_form))
        .route("/ui/fragments/jobs", web::get().to(jobs))
        .route("/ui/fragments/jobs/{id}", web::get().to(job))
        .route("/ui/fragments/experiments", web::get().to(experiments))
        .route("/ui/fragments/experiments/{id}", web::get().to(experiment))
        .route("/ui/fragments/experiments/{id}/runs/{run_id}", web::get().to(run))
        .route("/ui/fragments/compare", web::get().to(compare))
        .route("/ui/fragments/personas/{id}", web::get().to(persona))
        .route("/ui/fragments/personas/{id}/evidence", web::get().to(evidence))
        .route("/ui/fragments/webhooks", web::get().to(webhooks));
}

type Fragment = Result<HttpResponse, ApiError>;

fn ok(markup: Markup) -> Fragment {
    Ok(html_response(StatusCode::OK, markup))
}

/// A field error shown next to its field (filled in by the script from the API's envelope).
fn field_error(field: &str) -> Markup {
    html! { p.field-error id=(format!("{field}-error")) data-error-for=(field) {} }
}

async fn generate_form(req: HttpRequest, state: web::Data<AppState>) -> Fragment {
    QueryParams::parse(req.query_string())?.finish()?;
    let (default_provider, providers) = backend::providers(&state.settings);
    let db = state.db.clone();
    let (_, experiments) = blocking(move || backend::experiments(&db, None, EXPERIMENT_CHOICES, 0)).await?;
    let default_count = state.settings.generation.count;
    let default_seed = state.settings.generation.seed;
    ok(html! {
        form #generate-form.stack novalidate data-generate {
            fieldset {
                legend { "Research data" }
                div #dropzone.dropzone data-dropzone {
                    p { "Drop interview, survey or transcript files here (several at once), or" }
                    label.button for="files" { "Choose files" }
                    input #files.visually-hidden type="file" multiple
                        accept=".csv,.tsv,.json,.jsonl,.yaml,.yml,.md,.markdown,.txt" aria-describedby="files-hint";
                    p #files-hint.hint { "CSV, TSV, JSON, JSONL, YAML, Markdown or text. Each file becomes a dataset." }
                }
                ul #uploads.uploads aria-live="polite" {}
                (field_error("file"))
                label for="data" { "Data to generate from" }
                input #data name="data" type="text" required aria-describedby="data-hint data-error"
                    placeholder="dataset-… or a path in the data directory";
                p #data-hint.hint { "An uploaded dataset (filled in when you upload or pick one above), or a file or folder path inside the server's data directory." }
                (field_error("data"))
            }
            fieldset.grid-fields {
                legend { "Settings" }
                div {
                    label for="count" { "Personas" }
                    input #count name="count" type="number" min=(PersonaCount::MIN) max=(PersonaCount::MAX) value=(default_count) aria-describedby="count-error";
                    (field_error("count"))
                }
                div {
                    label for="provider" { "Provider" }
                    select #provider name="provider" aria-describedby="provider-hint provider-error" {
                        @for p in &providers {
                            option value=(p.name) disabled[!p.configured] selected[p.name == default_provider]
                                data-model=(p.default_model) {
                                (p.name)
                                @if let Some(missing) = &p.missing { " (not configured: set " (missing) ")" }
                            }
                        }
                    }
                    p #provider-hint.hint { "Only configured providers can be chosen." }
                    (field_error("provider"))
                }
                div {
                    label for="model" { "Model" }
                    input #model name="model" type="text" aria-describedby="model-hint model-error";
                    p #model-hint.hint { "Empty: the provider's default model." }
                    (field_error("model"))
                }
                div {
                    label for="seed" { "Seed" }
                    input #seed name="seed" type="number" min="0" placeholder=(default_seed) aria-describedby="seed-error";
                    (field_error("seed"))
                }
                div.wide {
                    label for="experiment_id" { "Experiment" }
                    select #experiment_id name="experiment_id" aria-describedby="experiment_id-error" {
                        option value="" { "A new experiment named after the data" }
                        @for e in &experiments {
                            option value=(e.id) { (e.name) " (" (e.run_count) " runs)" }
                        }
                    }
                    (field_error("experiment_id"))
                }
            }
            div.actions {
                button.primary type="submit" { "Generate personas" }
            }
            p #form-error.form-error role="alert" {}
        }
    })
}

async fn jobs(req: HttpRequest, state: web::Data<AppState>) -> Fragment {
    let mut params = QueryParams::parse(req.query_string())?;
    let page = params.page(JOBS_PER_PAGE, crate::api::query::MAX_LIMIT);
    let status = match params.take("status").filter(|s| !s.is_empty()) {
        None => None,
        Some(value) => JobStatus::parse(&value).or_else(|| {
            let allowed = JobStatus::ALL.map(JobStatus::as_str).join(", ");
            params.reject("status", format!("must be one of {allowed}"));
            None
        }),
    };
    params.finish()?;
    let db = state.db.clone();
    let (total, views) = blocking(move || backend::jobs(&db, status, page.limit, page.offset)).await?;
    let live = views.iter().any(|job| !job.status.is_terminal());
    let status_value = status.map(|s| s.as_str().to_string()).unwrap_or_default();
    ok(html! {
        form.filters method="get" action="/ui/jobs" {
            label for="status-filter" { "Status" }
            select #status-filter name="status" data-autosubmit {
                option value="" selected[status.is_none()] { "All" }
                @for s in JobStatus::ALL {
                    option value=(s.as_str()) selected[status == Some(s)] { (s.as_str()) }
                }
            }
            button type="submit" { "Filter" }
        }
        div #jobs-table data-live[live] {
            @if views.is_empty() {
                p { "No jobs" @if status.is_some() { " with this status" } ". " a href="/ui/" { "Start a generation" } "." }
            } @else {
                (table(Some("Jobs, newest first"), &["Job", "Status", "Progress", "Data", "Provider", "Created", "Personas", "Actions"], html! {
                            @for job in &views { (job_row(job)) }
                        }))
            }
            (pager("/ui/jobs", &[("status", status_value)], total, page.limit, page.offset))
        }
    })
}

fn job_row(job: &JobView) -> Markup {
    let status = job.status.as_str();
    html! {
        tr {
            th scope="row" { a href=(format!("/ui/jobs/{}", job.job_id)) { code { (job.job_id) } } }
            td { (status_badge(status)) }
            td {
                progress max="100" value=(job.progress) aria-label=(format!("{} progress", job.job_id)) { (job.progress) "%" }
                " " (job.progress) " %"
            }
            td.wrap { (job.data) }
            td { (job.provider) @if let Some(model) = &job.model { " · " (model) } }
            td { (time(&job.created_at)) }
            td { @if let Some(result) = &job.result { (result.personas_count) } @else { "—" } }
            td { (job_actions(job)) }
        }
    }
}

/// Cancel while the job may still run; retry (a new job with the same request) once it failed
/// or was cancelled.
fn job_actions(job: &JobView) -> Markup {
    let retry = serde_json::json!({
        "data": job.data,
        "count": job.count,
        "provider": job.provider,
        "model": job.model,
        "experiment_id": job.experiment_id,
    });
    html! {
        @if !job.status.is_terminal() {
            button.small type="button" data-cancel=(job.job_id) disabled[job.cancel_requested] {
                @if job.cancel_requested { "Cancelling…" } @else { "Cancel" }
            }
        } @else if matches!(job.status, JobStatus::Failed | JobStatus::Cancelled) {
            button.small type="button" data-retry=(retry.to_string()) { "Retry" }
        }
    }
}

async fn job(path: web::Path<String>, req: HttpRequest, state: web::Data<AppState>) -> Fragment {
    QueryParams::parse(req.query_string())?.finish()?;
    let job_id = path.into_inner();
    let db = state.db.clone();
    let (job, run) = blocking(move || {
        let job = backend::job(&db, &job_id)?;
        let run = match (&job.status, &job.run_id) {
            (JobStatus::Completed, Some(run_id)) => Some(backend::run(&db, &job.experiment_id, run_id)?),
            _ => None,
        };
        Ok((job, run))
    })
    .await?;
    let status = job.status.as_str();
    ok(html! {
        section #job.job data-job=(job.job_id) data-status=(status) aria-labelledby="job-heading" {
            h2 #job-heading { "Job " code { (job.job_id) } }
            div.progress-block {
                label for="job-progress" { "Progress" }
                progress #job-progress max="100" value=(job.progress) { (job.progress) "%" }
                p #job-progress-text.progress-text role="status" {
                    span #job-percent { (job.progress) " %" } " · "
                    span #job-stage { (stage(status, job.progress)) }
                }
            }
            dl.facts {
                div { dt { "Status" } dd #job-status { (status_badge(status)) } }
                div { dt { "Data" } dd.wrap { (job.data) } }
                div { dt { "Provider" } dd { (job.provider) @if let Some(model) = &job.model { " · " (model) } } }
                div { dt { "Personas asked for" } dd { (job.count) } }
                div { dt { "Experiment" } dd { a href=(format!("/ui/experiments/{}", job.experiment_id)) { code { (job.experiment_id) } } } }
                div { dt { "Created" } dd { (time(&job.created_at)) } }
                div { dt { "Started" } dd { (optional_time(job.started_at.as_deref())) } }
                div { dt { "Ended" } dd { (optional_time(job.completed_at.as_deref())) } }
                div { dt { "Attempts" } dd { (job.attempts) } }
            }
            @if let Some(error) = &job.error {
                p.error-box role="alert" { strong { "The job failed: " } (error) }
            }
            div.actions { (job_actions(&job)) }
        }
        @if let Some((detail, personas)) = &run {
            section.run-personas aria-labelledby="personas-heading" {
                h2 #personas-heading { "Personas" }
                p { a href=(run_url(&detail.experiment_id, &detail.summary.run_id)) { "Open run " code { (detail.summary.run_id) } } }
                (persona_grid(personas))
            }
        }
    })
}

/// A table that scrolls sideways on a narrow screen, with column headers and an optional caption
/// for screen readers.
fn table(caption: Option<&str>, columns: &[&str], rows: Markup) -> Markup {
    html! {
        div.table-scroll {
            table {
                @if let Some(caption) = caption { caption.visually-hidden { (caption) } }
                thead { tr { @for column in columns { th scope="col" { (column) } } } }
                tbody { (rows) }
            }
        }
    }
}

fn run_url(experiment_id: &str, run_id: &str) -> String {
    format!("/ui/experiments/{experiment_id}/runs/{run_id}")
}

fn persona_grid(personas: &[Persona]) -> Markup {
    html! {
        @if personas.is_empty() {
            p { "This run has no personas." }
        } @else {
            div.persona-grid {
                @for persona in personas { (persona_card(persona, CardKind::InGrid)) }
            }
        }
    }
}

async fn experiments(req: HttpRequest, state: web::Data<AppState>) -> Fragment {
    let mut params = QueryParams::parse(req.query_string())?;
    let page = params.page(EXPERIMENTS_PER_PAGE, crate::api::query::MAX_LIMIT);
    let search = params.take("q").map(|q| q.trim().to_string()).filter(|q| !q.is_empty());
    params.finish()?;
    let db = state.db.clone();
    let needle = search.clone();
    let (total, items) =
        blocking(move || backend::experiments(&db, needle.as_deref(), page.limit, page.offset)).await?;
    let query = search.clone().unwrap_or_default();
    ok(html! {
        form.filters role="search" method="get" action="/ui/experiments" {
            label for="experiment-search" { "Search by name or data source" }
            input #experiment-search type="search" name="q" value=(query);
            button type="submit" { "Search" }
        }
        @if items.is_empty() {
            p { @if search.is_some() { "No experiment matches." } @else { "No experiments yet. " a href="/ui/" { "Start a generation" } "." } }
        } @else {
            (table(Some("Experiments, newest first"), &["Name", "Status", "Runs", "Last run", "Created"], html! {
                        @for e in &items {
                            tr {
                                th scope="row" { a href=(format!("/ui/experiments/{}", e.id)) { (e.name) } }
                                td { (status_badge(&e.status)) }
                                td { (e.run_count) }
                                td { (optional_time(e.last_run_at.as_deref())) }
                                td { (time(&e.created_at)) }
                            }
                        }
                    }))
        }
        (pager("/ui/experiments", &[("q", query)], total, page.limit, page.offset))
    })
}

async fn experiment(path: web::Path<String>, req: HttpRequest, state: web::Data<AppState>) -> Fragment {
    let mut params = QueryParams::parse(req.query_string())?;
    let page = params.page(RUNS_PER_PAGE, crate::api::query::MAX_LIMIT);
    params.finish()?;
    let id = path.into_inner();
    let db = state.db.clone();
    let (experiment, total, history) =
        blocking(move || backend::experiment_history(&db, &id, page.limit, page.offset)).await?;
    ok(html! {
        section aria-labelledby="experiment-heading" {
            h2 #experiment-heading { (experiment.name) }
            @if let Some(description) = &experiment.description { p { (description) } }
            dl.facts {
                div { dt { "Status" } dd { (status_badge(&experiment.status)) } }
                div { dt { "Data sources" } dd.wrap { (experiment.data_sources.join(", ")) } }
                div { dt { "Runs" } dd { (experiment.run_count) } }
                div { dt { "Created" } dd { (time(&experiment.created_at)) } }
            }
        }
        section aria-labelledby="runs-heading" {
            h2 #runs-heading { "Runs over time" }
            (quality_trend(&history))
            @if history.is_empty() {
                p { "No runs yet." }
            } @else {
                (table(Some("Runs, newest first"), &["Run", "Status", "Started", "Duration", "Personas", "Mean quality", "Provider"], html! {
                            @for entry in &history {
                                @let r = &entry.run;
                                tr {
                                    th scope="row" { a href=(run_url(&experiment.id, &r.run_id)) { code { (r.run_id) } } }
                                    td { (status_badge(r.status.as_str()))
                                        @if let Some(error) = &r.error { span.muted.wrap { " " (error) } } }
                                    td { (optional_time(r.started_at.as_deref())) }
                                    td { (duration(r.duration_ms)) }
                                    td { (r.personas_count) }
                                    td { @if let Some(q) = entry.mean_quality { (format!("{q:.1}")) } @else { "—" } }
                                    td { (r.provider) @if let Some(model) = &r.model { " · " (model) } }
                                }
                            }
                        }))
                (pager(&format!("/ui/experiments/{}", experiment.id), &[], total, page.limit, page.offset))
                (compare_form(&experiment.id, &history, None))
            }
        }
    })
}

/// Mean quality of the completed runs, oldest to newest, as a small line chart.
fn quality_trend(history: &[RunHistoryEntry]) -> Markup {
    let points: Vec<f64> = history.iter().rev().filter_map(|entry| entry.mean_quality).collect();
    if points.len() < 2 {
        return html! {};
    }
    let (width, height) = (320.0, 80.0);
    let step = width / (points.len() - 1) as f64;
    let coordinates: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, q)| {
            format!(
                "{:.1},{:.1}",
                i as f64 * step,
                height - q.clamp(0.0, 100.0) / 100.0 * height
            )
        })
        .collect();
    let description = points.iter().map(|q| format!("{q:.1}")).collect::<Vec<_>>().join(", ");
    html! {
        figure.trend {
            svg role="img" aria-labelledby="trend-title" viewBox=(format!("-4 -4 {} {}", width + 8.0, height + 8.0)) width="100%" height="88" {
                title #trend-title { "Mean quality of completed runs, oldest first: " (description) }
                polyline class="trend-line" fill="none" points=(coordinates.join(" ")) {}
                @for point in &coordinates {
                    @let (x, y) = point.split_once(',').unwrap_or(("0", "0"));
                    circle class="trend-point" cx=(x) cy=(y) r="3" {}
                }
            }
            figcaption { "Mean quality (0–100) of the completed runs, oldest first" }
        }
    }
}

/// Two selects of the experiment's completed runs and a button to compare them.
fn compare_form(experiment_id: &str, history: &[RunHistoryEntry], current: Option<&str>) -> Markup {
    let completed: Vec<&RunHistoryEntry> = history.iter().filter(|entry| entry.run.personas_count > 0).collect();
    if completed.len() < 2 {
        return html! {};
    }
    let first = current.unwrap_or(&completed[1].run.run_id);
    let second = completed
        .iter()
        .map(|entry| entry.run.run_id.as_str())
        .find(|id| *id != first)
        .unwrap_or("");
    let options = |selected: &str| {
        html! {
            @for entry in &completed {
                option value=(entry.run.run_id) selected[entry.run.run_id == selected] {
                    (entry.run.run_id) " · " (entry.run.started_at.as_deref().unwrap_or("").get(..16).unwrap_or("").replace('T', " "))
                }
            }
        }
    };
    html! {
        form.compare-form method="get" action="/ui/compare" {
            h3 { "Compare two runs" }
            input type="hidden" name="experiment" value=(experiment_id);
            div {
                label for="compare-a" { "Run" }
                select #compare-a name="a" { (options(first)) }
            }
            div {
                label for="compare-b" { "with run" }
                select #compare-b name="b" { (options(second)) }
            }
            button type="submit" { "Compare" }
        }
    }
}

async fn run(path: web::Path<(String, String)>, req: HttpRequest, state: web::Data<AppState>) -> Fragment {
    QueryParams::parse(req.query_string())?.finish()?;
    let (experiment_id, run_id) = path.into_inner();
    let db = state.db.clone();
    let (detail, personas, history) = blocking(move || {
        let (detail, personas) = backend::run(&db, &experiment_id, &run_id)?;
        let (_, _, history) = backend::experiment_history(&db, &experiment_id, RUNS_PER_PAGE, 0)?;
        Ok((detail, personas, history))
    })
    .await?;
    let summary = &detail.summary;
    ok(html! {
        section aria-labelledby="run-heading" {
            h2 #run-heading { "Run " code { (summary.run_id) } }
            dl.facts {
                div { dt { "Status" } dd { (status_badge(summary.status.as_str())) } }
                div { dt { "Experiment" } dd { a href=(format!("/ui/experiments/{}", detail.experiment_id)) { code { (detail.experiment_id) } } } }
                div { dt { "Provider" } dd { (summary.provider) @if let Some(model) = &summary.model { " · " (model) } } }
                div { dt { "Started" } dd { (optional_time(summary.started_at.as_deref())) } }
                div { dt { "Duration" } dd { (duration(summary.duration_ms)) } }
                div { dt { "Personas" } dd { (summary.personas_count) } }
                @if let Some(mean) = mean_quality(&detail) {
                    div { dt { "Mean quality" } dd { (format!("{mean:.1}")) } }
                }
            }
            @if let Some(error) = &summary.error { p.error-box role="alert" { (error) } }
            @if !detail.warnings.is_empty() {
                details.warnings {
                    summary { (detail.warnings.len()) " warning" @if detail.warnings.len() != 1 { "s" } }
                    ul { @for warning in &detail.warnings { li { (warning) } } }
                }
            }
            (compare_form(&detail.experiment_id, &history, Some(&summary.run_id)))
        }
        section aria-labelledby="personas-heading" {
            h2 #personas-heading { "Personas" }
            p.hint { "Open a claim to see the evidence behind it." }
            (persona_grid(&personas))
        }
    })
}

fn mean_quality(detail: &RunDetailView) -> Option<f64> {
    detail.metadata["quality"]["average_score"].as_f64()
}

/// Pairs each persona of run `a` with the persona of run `b` sharing most participants, best
/// pairs first, each persona used once; pairs below [`PERSIST_OVERLAP`] do not count.
fn persisting_pairs(a: &[Persona], b: &[Persona]) -> Vec<(usize, usize, f64)> {
    let sets = |personas: &[Persona]| -> Vec<BTreeSet<String>> {
        personas
            .iter()
            .map(|p| p.participants.iter().cloned().collect())
            .collect()
    };
    let (sets_a, sets_b) = (sets(a), sets(b));
    let mut candidates = Vec::new();
    for (i, set_a) in sets_a.iter().enumerate() {
        for (j, set_b) in sets_b.iter().enumerate() {
            let union = set_a.union(set_b).count();
            if union > 0 {
                let overlap = set_a.intersection(set_b).count() as f64 / union as f64;
                if overlap >= PERSIST_OVERLAP {
                    candidates.push((i, j, overlap));
                }
            }
        }
    }
    candidates.sort_by(|x, y| y.2.total_cmp(&x.2).then(x.0.cmp(&y.0)).then(x.1.cmp(&y.1)));
    let (mut used_a, mut used_b) = (BTreeSet::new(), BTreeSet::new());
    let mut pairs: Vec<(usize, usize, f64)> = candidates
        .into_iter()
        .filter(|(i, j, _)| {
            let fresh = !used_a.contains(i) && !used_b.contains(j);
            if fresh {
                used_a.insert(*i);
                used_b.insert(*j);
            }
            fresh
        })
        .collect();
    pairs.sort_by_key(|(i, ..)| *i);
    pairs
}

async fn compare(req: HttpRequest, state: web::Data<AppState>) -> Fragment {
    let mut params = QueryParams::parse(req.query_string())?;
    let mut required = |name: &str| {
        let value = params.take(name).filter(|v| !v.trim().is_empty());
        if value.is_none() {
            params.reject(name, "is required");
        }
        value.unwrap_or_default()
    };
    let (experiment_id, run_a, run_b) = (required("experiment"), required("a"), required("b"));
    params.finish()?;
    let db = state.db.clone();
    let (exp, a_id, b_id) = (experiment_id.clone(), run_a.clone(), run_b.clone());
    let ((detail_a, a), (detail_b, b)) =
        blocking(move || Ok((backend::run(&db, &exp, &a_id)?, backend::run(&db, &exp, &b_id)?))).await?;
    let pairs = persisting_pairs(&a, &b);
    let only = |personas: &[Persona], paired: Vec<usize>| -> Vec<Persona> {
        personas
            .iter()
            .enumerate()
            .filter(|(i, _)| !paired.contains(i))
            .map(|(_, p)| p.clone())
            .collect()
    };
    let only_a = only(&a, pairs.iter().map(|p| p.0).collect());
    let only_b = only(&b, pairs.iter().map(|p| p.1).collect());
    let link = |p: &Persona| html! { a href=(format!("/ui/personas/{}", p.id)) { (p.name) } " — " (p.title) };
    let run_label = |d: &RunDetailView| {
        html! { a href=(run_url(&experiment_id, &d.summary.run_id)) { code { (d.summary.run_id) } } }
    };
    ok(html! {
        p {
            "Run " (run_label(&detail_a)) " (" (a.len()) " personas) against run " (run_label(&detail_b))
            " (" (b.len()) " personas): " strong { (pairs.len()) " persist" } ". A persona persists when at least half of the participants of the pair are shared."
        }
        section aria-labelledby="persist-heading" {
            h2 #persist-heading { "Personas in both runs" }
            @if pairs.is_empty() {
                p { "None." }
            } @else {
                (table(None, &["First run", "Second run", "Shared participants"], html! {
                            @for (i, j, overlap) in &pairs {
                                tr { td { (link(&a[*i])) } td { (link(&b[*j])) } td { (format!("{:.0} %", overlap * 100.0)) } }
                            }
                        }))
            }
        }
        section.compare-columns aria-label="Personas in one run only" {
            div {
                h2 { "Only in the first run" }
                @if only_a.is_empty() { p { "None." } } @else { ul { @for p in &only_a { li { (link(p)) } } } }
            }
            div {
                h2 { "Only in the second run" }
                @if only_b.is_empty() { p { "None." } } @else { ul { @for p in &only_b { li { (link(p)) } } } }
            }
        }
    })
}

async fn persona(path: web::Path<String>, req: HttpRequest, state: web::Data<AppState>) -> Fragment {
    QueryParams::parse(req.query_string())?.finish()?;
    let id = path.into_inner();
    let db = state.db.clone();
    let persona = blocking(move || backend::persona(&db, &id)).await?;
    let back = match (&persona.experiment_id, &persona.run_id) {
        (Some(experiment_id), Some(run_id)) => Some(run_url(experiment_id, run_id)),
        _ => None,
    };
    let formats = [
        ("character_card", false, "Character card (JSON)"),
        ("character_card", true, "Character card (YAML)"),
        ("system_prompt", false, "System prompt"),
    ];
    ok(html! {
        div.persona-page data-persona=(persona.id) {
            div.toolbar.no-print {
                @if let Some(back) = &back { a href=(back) { "← All personas of this run" } }
                button type="button" data-download="json" { "Download persona.json" }
                button type="button" data-download="markdown" { "Download persona.md" }
                button type="button" data-print { "Print" }
            }
            (persona_card(&persona, CardKind::Full))
            @if let Some(quality) = &persona.quality {
                section.quality aria-labelledby="quality-heading" {
                    h3 #quality-heading { "Quality" }
                    (quality_chart(quality))
                    @let issues = render::quality_issues(quality);
                    @if !issues.is_empty() {
                        ul.issues { @for (dimension, issue) in &issues { li { strong { (dimension) ": " } (issue) } } }
                    }
                }
            }
            section.scripts.no-print aria-labelledby="scripts-heading" {
                h3 #scripts-heading { "Conversation script" }
                p.hint { "A role-play card for interviews and design reviews; each is checked for leaks of participants' words before it is shown." }
                @for (index, (format, yaml, label)) in formats.iter().enumerate() {
                    details.script data-script-format=(format) data-script-yaml=(yaml) {
                        summary { (label) }
                        div.script-body {
                            pre #(format!("script-{index}")) tabindex="0" { "Loading…" }
                            button type="button" data-copy=(format!("script-{index}")) { "Copy" }
                            span.copy-status role="status" {}
                        }
                    }
                }
            }
        }
    })
}

/// The evidence of one claim of a persona (`?field=goals&index=0`), for a card in a grid.
async fn evidence(path: web::Path<String>, req: HttpRequest, state: web::Data<AppState>) -> Fragment {
    let mut params = QueryParams::parse(req.query_string())?;
    let field = params.take("field").unwrap_or_default();
    let field = EvidenceField::ALL.into_iter().find(|f| f.as_str() == field);
    if field.is_none() {
        let allowed = EvidenceField::ALL.map(EvidenceField::as_str).join(", ");
        params.reject("field", format!("must be one of {allowed}"));
    }
    let index = params.take("index").and_then(|i| i.parse::<usize>().ok());
    if index.is_none() {
        params.reject("index", "must be a claim index (0, 1, …)");
    }
    params.finish()?;
    let (Some(field), Some(index)) = (field, index) else {
        return Err(ApiError::invalid_input("field and index are required"));
    };
    let id = path.into_inner();
    let db = state.db.clone();
    let persona = blocking(move || backend::persona(&db, &id)).await?;
    ok(render::evidence_list(&persona, field, index))
}

async fn webhooks(req: HttpRequest, state: web::Data<AppState>) -> Fragment {
    QueryParams::parse(req.query_string())?.finish()?;
    let db = state.db.clone();
    let hooks = blocking(move || {
        backend::webhooks(&db)?
            .into_iter()
            .map(|hook| {
                let deliveries = backend::deliveries(&db, &hook.webhook_id, DELIVERIES_SHOWN)?;
                Ok((hook, deliveries))
            })
            .collect::<crate::error::Result<Vec<_>>>()
    })
    .await?;
    ok(html! {
        form #webhook-form.stack data-webhook-register novalidate {
            h2 { "Register a webhook" }
            div {
                label for="webhook-url" { "Receiver URL" }
                input #webhook-url name="url" type="url" required aria-describedby="url-error";
                (field_error("url"))
            }
            div {
                label for="webhook-secret" { "Signing secret (optional)" }
                input #webhook-secret name="secret" type="password" autocomplete="off" aria-describedby="secret-error";
                (field_error("secret"))
            }
            div.actions { button type="submit" { "Register" } }
            p #form-error.form-error role="alert" {}
        }
        @if hooks.is_empty() {
            p { "No webhooks registered." }
        }
        @for (hook, (total, deliveries)) in &hooks {
            section.webhook aria-labelledby=(format!("{}-heading", hook.webhook_id)) {
                h2 #(format!("{}-heading", hook.webhook_id)) .wrap { (hook.url) }
                dl.facts {
                    div { dt { "Webhook" } dd { code { (hook.webhook_id) } } }
                    div { dt { "Events" } dd { (hook.events.join(", ")) } }
                    div { dt { "Signed" } dd { @if hook.has_secret { "yes" } @else { "no" } } }
                    div { dt { "Active" } dd { @if hook.active { "yes" } @else { "no" @if let Some(reason) = &hook.disabled_reason { " — " (reason) } } } }
                }
                div.actions {
                    button type="button" data-webhook-test=(hook.webhook_id) { "Send test ping" }
                    span.action-status role="status" {}
                }
                h3 { "Deliveries (" (deliveries.len()) " of " (total) ", newest first)" }
                @if deliveries.is_empty() {
                    p { "None yet." }
                } @else {
                    (table(None, &["Delivery", "Event", "Status", "Attempts", "Last answer", "Created", "Actions"], html! {
                                @for (delivery, attempts) in deliveries {
                                    tr {
                                        th scope="row" { code { (delivery.delivery_id) } }
                                        td { (delivery.event) }
                                        td { (status_badge(delivery.status.as_str())) }
                                        td {
                                            @if attempts.is_empty() { (delivery.attempts) } @else {
                                                details {
                                                    summary { (delivery.attempts) " attempt" @if delivery.attempts != 1 { "s" } }
                                                    ol.attempts {
                                                        @for attempt in attempts {
                                                            li {
                                                                (time(&attempt.started_at)) " · "
                                                                @match attempt.status_code { Some(code) => { "HTTP " (code) }, None => { "no answer" } }
                                                                " · " (attempt.duration_ms) " ms"
                                                                @if let Some(error) = &attempt.error { " · " (error) }
                                                            }
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                        td { @match delivery.last_status_code { Some(code) => { "HTTP " (code) }, None => { (delivery.last_error.as_deref().unwrap_or("—")) } } }
                                        td { (time(&delivery.created_at)) }
                                        td { button.small type="button" data-redeliver=(format!("{}/{}", hook.webhook_id, delivery.delivery_id)) { "Redeliver" } }
                                    }
                                }
                            }))
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persona_with(participants: &[&str]) -> Persona {
        let mut persona: Persona = serde_json::from_value(serde_json::json!({
            "id": "persona-000000000000", "name": "N", "title": "T", "summary": "S",
            "demographics": {}, "goals": [], "pain_points": [], "behaviours": [], "quotes": [],
            "participants": [], "segment_size": 0, "evidence": [], "provider": "local", "model": "local-v1"
        }))
        .unwrap();
        persona.participants = participants.iter().map(|p| p.to_string()).collect();
        persona
    }

    #[test]
    fn personas_persist_when_most_participants_are_shared() {
        let a = [
            persona_with(&["P1", "P2", "P3"]),
            persona_with(&["P4", "P5"]),
            persona_with(&["P9"]),
        ];
        let b = [
            persona_with(&["P4", "P5", "P6"]),
            persona_with(&["P1", "P2", "P3", "P7"]),
            persona_with(&["P8"]),
        ];
        let pairs = persisting_pairs(&a, &b);
        assert_eq!(
            pairs.iter().map(|(i, j, _)| (*i, *j)).collect::<Vec<_>>(),
            vec![(0, 1), (1, 0)]
        );
        assert!((pairs[0].2 - 0.75).abs() < 1e-9);
    }
}
