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

/// The values of `generation.detail_level` (and the request's `config.detail_level`).
pub const DETAIL_LEVELS: &[&str] = &["brief", "standard", "detailed"];
/// Personas a job may ask for: `generation.count`, and every request and flag through
/// `domain::values::PersonaCount` (this layer is below the domain, so the bounds live here).
pub const PERSONA_COUNTS: std::ops::RangeInclusive<u32> = 1..=20;

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

/// One setting that an environment variable overrides.
pub struct EnvVar {
    /// The config file key (`server.port`), as documented in README.md and config/default.toml.
    pub key: &'static str,
    /// The variables that set it, first one set wins (a few keys have an alias).
    pub names: &'static [&'static str],
    /// Parses the value (the variable's name is for the error) and stores it.
    apply: fn(&mut Settings, &str, String) -> Result<(), ConfigError>,
}

fn text(_: &str, v: String) -> Result<String, ConfigError> {
    Ok(v)
}

fn path(_: &str, v: String) -> Result<PathBuf, ConfigError> {
    Ok(PathBuf::from(v))
}

fn secret(_: &str, v: String) -> Result<Option<Secret>, ConfigError> {
    Ok(Some(Secret::new(v)))
}

/// A comma-separated list, blanks dropped.
fn list(_: &str, v: String) -> Result<Vec<String>, ConfigError> {
    Ok(v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

fn parse<T: std::str::FromStr>(name: &str, v: String) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    v.trim().parse::<T>().map_err(|e| ConfigError::Invalid {
        key: name.into(),
        message: e.to_string(),
    })
}

fn parse_list<T: std::str::FromStr>(name: &str, v: String) -> Result<Vec<T>, ConfigError>
where
    T::Err: fmt::Display,
{
    list(name, v)?.into_iter().map(|item| parse(name, item)).collect()
}

fn parse_bool(name: &str, v: String) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            key: name.into(),
            message: format!("expected true or false, got {v:?}"),
        }),
    }
}

/// `env_var!(key, [NAME, ALIAS…], conversion, field.path)`: one row of [`ENV_VARS`].
macro_rules! env_var {
    ($key:literal, [$($name:literal),+], $convert:ident, $($field:ident).+) => {
        EnvVar {
            key: $key,
            names: &[$($name),+],
            apply: |settings, name, value| {
                settings.$($field).+ = $convert(name, value)?;
                Ok(())
            },
        }
    };
}

