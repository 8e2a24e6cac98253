//! Soundness: whether a persona's claims mean what they say, as a researcher would check them
//! before using it. A factor from 0 to 1 that scales every dimension (so the overall score
//! stays Σ score × weight): claims that are questions, hedges, meta-talk or markup; pain points
//! answering a question about what works; near-duplicate claims; quotes that repeat a claim
//! word for word; a persona resting on one participant; a generic title; no goal and no pain
//! point; fewer than two claims; pain points none of which names a problem itself; scattered
//! asides (claims by as many people, none echoed, few about the title's subject).

use super::claim_text::{self as text, QuestionFrame};
use crate::domain::persona::normalise_whitespace;
use crate::domain::{EvidenceField, Persona};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Personas whose factor is below this are not shown by the local provider: off-topic talk,
/// misfiled answers or scattered asides that a research team would not use as they come. One
/// finding of the heavier kind alone (one voice, long-winded talk: 0.75) keeps a persona; with
/// another beside it (an empty list: 0.75 × 0.93) it goes. Calibrated on the real corpus, where
/// every persona a researcher accepted has 0.75 or more and every one rejected 0.70 or less.
pub(crate) const MIN_SOUNDNESS: f64 = 0.7;

/// Multipliers per finding.
const PER_UNSOUND_CLAIM: f64 = 0.85;
const PER_DUPLICATE: f64 = 0.9;
const PER_REPEATED_QUOTE: f64 = 0.93;
const ONE_PARTICIPANT: f64 = 0.7;
const ONE_PARTICIPANT_FINDING: &str = "Rests on one participant";
const GENERIC_TITLE: f64 = 0.85;
const UNGROUNDED_TITLE: f64 = 0.8;
const NO_GOAL_OR_PAIN: f64 = 0.75;
const TOO_FEW_CLAIMS: f64 = 0.6;
/// Per list (goals, pain points, behaviours, motivations) left empty: a persona that only
/// complains, or only lists tools, tells a product team half of who they are.
const PER_EMPTY_LIST: f64 = 0.93;
/// Most claims from one participant: the persona is that person, not the segment.
const ONE_VOICE: f64 = 0.75;
/// Most claims long-winded (over `RAMBLING_WORDS` words): talk, anecdote or opinion rather than
/// a need one can design for.
const RAMBLING: f64 = 0.75;
const RAMBLING_WORDS: usize = 25;
/// Most claims share no content word with any other claim: a mixed bag with no common subject.
const NO_COMMON_SUBJECT: f64 = 0.8;
/// Every pain point (three or more) without a word of frustration of its own: each is a pain
/// only because of the question it answered, and a list of self-descriptions, praise, habits
/// and wishes filed under "what is hard" is misfiled, not a list of pains.
const MISFILED_PAINS: f64 = 0.8;
const MISFILED_PAINS_FROM: usize = 3;
/// Scattered asides: claims each said by a different participant, none echoed by another, and
/// fewer than a third about the title's subject. Unrelated requests that meet on a word or two
/// ("find", "access"): a collection of individuals, not a segment's shared concern. Alone it
/// puts a persona below [`MIN_SOUNDNESS`].
const SCATTERED: f64 = 0.55;
const _: () = assert!(SCATTERED < MIN_SOUNDNESS, "scattered asides alone must drop a persona");
const SCATTERED_FROM: usize = 6;
/// Fewer claims than this make a thin persona, of little use to a product team.
const THIN_BELOW: usize = 6;
const THIN: f64 = 0.8;
/// Fewer claims than this (but at least two): a persona of a claim or two per list at most, a
/// sketch rather than a persona.
const VERY_THIN_BELOW: usize = 4;
const VERY_THIN: f64 = 0.7;
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
    "data",
    "information",
    "https",
    "http",
    "com",
    "www",
];

