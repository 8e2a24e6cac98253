//! Deciding what a column (CSV) or field (JSON, JSONL, YAML) holds: the participant's id, a
//! short categorical attribute, free text the participant wrote or said, or something to leave
//! out (dates, other ids, interviewer questions, row-level data). Shared by every tabular and
//! structured format so that the same column is read the same way whatever the file type.

use regex::Regex;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

/// What a column's values are used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Attribute,
    Text,
    Ignore,
}

/// Names (compacted: lowercase letters and digits only) that identify the participant, most
/// specific first. A bare `id` or `response_id` may name the record rather than the person, and
/// a name is a last resort (it keeps one person's rows together when nothing else does).
const PARTICIPANT_FIELDS: &[&str] = &[
    "participantid",
    "participant",
    "participantcode",
    "participantnumber",
    "participantno",
    "respondentid",
    "respondent",
    "intervieweeid",
    "interviewee",
    "subjectid",
    "userid",
    "user",
    "customerid",
    "pid",
    "id",
    "responseid",
    "participantname",
    "respondentname",
    "intervieweename",
    "username",
    "customername",
    "name",
];

/// Index of `id` in [`PARTICIPANT_FIELDS`]: names ranked before it name a person unambiguously.
const FIRST_WEAK_PARTICIPANT_FIELD: usize = 14;

/// Lowercase letters and digits only: `Participant ID`, `participant_id` and `participantId`
/// all become `participantid`.
pub(crate) fn compact(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How well a column name identifies the participant: lower is more specific; `None` if not at all.
pub(crate) fn participant_field_rank(name: &str) -> Option<usize> {
    let name = compact(name);
    PARTICIPANT_FIELDS.iter().position(|&candidate| candidate == name)
}

/// Index of the first person's-name field in [`PARTICIPANT_FIELDS`].
const FIRST_NAME_PARTICIPANT_FIELD: usize = 16;

/// A participant field that is an id rather than a person's name.
pub(crate) fn is_participant_id_field(name: &str) -> bool {
    participant_field_rank(name).is_some_and(|rank| rank < FIRST_NAME_PARTICIPANT_FIELD)
}

/// A participant field that cannot be mistaken for a record or survey id.
pub(crate) fn is_specific_participant_field(name: &str) -> bool {
    participant_field_rank(name).is_some_and(|rank| rank < FIRST_WEAK_PARTICIPANT_FIELD)
}

/// `Company Size` → `company_size`, `yearsOfExperience` → `years_of_experience`,
/// `Age (years)` → `age_years`.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut previous_lower_or_digit = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if c.is_uppercase() && previous_lower_or_digit && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
            previous_lower_or_digit = c.is_lowercase() || c.is_numeric();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            previous_lower_or_digit = false;
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// What a column name suggests about its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    Text,
    Attribute,
    Ignore,
}

const TEXT_WORDS: &[&str] = &[
    "transcript",
    "quote",
    "verbatim",
    "response",
    "answer",
    "comment",
    "feedback",
    "note",
    "text",
    "pain",
    "painpoint",
    "goal",
    "challenge",
    "request",
    "story",
    "frustration",
    "need",
    "want",
    "wish",
    "suggestion",
    "improvement",
    "opinion",
    "thought",
    "reason",
    "why",
    "description",
    "explanation",
    "motivation",
    "problem",
    "issue",
    "complaint",
    "like",
    "dislike",
    "remark",
    "review",
    "testimonial",
    "excerpt",
    "utterance",
    "sentence",
    "content",
    "body",
    "statement",
    "message",
    "workaround",
    "habit",
    "behaviour",
    "behavior",
    "expectation",
    "concern",
];

