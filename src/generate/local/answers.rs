//! Rules for answers read from structured sources (survey exports, form responses, issue
//! trackers: CSV, TSV, JSON, JSONL, YAML), where every text answers a known question or fills a
//! record's field. Transcripts (text, Markdown, captions) are read by the shared rules alone.
//!
//! - An answer to a question about who the respondent is (role, occupation, background) describes
//!   them; it is not a claim or a quote.
//! - A pain point states a problem in its own words; a wish filed under a question about problems
//!   is a goal, and an answer that states neither ("Tools for realtime data exploration", a
//!   self-description, praise) is no claim. A lack filed as a habit is a pain point; without a
//!   cue, a request ("Add …", "Ability to …") is a goal and a reported defect a pain point.
//! - A line break separates points, also where an export lost it ("… shortcuts This is …"); a
//!   remark on the form ("this question could …") is about the survey, not the respondent.
//! - A record's title summarises its body: one claim per list per record, and a tag such as
//!   "[Bug]:" is not part of the claim. Template fields ("Device: SM-J260M - OS: Android 8.1.0")
//!   are not claims.
//! - In an English corpus, an answer with no English function word is a name or a list of names
//!   ("Power BI - Microsoft", "Rise, Reveal.JS Slide") or another language: not a claim.

use crate::domain::{Corpus, Utterance};
use crate::quality::claim_text::{self as text, Cue};
use regex::Regex;
use std::sync::LazyLock;

/// Whether an utterance comes from a structured source (a table or records), where the rules of
/// this module apply.
pub(super) fn is_structured(corpus: &Corpus, utterance: &Utterance) -> bool {
    corpus
        .sources
        .get(utterance.source)
        .is_some_and(|s| matches!(s.format.as_str(), "csv" | "tsv" | "json" | "jsonl" | "yaml"))
}

/// Whether a question asks who the respondent is ("What is your primary role…?", "Occupation",
/// "Do you have a personal connection to …?"), not what they want, suffer or do.
pub(super) fn asks_who_they_are(question: &str) -> bool {
    static WHO: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)\bwhat\s+(?:is|are)\s+your\s+(?:\w+\s+){0,2}?(?:job\s+)?(?:roles?|occupations?|job\s+titles?|professions?|positions?|background|age|gender|industry|field\s+of\s+(?:work|study))\b
              | ^\W*(?:(?:job\s+)?roles?|occupations?|job\s+titles?|professions?|background)\W*(?:\(|:|\?|$)
              | \bpersonal\s+connection\b
              | \b(?:describe|tell\s+us\s+(?:a\s+bit\s+)?about)\s+yourself\b
              | \bwho\s+are\s+you\b",
        )
        .expect("background question pattern")
    });
    WHO.is_match(question.trim())
}

/// The part of a record's sentence that can be a claim: without a leading tag ("[Bug]: …") and
/// before template fields ("… my screen - Device: SM-J260M - OS: Android 8.1.0"); `None` when
/// nothing of it can (a template line, or not English in an English corpus).
pub(super) fn claim_part(sentence: &str, english_corpus: bool) -> Option<&str> {
    static TAG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*\[[^\]]{1,30}\]\s*:?\s*").expect("record tag pattern"));
    static FIELD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|[\s(])[A-Z][A-Za-z]{0,20}(?:\s[A-Za-z]{1,20})?:\s+\S").expect("template field pattern")
    });
    let mut part = match TAG.find(sentence) {
        Some(m) => &sentence[m.end()..],
        None => sentence,
    };
    let fields: Vec<usize> = FIELD.find_iter(part).map(|m| m.start()).collect();
    if fields.len() >= 2 {
        part = part[..fields[0]].trim_end_matches(|c: char| c.is_whitespace() || "-–—|,;".contains(c));
    }
    // Remarks on the form itself ("I think this question could include more examples") are
    // about the survey, not the respondent.
    static ABOUT_THE_FORM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\b(?:this|these|that|the)\s+questions?\b").expect("form remark pattern"));
    let not_a_claim = text::word_count(part) < 4
        || only_names(part)
        || (english_corpus && reads_foreign(part))
        || ABOUT_THE_FORM.is_match(part);
    (!not_a_claim).then_some(part)
}

