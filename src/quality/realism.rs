//! Realism (peer §5.6): mean of name, demographics, quotes and goals, 25 % each.

use super::consistency::age_value;
use super::text::{AgeRange, contains_any_term, truncate_chars, words};
use super::types::Measurement;
use crate::domain::Persona;
use crate::domain::persona::{EvidenceField, normalise_whitespace};
use regex::Regex;
use serde_json::json;
use std::sync::LazyLock;

const GENERIC_NAMES: [&str; 17] = [
    "user",
    "persona",
    "customer",
    "person",
    "test",
    "example",
    "john doe",
    "jane doe",
    "placeholder",
    "user 1",
    "user 2",
    "persona 1",
    "persona 2",
    "sample",
    "demo",
    "test user",
    "default",
];
const PLACEHOLDER_VALUES: [&str; 6] = ["n/a", "na", "unknown", "tbd", "xxx", "placeholder"];
const SENIOR_OCCUPATIONS: [&str; 8] = [
    "ceo",
    "chief",
    "director",
    "vp",
    "vice president",
    "president",
    "managing director",
    "founder",
];
/// Oldest age (upper bound of the range) at which a senior occupation is implausible.
const TOO_YOUNG_FOR_SENIOR_ROLE: u32 = 21;
const ABSTRACT_GOAL_WORDS: [&str; 13] = [
    "want", "need", "hope", "wish", "try", "better", "more", "to", "a", "the", "and", "or", "be",
];

static NAME_SPECIAL_CHARS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9@#$%^&*()+=\[\]{}|\\/<>]").expect("valid regex"));
static ARTIFICIAL_QUOTE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i)^I (always|never|absolutely|definitely) ",
        r"(?i)\b(synergy|leverage|optimise|optimize|streamline|holistic)\b",
        r"(?i)^(As a|Being a|In my role as|In my capacity as)",
        r"(?i)^(I believe that|I think that|I feel that) (it is important|we should)",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("valid regex"))
    .collect()
});
static GENERIC_GOAL: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"^(be|become|get) (better|successful|happy|efficient)$",
        r"^improve (things|everything|myself|my life)$",
        r"^have a (good|better|nice|great) ",
        r"^(do|make) (more|less|better)$",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("valid regex"))
    .collect()
});

pub(crate) fn measure(persona: &Persona) -> Measurement {
    let mut issues = Vec::new();
    let (name_score, name_type) = name(&persona.name, &mut issues);
    let demographics_score = demographics(persona, &mut issues);
    let (quotes_score, artificial) = quotes(persona, &mut issues);
    let (goals_score, generic) = goals(&persona.goals, &mut issues);
    let score = (name_score + demographics_score + quotes_score + goals_score) / 4.0;
    let details = json!({
        "name_type": name_type,
        "name_score": name_score,
        "demographics_score": demographics_score,
        "quotes_score": quotes_score,
        "goals_score": goals_score,
        "artificial_quotes": artificial,
        "generic_goals": generic,
    });
    Measurement { score, issues, details }
}

fn name(name: &str, issues: &mut Vec<String>) -> (f64, &'static str) {
    let name = name.trim();
    let lower = name.to_lowercase();
    let (score, kind, issue) = if name.is_empty() {
        (0.0, "missing", "Missing name".to_string())
    } else if GENERIC_NAMES.contains(&lower.as_str()) {
        (30.0, "generic", format!("Generic placeholder name: '{name}'"))
    } else if name.split_whitespace().count() < 2 {
        (60.0, "single_word", format!("Name has a single word: '{name}'"))
    } else if NAME_SPECIAL_CHARS.is_match(name) {
        (
            40.0,
            "special_characters",
            format!("Name contains digits or symbols: '{name}'"),
        )
    } else if name == name.to_uppercase() || name == lower {
        (
            70.0,
            "unusual_case",
            format!("Name is all upper or all lower case: '{name}'"),
        )
    } else {
        return (100.0, "realistic");
    };
    issues.push(issue);
    (score, kind)
}