const ATTRIBUTE_WORDS: &[&str] = &[
    "role",
    "age",
    "gender",
    "sex",
    "location",
    "country",
    "city",
    "region",
    "state",
    "segment",
    "plan",
    "tier",
    "team",
    "industry",
    "sector",
    "company",
    "size",
    "experience",
    "year",
    "yoe",
    "tenure",
    "seniority",
    "level",
    "department",
    "device",
    "platform",
    "os",
    "browser",
    "job",
    "title",
    "occupation",
    "position",
    "profession",
    "education",
    "income",
    "language",
    "channel",
    "cohort",
    "group",
    "category",
    "type",
    "status",
    "score",
    "rating",
    "nps",
    "satisfaction",
    "frequency",
    "usage",
    "persona",
    "market",
    "organisation",
    "organization",
    "employees",
    "household",
    "preference",
    "style",
    "proficiency",
    "skill",
    "background",
    "specialty",
    "speciality",
    "discipline",
];

const IGNORE_WORDS: &[&str] = &[
    "date",
    "time",
    "timestamp",
    "datetime",
    "created",
    "updated",
    "modified",
    "submitted",
    "started",
    "ended",
    "completed",
    "duration",
    "email",
    "mail",
    "phone",
    "url",
    "link",
    "ip",
    "uuid",
    "guid",
    "id",
    "name",
    "firstname",
    "lastname",
    "surname",
    "index",
    "row",
    "question",
    "prompt",
    "interviewer",
    "moderator",
    "facilitator",
    "session",
    "recording",
    "file",
    "source",
    // A researcher's coding of the data, not the participant's words or traits.
    "theme",
    "tag",
    "keyword",
    "annotation",
    "coding",
];

fn hint_of_word(word: &str) -> Option<Hint> {
    let singular = word.strip_suffix('s').filter(|w| w.len() >= 3 && !w.ends_with('s'));
    let is = |list: &[&str]| list.contains(&word) || singular.is_some_and(|s| list.contains(&s));
    if is(IGNORE_WORDS) {
        Some(Hint::Ignore)
    } else if is(TEXT_WORDS) {
        Some(Hint::Text)
    } else if is(ATTRIBUTE_WORDS) {
        Some(Hint::Attribute)
    } else {
        None
    }
}

/// Whether a name reads as a data field (role, date, feedback, …) rather than a person's name.
pub(crate) fn is_field_name(name: &str) -> bool {
    name_hint(name).is_some()
}

/// Whether the name says its values are free text (quote, feedback, comment, …).
pub(crate) fn is_text_name(name: &str) -> bool {
    name_hint(name) == Some(Hint::Text)
}

/// Whether values under this name are left out: dates, e-mails, names, other identifiers,
/// interviewer questions, a researcher's tags.
pub(crate) fn is_ignored_name(name: &str) -> bool {
    name_hint(name) == Some(Hint::Ignore)
}

/// The hint of the last word that has one: in English compounds the head noun comes last
/// (`feedback_date` is a date, `team_feedback` is feedback, `pain_point_category` a category).
fn name_hint(name: &str) -> Option<Hint> {
    let snake = snake_case(name);
    let words: Vec<&str> = snake.split('_').filter(|w| !w.is_empty()).collect();
    for (i, word) in words.iter().enumerate().rev() {
        // Two-word compounds such as `pain_point` count as one word.
        if i > 0 {
            let pair = format!("{}{}", words[i - 1], word);
            if let Some(hint) = hint_of_word(&pair) {
                return Some(hint);
            }
        }
        if let Some(hint) = hint_of_word(word) {
            return Some(hint);
        }
    }
    None
}

static DATE_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(?:
            \d{4}-\d{1,2}-\d{1,2}(?:[T\s]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2}|UTC)?)?
          | \d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?)?
          | \d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp][Mm])?
          | \d{4}/\d{1,2}/\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?
        )$",
    )
    .expect("date pattern")
});