/// Every environment variable the configuration reads, with the key it sets.
#[rustfmt::skip]
pub const ENV_VARS: &[EnvVar] = &[
    env_var!("server.host", ["PERSONA_SERVER_HOST"], text, server.host),
    env_var!("server.port", ["PERSONA_SERVER_PORT"], parse, server.port),
    env_var!("server.workers", ["PERSONA_SERVER_WORKERS"], parse, server.workers),
    env_var!("server.log_level", ["PERSONA_SERVER_LOG_LEVEL"], text, server.log_level),
    env_var!("server.max_body_bytes", ["PERSONA_SERVER_MAX_BODY_BYTES"], parse, server.max_body_bytes),
    env_var!("server.shutdown_grace_seconds", ["PERSONA_SERVER_SHUTDOWN_GRACE_SECONDS"], parse, server.shutdown_grace_seconds),
    env_var!("server.sse_keepalive_seconds", ["PERSONA_SERVER_SSE_KEEPALIVE_SECONDS"], parse, server.sse_keepalive_seconds),
    env_var!("server.request_timeout_seconds", ["PERSONA_SERVER_REQUEST_TIMEOUT_SECONDS"], parse, server.request_timeout_seconds),
    env_var!("server.max_script_bytes", ["PERSONA_SERVER_MAX_SCRIPT_BYTES"], parse, server.max_script_bytes),
    env_var!("database.path", ["PERSONA_DATABASE_PATH"], path, database.path),
    env_var!("database.pool_size", ["PERSONA_DATABASE_POOL_SIZE"], parse, database.pool_size),
    env_var!("database.busy_timeout_ms", ["PERSONA_DATABASE_BUSY_TIMEOUT_MS"], parse, database.busy_timeout_ms),
    env_var!("storage.data_dir", ["PERSONA_STORAGE_DATA_DIR"], path, storage.data_dir),
    env_var!("storage.output_dir", ["PERSONA_STORAGE_OUTPUT_DIR"], path, storage.output_dir),
    env_var!("storage.max_file_bytes", ["PERSONA_STORAGE_MAX_FILE_BYTES"], parse, storage.max_file_bytes),
    env_var!("storage.max_total_bytes", ["PERSONA_STORAGE_MAX_TOTAL_BYTES"], parse, storage.max_total_bytes),
    env_var!("storage.max_upload_bytes", ["PERSONA_STORAGE_MAX_UPLOAD_BYTES"], parse, storage.max_upload_bytes),
    env_var!("auth.token", ["PERSONA_API_AUTH_TOKEN", "PERSONA_AUTH_TOKEN"], secret, auth.token),
    env_var!("auth.protect_reads", ["PERSONA_AUTH_PROTECT_READS"], parse_bool, auth.protect_reads),
    env_var!("rate_limit.enabled", ["PERSONA_RATE_LIMIT_ENABLED"], parse_bool, rate_limit.enabled),
    env_var!("rate_limit.requests_per_minute", ["PERSONA_RATE_LIMIT_REQUESTS_PER_MINUTE"], parse, rate_limit.requests_per_minute),
    env_var!("rate_limit.max_concurrent_jobs", ["PERSONA_RATE_LIMIT_MAX_CONCURRENT_JOBS"], parse, rate_limit.max_concurrent_jobs),
    env_var!("cors.origins", ["PERSONA_CORS_ORIGINS"], list, cors.origins),
    env_var!("worker.concurrency", ["PERSONA_WORKER_CONCURRENCY"], parse, worker.concurrency),
    env_var!("worker.lease_seconds", ["PERSONA_WORKER_LEASE_SECONDS"], parse, worker.lease_seconds),
    env_var!("worker.max_attempts", ["PERSONA_WORKER_MAX_ATTEMPTS"], parse, worker.max_attempts),
    env_var!("worker.poll_interval_ms", ["PERSONA_WORKER_POLL_INTERVAL_MS"], parse, worker.poll_interval_ms),
    env_var!("webhooks.timeout_seconds", ["PERSONA_WEBHOOKS_TIMEOUT_SECONDS"], parse, webhooks.timeout_seconds),
    env_var!("webhooks.retry_delays_seconds", ["PERSONA_WEBHOOKS_RETRY_DELAYS_SECONDS"], parse_list, webhooks.retry_delays_seconds),
    env_var!("webhooks.allow_private_targets", ["PERSONA_WEBHOOKS_ALLOW_PRIVATE_TARGETS"], parse_bool, webhooks.allow_private_targets),
    env_var!("webhooks.default_secret", ["PERSONA_WEBHOOKS_DEFAULT_SECRET"], secret, webhooks.default_secret),
    env_var!("webhooks.concurrency", ["PERSONA_WEBHOOKS_CONCURRENCY"], parse, webhooks.concurrency),
    env_var!("webhooks.max_webhooks", ["PERSONA_WEBHOOKS_MAX_WEBHOOKS"], parse, webhooks.max_webhooks),
    env_var!("fetch.max_bytes", ["PERSONA_FETCH_MAX_BYTES"], parse, fetch.max_bytes),
    env_var!("fetch.timeout_seconds", ["PERSONA_FETCH_TIMEOUT_SECONDS"], parse, fetch.timeout_seconds),
    env_var!("fetch.allow_private_targets", ["PERSONA_FETCH_ALLOW_PRIVATE_TARGETS"], parse_bool, fetch.allow_private_targets),
    env_var!("ingest.interviewers", ["PERSONA_INGEST_INTERVIEWERS"], list, ingest.interviewers),
    env_var!("generation.count", ["PERSONA_GENERATION_COUNT"], parse, generation.count),
    env_var!("generation.seed", ["PERSONA_GENERATION_SEED"], parse, generation.seed),
    env_var!("generation.provider", ["PERSONA_GENERATION_PROVIDER"], text, generation.provider),
    env_var!("generation.detail_level", ["PERSONA_GENERATION_DETAIL_LEVEL"], text, generation.detail_level),
    env_var!("generation.min_segment_size", ["PERSONA_GENERATION_MIN_SEGMENT_SIZE"], parse, generation.min_segment_size),
    env_var!("generation.min_claims", ["PERSONA_GENERATION_MIN_CLAIMS"], parse, generation.min_claims),
    env_var!("llm.connect_timeout_seconds", ["PERSONA_LLM_CONNECT_TIMEOUT_SECONDS"], parse, llm.connect_timeout_seconds),
    env_var!("llm.timeout_seconds", ["PERSONA_LLM_TIMEOUT_SECONDS"], parse, llm.timeout_seconds),
    env_var!("llm.max_retries", ["PERSONA_LLM_MAX_RETRIES"], parse, llm.max_retries),
    env_var!("llm.concurrency", ["PERSONA_LLM_CONCURRENCY"], parse, llm.concurrency),
    env_var!("llm.evidence_token_budget", ["PERSONA_LLM_EVIDENCE_TOKEN_BUDGET"], parse, llm.evidence_token_budget),
    env_var!("llm.temperature", ["PERSONA_LLM_TEMPERATURE"], parse, llm.temperature),
    env_var!("llm.max_output_tokens", ["PERSONA_LLM_MAX_OUTPUT_TOKENS"], parse, llm.max_output_tokens),
    env_var!("llm.retry_base_delay_ms", ["PERSONA_LLM_RETRY_BASE_DELAY_MS"], parse, llm.retry_base_delay_ms),
    env_var!("llm.fallback", ["PERSONA_LLM_FALLBACK"], text, llm.fallback),
    env_var!("llm.claim_support_threshold", ["PERSONA_LLM_CLAIM_SUPPORT_THRESHOLD"], parse, llm.claim_support_threshold),
    env_var!("llm.context_tokens", ["PERSONA_LLM_CONTEXT_TOKENS"], parse, llm.context_tokens),
    env_var!("providers.openai.base_url", ["OPENAI_BASE_URL"], text, providers.openai.base_url),
    env_var!("providers.anthropic.base_url", ["ANTHROPIC_BASE_URL"], text, providers.anthropic.base_url),
    env_var!("providers.gemini.base_url", ["GEMINI_BASE_URL"], text, providers.gemini.base_url),
    env_var!("providers.ollama.base_url", ["OLLAMA_BASE_URL"], text, providers.ollama.base_url),
    env_var!("providers.openai.model", ["PERSONA_PROVIDERS_OPENAI_MODEL"], text, providers.openai.model),
    env_var!("providers.anthropic.model", ["PERSONA_PROVIDERS_ANTHROPIC_MODEL"], text, providers.anthropic.model),
    env_var!("providers.gemini.model", ["PERSONA_PROVIDERS_GEMINI_MODEL"], text, providers.gemini.model),
    env_var!("providers.ollama.model", ["PERSONA_PROVIDERS_OLLAMA_MODEL"], text, providers.ollama.model),
    env_var!("providers.openai.api_key", ["OPENAI_API_KEY"], secret, providers.openai.api_key),
    env_var!("providers.anthropic.api_key", ["ANTHROPIC_API_KEY"], secret, providers.anthropic.api_key),
    env_var!("providers.gemini.api_key", ["GEMINI_API_KEY", "GOOGLE_API_KEY"], secret, providers.gemini.api_key),
];

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

    /// Applies `PERSONA_<SECTION>_<KEY>` variables and the providers' own variables
    /// ([`ENV_VARS`], in its order: the first bad value is the error).
    pub fn apply_env(&mut self, env: &dyn EnvSource) -> Result<(), ConfigError> {
        for var in ENV_VARS {
            if let Some((name, value)) = var.names.iter().find_map(|&name| env.get(name).map(|v| (name, v))) {
                (var.apply)(self, name, value)?;
            }
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
        if !u32::try_from(self.generation.count).is_ok_and(|count| PERSONA_COUNTS.contains(&count)) {
            let message = format!(
                "must be between {} and {}",
                PERSONA_COUNTS.start(),
                PERSONA_COUNTS.end()
            );
            return invalid("generation.count", &message);
        }
        if !DETAIL_LEVELS.contains(&self.generation.detail_level.as_str()) {
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
    fn the_first_variable_of_a_key_wins_over_its_alias() {
        let mut s = Settings::default();
        s.apply_env(&env(&[
            ("PERSONA_AUTH_TOKEN", "alias"),
            ("PERSONA_API_AUTH_TOKEN", "main"),
        ]))
        .unwrap();
        assert_eq!(s.auth.token.as_ref().unwrap().expose(), "main");
        s.apply_env(&env(&[("PERSONA_AUTH_TOKEN", "alias")])).unwrap();
        assert_eq!(s.auth.token.as_ref().unwrap().expose(), "alias");
    }

    #[test]
    fn every_variable_names_a_distinct_key() {
        let mut keys: Vec<&str> = ENV_VARS.iter().map(|v| v.key).collect();
        let mut names: Vec<&str> = ENV_VARS.iter().flat_map(|v| v.names.iter().copied()).collect();
        let (key_count, name_count) = (keys.len(), names.len());
        keys.sort_unstable();
        keys.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!((keys.len(), names.len()), (key_count, name_count));
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