/// Whether every word is capitalised or an acronym: a list of names ("Power BI - Microsoft"),
/// not a sentence.
fn only_names(part: &str) -> bool {
    part.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().next().is_some_and(char::is_alphabetic))
        .all(|w| w.chars().next().is_some_and(char::is_uppercase))
}

/// Function words of other languages (Spanish, Portuguese, French, German, Italian) that English
/// text does not use.
const FOREIGN_MARKERS: &[&str] = &[
    "de", "que", "y", "por", "para", "el", "la", "los", "las", "del", "una", "o", "e", "em", "um", "uma", "do", "da",
    "não", "é", "est", "les", "des", "et", "une", "und", "der", "die", "das", "ist", "nicht", "ein", "il", "che", "di",
    "per", "su", "muy", "mais", "pero", "com",
];

/// Whether a sentence reads as another language: no English function word, and one of another.
fn reads_foreign(part: &str) -> bool {
    !text::looks_english(part)
        && part
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| FOREIGN_MARKERS.contains(&w.to_lowercase().as_str()))
}

/// A record's text split where a line break was lost: at a gap of three or more spaces (exports
/// that replace line breaks: "Dark mode buggy with Bokeh   Resource management"), and before a
/// capitalised sentence opener that follows a lower-case word without punctuation ("… word
/// correction and shortcuts This is quite annoying …" is two sentences).
pub(super) fn run_on_parts(sentence: &str) -> Vec<&str> {
    static GAP: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s{3,}").expect("gap pattern"));
    static OPENER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[a-z]\s+(?:This|These|It|However|Also|When|If|We|My|Please)\s").expect("run-on pattern")
    });
    let mut parts = Vec::new();
    for piece in GAP.split(sentence) {
        let mut start = 0;
        for m in OPENER.find_iter(piece) {
            // The split is after the lower-case letter and the spaces.
            let at = m.start() + 1;
            let opener = at + piece[at..].len() - piece[at..].trim_start().len();
            parts.push(piece[start..at].trim());
            start = opener;
        }
        parts.push(piece[start..].trim());
    }
    parts.retain(|p| !p.is_empty());
    parts
}

/// Whether most of a sample of the utterances given read as English.
pub(super) fn mostly_english<'a>(texts: impl Iterator<Item = &'a str>) -> bool {
    let sampled: Vec<&str> = texts.filter(|t| text::word_count(t) >= 5).take(500).collect();
    let english = sampled.iter().filter(|t| text::looks_english(t)).count();
    english * 2 >= sampled.len()
}

/// The list an answer's sentence belongs to, given the cue (and its offset) its question and
/// words gave it: a pain point must name a problem itself; one that instead says what would
/// help is a goal; one that does neither is no claim. A request without a cue ("Add full
/// Ukrainian layout support …", "Ability to export …") is a goal.
pub(super) fn refile(sentence: &str, classified: Option<(Cue, usize)>) -> Option<(Cue, usize)> {
    match classified {
        None if reports_defect(sentence) => Some((Cue::PainPoint, 0)),
        None => requests(sentence).then_some((Cue::Goal, 0)),
        Some((Cue::PainPoint, at)) if !names_problem(sentence) => states_wish(sentence).then_some((Cue::Goal, at)),
        // "Lack of really good Vim support" answering a question about their workflow is a pain,
        // not something they do.
        Some((Cue::Behaviour, at)) if reports_defect(sentence) => Some((Cue::PainPoint, at)),
        Some((Cue::Behaviour, at)) if states_wish(sentence) => Some((Cue::Goal, at)),
        other => other,
    }
}

/// Whether a sentence reports a defect ("Strange bug changing order of characters", "The
/// keyboard and bottom bar overlap each other"), as issue titles and bug reports do without a
/// word of frustration.
fn reports_defect(sentence: &str) -> bool {
    static DEFECT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)\b(?:bugs?|bugg\w*|glitch\w*|unresponsive|freez\w*|froze\w*|overlap\w*|duplicat\w*|incorrect\w*|wrongly
              |not\s+work\w*|stops?\s+working|stopped\s+working|missing|lacks?|lacking|inabilit\w*|unable|mismatch\w*
              |outdated|out\s+of\s+date)\b",
        )
        .expect("defect pattern")
    });
    DEFECT.is_match(sentence)
}

