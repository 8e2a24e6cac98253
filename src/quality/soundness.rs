//! Soundness: whether a persona's claims mean what they say, as a researcher would check them
//! before using it. A factor from 0 to 1 that scales every dimension (so the overall score
//! stays Σ score × weight): claims that are questions, hedges, meta-talk or markup; pain points
//! answering a question about what works; near-duplicate claims; quotes that repeat a claim
//! word for word; a persona resting on one participant; a generic title; no goal and no pain
//! point; fewer than two claims.

use crate::domain::persona::normalise_whitespace;
use crate::domain::{EvidenceField, Persona};
use crate::generate::text::{self, QuestionFrame};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Multipliers per finding.
const PER_UNSOUND_CLAIM: f64 = 0.85;
const PER_DUPLICATE: f64 = 0.9;
const PER_REPEATED_QUOTE: f64 = 0.93;
const ONE_PARTICIPANT: f64 = 0.7;
const GENERIC_TITLE: f64 = 0.85;
const UNGROUNDED_TITLE: f64 = 0.8;
const NO_GOAL_OR_PAIN: f64 = 0.75;
const TOO_FEW_CLAIMS: f64 = 0.6;
/// Fewer claims than this make a thin persona, of little use to a product team.
const THIN_BELOW: usize = 5;
const THIN: f64 = 0.8;
/// Lowest factor: a persona is never scored below a fifth of its raw score.
const FLOOR: f64 = 0.2;

/// Words that make a title generic when they are all it says besides "The … User".
const FILLER_TITLE_WORDS: &[&str] = &[
    "the",
    "user",
    "users",
    "persona",
    "participant",
    "respondent",
    "customer",
    "person",
    "people",
    "group",
    "segment",
    "different",
    "better",
    "acting",
    "na",
    "n/a",
    "record",
    "general",
    "other",
    "misc",
    "various",
    "new",
    "good",
    "great",
    "best",
    "personal",
    "https",
    "http",
    "com",
    "www",
];