fn is_numeric(value: &str) -> bool {
    let trimmed = value
        .trim_start_matches(['$', '€', '£', '+', '-'])
        .trim_end_matches('%')
        .trim();
    !trimmed.is_empty()
        && trimmed.chars().next().is_some_and(|c| c.is_ascii_digit())
        && trimmed.replace(',', "").parse::<f64>().is_ok()
}

/// A single token that identifies a thing rather than describing it: `P001`, `R_3kX9`,
/// a UUID, an e-mail address or a URL.
fn is_id_like(value: &str) -> bool {
    if value.len() < 3 || value.len() > 80 || value.contains(char::is_whitespace) {
        return false;
    }
    if value.contains('@') || value.starts_with("http://") || value.starts_with("https://") {
        return true;
    }
    let has_digit = value.bytes().any(|b| b.is_ascii_digit());
    let has_letter = value.bytes().any(|b| b.is_ascii_alphabetic());
    has_digit && (has_letter || value.contains(['-', '_']))
}

fn hash_value(value: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// What one unit (participant) has had in a column so far.
#[derive(Debug, Clone, Copy, Default)]
struct UnitSeen {
    first: u64,
    count: u32,
    conflict: bool,
}

/// Summary of a column's non-empty values, enough to classify it without keeping them.
#[derive(Debug, Default)]
pub(crate) struct ValueStats {
    values: usize,
    chars: usize,
    words: usize,
    multi_word: usize,
    max_chars: usize,
    numeric: usize,
    date_like: usize,
    id_like: usize,
    questions: usize,
    /// Values such as `Complete`, `Partial`, `Disqualified`: a survey tool's response status.
    status_like: usize,
    /// The first value seen (short values only), to tell what a constant column holds.
    first_value: Option<String>,
    distinct: HashSet<u64>,
    /// Indexed by the participant's index in its file: does the value change between rows?
    units: Vec<UnitSeen>,
    /// Values in lists (JSON arrays): never an attribute.
    pub(crate) in_list: bool,
}

impl ValueStats {
    /// Records one value (already trimmed, non-empty) of participant `unit`.
    pub(crate) fn observe(&mut self, unit: usize, value: &str) {
        let chars = value.chars().count();
        let words = value.split_whitespace().count();
        self.values += 1;
        self.chars += chars;
        self.words += words;
        self.max_chars = self.max_chars.max(chars);
        if words >= 3 {
            self.multi_word += 1;
        }
        if value.ends_with('?') {
            self.questions += 1;
        }
        if RESPONSE_STATUSES.contains(&value.to_lowercase().as_str()) {
            self.status_like += 1;
        }
        if self.values == 1 && chars <= 20 {
            self.first_value = Some(value.to_string());
        }
        if words <= 4 && chars <= 40 {
            if is_numeric(value) {
                self.numeric += 1;
            }
            if value.starts_with(|c: char| c.is_ascii_digit()) && DATE_LIKE.is_match(value) {
                self.date_like += 1;
            }
            if words == 1 && is_id_like(value) {
                self.id_like += 1;
            }
        }
        let hash = hash_value(value);
        self.distinct.insert(hash);
        if self.units.len() <= unit {
            self.units.resize(unit + 1, UnitSeen::default());
        }
        let seen = &mut self.units[unit];
        if seen.count == 0 {
            seen.first = hash;
        } else if seen.first != hash {
            seen.conflict = true;
        }
        seen.count += 1;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.values == 0
    }

    /// The same yes-like answer from every respondent (at least five): a consent box, nothing
    /// that tells people apart. (A constant `role` of `Nurse` is kept: it describes everyone.)
    pub(crate) fn is_constant(&self) -> bool {
        self.values >= 5
            && self.distinct.len() == 1
            && self.first_value.as_deref().is_some_and(|v| {
                matches!(
                    v.trim().trim_end_matches('.').to_lowercase().as_str(),
                    "yes"
                        | "y"
                        | "true"
                        | "1"
                        | "agree"
                        | "i agree"
                        | "accept"
                        | "i accept"
                        | "ok"
                        | "checked"
                        | "consent"
                        | "i consent"
                )
            })
    }

    fn fraction(&self, n: usize) -> f64 {
        n as f64 / self.values.max(1) as f64
    }

    /// Number of participants with a value, and whether the value changes between one
    /// participant's rows for several participants (a question or topic column), rather than
    /// for the odd inconsistent entry.
    fn unit_consistency(&self) -> (usize, bool) {
        let with_value = self.units.iter().filter(|u| u.count > 0).count();
        let repeated = self.units.iter().filter(|u| u.count > 1).count();
        let conflicting = self.units.iter().filter(|u| u.conflict).count();
        let varies = conflicting >= 2 && conflicting as f64 > 0.2 * repeated as f64;
        (with_value, varies)
    }
}

/// A survey's write-in column: `What languages do you use? (other)`, `Other - Write In:…`,
/// `Which tool? - Other (please specify)`, `Comments about collaboration:`.
static WRITE_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\((?:other|please specify|please explain|specify)[^)]*\)\s*[.:]?\s*$|write[\s-]?in|please (?:specify|explain|describe)|^\s*(?:comments?|feedback|remarks?)")
        .expect("write-in pattern")
});