/// The factor (0.2–1) and the findings behind it.
pub(crate) fn measure(persona: &Persona) -> (f64, Vec<String>, Value) {
    let claims: Vec<Claim> = persona.claims().collect();
    let mut found = Findings {
        factor: 1.0,
        issues: Vec::new(),
    };
    let unsound = unsound_claims(persona, &claims, &mut found);
    let (duplicates, repeated_quotes) = repeats(persona, &claims, &mut found);
    let participants: BTreeSet<&str> = persona.evidence.iter().map(|e| e.participant_id.as_str()).collect();
    let one_participant = persona.segment_size <= 1 || participants.len() <= 1;
    found.penalise(one_participant, ONE_PARTICIPANT, || ONE_PARTICIPANT_FINDING.to_string());
    let (generic_title, ungrounded_title) = title_findings(persona, &claims, &mut found);
    let shape = shape_findings(persona, &claims, one_participant, &mut found);
    let scattered = found.penalise(scattered_asides(persona, &claims), SCATTERED, || {
        format!(
            "Scattered asides: {} claims by as many participants, none echoed, few about '{}'",
            claims.len(),
            persona.title
        )
    });
    let misfiled_pains = found.penalise(pains_without_pain(persona), MISFILED_PAINS, || {
        format!(
            "None of the {} pain points names a problem in its own words (misfiled answers)",
            persona.pain_points.len()
        )
    });
    let factor: f64 = found.factor.max(FLOOR);
    let details = json!({
        "factor": (factor * 1000.0).round() / 1000.0,
        "claims": claims.len(),
        "unsound_claims": unsound,
        "duplicate_claims": duplicates,
        "quotes_repeating_claims": repeated_quotes,
        "one_participant": one_participant,
        "generic_title": generic_title,
        "ungrounded_title": ungrounded_title,
        "no_goal_or_pain_point": shape.no_goal_or_pain,
        "empty_lists": shape.empty_lists,
        "one_voice": shape.one_voice,
        "long_winded_claims": shape.long_winded,
        "unconnected_claims": shape.unconnected,
        "misfiled_pain_points": misfiled_pains,
        "scattered_asides": scattered,
    });
    (factor, found.issues, details)
}

/// The factor and findings by which the local provider decides whether a persona is shown
/// ([`MIN_SOUNDNESS`]): [`measure`]'s, except that when the data holds one participant in all
/// (a single interview) resting on one participant is not held against the persona: the data
/// cannot give more, and the score still reports it.
pub(crate) fn shown_factor(persona: &Persona, participants_in_data: usize) -> (f64, Vec<String>) {
    let (factor, mut findings, details) = measure(persona);
    if participants_in_data <= 1 && details["one_participant"] == true {
        findings.retain(|f| f != ONE_PARTICIPANT_FINDING);
        return ((factor / ONE_PARTICIPANT).min(1.0), findings);
    }
    (factor, findings)
}

/// A claim: its list, its index there and its text.
type Claim<'p> = (EvidenceField, usize, &'p String);

/// The factor so far and the findings behind it.
struct Findings {
    factor: f64,
    issues: Vec<String>,
}

impl Findings {
    /// Applies `multiplier` and notes the issue when `found`; returns `found`.
    fn penalise(&mut self, found: bool, multiplier: f64, issue: impl FnOnce() -> String) -> bool {
        if found {
            self.factor *= multiplier;
            self.issues.push(issue());
        }
        found
    }
}

/// Claims that are questions, hedges, markup, or pain points answering a question about what
/// works (the first three named in the issues).
fn unsound_claims(persona: &Persona, claims: &[Claim], found: &mut Findings) -> usize {
    let mut unsound = 0;
    for (field, index, claim) in claims {
        let reason = if text::is_question(claim) {
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
            found.factor *= PER_UNSOUND_CLAIM;
            if found.issues.len() < 3 {
                found.issues.push(format!("Claim {}[{index}] {reason}", field.as_str()));
            }
        }
    }
    unsound
}

