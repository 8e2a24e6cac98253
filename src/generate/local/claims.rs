//! Claim candidates of the local provider: every sentence of a segment read in the light of its
//! question, ranked by the segment's distinctive terms and by how many participants said the
//! same, picked without repeats, with the evidence of everyone who said something equivalent.

use super::answers;
use super::names::{speaker_key, speaker_keys};
use super::narrative;
use crate::domain::{Corpus, Evidence, EvidenceField};
use crate::generate::options::GenerationOptions;
use crate::generate::types::Segment;
use crate::quality::claim_text::{self as text, Cue};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::LazyLock;

/// Supporting evidence entries per claim, besides the speaker's own: everyone who said
/// something equivalent, up to this many.
pub(super) const MAX_SUPPORT: usize = 8;

/// Top candidates of a list whose support (other participants saying the same) is counted.
pub(super) const SUPPORT_COUNTED: usize = 60;

/// Utterances of a segment considered (they come most representative first).
pub(super) const MAX_UTTERANCES_SCANNED: usize = 2_000;

/// Candidates kept per list before picking (best scores first).
pub(super) const MAX_CANDIDATES: usize = 400;

/// A sentence supports a claim when their term sets overlap at least this much.
pub(super) const SUPPORT_SIMILARITY: f64 = 0.3;

/// A sentence (or clause) of one of the segment's utterances.
pub(super) struct Candidate<'a> {
    pub(super) utterance: usize,
    pub(super) text: &'a str,
    pub(super) keys: BTreeSet<String>,
    pub(super) score: f64,
}

pub(super) fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// Prefers sentences of a readable length.
pub(super) fn length_factor(words: usize) -> f64 {
    match words {
        0..=5 => 0.6,
        6..=35 => 1.0,
        _ => 0.7,
    }
}

/// The segment's utterances in the order the local provider values them as evidence: those
/// holding a claim candidate first (best-ranked candidate first, representative claims ahead of
/// asides), then the others in representative order; non-answers are left out. LLM prompts
/// sample their excerpts in this order, so the model is given the same claim candidates.
pub fn rank_claim_utterances(corpus: &Corpus, segment: &Segment) -> Vec<usize> {
    let weights = term_weights(segment);
    let (mut by_cue, _) = claim_candidates(
        corpus,
        segment,
        &weights,
        &BTreeSet::new(),
        &GenerationOptions::default(),
    );
    let mut ranked: Vec<(f64, usize)> = Vec::new();
    for list in by_cue.values_mut() {
        favour_shared_claims(corpus, list);
        ranked.extend(list.iter().map(|c| (c.score, c.utterance)));
    }
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut seen: HashSet<usize> = HashSet::new();
    let mut order: Vec<usize> = ranked.into_iter().map(|(_, u)| u).filter(|u| seen.insert(*u)).collect();
    order.extend(segment.utterances.iter().copied().filter(|u| {
        corpus
            .utterances
            .get(*u)
            .is_some_and(|utterance| !text::is_non_answer(&utterance.text))
            && seen.insert(*u)
    }));
    order
}

/// The segment's distinctive terms (stems), weighted by rank.
pub(super) fn term_weights(segment: &Segment) -> BTreeMap<String, f64> {
    segment
        .top_terms
        .iter()
        .enumerate()
        .filter_map(|(rank, term)| {
            text::term_keys(term)
                .into_iter()
                .next()
                .map(|k| (k, 1.0 / (1.0 + rank as f64 / 5.0)))
        })
        .collect()
}

pub(super) fn candidate_order(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then(a.utterance.cmp(&b.utterance))
        .then_with(|| a.text.cmp(b.text))
}

