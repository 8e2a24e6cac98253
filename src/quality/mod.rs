//! Quality metrics for personas (the peer's §5, wired correctly): completeness, consistency,
//! evidence strength (from the persona's evidence entries), distinctiveness (against the other
//! personas of the same run) and realism, weighted into an overall score and a level.
//!
//! Everything here is pure and deterministic: the same personas and configuration give the same
//! JSON, byte for byte (no timestamps, ordered maps, run order preserved).

pub mod claim_text;
mod completeness;
mod config;
mod consistency;
mod distinctiveness;
mod evidence;
pub mod input;
mod realism;
mod request;
pub(crate) mod soundness;
pub mod text;
mod types;

pub use config::{Dimension, DimensionWeights, KNOWN_FIELDS, LevelThresholds, QualityConfig, QualityLevel};
pub use distinctiveness::similarity;
pub use input::{PersonaInput, personas_from_json, read_personas};
pub use request::{
    InlineQualityRequest, MAX_INLINE_PERSONAS, PersonaQualityRequest, QualityRequest, QualityResponse, QualitySource,
    RunQualityRequest, ValidatedQualityRequest,
};
pub use soundness::{is_bare_qualifier, is_generic_title};
pub use types::{DimensionScore, QualityScore, RunQuality};

use crate::domain::Persona;
use crate::error::Error;
use std::collections::BTreeMap;
use text::round2;

/// Scores one persona. `others` are the other personas of its run (the persona itself may be
/// among them: entries with its id are skipped).
pub fn score_persona(persona: &Persona, others: &[Persona], cfg: &QualityConfig) -> QualityScore {
    score_against(persona, &others.iter().collect::<Vec<_>>(), cfg)
}

fn score_against(persona: &Persona, others: &[&Persona], cfg: &QualityConfig) -> QualityScore {
    let measurements = [
        (Dimension::Completeness, completeness::measure(persona, cfg)),
        (Dimension::Consistency, consistency::measure(persona)),
        (Dimension::EvidenceStrength, evidence::measure(persona, cfg)),
        (
            Dimension::Distinctiveness,
            distinctiveness::measure(persona, others, cfg),
        ),
        (Dimension::Realism, realism::measure(persona)),
    ];
    // Unsound claims scale every dimension, so that the overall score stays Σ score × weight
    // and a persona a researcher would reject cannot pass on its other merits.
    let (factor, soundness_issues, soundness_details) = soundness::measure(persona);
    let mut overall = 0.0;
    let mut dimensions = BTreeMap::new();
    for (dimension, mut m) in measurements {
        m.score *= factor;
        if dimension == Dimension::Realism {
            m.issues.extend(soundness_issues.iter().cloned());
            if let Some(details) = m.details.as_object_mut() {
                details.insert("soundness".into(), soundness_details.clone());
            }
        }
        let weight = cfg.weights.get(dimension);
        overall += m.score * weight;
        dimensions.insert(
            dimension.as_str().to_string(),
            DimensionScore {
                score: round2(m.score),
                weight,
                weighted_contribution: round2(m.score * weight),
                issues: m.issues,
                details: m.details,
            },
        );
    }
    let overall_score = round2(overall);
    QualityScore {
        persona_id: persona.id.clone(),
        persona_name: persona.name.clone(),
        overall_score,
        level: cfg.level(overall_score),
        dimensions,
    }
}

/// Pairwise similarity of a run's personas (0–100, 2 decimals); the diagonal is 100.
pub fn distinctiveness_matrix(personas: &[Persona]) -> Vec<Vec<f64>> {
    personas
        .iter()
        .enumerate()
        .map(|(i, a)| {
            personas
                .iter()
                .enumerate()
                .map(|(j, b)| if i == j { 100.0 } else { round2(similarity(a, b)) })
                .collect()
        })
        .collect()
}