/// Claims repeating an earlier claim ([`text::repeats`]) and quotes repeating a claim word for word.
fn repeats(persona: &Persona, claims: &[Claim], found: &mut Findings) -> (usize, usize) {
    let mut seen: Vec<BTreeSet<String>> = Vec::new();
    let mut duplicates = 0;
    for (_, _, claim) in claims {
        let keys: BTreeSet<String> = text::term_keys(claim).into_iter().collect();
        if seen.iter().any(|k| text::repeats(k, &keys)) {
            duplicates += 1;
        }
        seen.push(keys);
    }
    found.penalise(duplicates > 0, PER_DUPLICATE.powi(duplicates as i32), || {
        format!("{duplicates} claim(s) repeat another claim")
    });
    let claim_texts: BTreeSet<String> = claims.iter().map(|(_, _, c)| comparable(c)).collect();
    let repeated_quotes = persona
        .quotes
        .iter()
        .filter(|q| claim_texts.contains(&comparable(q)))
        .count();
    found.penalise(
        repeated_quotes > 0,
        PER_REPEATED_QUOTE.powi(repeated_quotes as i32),
        || format!("{repeated_quotes} quote(s) repeat a claim word for word"),
    );
    (duplicates, repeated_quotes)
}

/// (generic, ungrounded): a title that says nothing, or one whose words the persona never says.
fn title_findings(persona: &Persona, claims: &[Claim], found: &mut Findings) -> (bool, bool) {
    let generic = found.penalise(is_generic_title(&persona.title), GENERIC_TITLE, || {
        format!("Generic title: '{}'", persona.title)
    });
    let all_said: BTreeSet<String> = claims
        .iter()
        .map(|(_, _, c)| c.as_str())
        .chain(persona.quotes.iter().map(String::as_str))
        .flat_map(text::term_keys)
        .collect();
    let ungrounded = found.penalise(
        !generic && !title_is_grounded(persona, &all_said),
        UNGROUNDED_TITLE,
        || format!("Title not found in what the persona says: '{}'", persona.title),
    );
    (generic, ungrounded)
}

/// What the claims add up to, as [`shape_findings`] measures it.
struct Shape {
    empty_lists: usize,
    one_voice: bool,
    long_winded: usize,
    unconnected: usize,
    no_goal_or_pain: bool,
}

/// Empty lists, one voice, long-winded claims, a mixed bag, no goal or pain point, too few claims.
fn shape_findings(persona: &Persona, claims: &[Claim], one_participant: bool, found: &mut Findings) -> Shape {
    let lists = [
        &persona.goals,
        &persona.pain_points,
        &persona.behaviours,
        &persona.motivations,
    ];
    let empty_lists = lists.iter().filter(|l| l.is_empty()).count();
    found.penalise(empty_lists > 0, PER_EMPTY_LIST.powi(empty_lists as i32), || {
        format!("{empty_lists} of 4 claim lists empty")
    });
    let one_voice = found.penalise(!one_participant && one_voice(persona, claims), ONE_VOICE, || {
        "Most claims come from one participant".to_string()
    });
    let long_winded = claims
        .iter()
        .filter(|(_, _, c)| c.split_whitespace().count() > RAMBLING_WORDS)
        .count();
    found.penalise(long_winded * 2 > claims.len(), RAMBLING, || {
        format!(
            "Most claims are long-winded ({long_winded} of {} over {RAMBLING_WORDS} words)",
            claims.len()
        )
    });
    let unconnected = unconnected_claims(claims);
    found.penalise(
        claims.len() >= 3 && unconnected * 2 > claims.len(),
        NO_COMMON_SUBJECT,
        || format!("{unconnected} of {} claims share no subject with another", claims.len()),
    );
    let no_goal_or_pain = found.penalise(
        persona.goals.is_empty() && persona.pain_points.is_empty(),
        NO_GOAL_OR_PAIN,
        || "No goal and no pain point".to_string(),
    );
    if !found.penalise(claims.len() < 2, TOO_FEW_CLAIMS, || {
        format!("Only {} claim(s)", claims.len())
    }) {
        let very_thin = claims.len() < VERY_THIN_BELOW;
        found.penalise(
            claims.len() < THIN_BELOW,
            if very_thin { VERY_THIN } else { THIN },
            || format!("Thin persona: {} claims", claims.len()),
        );
    }
    Shape {
        empty_lists,
        one_voice,
        long_winded,
        unconnected,
        no_goal_or_pain,
    }
}

