//! Distinctiveness (peer §5.5) against the other personas of the same run, with the peer's
//! `PersonaComparator` similarity.

use super::config::QualityConfig;
use super::types::Measurement;
use crate::domain::Persona;
use crate::domain::persona::normalise_whitespace;
use serde_json::json;
use std::collections::BTreeSet;

/// Items compared as exact strings after lower-casing and whitespace normalisation.
fn normalised(items: &[String]) -> BTreeSet<String> {
    items.iter().map(|s| normalise_whitespace(s).to_lowercase()).collect()
}

/// `|A ∩ B| / |A ∪ B| · 100` over normalised sets (the peer's shared / (shared + only A + only B));
/// 0 when both are empty.
fn set_similarity(a: &[String], b: &[String]) -> f64 {
    let (a, b) = (normalised(a), normalised(b));
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64 * 100.0
}

/// Share of demographic keys (of either persona) whose values are equal; 0 without keys.
fn demographics_similarity(a: &Persona, b: &Persona) -> f64 {
    let keys: BTreeSet<&String> = a.demographics.keys().chain(b.demographics.keys()).collect();
    if keys.is_empty() {
        return 0.0;
    }
    let equal = keys
        .iter()
        .filter(|k| matches!((a.demographics.get(**k), b.demographics.get(**k)), (Some(x), Some(y)) if x == y))
        .count();
    equal as f64 / keys.len() as f64 * 100.0
}

/// Overall similarity (0–100) of two personas:
/// `0.35·goals + 0.30·pain points + 0.20·demographics + 0.15·behaviours`.
pub fn similarity(a: &Persona, b: &Persona) -> f64 {
    0.35 * set_similarity(&a.goals, &b.goals)
        + 0.30 * set_similarity(&a.pain_points, &b.pain_points)
        + 0.20 * demographics_similarity(a, b)
        + 0.15 * set_similarity(&a.behaviours, &b.behaviours)
}

