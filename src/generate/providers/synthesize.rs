//! Writing personas with an LLM: the local segmentation has decided who belongs to each
//! persona; the model writes each persona from a sample of its segment's evidence, one request
//! per persona, several at once; the reply is parsed and grounded, and asked for once more when
//! it is invalid or keeps nothing. A persona the model cannot write falls back to the local
//! provider's persona for that segment (`llm.fallback = "local"`), or fails the run (`"fail"`).

use super::grounding::{Grounded, ground};
use super::http::{self, Failure, RetryPolicy};
use super::kind::{LOCAL_MODEL, ProviderKind, resolve};
use super::parse::{DraftPersona, parse_persona};
use super::prompt::{Excerpt, cut_at_word, sample_evidence, system_prompt, user_prompt};
use super::schema::persona_schema;
use super::wire::{Conversation, Reply, Target};
use super::{anthropic, gemini, ollama, openai};
use crate::config::Settings;
use crate::domain::{Corpus, IdKind, Persona};
use crate::error::Error;
use crate::generate::types::{
    GenerationOutput, GenerationSettings, GroundingStats, Progress, Segment, Step, TokenUsage,
};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often a run waiting on the model checks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(200);

/// The provider name of a persona written by the local provider after the model failed it.
pub const FALLBACK_PROVIDER: &str = "local (fallback)";

/// Tokens of a request besides the excerpts (instructions, segment facts, a retry turn), used to
/// fit the excerpts into a small `llm.context_tokens`.
const PROMPT_OVERHEAD_TOKENS: u32 = 1_500;
/// Longest excerpt, in characters, when the context is small.
const SMALL_CONTEXT_EXCERPT_CHARS: usize = 300;
/// Contexts up to this many tokens count as small.
const SMALL_CONTEXT_TOKENS: u32 = 8_192;

/// What becomes of a persona the model could not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackMode {
    /// The local provider writes that segment's persona.
    Local,
    /// The run fails.
    Fail,
}

/// The fallback of a run: the request's `config.fallback` when given, else `llm.fallback`.
pub fn fallback_mode(generation: &GenerationSettings, settings: &Settings) -> Result<FallbackMode, Error> {
    fallback_option(&generation.options, settings)
}

/// The fallback named by a request's generation options (`config.fallback`), else `llm.fallback`;
/// a 422 naming the field for any other value.
pub fn fallback_option(
    options: &serde_json::Map<String, serde_json::Value>,
    settings: &Settings,
) -> Result<FallbackMode, Error> {
    let (value, field) = match options.get("fallback") {
        None | Some(serde_json::Value::Null) => (settings.llm.fallback.as_str(), "llm.fallback"),
        Some(serde_json::Value::String(value)) => (value.as_str(), "config.fallback"),
        Some(_) => return Err(Error::validation("config.fallback", "must be \"local\" or \"fail\"")),
    };
    match value {
        "local" => Ok(FallbackMode::Local),
        "fail" => Ok(FallbackMode::Fail),
        other => Err(Error::validation(
            field,
            format!("must be \"local\" or \"fail\", got {other:?}"),
        )),
    }
}

/// A synthesis that failed, with what it had spent and noticed by then.
#[derive(Debug)]
pub struct SynthesisFailure {
    pub error: Error,
    pub provider: String,
    pub model: String,
    pub usage: TokenUsage,
    pub warnings: Vec<String>,
}

/// Writes one persona per segment with the LLM provider named in `generation`, in segment order.
///
/// See [`synthesize_run`]; this drops what a failed run spent.
pub async fn synthesize(
    settings: &Settings,
    generation: &GenerationSettings,
    corpus: &Corpus,
    segments: &[Segment],
    progress: &dyn Progress,
) -> Result<GenerationOutput, Error> {
    synthesize_run(settings, generation, corpus, segments, progress)
        .await
        .map_err(|failure| failure.error)
}

