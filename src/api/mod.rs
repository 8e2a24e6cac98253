//! The HTTP API (actix-web) and the [`Application`] that runs it together with the worker.
//!
//! Request path, outermost first: request logging (only when `info` is on) → the one middleware
//! of [`gate`] (HEAD as GET, CORS with preflights, rate limit, authentication, the body deadline,
//! the envelope for library error responses) → routes (or the 404/405 default service). Handlers
//! are thin: they check the request, call one library function on the blocking pool (all SQLite
//! work runs there) and answer JSON.

pub mod auth;
pub mod cors;
pub mod datasets;
pub mod docs;
pub mod error;
pub mod experiments;
pub mod gate;
pub mod generate;
pub mod job_writer;
pub mod limits;
pub mod openapi;
pub mod probes;
pub mod protocol_errors;
pub mod query;
pub mod rate_limit;
pub mod read_cache;
pub mod reload;
pub mod responses;
pub mod routes;
pub mod state;
pub mod ui;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::store::Db;
use crate::worker::dispatcher::{DeliveryNotifier, Dispatcher};
use crate::worker::{Heartbeat, JobExecutor, JobNotifier, Worker};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Condition, Logger, from_fn};
use actix_web::{App, web};
use error::RouteTable;
use state::{AppState, DataDir, LiveConfig, LiveSettings};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts()
        .1
}

/// The actix application: routes, documentation, error handling and middleware.
pub fn create_app(
    state: web::Data<AppState>,
    spec: utoipa::openapi::OpenApi,
    route_table: web::Data<RouteTable>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let max_body = state.settings.server.max_body_bytes;
    let (app, _) = App::new()
        .into_utoipa_app()
        .app_data(state)
        .app_data(error::json_config(max_body))
        .app_data(web::PayloadConfig::default().limit(max_body))
        .app_data(error::query_config())
        .app_data(error::path_config())
        .app_data(route_table)
        .configure(routes::configure)
        .split_for_parts();
    app.configure(|cfg| docs::configure(cfg, spec))
        .configure(routes::health::configure_aliases)
        .configure(crate::api::ui::configure)
        .default_service(web::to(error::not_found_or_method_not_allowed))
        .wrap(from_fn(gate::gate))
        // The logger renders each request line when the request arrives, whether or not the line
        // is then logged: only installed when request lines are logged (info).
        .wrap(Condition::new(logs_requests(), Logger::default()))
}

/// Whether actix-web's request logger would log at all (its lines are `info`).
fn logs_requests() -> bool {
    log::log_enabled!(target: "actix_web::middleware::logger", log::Level::Info)
}

/// The server and its worker, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    worker: Worker,
    state: web::Data<AppState>,
    shutdown: CancellationToken,
    reload: Option<(PathBuf, reload::SettingsLoader)>,
}

impl Application {
    /// [`Application::build_with_executor`] with the generation pipeline running the jobs.
    pub fn build(settings: Settings) -> Result<Application> {
        let executor = Arc::new(crate::worker::PipelineExecutor::new(Arc::new(settings.clone())));
        Application::build_with_executor(settings, executor)
    }

