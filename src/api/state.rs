//! What every handler and middleware shares: the database, the settings, the settings that
//! `--reload` can change while running, the resolved data directory and the worker's signals.

use super::rate_limit::RateLimiter;
use crate::config::{RateLimitSettings, Secret, Settings};
pub use crate::service::data_dir::DataDir;
use crate::store::Db;
use crate::worker::dispatcher::DeliveryNotifier;
use crate::worker::{Heartbeat, JobNotifier};
use sha2::{Digest, Sha256};
use std::sync::{Arc, RwLock};

/// The settings `--reload` applies without a restart: the token, rate limits and CORS origins.
#[derive(Debug, Clone)]
pub struct LiveSettings {
    pub token: Option<Secret>,
    /// `token:<sha256 hex of the token>`, the concurrent-jobs key of authenticated clients.
    pub token_key: Option<String>,
    pub protect_reads: bool,
    pub rate_limit: RateLimitSettings,
    pub cors_origins: Vec<String>,
}

impl LiveSettings {
    pub fn from_settings(settings: &Settings) -> LiveSettings {
        let token = settings.auth.token.clone().filter(|t| !t.expose().is_empty());
        LiveSettings {
            token_key: token
                .as_ref()
                .map(|t| format!("token:{}", hex::encode(Sha256::digest(t.expose().as_bytes())))),
            token,
            protect_reads: settings.auth.protect_reads,
            rate_limit: settings.rate_limit.clone(),
            cors_origins: settings.cors.origins.clone(),
        }
    }
}

/// The current [`LiveSettings`], swapped as a whole on reload; readers take a cheap `Arc` clone.
#[derive(Debug, Clone)]
pub struct LiveConfig(Arc<RwLock<Arc<LiveSettings>>>);

impl LiveConfig {
    pub fn new(settings: LiveSettings) -> LiveConfig {
        LiveConfig(Arc::new(RwLock::new(Arc::new(settings))))
    }

    pub fn current(&self) -> Arc<LiveSettings> {
        match self.0.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn replace(&self, settings: LiveSettings) {
        let next = Arc::new(settings);
        match self.0.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

/// Shared by every handler (as `web::Data<AppState>`).
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Settings as loaded at start-up (the live part is in `live`).
    pub settings: Arc<Settings>,
    pub live: LiveConfig,
    pub data_dir: Arc<DataDir>,
    pub heartbeat: Heartbeat,
    pub notifier: JobNotifier,
    pub limiter: Arc<RateLimiter>,
    /// Wakes the webhook dispatcher after an API call queues a delivery.
    pub deliveries: DeliveryNotifier,
    /// Cancelled when the server shuts down (open event streams end then).
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Serialised read views kept per worker thread (see `api::read_cache`).
    pub read_cache: Arc<super::read_cache::ReadCache>,
    /// The health probe's database check, cached for a few hundred milliseconds.
    pub health_check: Arc<super::read_cache::HealthCheck>,
    /// Inserts new jobs, committing those submitted together in one transaction.
    pub job_writer: Arc<super::job_writer::JobWriter>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_keys_hash_the_token() {
        let mut settings = Settings::default();
        settings.auth.token = Some(Secret::new("secret123"));
        let live = LiveSettings::from_settings(&settings);
        let key = live.token_key.unwrap();
        assert!(key.starts_with("token:") && !key.contains("secret123"));
        assert_eq!(key.len(), "token:".len() + 64);
    }
}
