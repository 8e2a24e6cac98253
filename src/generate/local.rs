//! The `local` provider: builds one persona per segment from the participants' own words,
//! offline and deterministically. Every goal, pain point, behaviour and quote is a verbatim
//! sentence (or clause) of an utterance of the segment, recognised by cue patterns and chosen
//! for its overlap with the segment's distinctive terms; each carries evidence entries for its
//! speaker and for up to three other participants who said something similar.

use super::options::{self, GenerationOptions};
use super::providers::LOCAL_MODEL;
use super::text::{self, Cue};
use super::{GenerationOutput, GenerationSettings, GroundingStats, Segment, TokenUsage};
use crate::domain::{Corpus, Evidence, EvidenceField, IdKind, Persona};
use sha2::{Digest, Sha256};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::LazyLock;

/// Supporting evidence entries per claim, besides the speaker's own: everyone who said
/// something equivalent, up to this many.
const MAX_SUPPORT: usize = 8;
/// Top candidates of a list whose support (other participants saying the same) is counted.
const SUPPORT_COUNTED: usize = 60;
/// Utterances of a segment considered (they come most representative first).
const MAX_UTTERANCES_SCANNED: usize = 2_000;
/// Candidates kept per list before picking (best scores first).
const MAX_CANDIDATES: usize = 400;
/// A sentence supports a claim when their term sets overlap at least this much.
const SUPPORT_SIMILARITY: f64 = 0.3;
/// Attribute names that hold a participant's role, most specific first.
const ROLE_KEYS: &[&str] = &[
    "role",
    "job_title",
    "occupation",
    "job",
    "position",
    "profession",
    "title",
    "user_type",
    "persona",
    "segment",
];

#[rustfmt::skip]
const GIVEN_NAMES: &[&str] = &[
    "Maya", "Kwame", "Aiko", "Mateo", "Priya", "Lars", "Amara", "Chen", "Fatima", "Diego", "Ingrid", "Tariq",
    "Leilani", "Dmitri", "Zanele", "Hiroshi", "Camila", "Olu", "Siobhan", "Rahul", "Yasmin", "Tomasz", "Nia",
    "Javier", "Mei", "Kofi", "Elif", "Anders", "Lucia", "Arjun", "Noor", "Sione", "Hana", "Emeka", "Sofia", "Ravi",
    "Astrid", "Malik", "Ximena", "Jun", "Aisha", "Pedro", "Freya", "Kenji", "Zainab", "Luca", "Ama", "Oskar", "Leila",
    "Tenzin", "Chiara", "Bogdan", "Imani", "Rafael", "Sakura", "Yusuf", "Marisol", "Henrik", "Adaeze", "Minh",
    "Catalina", "Farhan", "Alana", "Wiremu",
];

#[rustfmt::skip]
const FAMILY_NAMES: &[&str] = &[
    "Okafor", "Tanaka", "Silva", "Patel", "Nguyen", "Kowalski", "Haddad", "Johansson", "Mensah", "García", "Kim",
    "Novak", "Rossi", "Ahmed", "O'Brien", "Kaur", "Müller", "Adeyemi", "Ivanova", "Hernández", "Sato", "Mbeki",
    "Costa", "Chaudhry", "Lindqvist", "Osei", "Moreau", "Park", "Khan", "Fernández", "Yilmaz", "Kuznetsov",
    "Nakamura", "Eze", "Larsen", "Santos", "Zhang", "Dubois", "Okonkwo", "Reyes", "Hashemi", "Andersen", "Bianchi",
    "Abara", "Takahashi", "Jovanović", "Castillo", "Mahlangu", "Wong", "Petrov", "Akhtar", "Nilsson", "Torres",
    "Banda", "Schmidt", "Liu", "Haile", "Gonzaga", "Mwangi", "Romero", "Sandoval", "Farah", "Kealoha", "Tupou",
];