/// The factor (0.2–1) and the findings behind it.
pub(crate) fn measure(persona: &Persona) -> (f64, Vec<String>, Value) {
    let mut factor = 1.0;
    let mut issues = Vec::new();
    let claims: Vec<(EvidenceField, usize, &String)> = [
        EvidenceField::Goals,
        EvidenceField::PainPoints,
        EvidenceField::Behaviours,
        EvidenceField::Motivations,
    ]
    .into_iter()
    .flat_map(|f| persona.field_items(f).iter().enumerate().map(move |(i, c)| (f, i, c)))
    .collect();

    let mut unsound = 0;
    for (field, index, claim) in &claims {
        let reason = if claim.trim_end().ends_with('?') {
            Some("is a question")
        } else if text::is_hedge_or_meta(claim) {
            Some("is a hedge or talk about the interview")
        } else if text::is_markup(claim) {
            Some("is markup or a link")
        } else if *field == EvidenceField::PainPoints && answers_positive_question(persona, *index) {
            Some("answers a question about what works")
        } else {
            None
        };
        if let Some(reason) = reason {
            unsound += 1;
            factor *= PER_UNSOUND_CLAIM;
            if issues.len() < 3 {
                issues.push(format!("Claim {}[{index}] {reason}", field.as_str()));
            }
        }
    }

    let mut seen: Vec<BTreeSet<String>> = Vec::new();
    let mut duplicates = 0;
    for (_, _, claim) in &claims {
        let keys: BTreeSet<String> = text::term_keys(claim).into_iter().collect();
        if !keys.is_empty() && seen.iter().any(|k| overlap(k, &keys) >= 0.8) {
            duplicates += 1;
            factor *= PER_DUPLICATE;
        }
        seen.push(keys);
    }
    if duplicates > 0 {
        issues.push(format!("{duplicates} claim(s) repeat another claim"));
    }

    let claim_texts: BTreeSet<String> = claims.iter().map(|(_, _, c)| comparable(c)).collect();
    let repeated_quotes = persona
        .quotes
        .iter()
        .filter(|q| claim_texts.contains(&comparable(q)))
        .count();
    if repeated_quotes > 0 {
        factor *= PER_REPEATED_QUOTE.powi(repeated_quotes as i32);
        issues.push(format!("{repeated_quotes} quote(s) repeat a claim word for word"));
    }

    let participants: BTreeSet<&str> = persona.evidence.iter().map(|e| e.participant_id.as_str()).collect();
    let one_participant = persona.segment_size <= 1 || participants.len() <= 1;
    if one_participant {
        factor *= ONE_PARTICIPANT;
        issues.push("Rests on one participant".to_string());
    }

    let generic_title = is_generic_title(&persona.title);
    if generic_title {
        factor *= GENERIC_TITLE;
        issues.push(format!("Generic title: '{}'", persona.title));
    }

    let all_said: BTreeSet<String> = claims
        .iter()
        .map(|(_, _, c)| c.as_str())
        .chain(persona.quotes.iter().map(String::as_str))
        .flat_map(text::term_keys)
        .collect();
    let ungrounded_title = !generic_title && !title_is_grounded(persona, &all_said);
    if ungrounded_title {
        factor *= UNGROUNDED_TITLE;
        issues.push(format!("Title not found in what the persona says: '{}'", persona.title));
    }

    let no_goal_or_pain = persona.goals.is_empty() && persona.pain_points.is_empty();
    if no_goal_or_pain {
        factor *= NO_GOAL_OR_PAIN;
        issues.push("No goal and no pain point".to_string());
    }
    let too_few = claims.len() < 2;
    if too_few {
        factor *= TOO_FEW_CLAIMS;
        issues.push(format!("Only {} claim(s)", claims.len()));
    } else if claims.len() < THIN_BELOW {
        factor *= THIN;
        issues.push(format!("Thin persona: {} claims", claims.len()));
    }
    let factor: f64 = factor.max(FLOOR);
    let details = json!({
        "factor": (factor * 1000.0).round() / 1000.0,
        "claims": claims.len(),
        "unsound_claims": unsound,
        "duplicate_claims": duplicates,
        "quotes_repeating_claims": repeated_quotes,
        "one_participant": one_participant,
        "generic_title": generic_title,
        "ungrounded_title": ungrounded_title,
        "no_goal_or_pain_point": no_goal_or_pain,
    });
    (factor, issues, details)
}

fn comparable(s: &str) -> String {
    normalise_whitespace(s).to_lowercase()
}

/// Share of the smaller set found in the larger.
fn overlap(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let shared = a.intersection(b).count();
    shared as f64 / a.len().min(b.len()).max(1) as f64
}

/// Whether the speaker's own evidence entry of pain point `index` answers a positively framed question.
fn answers_positive_question(persona: &Persona, index: usize) -> bool {
    persona
        .evidence
        .iter()
        .find(|e| e.field == EvidenceField::PainPoints && e.index == index)
        .and_then(|e| e.question.as_deref())
        .and_then(text::question_frame)
        == Some(QuestionFrame::Positive)
}

/// Whether some content word of the title (besides filler and the persona's demographic values,
/// such as a role) is among the words of its claims and quotes.
fn title_is_grounded(persona: &Persona, said: &BTreeSet<String>) -> bool {
    let demographic: BTreeSet<String> = persona.demographics.values().flat_map(|v| text::term_keys(v)).collect();
    let title_keys: Vec<String> = text::term_keys(&persona.title)
        .into_iter()
        .filter(|k| !FILLER_TITLE_WORDS.contains(&k.as_str()) && !demographic.contains(k))
        .collect();
    title_keys.is_empty() || title_keys.iter().any(|k| said.contains(k))
}