/// Decides a column's role from its name and values. Names help; values decide when a name is
/// unknown or contradicted (prose in a column called `experience` is text).
pub(crate) fn classify(name: &str, stats: &ValueStats) -> Role {
    if stats.values == 0 {
        return Role::Ignore;
    }
    // A long question is named by what it asks (its short key), not by every word in it:
    // `Enhancement #1: … what enhancements would have made your initial experience better?`
    // does not ask for an `experience`, `What is your primary role when …?` asks for a `role`.
    let hint = if name.split_whitespace().count() > MAX_KEY_WORDS {
        name_hint(&attribute_key(name))
    } else {
        name_hint(name)
    };
    if hint == Some(Hint::Ignore) {
        return Role::Ignore;
    }
    let avg_chars = stats.chars as f64 / stats.values as f64;
    let avg_words = stats.words as f64 / stats.values as f64;
    let multi_word = stats.fraction(stats.multi_word);
    let distinct = stats.distinct.len();
    let distinct_ratio = distinct as f64 / stats.values as f64;

    if stats.fraction(stats.date_like) >= 0.8 {
        return Role::Ignore;
    }
    let prose = avg_words >= 4.0 && avg_chars > 30.0 && multi_word >= 0.5;
    let clear_prose = avg_words >= 8.0 && multi_word >= 0.5;
    // An open question's answers are the respondent's words even when short: a write-in
    // (`… (other)`, `Other - Write In`, `please specify`) whose answers differ, or a question
    // that does not ask for a trait, answered in a few words that mostly differ.
    let free_values =
        distinct_ratio >= 0.5 && stats.fraction(stats.numeric) < 0.8 && stats.fraction(stats.status_like) < 0.5;
    if free_values && !stats.in_list {
        let write_in = WRITE_IN.is_match(name);
        // Choices recur across respondents; free answers mostly do not.
        let open_question = name.contains('?')
            && name.split_whitespace().count() >= 4
            && hint != Some(Hint::Attribute)
            // A few one-word answers that differ may still be choices; many rarely are.
            && (avg_words >= 2.0 || stats.values >= 10)
            && distinct_ratio >= 0.75;
        if write_in || open_question {
            return Role::Text;
        }
    }
    match hint {
        Some(Hint::Text) if avg_words >= 1.5 || distinct_ratio >= 0.5 => return Role::Text,
        Some(Hint::Attribute) if clear_prose => return Role::Text,
        None if prose => {
            // Questions are the interviewer's words, and a handful of long values repeated on
            // every row is boilerplate rather than what people said; answers that recur across
            // many respondents are a closed question's choices.
            let questions = stats.fraction(stats.questions) >= 0.5;
            let boilerplate = distinct < stats.values.min(4) || (stats.values >= 10 && distinct_ratio < 0.35);
            return if questions || boilerplate {
                Role::Ignore
            } else {
                Role::Text
            };
        }
        _ => {}
    }
    if stats.in_list {
        return Role::Ignore;
    }
    if stats.fraction(stats.id_like) >= 0.8 && distinct_ratio >= 0.9 {
        return Role::Ignore;
    }
    let (units, varies_within_participant) = stats.unit_consistency();
    if varies_within_participant {
        // Changes between one participant's rows: it describes the row, not the person.
        return Role::Ignore;
    }
    if stats.fraction(stats.numeric) >= 0.8 && avg_chars <= 20.0 {
        return Role::Attribute;
    }
    if hint == Some(Hint::Attribute) && avg_chars <= 60.0 {
        return Role::Attribute;
    }
    if avg_chars <= 40.0 && stats.max_chars <= 80 && distinct <= 12.max(units / 2) {
        return Role::Attribute;
    }
    Role::Ignore
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(values: &[(usize, &str)]) -> ValueStats {
        let mut s = ValueStats::default();
        for &(unit, v) in values {
            s.observe(unit, v);
        }
        s
    }

    fn per_row(values: &[&str]) -> ValueStats {
        stats(&values.iter().copied().enumerate().collect::<Vec<_>>())
    }

    #[test]
    fn names_normalise() {
        assert_eq!(snake_case("Company Size"), "company_size");
        assert_eq!(snake_case("yearsOfExperience"), "years_of_experience");
        assert_eq!(snake_case(" Age (years) "), "age_years");
        assert_eq!(snake_case("NPS"), "nps");
        assert_eq!(compact("Participant ID"), "participantid");
        assert_eq!(participant_field_rank("participant_id"), Some(0));
        assert_eq!(participant_field_rank("User ID"), participant_field_rank("user_id"));
        assert!(participant_field_rank("participant_id") < participant_field_rank("id"));
        assert!(participant_field_rank("id") < participant_field_rank("name"));
        assert!(is_participant_id_field("response_id"));
        assert!(!is_participant_id_field("participant_name"));
        assert_eq!(PARTICIPANT_FIELDS[FIRST_WEAK_PARTICIPANT_FIELD], "id");
        assert_eq!(PARTICIPANT_FIELDS[FIRST_NAME_PARTICIPANT_FIELD], "participantname");
        assert!(participant_field_rank("role").is_none());
        assert!(is_specific_participant_field("Respondent"));
        assert!(!is_specific_participant_field("id"));
    }

    #[test]
    fn head_noun_decides_the_hint() {
        assert_eq!(name_hint("feedback_date"), Some(Hint::Ignore));
        assert_eq!(name_hint("team_feedback"), Some(Hint::Text));
        assert_eq!(name_hint("biggest_pain_point"), Some(Hint::Text));
        assert_eq!(name_hint("pain_point_category"), Some(Hint::Attribute));
        assert_eq!(name_hint("experience_years"), Some(Hint::Attribute));
        assert_eq!(name_hint("Key Themes"), Some(Hint::Ignore));
        assert_eq!(name_hint("favourite_colour"), None);
    }

    #[test]
    fn short_repeated_values_are_attributes() {
        let roles = ["Field Sales Rep", "Account Manager", "Field Sales Rep", "Analyst"];
        assert_eq!(classify("role", &per_row(&roles)), Role::Attribute);
        assert_eq!(
            classify("segment_code", &per_row(&["A", "B", "A", "C"])),
            Role::Attribute
        );
        assert_eq!(classify("age", &per_row(&["34", "41", "29", "52"])), Role::Attribute);
    }

    #[test]
    fn prose_is_text_whatever_the_name() {
        let answers = [
            "I spend most mornings chasing approvals from my manager before I can send quotes.",
            "Honestly the mobile app crashes whenever I try to upload photos from a site visit.",
            "We export everything to spreadsheets because the reports never match what finance needs.",
        ];
        assert_eq!(classify("col7", &per_row(&answers)), Role::Text);
        assert_eq!(classify("experience", &per_row(&answers)), Role::Text);
        assert_eq!(
            classify("biggest_challenge", &per_row(&["Too many meetings", "Slow builds"])),
            Role::Text
        );
    }

    #[test]
    fn dates_ids_and_questions_are_ignored() {
        let dates = ["2024-01-15", "2024-02-03", "15/03/2024", "2024-03-01T10:00:00Z"];
        assert_eq!(classify("when", &per_row(&dates)), Role::Ignore);
        let ids = ["R_3kX9a", "R_8pQ2b", "R_1zZ7c", "R_5mN4d"];
        assert_eq!(classify("ref", &per_row(&ids)), Role::Ignore);
        let questions = [
            "What is the hardest part of your week at work?",
            "How do you usually share reports with your team?",
            "What is the hardest part of your week at work?",
            "How do you usually share reports with your team?",
        ];
        assert_eq!(classify("q", &per_row(&questions)), Role::Ignore);
        assert_eq!(classify("created_at", &per_row(&["x", "y"])), Role::Ignore);
    }

    #[test]
    fn values_that_change_within_a_participant_are_not_attributes() {
        // Participant 0 has two rows with different topics; participant 1 too.
        let topics = stats(&[(0, "billing"), (0, "onboarding"), (1, "billing"), (1, "search")]);
        assert_eq!(classify("topic", &topics), Role::Ignore);
        let roles = stats(&[(0, "Nurse"), (0, "Nurse"), (1, "Doctor"), (1, "Doctor")]);
        assert_eq!(classify("role", &roles), Role::Attribute);
    }

    #[test]
    fn many_distinct_short_values_without_a_hint_are_ignored() {
        let values: Vec<String> = (0..40).map(|i| format!("theme {i}")).collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        assert_eq!(classify("col9", &per_row(&refs)), Role::Ignore);
    }
}