    /// Opens and migrates the database, resolves the data directory, binds the listener (port 0
    /// picks a free port) and prepares the worker with `executor`. Call from within a tokio
    /// runtime; nothing runs until [`Application::run_until_stopped`].
    pub fn build_with_executor(settings: Settings, executor: Arc<dyn JobExecutor>) -> Result<Application> {
        let db = Db::open(&settings.database)?;
        // A damaged file is refused before anything is served from (or written into) it.
        db.quick_check()?;
        let applied = db.migrate()?;
        for migration in &applied {
            log::info!("applied migration V{}__{}", migration.version, migration.name);
        }
        let data_dir = DataDir::resolve(&settings.storage.data_dir)?;
        std::fs::create_dir_all(&settings.storage.output_dir).map_err(|e| {
            Error::invalid(format!(
                "cannot create the output directory {} (storage.output_dir): {e}",
                settings.storage.output_dir.display()
            ))
        })?;
        let address = (settings.server.host.as_str(), settings.server.port);
        let listener = TcpListener::bind(address).map_err(|e| {
            Error::invalid(format!(
                "cannot listen on {}:{}: {e}",
                settings.server.host, settings.server.port
            ))
        })?;
        let port = listener.local_addr()?.port();

        let settings = Arc::new(settings);
        let data_dir = Arc::new(data_dir);
        let job_writer = job_writer::JobWriter::start(db.clone(), settings.clone(), data_dir.clone())?;
        let heartbeat = Heartbeat::default();
        let notifier = JobNotifier::default();
        let state = web::Data::new(AppState {
            db: db.clone(),
            settings: settings.clone(),
            live: LiveConfig::new(LiveSettings::from_settings(&settings)),
            data_dir,
            heartbeat: heartbeat.clone(),
            notifier: notifier.clone(),
            limiter: Arc::new(rate_limit::RateLimiter::default()),
            deliveries: DeliveryNotifier::default(),
            shutdown: CancellationToken::new(),
            read_cache: Arc::new(read_cache::ReadCache::new(db.clone())),
            health_check: Arc::default(),
            job_writer: Arc::new(job_writer),
        });
        let spec = openapi();
        let route_table = web::Data::new(
            RouteTable::from_openapi(&spec)
                .with_route("/health", &["GET"])
                .with_route("/health/ready", &["GET"]),
        );
        let server = {
            let state = state.clone();
            let options = protocol_errors::ServerOptions {
                workers: settings.server.workers,
                shutdown_grace_seconds: settings.server.shutdown_grace_seconds,
            };
            protocol_errors::serve(listener, options, move || {
                create_app(state.clone(), spec.clone(), route_table.clone())
            })?
        };
        log::info!(
            "listening on http://{}:{port} (database {}, data {}, output {})",
            settings.server.host,
            db.path().display(),
            state.data_dir.canonical().display(),
            settings.storage.output_dir.display()
        );
        Ok(Application {
            port,
            server,
            worker: Worker {
                db,
                settings,
                executor,
                heartbeat,
                notifier,
            },
            shutdown: state.shutdown.clone(),
            state,
            reload: None,
        })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Cancelling this token shuts the application down gracefully (what SIGTERM does).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// With `--reload`: re-read the settings with `loader` whenever `config_file` changes.
    pub fn reload_on_change(&mut self, config_file: PathBuf, loader: reload::SettingsLoader) {
        self.reload = Some((config_file, loader));
    }

    /// Runs the HTTP server, the worker and the webhook dispatcher until the shutdown token is
    /// cancelled (or the server fails): then stops accepting connections, finishes requests in
    /// flight, and gives running jobs `server.shutdown_grace_seconds` to end.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            server,
            worker,
            state,
            shutdown,
            reload,
            ..
        } = self;
        let worker = worker.start(shutdown.clone())?;
        let dispatcher = Dispatcher::new(state.db.clone(), &state.settings.webhooks, state.deliveries.clone());
        let dispatching = tokio::spawn(dispatcher.run(shutdown.clone()));
        if let Some((path, loader)) = reload {
            tokio::spawn(reload::watch(path, loader, state.live.clone(), shutdown.clone()));
        }
        let handle = server.handle();
        let stopper = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                shutdown.cancelled().await;
                log::info!("shutting down: no new connections or jobs");
                handle.stop(true).await;
            })
        };
        let served = server.await;
        shutdown.cancel();
        let _ = stopper.await;
        worker.stopped().await;
        // In-flight webhook sends end within `webhooks.timeout_seconds`; unsent rows stay queued.
        let _ = dispatching.await;
        log::info!("stopped");
        served
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn collect_refs(value: &Value, refs: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, item) in map {
                    match (key.as_str(), item) {
                        ("$ref", Value::String(target)) => refs.push(target.clone()),
                        _ => collect_refs(item, refs),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
            _ => {}
        }
    }

    #[test]
    fn the_spec_has_unique_operation_ids_and_every_reference_resolves() {
        let spec = serde_json::to_value(super::openapi()).unwrap();
        let mut ids = Vec::new();
        for item in spec["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                    assert!(!ids.contains(&id.to_string()), "operationId {id} is used twice");
                    ids.push(id.to_string());
                }
            }
        }
        assert!(ids.len() >= 7, "{ids:?}");
        let mut refs = Vec::new();
        collect_refs(&spec, &mut refs);
        for target in refs {
            let (kind, name) = target
                .strip_prefix("#/components/")
                .and_then(|rest| rest.split_once('/'))
                .expect("a component reference");
            assert!(
                ["schemas", "responses"].contains(&kind) && spec["components"][kind].get(name).is_some(),
                "{target} does not resolve"
            );
        }
    }
}