/// Scores every persona of a run against the others and summarises the run.
pub fn score_run(personas: &[Persona], cfg: &QualityConfig) -> RunQuality {
    let scores: Vec<QualityScore> = (0..personas.len())
        .map(|i| {
            let others: Vec<&Persona> = personas
                .iter()
                .enumerate()
                .filter_map(|(j, p)| (j != i).then_some(p))
                .collect();
            score_against(&personas[i], &others, cfg)
        })
        .collect();
    summarise(scores, distinctiveness_matrix(personas))
}

/// Averages and pass/fail counts over already computed scores.
pub(crate) fn summarise(scores: Vec<QualityScore>, distinctiveness_matrix: Vec<Vec<f64>>) -> RunQuality {
    let n = scores.len();
    let mean = |values: Vec<f64>| {
        if values.is_empty() {
            0.0
        } else {
            round2(values.iter().sum::<f64>() / values.len() as f64)
        }
    };
    let average_by_dimension = Dimension::ALL
        .iter()
        .map(|d| {
            let values = scores
                .iter()
                .filter_map(|s| s.dimensions.get(d.as_str()))
                .map(|x| x.score);
            (d.as_str().to_string(), mean(values.collect()))
        })
        .collect();
    let passing_count = scores.iter().filter(|s| s.level.is_passing()).count();
    RunQuality {
        persona_count: n,
        average_score: mean(scores.iter().map(|s| s.overall_score).collect()),
        average_by_dimension,
        passing_count,
        failing_count: n - passing_count,
        distinctiveness_matrix,
        scores,
    }
}

/// Scores a run and stores each persona's [`QualityScore`] JSON in its `quality` field; returns
/// the run summary (for the run's metadata).
pub fn attach(personas: &mut [Persona], cfg: &QualityConfig) -> RunQuality {
    let run = score_run(personas, cfg);
    for (persona, score) in personas.iter_mut().zip(&run.scores) {
        persona.quality = Some(serde_json::to_value(score).expect("a QualityScore always serialises"));
    }
    run
}

/// Hand-built personas shared by the unit tests of `quality` and `scripts`.
/// Scores `personas` as one run with the named preset.
pub fn evaluate(personas: &[Persona], preset: &str) -> Result<QualityResponse, Error> {
    let cfg = QualityConfig::preset_or_error(preset, "preset")?;
    Ok(QualityResponse {
        preset: preset.to_string(),
        run: score_run(personas, &cfg),
    })
}