fn demographics(persona: &Persona, issues: &mut Vec<String>) -> f64 {
    let d = &persona.demographics;
    if d.is_empty() {
        return 50.0;
    }
    let before = issues.len();
    let occupation = ["occupation", "role", "job"]
        .iter()
        .find_map(|k| d.get(*k).filter(|v| !v.trim().is_empty()));
    if let (Some(age), Some(occupation)) = (age_value(persona), occupation)
        && AgeRange::parse(age).is_some_and(|r| r.at_most(TOO_YOUNG_FOR_SENIOR_ROLE))
        && contains_any_term(&words(occupation), &SENIOR_OCCUPATIONS)
    {
        issues.push(format!(
            "Age-occupation mismatch: age '{age}' with occupation '{occupation}'"
        ));
    }
    for (key, value) in d {
        if PLACEHOLDER_VALUES.contains(&value.trim().to_lowercase().as_str()) {
            issues.push(format!("Placeholder value in {key}: '{value}'"));
        }
    }
    (100.0 - 25.0 * (issues.len() - before) as f64).max(0.0)
}

/// Whether quote `index` is backed by an evidence excerpt that contains it: then it is what a
/// participant said, and phrasing that would look scripted in an invented quote is genuine.
fn is_verbatim(persona: &Persona, index: usize) -> bool {
    let quote = normalise_whitespace(persona.quotes[index].trim_matches(|c: char| c == '"' || c.is_whitespace()));
    !quote.is_empty()
        && persona
            .evidence
            .iter()
            .filter(|e| e.field == EvidenceField::Quotes && e.index == index)
            .any(|e| normalise_whitespace(&e.excerpt).contains(&quote))
}

fn quote_problem(quote: &str, verbatim: bool) -> Option<&'static str> {
    let quote = quote.trim();
    let n = quote.split_whitespace().count();
    if !verbatim && ARTIFICIAL_QUOTE.iter().any(|r| r.is_match(quote)) {
        Some("corporate jargon")
    } else if n < 3 {
        Some("too short")
    } else if n > 60 {
        Some("too long")
    } else {
        None
    }
}

/// Share of authentic quotes (50 without quotes); the first two artificial ones are reported.
/// Verbatim quotes are only checked for length.
fn quotes(persona: &Persona, issues: &mut Vec<String>) -> (f64, usize) {
    let quotes = &persona.quotes;
    if quotes.is_empty() {
        return (50.0, 0);
    }
    let problems: Vec<(&String, &str)> = quotes
        .iter()
        .enumerate()
        .filter_map(|(i, q)| quote_problem(q, is_verbatim(persona, i)).map(|r| (q, r)))
        .collect();
    for (quote, reason) in problems.iter().take(2) {
        issues.push(format!(
            "Quote seems artificial: '{}...' ({reason})",
            truncate_chars(quote.trim(), 50)
        ));
    }
    let authentic = quotes.len() - problems.len();
    (authentic as f64 / quotes.len() as f64 * 100.0, problems.len())
}

fn goal_problem(goal: &str) -> Option<&'static str> {
    let goal = goal.trim().to_lowercase();
    let goal_words: Vec<&str> = goal.split_whitespace().collect();
    if GENERIC_GOAL.iter().any(|r| r.is_match(&goal)) {
        Some("generic phrasing")
    } else if goal_words.len() < 4 {
        Some("too brief")
    } else if goal_words.iter().all(|w| ABSTRACT_GOAL_WORDS.contains(w)) {
        Some("too abstract")
    } else {
        None
    }
}

