//! Evidence strength (peer §5.4, computed from the persona's own evidence entries instead of the
//! peer's never-supplied report): `0.50·coverage + 0.30·strength + 0.20·diversity`.
//!
//! * coverage: share of claims (goals, pain points, behaviours, quotes) with at least one
//!   evidence entry whose excerpt is not blank;
//! * strength: per claim, from the number of distinct participants behind its entries
//!   (≥ 3 strong 100, 2 moderate 75, 1 weak 50, none inferred 25), averaged over all claims;
//! * diversity: distinct source files across the persona's evidence (≥ 3 → 100, 2 → 80,
//!   1 → 60, 0 → 40).

use super::config::QualityConfig;
use super::types::Measurement;
use crate::domain::{EvidenceField, Persona};
use serde_json::json;
use std::collections::BTreeSet;

/// How well one claim is supported, by the number of distinct participants behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strength {
    Strong,
    Moderate,
    Weak,
    Inferred,
}

impl Strength {
    fn from_participants(n: usize) -> Strength {
        match n {
            0 => Strength::Inferred,
            1 => Strength::Weak,
            2 => Strength::Moderate,
            _ => Strength::Strong,
        }
    }

    fn score(self) -> f64 {
        match self {
            Strength::Strong => 100.0,
            Strength::Moderate => 75.0,
            Strength::Weak => 50.0,
            Strength::Inferred => 25.0,
        }
    }
}

fn diversity_score(source_files: usize) -> f64 {
    match source_files {
        0 => 40.0,
        1 => 60.0,
        2 => 80.0,
        _ => 100.0,
    }
}