/// Writes one persona per segment with the LLM provider named in `generation`, in segment order.
///
/// A persona the model cannot write (invalid or ungrounded twice, or its requests failed after
/// their retries) becomes the local provider's persona for that segment, unless the fallback is
/// `fail`. Fails, naming provider, model and reason, on what no fallback can fix (a wrong key,
/// an unknown model, a refused request, an unreachable server); returns `Error::Cancelled` soon
/// after `progress.cancelled()` turns true.
pub async fn synthesize_run(
    settings: &Settings,
    generation: &GenerationSettings,
    corpus: &Corpus,
    segments: &[Segment],
    progress: &dyn Progress,
) -> Result<GenerationOutput, SynthesisFailure> {
    let early = |error: Error| SynthesisFailure {
        error,
        provider: generation.provider.clone(),
        model: generation.model.clone().unwrap_or_default(),
        usage: TokenUsage::default(),
        warnings: Vec::new(),
    };
    let kind = resolve(&generation.provider, settings).map_err(early)?;
    let fallback = fallback_mode(generation, settings).map_err(early)?;
    if kind == ProviderKind::Local {
        return Err(early(Error::invalid(
            "provider local writes personas without a language model; it has its own synthesiser",
        )));
    }
    let model = model_of(kind, generation, settings).map_err(early)?;
    if progress.cancelled() {
        return Err(early(Error::Cancelled));
    }
    let mut llm = Llm::new(kind, settings, &model).map_err(early)?;
    llm.learn_context().await;
    let total = segments.len();
    let system = system_prompt();
    let llm = &llm;
    let system = system.as_str();
    let failure = |error: Error| SynthesisFailure {
        error,
        provider: kind.name().to_string(),
        model: model.clone(),
        usage: llm.usage(),
        warnings: llm.warnings(),
    };
    // Collected first: a stream over a lazy `map` would keep its closure in this future, and
    // the closure's lifetimes keep the future from being `Send`.
    let jobs: Vec<_> = segments
        .iter()
        .enumerate()
        .map(|(position, segment)| {
            let others: Vec<&[String]> = segments
                .iter()
                .filter(|s| s.index != segment.index)
                .map(|s| s.top_terms.as_slice())
                .collect();
            async move {
                let written = write_persona(llm, system, corpus, segment, (position, total), &others, progress).await;
                (position, written)
            }
        })
        .collect();
    let mut in_flight = futures_util::stream::iter(jobs).buffer_unordered(settings.llm.concurrency.max(1));
    let mut written: Vec<Option<Outcome>> = (0..total).map(|_| None).collect();
    let mut done = 0;
    let mut cancel_check = tokio::time::interval(CANCEL_POLL);
    loop {
        tokio::select! {
            next = in_flight.next() => {
                let Some((position, result)) = next else { break };
                let outcome = match result {
                    Ok(written) => Outcome::Model(written),
                    Err(unwritten) if !unwritten.fatal && fallback == FallbackMode::Local => {
                        let reason = unwritten.error.to_string();
                        fall_back(corpus, &segments[position], generation, (position, total), reason, progress)
                    }
                    Err(unwritten) => return Err(failure(unwritten.error)),
                };
                written[position] = Some(outcome);
                done += 1;
                let usage = llm.usage();
                progress.detail(
                    Step::Synthesising,
                    &format!(
                        "{done} of {total} personas written with {}/{model} ({} tokens so far)",
                        kind.name(),
                        usage.input_tokens + usage.output_tokens
                    ),
                );
            }
            _ = cancel_check.tick() => {
                if progress.cancelled() {
                    return Err(failure(Error::Cancelled));
                }
            }
        }
    }
    let written: Vec<Outcome> = written.into_iter().flatten().collect();
    let mut output = assemble(kind, &model, generation.seed, segments, written);
    let mut warnings = run_warnings(llm, kind);
    warnings.append(&mut output.warnings);
    output.warnings = warnings;
    output.usage = llm.usage();
    Ok(output)
}

