//! The `local` provider: builds one persona per segment from the participants' own words,
//! offline and deterministically. Every goal, pain point, behaviour and quote is a verbatim
//! sentence (or clause) of an utterance of the segment, recognised by cue patterns and chosen
//! for its overlap with the segment's distinctive terms; each carries evidence entries for its
//! speaker and for up to three other participants who said something similar.

use crate::domain::{Corpus, EvidenceField, IdKind, Persona};
use crate::generate::options::{self, GenerationOptions};
use crate::generate::providers::kind::LOCAL_MODEL;
use crate::generate::types::{GenerationOutput, GenerationSettings, GroundingStats, Segment, TokenUsage};
use crate::quality::claim_text::{self as text, Cue};
use crate::quality::soundness::MIN_SOUNDNESS;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

mod answers;
mod claims;
mod gist;
mod names;
mod narrative;

pub use claims::rank_claim_utterances;
use claims::*;
use names::*;

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
/// warning), so that no persona is duplicated. Personas a research team would not use (too few
/// claims, no goal or pain point, unsound) are dropped with a warning, even the last one: a run
/// may end with no persona, and says why. Lowering `min_claims` or `min_segment_size` below its
/// default asks for every persona however thin, and then the last one is always kept.
pub fn synthesize(corpus: &Corpus, segments: &[Segment], settings: &GenerationSettings) -> GenerationOutput {
    let keep_last = options::parse(&settings.options).asks_for_every_persona();
    synthesize_keeping(corpus, segments, settings, keep_last)
}

/// The local persona of one segment, however thin (the fallback of an LLM run for a segment
/// whose reply was unusable: the segment was already chosen).
pub fn synthesize_segment(corpus: &Corpus, segment: &Segment, settings: &GenerationSettings) -> Persona {
    synthesize_keeping(corpus, std::slice::from_ref(segment), settings, true)
        .personas
        .into_iter()
        .next()
        .expect("one segment kept gives one persona")
}