pub(crate) fn measure(persona: &Persona, others: &[&Persona], cfg: &QualityConfig) -> Measurement {
    if others.is_empty() {
        return Measurement {
            score: 100.0,
            issues: vec!["Only one persona - distinctiveness not applicable".into()],
            details: json!({}),
        };
    }
    // The persona itself may be among `others` (same id); an empty id identifies nothing.
    let others: Vec<&Persona> = others
        .iter()
        .copied()
        .filter(|o| persona.id.trim().is_empty() || o.id != persona.id)
        .collect();
    if others.is_empty() {
        return Measurement {
            score: 100.0,
            issues: Vec::new(),
            details: json!({}),
        };
    }

    let similarities: Vec<f64> = others.iter().map(|o| similarity(persona, o)).collect();
    // First maximum in run order, so ties name the earliest persona.
    let (max_index, max_sim) = similarities
        .iter()
        .enumerate()
        .fold((0, f64::MIN), |best, (i, s)| if *s > best.1 { (i, *s) } else { best });
    let mean_sim = similarities.iter().sum::<f64>() / similarities.len() as f64;

    let own_goals = normalised(&persona.goals);
    let own_pains = normalised(&persona.pain_points);
    let other_goals: BTreeSet<String> = others.iter().flat_map(|o| normalised(&o.goals)).collect();
    let other_pains: BTreeSet<String> = others.iter().flat_map(|o| normalised(&o.pain_points)).collect();
    let unique_goals = own_goals.difference(&other_goals).count();
    let unique_pains = own_pains.difference(&other_pains).count();
    let total = own_goals.len() + own_pains.len();
    let unique = if total == 0 {
        50.0
    } else {
        (unique_goals + unique_pains) as f64 / total as f64 * 100.0
    };

    let score = 0.50 * (100.0 - max_sim).max(0.0) + 0.30 * (100.0 - mean_sim).max(0.0) + 0.20 * unique;
    let mut issues = Vec::new();
    if max_sim > cfg.max_similarity_threshold * 100.0 {
        issues.push(format!(
            "Too similar to '{}' ({max_sim:.0}% similarity)",
            others[max_index].name
        ));
    }
    let round2 = super::text::round2;
    let details = json!({
        "max_similarity": round2(max_sim),
        "average_similarity": round2(mean_sim),
        "unique_goals": unique_goals,
        "unique_pain_points": unique_pains,
        "total_attributes": total,
        "similarity_details": others.iter().zip(&similarities).map(|(o, s)| json!({
            "other_id": o.id,
            "other_name": o.name,
            "overall_similarity": round2(*s),
        })).collect::<Vec<_>>(),
    });
    Measurement { score, issues, details }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::testing::{other_persona, persona};

    #[test]
    fn alone_in_the_run() {
        let m = measure(&persona("a"), &[], &QualityConfig::default());
        assert_eq!(m.score, 100.0);
        assert_eq!(m.issues, ["Only one persona - distinctiveness not applicable"]);
        // only itself among the others: not applicable either, without an issue
        let m = measure(&persona("a"), &[&persona("a")], &QualityConfig::default());
        assert_eq!(m.score, 100.0);
        assert!(m.issues.is_empty());
    }

    #[test]
    fn identical_content_scores_0() {
        let a = persona("a");
        let b = persona("b"); // same content, other id
        assert_eq!(similarity(&a, &b), 100.0);
        let m = measure(&a, &[&b], &QualityConfig::default());
        assert_eq!(m.score, 0.0);
        assert_eq!(m.issues, ["Too similar to 'Maya Okafor' (100% similarity)"]);
        assert_eq!(m.details["unique_goals"], 0);
    }

    #[test]
    fn disjoint_personas_score_100() {
        let a = persona("a");
        let b = other_persona("b");
        assert_eq!(similarity(&a, &b), 0.0);
        let m = measure(&a, &[&b], &QualityConfig::default());
        assert_eq!(m.score, 100.0);
        assert!(m.issues.is_empty());
        assert_eq!(m.details["total_attributes"], 3);
    }

    #[test]
    fn partial_overlap_by_hand() {
        let a = persona("a");
        let mut b = other_persona("b");
        // share one of a's two goals (case and spacing differ), and the age range
        b.goals.push(format!("  {}", a.goals[0].to_uppercase()));
        b.demographics
            .insert("age_range".into(), a.demographics["age_range"].clone());
        // goals: 1 shared of union 4 → 25; pains 0; demographics: keys {age_range, location,
        // role, team_size} → 1 equal / 4 = 25; behaviours 0
        // similarity = 0.35·25 + 0.20·25 = 13.75
        assert!((similarity(&a, &b) - 13.75).abs() < 1e-9);
        let m = measure(&a, &[&b, &other_persona("c")], &QualityConfig::default());
        // max 13.75, mean (13.75 + 0)/2 = 6.875; unique (1 + 1)/3 = 66.67
        let expected = 0.5 * 86.25 + 0.3 * 93.125 + 0.2 * (200.0 / 3.0);
        assert!((m.score - expected).abs() < 1e-9, "{} vs {expected}", m.score);
        assert_eq!(m.details["max_similarity"], 13.75);
        assert_eq!(m.details["similarity_details"][1]["overall_similarity"], 0.0);
    }

    #[test]
    fn the_threshold_comes_from_the_preset() {
        let a = persona("a");
        let mut b = persona("b");
        b.goals = vec!["Something else entirely for this one".into()];
        // goals 0, pains 100, demographics 100, behaviours 100 → 0.30 + 0.20 + 0.15 = 65
        assert!((similarity(&a, &b) - 65.0).abs() < 1e-9);
        let default = measure(&a, &[&b], &QualityConfig::default());
        assert!(default.issues.is_empty());
        let strict = measure(&a, &[&b], &QualityConfig::preset("strict").unwrap());
        assert_eq!(strict.issues, ["Too similar to 'Maya Okafor' (65% similarity)"]);
    }
}
