//! `persona serve`: the REST API and the job worker, until SIGTERM or SIGINT.

use crate::api::Application;
use crate::config::{ConfigError, EnvSource, ProcessEnv, Secret, Settings};
use clap::{ArgAction, Args};
use std::path::PathBuf;
use std::sync::Arc;

/// Options of `persona serve` (flags override the environment and the config file).
#[derive(Debug, Clone, Args)]
#[command(disable_help_flag = true)]
pub struct ServeArgs {
    /// Address to listen on [default: server.host, 127.0.0.1].
    #[arg(short = 'h', long, value_name = "HOST")]
    pub host: Option<String>,
    /// Port [default: server.port, 8000].
    #[arg(short, long, value_name = "PORT")]
    pub port: Option<u16>,
    /// HTTP worker threads [default: server.workers, the number of CPU cores].
    #[arg(short, long, value_name = "N")]
    pub workers: Option<usize>,
    /// Re-read the config file when it changes and apply the token, rate limits and CORS origins.
    #[arg(long)]
    pub reload: bool,
    /// API token required for writes (prefer PERSONA_API_AUTH_TOKEN: flags show in process lists).
    #[arg(long, value_name = "TOKEN")]
    pub auth_token: Option<String>,
    /// error, warn, info, debug, trace or off [default: server.log_level, info].
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// SQLite database file [default: database.path, ./persona.db].
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Directory that request `data` paths are resolved in [default: storage.data_dir, .].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Directory for run output folders [default: storage.output_dir, ./output].
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// TOML config file [default: PERSONA_CONFIG].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print help.
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
}

impl ServeArgs {
    /// The config file to read (and, with `--reload`, to watch).
    pub fn config_file(&self, env: &dyn EnvSource) -> Option<PathBuf> {
        self.config
            .clone()
            .or_else(|| env.get("PERSONA_CONFIG").map(PathBuf::from))
    }

    /// Settings from the config file and the environment, then these flags.
    pub fn load_settings(&self, env: &dyn EnvSource) -> Result<Settings, ConfigError> {
        let mut settings = Settings::load(self.config.as_deref(), env)?;
        self.apply(&mut settings);
        settings.validate()?;
        Ok(settings)
    }

    fn apply(&self, settings: &mut Settings) {
        if let Some(host) = &self.host {
            settings.server.host = host.clone();
        }
        if let Some(port) = self.port {
            settings.server.port = port;
        }
        if let Some(workers) = self.workers {
            settings.server.workers = workers;
        }
        if let Some(token) = &self.auth_token {
            settings.auth.token = Some(Secret::new(token.clone()));
        }
        if let Some(level) = &self.log_level {
            settings.server.log_level = level.clone();
        }
        if let Some(db) = &self.db {
            settings.database.path = db.clone();
        }
        if let Some(dir) = &self.data_dir {
            settings.storage.data_dir = dir.clone();
        }
        if let Some(dir) = &self.output_dir {
            settings.storage.output_dir = dir.clone();
        }
    }
}

/// Runs the server until SIGTERM or SIGINT; returns the exit code.
pub fn run(args: ServeArgs) -> i32 {
    let settings = match args.load_settings(&ProcessEnv) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("persona serve: {e}");
            return super::exit::EXIT_CONFIG;
        }
    };
    if let Err(e) = super::logging::init_logging(&settings.server.log_level) {
        eprintln!("persona serve: --log-level: {e}");
        return super::exit::EXIT_CONFIG;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("persona-main")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("persona serve: cannot start the runtime: {e}");
            return super::exit::EXIT_FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        let mut app = Application::build(settings).map_err(|e| e.to_string())?;
        if args.reload {
            match args.config_file(&ProcessEnv) {
                Some(path) => {
                    let args = args.clone();
                    app.reload_on_change(path, Arc::new(move || args.load_settings(&ProcessEnv)));
                }
                None => log::warn!("--reload has no config file to watch: pass --config or set PERSONA_CONFIG"),
            }
        }
        let shutdown = app.shutdown_token();
        tokio::spawn(async move {
            wait_for_signal().await;
            shutdown.cancel();
            // A second signal means "now".
            wait_for_signal().await;
            log::warn!("second signal: exiting without waiting for running jobs");
            super::logging::flush_logs();
            std::process::exit(130);
        });
        app.run_until_stopped().await.map_err(|e| e.to_string())
    });
    super::logging::flush_logs();
    match outcome {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("persona serve: {e}");
            super::exit::EXIT_FAILURE
        }
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = terminate.recv() => log::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => log::info!("SIGINT received"),
                }
            }
            Err(e) => {
                log::warn!("cannot listen for SIGTERM ({e}); only SIGINT stops the server gracefully");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::collections::HashMap;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: ServeArgs,
    }

    fn parse(argv: &[&str]) -> ServeArgs {
        Wrapper::try_parse_from(std::iter::once("serve").chain(argv.iter().copied()))
            .unwrap()
            .args
    }

    #[test]
    fn short_flags_follow_the_api_reference() {
        let args = parse(&["-h", "0.0.0.0", "-p", "9000", "-w", "4", "--reload"]);
        assert_eq!(args.host.as_deref(), Some("0.0.0.0"));
        assert_eq!((args.port, args.workers, args.reload), (Some(9000), Some(4), true));
    }

    #[test]
    fn flags_override_environment_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("persona.toml");
        std::fs::write(
            &file,
            "[server]\nport = 7000\nhost = \"10.0.0.1\"\n[database]\npath = \"file.db\"\n",
        )
        .unwrap();
        let env: HashMap<String, String> = [
            ("PERSONA_SERVER_PORT", "7100"),
            ("PERSONA_API_AUTH_TOKEN", "from-env"),
            ("PERSONA_STORAGE_DATA_DIR", "/env/data"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let args = parse(&[
            "--config",
            file.to_str().unwrap(),
            "--port",
            "7200",
            "--auth-token",
            "from-flag",
            "--output-dir",
            "/flag/out",
        ]);
        let settings = args.load_settings(&env).unwrap();
        assert_eq!(settings.server.port, 7200);
        assert_eq!(settings.server.host, "10.0.0.1");
        assert_eq!(settings.database.path, PathBuf::from("file.db"));
        assert_eq!(settings.storage.data_dir, PathBuf::from("/env/data"));
        assert_eq!(settings.storage.output_dir, PathBuf::from("/flag/out"));
        assert_eq!(settings.auth.token.unwrap().expose(), "from-flag");
        assert_eq!(args.config_file(&env), Some(file));
    }

    #[test]
    fn invalid_flag_values_are_refused() {
        let err = parse(&["--workers", "0"]).load_settings(&HashMap::new()).unwrap_err();
        assert!(err.to_string().contains("server.workers"), "{err}");
    }
}
