//! A job's progress as Server-Sent Events (`GET /api/v1/generate/{job_id}/events`).
//!
//! Events come from the `job_events` table, written with each state change, so a client that
//! reconnects with `Last-Event-ID` continues exactly where it stopped, across restarts too. New
//! events are read as soon as this process commits a write (and, for writes by another process,
//! on a short poll). The stream ends after the job's terminal event, and when the server shuts
//! down.

use crate::api::error::{ApiError, ErrorBody};
use crate::api::responses::{DatabaseUnavailable, InternalError, RateLimited, ReadUnauthorised};
use crate::api::state::AppState;
use crate::error::FieldError;
use crate::service::jobs::{self, Db};
use crate::util::blocking;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(job_events);
}

/// Events read from the database at once.
const BATCH: u32 = 200;
/// How often streams look for events written by another process.
const POLL: Duration = Duration::from_secs(1);
/// Largest event id a client may send (18 digits, as the OpenAPI document says).
const MAX_EVENT_ID: i64 = 999_999_999_999_999_999;
/// Frames waiting to be sent to a slow client before the producer waits.
const BUFFER: usize = 64;

/// One SSE frame.
fn frame(id: Option<i64>, event: &str, data: &serde_json::Value) -> Bytes {
    ServerSentEvent { id, event, data }.frame()
}

/// The event a client last saw: `Last-Event-ID`, else `?last_event_id=`; 0 for none. Both are
/// checked when both are given.
fn last_event_id(req: &HttpRequest) -> Result<i64, ApiError> {
    let parse = |field: &str, raw: &str| -> Result<Option<i64>, ApiError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse::<i64>()
            .ok()
            .filter(|n| (0..=MAX_EVENT_ID).contains(n))
            .map(Some)
            .ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    field,
                    "must be an event id (a non-negative integer)",
                )])
            })
    };
    let mut from_query = None;
    if let Ok(pairs) = web::Query::<Vec<(String, String)>>::from_query(req.query_string()) {
        for (key, value) in pairs.into_inner() {
            if key == "last_event_id" {
                from_query = parse("last_event_id", &value)?;
            }
        }
    }
    let from_header = match req.headers().get("last-event-id") {
        Some(value) => parse("Last-Event-ID", value.to_str().unwrap_or("invalid"))?,
        None => None,
    };
    Ok(from_header.or(from_query).unwrap_or(0))
}

/// One event of the stream; written as its `id:`, `event:` and `data:` lines.
#[derive(Debug, ToSchema)]
pub struct ServerSentEvent<'a> {
    /// Increasing event id (decimal digits: an SSE field is text); send the last one back as
    /// `Last-Event-ID` to resume.
    #[schema(value_type = Option<String>, example = "42", pattern = "^[0-9]+$")]
    pub id: Option<i64>,
    /// `pending`, `running`, `progress`, `cancel_requested`, `completed`, `failed` or `cancelled`.
    #[schema(example = "progress")]
    pub event: &'a str,
    /// The job view at that moment, as JSON (the schema `JobView`).
    #[schema(value_type = String, content_media_type = "application/json")]
    pub data: &'a serde_json::Value,
}

impl ServerSentEvent<'_> {
    fn frame(&self) -> Bytes {
        let Self { id, event, data } = self;
        let id_line = id.map(|id| format!("id: {id}\n")).unwrap_or_default();
        Bytes::from(format!("{id_line}event: {event}\ndata: {data}\n\n"))
    }
}

/// Follow a generation job's progress as Server-Sent Events.
///
/// One event per state change and progress step: `id` (increasing; send it back as
/// `Last-Event-ID` to resume without gaps or repeats, also after a server restart), `event`
/// (`pending`, `running`, `progress`, `cancel_requested`, `completed`, `failed`, `cancelled`)
/// and `data` (the job view at that moment; the `completed` event carries the result with the
/// personas). A comment line is sent every `server.sse_keepalive_seconds`. The stream ends after
/// the terminal event.
#[utoipa::path(
    operation_id = "stream_generation_job_events",
    tag = "generation",
    params(
        ("job_id" = String, Path, description = "Job identifier"),
        // A header is text: an event id is up to 18 digits (MAX_EVENT_ID); empty means none.
        ("Last-Event-ID" = Option<String>, Header, pattern = "^[0-9]{0,18}$", nullable = false,
            description = "Resume after this event id (decimal digits; empty for none)"),
        ("last_event_id" = Option<i64>, Query, minimum = 0, maximum = 999_999_999_999_999_999_i64,
            description = "Resume after this event id (for clients that cannot set headers)"),
    ),
    responses(
        (status = 200, description = "An event stream; each event's `data` is a job view (`JobView`) as JSON",
            content((ServerSentEvent = "text/event-stream"))),
        (status = 401, response = ReadUnauthorised),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 422, description = "`Last-Event-ID` is not an event id", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, response = InternalError),
        (status = 503, response = DatabaseUnavailable),
    ),
    security((), ("bearer" = []))
)]
#[get("/api/v1/generate/{job_id}/events")]
pub async fn job_events(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let after = last_event_id(&req)?;
    let job_id = path.into_inner();
    let db = state.db.clone();
    let id = job_id.clone();
    blocking(move || jobs::ensure_exists(&db, &id)).await?;
    let (sender, receiver) = mpsc::channel::<Bytes>(BUFFER);
    let keepalive = Duration::from_secs(state.settings.server.sse_keepalive_seconds.max(1));
    actix_web::rt::spawn(produce(
        state.db.clone(),
        job_id,
        after,
        keepalive,
        state.shutdown.clone(),
        sender,
    ));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|bytes| (Ok::<_, actix_web::Error>(bytes), receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        // Proxies such as nginx would otherwise hold events back.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// Sends the job's events after `after` until its terminal event, the client leaving, or shutdown.
async fn produce(
    db: Db,
    job_id: String,
    mut after: i64,
    keepalive: Duration,
    shutdown: CancellationToken,
    sender: mpsc::Sender<Bytes>,
) {
    let mut commits = jobs::commits();
    let mut keepalive_timer = tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive);
    loop {
        commits.mark_unchanged();
        let (read_db, read_id) = (db.clone(), job_id.clone());
        let batch = match blocking(move || jobs::events_after(&read_db, &read_id, after, BATCH)).await {
            Ok(batch) => batch,
            Err(e) => {
                log::warn!("event stream of {job_id}: {e}");
                return;
            }
        };
        if batch.already_ended {
            return;
        }
        if let Some(view) = batch.legacy_end {
            let data = serde_json::to_value(&view).unwrap_or_default();
            let _ = sender.send(frame(None, view.status.as_str(), &data)).await;
            return;
        }
        let mut ended = false;
        let count = batch.events.len();
        let mut completed_view = batch.completed_view;
        for (i, event) in batch.events.into_iter().enumerate() {
            let data = match completed_view.take_if(|_| i + 1 == count) {
                Some(view) => serde_json::to_value(&view).unwrap_or(event.data),
                None => event.data,
            };
            if sender.send(frame(Some(event.id), &event.event, &data)).await.is_err() {
                return;
            }
            after = event.id;
            ended |= event.status.is_terminal() && event.event == event.status.as_str();
        }
        if ended {
            return;
        }
        if count as u32 == BATCH {
            continue;
        }
        tokio::select! {
            _ = commits.changed() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = keepalive_timer.tick() => {
                if sender.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                    return;
                }
            }
            _ = sender.closed() => return,
            _ = shutdown.cancelled() => return,
        }
    }
}
