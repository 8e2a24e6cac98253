//! Settings: built-in defaults < config file (TOML) < environment (`PERSONA_<SECTION>_<KEY>`) <
//! command-line flags. `config/default.toml` documents every key with its default.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// A secret value (token, key). Never printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

fn default_cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub storage: StorageSettings,
    pub auth: AuthSettings,
    pub rate_limit: RateLimitSettings,
    pub cors: CorsSettings,
    pub worker: WorkerSettings,
    pub webhooks: WebhookSettings,
    pub fetch: FetchSettings,
    pub ingest: IngestSettings,
    pub generation: GenerationDefaults,
    pub llm: LlmSettings,
    pub providers: ProvidersSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// HTTP worker threads.
    pub workers: usize,
    pub log_level: String,
    /// Largest accepted JSON body, in bytes.
    pub max_body_bytes: usize,
    /// Seconds running jobs get to finish after SIGTERM/SIGINT.
    pub shutdown_grace_seconds: u64,
    /// Seconds between keep-alive comments on open event streams.
    pub sse_keepalive_seconds: u64,
    /// Seconds a client gets to send a request body; slower ones get 408 (the head has 5 s).
    pub request_timeout_seconds: u64,
    /// Largest rendered conversation script (`POST /api/v1/scripts`), in bytes.
    pub max_script_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    pub path: PathBuf,
    /// Connections in the pool.
    pub pool_size: u32,
    pub busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// Relative `data` paths of generate requests are resolved here, and may not escape it.
    pub data_dir: PathBuf,
    pub output_dir: PathBuf,
    /// Largest single input file read, in bytes.
    pub max_file_bytes: u64,
    /// Largest total of all input files of one run, in bytes.
    pub max_total_bytes: u64,
    /// Largest dataset upload, in bytes.
    pub max_upload_bytes: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    pub token: Option<Secret>,
    pub protect_reads: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub requests_per_minute: u32,
    pub max_concurrent_jobs: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsSettings {
    /// `*` allows any origin.
    pub origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Jobs run at once.
    pub concurrency: usize,
    pub lease_seconds: u64,
    pub max_attempts: u32,
    /// How often an idle worker looks for pending jobs, in milliseconds.
    pub poll_interval_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    pub timeout_seconds: u64,
    pub retry_delays_seconds: Vec<u64>,
    pub allow_private_targets: bool,
    pub default_secret: Option<Secret>,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Registered webhooks allowed at once; each job event queues one delivery per subscriber.
    pub max_webhooks: u32,
}

/// Fetching `http(s)://` data sources.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchSettings {
    pub max_bytes: u64,
    pub timeout_seconds: u64,
    pub allow_private_targets: bool,
}

/// How research data is read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestSettings {
    /// Speakers who are interviewers (as labelled in the data); empty: detected per transcript.
    pub interviewers: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenerationDefaults {
    pub count: usize,
    pub seed: u64,
    pub provider: String,
    /// Claims per list when a request gives no `config.detail_level`: brief, standard, detailed.
    pub detail_level: String,
    /// Segments smaller than this give no persona (with a warning).
    pub min_segment_size: usize,
    /// Personas with fewer claims than this are dropped (with a warning).
    pub min_claims: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    pub connect_timeout_seconds: u64,
    pub timeout_seconds: u64,
    pub max_retries: u32,
    /// Persona requests in flight at once, per run.
    pub concurrency: usize,
    /// Approximate tokens of evidence sent per persona request.
    pub evidence_token_budget: usize,
    pub temperature: f32,
    pub max_output_tokens: u32,
    /// First retry delay in milliseconds; later retries double it (capped at 60 s, ±20 % jitter).
    pub retry_base_delay_ms: u64,
    /// What a persona the model could not write becomes: `local` (the local provider's persona
    /// for that segment) or `fail` (the run fails).
    pub fallback: String,
    /// The least share (0–1) of a claim's content words its cited excerpts must use.
    pub claim_support_threshold: f64,
    /// The model's context window in tokens when it is small (0: not known, use
    /// `evidence_token_budget` as is); fewer, shorter excerpts are sent to fit it.
    pub context_tokens: u32,
}