/// Lowercase hex SHA-256 of a corpus's content (participants, attributes, utterances), the
/// basis of content-derived persona IDs.
pub fn corpus_digest(corpus: &Corpus) -> String {
    let mut hasher = Sha256::new();
    for p in &corpus.participants {
        hasher.update(b"P\0");
        hasher.update(p.id.as_bytes());
        for (k, v) in &p.attributes {
            hasher.update(b"\0A\0");
            hasher.update(k.as_bytes());
            hasher.update(b"\0");
            hasher.update(v.as_bytes());
        }
        hasher.update(b"\n");
    }
    for u in &corpus.utterances {
        hasher.update(b"U\0");
        hasher.update(u.participant_id.as_bytes());
        hasher.update(b"\0");
        hasher.update(corpus.source_path(u).as_bytes());
        hasher.update(b"\0");
        hasher.update(u.location.as_bytes());
        hasher.update(b"\0");
        hasher.update(u.text.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// The content-derived ID of the persona of segment `index` (same input, count and seed give
/// the same IDs).
pub fn persona_id(corpus_digest: &str, count: usize, seed: u64, index: usize) -> String {
    let digest = Sha256::digest(format!("{corpus_digest}:{count}:{seed}:{index}").as_bytes());
    IdKind::Persona.derived_id(&hex::encode(digest))
}

/// One persona per segment. Segments whose personas would be identical are merged (with a
/// warning), so that no persona is duplicated.
pub fn synthesize(corpus: &Corpus, segments: &[Segment], settings: &GenerationSettings) -> GenerationOutput {
    let mut warnings = Vec::new();
    if let Some(model) = settings.model.as_deref().filter(|m| *m != LOCAL_MODEL) {
        warnings.push(format!(
            "model {model:?} is ignored by provider local, which always uses {LOCAL_MODEL}"
        ));
    }
    let digest = corpus_digest(corpus);
    let options = options::parse(&settings.options);
    let mut segments: Vec<Segment> = segments.to_vec();
    merge_small_segments(corpus, &mut segments, &options, &mut warnings);
    loop {
        let personas = build_all(corpus, &segments, settings, &options, &digest);
        if let Some(weak) = weakest_below_minimum(&personas, &options) {
            let p = &personas[weak];
            warnings.push(format!(
                "segment {} ({} participant{}) was dropped: its persona had {} claim{} (goals, pain points, behaviours, motivations), fewer than min_claims {}",
                weak + 1,
                p.segment_size,
                if p.segment_size == 1 { "" } else { "s" },
                claim_count(p),
                if claim_count(p) == 1 { "" } else { "s" },
                options.min_claims
            ));
            segments.remove(weak);
            reindex(&mut segments);
            continue;
        }
        match first_duplicate(&personas) {
            Some((keep, merge)) => {
                warnings.push(format!(
                    "segments {} and {} gave identical personas and were merged",
                    keep + 1,
                    merge + 1
                ));
                let merged = segments.remove(merge);
                let target = &mut segments[keep];
                target.participant_ids.extend(merged.participant_ids);
                target.participant_ids.sort();
                target.utterances.extend(merged.utterances);
                reindex(&mut segments);
            }
            None => {
                return GenerationOutput {
                    personas,
                    provider: "local".into(),
                    model: LOCAL_MODEL.into(),
                    warnings,
                    usage: TokenUsage::default(),
                    grounding: GroundingStats::default(),
                };
            }
        }
    }
}

fn reindex(segments: &mut [Segment]) {
    for (index, segment) in segments.iter_mut().enumerate() {
        segment.index = index;
    }
}

/// Goals, pain points, behaviours and motivations of a persona.
pub fn claim_count(p: &Persona) -> usize {
    p.goals.len() + p.pain_points.len() + p.behaviours.len() + p.motivations.len()
}

/// The persona with the fewest claims among those below `min_claims` (the last on a tie), or
/// the one without a goal or pain point, unless it is the only persona left: a run never ends
/// empty-handed.
fn weakest_below_minimum(personas: &[Persona], options: &GenerationOptions) -> Option<usize> {
    if personas.len() <= 1 {
        return None;
    }
    personas
        .iter()
        .enumerate()
        .filter(|(_, p)| claim_count(p) < options.min_claims || (p.goals.is_empty() && p.pain_points.is_empty()))
        .min_by_key(|&(i, p)| (claim_count(p), std::cmp::Reverse(i)))
        .map(|(i, _)| i)
}

/// Share of a segment's participants whose every utterance is a non-answer ("N/A", "none").
fn non_answer_share(corpus: &Corpus, segment: &Segment) -> f64 {
    let mut answered: BTreeSet<&str> = BTreeSet::new();
    for &u in segment.utterances.iter().take(MAX_UTTERANCES_SCANNED) {
        let utterance = &corpus.utterances[u];
        if !text::is_non_answer(&utterance.text) {
            answered.insert(utterance.participant_id.as_str());
        }
    }
    let size = segment.participant_ids.len().max(1);
    1.0 - answered.len().min(size) as f64 / size as f64
}

/// Segments smaller than `min_segment_size`, or made mostly of participants who answered
/// nothing, are merged into the segment sharing most of their distinctive terms (the largest on
/// a tie), each decision written to the warnings.
fn merge_small_segments(
    corpus: &Corpus,
    segments: &mut Vec<Segment>,
    options: &GenerationOptions,
    warnings: &mut Vec<String>,
) {
    // Decided once on the segments as found, so that merging cannot cascade.
    let junk: Vec<Option<String>> = segments
        .iter()
        .map(|s| {
            if s.participant_ids.len() < options.min_segment_size {
                Some(format!(
                    "fewer than min_segment_size {} participants",
                    options.min_segment_size
                ))
            } else if non_answer_share(corpus, s) > 0.5 {
                Some("most of its participants gave only non-answers (N/A, none)".to_string())
            } else {
                None
            }
        })
        .collect();
    if junk.iter().all(Option::is_some) {
        return;
    }
    let kept: Vec<usize> = (0..segments.len()).filter(|&i| junk[i].is_none()).collect();
    let mut merged_into: Vec<(usize, usize)> = Vec::new();
    for (from, reason) in junk.iter().enumerate() {
        let Some(reason) = reason else { continue };
        let terms: BTreeSet<&String> = segments[from].top_terms.iter().collect();
        let into = *kept
            .iter()
            .max_by_key(|&&i| {
                let shared = segments[i].top_terms.iter().filter(|t| terms.contains(t)).count();
                (shared, segments[i].participant_ids.len(), std::cmp::Reverse(i))
            })
            .expect("a kept segment");
        let size = segments[from].participant_ids.len();
        warnings.push(format!(
            "segment {} ({size} participant{}) was merged into segment {}: {reason}",
            from + 1,
            if size == 1 { "" } else { "s" },
            into + 1
        ));
        merged_into.push((from, into));
    }
    for &(from, into) in &merged_into {
        let moved = std::mem::take(&mut segments[from].participant_ids);
        let utterances = std::mem::take(&mut segments[from].utterances);
        let target = &mut segments[into];
        target.participant_ids.extend(moved);
        target.participant_ids.sort();
        target.participant_ids.dedup();
        target.utterances.extend(utterances);
    }
    let mut index = 0;
    segments.retain(|_| {
        let keep = junk[index].is_none();
        index += 1;
        keep
    });
    reindex(segments);
}

fn build_all(
    corpus: &Corpus,
    segments: &[Segment],
    settings: &GenerationSettings,
    options: &GenerationOptions,
    digest: &str,
) -> Vec<Persona> {
    let mut names = NameBook::default();
    let shared = shared_sentences(corpus, segments);
    segments
        .iter()
        .map(|segment| {
            let id = persona_id(digest, settings.count, settings.seed, segment.index);
            build_persona(corpus, segment, settings.seed, id, &mut names, &shared, options)
        })
        .collect()
}

/// Sentences said word for word in more than one segment ("Sure, happy to help."): true of
/// everyone, so they do not represent any one persona as a quote.
fn shared_sentences(corpus: &Corpus, segments: &[Segment]) -> BTreeSet<String> {
    let mut first_segment: BTreeMap<String, usize> = BTreeMap::new();
    let mut shared = BTreeSet::new();
    for segment in segments {
        for &u in segment.utterances.iter().take(MAX_UTTERANCES_SCANNED) {
            for sentence in text::sentences(&corpus.utterances[u].text) {
                let key = comparable(sentence);
                match first_segment.get(&key) {
                    Some(&index) if index != segment.index => {
                        shared.insert(key);
                    }
                    Some(_) => {}
                    None => {
                        first_segment.insert(key, segment.index);
                    }
                }
            }
        }
    }
    shared
}

/// (earlier, later) indices of the first two personas with the same content.
fn first_duplicate(personas: &[Persona]) -> Option<(usize, usize)> {
    let same = |a: &Persona, b: &Persona| {
        a.demographics == b.demographics
            && a.goals == b.goals
            && a.pain_points == b.pain_points
            && a.behaviours == b.behaviours
            && a.motivations == b.motivations
            && a.quotes == b.quotes
    };
    for later in 1..personas.len() {
        for earlier in 0..later {
            if same(&personas[earlier], &personas[later]) {
                return Some((earlier, later));
            }
        }
    }
    None
}

/// Names and titles already given in this run.
#[derive(Default)]
struct NameBook {
    given: HashSet<usize>,
    family: HashSet<usize>,
    titles: HashSet<String>,
}

impl NameBook {
    fn name(&mut self, segment: &Segment, seed: u64) -> String {
        let mut hasher = Sha256::new();
        hasher.update(seed.to_le_bytes());
        for id in &segment.participant_ids {
            hasher.update(id.as_bytes());
            hasher.update(b"\0");
        }
        let digest = hasher.finalize();
        let pick =
            |bytes: &[u8], len: usize| (u64::from_le_bytes(bytes.try_into().expect("8 bytes")) % len as u64) as usize;
        let mut g = pick(&digest[0..8], GIVEN_NAMES.len());
        let mut f = pick(&digest[8..16], FAMILY_NAMES.len());
        // Probe for names not used yet (a run has at most 20 personas, far fewer than names).
        for _ in 0..GIVEN_NAMES.len() {
            if !self.given.contains(&g) {
                break;
            }
            g = (g + 1) % GIVEN_NAMES.len();
        }
        for _ in 0..FAMILY_NAMES.len() {
            if !self.family.contains(&f) {
                break;
            }
            f = (f + 1) % FAMILY_NAMES.len();
        }
        self.given.insert(g);
        self.family.insert(f);
        format!("{} {}", GIVEN_NAMES[g], FAMILY_NAMES[f])
    }

    /// A title from the strongest signal, unique within the run: the segment's role ("The
    /// Instructor"), qualified by its best key phrase when the role is taken; without a role,
    /// "The <Key Phrase> User" from the phrases its claims share, then single distinctive terms
    /// that are not generic words.
    fn title(&mut self, terms: &[String], role: Option<&str>, phrases: &[String], said: &BTreeSet<String>) -> String {
        let noun = role.map(title_case).unwrap_or_else(|| "User".to_string());
        let noun_words: HashSet<String> = noun.split_whitespace().map(str::to_lowercase).collect();
        let mut qualifiers: Vec<String> = phrases.iter().take(5).cloned().collect();
        // Terms the persona's own claims use come first: a title must be about what they say.
        let (grounded, ungrounded): (Vec<&String>, Vec<&String>) = terms
            .iter()
            .partition(|t| text::term_keys(t).iter().all(|k| said.contains(k)));
        qualifiers.extend(
            grounded
                .into_iter()
                .chain(ungrounded)
                .filter(|t| {
                    t.chars().count() >= 3
                        && !GENERIC_TITLE_WORDS.contains(&t.to_lowercase().as_str())
                        && !crate::quality::is_bare_qualifier(t)
                })
                .cloned(),
        );
        let mut candidates: Vec<String> = Vec::new();
        if role.is_some() {
            candidates.push(format!("The {noun}"));
        }
        for q in &qualifiers {
            if q.split_whitespace().any(|w| noun_words.contains(&w.to_lowercase())) {
                continue;
            }
            candidates.push(match role {
                Some(_) => format!("The {noun} ({})", q.to_lowercase()),
                None => format!("The {} {noun}", title_case(q)),
            });
        }
        for title in &candidates {
            if self.titles.insert(title.clone()) {
                return title.clone();
            }
        }
        // Every candidate is taken: number the title so that it stays unique.
        let base = candidates.into_iter().next().unwrap_or_else(|| format!("The {noun}"));
        let mut title = base.clone();
        let mut n = 2;
        while !self.titles.insert(title.clone()) {
            title = format!("{base} {n}");
            n += 1;
        }
        title
    }
}

/// Words that say nothing about who a segment is, never used alone in a title.
#[rustfmt::skip]
const GENERIC_TITLE_WORDS: &[&str] = &[
    "different", "better", "best", "acting", "actual", "real", "certain", "specific", "big", "small", "little",
    "long", "short", "high", "low", "full", "main", "major", "minor", "similar", "various", "personal", "likely",
    "extra", "easy", "free", "n/a", "yes", "lot", "kind", "record", "use", "user", "thing", "information", "info",
    "available", "possible", "important", "able", "sure", "like", "want", "need", "good", "great", "https",
    "http", "www", "com", "org", "github", "html", "hello", "thanks",
];

fn title_case(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A sentence (or clause) of one of the segment's utterances.
struct Candidate<'a> {
    utterance: usize,
    text: &'a str,
    keys: BTreeSet<String>,
    score: f64,
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count();
    shared as f64 / (a.len() + b.len() - shared) as f64
}

/// Prefers sentences of a readable length.
fn length_factor(words: usize) -> f64 {
    match words {
        0..=5 => 0.6,
        6..=35 => 1.0,
        _ => 0.7,
    }
}

fn build_persona(
    corpus: &Corpus,
    segment: &Segment,
    seed: u64,
    id: String,
    names: &mut NameBook,
    shared: &BTreeSet<String>,
    options: &GenerationOptions,
) -> Persona {
    let weights = term_weights(segment);
    let (mut by_cue, mut quotable) = claim_candidates(corpus, segment, &weights, shared, options);
    for list in by_cue.values_mut() {
        favour_shared_claims(corpus, list);
    }
    quotable.sort_by(candidate_order);

    // Claims never repeat each other; quotes prefer sentences not already used as claims.
    let (max_items, min_items) = options.detail_level.items();
    let mut claims = Chosen::default();
    let empty = Vec::new();
    let pool = |cue: Cue| by_cue.get(&cue).unwrap_or(&empty);
    let pick =
        |list: &[Candidate], chosen: &mut Chosen| pick_items(corpus, list, false, chosen, None, max_items, min_items);
    let goals = pick(pool(Cue::Goal), &mut claims);
    let pains = pick(pool(Cue::PainPoint), &mut claims);
    let habits = pick(pool(Cue::Behaviour), &mut claims);
    let motives = pick(pool(Cue::Motivation), &mut claims);
    let quotes = pick_items(
        corpus,
        &quotable,
        true,
        &mut Chosen::default(),
        Some(&claims),
        max_items,
        min_items,
    );

    let mut evidence = Vec::new();
    let mut field_items = |field: EvidenceField, pool: &[Candidate], picked: &[usize]| -> Vec<String> {
        picked
            .iter()
            .enumerate()
            .map(|(index, &c)| {
                push_evidence(corpus, field, index, pool, c, &mut evidence);
                pool[c].text.to_string()
            })
            .collect()
    };
    let goals = field_items(EvidenceField::Goals, pool(Cue::Goal), &goals);
    let pain_points = field_items(EvidenceField::PainPoints, pool(Cue::PainPoint), &pains);
    let behaviours = field_items(EvidenceField::Behaviours, pool(Cue::Behaviour), &habits);
    let motivations = field_items(EvidenceField::Motivations, pool(Cue::Motivation), &motives);
    let quotes = field_items(EvidenceField::Quotes, &quotable, &quotes);

    // A role reads as one: words, not a number range or a sentence.
    let role = role_key(&segment.demographics)
        .and_then(|k| segment.demographics.get(k))
        .filter(|v| !v.chars().any(|c| c.is_ascii_digit()) && (1..=4).contains(&v.split_whitespace().count()));
    let name = names.name(segment, seed);
    let claim_texts: Vec<&str> = goals
        .iter()
        .chain(&pain_points)
        .chain(&behaviours)
        .chain(&motivations)
        .chain(&quotes)
        .map(String::as_str)
        .collect();
    // A speaker's name (an addressee in a chat) says nothing about who the segment is.
    let speakers = speaker_keys(corpus);
    let phrases: Vec<String> = key_phrases(&claim_texts, &weights)
        .into_iter()
        .filter(|p| !names_speaker(p, &speakers))
        .collect();
    let terms: Vec<String> = segment
        .top_terms
        .iter()
        .filter(|t| !names_speaker(t, &speakers))
        .cloned()
        .collect();
    let said: BTreeSet<String> = claim_texts.iter().flat_map(|t| text::term_keys(t)).collect();
    let title = names.title(&terms, role.map(String::as_str), &phrases, &said);
    let summary = summary(corpus, segment, &terms, &phrases);
    Persona {
        motivations,
        id,
        name,
        title,
        summary,
        demographics: segment.demographics.clone(),
        goals,
        pain_points,
        behaviours,
        quotes,
        participants: segment.participant_ids.clone(),
        segment_size: segment.participant_ids.len(),
        evidence,
        provider: "local".into(),
        model: LOCAL_MODEL.into(),
        experiment_id: None,
        run_id: None,
        created_at: None,
        quality: None,
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
fn term_weights(segment: &Segment) -> BTreeMap<String, f64> {
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

fn candidate_order(a: &Candidate, b: &Candidate) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then(a.utterance.cmp(&b.utterance))
        .then_with(|| a.text.cmp(b.text))
}

/// Claim candidates per cue and quotable sentences of a segment. Each utterance is read in the
/// light of its question (survey column or the interviewer's last question); non-answers,
/// hedges, rhetoric and meta-talk never become claims or quotes.
fn claim_candidates<'a>(
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
    for &u in segment.utterances.iter().take(MAX_UTTERANCES_SCANNED) {
        let utterance = &corpus.utterances[u];
        if text::is_non_answer(&utterance.text) {
            continue;
        }
        let question = utterance.question.as_deref();
        let sentences = text::sentences(&utterance.text);
        let short_answer = sentences.len() <= text::SHORT_ANSWER_SENTENCES;
        for sentence in sentences {
            let sentence = without_addressee(without_greeting(sentence), &speakers);
            let sentence = without_greeting(sentence);
            let words = text::word_count(sentence);
            if !(4..=80).contains(&words) || text::is_hedge_or_meta(sentence) || text::is_markup(sentence) {
                continue;
            }
            let make = |span: &str| {
                let keys: BTreeSet<String> = text::term_keys(span).into_iter().collect();
                let score =
                    keys.iter().filter_map(|k| weights.get(k)).sum::<f64>() * length_factor(text::word_count(span));
                (keys, score)
            };
            let whole = make(sentence);
            if let Some((cue, at)) = text::classify_answer(sentence, question, short_answer) {
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

/// Sorts a list best first, where a claim that other participants of the segment also made
/// (a representative claim) beats one person's aside of the same distinctiveness.
fn favour_shared_claims(corpus: &Corpus, list: &mut [Candidate]) {
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

/// Phrases of two or three adjacent content words that recur in a persona's claims, best
/// first: weighted by the segment's term weights and how often they recur, then by length;
/// ties go to the phrase said first, never to the alphabet.
fn key_phrases(texts: &[&str], weights: &BTreeMap<String, f64>) -> Vec<String> {
    let mut found: Vec<(String, Vec<String>, usize)> = Vec::new(); // (surface, stems, first seen)
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut order = 0;
    for t in texts {
        for sentence in text::sentences(t) {
            // Runs of adjacent content words (a stopword breaks a run).
            let mut runs: Vec<Vec<(String, String)>> = vec![Vec::new()];
            for raw in sentence.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-')) {
                if raw.is_empty() {
                    continue;
                }
                let mut stem_surface = None;
                text::for_each_content_word(raw, |stem, surface| {
                    stem_surface.get_or_insert((stem.to_string(), surface.to_string()));
                });
                match stem_surface {
                    Some(pair) => runs.last_mut().expect("a run").push(pair),
                    None => runs.push(Vec::new()),
                }
            }
            for run in runs {
                for n in [3, 2] {
                    for window in run.windows(n) {
                        let stems: Vec<String> = window.iter().map(|(s, _)| s.clone()).collect();
                        // "anonymised anonymised" is a redaction mark, not a phrase.
                        if stems.iter().collect::<BTreeSet<_>>().len() < stems.len() {
                            continue;
                        }
                        let key = stems.join(" ");
                        let count = counts.entry(key).or_default();
                        if *count == 0 {
                            let surface = window.iter().map(|(_, w)| w.as_str()).collect::<Vec<_>>().join(" ");
                            found.push((surface, stems, order));
                            order += 1;
                        }
                        *count += 1;
                    }
                }
            }
        }
    }
    let mut ranked: Vec<(f64, usize, usize, String)> = found
        .into_iter()
        .filter_map(|(surface, stems, first)| {
            let weight: f64 = stems.iter().filter_map(|s| weights.get(s)).sum();
            let count = counts[&stems.join(" ")];
            (weight > 0.0 && count >= 2).then_some((weight * count as f64, stems.len(), first, surface))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    ranked.into_iter().map(|(_, _, _, surface)| surface).collect()
}

/// What was already picked, to keep out near-duplicates.
#[derive(Default)]
struct Chosen {
    keys: Vec<BTreeSet<String>>,
    texts: HashSet<String>,
}

impl Chosen {
    fn covers(&self, c: &Candidate) -> bool {
        self.texts.contains(&comparable(c.text)) || self.keys.iter().any(|k| text::repeats(k, &c.keys))
    }
}

fn comparable(text: &str) -> String {
    crate::domain::persona::normalise_whitespace(text).to_lowercase()
}

/// Picks up to `max_items` candidates (best first, preferring speakers not yet picked in this
/// list), skipping near-duplicates of what `chosen` holds. Candidates without distinctive terms
/// only fill the list up to `min_items`, and never when `scored_only`. Candidates `avoid` covers
/// are never picked.
fn pick_items(
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
    while picked.len() < max_items {
        let mut best: Option<(f64, usize)> = None;
        for (i, c) in pool[..considered].iter().enumerate() {
            let unscored = c.score <= 0.0;
            if picked.contains(&i) || (unscored && (scored_only || picked.len() >= min_items)) || chosen.covers(c) {
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
        *speakers
            .entry(corpus.utterances[c.utterance].participant_id.as_str())
            .or_default() += 1;
        picked.push(i);
    }
    picked
}

/// The speaker's own evidence entry for a claim, then up to `MAX_SUPPORT` entries from other
/// participants of the segment who said something similar.
fn push_evidence(
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

/// "Represents 42 of 120 participants (35%), mostly Field Sales Rep, age 26-40. They talk most
/// about route planning and client visits." A sentence about people and the phrases their
/// claims share (else their distinctive terms).
fn summary(corpus: &Corpus, segment: &Segment, terms: &[String], phrases: &[String]) -> String {
    let size = segment.participant_ids.len();
    let total = corpus.participants.len().max(size).max(1);
    let share = (size as f64 * 100.0 / total as f64).round();
    let role_key = role_key(&segment.demographics);
    let mut traits: Vec<String> = role_key
        .and_then(|k| segment.demographics.get(k))
        .cloned()
        .into_iter()
        .collect();
    for (key, value) in &segment.demographics {
        let label = key.strip_suffix("_range").unwrap_or(key).replace('_', " ");
        // A long label is a survey question, not a trait one can read in a sentence.
        if Some(key.as_str()) != role_key && label.chars().count() <= 30 {
            traits.push(format!("{label} {value}"));
        }
    }
    let mut out = format!(
        "Represents {size} of {total} participant{} ({share}%)",
        if total == 1 { "" } else { "s" }
    );
    if !traits.is_empty() {
        out.push_str(", mostly ");
        out.push_str(&traits.join(", "));
    }
    out.push('.');
    let mut themes: Vec<&str> = phrases.iter().take(2).map(String::as_str).collect();
    if themes.is_empty() {
        themes = terms
            .iter()
            .filter(|t| !GENERIC_TITLE_WORDS.contains(&t.to_lowercase().as_str()))
            .take(3)
            .map(String::as_str)
            .collect();
    }
    match themes.as_slice() {
        [] => {}
        [one] => out.push_str(&format!(" They talk most about {one}.")),
        [init @ .., last] => out.push_str(&format!(" They talk most about {} and {last}.", init.join(", "))),
    }
    out
}

/// A speaker label compared as a word: lower case, without the digits and underscores chat
/// clients append ("ActionParsnip1" is "actionparsnip").
fn speaker_key(label: &str) -> String {
    label
        .to_lowercase()
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == '_')
        .to_string()
}

/// The participants' ids as words (at least three letters: "P1" or a row number is no name).
fn speaker_keys(corpus: &Corpus) -> BTreeSet<String> {
    corpus
        .participants
        .iter()
        .map(|p| speaker_key(&p.id))
        .filter(|k| k.chars().count() >= 3)
        .collect()
}

/// Whether a term or phrase holds a participant's name.
fn names_speaker(term: &str, speakers: &BTreeSet<String>) -> bool {
    term.split_whitespace().any(|w| speakers.contains(&speaker_key(w)))
}

/// A chat line without the name of the participant it addresses ("jim_p: firefox is still
/// crashing" says "firefox is still crashing").
fn without_addressee<'t>(sentence: &'t str, speakers: &BTreeSet<String>) -> &'t str {
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
fn without_greeting(sentence: &str) -> &str {
    static GREETING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\W*(?:hi|hello|hey|hiya|howdy)(?:\s+(?:all|there|guys|everyone|everybody|folks))?\b[\s,!.:;-]*")
            .expect("greeting pattern")
    });
    match GREETING.find(sentence) {
        Some(m) if m.end() < sentence.len() => &sentence[m.end()..],
        _ => sentence,
    }
}

/// The demographics key holding the role, if any.
/// An exact role key first; else a key naming a role among its words ("what_is_your_primary_role").
fn role_key(demographics: &BTreeMap<String, String>) -> Option<&str> {
    const ROLE_WORDS: &[&str] = &["role", "occupation", "profession", "job", "position"];
    ROLE_KEYS
        .iter()
        .find_map(|k| demographics.get_key_value(*k).map(|(k, _)| k.as_str()))
        .or_else(|| {
            demographics
                .keys()
                .find(|k| {
                    k.split(|c: char| !c.is_alphanumeric())
                        .any(|w| ROLE_WORDS.contains(&w.to_lowercase().as_str()))
                })
                .map(String::as_str)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::persona::normalise_whitespace;
    use crate::domain::{Participant, Utterance};

    fn corpus() -> Corpus {
        let said: &[(&str, &str, &[&str])] = &[
            (
                "P1",
                "Nurse",
                &[
                    "I want to swap shifts on the rota from my phone. Thanks for having me.",
                    "I want to see ward bed availability during the night shift.",
                    "It's really frustrating when the rota is published too late for childcare.",
                    "Every morning I check the clinic schedule before the ward round.",
                ],
            ),
            (
                "P2",
                "Nurse",
                &[
                    "I'd like to swap rota shifts from my phone without the ward manager.",
                    "The biggest problem is that handover notes on the ward are on paper.",
                    "I usually print the clinic schedule for the ward.",
                ],
            ),
            (
                "P3",
                "Nurse",
                &[
                    "My goal is to hand over ward patients quickly at shift change.",
                    "Honestly it is annoying that the rota changes every week without notice.",
                    "I always write handover notes in a pocket notebook on the ward.",
                ],
            ),
        ];
        let mut corpus = Corpus::default();
        let mut line = 1;
        for (id, role, texts) in said {
            corpus.participants.push(Participant {
                id: id.to_string(),
                attributes: [("role".to_string(), role.to_string())].into_iter().collect(),
            });
            for t in *texts {
                line += 1;
                corpus.utterances.push(Utterance {
                    question: None,
                    participant_id: id.to_string(),
                    source: 0,
                    location: format!("line {line}"),
                    text: t.to_string(),
                });
            }
        }
        corpus.sources.push(crate::domain::SourceFile {
            path: "interviews.csv".into(),
            format: "csv".into(),
            bytes: 0,
            sha256: String::new(),
            participants: 3,
            utterances: 10,
        });
        corpus
    }

    fn segment(corpus: &Corpus) -> Segment {
        Segment {
            index: 0,
            participant_ids: vec!["P1".into(), "P2".into(), "P3".into()],
            top_terms: vec!["ward".into(), "rota".into(), "shift".into(), "handover".into()],
            demographics: [("role".to_string(), "Nurse".to_string())].into_iter().collect(),
            utterances: (0..corpus.utterances.len()).collect(),
        }
    }

    fn settings() -> GenerationSettings {
        GenerationSettings {
            count: 1,
            seed: 42,
            provider: "local".into(),
            model: None,
            options: Default::default(),
        }
    }

    #[test]
    fn claims_are_verbatim_and_evidenced() {
        let corpus = corpus();
        let out = synthesize(&corpus, &[segment(&corpus)], &settings());
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        let p = &out.personas[0];
        assert_eq!(p.goals.len(), 3, "{:?}", p.goals);
        assert_eq!(p.pain_points.len(), 3, "{:?}", p.pain_points);
        assert_eq!(p.behaviours.len(), 3, "{:?}", p.behaviours);
        assert!(
            p.quotes
                .iter()
                .all(|q| !p.goals.contains(q) && !p.pain_points.contains(q))
        );
        assert!(p.unevidenced_claims().is_empty());
        let all_text: Vec<String> = corpus
            .utterances
            .iter()
            .map(|u| normalise_whitespace(&u.text))
            .collect();
        for e in &p.evidence {
            assert!(
                all_text.iter().any(|t| t.contains(&normalise_whitespace(&e.excerpt))),
                "{e:?}"
            );
            assert_eq!(e.source, "interviews.csv");
        }
        assert!(p.goals.iter().all(|g| !g.contains("Thanks for having me")));
        assert_eq!(p.title, "The Nurse");
        assert!(
            p.summary
                .starts_with("Represents 3 of 3 participants (100%), mostly Nurse."),
            "{}",
            p.summary
        );
        assert_eq!(p.provider, "local");
        assert_eq!(p.model, LOCAL_MODEL);
        assert!(IdKind::Persona.matches(&p.id));
        assert_eq!(p.segment_size, 3);
        // Supporting evidence from other participants who said something similar.
        let swap = p
            .goals
            .iter()
            .position(|g| g.contains("swap rota shifts"))
            .expect("swap goal");
        let supporters: BTreeSet<&str> = p
            .evidence
            .iter()
            .filter(|e| e.field == EvidenceField::Goals && e.index == swap)
            .map(|e| e.participant_id.as_str())
            .collect();
        assert_eq!(supporters, ["P1", "P2"].into_iter().collect(), "{:?}", p.evidence);
    }

    #[test]
    fn output_is_deterministic_and_ids_depend_on_seed() {
        let corpus = corpus();
        let a = synthesize(&corpus, &[segment(&corpus)], &settings());
        assert_eq!(a, synthesize(&corpus, &[segment(&corpus)], &settings()));
        let mut other = settings();
        other.seed = 7;
        assert_ne!(
            a.personas[0].id,
            synthesize(&corpus, &[segment(&corpus)], &other).personas[0].id
        );
    }

    #[test]
    fn identical_personas_are_merged_with_a_warning() {
        let corpus = corpus();
        let mut first = segment(&corpus);
        first.participant_ids = vec!["P1".into()];
        let mut second = first.clone();
        second.index = 1;
        second.participant_ids = vec!["P2".into()];
        let out = synthesize(&corpus, &[first, second], &settings());
        assert_eq!(out.personas.len(), 1);
        assert_eq!(out.personas[0].participants, vec!["P1", "P2"]);
        assert!(out.warnings[0].contains("merged"), "{:?}", out.warnings);
    }

    #[test]
    fn names_and_titles_are_unique_within_a_run() {
        let mut book = NameBook::default();
        let corpus = corpus();
        let s = segment(&corpus);
        let names: HashSet<String> = (0..20).map(|_| book.name(&s, 1)).collect();
        assert_eq!(names.len(), 20);
        let titles: HashSet<String> = (0..6)
            .map(|_| book.title(&s.top_terms, Some("nurse"), &[], &BTreeSet::new()))
            .collect();
        assert_eq!(titles.len(), 6);
        assert!(GIVEN_NAMES.len() >= 60 && FAMILY_NAMES.len() >= 60);
    }

    #[test]
    fn answers_are_read_in_the_light_of_their_question() {
        let mut corpus = corpus();
        let asked = "What do you like about the rota app?";
        for (id, text) in [
            ("P1", "It never crashes when I swap ward shifts at night."),
            ("P2", "I love that open night shifts show up at a glance."),
        ] {
            corpus.utterances.push(Utterance {
                question: Some(asked.into()),
                participant_id: id.into(),
                source: 0,
                location: "row 9".into(),
                text: text.into(),
            });
        }
        let out = synthesize(&corpus, &[segment(&corpus)], &settings());
        let p = &out.personas[0];
        assert!(
            p.motivations.iter().any(|m| m.contains("at a glance")),
            "{:?}",
            p.motivations
        );
        assert!(
            !p.pain_points.iter().any(|m| m.contains("never crashes")),
            "{:?}",
            p.pain_points
        );
        let motivation_evidence: Vec<&Evidence> = p
            .evidence
            .iter()
            .filter(|e| e.field == EvidenceField::Motivations)
            .collect();
        assert!(!motivation_evidence.is_empty());
        assert!(motivation_evidence.iter().all(|e| e.question.as_deref() == Some(asked)));
    }

    #[test]
    fn detail_level_sets_the_claims_per_list() {
        let corpus = corpus();
        let mut brief = settings();
        brief.options.insert("detail_level".into(), "brief".into());
        let p = &synthesize(&corpus, &[segment(&corpus)], &brief).personas[0];
        assert!(p.goals.len() <= 3 && p.pain_points.len() <= 3 && p.quotes.len() <= 3);
        assert_eq!(p.goals.len(), 3, "{:?}", p.goals);
        let mut simple = settings();
        simple.options.insert("complexity".into(), "simple".into());
        let long = "We hand over patients at the ward desk every morning while the night staff write the \
                    rota changes on a whiteboard that nobody photographs, so by lunch the details are gone.";
        let mut c = corpus.clone();
        c.utterances[0].text = long.into();
        let p = &synthesize(&c, &[segment(&c)], &simple).personas[0];
        assert!(
            !p.behaviours.iter().any(|b| b.contains("whiteboard")),
            "{:?}",
            p.behaviours
        );
        let p = &synthesize(&c, &[segment(&c)], &settings()).personas[0];
        assert!(
            p.behaviours.iter().any(|b| b.contains("whiteboard")),
            "{:?}",
            p.behaviours
        );
    }

    #[test]
    fn personas_below_the_minimum_claims_are_dropped_with_a_warning() {
        let mut corpus = corpus();
        for (id, text) in [
            ("P4", "Sunshine over the harbour today."),
            ("P5", "Sunshine and harbour boats today."),
        ] {
            corpus.participants.push(Participant {
                id: id.into(),
                attributes: Default::default(),
            });
            corpus.utterances.push(Utterance {
                question: None,
                participant_id: id.into(),
                source: 0,
                location: "row 20".into(),
                text: text.into(),
            });
        }
        let chatter = Segment {
            index: 1,
            participant_ids: vec!["P4".into(), "P5".into()],
            top_terms: vec!["harbour".into(), "sunshine".into()],
            demographics: Default::default(),
            utterances: vec![corpus.utterances.len() - 2, corpus.utterances.len() - 1],
        };
        let out = synthesize(&corpus, &[segment(&corpus), chatter], &settings());
        assert_eq!(out.personas.len(), 1);
        assert!(
            out.warnings
                .iter()
                .any(|w| w.contains("segment 2") && w.contains("dropped") && w.contains("min_claims")),
            "{:?}",
            out.warnings
        );
    }

    #[test]
    fn llm_excerpts_are_ranked_claim_candidates_first_without_non_answers() {
        let mut corpus = corpus();
        corpus.utterances.insert(
            0,
            Utterance {
                question: None,
                participant_id: "P1".into(),
                source: 0,
                location: "line 1".into(),
                text: "N/A".into(),
            },
        );
        let mut s = segment(&corpus);
        s.utterances = (0..corpus.utterances.len()).collect();
        let order = rank_claim_utterances(&corpus, &s);
        assert!(!order.contains(&0), "{order:?}");
        assert_eq!(order.len(), corpus.utterances.len() - 1);
        let first = &corpus.utterances[order[0]].text;
        assert!(first.contains("ward") || first.contains("rota"), "{first}");
    }

    #[test]
    fn model_other_than_local_is_reported() {
        let corpus = corpus();
        let mut s = settings();
        s.model = Some("gpt-4o".into());
        let out = synthesize(&corpus, &[segment(&corpus)], &s);
        assert!(out.warnings[0].contains("ignored"), "{:?}", out.warnings);
    }
}

#[cfg(test)]
mod shared_sentence_tests {
    use super::*;
    use crate::domain::{Participant, Utterance};

    #[test]
    fn sentences_said_in_several_segments_are_not_quotes() {
        let filler = "Sure, I am happy to help with your ward rota research today.";
        let texts = [
            ("P1", "I want to swap ward rota shifts from my phone at night."),
            ("P1", filler),
            ("P2", filler),
            ("P2", "The ward rota is published far too late for my childcare plans."),
        ];
        let mut corpus = Corpus::default();
        for id in ["P1", "P2"] {
            corpus.participants.push(Participant {
                id: id.into(),
                attributes: Default::default(),
            });
        }
        for (i, (id, text)) in texts.iter().enumerate() {
            corpus.utterances.push(Utterance {
                question: None,
                participant_id: id.to_string(),
                source: 0,
                location: format!("line {}", i + 2),
                text: text.to_string(),
            });
        }
        let segments: Vec<Segment> = [vec![0, 1], vec![2, 3]]
            .into_iter()
            .enumerate()
            .map(|(index, utterances)| Segment {
                index,
                participant_ids: vec![format!("P{}", index + 1)],
                top_terms: vec!["ward".into(), "rota".into(), "research".into()],
                demographics: Default::default(),
                utterances,
            })
            .collect();
        let shared = shared_sentences(&corpus, &segments);
        assert_eq!(shared.len(), 1);
        assert!(shared.contains(&comparable(filler)));
        let mut names = NameBook::default();
        let persona = build_persona(
            &corpus,
            &segments[0],
            1,
            "persona-1".into(),
            &mut names,
            &shared,
            &GenerationOptions::default(),
        );
        assert!(!persona.quotes.iter().any(|q| q == filler), "{:?}", persona.quotes);
        let unshared = build_persona(
            &corpus,
            &segments[0],
            1,
            "persona-2".into(),
            &mut names,
            &BTreeSet::new(),
            &GenerationOptions::default(),
        );
        assert!(
            unshared.quotes.iter().any(|q| q == filler),
            "without the check it would be quoted"
        );
    }
}