/// Claim candidates per cue and quotable sentences of a segment. Each utterance is read in the
/// light of its question (survey column or the interviewer's last question); non-answers,
/// hedges, rhetoric and meta-talk never become claims or quotes.
pub(super) fn claim_candidates<'a>(
    corpus: &'a Corpus,
    segment: &Segment,
    weights: &BTreeMap<String, f64>,
    shared: &BTreeSet<String>,
    options: &GenerationOptions,
) -> (BTreeMap<Cue, Vec<Candidate<'a>>>, Vec<Candidate<'a>>) {
    let max_claim_words = options.complexity.max_claim_words();
    let speakers = speaker_keys(corpus);
    let mut by_cue: BTreeMap<Cue, Vec<Candidate>> = BTreeMap::new();
    let mut quotable: Vec<Candidate> = Vec::new();
    let scanned = || segment.utterances.iter().take(MAX_UTTERANCES_SCANNED);
    let english = answers::mostly_english(scanned().map(|&u| corpus.utterances[u].text.as_str()));
    // Read once, when a transcript is met.
    let mut reader: Option<narrative::TranscriptReader> = None;
    for &u in scanned() {
        let utterance = &corpus.utterances[u];
        let question = utterance.question.as_deref();
        let structured = answers::is_structured(corpus, utterance);
        // An answer about who they are is background, not a claim.
        if text::is_non_answer(&utterance.text) || (structured && question.is_some_and(answers::asks_who_they_are)) {
            continue;
        }
        let transcript = narrative::is_transcript(corpus, utterance);
        let (sentences, short_answer) = answer_sentences(&utterance.text, structured);
        for sentence in sentences {
            let Some((sentence, addressed)) = spoken_part(sentence, &speakers, structured, english) else {
                continue;
            };
            let words = text::word_count(sentence);
            if !(4..=80).contains(&words) || text::is_hedge_or_meta(sentence) || text::is_markup(sentence) {
                continue;
            }
            let voice = if transcript {
                let reader = reader.get_or_insert_with(|| narrative::TranscriptReader::new(corpus));
                match reader.admit(sentence, addressed) {
                    Some(voice) => Some(voice),
                    None => continue,
                }
            } else {
                None
            };
            let make = |span: &str| {
                let keys: BTreeSet<String> = text::term_keys(span).into_iter().collect();
                let score = keys.iter().filter_map(|k| weights.get(k)).sum::<f64>()
                    * length_factor(text::word_count(span))
                    * voice.map_or(1.0, |v| narrative::voice_weight(span, v));
                (keys, score)
            };
            let whole = make(sentence);
            // A past incident is a claim or quote only when it says itself what went wrong or
            // was wanted ("I couldn't find the export"), not a life story.
            let told = voice != Some(narrative::Voice::Past)
                || matches!(text::classify(sentence), Some((Cue::PainPoint | Cue::Goal, _)));
            let classified = text::classify_answer(sentence, question, short_answer);
            let classified = match structured {
                true => answers::refile(sentence, classified),
                false => classified,
            };
            if let Some((cue, at)) = classified.filter(|_| told) {
                let span = text::claim_span_within(sentence, at, max_claim_words);
                // A claim far longer than the complexity allows, with no clause to cut to, is left out.
                if text::word_count(span) > max_claim_words + max_claim_words / 2 {
                    continue;
                }
                let (keys, score) = if span.len() == sentence.len() {
                    whole.clone()
                } else {
                    make(span)
                };
                by_cue.entry(cue).or_default().push(Candidate {
                    utterance: u,
                    text: span,
                    keys,
                    score,
                });
            }
            let (keys, score) = whole;
            if (6..=40).contains(&words)
                && told
                && score > 0.0
                && !text::is_question(sentence)
                && !shared.contains(&comparable(sentence))
            {
                quotable.push(Candidate {
                    utterance: u,
                    text: sentence,
                    keys,
                    score,
                });
            }
        }
    }
    (by_cue, quotable)
}