/// Whether a sentence asks for something to be built: an imperative request ("Add …", "Please
/// support …", "Request: Add an option …") or a wanted capability ("Ability to …", "An option
/// to …", "Support for …").
fn requests(sentence: &str) -> bool {
    static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)^\W*(?:[a-z]+(?:\s[a-z]+)?:\s*)?(?:please\s+)?
              (?:(?:add|allow|support|provide|enable|implement|include|offer|publish|expose|introduce|integrate)\s
              | (?:an?\s+|the\s+)?(?:option|ability|possibility|setting|way)\s+(?:to|for)\s
              | support\s+for\s)",
        )
        .expect("request pattern")
    });
    REQUEST.is_match(sentence) && !text::is_question(sentence)
}

/// Whether a sentence names a difficulty, failure, lack or annoyance in its own words.
pub(super) fn names_problem(sentence: &str) -> bool {
    static PROBLEM: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)\b(?:lack\w*|no|not|non|nor|without|missing|poor\w*|bad\w*|worse|worst|bugs?|bugg\w*|errors?|limit\w*|inabilit\w*|unable
              |insufficient|inconsisten\w*|incompatib\w*|outdated|unstable|instabilit\w*|clunky|ugly|overload\w*|can['’]?t|cannot
              |isn['’]?t|aren['’]?t|doesn['’]?t|don['’]?t|won['’]?t|wasn['’]?t|never|too|hard(?:er)?|mess\w*|fragile|brittle
              |leak\w*|freez\w*|froze\w*|hangs?|lag\w*|conflict\w*|troubl\w*|complicated|complex\w*|tricky|unclear|unintuitive
              |impossible|fiddly|bloated|crash\w*|fail\w*|break\w*|broke\w*|slow\w*|difficult\w*|problem\w*|issues?|pain\w*
              |annoy\w*|confus\w*|frustrat\w*|struggl\w*|tedious|cumbersome|awkward|mismatch\w*|overhead|unresponsive|lose|lost
              |losing|wrong\w*|only|hinder\w*|prevent\w*|block\w*)\b|\bout\s+of\s+date\b|\bcould\s+be\s+(?:improved|better)\b",
        )
        .expect("problem pattern")
    });
    PROBLEM.is_match(sentence) || matches!(text::classify(sentence), Some((Cue::PainPoint, _)))
}

/// Whether a sentence says what would help rather than what is wrong ("… would be a great
/// help", "Need more documentation for …").
fn states_wish(sentence: &str) -> bool {
    static WISH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)\bwould\s+(?:be\s+(?:a\s+|so\s+|really\s+|very\s+)?(?:great\s+|big\s+|huge\s+)?(?:help|helpful|nice|good|great|useful|interesting|cool|awesome|amazing|ideal|welcome)|(?:help|love|like|appreciate))\b
              | ^\W*(?:need|needs|want|wish)\s+(?:more|better|a|an|to|the|some)\b",
        )
        .expect("wish pattern")
    });
    WISH.is_match(sentence) || matches!(text::classify(sentence), Some((Cue::Goal, _)))
}