/// A title that says nothing: empty, or only filler words ("The User", "The Different User").
pub fn is_generic_title(title: &str) -> bool {
    let words: Vec<String> = title
        .split(|c: char| !(c.is_alphanumeric() || c == '/' || c == '-'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let content: Vec<&String> = words
        .iter()
        .filter(|w| !(FILLER_TITLE_WORDS.contains(&w.as_str()) || w.chars().all(|c| c.is_ascii_digit())))
        .collect();
    // One word that only qualifies ("Typed", "Eventually") says nothing about who they are.
    match content.as_slice() {
        [] => true,
        [one] => is_bare_qualifier(one),
        _ => false,
    }
}

/// A participle or adverb standing alone ("typed", "eventually", "crashing").
pub fn is_bare_qualifier(word: &str) -> bool {
    let w = word.to_lowercase();
    w.chars().count() > 4 && (w.ends_with("ed") || w.ends_with("ly") || w.ends_with("ing"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Evidence;

    fn evidence(field: EvidenceField, index: usize, participant: &str, question: Option<&str>) -> Evidence {
        Evidence {
            question: question.map(String::from),
            field,
            index,
            participant_id: participant.into(),
            source: "s.csv".into(),
            location: "row 2".into(),
            excerpt: "x".into(),
        }
    }

    fn sound() -> Persona {
        let mut p = crate::quality::testing::persona("a");
        p.title = "The Rota Nurse".into();
        p.goals = vec![
            "I want to swap shifts from my phone.".into(),
            "I need handover notes on the ward tablet.".into(),
        ];
        p.pain_points = vec!["The rota is published too late for childcare.".into()];
        p.behaviours = vec!["Every morning I check the ward board.".into()];
        p.motivations = vec!["The shift-swap app works well on night shifts.".into()];
        p.quotes = vec!["Handover notes live in my pocket notebook.".into()];
        p.segment_size = 3;
        p.evidence = vec![
            evidence(EvidenceField::Goals, 0, "P1", None),
            evidence(EvidenceField::PainPoints, 0, "P2", Some("What frustrates you?")),
            evidence(EvidenceField::Behaviours, 0, "P2", None),
            evidence(EvidenceField::Motivations, 0, "P1", None),
        ];
        p
    }

    #[test]
    fn a_sound_persona_keeps_its_score() {
        let (factor, issues, _) = measure(&sound());
        assert_eq!(factor, 1.0, "{issues:?}");
    }

    #[test]
    fn unsound_claims_and_thin_personas_lose() {
        let mut p = sound();
        p.goals.push("Do you ever check the rota at night?".into());
        p.goals
            .push("I could look it up, but I want to say probably around 2012.".into());
        p.evidence[1].question = Some("What do you like about the app?".into());
        p.quotes.push(p.pain_points[0].clone());
        let (factor, issues, details) = measure(&p);
        assert!(factor < 0.6, "{factor} {issues:?}");
        assert_eq!(details["unsound_claims"], 3, "{issues:?}");
        assert_eq!(details["quotes_repeating_claims"], 1);

        let mut empty = sound();
        empty.goals.clear();
        empty.pain_points.clear();
        empty.title = "The Different User".into();
        empty.evidence.truncate(0);
        let (factor, issues, _) = measure(&empty);
        assert!(factor < 0.4, "{factor} {issues:?}");
        assert!(issues.iter().any(|i| i.starts_with("Generic title")));
        assert!(issues.iter().any(|i| i == "Rests on one participant"));
    }

    #[test]
    fn a_title_must_come_from_what_the_persona_says() {
        let mut p = sound();
        p.title = "The Attachments User".into();
        let (factor, issues, _) = measure(&p);
        assert_eq!(factor, 0.8, "{issues:?}");
    }

    #[test]
    fn generic_titles() {
        assert!(is_generic_title("The Different User"));
        assert!(is_generic_title("The User 2"));
        assert!(is_generic_title("The Typed User"));
        assert!(!is_generic_title("The Shared Notebook User"));
        assert!(!is_generic_title("The Vim Emacs User"));
        assert!(!is_generic_title("The Nurse"));
    }
}