/// A survey tool's response statuses (SurveyGizmo/Alchemer `Status`, Qualtrics `Finished`).
const RESPONSE_STATUSES: &[&str] = &[
    "complete",
    "completed",
    "partial",
    "disqualified",
    "deleted",
    "test",
    "test data",
    "finished",
    "incomplete",
    "in progress",
    "abandoned",
    "spam",
    "true",
    "false",
    "open",
    "opened",
    "closed",
    "merged",
];

/// Columns survey platforms add to every export (compacted names): how and when the form was
/// filled in, never who the respondent is.
const PLATFORM_COLUMNS: &[&str] = &[
    "timestarted",
    "datesubmitted",
    "contactid",
    "legacycomments",
    "sessionid",
    "useragent",
    "referer",
    "referrer",
    "longitude",
    "latitude",
    "postal",
    "postalcode",
    "networkid",
    "startdateutc",
    "submitdateutc",
    "collectorid",
    "ipaddress",
    "progress",
    "finished",
    "durationinseconds",
    "recordeddate",
    "distributionchannel",
    "userlanguage",
    "externalreference",
    "externaldatareference",
    "responsetype",
    "completed",
    "stagedate",
    "linkedinprofile",
];

/// Whether a column is a survey platform's own (`Time Started`, `Status` of `Complete` /
/// `Partial`, `User Agent`, Typeform's `#`): metadata of the form, never a trait of the person.
pub(crate) fn is_platform_metadata(name: &str, stats: &ValueStats) -> bool {
    let compacted = compact(name);
    if name.trim() == "#" || PLATFORM_COLUMNS.contains(&compacted.as_str()) {
        return true;
    }
    let statusish = matches!(compacted.as_str(), "status" | "responsestatus" | "state" | "finished");
    statusish && stats.values > 0 && stats.status_like * 10 >= stats.values * 8
}

