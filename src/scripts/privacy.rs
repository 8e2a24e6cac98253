//! The privacy audit (peer §6.3), run on every card before any output is returned. It compares
//! the card's text with the persona's quotes **and** its evidence excerpts (the participants' raw
//! words), and looks for identifiers.
//!
//! Findings and their weight (`leakage_score = min(1, Σ similarity × severity weight)`, with
//! high 0.5 and medium 0.2; the audit passes when the score ≤ the threshold):
//! * `direct_quote` / `direct_excerpt` (high, similarity 1): a quote or excerpt of at least
//!   [`MIN_DIRECT_WORDS`] words appears, word for word, in one card field;
//! * `sequence_overlap` (medium, 0.8): a run of at least [`MIN_OVERLAP_WORDS`] consecutive words
//!   is shared with a quote or excerpt;
//! * `paraphrase` (medium, similarity = overlap): at least 70 % of the significant words of a
//!   quote or excerpt with ≥ 3 of them appear in the card's free text;
//! * `email`, `phone_number`, `participant_id`, `persona_id` (high, 1): identifiers anywhere on
//!   the card, the name included.
//!
//! The quote and excerpt checks skip text the generator writes itself (its canned phrases and
//! guidelines): only text carried over from the persona (name, title, demographics summary) or
//! anything not in the canned vocabulary can leak participants' words. The identifier checks
//! cover every field but the fixed guideline sentences (which only repeat the name).

use super::card::{CharacterCard, canned_phrases};
use super::words::significant_words;
use crate::domain::Persona;
use crate::domain::persona::normalise_whitespace;
use crate::quality::text::{truncate_chars, words};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::LazyLock;
use utoipa::ToSchema;

/// Shortest quote or excerpt (in words) checked for a verbatim copy; shorter ones ("too slow")
/// are ordinary phrases.
pub const MIN_DIRECT_WORDS: usize = 3;
/// Shortest shared run of consecutive words that counts as a partial copy.
pub const MIN_OVERLAP_WORDS: usize = 6;
/// Share of a quote's significant words that makes the card text a paraphrase of it.
pub const PARAPHRASE_OVERLAP: f64 = 0.7;
/// Fewest significant words a quote needs for the paraphrase check.
pub const MIN_PARAPHRASE_WORDS: usize = 3;
/// Similarity reported for a partial (sequence) copy, as the peer's 3-word partial hit.
const OVERLAP_SIMILARITY: f64 = 0.8;
/// Default `max_leakage_score`.
pub const DEFAULT_THRESHOLD: f64 = 0.1;

/// How bad a finding is; weights the leakage score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    High,
    Medium,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
        }
    }

    pub fn weight(self) -> f64 {
        match self {
            Severity::High => 0.5,
            Severity::Medium => 0.2,
        }
    }
}

/// One finding of the audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Leakage {
    /// `direct_quote`, `direct_excerpt`, `sequence_overlap`, `paraphrase`, `email`,
    /// `phone_number`, `participant_id` or `persona_id`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The leaked text (a quote or excerpt, at most 100 characters; or the identifier).
    pub content: String,
    /// Where it comes from in the persona: `quotes[2]`, `evidence[4] (goals[0], interviews.csv
    /// line 14)`, `participants`, `id`; `pattern` for e-mail addresses and phone numbers.
    pub source: String,
    /// Card field it was found in, e.g. `identity.title`.
    pub found_in: String,
    /// 0–1.
    pub similarity: f64,
    pub severity: Severity,
}

/// The audit's verdict. When `passed` is false the script is not returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PrivacyAudit {
    pub passed: bool,
    /// `min(1, Σ similarity × severity weight)`, rounded to 3 decimals.
    pub leakage_score: f64,
    /// The largest passing score (`max_leakage_score`).
    pub threshold: f64,
    pub leakages: Vec<Leakage>,
    /// A human-readable summary: verdict, score and up to five findings.
    pub details: String,
}

impl PrivacyAudit {
    /// `{leakage_score, threshold, leakages}`: the error details of a blocked request.
    pub fn error_details(&self) -> serde_json::Value {
        serde_json::json!({
            "leakage_score": self.leakage_score,
            "threshold": self.threshold,
            "leakages": self.leakages,
        })
    }
}

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").expect("valid regex"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\+?\d[\d ().-]{5,}\d").expect("valid regex"));
static YEAR_RANGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(19|20)\d\d\s*[-–]\s*(19|20)\d\d$").expect("valid regex"));