/// The request's model, else the provider's configured one; an error if neither names one.
fn model_of(kind: ProviderKind, generation: &GenerationSettings, settings: &Settings) -> Result<String, Error> {
    let model = generation
        .model
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| kind.default_model(settings));
    if model.trim().is_empty() {
        return Err(Error::InvalidInput {
            message: format!(
                "no model for provider {0}: pass a model or set PERSONA_PROVIDERS_{1}_MODEL",
                kind.name(),
                kind.name().to_ascii_uppercase()
            ),
            details: serde_json::json!({"field": "model", "provider": kind.name()}),
        });
    }
    Ok(model)
}

/// Warnings of the run as a whole (a refused schema, a busy server): they come first.
fn run_warnings(llm: &Llm, kind: ProviderKind) -> Vec<String> {
    let mut warnings = llm.warnings();
    if llm.pacing.is_busy() {
        warnings.push(format!(
            "{} was busy (429, 503 or a timeout): the run's later requests went one at a time; set \
             llm.concurrency to what the server accepts (1 for a one-slot local server)",
            kind.name()
        ));
    }
    warnings
}

/// The local provider's persona instead of one the model could not write, announced.
fn fall_back(
    corpus: &Corpus,
    segment: &Segment,
    generation: &GenerationSettings,
    (position, total): (usize, usize),
    reason: String,
    progress: &dyn Progress,
) -> Outcome {
    log::warn!(
        "persona {} of {total}: falling back to the local provider: {reason}",
        position + 1
    );
    progress.detail(
        Step::Synthesising,
        &format!(
            "persona {} of {total}: written by the local provider instead ({reason})",
            position + 1
        ),
    );
    // One segment's local persona takes milliseconds: no need to leave the executor.
    Outcome::Fallback(local_persona(corpus, segment, generation), reason)
}

/// The local provider's persona for one segment, marked as a fallback.
fn local_persona(corpus: &Corpus, segment: &Segment, generation: &GenerationSettings) -> Persona {
    let settings = GenerationSettings {
        model: None,
        ..generation.clone()
    };
    let mut persona = crate::generate::local::synthesize_segment(corpus, segment, &settings);
    persona.provider = FALLBACK_PROVIDER.to_string();
    persona.model = LOCAL_MODEL.to_string();
    persona
}

/// One persona's result before the run-wide assembly.
enum Outcome {
    Model(Written),
    /// The local provider's persona, and why the model's was not used.
    Fallback(Persona, String),
}

/// A persona the model wrote.
struct Written {
    draft: DraftPersona,
    grounded: Grounded,
    reported_model: Option<String>,
}

/// Why a persona was not written; `fatal` when no fallback can help (the same would happen to
/// every persona: a wrong key, an unknown model, a refused request, an unreachable server).
struct Unwritten {
    error: Error,
    fatal: bool,
}

