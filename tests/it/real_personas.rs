//! Personas a research team would use, on every dataset of the real corpus (`tests/data/real/`):
//! enough claims, no questions or hedges as claims, no pain point answering a question about what
//! works, distinct titles that say something, byte-identical reruns, only personas a researcher
//! accepts shown (or no persona, with the reasons, where the researcher agrees nothing is usable),
//! and scores that agree with the researcher's judgements (`tests/data/real/judgements.toml`:
//! `--preset strict` passes the accepted personas and fails the rejected ones, among every
//! candidate of a run that asks for all of them).

use crate::support::real_corpus::{real_corpus_root, real_datasets};
use persona::config::Settings;
use persona::domain::{EvidenceField, Persona};
use persona::error::Error;
use persona::generate::text::{QuestionFrame, is_hedge_or_meta, is_question, question_frame};
use persona::generate::{GenerationSettings, NoProgress, RunOutcome, RunRequest, execute_run};
use persona::quality::{QualityConfig, is_generic_title, score_run};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const SEED: u64 = 42;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Judgements {
    dataset: Vec<JudgedDataset>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JudgedDataset {
    name: String,
    count: usize,
    /// Set when the default run gives no persona: why a researcher agrees nothing is usable.
    #[serde(default)]
    no_persona: Option<String>,
    persona: Vec<Judgement>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Judgement {
    title: String,
    verdict: String,
    /// The score disagrees with the verdict (strict passes a rejected persona or fails an
    /// accepted one) and no general rule fixes it yet: reported, never hidden.
    #[serde(default)]
    known_miss: bool,
    #[allow(dead_code)]
    why: String,
}

/// The judgements of each dataset, one entry per count it was judged at.
fn judgements() -> BTreeMap<String, Vec<JudgedDataset>> {
    let path = real_corpus_root().join("judgements.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parsed: Judgements = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut by_name: BTreeMap<String, Vec<JudgedDataset>> = BTreeMap::new();
    for d in parsed.dataset {
        for j in &d.persona {
            assert!(
                matches!(j.verdict.as_str(), "accept" | "reject"),
                "{}: verdict {:?}",
                d.name,
                j.verdict
            );
        }
        let runs = by_name.entry(d.name.clone()).or_default();
        assert!(
            runs.iter().all(|r| r.count != d.count),
            "{}: count {} judged twice",
            d.name,
            d.count
        );
        runs.push(d);
    }
    by_name
}

/// A run with the default options, or (`every_persona`) one that asks for every persona however
/// thin (`min_claims` 1).
fn generate(data: &Path, count: usize, output: &Path, every_persona: bool) -> Result<RunOutcome, Error> {
    let mut options = serde_json::Map::new();
    if every_persona {
        options.insert("min_claims".into(), serde_json::json!(1));
    }
    let request = RunRequest {
        data_path: data.to_path_buf(),
        generation: GenerationSettings {
            count,
            seed: SEED,
            provider: "local".into(),
            model: None,
            options,
        },
        run_id: None,
        experiment_id: None,
        output_dir: output.to_path_buf(),
        confine_to: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(execute_run(&request, &Settings::default(), &NoProgress))
}

/// The judgement of a persona, which must exist.
fn judgement_of<'j>(judged: &'j JudgedDataset, p: &Persona) -> &'j Judgement {
    judged.persona.iter().find(|j| j.title == p.title).unwrap_or_else(|| {
        panic!(
            "{}: persona '{}' is not judged in judgements.toml; read it and judge it",
            judged.name, p.title
        )
    })
}

/// Whether a claim's list fits the frame of the question its speaker answered.
fn polarity_matches(field: EvidenceField, frame: QuestionFrame) -> bool {
    use EvidenceField::*;
    match frame {
        QuestionFrame::Positive => matches!(field, Motivations | Goals),
        QuestionFrame::Negative => matches!(field, PainPoints | Goals),
        QuestionFrame::Wish => matches!(field, Goals | PainPoints | Motivations),
        QuestionFrame::Habit => true,
    }
}

fn without_run_context(personas: &[Persona]) -> String {
    let mut personas = personas.to_vec();
    for p in &mut personas {
        p.created_at = None;
        p.run_id = None;
        p.experiment_id = None;
    }
    serde_json::to_string(&personas).unwrap()
}

#[test]
fn every_real_dataset_gives_personas_a_researcher_would_use() {
    let judged = judgements();
    let strict = QualityConfig::preset("strict").unwrap();
    let mut table = Vec::new();
    let (mut accepted_scores, mut rejected_scores) = (Vec::new(), Vec::new());
    let (mut shown_total, mut shown_accepted) = (0usize, 0usize);
    let mut misses = Vec::new();
    for (dataset, judged) in real_datasets().iter().flat_map(|dataset| {
        let runs = judged
            .get(&dataset.name)
            .unwrap_or_else(|| panic!("{} is not judged in judgements.toml", dataset.name));
        runs.iter().map(move |judged| (dataset, judged))
    }) {
        let name = &format!("{} (count {})", dataset.name, judged.count);
        let dir = tempfile::tempdir().unwrap();
        let outcome = generate(&dataset.dir, judged.count, dir.path(), false);
        let again = generate(&dataset.dir, judged.count, dir.path(), false);
        let shown = match (&outcome, &again) {
            (Ok(outcome), Ok(again)) => {
                assert_eq!(
                    without_run_context(&outcome.personas),
                    without_run_context(&again.personas),
                    "{name}: reruns differ"
                );
                assert!(
                    judged.no_persona.is_none(),
                    "{name}: personas shown, but judgements.toml says no persona is usable"
                );
                for warning in &outcome.warnings {
                    eprintln!("   warning: {warning}");
                }
                outcome.personas.clone()
            }
            (Err(error), Err(again)) => {
                assert_eq!(error.to_string(), again.to_string(), "{name}: reruns differ");
                assert_no_persona_error(name, error, judged);
                Vec::new()
            }
            _ => panic!("{name}: one run failed and its rerun did not"),
        };

        let (framed, matching, claim_total) = check_shown(name, &shown);
        for p in &shown {
            let judgement = judgement_of(judged, p);
            assert!(
                judgement.verdict == "accept" || judgement.known_miss,
                "{name}: '{}' is shown by default but a researcher rejects it",
                p.title
            );
            shown_accepted += usize::from(judgement.verdict == "accept");
        }
        shown_total += shown.len();

        // Every candidate, however thin: the scores must agree with the researcher.
        let every = generate(&dataset.dir, judged.count, dir.path(), true)
            .unwrap_or_else(|e| panic!("{name}: asking for every persona: {e}"));
        let scores = score_run(&every.personas, &strict).scores;
        let (mut accepted, mut rejected) = (Vec::new(), Vec::new());
        for (p, score) in every.personas.iter().zip(&scores) {
            let soundness = &score.dimensions["realism"].details["soundness"]["factor"];
            print_persona(name, p, score.overall_score, score.level.is_passing(), soundness);
            let judgement = judgement_of(judged, p);
            let passes = score.level.is_passing();
            if judgement.verdict == "accept" {
                if judgement.known_miss {
                    misses.push(format!("{name}: accepted '{}' ({})", p.title, score.overall_score));
                } else {
                    assert!(
                        passes,
                        "{name}: accepted '{}' fails strict ({})",
                        p.title, score.overall_score
                    );
                }
                assert!(
                    shown.iter().any(|s| s.title == p.title),
                    "{name}: accepted '{}' is not shown by default",
                    p.title
                );
                accepted.push(score.overall_score);
            } else {
                rejected.push(score.overall_score);
                if judgement.known_miss {
                    misses.push(format!("{name}: rejected '{}' ({})", p.title, score.overall_score));
                } else {
                    assert!(
                        !passes,
                        "{name}: rejected '{}' passes strict ({})",
                        p.title, score.overall_score
                    );
                }
            }
        }
        table.push(format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            dataset.name,
            judged.count,
            shown.len(),
            if shown.is_empty() {
                "–".to_string()
            } else {
                format!("{:.1}", claim_total as f64 / shown.len() as f64)
            },
            if framed == 0 {
                "n/a".to_string()
            } else {
                format!("{:.0} % of {framed}", matching as f64 * 100.0 / framed as f64)
            },
            every.personas.len(),
            mean(&accepted),
            mean(&rejected)
        ));
        accepted_scores.extend(accepted);
        rejected_scores.extend(rejected);
    }
    eprintln!(
        "| dataset | count | personas shown | claims per persona | claims whose list fits their question's frame | every candidate | accepted: mean strict score | rejected: mean strict score |"
    );
    eprintln!("|---|---|---|---|---|---|---|---|");
    for row in &table {
        eprintln!("{row}");
    }
    eprintln!(
        "| all | | {shown_total} ({shown_accepted} accepted) | | | {} | {} | {} |\nknown misses: {misses:?}",
        accepted_scores.len() + rejected_scores.len(),
        mean(&accepted_scores),
        mean(&rejected_scores)
    );
    if !accepted_scores.is_empty() && !rejected_scores.is_empty() {
        let lowest_accepted = accepted_scores.iter().copied().fold(f64::INFINITY, f64::min);
        let highest_rejected = rejected_scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        eprintln!("lowest accepted {lowest_accepted:.1}, highest rejected {highest_rejected:.1}");
        let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(avg(&accepted_scores) > avg(&rejected_scores), "scores do not separate");
    }
}

/// A default run that ends with no persona: the researcher agrees nothing is usable, and the
/// error names each dropped persona and what to do.
fn assert_no_persona_error(name: &str, error: &Error, judged: &JudgedDataset) {
    let message = error.to_string();
    assert!(
        judged.no_persona.is_some(),
        "{name}: no persona ({message}); judge the data in judgements.toml (no_persona)"
    );
    assert!(
        message.starts_with("no persona could be made from this data"),
        "{name}: {message}"
    );
    assert!(message.contains("was dropped"), "{name}: no drop named: {message}");
    assert!(message.contains("set min_claims to 1"), "{name}: {message}");
    match error {
        Error::InvalidInput { details, .. } => assert_eq!(details["reason"], "no_usable_persona", "{name}"),
        other => panic!("{name}: {other:?}"),
    }
    eprintln!("\n== {name}: no persona\n   {message}");
}

/// The checks on personas shown by default: enough claims, a goal or pain point, no question or
/// hedge, no pain point answering a positive question, distinct titles that say something.
/// Returns the claims with a framed question, those whose list fits the frame, and all claims.
fn check_shown(name: &str, shown: &[Persona]) -> (usize, usize, usize) {
    let mut titles = BTreeSet::new();
    let (mut framed, mut matching, mut claim_total) = (0usize, 0usize, 0usize);
    for p in shown {
        let all: Vec<_> = p.claims().collect();
        claim_total += all.len();
        assert!(all.len() >= 2, "{name}: '{}' has {} claim(s)", p.title, all.len());
        assert!(
            !p.goals.is_empty() || !p.pain_points.is_empty(),
            "{name}: '{}' has no goal and no pain point",
            p.title
        );
        for (field, index, claim) in &all {
            assert!(!is_question(claim), "{name}: question as a claim: {claim}");
            assert!(
                !is_hedge_or_meta(claim),
                "{name}: hedge or meta-talk as a claim: {claim}"
            );
            let own = p.evidence.iter().find(|e| e.field == *field && e.index == *index);
            if let Some(frame) = own.and_then(|e| e.question.as_deref()).and_then(question_frame) {
                framed += 1;
                matching += usize::from(polarity_matches(*field, frame));
                assert!(
                    !(*field == EvidenceField::PainPoints && frame == QuestionFrame::Positive),
                    "{name}: pain point answering a positive question: {claim}"
                );
            }
        }
        assert!(titles.insert(p.title.clone()), "{name}: title '{}' twice", p.title);
        assert!(!is_generic_title(&p.title), "{name}: generic title '{}'", p.title);
    }
    (framed, matching, claim_total)
}

fn mean(v: &[f64]) -> String {
    if v.is_empty() {
        "–".into()
    } else {
        format!("{:.1} (n={})", v.iter().sum::<f64>() / v.len() as f64, v.len())
    }
}

/// The persona as a researcher reads it (shown with `--nocapture`), to judge it in judgements.toml.
fn print_persona(dataset: &str, p: &Persona, score: f64, passes: bool, soundness: &serde_json::Value) {
    eprintln!(
        "\n== {dataset}: '{}' ({} participants, score {score:.1}, soundness {soundness}, strict {})\n   {}",
        p.title,
        p.segment_size,
        if passes { "passes" } else { "fails" },
        p.summary
    );
    for (field, _, claim) in p.claims() {
        eprintln!("   {}: {claim}", field.as_str());
    }
    for quote in &p.quotes {
        eprintln!("   quote: {quote}");
    }
}