fn synthesize_keeping(
    corpus: &Corpus,
    segments: &[Segment],
    settings: &GenerationSettings,
    keep_last: bool,
) -> GenerationOutput {
    let mut warnings = Vec::new();
    if let Some(model) = settings.model.as_deref().filter(|m| *m != LOCAL_MODEL) {
        warnings.push(format!(
            "model {model:?} is ignored by provider local, which always uses {LOCAL_MODEL}"
        ));
    }
    warn_if_not_english(corpus, &mut warnings);
    let digest = corpus_digest(corpus);
    let options = options::parse(&settings.options);
    let mut segments: Vec<Segment> = segments.to_vec();
    merge_small_segments(corpus, &mut segments, &options, &mut warnings);
    loop {
        let personas = build_all(corpus, &segments, settings, &options, &digest);
        if let Some(weak) = weakest_below_minimum(&personas, &options, keep_last) {
            let p = &personas[weak];
            let claims = claim_count(p);
            let reason = if claims < options.min_claims {
                format!(
                    "it had {claims} claim{} (goals, pain points, behaviours, motivations), fewer than min_claims {}",
                    if claims == 1 { "" } else { "s" },
                    options.min_claims
                )
            } else {
                "it had no goal and no pain point".to_string()
            };
            warnings.push(format!("{} was dropped: {reason}", described(p)));
            segments.remove(weak);
            reindex(&mut segments);
            continue;
        }
        if let Some((unsound, factor, findings)) =
            least_sound(&personas, &options, keep_last, corpus.participants.len())
        {
            warnings.push(format!(
                "{} was dropped: its claims are unsound (soundness {factor:.3}, below {MIN_SOUNDNESS:.2}: {})",
                described(&personas[unsound]),
                findings.join("; ")
            ));
            segments.remove(unsound);
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

/// Warns when most of the corpus is not English: the cue words the local provider sorts claims
/// by are English-only, so its lists may be misfiled (an LLM provider reads any language).
fn warn_if_not_english(corpus: &Corpus, warnings: &mut Vec<String>) {
    let (english, sampled) = narrative::english_sample(corpus);
    if sampled > 0 && english * 2 < sampled {
        warnings.push(format!(
            "only {english} of {sampled} utterances sampled read as English: provider local sorts claims by English cue words, so goals, pain points, behaviours and motivations may be misfiled; use an LLM provider for text in other languages"
        ));
    }
}

/// A persona as a drop warning names it: its title and how many participants it stood for.
fn described(p: &Persona) -> String {
    format!(
        "the persona '{}' ({} participant{})",
        p.title,
        p.segment_size,
        if p.segment_size == 1 { "" } else { "s" }
    )
}

fn reindex(segments: &mut [Segment]) {
    for (index, segment) in segments.iter_mut().enumerate() {
        segment.index = index;
    }
}

/// Goals, pain points, behaviours and motivations of a persona.
pub fn claim_count(p: &Persona) -> usize {
    p.claims().count()
}

/// The persona with the fewest claims among those below `min_claims` (the last on a tie), or
/// the one without a goal or pain point, unless it is the only persona left and `keep_last`.
fn weakest_below_minimum(personas: &[Persona], options: &GenerationOptions, keep_last: bool) -> Option<usize> {
    if personas.is_empty() || (keep_last && personas.len() == 1) {
        return None;
    }
    personas
        .iter()
        .enumerate()
        .filter(|(_, p)| claim_count(p) < options.min_claims || (p.goals.is_empty() && p.pain_points.is_empty()))
        .min_by_key(|&(i, p)| (claim_count(p), std::cmp::Reverse(i)))
        .map(|(i, _)| i)
}

/// The least sound persona below [`MIN_SOUNDNESS`] (the last on a tie), its factor and findings,
/// unless it is the only persona left and `keep_last`. A run whose `min_claims` or
/// `min_segment_size` is below the default asked for every persona, however thin, so nothing is
/// dropped for soundness.
fn least_sound(
    personas: &[Persona],
    options: &GenerationOptions,
    keep_last: bool,
    participants_in_data: usize,
) -> Option<(usize, f64, Vec<String>)> {
    if personas.is_empty() || (keep_last && personas.len() == 1) || options.asks_for_every_persona() {
        return None;
    }
    personas
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (factor, findings) = crate::quality::soundness::shown_factor(p, participants_in_data);
            (i, factor, findings)
        })
        .filter(|(_, factor, _)| *factor < MIN_SOUNDNESS)
        .min_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
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

    let name = names.name(segment, seed);
    let claim_texts: Vec<&str> = goals
        .iter()
        .chain(&pain_points)
        .chain(&behaviours)
        .chain(&motivations)
        .chain(&quotes)
        .map(String::as_str)
        .collect();
    let gist = gist::gist(&goals, &pain_points, &motivations);
    let (title, summary) = names.title_and_summary(corpus, segment, &claim_texts, &weights, gist.as_deref());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::persona::normalise_whitespace;
    use crate::domain::{Evidence, Participant, Utterance};
    use std::collections::HashSet;

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

    pub(super) fn settings() -> GenerationSettings {
        GenerationSettings {
            count: 1,
            seed: 42,
            provider: "local".into(),
            model: None,
            options: Default::default(),
        }
    }

    /// Settings that ask for every persona however thin (`min_claims` 1): the last is kept.
    fn thin_settings() -> GenerationSettings {
        let mut settings = settings();
        settings.options.insert("min_claims".into(), 1.into());
        settings
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
        let out = synthesize(&corpus, &[first, second], &thin_settings());
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
        let out = synthesize(&corpus, &[segment(&corpus), chatter.clone()], &settings());
        assert_eq!(out.personas.len(), 1);
        assert!(
            out.warnings
                .iter()
                .any(|w| w.contains("(2 participants) was dropped") && w.contains("min_claims")),
            "{:?}",
            out.warnings
        );
        // Alone, the chatter gives no persona at all, and says why.
        let alone = synthesize(&corpus, std::slice::from_ref(&chatter), &settings());
        assert!(alone.personas.is_empty(), "{:?}", alone.personas);
        assert_eq!(alone.warnings.len(), 1, "{:?}", alone.warnings);
        assert!(
            alone.warnings[0].contains("fewer than min_claims 2"),
            "{:?}",
            alone.warnings
        );
        // Unless every persona is asked for, or it is an LLM run's fallback for that segment.
        assert_eq!(
            synthesize(&corpus, std::slice::from_ref(&chatter), &thin_settings())
                .personas
                .len(),
            1
        );
        assert_eq!(
            synthesize_segment(&corpus, &chatter, &settings()).participants,
            ["P4", "P5"]
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

    #[test]
    fn chat_lines_lose_greetings_and_addressees_and_no_title_names_a_speaker() {
        let mut corpus = Corpus::default();
        let said = [
            (
                "jim_p",
                "ActionParsnip1: hi, I can't mount the samba share from my laptop.",
            ),
            ("ActionParsnip", "jim_p: I want to mount the samba share at boot."),
            ("mara", "hey all, the samba share keeps dropping when I copy big files."),
            ("jim_p", "ActionParsnip: I use the samba share for backups every night."),
        ];
        for (line, (id, text)) in said.iter().enumerate() {
            if !corpus.participants.iter().any(|p| p.id == *id) {
                corpus.participants.push(Participant {
                    id: id.to_string(),
                    attributes: BTreeMap::new(),
                });
            }
            corpus.utterances.push(Utterance {
                question: None,
                participant_id: id.to_string(),
                source: 0,
                location: format!("line {}", line + 1),
                text: text.to_string(),
            });
        }
        corpus.sources.push(crate::domain::SourceFile {
            path: "chat.txt".into(),
            format: "text".into(),
            bytes: 0,
            sha256: String::new(),
            participants: 3,
            utterances: 4,
        });
        let segment = Segment {
            index: 0,
            participant_ids: vec!["ActionParsnip".into(), "jim_p".into(), "mara".into()],
            top_terms: vec!["actionparsnip1".into(), "samba".into(), "share".into()],
            demographics: BTreeMap::new(),
            utterances: (0..corpus.utterances.len()).collect(),
        };
        let p = &synthesize_segment(&corpus, &segment, &settings());
        let claims: Vec<&String> = p.goals.iter().chain(&p.behaviours).chain(&p.quotes).collect();
        assert_eq!(claims.len(), 3, "{p:?}");
        for claim in claims {
            let lower = claim.to_lowercase();
            assert!(
                !lower.starts_with("actionparsnip") && !lower.starts_with("jim_p") && !lower.starts_with("h"),
                "{claim}"
            );
        }
        assert!(!p.title.to_lowercase().contains("parsnip"), "{}", p.title);
        assert!(!p.summary.to_lowercase().contains("parsnip"), "{}", p.summary);
    }

    #[test]
    fn unsound_personas_are_dropped_even_the_last_unless_thin_ones_are_asked_for() {
        let corpus = corpus();
        let sound = synthesize(&corpus, &[segment(&corpus)], &settings()).personas.remove(0);
        let mut unsound = sound.clone();
        unsound.goals.truncate(1);
        unsound.pain_points.clear();
        unsound.behaviours.clear();
        unsound.motivations.truncate(1);
        unsound.segment_size = 1;
        unsound.evidence.retain(|e| e.index == 0 && e.participant_id == "P1");
        let defaults = GenerationOptions::default();
        assert_eq!(least_sound(std::slice::from_ref(&sound), &defaults, false, 3), None);
        assert_eq!(
            least_sound(std::slice::from_ref(&unsound), &defaults, false, 3).map(|(i, ..)| i),
            Some(0),
            "the last persona goes too"
        );
        assert_eq!(
            least_sound(std::slice::from_ref(&unsound), &defaults, true, 3),
            None,
            "unless the last one is kept"
        );
        let both = [sound, unsound];
        let thin_allowed = GenerationOptions {
            min_claims: 1,
            ..GenerationOptions::default()
        };
        assert_eq!(
            least_sound(&both, &thin_allowed, false, 3),
            None,
            "min_claims 1 asks for every persona"
        );
        let (index, factor, findings) = least_sound(&both, &defaults, false, 3).expect("the unsound one");
        assert_eq!(index, 1);
        assert!(factor < MIN_SOUNDNESS, "{factor}");
        assert!(findings.iter().any(|f| f == "Rests on one participant"), "{findings:?}");
    }

    #[test]
    fn resting_on_one_participant_is_not_held_against_a_persona_of_data_with_one_participant() {
        let corpus = corpus();
        let mut alone = synthesize(&corpus, &[segment(&corpus)], &settings()).personas.remove(0);
        alone.segment_size = 1;
        alone.evidence.retain(|e| e.participant_id == "P1");
        let (among_many, many_findings) = crate::quality::soundness::shown_factor(&alone, 3);
        let (sole, sole_findings) = crate::quality::soundness::shown_factor(&alone, 1);
        let rests = "Rests on one participant".to_string();
        assert!(many_findings.contains(&rests), "{many_findings:?}");
        assert!(!sole_findings.contains(&rests), "{sole_findings:?}");
        assert!(
            (sole - (among_many / 0.7).min(1.0)).abs() < 1e-9,
            "{sole} vs {among_many}"
        );
    }

    #[test]
    fn text_mostly_not_in_english_is_warned_about() {
        let mut corpus = corpus();
        let portuguese = [
            "Vou clicar aqui em selecionar projetos.",
            "Não tem nenhuma issue ali, podemos passar pra próxima.",
            "Tentei comparar o ID da issue com o ID do criador.",
            "Deixa eu pensar se tem alguma coisa pra falar aqui.",
            "Imagino que seria na aba de commits, selecionar o repositório.",
            "Usuários listados, mas ele quer uma issue agora.",
            "Aí vamos botar aqui, maio de 2025, e filtrar a data.",
            "Selecione um usuário e diga pela qual issue ele é responsável.",
            "Clicar em exportar e selecionar o formato JSON.",
            "Mas tem uma dúvida sobre o número de issues resolvidas.",
            "Acho que podemos ir pra próxima tarefa agora mesmo.",
        ];
        for (i, t) in portuguese.iter().enumerate() {
            corpus.utterances.push(Utterance {
                question: None,
                participant_id: "P3".into(),
                source: 0,
                location: format!("line {}", 100 + i),
                text: t.to_string(),
            });
        }
        let out = synthesize(&corpus, &[segment(&corpus)], &settings());
        assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
        assert!(
            out.warnings[0].starts_with("only 10 of 21 utterances sampled read as English"),
            "{:?}",
            out.warnings
        );
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

#[cfg(test)]
mod transcript_tests {
    use super::tests::settings;
    use super::*;
    use crate::domain::{Participant, SourceFile, Utterance};

    /// One segment of three speakers saying `said` (speaker, text, question) in a source of `format`.
    fn corpus_of(format: &str, said: &[(&str, &str, Option<&str>)]) -> (Corpus, Segment) {
        let mut corpus = Corpus::default();
        for (line, (id, text, question)) in said.iter().enumerate() {
            if !corpus.participants.iter().any(|p| p.id == *id) {
                corpus.participants.push(Participant {
                    id: id.to_string(),
                    attributes: BTreeMap::new(),
                });
            }
            corpus.utterances.push(Utterance {
                question: question.map(String::from),
                participant_id: id.to_string(),
                source: 0,
                location: format!("line {}", line + 1),
                text: text.to_string(),
            });
        }
        corpus.sources.push(SourceFile {
            path: format!("sessions.{format}"),
            format: format.into(),
            bytes: 0,
            sha256: String::new(),
            participants: 3,
            utterances: said.len(),
        });
        let segment = Segment {
            index: 0,
            participant_ids: corpus.participants.iter().map(|p| p.id.clone()).collect(),
            top_terms: vec!["export".into(), "report".into(), "rota".into(), "spreadsheet".into()],
            demographics: BTreeMap::new(),
            utterances: (0..corpus.utterances.len()).collect(),
        };
        (corpus, segment)
    }

    const TASK: &str = "Task 3: select a report and export the rota to a spreadsheet.";

    fn said() -> Vec<(&'static str, &'static str, Option<&'static str>)> {
        vec![
            (
                "ana",
                "I need to export the rota report to a spreadsheet every week.",
                None,
            ),
            (
                "ana",
                "Select a report and export the rota to a spreadsheet.",
                Some(TASK),
            ),
            (
                "bo",
                "So my manager ran the rota report export and then she left.",
                None,
            ),
            (
                "bo",
                "Last week I tried to print the monthly rota and the browser crashed twice.",
                None,
            ),
            ("bo", "ana: try the export button on the report page instead.", None),
            (
                "cy",
                "I think the rota report export in other tools is the industry standard.",
                None,
            ),
            (
                "cy",
                "We usually share the weekly rota with night nurses on Fridays.",
                None,
            ),
            (
                "cy",
                "In 2012 I was the first to run the rota report export in the spreadsheet.",
                None,
            ),
        ]
    }

    fn claims_and_quotes(p: &Persona) -> Vec<&str> {
        p.goals
            .iter()
            .chain(&p.pain_points)
            .chain(&p.behaviours)
            .chain(&p.motivations)
            .chain(&p.quotes)
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn transcript_claims_are_the_speakers_own_needs_practices_and_incidents() {
        let (corpus, segment) = corpus_of("text", &said());
        let p = &synthesize_segment(&corpus, &segment, &settings());
        let all = claims_and_quotes(p);
        for left_out in [
            "Select a report",
            "my manager ran",
            "try the export button",
            "I think the rota",
            "In 2012 I was",
        ] {
            assert!(!all.iter().any(|c| c.contains(left_out)), "{left_out:?} in {all:?}");
        }
        assert!(p.goals.iter().any(|g| g.starts_with("I need to export")), "{p:?}");
        assert!(p.behaviours.iter().any(|b| b.starts_with("We usually share")), "{p:?}");
        assert!(
            p.pain_points.iter().any(|c| c.starts_with("Last week I tried")),
            "{p:?}"
        );
    }

    #[test]
    fn words_used_as_verbs_are_told_from_nouns() {
        let verbs = verb_keys(&[
            "I want to find a forum for programming.",
            "I can't find the reason for the panics.",
            "The install failed and my install is broken.",
            "I install it again.",
        ]);
        assert!(verbs.contains("find"), "{verbs:?}");
        assert!(
            !verbs.contains("install"),
            "two uses as a noun, one as a verb: {verbs:?}"
        );
    }

    #[test]
    fn survey_answers_are_not_read_as_transcripts() {
        let (corpus, segment) = corpus_of("csv", &said());
        let p = &synthesize_segment(&corpus, &segment, &settings());
        let all = claims_and_quotes(p);
        assert!(all.iter().any(|c| c.contains("my manager ran")), "{all:?}");
    }
}