/// `llm.fallback` values.
pub const LLM_FALLBACKS: [&str; 2] = ["local", "fail"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProviderSettings {
    pub base_url: String,
    pub model: String,
    /// Never read from the config file's serialised form in logs; normally taken from the
    /// provider's environment variable.
    pub api_key: Option<Secret>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvidersSettings {
    pub openai: ProviderSettings,
    pub anthropic: ProviderSettings,
    pub gemini: ProviderSettings,
    pub ollama: ProviderSettings,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            host: "127.0.0.1".into(),
            port: 8000,
            workers: default_cores(),
            log_level: "info".into(),
            max_body_bytes: 1024 * 1024,
            shutdown_grace_seconds: 30,
            sse_keepalive_seconds: 15,
            request_timeout_seconds: 30,
            max_script_bytes: 1024 * 1024,
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            path: PathBuf::from("./persona.db"),
            pool_size: 8,
            busy_timeout_ms: 5000,
        }
    }
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            data_dir: PathBuf::from("."),
            output_dir: PathBuf::from("./output"),
            max_file_bytes: 100 * 1024 * 1024,
            max_total_bytes: 1024 * 1024 * 1024,
            max_upload_bytes: 50 * 1024 * 1024,
        }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            enabled: true,
            requests_per_minute: 100,
            max_concurrent_jobs: 10,
        }
    }
}

impl Default for CorsSettings {
    fn default() -> Self {
        CorsSettings {
            origins: vec!["*".into()],
        }
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            concurrency: default_cores(),
            lease_seconds: 30,
            max_attempts: 3,
            poll_interval_ms: 500,
        }
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            timeout_seconds: 10,
            retry_delays_seconds: vec![5, 30, 120, 600, 1800, 3600, 10800, 21600],
            allow_private_targets: false,
            default_secret: None,
            concurrency: 16,
            max_webhooks: 100,
        }
    }
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            max_bytes: 50 * 1024 * 1024,
            timeout_seconds: 30,
            allow_private_targets: false,
        }
    }
}

impl Default for GenerationDefaults {
    fn default() -> Self {
        GenerationDefaults {
            count: 3,
            seed: 42,
            provider: "local".into(),
            detail_level: "standard".into(),
            min_segment_size: 2,
            min_claims: 2,
        }
    }
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            connect_timeout_seconds: 10,
            timeout_seconds: 120,
            max_retries: 3,
            concurrency: 4,
            evidence_token_budget: 6000,
            temperature: 0.4,
            max_output_tokens: 4096,
            retry_base_delay_ms: 1000,
            fallback: "local".into(),
            claim_support_threshold: 0.25,
            context_tokens: 0,
        }
    }
}

impl Default for ProvidersSettings {
    fn default() -> Self {
        let p = |base_url: &str, model: &str| ProviderSettings {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
        };
        ProvidersSettings {
            openai: p("https://api.openai.com/v1", "gpt-4o-mini"),
            anthropic: p("https://api.anthropic.com", "claude-sonnet-4-5"),
            gemini: p("https://generativelanguage.googleapis.com", "gemini-2.5-flash"),
            ollama: p("http://localhost:11434", "llama3.1"),
        }
    }
}

/// A configuration problem, reported before anything starts.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("invalid config file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("invalid value for {key}: {message}")]
    Invalid { key: String, message: String },
}

/// Where environment values come from; tests pass a map instead of mutating the process env.
pub trait EnvSource {
    fn get(&self, key: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.is_empty())
    }
}

impl EnvSource for std::collections::HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        self.get(key).cloned()
    }
}