/// Words of a question that say nothing about what it asks.
const QUESTION_FILLER: &[&str] = &[
    "what",
    "which",
    "how",
    "who",
    "where",
    "when",
    "why",
    "is",
    "are",
    "was",
    "were",
    "do",
    "does",
    "did",
    "you",
    "your",
    "yours",
    "the",
    "a",
    "an",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "with",
    "by",
    "from",
    "please",
    "following",
    "best",
    "describes",
    "describe",
    "would",
    "could",
    "should",
    "if",
    "any",
    "this",
    "that",
    "these",
    "those",
    "and",
    "or",
    "we",
    "our",
    "us",
    "i",
    "me",
    "my",
    "be",
    "have",
    "has",
    "been",
    "about",
    "many",
    "much",
    "currently",
    "it",
    "its",
    "there",
    "here",
    "can",
    "will",
    "tell",
    "select",
    "all",
    "apply",
    "choose",
    "one",
    "s",
    "re",
    "ve",
    "d",
    "optional",
    "required",
    "other",
    "etc",
    "e",
    "g",
    "ie",
    "eg",
    "specify",
    "tick",
    "primary",
    "main",
    "usually",
];

/// Longest attribute key kept as the column's whole name, in characters and words.
const MAX_KEY_CHARS: usize = 40;
const MAX_KEY_WORDS: usize = 7;

static PARENTHETICAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\([^()]*\)").expect("parenthetical"));

static QUESTION_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:q(?:uestion)?\s*)?\d+[a-z]?\s*[:.)\]-]\s+").expect("question number"));

fn short_enough(key: &str) -> bool {
    !key.is_empty() && key.chars().count() <= MAX_KEY_CHARS && key.split('_').count() <= MAX_KEY_WORDS
}

/// The attribute key of a column: its name in `snake_case`, or, for a long question
/// (`Which of the following best describes your current role in the project?`), a short
/// readable key: the trait it asks about (`current_role`), else its first content words.
pub(crate) fn attribute_key(name: &str) -> String {
    // A survey's question number (`Q3:`, `3.`) is not part of what it asks.
    let name = QUESTION_NUMBER.replace(name, "");
    let name = name.as_ref();
    let key = snake_case(name);
    if short_enough(&key) {
        return key;
    }
    // Without asides: `Which features would you use? (tick all that apply)`.
    let plain = snake_case(&PARENTHETICAL.replace_all(name, " "));
    if short_enough(&plain) {
        return plain;
    }
    // The question before its explanation: `Workflow Need #1:What needs …` → `workflow_need_1`.
    if let Some(head) = name.split(['?', ':', '(']).map(snake_case).find(|h| !h.is_empty())
        && short_enough(&head)
        && head.split('_').count() >= 2
    {
        return head;
    }
    let words: Vec<&str> = key.split('_').filter(|w| !w.is_empty()).collect();
    let content: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !QUESTION_FILLER.contains(w) && !w.chars().all(|c| c.is_ascii_digit()))
        .collect();
    // The trait asked about, with the word before it when that is a trait word too
    // (`job_title`, `company_size`).
    if let Some(at) = content.iter().rposition(|w| hint_of_word(w) == Some(Hint::Attribute)) {
        let start = if at > 0 && hint_of_word(content[at - 1]).is_some() {
            at - 1
        } else {
            at
        };
        return content[start..=at].join("_");
    }
    let mut short = String::new();
    for word in content.iter().take(4) {
        if !short.is_empty() && short.len() + 1 + word.len() > MAX_KEY_CHARS {
            break;
        }
        if !short.is_empty() {
            short.push('_');
        }
        short.push_str(word);
    }
    if short.is_empty() {
        words
            .iter()
            .take(MAX_KEY_WORDS.min(4))
            .copied()
            .collect::<Vec<_>>()
            .join("_")
    } else {
        short
    }
}