pub(crate) fn measure(persona: &Persona, cfg: &QualityConfig) -> Measurement {
    let mut issues = Vec::new();
    let mut strengths = Vec::new();
    let mut unevidenced = Vec::new();
    let mut sources = BTreeSet::new();

    for field in EvidenceField::ALL {
        for index in 0..persona.field_items(field).len() {
            let entries: Vec<_> = persona
                .evidence
                .iter()
                .filter(|e| e.field == field && e.index == index && !e.excerpt.trim().is_empty())
                .collect();
            if entries.is_empty() {
                unevidenced.push(format!("{}[{index}]", field.as_str()));
            }
            let participants: BTreeSet<&str> = entries
                .iter()
                .map(|e| e.participant_id.trim())
                .filter(|p| !p.is_empty())
                .collect();
            strengths.push(Strength::from_participants(participants.len()));
            sources.extend(entries.iter().map(|e| e.source.trim()).filter(|s| !s.is_empty()));
        }
    }

    let claims = strengths.len();
    let evidenced = claims - unevidenced.len();
    let coverage = if claims == 0 {
        0.0
    } else {
        evidenced as f64 / claims as f64 * 100.0
    };
    if coverage < cfg.min_evidence_coverage * 100.0 {
        issues.push(format!(
            "Low evidence coverage: {coverage:.1}% (minimum: {:.0}%)",
            cfg.min_evidence_coverage * 100.0
        ));
    }

    let count = |s: Strength| strengths.iter().filter(|x| **x == s).count();
    let (strong, moderate, weak, inferred) = (
        count(Strength::Strong),
        count(Strength::Moderate),
        count(Strength::Weak),
        count(Strength::Inferred),
    );
    let strength = if claims == 0 {
        50.0
    } else {
        strengths.iter().map(|s| s.score()).sum::<f64>() / claims as f64
    };
    if weak + inferred > strong {
        issues.push(format!(
            "More weak evidence ({}) than strong ({strong})",
            weak + inferred
        ));
    }

    let diversity = diversity_score(sources.len());
    let score = 0.50 * coverage + 0.30 * strength + 0.20 * diversity;
    let details = json!({
        "coverage_percentage": super::text::round2(coverage),
        "claims_total": claims,
        "claims_evidenced": evidenced,
        "unevidenced_claims": unevidenced,
        "strength_score": strength,
        "strong_count": strong,
        "moderate_count": moderate,
        "weak_count": weak,
        "inferred_count": inferred,
        "diversity_score": diversity,
        "source_files": sources.into_iter().collect::<Vec<_>>(),
    });
    Measurement { score, issues, details }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Evidence;
    use crate::quality::testing::persona;

    fn entry(field: EvidenceField, index: usize, participant: &str, source: &str) -> Evidence {
        Evidence {
            question: None,
            field,
            index,
            participant_id: participant.into(),
            source: source.into(),
            location: "line 2".into(),
            excerpt: "verbatim words".into(),
        }
    }

    /// The fixture persona (5 claims) with evidence for the goals only.
    fn goals_only(entries: Vec<Evidence>) -> Persona {
        let mut p = persona("a");
        p.evidence = entries;
        p
    }

    #[test]
    fn one_two_and_three_participants_and_files() {
        use EvidenceField::*;
        let mut p = persona("a");
        p.evidence = vec![
            // goals[0]: 3 participants over 3 files → strong
            entry(Goals, 0, "P1", "a.csv"),
            entry(Goals, 0, "P2", "b.txt"),
            entry(Goals, 0, "P3", "c.json"),
            // goals[1]: 2 participants (P1 twice) → moderate
            entry(Goals, 1, "P1", "a.csv"),
            entry(Goals, 1, "P1", "a.csv"),
            entry(Goals, 1, "P2", "a.csv"),
            // pain_points[0], behaviours[0]: 1 participant → weak; quotes[0]: none → inferred
            entry(PainPoints, 0, "P4", "a.csv"),
            entry(Behaviours, 0, "P4", "a.csv"),
        ];
        let m = measure(&p, &QualityConfig::default());
        // coverage 4/5 = 80; strength (100 + 75 + 50 + 50 + 25)/5 = 60; diversity 3 files = 100
        // → 0.5·80 + 0.3·60 + 0.2·100 = 78
        assert_eq!(m.details["coverage_percentage"], 80.0);
        assert_eq!(m.details["strength_score"], 60.0);
        assert_eq!(m.details["diversity_score"], 100.0);
        assert!((m.score - 78.0).abs() < 1e-9, "{}", m.score);
        assert_eq!(m.details["unevidenced_claims"], json!(["quotes[0]"]));
        assert_eq!(m.details["source_files"], json!(["a.csv", "b.txt", "c.json"]));
        assert_eq!(m.issues, ["More weak evidence (3) than strong (1)"]);
    }

    #[test]
    fn two_files_and_low_coverage() {
        use EvidenceField::*;
        let p = goals_only(vec![entry(Goals, 0, "P1", "a.csv"), entry(Goals, 1, "P2", "b.csv")]);
        let m = measure(&p, &QualityConfig::default());
        // coverage 2/5 = 40; strength (50 + 50 + 25·3)/5 = 35; diversity 80 → 20 + 10.5 + 16 = 46.5
        assert!((m.score - 46.5).abs() < 1e-9, "{}", m.score);
        assert_eq!(
            m.issues,
            [
                "Low evidence coverage: 40.0% (minimum: 50%)",
                "More weak evidence (5) than strong (0)"
            ]
        );
        // lenient wants 30 %: coverage is fine there
        let lenient = measure(&p, &QualityConfig::preset("lenient").unwrap());
        assert_eq!(lenient.issues, ["More weak evidence (5) than strong (0)"]);
    }

    #[test]
    fn one_file_full_coverage_strong_everywhere() {
        let mut p = persona("a");
        p.evidence = EvidenceField::ALL
            .iter()
            .flat_map(|f| {
                (0..p.field_items(*f).len())
                    .flat_map(move |i| ["P1", "P2", "P3"].map(|who| entry(*f, i, who, "interviews.csv")))
            })
            .collect();
        let m = measure(&p, &QualityConfig::default());
        // 50 + 30 + 0.2·60 = 92
        assert!((m.score - 92.0).abs() < 1e-9, "{}", m.score);
        assert!(m.issues.is_empty(), "{:?}", m.issues);
    }

    #[test]
    fn no_evidence_at_all() {
        let p = goals_only(vec![]);
        let m = measure(&p, &QualityConfig::default());
        // 0 + 0.3·25 + 0.2·40 = 15.5
        assert!((m.score - 15.5).abs() < 1e-9, "{}", m.score);
        assert_eq!(m.details["inferred_count"], 5);
    }

    #[test]
    fn entries_out_of_range_or_blank_do_not_count() {
        use EvidenceField::*;
        let mut blank = entry(Goals, 1, "P2", "b.csv");
        blank.excerpt = "  ".into();
        let p = goals_only(vec![
            entry(Goals, 0, "P1", "a.csv"),
            entry(Goals, 9, "P1", "z.csv"),
            blank,
        ]);
        let m = measure(&p, &QualityConfig::default());
        assert_eq!(m.details["claims_evidenced"], 1);
        assert_eq!(m.details["source_files"], json!(["a.csv"]));
    }

    #[test]
    fn a_persona_without_claims() {
        let mut p = persona("a");
        p.goals.clear();
        p.pain_points.clear();
        p.behaviours.clear();
        p.quotes.clear();
        let m = measure(&p, &QualityConfig::default());
        // coverage 0, strength 50, diversity 40 (the fixture's evidence now points at nothing)
        assert!((m.score - 23.0).abs() < 1e-9, "{}", m.score);
    }
}
