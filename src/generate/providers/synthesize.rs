//! Writing personas with an LLM: the local segmentation has decided who belongs to each
//! persona; the model writes each persona from a sample of its segment's evidence, one request
//! per persona, several at once; the reply is parsed, retried once if invalid, and grounded.

use super::grounding::{Grounded, ground};
use super::http::{self, Failure, RetryPolicy};
use super::parse::{DraftPersona, parse_persona};
use super::prompt::{sample_evidence, system_prompt, user_prompt};
use super::wire::{Conversation, Reply, Target};
use super::{ProviderKind, anthropic, gemini, ollama, openai, resolve};
use crate::config::Settings;
use crate::domain::{Corpus, IdKind, Persona};
use crate::error::Error;
use crate::generate::{GenerationOutput, GenerationSettings, GroundingStats, Progress, Segment, Step, TokenUsage};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

/// How often a run waiting on the model checks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(200);

/// Writes one persona per segment with the LLM provider named in `generation`, in segment order.
///
/// Fails (naming provider, model and reason) when a request fails after its retries, when the
/// model's reply is invalid twice, or when a persona keeps no claim at all after grounding;
/// returns `Error::Cancelled` soon after `progress.cancelled()` turns true.
pub async fn synthesize(
    settings: &Settings,
    generation: &GenerationSettings,
    corpus: &Corpus,
    segments: &[Segment],
    progress: &dyn Progress,
) -> Result<GenerationOutput, Error> {
    let kind = resolve(&generation.provider, settings)?;
    if kind == ProviderKind::Local {
        return Err(Error::invalid(
            "provider local writes personas without a language model; it has its own synthesiser",
        ));
    }
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
    if progress.cancelled() {
        return Err(Error::Cancelled);
    }
    let llm = Llm::new(kind, settings, &model)?;
    let total = segments.len();
    let system = system_prompt();
    let llm = &llm;
    let system = system.as_str();
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
                let written = write_persona(llm, system, corpus, segment, (position, total), &others).await;
                (position, written)
            }
        })
        .collect();
    let mut in_flight = futures_util::stream::iter(jobs).buffer_unordered(settings.llm.concurrency.max(1));
    let mut written: Vec<Option<Written>> = (0..total).map(|_| None).collect();
    let mut done = 0;
    let mut cancel_check = tokio::time::interval(CANCEL_POLL);
    loop {
        tokio::select! {
            next = in_flight.next() => {
                let Some((position, result)) = next else { break };
                written[position] = Some(result?);
                done += 1;
                progress.step(Step::Synthesising, &format!("writing persona {done} of {total} with {}", kind.name()));
            }
            _ = cancel_check.tick() => {
                if progress.cancelled() {
                    return Err(Error::Cancelled);
                }
            }
        }
    }
    let written: Vec<Written> = written.into_iter().flatten().collect();
    Ok(assemble(kind, &model, generation.seed, segments, written))
}

/// One persona's result before the run-wide assembly.
struct Written {
    draft: DraftPersona,
    grounded: Grounded,
    reported_model: Option<String>,
    usage: TokenUsage,
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
        })
    }

    fn target(&self) -> Target<'_> {
        let provider = self.kind.settings(self.settings).expect("LLM providers have settings");
        Target {
            kind: self.kind,
            base_url: &provider.base_url,
            model: &self.model,
            api_key: provider.api_key.as_ref(),
            temperature: self.settings.llm.temperature,
            max_output_tokens: self.settings.llm.max_output_tokens,
            context_tokens: super::wire::context_tokens(
                self.settings.llm.evidence_token_budget,
                self.settings.llm.max_output_tokens,
            ),
        }
    }

    fn quirks(&self) -> openai::Quirks {
        *self.quirks.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// One completion, after the HTTP layer's retries.
    async fn complete(&self, conversation: &Conversation) -> Result<Reply, Error> {
        loop {
            let target = self.target();
            let quirks = self.quirks();
            let request = match self.kind {
                ProviderKind::OpenAi => openai::request(&target, conversation, quirks)?,
                ProviderKind::Anthropic => anthropic::request(&target, conversation)?,
                ProviderKind::Gemini => gemini::request(&target, conversation)?,
                ProviderKind::Ollama => ollama::request(&target, conversation)?,
                ProviderKind::Local => unreachable!("synthesize refuses the local provider"),
            };
            let failure = match http::post_json(&self.client, self.policy, &request).await {
                Ok(body) => {
                    let reply = match self.kind {
                        ProviderKind::OpenAi => openai::reply(&body),
                        ProviderKind::Anthropic => anthropic::reply(&body),
                        ProviderKind::Gemini => gemini::reply(&body),
                        _ => ollama::reply(&body),
                    };
                    match reply {
                        Ok(reply) => return Ok(reply),
                        Err(detail) => Failure::BadReply(detail),
                    }
                }
                Err(failure) => failure,
            };
            if let Failure::Rejected {
                status: 400, message, ..
            } = &failure
                && self.kind == ProviderKind::OpenAi
                && let Some(adjusted) = quirks.adjusted_for(message)
            {
                log::info!(
                    "openai model {} refused a request parameter; retrying with {adjusted:?}",
                    self.model
                );
                *self.quirks.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = adjusted;
                continue;
            }
            return Err(http::failure_error(self.kind, &self.model, self.settings, failure));
        }
    }

    fn error(&self, message: String) -> Error {
        Error::Provider {
            provider: self.kind.name().to_string(),
            message: http::redact_key(self.kind, self.settings, message),
        }
    }
}

