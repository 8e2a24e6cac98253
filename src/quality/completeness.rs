//! Completeness (peer §5.2): `0.40·required + 0.30·expected + 0.20·depth + 0.10·richness`.

use super::config::{QualityConfig, field_has_content};
use super::text::round1;
use super::types::Measurement;
use crate::domain::Persona;
use serde_json::{Map, Value, json};

pub(crate) fn measure(persona: &Persona, cfg: &QualityConfig) -> Measurement {
    let mut issues = Vec::new();

    let present = |field: &str| field_has_content(persona, field).unwrap_or(false);
    let required_present = cfg.required_fields.iter().filter(|f| present(f)).count();
    for field in cfg.required_fields.iter().filter(|f| !present(f)) {
        issues.push(format!("Missing required field: {field}"));
    }
    let required = share(required_present, cfg.required_fields.len());

    let mut field_status = Map::new();
    for field in &cfg.expected_fields {
        let has = present(field);
        if !has {
            issues.push(format!("Expected field empty or missing: {field}"));
        }
        field_status.insert(field.clone(), Value::Bool(has));
    }
    let expected_present = cfg.expected_fields.iter().filter(|f| present(f)).count();
    let expected = share(expected_present, cfg.expected_fields.len());

    let counts = [
        ("goals", persona.goals.len(), cfg.min_goals),
        ("pain points", persona.pain_points.len(), cfg.min_pain_points),
        ("behaviours", persona.behaviours.len(), cfg.min_behaviours),
        ("quotes", persona.quotes.len(), cfg.min_quotes),
    ];
    let mut depth_sum = 0.0;
    for (label, n, min) in counts {
        depth_sum += depth_score(n, min);
        if n < min {
            issues.push(format!("Insufficient {label}: {n}/{min}"));
        }
    }
    let depth = depth_sum / counts.len() as f64;

    let avg_goal_words = average_words(&persona.goals);
    let avg_pain_words = average_words(&persona.pain_points);
    let demographics_fields = persona.demographics.values().filter(|v| !v.trim().is_empty()).count();
    let mut richness_parts = Vec::new();
    if let Some(avg) = avg_goal_words {
        richness_parts.push((avg / 5.0 * 100.0).min(100.0));
    }
    if !persona.demographics.is_empty() {
        richness_parts.push((demographics_fields as f64 / 3.0 * 100.0).min(100.0));
    }
    if let Some(avg) = avg_pain_words {
        richness_parts.push((avg / 5.0 * 100.0).min(100.0));
    }
    let richness = if richness_parts.is_empty() {
        50.0
    } else {
        richness_parts.iter().sum::<f64>() / richness_parts.len() as f64
    };

    let score = 0.40 * required + 0.30 * expected + 0.20 * depth + 0.10 * richness;
    let details = json!({
        "required_fields_score": required,
        "expected_fields_score": expected,
        "field_depth_score": depth,
        "richness_score": richness,
        "field_status": field_status,
        "depth": {
            "goals_count": persona.goals.len(),
            "pain_points_count": persona.pain_points.len(),
            "behaviours_count": persona.behaviours.len(),
            "quotes_count": persona.quotes.len(),
        },
        "avg_goal_words": avg_goal_words.map(round1),
        "demographics_fields": demographics_fields,
        "avg_pain_point_words": avg_pain_words.map(round1),
    });
    Measurement { score, issues, details }
}

/// Percentage of `n` out of `total`; an empty list of fields is fully satisfied.
fn share(n: usize, total: usize) -> f64 {
    if total == 0 {
        100.0
    } else {
        n as f64 / total as f64 * 100.0
    }
}

/// `min(100, n/min·100)`; with a minimum of 0 any content scores 100 and none 50 (the peer's rule
/// for behaviours and quotes, applied to every list so a zero minimum never divides by zero).
fn depth_score(n: usize, min: usize) -> f64 {
    if min == 0 {
        if n > 0 { 100.0 } else { 50.0 }
    } else {
        (n as f64 / min as f64 * 100.0).min(100.0)
    }
}

/// Mean whitespace-separated word count, `None` for an empty list.
fn average_words(items: &[String]) -> Option<f64> {
    if items.is_empty() {
        return None;
    }
    let total: usize = items.iter().map(|s| s.split_whitespace().count()).sum();
    Some(total as f64 / items.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::testing::persona;

    #[test]
    fn a_full_persona_scores_100() {
        let m = measure(&persona("a"), &QualityConfig::default());
        assert_eq!(m.score, 100.0);
        assert!(m.issues.is_empty(), "{:?}", m.issues);
        assert_eq!(m.details["field_status"]["quotes"], true);
    }

    #[test]
    fn one_goal_against_a_minimum_of_two() {
        let mut p = persona("a");
        p.goals.truncate(1);
        let m = measure(&p, &QualityConfig::default());
        // depth = mean(50, 100, 100, 100) = 87.5 → 0.4·100 + 0.3·100 + 0.2·87.5 + 0.1·100 = 97.5
        assert_eq!(m.details["field_depth_score"], 87.5);
        assert_eq!(m.score, 97.5);
        assert_eq!(m.issues, ["Insufficient goals: 1/2"]);
    }

    #[test]
    fn missing_fields_and_thin_content() {
        let mut p = persona("a");
        p.id = " ".into();
        p.goals = vec!["Save time".into()]; // 2 words
        p.pain_points.clear();
        p.quotes.clear();
        p.demographics.retain(|k, _| k == "role");
        let m = measure(&p, &QualityConfig::default());
        // required 50; expected 3/5 = 60; depth mean(50, 0, 100, 0) = 37.5;
        // richness mean(goal words 2/5·100 = 40, demographics 1/3·100 = 33.33) = 36.67
        let richness = (40.0 + 100.0 / 3.0) / 2.0;
        let expected = 0.4 * 50.0 + 0.3 * 60.0 + 0.2 * 37.5 + 0.1 * richness;
        assert!((m.score - expected).abs() < 1e-9, "{} vs {expected}", m.score);
        assert_eq!(
            m.issues,
            [
                "Missing required field: id",
                "Expected field empty or missing: pain_points",
                "Expected field empty or missing: quotes",
                "Insufficient goals: 1/2",
                "Insufficient pain points: 0/1",
                "Insufficient quotes: 0/1",
            ]
        );
        assert_eq!(m.details["avg_goal_words"], 2.0);
        assert_eq!(m.details["avg_pain_point_words"], Value::Null);
    }

    #[test]
    fn zero_minimum_gives_50_when_empty() {
        let mut p = persona("a");
        p.behaviours.clear();
        p.quotes.clear();
        let cfg = QualityConfig::preset("lenient").unwrap();
        let m = measure(&p, &cfg);
        // lenient: behaviours and quotes minimum 0 → 50 each; depth = mean(100, 100, 50, 50) = 75
        assert_eq!(m.details["field_depth_score"], 75.0);
        assert!(
            !m.issues.iter().any(|i| i.starts_with("Insufficient")),
            "{:?}",
            m.issues
        );
    }
}