/// The record an utterance belongs to when its location is a path into structured records
/// ("/23/title" and "/23/body" are both of record "/23"); `None` for rows and lines, each its own.
pub(super) fn record_of(utterance: &Utterance) -> Option<&str> {
    let location = utterance.location.as_str();
    let (parent, _) = location.strip_prefix('/')?.rsplit_once('/')?;
    (!parent.is_empty()).then(|| &location[..parent.len() + 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_about_who_they_are_are_told_apart() {
        assert!(asks_who_they_are(
            "What are your primary job roles when you are using Jupyter? (other)"
        ));
        assert!(asks_who_they_are(
            "What is your primary role when using Jupyter Notebook (e.g., student, astrophysicist)?"
        ));
        assert!(asks_who_they_are("Job title:"));
        assert!(asks_who_they_are("Q2: Do you have a personal connection to autism?"));
        assert!(!asks_who_they_are(
            "What data sources are you primarily working with in your role? (other)"
        ));
        assert!(!asks_who_they_are("Do you have challenges with the notebook UI?"));
    }

    #[test]
    fn record_sentences_lose_tags_and_template_fields() {
        assert_eq!(
            claim_part("[Bug]: Keyboard crashes when holding the emoji key", true),
            Some("Keyboard crashes when holding the emoji key")
        );
        assert_eq!(
            claim_part(
                "When i hold the key, the keyboard crashes, freezing my screen - Device: SM-J260M - OS: Android 8.1.0 if more info is needed",
                true
            ),
            Some("When i hold the key, the keyboard crashes, freezing my screen")
        );
        assert_eq!(claim_part("Device: Fairphone 5 Android: 15 eOS", true), None);
        assert_eq!(
            claim_part("I think this question could include more examples.", true),
            None
        );
        assert_eq!(claim_part("Power BI - Microsoft Excel", true), None);
        assert!(claim_part("RAM gets overloaded too quickly even after deleting cells", true).is_some());
        assert_eq!(
            claim_part("Gracias por su trabajo y por mantener este teclado.", true),
            None
        );
        assert!(claim_part("Gracias por su trabajo y por mantener este teclado.", false).is_some());
        assert_eq!(
            claim_part("Small adjustment: It would be good to see the current letter.", true),
            Some("Small adjustment: It would be good to see the current letter.")
        );
    }

    #[test]
    fn pain_points_must_name_a_problem() {
        let pain = Some((Cue::PainPoint, 0));
        assert_eq!(refile("Tools for realtime data exploration", pain), None);
        assert_eq!(
            refile(
                "Student looking for a career change, enjoying programming so far.",
                pain
            ),
            None
        );
        assert_eq!(refile("Lack of really good Vim support.", pain), pain);
        assert_eq!(
            refile("A variables pane would be a great help when debugging.", pain),
            Some((Cue::Goal, 0))
        );
        assert_eq!(
            refile("Need more documentation for extension development.", pain),
            Some((Cue::Goal, 0))
        );
        let habit = Some((Cue::Behaviour, 0));
        assert_eq!(refile("Tools for realtime data exploration", habit), habit);
        assert_eq!(refile("Lack of really good Vim support.", habit), pain);
        assert_eq!(
            refile("Lighttable + vim + ipython terminal bindings would be amazing.", habit),
            Some((Cue::Goal, 0))
        );
    }

    #[test]
    fn lost_line_breaks_are_found_again() {
        assert_eq!(
            run_on_parts("I have word suggestions and shortcuts This is quite annoying and sad."),
            vec![
                "I have word suggestions and shortcuts",
                "This is quite annoying and sad."
            ]
        );
        assert_eq!(
            run_on_parts("Dark mode buggy with Bokeh   Resource management"),
            vec!["Dark mode buggy with Bokeh", "Resource management"]
        );
        assert_eq!(
            run_on_parts("When I hold the key, it crashes."),
            vec!["When I hold the key, it crashes."]
        );
    }

    #[test]
    fn defects_are_pain_points() {
        assert_eq!(
            refile("Strange bug changing order of characters when typing fast", None),
            Some((Cue::PainPoint, 0))
        );
        assert_eq!(
            refile("The keyboard and bottom bar overlap each other.", None),
            Some((Cue::PainPoint, 0))
        );
    }

    #[test]
    fn requests_are_goals() {
        for request in [
            "Add full Ukrainian layout support for physical keyboards",
            "Request: Add an option to ignore the flag in all fields.",
            "Ability to script in the notebook without a terminal",
            "Please support exporting notebooks to slides",
        ] {
            assert_eq!(refile(request, None), Some((Cue::Goal, 0)), "{request}");
        }
        assert_eq!(refile("Crashes in very specific situation", None), None);
        assert_eq!(refile("Add it how?", None), None);
    }

    #[test]
    fn records_are_told_by_their_path() {
        let at = |location: &str| Utterance {
            question: None,
            participant_id: "p".into(),
            source: 0,
            location: location.into(),
            text: String::new(),
        };
        assert_eq!(record_of(&at("/23/title")), Some("/23"));
        assert_eq!(record_of(&at("/23/body")), Some("/23"));
        assert_eq!(record_of(&at("/title")), None);
        assert_eq!(record_of(&at("line 12")), None);
    }

    /// Issue records and a role question, through the whole local provider.
    #[test]
    fn records_and_role_answers_read_through_synthesis() {
        use crate::domain::{Participant, SourceFile};
        use crate::generate::{GenerationSettings, Segment};
        let said: &[(&str, &str, Option<&str>, &str)] = &[
            (
                "ana",
                "/1/title",
                None,
                "[Bug]: Keyboard crashes when holding the emoji key",
            ),
            (
                "ana",
                "/1/body",
                None,
                "When I hold the emoji key the keyboard crashes and freezes my screen - Device: SM-J260M - OS: Android 8.1.0",
            ),
            (
                "ben",
                "/2/title",
                None,
                "Keyboard crashes when switching the emoji layout twice",
            ),
            (
                "ben",
                "/2/body",
                None,
                "Gracias por su trabajo y por mantener este teclado tan completo.",
            ),
            (
                "cai",
                "/3/title",
                None,
                "Add an emoji keyboard layout with bigger keys for long presses",
            ),
            (
                "cai",
                "/3/body",
                None,
                "Student looking for a career change and enjoying the emoji keyboard so far.",
            ),
        ];
        let mut corpus = Corpus::default();
        for id in ["ana", "ben", "cai"] {
            corpus.participants.push(Participant {
                id: id.into(),
                attributes: Default::default(),
            });
        }
        for (id, location, question, text) in said {
            corpus.utterances.push(Utterance {
                question: question.map(str::to_string),
                participant_id: id.to_string(),
                source: 0,
                location: location.to_string(),
                text: text.to_string(),
            });
        }
        corpus.utterances.push(Utterance {
            question: Some("What is your primary role when using the keyboard?".into()),
            participant_id: "cai".into(),
            source: 0,
            location: "/3/role".into(),
            text: "I am a student and I keep having trouble with the emoji keyboard crashes.".into(),
        });
        corpus.sources.push(SourceFile {
            path: "issues.json".into(),
            format: "json".into(),
            bytes: 0,
            sha256: String::new(),
            participants: 3,
            utterances: corpus.utterances.len(),
        });
        let segment = Segment {
            index: 0,
            participant_ids: vec!["ana".into(), "ben".into(), "cai".into()],
            top_terms: vec!["emoji".into(), "keyboard".into(), "crashes".into()],
            demographics: Default::default(),
            utterances: (0..corpus.utterances.len()).collect(),
        };
        let settings = GenerationSettings {
            count: 1,
            seed: 1,
            provider: "local".into(),
            model: None,
            options: Default::default(),
        };
        let p = &super::super::synthesize_segment(&corpus, &segment, &settings);
        let everything: Vec<&String> = p
            .goals
            .iter()
            .chain(&p.pain_points)
            .chain(&p.behaviours)
            .chain(&p.motivations)
            .chain(&p.quotes)
            .collect();
        assert!(
            p.pain_points
                .iter()
                .any(|c| c == "Keyboard crashes when holding the emoji key")
                || p.pain_points.iter().any(|c| c.ends_with("freezes my screen")),
            "{p:?}"
        );
        for said in &everything {
            assert!(!said.starts_with("[Bug]") && !said.contains("Device:"), "{said}");
            assert!(!said.contains("Gracias") && !said.contains("primary role"), "{said}");
            assert!(!said.contains("I am a student"), "a role answer is no claim: {said}");
        }
        for (_, _, claim) in p.claims() {
            assert!(
                !claim.starts_with("Student looking"),
                "no problem, no pain point: {claim}"
            );
        }
        assert!(
            p.goals.iter().any(|g| g.starts_with("Add an emoji keyboard layout")),
            "{:?}",
            p.goals
        );
        // Ana's title and body say the same thing: one pain point from her record.
        let own_pains = (0..p.pain_points.len())
            .filter(|i| {
                p.evidence
                    .iter()
                    .find(|e| e.field == crate::domain::EvidenceField::PainPoints && e.index == *i)
                    .is_some_and(|e| e.participant_id == "ana")
            })
            .count();
        assert_eq!(own_pains, 1, "{:?}", p.pain_points);
    }
}