/// Asks for one persona, retries once with the reason when the reply is invalid, and grounds it.
async fn write_persona(
    llm: &Llm<'_>,
    system: &str,
    corpus: &Corpus,
    segment: &Segment,
    position: (usize, usize),
    others: &[&[String]],
) -> Result<Written, Error> {
    let (index, total) = position;
    let which = format!("persona {} of {total}", index + 1);
    let excerpts = sample_evidence(corpus, segment, llm.settings.llm.evidence_token_budget);
    if excerpts.is_empty() {
        return Err(Error::invalid(format!(
            "{which}: its participants ({}) have no utterances to write from",
            segment.participant_ids.join(", ")
        )));
    }
    let mut conversation = Conversation::new(
        system.to_string(),
        user_prompt(corpus, segment, &excerpts, position, others),
    );
    let mut usage = TokenUsage::default();
    let first = llm.complete(&conversation).await?;
    usage.add(first.usage);
    let (draft, reply) = match parse_persona(&first.text) {
        Ok(draft) => (draft, first),
        Err(reason) => {
            let reason = with_truncation_hint(reason, &first, llm.settings.llm.max_output_tokens);
            log::warn!(
                "{} model {} wrote an invalid {which} ({reason}); asking once more",
                llm.kind.name(),
                llm.model
            );
            let shown = if first.text.trim().is_empty() {
                "(empty reply)".to_string()
            } else {
                first.text.clone()
            };
            conversation.push_exchange(
                shown,
                format!("Your reply was not valid: {reason}. Reply with only the JSON object."),
            );
            let second = llm.complete(&conversation).await?;
            usage.add(second.usage);
            match parse_persona(&second.text) {
                Ok(draft) => (draft, second),
                Err(reason) => {
                    let reason = with_truncation_hint(reason, &second, llm.settings.llm.max_output_tokens);
                    return Err(llm.error(format!(
                        "{} model {} wrote an invalid {which} twice: {reason}",
                        llm.kind.name(),
                        llm.model
                    )));
                }
            }
        }
    };
    let grounded = ground(&draft, corpus, segment, &excerpts);
    let kept = grounded.goals.len() + grounded.pain_points.len() + grounded.behaviours.len() + grounded.quotes.len();
    if kept == 0 {
        return Err(llm.error(format!(
            "{} model {} wrote {which} with no goal, pain point, behaviour or quote supported by the \
             evidence ({}); try another model",
            llm.kind.name(),
            llm.model,
            describe_removals(grounded.stats)
        )));
    }
    Ok(Written {
        draft,
        grounded,
        reported_model: reply.model,
        usage,
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
    )
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
    written: Vec<Written>,
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
            usage,
        } = written;
        output.usage.add(usage);
        output.grounding.add(grounded.stats);
        let name = unique_name(&draft.name, &mut names);
        let which = format!("persona {} of {total} ({name})", position + 1);
        if grounded.stats != GroundingStats::default() {
            output
                .warnings
                .push(format!("{which}: {}", describe_removals(grounded.stats)));
        }
        if grounded.goals.is_empty() && grounded.pain_points.is_empty() && grounded.quotes.is_empty() {
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
            motivations: Vec::new(),
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