/// Whether more than half of three or more claims were said by one participant (the speaker of a
/// claim is its first evidence entry).
fn one_voice(persona: &Persona, claims: &[Claim]) -> bool {
    if claims.len() < 3 {
        return false;
    }
    let mut said_by: BTreeMap<&str, usize> = BTreeMap::new();
    for (field, index, _) in claims {
        if let Some(e) = persona.evidence.iter().find(|e| e.field == *field && e.index == *index) {
            *said_by.entry(e.participant_id.as_str()).or_default() += 1;
        }
    }
    said_by.values().any(|&n| n * 2 > claims.len())
}

/// Claims without a content word in common with any other claim of the persona.
fn unconnected_claims(claims: &[Claim]) -> usize {
    let keys: Vec<BTreeSet<String>> = claims
        .iter()
        .map(|(_, _, c)| text::term_keys(c).into_iter().collect())
        .collect();
    (0..keys.len())
        .filter(|&i| !(0..keys.len()).any(|j| j != i && !keys[i].is_disjoint(&keys[j])))
        .count()
}

/// Whether six or more claims come from as many speakers (two in three distinct), none backed by
/// a second participant, and fewer than a third share a word with the title (a title from the
/// persona's demographics, such as a role, is not a subject to look for).
fn scattered_asides(persona: &Persona, claims: &[Claim]) -> bool {
    if claims.len() < SCATTERED_FROM {
        return false;
    }
    let demographic: BTreeSet<String> = persona.demographics.values().flat_map(|v| text::term_keys(v)).collect();
    let subject: BTreeSet<String> = text::term_keys(&persona.title)
        .into_iter()
        .filter(|k| !FILLER_TITLE_WORDS.contains(&k.as_str()) && !demographic.contains(k))
        .collect();
    if subject.is_empty() {
        return false;
    }
    let mut speakers = BTreeSet::new();
    let mut on_subject = 0;
    for (field, index, claim) in claims {
        let backers: Vec<&str> = persona
            .evidence
            .iter()
            .filter(|e| e.field == *field && e.index == *index)
            .map(|e| e.participant_id.as_str())
            .collect();
        if backers.len() > 1 {
            return false;
        }
        speakers.extend(backers);
        on_subject += usize::from(text::term_keys(claim).iter().any(|k| subject.contains(k)));
    }
    speakers.len() * 3 >= claims.len() * 2 && on_subject * 3 < claims.len()
}

/// Whether three or more pain points all lack a cue of frustration of their own.
fn pains_without_pain(persona: &Persona) -> bool {
    persona.pain_points.len() >= MISFILED_PAINS_FROM
        && persona
            .pain_points
            .iter()
            .all(|p| !matches!(text::classify(p), Some((text::Cue::PainPoint, _))))
}