/// A provider, its client and what was learnt about the model during the run.
struct Llm<'a> {
    kind: ProviderKind,
    settings: &'a Settings,
    client: reqwest::Client,
    policy: RetryPolicy,
    model: String,
    /// OpenAI request variations a model asked for; learnt once, used by every later request.
    quirks: Mutex<openai::Quirks>,
    /// The persona reply schema sent with every request while the server accepts it.
    schema: serde_json::Value,
    schema_refused: AtomicBool,
    /// Tokens spent so far, failed personas' included.
    usage: Mutex<TokenUsage>,
    /// Warnings about the run as a whole.
    warnings: Mutex<Vec<String>>,
    /// One request at a time once the server has shown it is busy.
    pacing: http::Pacing,
    /// `llm.context_tokens`, or the context the server reports when that is not set (0: unknown).
    context_tokens: u32,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<'a> Llm<'a> {
    fn new(kind: ProviderKind, settings: &'a Settings, model: &str) -> Result<Llm<'a>, Error> {
        Ok(Llm {
            kind,
            settings,
            client: http::client(&settings.llm)?,
            policy: RetryPolicy::from_settings(&settings.llm),
            model: model.to_string(),
            quirks: Mutex::new(openai::Quirks::default()),
            schema: persona_schema(),
            schema_refused: AtomicBool::new(false),
            usage: Mutex::new(TokenUsage::default()),
            warnings: Mutex::new(Vec::new()),
            pacing: http::Pacing::default(),
            context_tokens: settings.llm.context_tokens,
        })
    }

    /// Asks a local server for its context window when `llm.context_tokens` is not set.
    async fn learn_context(&mut self) {
        if self.context_tokens != 0 {
            return;
        }
        let Some(provider) = self.kind.settings(self.settings) else {
            return;
        };
        let reported = super::context::reported_context(
            &self.client,
            self.kind,
            &provider.base_url,
            &self.model,
            provider.api_key.as_ref(),
        )
        .await;
        if let Some(tokens) = reported {
            log::info!(
                "{} reports a context of {tokens} tokens for {}; the prompt is fitted to it",
                self.kind.name(),
                self.model
            );
            self.context_tokens = tokens;
        }
    }

    fn usage(&self) -> TokenUsage {
        *lock(&self.usage)
    }

    fn warnings(&self) -> Vec<String> {
        lock(&self.warnings).clone()
    }

    /// The evidence budget in tokens: `llm.evidence_token_budget`, less when a small
    /// `llm.context_tokens` leaves no room for it beside the instructions and the reply.
    fn evidence_budget(&self) -> usize {
        let llm = &self.settings.llm;
        if self.context_tokens == 0 {
            return llm.evidence_token_budget;
        }
        let room = self
            .context_tokens
            .saturating_sub(llm.max_output_tokens)
            .saturating_sub(PROMPT_OVERHEAD_TOKENS)
            .max(200);
        llm.evidence_token_budget.min(room as usize)
    }

    /// Excerpts cut shorter when the context is small, so that more voices fit.
    fn excerpts(&self, corpus: &Corpus, segment: &Segment) -> Vec<Excerpt> {
        let mut excerpts = sample_evidence(corpus, segment, self.evidence_budget());
        let context = self.context_tokens;
        if context > 0 && context <= SMALL_CONTEXT_TOKENS {
            for excerpt in &mut excerpts {
                excerpt.text = cut_at_word(&excerpt.text, SMALL_CONTEXT_EXCERPT_CHARS).to_string();
            }
        }
        excerpts
    }

    fn target(&self) -> Target<'_> {
        let provider = self.kind.settings(self.settings).expect("LLM providers have settings");
        let needed = super::wire::context_tokens(self.evidence_budget(), self.settings.llm.max_output_tokens);
        Target {
            kind: self.kind,
            base_url: &provider.base_url,
            model: &self.model,
            api_key: provider.api_key.as_ref(),
            temperature: self.settings.llm.temperature,
            max_output_tokens: self.settings.llm.max_output_tokens,
            context_tokens: match self.context_tokens {
                0 => needed,
                known => needed.min(known),
            },
            schema: (!self.schema_refused.load(Ordering::SeqCst)).then_some(&self.schema),
        }
    }

    fn quirks(&self) -> openai::Quirks {
        *lock(&self.quirks)
    }

    /// One completion, after the HTTP layer's retries.
    async fn complete(&self, conversation: &Conversation) -> Result<Reply, Unwritten> {
        loop {
            let target = self.target();
            let quirks = self.quirks();
            let request = match self.kind {
                ProviderKind::OpenAi => openai::request(&target, conversation, quirks),
                ProviderKind::Anthropic => anthropic::request(&target, conversation),
                ProviderKind::Gemini => gemini::request(&target, conversation),
                ProviderKind::Ollama => ollama::request(&target, conversation),
                ProviderKind::Local => unreachable!("synthesize refuses the local provider"),
            }
            .map_err(|error| Unwritten { error, fatal: true })?;
            let failure = match http::post_json(&self.client, self.policy, &request, &self.pacing).await {
                Ok(body) => {
                    let reply = match self.kind {
                        ProviderKind::OpenAi => openai::reply(&body),
                        ProviderKind::Anthropic => anthropic::reply(&body),
                        ProviderKind::Gemini => gemini::reply(&body),
                        _ => ollama::reply(&body),
                    };
                    match reply {
                        Ok(reply) => {
                            lock(&self.usage).add(reply.usage);
                            return Ok(reply);
                        }
                        Err(detail) => Failure::BadReply(detail),
                    }
                }
                Err(failure) => failure,
            };
            if let Failure::Rejected { status, message, .. } = &failure
                && matches!(status, 400 | 422 | 501)
            {
                if target.schema.is_some() && refuses_schema(self.kind, message) {
                    // Several personas may learn this at once; warn once.
                    if !self.schema_refused.swap(true, Ordering::SeqCst) {
                        let warning = format!(
                            "{} refused the persona schema ({}); personas were asked for plain JSON instead: {}",
                            self.kind.name(),
                            schema_field(self.kind),
                            http::redact_key(self.kind, self.settings, message.clone())
                        );
                        log::warn!("{warning}");
                        lock(&self.warnings).push(warning);
                    }
                    continue;
                }
                if self.kind == ProviderKind::OpenAi
                    && let Some(adjusted) = quirks.adjusted_for(message)
                {
                    log::info!(
                        "openai model {} refused a request parameter; retrying with {adjusted:?}",
                        self.model
                    );
                    *lock(&self.quirks) = adjusted;
                    continue;
                }
            }
            let fatal = matches!(failure, Failure::Rejected { .. } | Failure::Unreachable { .. });
            return Err(Unwritten {
                error: http::failure_error(self.kind, &self.model, self.settings, failure),
                fatal,
            });
        }
    }

    fn error(&self, message: String) -> Error {
        Error::Provider {
            provider: self.kind.name().to_string(),
            message: http::redact_key(self.kind, self.settings, message),
        }
    }
}