/// Fewest / most digits of a phone number.
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 7..=15;

/// A quote or an evidence excerpt of the persona.
struct SourceText {
    label: String,
    text: String,
    is_quote: bool,
}

/// Where a card field's text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// Carried over from the persona (name, title, demographics summary), or a list item that is
    /// not one of the generator's canned phrases: checked for quotes, excerpts and identifiers.
    Persona,
    /// One of the rule tables' phrases: checked for identifiers only.
    Canned,
    /// The fixed guideline sentences (which embed the name, audited on its own): not checked.
    Fixed,
}

struct AuditedField {
    path: String,
    text: String,
    origin: Origin,
}

fn audited_fields(card: &CharacterCard) -> Vec<AuditedField> {
    let canned = canned_phrases();
    let mut fields = Vec::new();
    let mut add = |path: String, text: &str, fixed: bool| {
        if text.trim().is_empty() {
            return;
        }
        let origin = if fixed {
            Origin::Fixed
        } else if canned.contains(text) {
            Origin::Canned
        } else {
            Origin::Persona
        };
        fields.push(AuditedField {
            path,
            text: text.to_string(),
            origin,
        });
    };
    add("identity.name".into(), &card.identity.name, false);
    add("identity.title".into(), &card.identity.title, false);
    add(
        "identity.demographics_summary".into(),
        &card.identity.demographics_summary,
        false,
    );
    let p = &card.psychological_profile;
    let k = &card.knowledge_boundaries;
    let lists: [(&str, &Vec<String>); 9] = [
        ("psychological_profile.goals", &p.goals),
        ("psychological_profile.motivations", &p.motivations),
        ("psychological_profile.pain_points", &p.pain_points),
        ("psychological_profile.personality_traits", &p.personality_traits),
        ("psychological_profile.flaws", &p.flaws),
        (
            "communication_style.speech_patterns",
            &card.communication_style.speech_patterns,
        ),
        ("knowledge_boundaries.knows", &k.knows),
        ("knowledge_boundaries.doesnt_know", &k.doesnt_know),
        ("knowledge_boundaries.can_infer", &k.can_infer),
    ];
    for (path, items) in lists {
        for (i, item) in items.iter().enumerate() {
            add(format!("{path}[{i}]"), item, false);
        }
    }
    add("communication_style.tone".into(), &card.communication_style.tone, false);
    add(
        "communication_style.vocabulary_level".into(),
        &card.communication_style.vocabulary_level,
        false,
    );
    let g = &card.guidelines;
    for (path, text) in [
        ("guidelines.response_style", &g.response_style),
        ("guidelines.uncertainty_handling", &g.uncertainty_handling),
        ("guidelines.character_maintenance", &g.character_maintenance),
    ] {
        add(path.into(), text, true);
    }
    for (i, rule) in g.additional_rules.iter().enumerate() {
        add(format!("guidelines.additional_rules[{i}]"), rule, true);
    }
    fields
}

fn sources(persona: &Persona) -> Vec<SourceText> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut add = |label: String, text: &str, is_quote: bool| {
        let key = normalise_whitespace(text).to_lowercase();
        if !key.is_empty() && seen.insert(key) {
            out.push(SourceText {
                label,
                text: text.to_string(),
                is_quote,
            });
        }
    };
    for (i, q) in persona.quotes.iter().enumerate() {
        add(format!("quotes[{i}]"), q, true);
    }
    for (i, e) in persona.evidence.iter().enumerate() {
        let label = format!(
            "evidence[{i}] ({}[{}], {} {})",
            e.field.as_str(),
            e.index,
            e.source,
            e.location
        );
        add(label, &e.excerpt, false);
    }
    out
}

/// Whether `needle` occurs in `haystack` as a run of whole words.
fn contains_sequence(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Length of the longest run of consecutive words shared by `a` and `b`.
fn longest_shared_run(a: &[String], b: &[String]) -> usize {
    let mut best = 0;
    let mut previous = vec![0usize; b.len() + 1];
    for x in a {
        let mut current = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            if x == y {
                current[j + 1] = previous[j] + 1;
                best = best.max(current[j + 1]);
            }
        }
        previous = current;
    }
    best
}

