//! `--reload`: watches the config file and applies the live settings (token, rate limits, CORS
//! origins) when it changes. Other settings need a restart. A file that no longer parses is
//! logged and ignored: the previous settings stay in force.

use super::state::{LiveConfig, LiveSettings};
use crate::config::{ConfigError, Settings};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// Loads the settings as at start-up (file, environment, then command-line flags).
pub type SettingsLoader = Arc<dyn Fn() -> Result<Settings, ConfigError> + Send + Sync>;

/// How often the file is looked at.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The file's identity for change detection: modification time and length.
fn stamp(path: &PathBuf) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Polls `path` until `shutdown`, reloading the live settings whenever it changes.
pub async fn watch(path: PathBuf, loader: SettingsLoader, live: LiveConfig, shutdown: CancellationToken) {
    log::info!("--reload: watching {} for changes", path.display());
    let mut last = stamp(&path);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
        }
        let current = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || stamp(&path)).await.ok().flatten()
        };
        if current == last {
            continue;
        }
        last = current;
        let load = loader.clone();
        match tokio::task::spawn_blocking(move || load()).await {
            Ok(Ok(settings)) => {
                let next = LiveSettings::from_settings(&settings);
                log::info!(
                    "configuration reloaded from {}: auth token {}, protect_reads {}, rate limit {} ({} requests/min, \
                     {} concurrent jobs), CORS origins {:?}",
                    path.display(),
                    if next.token.is_some() { "set" } else { "not set" },
                    next.protect_reads,
                    if next.rate_limit.enabled { "on" } else { "off" },
                    next.rate_limit.requests_per_minute,
                    next.rate_limit.max_concurrent_jobs,
                    next.cors_origins
                );
                live.replace(next);
            }
            Ok(Err(e)) => log::error!("configuration reload failed; keeping the previous settings: {e}"),
            Err(e) => log::error!("configuration reload failed; keeping the previous settings: {e}"),
        }
    }
}