/// The request field that carries the schema, as named in warnings.
fn schema_field(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::OpenAi => "response_format json_schema",
        ProviderKind::Anthropic => "a forced tool with input_schema",
        ProviderKind::Gemini => "generationConfig.responseSchema",
        ProviderKind::Ollama | ProviderKind::Local => "format",
    }
}

/// Whether a 400-class message refuses the structured-output field rather than something else.
fn refuses_schema(kind: ProviderKind, message: &str) -> bool {
    let text = message.to_ascii_lowercase();
    let words: &[&str] = match kind {
        ProviderKind::OpenAi => &["json_schema", "response_format", "schema"],
        ProviderKind::Anthropic => &["tool", "input_schema", "schema"],
        ProviderKind::Gemini => &["responseschema", "response_schema", "schema"],
        ProviderKind::Ollama | ProviderKind::Local => &["format", "schema"],
    };
    words.iter().any(|w| text.contains(w))
}

/// Why an attempt's persona was not kept.
enum Problem {
    Invalid(String),
    Ungrounded(GroundingStats),
}

/// Asks for one persona, asks once more with the reason when the reply is invalid or keeps no
/// grounded claim, and grounds it.
async fn write_persona(
    llm: &Llm<'_>,
    system: &str,
    corpus: &Corpus,
    segment: &Segment,
    position: (usize, usize),
    others: &[&[String]],
    progress: &dyn Progress,
) -> Result<Written, Unwritten> {
    let (index, total) = position;
    let which = format!("persona {} of {total}", index + 1);
    let excerpts = llm.excerpts(corpus, segment);
    if excerpts.is_empty() {
        return Err(Unwritten {
            error: Error::invalid(format!(
                "{which}: its participants ({}) have no utterances to write from",
                segment.participant_ids.join(", ")
            )),
            fatal: false,
        });
    }
    let mut conversation = Conversation::new(
        system.to_string(),
        user_prompt(corpus, segment, &excerpts, position, others),
    );
    let threshold = llm.settings.llm.claim_support_threshold;
    let mut problem = Problem::Invalid(String::new());
    for attempt in 0..2 {
        if attempt == 0 {
            progress.detail(
                Step::Synthesising,
                &format!("{which}: asking {}/{}", llm.kind.name(), llm.model),
            );
        }
        let reply = llm.complete(&conversation).await?;
        problem = match parse_persona(&reply.text) {
            Err(reason) => Problem::Invalid(with_truncation_hint(reason, &reply, llm.settings.llm.max_output_tokens)),
            Ok(draft) => {
                let grounded = ground(&draft, corpus, segment, &excerpts, threshold);
                if grounded.kept() > 0 {
                    return Ok(Written {
                        draft,
                        grounded,
                        reported_model: reply.model,
                    });
                }
                Problem::Ungrounded(grounded.stats)
            }
        };
        if attempt == 1 {
            break;
        }
        let (short, reason) = match &problem {
            Problem::Invalid(reason) if reply.truncated => ("reply cut off", reason.clone()),
            Problem::Invalid(reason) => ("invalid reply", reason.clone()),
            Problem::Ungrounded(stats) => (
                "nothing grounded",
                format!(
                    "no goal, pain point, motivation, behaviour or quote is supported by the excerpts it cites \
                     ({}); use the excerpts' own words and cite them",
                    describe_removals(*stats)
                ),
            ),
        };
        log::warn!(
            "{} model {} wrote an unusable {which} ({reason}); asking once more",
            llm.kind.name(),
            llm.model
        );
        progress.detail(Step::Synthesising, &format!("{which}: retrying: {short}"));
        let shown = if reply.text.trim().is_empty() {
            "(empty reply)".to_string()
        } else {
            reply.text.clone()
        };
        conversation.push_exchange(
            shown,
            format!("Your reply was not valid: {reason}. Reply with only the JSON object."),
        );
    }
    let message = match problem {
        Problem::Invalid(reason) => format!(
            "{} model {} wrote an invalid {which} twice: {reason}",
            llm.kind.name(),
            llm.model
        ),
        Problem::Ungrounded(stats) => format!(
            "{} model {} wrote {which} twice with no goal, pain point, motivation, behaviour or quote supported \
             by the evidence ({}); try another model",
            llm.kind.name(),
            llm.model,
            describe_removals(stats)
        ),
    };
    Err(Unwritten {
        error: llm.error(message),
        fatal: false,
    })
}