fn comparable(s: &str) -> String {
    normalise_whitespace(s).to_lowercase()
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
        p.pain_points = vec![
            "The rota is published too late for childcare.".into(),
            "Ward tablets log me out between patients.".into(),
        ];
        p.behaviours = vec!["Every morning I check the ward board.".into()];
        p.motivations = vec!["The shift-swap app works well on night shifts.".into()];
        p.quotes = vec!["Handover notes live in my pocket notebook.".into()];
        p.segment_size = 3;
        p.evidence = vec![
            evidence(EvidenceField::Goals, 0, "P1", None),
            evidence(EvidenceField::PainPoints, 0, "P2", Some("What frustrates you?")),
            evidence(EvidenceField::PainPoints, 1, "P3", None),
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
    fn empty_lists_one_voice_long_winded_claims_and_mixed_bags_lose() {
        let mut p = sound();
        p.motivations.clear();
        p.evidence.retain(|e| e.field != EvidenceField::Motivations);
        let (factor, issues, details) = measure(&p);
        assert_eq!(details["empty_lists"], 1, "{issues:?}");
        assert!((factor - PER_EMPTY_LIST * THIN).abs() < 1e-9, "{factor} {issues:?}");

        let mut p = sound();
        for e in &mut p.evidence {
            if (e.field, e.index) != (EvidenceField::PainPoints, 1) {
                e.participant_id = "P1".into();
            }
        }
        let (factor, issues, details) = measure(&p);
        assert_eq!(details["one_voice"], true, "{issues:?}");
        assert_eq!(factor, ONE_VOICE, "{issues:?}");

        let mut p = sound();
        let ramble = " and then we talked about it for a long while, as one does on a long and quiet ward night";
        for claim in p.goals.iter_mut().chain(p.pain_points.iter_mut().take(1)) {
            claim.push_str(ramble);
        }
        let (_, issues, details) = measure(&p);
        assert_eq!(details["long_winded_claims"], 3, "{issues:?}");
        assert!(!issues.iter().any(|i| i.starts_with("Most claims are long-winded")));
        p.behaviours[0].push_str(ramble);
        let (_, issues, _) = measure(&p);
        assert!(
            issues.iter().any(|i| i.starts_with("Most claims are long-winded")),
            "{issues:?}"
        );

        let mut p = sound();
        p.goals = vec!["Invoices arrive by fax.".into(), "Parking costs too much.".into()];
        p.behaviours = vec!["Lunch is at noon sharp.".into()];
        let (_, issues, details) = measure(&p);
        assert!(details["unconnected_claims"].as_u64().unwrap() > 3, "{issues:?}");
        assert!(issues.iter().any(|i| i.contains("share no subject")), "{issues:?}");
    }

    #[test]
    fn pain_points_that_name_no_problem_are_misfiled() {
        let mut p = sound();
        p.pain_points = vec![
            "Context: a power user who fits notebooks to every use case.".into(),
            "It has really helped standardize our rota.".into(),
            "I clean the data, then move the code to an editor.".into(),
        ];
        let (factor, issues, details) = measure(&p);
        assert_eq!(details["misfiled_pain_points"], true, "{issues:?}");
        assert!((factor - MISFILED_PAINS).abs() < 1e-9, "{factor} {issues:?}");

        // One pain point in its own words is enough: the others may rest on the question.
        p.pain_points[0] = "Sharing code between notebooks is difficult.".into();
        let (_, issues, details) = measure(&p);
        assert_eq!(details["misfiled_pain_points"], false, "{issues:?}");
    }

    #[test]
    fn scattered_asides_lose() {
        let mut p = sound();
        p.title = "The Find User".into();
        p.goals = vec![
            "I am hoping for a helpful community for programming.".into(),
            "I want to install a web server on my laptop.".into(),
        ];
        p.pain_points = vec![
            "I can't find the reason for the kernel panics.".into(),
            "The splash theme is lost after every update.".into(),
        ];
        p.behaviours = vec!["I use my laptop as an amplifier for my guitar.".into()];
        p.motivations = vec!["Sending mail worked great once I confirmed it.".into()];
        p.evidence = claim_evidence(&p, |i| format!("P{i}"));
        let (factor, issues, details) = measure(&p);
        assert_eq!(details["scattered_asides"], true, "{issues:?}");
        assert!(factor <= SCATTERED + 1e-9, "{factor} {issues:?}");

        // The same claims from three people who each said two of them are a group's talk.
        p.evidence = claim_evidence(&p, |i| format!("P{}", i % 3));
        let (_, issues, details) = measure(&p);
        assert_eq!(details["scattered_asides"], false, "{issues:?}");
    }

    /// One evidence entry per claim, its speaker named by `speaker` from the claim's position.
    fn claim_evidence(p: &Persona, speaker: impl Fn(usize) -> String) -> Vec<Evidence> {
        let fields = [
            (EvidenceField::Goals, p.goals.len()),
            (EvidenceField::PainPoints, p.pain_points.len()),
            (EvidenceField::Behaviours, p.behaviours.len()),
            (EvidenceField::Motivations, p.motivations.len()),
        ];
        let mut position = 0;
        let mut out = Vec::new();
        for (field, len) in fields {
            for index in 0..len {
                out.push(evidence(field, index, &speaker(position), None));
                position += 1;
            }
        }
        out
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