impl Settings {
    /// Defaults, then the config file (`path`, else `PERSONA_CONFIG`), then the environment.
    /// Command-line flags are applied by the caller afterwards.
    pub fn load(path: Option<&Path>, env: &dyn EnvSource) -> Result<Settings, ConfigError> {
        let file = path
            .map(Path::to_path_buf)
            .or_else(|| env.get("PERSONA_CONFIG").map(PathBuf::from));
        let mut settings = match file {
            Some(p) => Settings::from_file(&p)?,
            None => Settings::default(),
        };
        settings.apply_env(env)?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Settings::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.display().to_string(),
            message,
        })
    }

    pub fn from_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Applies `PERSONA_<SECTION>_<KEY>` variables and the providers' own variables.
    pub fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(key: &str, v: String) -> Result<T, ConfigError>
        where
            T::Err: fmt::Display,
        {
            v.trim().parse::<T>().map_err(|e| ConfigError::Invalid {
                key: key.into(),
                message: e.to_string(),
            })
        }
        fn parse_bool(key: &str, v: String) -> Result<bool, ConfigError> {
            match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Ok(true),
                "0" | "false" | "no" | "off" => Ok(false),
                _ => Err(ConfigError::Invalid {
                    key: key.into(),
                    message: format!("expected true or false, got {v:?}"),
                }),
            }
        }
        fn list(v: String) -> Vec<String> {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        }
        macro_rules! set {
            ($key:literal, $conv:expr, $target:expr) => {
                if let Some(v) = env.get($key) {
                    $target = $conv($key, v)?;
                }
            };
        }
        let s = self;
        set!(
            "PERSONA_SERVER_HOST",
            |_, v: String| Ok::<_, ConfigError>(v),
            s.server.host
        );
        set!("PERSONA_SERVER_PORT", parse, s.server.port);
        set!("PERSONA_SERVER_WORKERS", parse, s.server.workers);
        set!(
            "PERSONA_SERVER_LOG_LEVEL",
            |_, v: String| Ok::<_, ConfigError>(v),
            s.server.log_level
        );
        set!("PERSONA_SERVER_MAX_BODY_BYTES", parse, s.server.max_body_bytes);
        set!(
            "PERSONA_SERVER_SHUTDOWN_GRACE_SECONDS",
            parse,
            s.server.shutdown_grace_seconds
        );
        set!(
            "PERSONA_SERVER_SSE_KEEPALIVE_SECONDS",
            parse,
            s.server.sse_keepalive_seconds
        );
        set!(
            "PERSONA_SERVER_REQUEST_TIMEOUT_SECONDS",
            parse,
            s.server.request_timeout_seconds
        );
        set!("PERSONA_SERVER_MAX_SCRIPT_BYTES", parse, s.server.max_script_bytes);
        set!(
            "PERSONA_DATABASE_PATH",
            |_, v: String| Ok::<_, ConfigError>(PathBuf::from(v)),
            s.database.path
        );
        set!("PERSONA_DATABASE_POOL_SIZE", parse, s.database.pool_size);
        set!("PERSONA_DATABASE_BUSY_TIMEOUT_MS", parse, s.database.busy_timeout_ms);
        set!(
            "PERSONA_STORAGE_DATA_DIR",
            |_, v: String| Ok::<_, ConfigError>(PathBuf::from(v)),
            s.storage.data_dir
        );
        set!(
            "PERSONA_STORAGE_OUTPUT_DIR",
            |_, v: String| Ok::<_, ConfigError>(PathBuf::from(v)),
            s.storage.output_dir
        );
        set!("PERSONA_STORAGE_MAX_FILE_BYTES", parse, s.storage.max_file_bytes);
        set!("PERSONA_STORAGE_MAX_TOTAL_BYTES", parse, s.storage.max_total_bytes);
        set!("PERSONA_STORAGE_MAX_UPLOAD_BYTES", parse, s.storage.max_upload_bytes);
        if let Some(v) = env
            .get("PERSONA_API_AUTH_TOKEN")
            .or_else(|| env.get("PERSONA_AUTH_TOKEN"))
        {
            s.auth.token = Some(Secret::new(v));
        }
        set!("PERSONA_AUTH_PROTECT_READS", parse_bool, s.auth.protect_reads);
        set!("PERSONA_RATE_LIMIT_ENABLED", parse_bool, s.rate_limit.enabled);
        set!(
            "PERSONA_RATE_LIMIT_REQUESTS_PER_MINUTE",
            parse,
            s.rate_limit.requests_per_minute
        );
        set!(
            "PERSONA_RATE_LIMIT_MAX_CONCURRENT_JOBS",
            parse,
            s.rate_limit.max_concurrent_jobs
        );
        set!(
            "PERSONA_CORS_ORIGINS",
            |_, v: String| Ok::<_, ConfigError>(list(v)),
            s.cors.origins
        );
        set!("PERSONA_WORKER_CONCURRENCY", parse, s.worker.concurrency);
        set!("PERSONA_WORKER_LEASE_SECONDS", parse, s.worker.lease_seconds);
        set!("PERSONA_WORKER_MAX_ATTEMPTS", parse, s.worker.max_attempts);
        set!("PERSONA_WORKER_POLL_INTERVAL_MS", parse, s.worker.poll_interval_ms);
        set!("PERSONA_WEBHOOKS_TIMEOUT_SECONDS", parse, s.webhooks.timeout_seconds);
        if let Some(v) = env.get("PERSONA_WEBHOOKS_RETRY_DELAYS_SECONDS") {
            s.webhooks.retry_delays_seconds = list(v)
                .into_iter()
                .map(|d| parse("PERSONA_WEBHOOKS_RETRY_DELAYS_SECONDS", d))
                .collect::<Result<_, _>>()?;
        }
        set!(
            "PERSONA_WEBHOOKS_ALLOW_PRIVATE_TARGETS",
            parse_bool,
            s.webhooks.allow_private_targets
        );
        if let Some(v) = env.get("PERSONA_WEBHOOKS_DEFAULT_SECRET") {
            s.webhooks.default_secret = Some(Secret::new(v));
        }
        set!("PERSONA_WEBHOOKS_CONCURRENCY", parse, s.webhooks.concurrency);
        set!("PERSONA_WEBHOOKS_MAX_WEBHOOKS", parse, s.webhooks.max_webhooks);
        set!("PERSONA_FETCH_MAX_BYTES", parse, s.fetch.max_bytes);
        set!("PERSONA_FETCH_TIMEOUT_SECONDS", parse, s.fetch.timeout_seconds);
        set!(
            "PERSONA_FETCH_ALLOW_PRIVATE_TARGETS",
            parse_bool,
            s.fetch.allow_private_targets
        );
        set!(
            "PERSONA_INGEST_INTERVIEWERS",
            |_, v: String| Ok::<_, ConfigError>(list(v)),
            s.ingest.interviewers
        );
        set!("PERSONA_GENERATION_COUNT", parse, s.generation.count);
        set!("PERSONA_GENERATION_SEED", parse, s.generation.seed);
        set!(
            "PERSONA_GENERATION_PROVIDER",
            |_, v: String| Ok::<_, ConfigError>(v),
            s.generation.provider
        );
        set!(
            "PERSONA_GENERATION_DETAIL_LEVEL",
            |_, v: String| Ok::<_, ConfigError>(v),
            s.generation.detail_level
        );
        set!(
            "PERSONA_GENERATION_MIN_SEGMENT_SIZE",
            parse,
            s.generation.min_segment_size
        );
        set!("PERSONA_GENERATION_MIN_CLAIMS", parse, s.generation.min_claims);
        set!(
            "PERSONA_LLM_CONNECT_TIMEOUT_SECONDS",
            parse,
            s.llm.connect_timeout_seconds
        );
        set!("PERSONA_LLM_TIMEOUT_SECONDS", parse, s.llm.timeout_seconds);
        set!("PERSONA_LLM_MAX_RETRIES", parse, s.llm.max_retries);
        set!("PERSONA_LLM_CONCURRENCY", parse, s.llm.concurrency);
        set!("PERSONA_LLM_EVIDENCE_TOKEN_BUDGET", parse, s.llm.evidence_token_budget);
        set!("PERSONA_LLM_TEMPERATURE", parse, s.llm.temperature);
        set!("PERSONA_LLM_MAX_OUTPUT_TOKENS", parse, s.llm.max_output_tokens);
        set!("PERSONA_LLM_RETRY_BASE_DELAY_MS", parse, s.llm.retry_base_delay_ms);
        set!(
            "PERSONA_LLM_FALLBACK",
            |_, v: String| Ok::<_, ConfigError>(v),
            s.llm.fallback
        );
        set!(
            "PERSONA_LLM_CLAIM_SUPPORT_THRESHOLD",
            parse,
            s.llm.claim_support_threshold
        );
        set!("PERSONA_LLM_CONTEXT_TOKENS", parse, s.llm.context_tokens);
        let text = |_: &str, v: String| Ok::<_, ConfigError>(v);
        set!("OPENAI_BASE_URL", text, s.providers.openai.base_url);
        set!("ANTHROPIC_BASE_URL", text, s.providers.anthropic.base_url);
        set!("GEMINI_BASE_URL", text, s.providers.gemini.base_url);
        set!("OLLAMA_BASE_URL", text, s.providers.ollama.base_url);
        set!("PERSONA_PROVIDERS_OPENAI_MODEL", text, s.providers.openai.model);
        set!("PERSONA_PROVIDERS_ANTHROPIC_MODEL", text, s.providers.anthropic.model);
        set!("PERSONA_PROVIDERS_GEMINI_MODEL", text, s.providers.gemini.model);
        set!("PERSONA_PROVIDERS_OLLAMA_MODEL", text, s.providers.ollama.model);
        if let Some(v) = env.get("OPENAI_API_KEY") {
            s.providers.openai.api_key = Some(Secret::new(v));
        }
        if let Some(v) = env.get("ANTHROPIC_API_KEY") {
            s.providers.anthropic.api_key = Some(Secret::new(v));
        }
        if let Some(v) = env.get("GEMINI_API_KEY").or_else(|| env.get("GOOGLE_API_KEY")) {
            s.providers.gemini.api_key = Some(Secret::new(v));
        }
        Ok(())
    }

    /// Rejects settings that cannot work, naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: &str| {
            Err(ConfigError::Invalid {
                key: key.into(),
                message: message.into(),
            })
        };
        if self.server.workers == 0 {
            return invalid("server.workers", "must be at least 1");
        }
        if self.worker.concurrency == 0 {
            return invalid("worker.concurrency", "must be at least 1");
        }
        if self.worker.max_attempts == 0 {
            return invalid("worker.max_attempts", "must be at least 1");
        }
        if self.worker.lease_seconds < 2 {
            return invalid("worker.lease_seconds", "must be at least 2");
        }
        if self.rate_limit.requests_per_minute == 0 {
            return invalid(
                "rate_limit.requests_per_minute",
                "must be at least 1 (set rate_limit.enabled = false to turn limits off)",
            );
        }
        if self.webhooks.timeout_seconds == 0 {
            return invalid("webhooks.timeout_seconds", "must be at least 1");
        }
        if self.server.request_timeout_seconds == 0 {
            return invalid("server.request_timeout_seconds", "must be at least 1");
        }
        if self.server.max_script_bytes == 0 {
            return invalid("server.max_script_bytes", "must be at least 1");
        }
        if self.webhooks.concurrency == 0 {
            return invalid("webhooks.concurrency", "must be at least 1");
        }
        if self.database.pool_size == 0 {
            return invalid("database.pool_size", "must be at least 1");
        }
        if self.llm.concurrency == 0 {
            return invalid("llm.concurrency", "must be at least 1");
        }
        if self.llm.timeout_seconds == 0 {
            return invalid("llm.timeout_seconds", "must be at least 1");
        }
        if self.llm.max_output_tokens == 0 {
            return invalid("llm.max_output_tokens", "must be at least 1");
        }
        if !(0.0..=2.0).contains(&self.llm.temperature) {
            return invalid("llm.temperature", "must be between 0 and 2");
        }
        if !LLM_FALLBACKS.contains(&self.llm.fallback.as_str()) {
            return invalid("llm.fallback", "must be \"local\" or \"fail\"");
        }
        if !(0.0..=1.0).contains(&self.llm.claim_support_threshold) {
            return invalid("llm.claim_support_threshold", "must be between 0 and 1");
        }
        if self.generation.count == 0 || self.generation.count > 20 {
            return invalid("generation.count", "must be between 1 and 20");
        }
        if !crate::generate::options::is_detail_level(&self.generation.detail_level) {
            return invalid("generation.detail_level", "must be brief, standard or detailed");
        }
        if self.generation.min_segment_size == 0 || self.generation.min_claims == 0 {
            return invalid(
                "generation.min_segment_size",
                "generation.min_segment_size and generation.min_claims must be at least 1",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_match_the_design_contract() {
        let s = Settings::default();
        assert_eq!((s.server.host.as_str(), s.server.port), ("127.0.0.1", 8000));
        assert_eq!(s.database.path, PathBuf::from("./persona.db"));
        assert_eq!(s.storage.output_dir, PathBuf::from("./output"));
        assert!(s.auth.token.is_none() && !s.auth.protect_reads);
        assert_eq!(
            (s.rate_limit.requests_per_minute, s.rate_limit.max_concurrent_jobs),
            (100, 10)
        );
        assert_eq!(s.cors.origins, vec!["*"]);
        assert_eq!((s.worker.lease_seconds, s.worker.max_attempts), (30, 3));
        assert_eq!(
            s.webhooks.retry_delays_seconds,
            vec![5, 30, 120, 600, 1800, 3600, 10800, 21600]
        );
        assert_eq!(s.generation.provider, "local");
        s.validate().unwrap();
    }

    #[test]
    fn env_overrides_file_and_file_overrides_defaults() {
        let mut s = Settings::from_toml(
            "[server]\nport = 9000\nhost = \"0.0.0.0\"\n[webhooks]\nallow_private_targets = true\n",
        )
        .unwrap();
        assert_eq!(s.server.port, 9000);
        s.apply_env(&env(&[
            ("PERSONA_SERVER_PORT", "9100"),
            ("PERSONA_API_AUTH_TOKEN", "tok"),
            ("PERSONA_CORS_ORIGINS", "https://a.example, https://b.example"),
            ("PERSONA_WEBHOOKS_RETRY_DELAYS_SECONDS", "1,2,3"),
            ("GOOGLE_API_KEY", "g"),
        ]))
        .unwrap();
        assert_eq!(s.server.port, 9100);
        assert_eq!(s.server.host, "0.0.0.0");
        assert!(s.webhooks.allow_private_targets);
        assert_eq!(s.auth.token.as_ref().unwrap().expose(), "tok");
        assert_eq!(s.cors.origins, vec!["https://a.example", "https://b.example"]);
        assert_eq!(s.webhooks.retry_delays_seconds, vec![1, 2, 3]);
        assert_eq!(s.providers.gemini.api_key.as_ref().unwrap().expose(), "g");
    }

    #[test]
    fn bad_values_name_the_key() {
        let mut s = Settings::default();
        let err = s.apply_env(&env(&[("PERSONA_SERVER_PORT", "eighty")])).unwrap_err();
        assert!(err.to_string().contains("PERSONA_SERVER_PORT"), "{err}");
        let err = s
            .apply_env(&env(&[("PERSONA_AUTH_PROTECT_READS", "maybe")]))
            .unwrap_err();
        assert!(err.to_string().contains("PERSONA_AUTH_PROTECT_READS"), "{err}");
        let err = Settings::from_toml("[server]\nprot = 1\n").unwrap_err();
        assert!(err.contains("prot"), "{err}");
        let mut s = Settings::default();
        s.worker.concurrency = 0;
        assert!(s.validate().unwrap_err().to_string().contains("worker.concurrency"));
        let mut s = Settings::default();
        s.llm.temperature = 2.5;
        assert!(s.validate().unwrap_err().to_string().contains("llm.temperature"));
    }

    #[test]
    fn secrets_are_never_printed() {
        let mut s = Settings::default();
        s.auth.token = Some(Secret::new("hunter2"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"));
        assert_eq!(Secret::new("x").to_string(), "***");
    }

    #[test]
    fn missing_config_file_is_an_error_naming_it() {
        let err = Settings::load(Some(Path::new("/nonexistent/persona.toml")), &env(&[])).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/persona.toml"));
    }
}