/// A cut-off reply is invalid for a reason the model cannot fix; say so.
fn with_truncation_hint(reason: String, reply: &Reply, max_output_tokens: u32) -> String {
    if reply.truncated {
        format!("{reason} (the reply was cut off at llm.max_output_tokens = {max_output_tokens})")
    } else {
        reason
    }
}

fn describe_removals(stats: GroundingStats) -> String {
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "removed {}, {}; dropped {}",
        plural(stats.quotes_removed, "ungrounded quote", "ungrounded quotes"),
        plural(
            stats.evidence_removed,
            "invalid evidence reference",
            "invalid evidence references"
        ),
        plural(
            stats.claims_dropped,
            "claim without evidence",
            "claims without evidence"
        )
    ) + &match stats.claims_unsupported {
        0 => String::new(),
        n => format!(" ({n} not supported by the excerpts they cite)"),
    }
}

/// A name not yet used in the run: a repeated name gets a distinguishing initial ("Sam Lee B.").
fn unique_name(name: &str, used: &mut BTreeSet<String>) -> String {
    if used.insert(name.to_lowercase()) {
        return name.to_string();
    }
    ('B'..='Z')
        .map(|initial| format!("{name} {initial}."))
        .chain((2..).map(|n| format!("{name} {n}")))
        .find(|candidate| used.insert(candidate.to_lowercase()))
        .expect("an unbounded sequence of candidates always has an unused one")
}

