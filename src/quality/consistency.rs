//! Consistency (peer §5.3): `0.35·demographics↔goals + 0.30·behaviours↔pain points + 0.20·quote
//! alignment + 0.15·uniqueness`, with whole-word matching and ages parsed as numbers.

use super::text::{AgeRange, contains_any_term, contains_term, truncate_chars, words};
use super::types::Measurement;
use crate::domain::Persona;
use serde_json::json;
use std::collections::BTreeSet;

const SENIOR_GOAL_TERMS: [&str; 4] = ["retirement", "legacy", "mentoring", "leadership"];
const EARLY_CAREER_GOAL_TERMS: [&str; 5] = ["entry-level", "first job", "graduate", "intern", "student"];
/// Upper bound of an age range that counts as young, lower bound that counts as senior.
const YOUNG_MAX_AGE: u32 = 25;
const SENIOR_MIN_AGE: u32 = 55;

/// A behaviour containing the first word contradicts a pain point containing the second.
const OPPOSITES: [(&str, &str); 6] = [
    ("loves", "hates"),
    ("easy", "difficult"),
    ("quick", "slow"),
    ("enjoys", "avoids"),
    ("comfortable", "uncomfortable"),
    ("confident", "anxious"),
];

const STOPWORDS: [&str; 22] = [
    "the", "and", "for", "that", "this", "with", "have", "from", "they", "what", "when", "where", "which", "their",
    "there", "would", "could", "should", "about", "just", "been", "being",
];

/// The persona's age value: `age`, else `age_range`.
pub(crate) fn age_value(persona: &Persona) -> Option<&str> {
    persona
        .demographics
        .get("age")
        .or_else(|| persona.demographics.get("age_range"))
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
}

pub(crate) fn measure(persona: &Persona) -> Measurement {
    let mut issues = Vec::new();
    let (demo_goal, age_band) = demographics_vs_goals(persona, &mut issues);
    let behaviour_pain = behaviours_vs_pain_points(persona, &mut issues);
    let (quote, alignment_rate) = quote_alignment(persona);
    let uniqueness = uniqueness(persona, &mut issues);

    let score = 0.35 * demo_goal + 0.30 * behaviour_pain + 0.20 * quote + 0.15 * uniqueness;
    let details = json!({
        "demographic_goal_score": demo_goal,
        "behaviour_pain_score": behaviour_pain,
        "quote_alignment_score": quote,
        "uniqueness_score": uniqueness,
        "age_band": age_band,
        "quote_alignment_rate": alignment_rate.map(super::text::round2),
    });
    Measurement { score, issues, details }
}

/// 75 without demographics or goals; else `100 − 20·conflicts` between the age band and goals.
fn demographics_vs_goals(persona: &Persona, issues: &mut Vec<String>) -> (f64, Option<&'static str>) {
    if persona.demographics.is_empty() || persona.goals.is_empty() {
        return (75.0, None);
    }
    let Some(age) = age_value(persona).and_then(AgeRange::parse) else {
        return (100.0, None);
    };
    let (band, terms, message): (_, &[&str], _) = if age.at_most(YOUNG_MAX_AGE) {
        ("young", &SENIOR_GOAL_TERMS, "young person with senior goal")
    } else if age.at_least(SENIOR_MIN_AGE) {
        (
            "senior",
            &EARLY_CAREER_GOAL_TERMS,
            "senior person with early-career goal",
        )
    } else {
        return (100.0, Some("other"));
    };
    let mut conflicts = 0;
    for goal in &persona.goals {
        if contains_any_term(&words(goal), terms) {
            conflicts += 1;
            issues.push(format!("Age-goal mismatch: {message} '{}'", truncate_chars(goal, 50)));
        }
    }
    ((100.0 - 20.0 * conflicts as f64).max(0.0), Some(band))
}

/// 75 when either list is empty; else `100 − 25·contradicting (behaviour, pain point) pairs`.
fn behaviours_vs_pain_points(persona: &Persona, issues: &mut Vec<String>) -> f64 {
    if persona.behaviours.is_empty() || persona.pain_points.is_empty() {
        return 75.0;
    }
    let mut contradictions = 0;
    for behaviour in &persona.behaviours {
        let b_words = words(behaviour);
        let b_set: BTreeSet<&str> = b_words.iter().map(String::as_str).collect();
        for pain in &persona.pain_points {
            let p_words = words(pain);
            let contradicts = OPPOSITES.iter().any(|(pos, neg)| {
                if !contains_term(&b_words, pos) || !contains_term(&p_words, neg) {
                    return false;
                }
                // The two must be about the same thing: at least two further shared words.
                let shared = p_words
                    .iter()
                    .map(String::as_str)
                    .filter(|w| b_set.contains(w) && w != pos && w != neg)
                    .collect::<BTreeSet<_>>();
                shared.len() >= 2
            });
            if contradicts {
                contradictions += 1;
                issues.push(format!(
                    "Contradiction: behaviour '{}' vs pain '{}'",
                    truncate_chars(behaviour, 40),
                    truncate_chars(pain, 40)
                ));
            }
        }
    }
    (100.0 - 25.0 * contradictions as f64).max(0.0)
}

/// Words of four or more characters, minus stopwords.
fn trait_words(text: &str) -> impl Iterator<Item = String> {
    words(text)
        .into_iter()
        .filter(|w| w.chars().count() >= 4 && !STOPWORDS.contains(&w.as_str()))
}