/// Whether `needle` occurs in `haystack` (case-insensitively) with no letter or digit right
/// before or after it.
fn contains_whole(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.to_lowercase(), needle.to_lowercase());
    haystack.match_indices(&needle).any(|(start, m)| {
        let before = haystack[..start].chars().next_back();
        let after = haystack[start + m.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Participant ids short or numeric enough to collide with ordinary numbers ("7", "26") are not
/// searched: an id must have two or more characters, and an all-digit id four or more.
fn searchable_id(id: &str) -> bool {
    let n = id.chars().count();
    n >= 2 && (n >= 4 || !id.chars().all(|c| c.is_ascii_digit()))
}

fn leak(kind: &str, content: &str, source: &str, found_in: &str, similarity: f64, severity: Severity) -> Leakage {
    let content = match truncate_chars(content, 100) {
        t if t.len() < content.len() => format!("{t}…"),
        t => t.to_string(),
    };
    Leakage {
        kind: kind.to_string(),
        content,
        source: source.to_string(),
        found_in: found_in.to_string(),
        similarity: crate::quality::text::round2(similarity),
        severity,
    }
}

/// Audits a card built from `persona`; `threshold` is the largest passing leakage score.
pub fn audit(card: &CharacterCard, persona: &Persona, threshold: f64) -> PrivacyAudit {
    let fields = audited_fields(card);
    let mut leakages = text_leakages(&fields, persona);
    leakages.extend(identifier_leakages(&fields, persona));
    // fold from +0.0: an empty float `sum()` is -0.0, which would print as "-0.000"
    let raw = leakages
        .iter()
        .fold(0.0, |acc, l| acc + l.similarity * l.severity.weight());
    let leakage_score = (raw.min(1.0) * 1000.0).round() / 1000.0;
    let passed = leakage_score <= threshold;
    let details = describe(passed, leakage_score, threshold, &leakages);
    PrivacyAudit {
        passed,
        leakage_score,
        threshold,
        leakages,
        details,
    }
}

/// Quotes and excerpts of the persona carried into the card's free text: word for word, as a
/// long shared run of words, or paraphrased (most significant words shared).
fn text_leakages(fields: &[AuditedField], persona: &Persona) -> Vec<Leakage> {
    let free: Vec<(&AuditedField, Vec<String>)> = fields
        .iter()
        .filter(|f| f.origin == Origin::Persona)
        .map(|f| (f, words(&f.text)))
        .collect();
    let free_significant: Vec<(&str, BTreeSet<String>)> = free
        .iter()
        .map(|(f, _)| (f.path.as_str(), significant_words(&f.text)))
        .collect();
    let all_significant: BTreeSet<&String> = free_significant.iter().flat_map(|(_, w)| w).collect();
    let mut leakages = Vec::new();

    for source in sources(persona) {
        let source_words = words(&source.text);
        let direct = if source_words.len() >= MIN_DIRECT_WORDS {
            free.iter().find(|(_, w)| contains_sequence(w, &source_words))
        } else {
            None
        };
        if let Some((field, _)) = direct {
            let kind = if source.is_quote {
                "direct_quote"
            } else {
                "direct_excerpt"
            };
            leakages.push(leak(
                kind,
                &source.text,
                &source.label,
                &field.path,
                1.0,
                Severity::High,
            ));
            continue;
        }
        let overlap = free
            .iter()
            .find(|(_, w)| longest_shared_run(w, &source_words) >= MIN_OVERLAP_WORDS);
        if let Some((field, _)) = overlap {
            leakages.push(leak(
                "sequence_overlap",
                &source.text,
                &source.label,
                &field.path,
                OVERLAP_SIMILARITY,
                Severity::Medium,
            ));
            continue;
        }
        let significant = significant_words(&source.text);
        if significant.len() >= MIN_PARAPHRASE_WORDS {
            let shared = significant.iter().filter(|w| all_significant.contains(w)).count();
            let ratio = shared as f64 / significant.len() as f64;
            if ratio >= PARAPHRASE_OVERLAP {
                // The fields the shared words were found in.
                let found_in: Vec<&str> = free_significant
                    .iter()
                    .filter(|(_, w)| !w.is_disjoint(&significant))
                    .map(|(path, _)| *path)
                    .collect();
                leakages.push(leak(
                    "paraphrase",
                    &source.text,
                    &source.label,
                    &found_in.join(", "),
                    ratio,
                    Severity::Medium,
                ));
            }
        }
    }
    leakages
}

/// E-mail addresses, phone numbers, participant ids and the persona id in any non-fixed field.
fn identifier_leakages(fields: &[AuditedField], persona: &Persona) -> Vec<Leakage> {
    let mut leakages = Vec::new();
    let mut participant_ids: Vec<(String, String)> = Vec::new();
    for id in &persona.participants {
        participant_ids.push((id.trim().to_string(), "participants".to_string()));
    }
    for (i, e) in persona.evidence.iter().enumerate() {
        participant_ids.push((
            e.participant_id.trim().to_string(),
            format!("evidence[{i}].participant_id"),
        ));
    }
    let mut seen_ids = BTreeSet::new();
    participant_ids.retain(|(id, _)| searchable_id(id) && seen_ids.insert(id.to_lowercase()));
    let persona_id = persona.id.trim();

    for field in fields.iter().filter(|f| f.origin != Origin::Fixed) {
        for m in EMAIL.find_iter(&field.text) {
            leakages.push(leak("email", m.as_str(), "pattern", &field.path, 1.0, Severity::High));
        }
        for m in PHONE.find_iter(&field.text) {
            let digits = m.as_str().chars().filter(char::is_ascii_digit).count();
            if PHONE_DIGITS.contains(&digits) && !YEAR_RANGE.is_match(m.as_str().trim()) {
                leakages.push(leak(
                    "phone_number",
                    m.as_str(),
                    "pattern",
                    &field.path,
                    1.0,
                    Severity::High,
                ));
            }
        }
        for (id, source) in &participant_ids {
            if contains_whole(&field.text, id) {
                leakages.push(leak("participant_id", id, source, &field.path, 1.0, Severity::High));
            }
        }
        if persona_id.chars().count() >= 4 && contains_whole(&field.text, persona_id) {
            leakages.push(leak("persona_id", persona_id, "id", &field.path, 1.0, Severity::High));
        }
    }
    leakages
}

fn describe(passed: bool, score: f64, threshold: f64, leakages: &[Leakage]) -> String {
    let mut lines = vec![
        if passed {
            "Privacy audit PASSED".to_string()
        } else {
            "Privacy audit FAILED - Output BLOCKED".to_string()
        },
        format!("Leakage score: {score:.3} (threshold: {threshold})"),
    ];
    if !leakages.is_empty() {
        lines.push(format!("Findings ({}):", leakages.len()));
        for (i, l) in leakages.iter().take(5).enumerate() {
            lines.push(format!(
                "  {}. [{}] {} in {}",
                i + 1,
                l.kind,
                truncate_chars(&l.content, 50),
                l.found_in
            ));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quality::testing::persona;
    use crate::scripts::card::build_card;

    fn audit_of(p: &Persona) -> PrivacyAudit {
        audit(&build_card(p), p, DEFAULT_THRESHOLD)
    }

    fn kinds(a: &PrivacyAudit) -> Vec<&str> {
        a.leakages.iter().map(|l| l.kind.as_str()).collect()
    }

    #[test]
    fn a_normal_persona_passes() {
        let a = audit_of(&persona("a"));
        assert!(a.passed, "{}", a.details);
        assert_eq!(a.leakage_score, 0.0);
        assert_eq!(a.details, "Privacy audit PASSED\nLeakage score: 0.000 (threshold: 0.1)");
    }

    #[test]
    fn canned_phrases_never_match_participants_words() {
        let mut p = persona("a");
        // The pain point abstracts to "frustrated by manual processes" and "impatient with slow
        // systems": a quote using those words is not a leak.
        p.pain_points = vec!["Manual processes and slow systems".into()];
        p.quotes = vec!["I am frustrated by manual processes and slow systems every single week".into()];
        let a = audit_of(&p);
        assert!(a.passed, "{}", a.details);
    }

    #[test]
    fn a_quote_in_the_title_is_blocked() {
        let mut p = persona("a");
        p.title = "The one who types up notes at night".into();
        p.quotes.push("types up notes at night".into());
        let a = audit_of(&p);
        assert!(!a.passed);
        assert_eq!(kinds(&a), ["direct_quote"]);
        let l = &a.leakages[0];
        assert_eq!(
            (l.source.as_str(), l.found_in.as_str()),
            ("quotes[1]", "identity.title")
        );
        assert_eq!(a.leakage_score, 0.5);
        assert!(
            a.details
                .starts_with("Privacy audit FAILED - Output BLOCKED\nLeakage score: 0.500 (threshold: 0.1)")
        );
    }

    #[test]
    fn evidence_excerpts_are_sources_too() {
        let mut p = persona("a");
        p.title = "Does the pipeline at night in the hotel".into();
        let a = audit_of(&p);
        // evidence[3] excerpt: "I do the pipeline at night in the hotel"
        assert_eq!(kinds(&a), ["sequence_overlap"]);
        assert!(
            a.leakages[0]
                .source
                .starts_with("evidence[3] (behaviours[0], interviews.csv line 2)")
        );
        assert_eq!(a.leakage_score, 0.16);
        assert!(!a.passed);
    }

    #[test]
    fn paraphrases_are_medium() {
        let mut p = persona("a");
        p.quotes = vec!["Typing evening notes again, honestly".into()];
        p.evidence.retain(|e| e.field != crate::domain::EvidenceField::Quotes);
        p.demographics.insert("location".into(), "evening notes typing".into());
        let a = audit_of(&p);
        // significant words {typing, evening, notes, again, honestly}: 3 of 5 = 0.6 < 0.7
        assert!(a.passed, "{}", a.details);
        p.demographics
            .insert("location".into(), "evening notes typing, honestly".into());
        let a = audit_of(&p);
        assert_eq!(kinds(&a), ["paraphrase"]);
        assert_eq!(a.leakages[0].similarity, 0.8);
        assert_eq!(a.leakages[0].found_in, "identity.demographics_summary");
        assert_eq!(a.leakage_score, 0.16);
    }

    #[test]
    fn identifiers_are_high() {
        let mut p = persona("a");
        p.demographics
            .insert("location".into(), "Berlin (maya.o@example.com, +49 30 1234567)".into());
        p.title = "The P031 seller".into();
        let a = audit_of(&p);
        assert_eq!(kinds(&a), ["participant_id", "email", "phone_number"]);
        assert_eq!(a.leakages[0].source, "participants");
        assert_eq!(a.leakages[1].content, "maya.o@example.com");
        assert_eq!(a.leakage_score, 1.0);
    }

    #[test]
    fn identifiers_match_whole_words_only() {
        let mut p = persona("a");
        p.participants = vec!["P1".into(), "26".into()];
        p.title = "The P10 seller".into(); // not P1
        p.demographics.insert("experience".into(), "2019-2024".into());
        let a = audit_of(&p);
        // "26" (in "26-40") is too short to search; "2019-2024" is a year range, not a phone
        assert!(a.passed, "{}", a.details);
        p.name = "Maya persona-a Okafor".into();
        let a = audit_of(&p);
        assert_eq!(kinds(&a), ["persona_id"]);
        assert_eq!(a.leakages[0].found_in, "identity.name");
    }

    #[test]
    fn the_threshold_decides() {
        let mut p = persona("a");
        p.title = "Does the pipeline at night in the hotel".into();
        let card = build_card(&p);
        assert!(!audit(&card, &p, 0.1).passed);
        assert!(audit(&card, &p, 0.16).passed);
        assert!(audit(&card, &p, 1.0).passed);
    }

    #[test]
    fn helpers() {
        assert_eq!(
            longest_shared_run(&words("a b c d e f g"), &words("x b c d y e f g")),
            3
        );
        assert!(contains_whole("Seller P012.", "p012"));
        assert!(!contains_whole("P0123", "P012"));
        assert!(searchable_id("P1") && searchable_id("1234") && !searchable_id("26") && !searchable_id("x"));
    }
}