/// A content-derived id; the run replaces it with a fresh one when it stores the persona.
fn persona_id(provider: &str, model: &str, seed: u64, segment: &Segment) -> String {
    let mut hasher = Sha256::new();
    for part in [
        provider,
        model,
        &seed.to_string(),
        &segment.index.to_string(),
        &segment.participant_ids.join(","),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    IdKind::Persona.derived_id(&hex::encode(hasher.finalize()))
}

fn assemble(
    kind: ProviderKind,
    model: &str,
    seed: u64,
    segments: &[Segment],
    written: Vec<Outcome>,
) -> GenerationOutput {
    let mut output = GenerationOutput {
        personas: Vec::with_capacity(written.len()),
        provider: kind.name().to_string(),
        model: model.to_string(),
        warnings: Vec::new(),
        usage: TokenUsage::default(),
        grounding: GroundingStats::default(),
    };
    let mut names = BTreeSet::new();
    let total = segments.len();
    for (position, (segment, written)) in segments.iter().zip(written).enumerate() {
        let Written {
            draft,
            grounded,
            reported_model,
        } = match written {
            Outcome::Model(written) => written,
            Outcome::Fallback(mut persona, reason) => {
                persona.name = unique_name(&persona.name, &mut names);
                output.warnings.push(format!(
                    "persona {} of {total} ({}) was written by the local provider: {reason}",
                    position + 1,
                    persona.name
                ));
                output.personas.push(persona);
                continue;
            }
        };
        output.grounding.add(grounded.stats);
        let name = unique_name(&draft.name, &mut names);
        let which = format!("persona {} of {total} ({name})", position + 1);
        if grounded.stats != GroundingStats::default() {
            output
                .warnings
                .push(format!("{which}: {}", describe_removals(grounded.stats)));
        }
        if grounded.goals.is_empty()
            && grounded.pain_points.is_empty()
            && grounded.motivations.is_empty()
            && grounded.quotes.is_empty()
        {
            output.warnings.push(format!(
                "{which} has no goals, pain points or quotes supported by the evidence, only behaviours"
            ));
        }
        let mut demographics = segment.demographics.clone();
        for (key, value) in draft.demographics {
            let key = key.to_lowercase().replace([' ', '-'], "_");
            demographics.entry(key).or_insert(value);
        }
        output.personas.push(Persona {
            motivations: grounded.motivations,
            id: persona_id(kind.name(), model, seed, segment),
            name,
            title: draft.title,
            summary: draft.summary,
            demographics,
            goals: grounded.goals,
            pain_points: grounded.pain_points,
            behaviours: grounded.behaviours,
            quotes: grounded.quotes,
            participants: segment.participant_ids.clone(),
            segment_size: segment.participant_ids.len(),
            evidence: grounded.evidence,
            provider: kind.name().to_string(),
            model: reported_model.unwrap_or_else(|| model.to_string()),
            experiment_id: None,
            run_id: None,
            created_at: None,
            quality: None,
        });
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_get_a_distinguishing_initial() {
        let mut used = BTreeSet::new();
        assert_eq!(unique_name("Sam Lee", &mut used), "Sam Lee");
        assert_eq!(unique_name("sam lee", &mut used), "sam lee B.");
        assert_eq!(unique_name("Sam Lee", &mut used), "Sam Lee C.");
        assert_eq!(unique_name("Ana", &mut used), "Ana");
    }

    #[test]
    fn persona_ids_derive_from_provider_model_seed_and_segment() {
        let segment = Segment {
            index: 1,
            participant_ids: vec!["P1".into(), "P2".into()],
            top_terms: vec![],
            demographics: Default::default(),
            utterances: vec![],
        };
        let a = persona_id("openai", "m", 42, &segment);
        assert!(IdKind::Persona.matches(&a), "{a}");
        assert_eq!(a, persona_id("openai", "m", 42, &segment));
        assert_ne!(a, persona_id("openai", "m", 43, &segment));
        assert_ne!(a, persona_id("gemini", "m", 42, &segment));
    }

    #[test]
    fn the_synthesis_future_can_be_spawned() {
        fn assert_send<T: Send>(_: &T) {}
        let settings = Settings::default();
        let generation = GenerationSettings {
            count: 1,
            seed: 1,
            provider: "ollama".into(),
            model: None,
            options: Default::default(),
        };
        let corpus = Corpus::default();
        let future = synthesize(&settings, &generation, &corpus, &[], &crate::generate::NoProgress);
        assert_send(&future);
    }
}