/// Scores the persona `persona_id` against the other personas of its run (`run_personas`, which
/// includes it). The answer's run holds that one score (the matrix is `[[100]]`).
pub fn evaluate_persona(persona_id: &str, run_personas: &[Persona], preset: &str) -> Result<QualityResponse, Error> {
    let cfg = QualityConfig::preset_or_error(preset, "preset")?;
    let target = run_personas
        .iter()
        .find(|p| p.id == persona_id)
        .ok_or_else(|| Error::NotFound {
            resource: "persona",
            id: persona_id.to_string(),
        })?;
    let score = score_persona(target, run_personas, &cfg);
    Ok(QualityResponse {
        preset: preset.to_string(),
        run: summarise(vec![score], vec![vec![100.0]]),
    })
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::domain::{Evidence, EvidenceField, Persona};

    fn evidence(field: EvidenceField, index: usize, participant: &str, excerpt: &str) -> Evidence {
        Evidence {
            question: None,
            field,
            index,
            participant_id: participant.into(),
            source: "interviews.csv".into(),
            location: format!("line {}", index + 2),
            excerpt: excerpt.into(),
        }
    }

    /// A complete, coherent persona (every metric but evidence and distinctiveness at 100).
    pub fn persona(tag: &str) -> Persona {
        use EvidenceField::*;
        Persona {
            motivations: Vec::new(),
            id: format!("persona-{tag}"),
            name: "Maya Okafor".into(),
            title: "The Road-Warrior Seller".into(),
            summary: "Sells on the road and updates the CRM late at night.".into(),
            demographics: [
                ("role", "Field Sales Rep"),
                ("age_range", "26-40"),
                ("location", "Berlin"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            goals: vec![
                "Close more deals while travelling between client sites".into(),
                "Keep the CRM updated from my phone without extra typing".into(),
            ],
            pain_points: vec!["Syncing notes after every meeting takes far too long".into()],
            behaviours: vec!["Updates the pipeline late in the evening from hotel rooms".into()],
            quotes: vec!["I spend my evenings typing up notes I already said out loud.".into()],
            participants: vec!["P012".into(), "P031".into()],
            segment_size: 2,
            evidence: vec![
                evidence(Goals, 0, "P012", "I want to close more deals on the road"),
                evidence(Goals, 1, "P031", "updating the CRM from my phone is a pain"),
                evidence(
                    PainPoints,
                    0,
                    "P012",
                    "syncing my notes after each meeting takes forever",
                ),
                evidence(Behaviours, 0, "P031", "I do the pipeline at night in the hotel"),
                evidence(
                    Quotes,
                    0,
                    "P012",
                    "I spend my evenings typing up notes I already said out loud.",
                ),
            ],
            provider: "local".into(),
            model: "local-v1".into(),
            experiment_id: None,
            run_id: None,
            created_at: None,
            quality: None,
        }
    }

    /// [`persona`] with a motivation that its title's words come from and a second behaviour:
    /// sound (factor 1).
    pub fn sound_persona(tag: &str) -> Persona {
        let mut p = persona(tag);
        p.motivations = vec!["The offline CRM works well on the road between client sites".into()];
        p.evidence.push(evidence(
            EvidenceField::Motivations,
            0,
            "P031",
            "the offline CRM is great on the road",
        ));
        p.behaviours
            .push("Calls clients from the car between site visits".into());
        p.evidence.push(evidence(
            EvidenceField::Behaviours,
            1,
            "P012",
            "I call clients from the car between visits",
        ));
        p
    }

    /// [`other_persona`], sound.
    pub fn sound_other_persona(tag: &str) -> Persona {
        let mut p = other_persona(tag);
        p.motivations = vec!["Barcode scanners work well in the cold store".into()];
        p.evidence.push(evidence(
            EvidenceField::Motivations,
            0,
            "P101",
            "the scanners are great in the cold store",
        ));
        p.behaviours
            .push("Recounts the scanner totals at every shift change".into());
        p.evidence.push(evidence(
            EvidenceField::Behaviours,
            1,
            "P101",
            "I recount the scanner totals at shift change",
        ));
        p
    }

    /// A persona sharing nothing with [`persona`] (goals, pains, behaviours, demographic values).
    pub fn other_persona(tag: &str) -> Persona {
        let mut p = persona(tag);
        p.name = "Jonas Berg".into();
        p.title = "The Night-Shift Planner".into();
        p.demographics = [
            ("role", "Warehouse Planner"),
            ("location", "Rotterdam"),
            ("team_size", "12"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        p.goals = vec![
            "Balance the night shift rota without overtime".into(),
            "See stock levels before the trucks arrive".into(),
        ];
        p.pain_points = vec!["Spreadsheets disagree with the scanner counts".into()];
        p.behaviours = vec!["Prints the pick list twice per shift".into()];
        p.quotes = vec!["By the time the numbers agree the trucks are gone.".into()];
        p.participants = vec!["P101".into()];
        p
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{sound_other_persona as other_persona, sound_persona as persona};
    use super::*;

    #[test]
    fn overall_is_the_weighted_sum() {
        let a = persona("a");
        let s = score_persona(&a, &[other_persona("b")], &QualityConfig::default());
        // completeness, consistency, realism 100; distinctiveness 100 (disjoint);
        // evidence: coverage 100, strength 50 (one participant each), diversity 60 → 77
        // overall = 0.25·100 + 0.20·100 + 0.25·77 + 0.15·100 + 0.15·100 = 94.25
        assert_eq!(s.dimensions["evidence_strength"].score, 77.0);
        assert_eq!(s.dimensions["evidence_strength"].weighted_contribution, 19.25);
        assert_eq!(s.overall_score, 94.25);
        assert_eq!(s.level, QualityLevel::Excellent);
        assert_eq!(
            s.dimensions.keys().collect::<Vec<_>>(),
            [
                "completeness",
                "consistency",
                "distinctiveness",
                "evidence_strength",
                "realism"
            ]
        );
        let strict = score_persona(&a, &[other_persona("b")], &QualityConfig::preset("strict").unwrap());
        // strict minimums: 2/3 goals, 1/2 pains, 1/2 behaviours, 1/2 quotes → depth 54.17
        assert!(strict.overall_score < 94.25);
        assert_eq!(strict.level, QualityLevel::Good);
    }

    #[test]
    fn run_summary_and_matrix() {
        let run = score_run(
            &[persona("a"), persona("b"), other_persona("c")],
            &QualityConfig::default(),
        );
        assert_eq!(run.persona_count, 3);
        assert_eq!(
            run.distinctiveness_matrix,
            vec![vec![100.0, 100.0, 0.0], vec![100.0, 100.0, 0.0], vec![0.0, 0.0, 100.0]]
        );
        // a and b are twins: distinctiveness 0.5·0 + 0.3·max(0, 100 − 50) + 0.2·0 = 15
        assert_eq!(run.scores[0].dimensions["distinctiveness"].score, 15.0);
        assert_eq!(
            run.scores[0].dimensions["distinctiveness"].issues,
            ["Too similar to 'Maya Okafor' (100% similarity)"]
        );
        // c: max 0, mean 0, all unique → 100
        assert_eq!(run.scores[2].dimensions["distinctiveness"].score, 100.0);
        // a: 0.25·100 + 0.20·100 + 0.25·77 + 0.15·15 + 0.15·100 = 81.5; c: 94.25
        assert_eq!(run.scores[0].overall_score, 81.5);
        assert_eq!(run.scores[2].overall_score, 94.25);
        assert_eq!(run.average_score, 85.75);
        assert_eq!(run.average_by_dimension["distinctiveness"], round2(130.0 / 3.0));
        assert_eq!((run.passing_count, run.failing_count), (3, 0));
    }

    #[test]
    fn single_and_empty_runs() {
        let one = score_run(&[persona("a")], &QualityConfig::default());
        assert_eq!(one.distinctiveness_matrix, vec![vec![100.0]]);
        assert_eq!(
            one.scores[0].dimensions["distinctiveness"].issues,
            ["Only one persona - distinctiveness not applicable"]
        );
        let none = score_run(&[], &QualityConfig::default());
        assert_eq!(none.persona_count, 0);
        assert_eq!(none.average_score, 0.0);
        assert!(none.distinctiveness_matrix.is_empty());
        assert_eq!(none.average_by_dimension.len(), 5);
    }

    #[test]
    fn attach_stores_each_score_on_its_persona() {
        let mut personas = vec![persona("a"), other_persona("b")];
        let run = attach(&mut personas, &QualityConfig::default());
        for (p, s) in personas.iter().zip(&run.scores) {
            let stored: QualityScore = serde_json::from_value(p.quality.clone().unwrap()).unwrap();
            assert_eq!(&stored, s);
            assert_eq!(stored.persona_id, p.id);
        }
        assert_eq!(personas[0].quality.as_ref().unwrap()["level"], "excellent");
        // scoring ignores a stored score: attaching again gives the same result
        assert_eq!(attach(&mut personas, &QualityConfig::default()), run);
    }

    #[test]
    fn scores_are_deterministic_json() {
        let personas = [persona("a"), other_persona("b"), persona("c")];
        let a = serde_json::to_string(&score_run(&personas, &QualityConfig::default())).unwrap();
        let b = serde_json::to_string(&score_run(&personas, &QualityConfig::default())).unwrap();
        assert_eq!(a, b);
        let back: RunQuality = serde_json::from_str(&a).unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), a);
    }

    #[test]
    fn blank_ids_still_compare_by_position() {
        let mut a = persona("a");
        let mut b = persona("b");
        a.id.clear();
        b.id.clear();
        let run = score_run(&[a, b], &QualityConfig::default());
        assert_eq!(run.scores[0].dimensions["distinctiveness"].score, 0.0);
    }
}