/// An utterance's sentences, and whether it is a short answer (counted before a structured
/// answer is cut at its line breaks: a line break in an answer or a record separates points,
/// headings and fields).
fn answer_sentences(text: &str, structured: bool) -> (Vec<&str>, bool) {
    let sentences = text::sentences(text);
    let short_answer = sentences.len() <= text::SHORT_ANSWER_SENTENCES;
    if !structured {
        return (sentences, short_answer);
    }
    let lines = sentences
        .into_iter()
        .flat_map(str::lines)
        .flat_map(answers::run_on_parts)
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    (lines, short_answer)
}

/// A sentence without its greeting and addressee (and whether it had one), and for a structured
/// answer its claim part; `None` when a structured answer holds no claim.
fn spoken_part<'a>(
    sentence: &'a str,
    speakers: &BTreeSet<String>,
    structured: bool,
    english: bool,
) -> Option<(&'a str, bool)> {
    let greeted = without_greeting(sentence);
    let unaddressed = without_addressee(greeted, speakers);
    let addressed = unaddressed.len() != greeted.len();
    let sentence = without_greeting(unaddressed);
    if structured {
        answers::claim_part(sentence, english).map(|part| (part, addressed))
    } else {
        Some((sentence, addressed))
    }
}

/// Sorts a list best first, where a claim that other participants of the segment also made
/// (a representative claim) beats one person's aside of the same distinctiveness.
pub(super) fn favour_shared_claims(corpus: &Corpus, list: &mut [Candidate]) {
    list.sort_by(candidate_order);
    let counted = list.len().min(SUPPORT_COUNTED);
    let compared = list.len().min(MAX_CANDIDATES * 4);
    let boosts: Vec<f64> = (0..counted)
        .map(|i| {
            let own = &list[i];
            let speaker = corpus.utterances[own.utterance].participant_id.as_str();
            let others: BTreeSet<&str> = list[..compared]
                .iter()
                .filter(|c| jaccard(&own.keys, &c.keys) >= SUPPORT_SIMILARITY)
                .map(|c| corpus.utterances[c.utterance].participant_id.as_str())
                .filter(|&p| p != speaker)
                .collect();
            1.0 + 0.5 * others.len().min(4) as f64
        })
        .collect();
    for (c, boost) in list.iter_mut().zip(boosts) {
        c.score *= boost;
    }
    list.sort_by(candidate_order);
}

/// What was already picked, to keep out near-duplicates.
#[derive(Default)]
pub(super) struct Chosen {
    keys: Vec<BTreeSet<String>>,
    texts: HashSet<String>,
}

impl Chosen {
    fn covers(&self, c: &Candidate) -> bool {
        self.texts.contains(&comparable(c.text)) || self.keys.iter().any(|k| text::repeats(k, &c.keys))
    }
}

pub(super) fn comparable(text: &str) -> String {
    crate::domain::persona::normalise_whitespace(text).to_lowercase()
}

/// Picks up to `max_items` candidates (best first, preferring speakers not yet picked in this
/// list), skipping near-duplicates of what `chosen` holds. Candidates without distinctive terms
/// only fill the list up to `min_items`, and never when `scored_only`. Candidates `avoid` covers
/// are never picked.
pub(super) fn pick_items(
    corpus: &Corpus,
    pool: &[Candidate],
    scored_only: bool,
    chosen: &mut Chosen,
    avoid: Option<&Chosen>,
    max_items: usize,
    min_items: usize,
) -> Vec<usize> {
    let considered = pool.len().min(MAX_CANDIDATES);
    let mut picked: Vec<usize> = Vec::new();
    let mut speakers: BTreeMap<&str, u32> = BTreeMap::new();
    // A record's title and body say the same thing: one claim per record.
    let mut records: BTreeSet<(&str, usize, &str)> = BTreeSet::new();
    let record = |c: &Candidate| {
        let u = &corpus.utterances[c.utterance];
        answers::record_of(u).map(|r| (u.participant_id.as_str(), u.source, r))
    };
    while picked.len() < max_items {
        let mut best: Option<(f64, usize)> = None;
        for (i, c) in pool[..considered].iter().enumerate() {
            let unscored = c.score <= 0.0;
            if picked.contains(&i)
                || (unscored && (scored_only || picked.len() >= min_items))
                || chosen.covers(c)
                || record(c).is_some_and(|r| records.contains(&r))
            {
                continue;
            }
            let speaker = corpus.utterances[c.utterance].participant_id.as_str();
            let repeats = speakers.get(speaker).copied().unwrap_or(0);
            // Scored candidates beat unscored ones; repeated speakers and avoided texts lose.
            let effective = if unscored {
                -1.0
            } else {
                c.score * 0.6f64.powi(repeats as i32)
            };
            // A quote that repeats a claim adds nothing: it is never picked.
            if avoid.is_some_and(|a| a.covers(c)) {
                continue;
            }
            if best.is_none_or(|(b, _)| effective > b) {
                best = Some((effective, i));
            }
        }
        let Some((_, i)) = best else { break };
        let c = &pool[i];
        chosen.texts.insert(comparable(c.text));
        chosen.keys.push(c.keys.clone());
        records.extend(record(c));
        *speakers
            .entry(corpus.utterances[c.utterance].participant_id.as_str())
            .or_default() += 1;
        picked.push(i);
    }
    picked
}