/// Share of specific goals (50 without goals); the first two generic ones are reported.
fn goals(goals: &[String], issues: &mut Vec<String>) -> (f64, usize) {
    if goals.is_empty() {
        return (50.0, 0);
    }
    let problems: Vec<(&String, &str)> = goals.iter().filter_map(|g| goal_problem(g).map(|r| (g, r))).collect();
    for (goal, reason) in problems.iter().take(2) {
        issues.push(format!("Goal too generic: '{}' ({reason})", goal.trim()));
    }
    let specific = goals.len() - problems.len();
    (specific as f64 / goals.len() as f64 * 100.0, problems.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::testing::persona;

    #[test]
    fn a_realistic_persona_scores_100() {
        let m = measure(&persona("a"));
        assert_eq!(m.score, 100.0);
        assert!(m.issues.is_empty(), "{:?}", m.issues);
        assert_eq!(m.details["name_type"], "realistic");
    }

    #[test]
    fn name_checks_in_order() {
        let cases = [
            ("", 0.0, "missing"),
            ("John Doe", 30.0, "generic"),
            ("Test User", 30.0, "generic"),
            ("Maya", 60.0, "single_word"),
            ("Maya 2.0 Okafor", 40.0, "special_characters"),
            ("MAYA OKAFOR", 70.0, "unusual_case"),
            ("maya okafor", 70.0, "unusual_case"),
            ("Maya Okafor", 100.0, "realistic"),
        ];
        for (input, score, kind) in cases {
            let mut issues = Vec::new();
            assert_eq!(name(input, &mut issues), (score, kind), "{input}");
            assert_eq!(issues.len(), usize::from(score < 100.0), "{input}");
        }
    }

    #[test]
    fn a_generic_name() {
        let mut p = persona("a");
        p.name = "Customer".into();
        let m = measure(&p);
        // (30 + 100 + 100 + 100) / 4 = 82.5
        assert_eq!(m.score, 82.5);
        assert_eq!(m.issues, ["Generic placeholder name: 'Customer'"]);
    }

    #[test]
    fn placeholder_values_and_a_teenage_director() {
        let mut p = persona("a");
        p.demographics.insert("age_range".into(), "18-21".into());
        p.demographics.insert("role".into(), "Managing Director".into());
        p.demographics.insert("location".into(), "TBD".into());
        let m = measure(&p);
        // demographics 100 − 2·25 = 50 → (100 + 50 + 100 + 100) / 4 = 87.5
        assert_eq!(m.details["demographics_score"], 50.0);
        assert_eq!(m.score, 87.5);
        assert_eq!(
            m.issues,
            [
                "Age-occupation mismatch: age '18-21' with occupation 'Managing Director'",
                "Placeholder value in location: 'TBD'",
            ]
        );
        // "20-45" may well include a director; the peer flagged any "20" substring
        p.demographics.insert("age_range".into(), "20-45".into());
        assert_eq!(measure(&p).details["demographics_score"], 75.0);
    }

    #[test]
    fn artificial_quotes() {
        let mut p = persona("a");
        p.quotes = vec![
            "As a manager I need dashboards.".into(),
            "Too slow.".into(),
            "We leverage synergy across teams every day.".into(),
            "Honestly the app crashes whenever I upload photos.".into(),
        ];
        let m = measure(&p);
        // 1 authentic of 4 → 25; only the first two are reported
        assert_eq!(m.details["quotes_score"], 25.0);
        assert_eq!(m.details["artificial_quotes"], 3);
        assert_eq!(
            m.issues,
            [
                "Quote seems artificial: 'As a manager I need dashboards....' (corporate jargon)",
                "Quote seems artificial: 'Too slow....' (too short)",
            ]
        );
    }

    #[test]
    fn a_participants_own_words_are_not_artificial() {
        use crate::domain::persona::Evidence;
        let mut p = persona("a");
        p.quotes = vec!["I always keep a list of family favourites on the fridge.".into()];
        assert_eq!(
            measure(&p).details["artificial_quotes"],
            1,
            "an invented quote is flagged"
        );
        p.evidence.push(Evidence {
            question: None,
            field: EvidenceField::Quotes,
            index: 0,
            participant_id: "P1".into(),
            source: "interviews.csv".into(),
            location: "line 4".into(),
            excerpt: "Honestly? I always keep a list of  family favourites on the fridge. It helps.".into(),
        });
        let m = measure(&p);
        assert_eq!(m.details["artificial_quotes"], 0, "{:?}", m.issues);
        assert_eq!(m.details["quotes_score"], 100.0);
        // Verbatim or not, a one-word quote is still too short.
        p.quotes = vec!["Honestly?".into()];
        p.evidence.last_mut().unwrap().excerpt = "Honestly?".into();
        assert_eq!(measure(&p).details["artificial_quotes"], 1);
    }

    #[test]
    fn generic_goals() {
        let mut p = persona("a");
        p.goals = vec![
            "Be successful".into(),
            "Save time".into(),
            "want to be better and more".into(),
            "Ship the mobile expense app before the audit".into(),
        ];
        let m = measure(&p);
        assert_eq!(m.details["goals_score"], 25.0);
        assert_eq!(
            m.issues,
            [
                "Goal too generic: 'Be successful' (generic phrasing)",
                "Goal too generic: 'Save time' (too brief)",
            ]
        );
        assert_eq!(goal_problem("want to be better and more"), Some("too abstract"));
    }

    #[test]
    fn empty_lists_score_50() {
        let mut p = persona("a");
        p.goals.clear();
        p.quotes.clear();
        p.demographics.clear();
        assert_eq!(measure(&p).score, (100.0 + 50.0 + 50.0 + 50.0) / 4.0);
    }
}