/// Share of quotes sharing a trait word with the goals and pain points (75 without quotes).
fn quote_alignment(persona: &Persona) -> (f64, Option<f64>) {
    if persona.quotes.is_empty() {
        return (75.0, None);
    }
    let traits: BTreeSet<String> = persona
        .goals
        .iter()
        .chain(&persona.pain_points)
        .flat_map(|s| trait_words(s))
        .collect();
    let aligned = persona
        .quotes
        .iter()
        .filter(|q| trait_words(q).any(|w| traits.contains(&w)))
        .count();
    let rate = aligned as f64 / persona.quotes.len() as f64;
    (rate * 100.0, Some(rate))
}

/// `100 − 15·(lists holding duplicates)` over goals, pain points and behaviours.
fn uniqueness(persona: &Persona, issues: &mut Vec<String>) -> f64 {
    let mut lists_with_duplicates = 0;
    for (items, label) in [
        (&persona.goals, "goal(s)"),
        (&persona.pain_points, "pain point(s)"),
        (&persona.behaviours, "behaviour(s)"),
    ] {
        let distinct: BTreeSet<String> = items.iter().map(|s| s.trim().to_lowercase()).collect();
        let duplicates = items.len() - distinct.len();
        if duplicates > 0 {
            lists_with_duplicates += 1;
            issues.push(format!("{duplicates} duplicate {label} detected"));
        }
    }
    (100.0 - 15.0 * lists_with_duplicates as f64).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::testing::persona;

    #[test]
    fn a_coherent_persona_scores_100() {
        let m = measure(&persona("a"));
        assert_eq!(m.score, 100.0);
        assert!(m.issues.is_empty(), "{:?}", m.issues);
        assert_eq!(m.details["age_band"], "other");
        assert_eq!(m.details["quote_alignment_rate"], 1.0);
    }

    #[test]
    fn young_persona_with_senior_goal() {
        let mut p = persona("a");
        p.demographics.insert("age_range".into(), "18-25".into());
        p.goals.push("Plan for an early retirement abroad".into());
        let m = measure(&p);
        // demographics↔goals 80 → 0.35·80 + 0.30·100 + 0.20·100 + 0.15·100 = 93
        assert_eq!(m.details["demographic_goal_score"], 80.0);
        assert!((m.score - 93.0).abs() < 1e-9);
        assert_eq!(
            m.issues,
            ["Age-goal mismatch: young person with senior goal 'Plan for an early retirement abroad'"]
        );
    }

    #[test]
    fn ages_are_numbers_and_terms_are_whole_words() {
        // The peer saw "25" in "25-34" (young) and "intern" in "international".
        let mut p = persona("a");
        p.demographics.insert("age_range".into(), "25-34".into());
        p.goals.push("Grow leadership skills".into());
        assert_eq!(measure(&p).details["demographic_goal_score"], 100.0);

        let mut p = persona("a");
        p.demographics.insert("age_range".into(), "55-64".into());
        p.goals.push("Expand into international markets".into());
        let m = measure(&p);
        assert_eq!(m.details["age_band"], "senior");
        assert_eq!(m.details["demographic_goal_score"], 100.0);
        p.goals.push("Hire two interns for the summer".into());
        assert_eq!(measure(&p).details["demographic_goal_score"], 80.0);
    }

    #[test]
    fn a_contradiction_costs_25() {
        let mut p = persona("a");
        p.behaviours = vec!["Loves the weekly planning report".into()];
        p.pain_points = vec!["Hates the weekly planning report".into()];
        let m = measure(&p);
        // behaviours↔pains 75 → 0.35·100 + 0.30·75 + 0.20·100 + 0.15·100 = 92.5
        assert_eq!(m.details["behaviour_pain_score"], 75.0);
        assert_eq!(
            m.issues,
            ["Contradiction: behaviour 'Loves the weekly planning report' vs pain 'Hates the weekly planning report'"]
        );
        assert!((m.score - 92.5).abs() < 1e-9);
    }

    #[test]
    fn opposites_about_different_things_are_no_contradiction() {
        let mut p = persona("a");
        p.behaviours = vec!["Loves cycling".into()];
        p.pain_points = vec!["Hates the CRM".into()];
        assert_eq!(measure(&p).details["behaviour_pain_score"], 100.0);
    }

    #[test]
    fn unaligned_quotes_and_duplicates() {
        let mut p = persona("a");
        p.quotes.push("Honestly, coffee first.".into());
        p.goals.push(p.goals[0].to_uppercase());
        let m = measure(&p);
        // alignment 1/2 = 50; uniqueness 85 → 35 + 30 + 10 + 12.75 = 87.75
        assert_eq!(m.details["quote_alignment_rate"], 0.5);
        assert_eq!(m.details["uniqueness_score"], 85.0);
        assert!((m.score - 87.75).abs() < 1e-9);
        assert_eq!(m.issues, ["1 duplicate goal(s) detected"]);
    }

    #[test]
    fn empty_lists_score_75() {
        let mut p = persona("a");
        p.goals.clear();
        p.behaviours.clear();
        p.quotes.clear();
        let m = measure(&p);
        assert_eq!(m.details["demographic_goal_score"], 75.0);
        assert_eq!(m.details["behaviour_pain_score"], 75.0);
        assert_eq!(m.details["quote_alignment_score"], 75.0);
        assert!((m.score - (0.35 * 75.0 + 0.30 * 75.0 + 0.20 * 75.0 + 15.0)).abs() < 1e-9);
    }
}