/// The speaker's own evidence entry for a claim, then up to `MAX_SUPPORT` entries from other
/// participants of the segment who said something similar.
pub(super) fn push_evidence(
    corpus: &Corpus,
    field: EvidenceField,
    index: usize,
    pool: &[Candidate],
    claim: usize,
    evidence: &mut Vec<Evidence>,
) {
    let entry = |c: &Candidate| {
        let utterance = &corpus.utterances[c.utterance];
        Evidence {
            question: utterance.question.clone(),
            field,
            index,
            participant_id: utterance.participant_id.clone(),
            source: corpus.source_path(utterance).to_string(),
            location: utterance.location.clone(),
            excerpt: c.text.to_string(),
        }
    };
    let own = &pool[claim];
    evidence.push(entry(own));
    let mut supporters: Vec<(f64, usize)> = pool
        .iter()
        .enumerate()
        .take(MAX_CANDIDATES * 4)
        .filter(|&(i, c)| {
            i != claim
                && corpus.utterances[c.utterance].participant_id != corpus.utterances[own.utterance].participant_id
        })
        .map(|(i, c)| (jaccard(&own.keys, &c.keys), i))
        .filter(|&(similarity, _)| similarity >= SUPPORT_SIMILARITY)
        .collect();
    supporters.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    seen.insert(corpus.utterances[own.utterance].participant_id.as_str());
    for (_, i) in supporters {
        let speaker = corpus.utterances[pool[i].utterance].participant_id.as_str();
        if seen.insert(speaker) {
            evidence.push(entry(&pool[i]));
            if seen.len() > MAX_SUPPORT {
                break;
            }
        }
    }
}

/// A chat line without the name of the participant it addresses ("jim_p: firefox is still
/// crashing" says "firefox is still crashing").
pub(super) fn without_addressee<'t>(sentence: &'t str, speakers: &BTreeSet<String>) -> &'t str {
    let trimmed = sentence.trim_start();
    let Some(end) = trimmed.find([':', ',']) else {
        return sentence;
    };
    let (name, rest) = trimmed.split_at(end);
    let is_name = !name.contains(char::is_whitespace) && speakers.contains(&speaker_key(name));
    let rest = rest[1..].trim_start();
    if is_name && !rest.is_empty() { rest } else { sentence }
}

/// A chat line without its greeting ("hi all, I have this problem …" says "I have this problem …").
pub(super) fn without_greeting(sentence: &str) -> &str {
    static GREETING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^\W*(?:hi|hello|hey|hiya|howdy)(?:\s+(?:all|there|guys|everyone|everybody|folks))?\b[\s,!.:;-]*",
        )
        .expect("greeting pattern")
    });
    match GREETING.find(sentence) {
        Some(m) if m.end() < sentence.len() => &sentence[m.end()..],
        _ => sentence,
    }
}
