//! Markdown and plain-text transcripts.
//!
//! A file with speaker labels (`**Participant:**`, `P3:`, `Interviewer:`, `[00:01:02] Alice:`,
//! `[Participant] …`, or Otter/Teams lines such as `Speaker 1  0:01` with the text below)
//! is read turn by turn: a turn runs from its label line until a blank line, a heading or the
//! next label line, and a paragraph that follows a turn after a blank line is another utterance
//! by the same speaker. Interviewer turns are not participant evidence. A file without speaker
//! labels is one participant whose paragraphs (and list items) are utterances. Short `Key: value`
//! lines in front matter, under a background heading, or before the first turn give attributes.

use super::IngestError;
use super::fields;
use super::records::FileRecords;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// The start of a `label: rest` line up to the colon, with list markers, block quotes,
/// timestamps and emphasis around the label allowed (`- **Age:** 34`, `> P1: …`,
/// `[00:01:02] Alice (P3): …`, `**Interviewer**: …`). Only a line's first
/// [`LABEL_SEARCH_BYTES`] are searched: a label is short, and this bounds the cost on long lines.
static LABEL_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^\s*
        (?P<bullet>(?:[-*+]|\d{1,3}[.)])\s+)?
        (?:>\s*)?
        (?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]?\s*(?:[-–—]\s*)?)?
        (?:\*\*|__|\*|_)?
        (?P<label>\p{L}[\p{L}\p{N}\ ._'&/-]{0,39}?)
        \s*
        (?:[\[(](?P<extra>[^\])]{1,40})[\])]\s*)?
        (?:\*\*|__|\*|_)?
        :
        (?:\*\*|__|\*|_)?",
    )
    .expect("label pattern")
});

const LABEL_SEARCH_BYTES: usize = 160;

/// A chat log's line (IRC, Slack exports): `[08:25] <pb11> did it work?`, `<alice> hi`.
static CHAT_NICK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*)?<(?P<label>[^<>\s/=\x22']{1,40})>(?:\s+(?P<rest>.*))?$",
    )
    .expect("chat nick pattern")
});

/// A chat log's system line: joins, quits, nick changes, `/me` actions.
static CHAT_SYSTEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s+(?:===|\*{1,3}\s|-!-|<--|-->)|===\s+\S)")
        .expect("chat system pattern")
});

/// HTML tags that are not chat nicks.
const HTML_TAGS: &[&str] = &[
    "p",
    "br",
    "img",
    "div",
    "span",
    "a",
    "b",
    "i",
    "u",
    "em",
    "strong",
    "details",
    "summary",
    "sub",
    "sup",
    "code",
    "pre",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "td",
    "th",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "v",
    "c",
    "small",
    "kbd",
    "blockquote",
    "center",
    "font",
];

/// An Otter.ai or Teams speaker line: a label and a timestamp alone on the line
/// (`Speaker 1  0:01`, `Sam Taylor   1:05:12`); the turn's text is on the following lines.
static TIMED_SPEAKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<label>\p{L}[\p{L}\p{N}\ ._'&-]{0,39}?)(?:\s*\((?P<extra>[^)]{1,40})\))?(?P<gap>\s+)[\[(]?(?:\d{1,2}:)?\d{1,2}:\d{2}[\])]?\s*$")
        .expect("timed speaker")
});

/// A bracketed label in front of the text: `[Interviewer] …`, `[Participant] …`, `[Alice]: …`,
/// optionally after a timestamp (`00:01:02 [P1] …`).
static BRACKET_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^\s*
        (?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?[\])]?\s*(?:[-–—]\s*)?)?
        \[(?P<label>\p{L}[\p{L}\p{N}\ ._'&-]{0,39}?)\s*
        (?:\((?P<extra>[^)]{1,40})\)\s*)?\]
        :?(?:\s+|$)",
    )
    .expect("bracket label")
});

/// Transcription services' footers: `Transcribed by https://otter.ai`.
static FOOTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*transcribed\s+by\s+(?:https?://)?(?:www\.)?otter\.ai\S*\s*$").expect("footer")
});

/// Bracketed stage directions that look like names (`[Inaudible] …`, `[Crosstalk] …`).
const STAGE_WORDS: &[&str] = &[
    "inaudible",
    "unintelligible",
    "crosstalk",
    "cross talk",
    "laughs",
    "laughter",
    "laughing",
    "pause",
    "silence",
    "music",
    "applause",
    "noise",
    "background noise",
    "overlapping",
    "overtalk",
    "coughs",
    "sighs",
    "sic",
    "redacted",
    "unclear",
    "break",
    "end",
    "start",
];

static HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s{0,3}#{1,6}(?:\s+(.*?))?\s*#*\s*$").expect("heading pattern"));

/// A line that is only bold text (`**Background**`) reads as a heading.
static BOLD_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:\*\*|__)([^*_:.!?]{1,60}?)(?:\*\*|__)\s*$").expect("bold heading pattern"));

static RULE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|(?:=\s*){3,})$").expect("rule"));

static LIST_ITEM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+").expect("list item"));

/// A whole line in brackets, parentheses or emphasis: `[laughs]`, `(pause)`, `*inaudible*`.
static STAGE_DIRECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:\[[^\]]*\]|\([^)]*\)|\*[^*]+\*|_[^_]+_)\s*$").expect("stage direction"));

/// Labels with a number that name one participant: `P3`, `Participant 12`, `User 2`, `R-4`.
static NUMBERED_SPEAKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:p|participant|respondent|resp|user|customer|interviewee|speaker|subject|r|u)\s*[-_#]?\s*\d+$")
        .expect("numbered speaker")
});

/// A numbered participant id (`P3`, `Participant 12`, `R-4`): the same person wherever it
/// appears. Transcription tools' voice labels (`Speaker 2`) match too; the caller tells them apart.
pub(crate) fn is_numbered_id(label: &str) -> bool {
    NUMBERED_SPEAKER.is_match(label)
}

/// A person's name as a label: one to three capitalised words.
static NAME_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\p{Lu}[\p{L}'.-]*(?:\s+\p{Lu}[\p{L}'.-]*){0,2}$").expect("name label"));

/// Headings of sections about the participant rather than by them: their lines give attributes.
static BACKGROUND_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:background|demographics?|profile|participant\s+(?:info|information|details)|about\s+(?:the\s+)?(?:participant|respondent|interviewee)|metadata|details|info)\b")
        .expect("background heading")
});

/// Headings of the researcher's own material: not participant evidence.
static RESEARCHER_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:summary|findings?|insights?|takeaways?|analysis|observations?|(?:researcher|interviewer|moderator|field)\s+notes|methodology|method|recommendations?|next\s+steps|action\s+items|themes|discussion\s+guide|questions)\b")
        .expect("researcher heading")
});

/// Headings of the researcher's notes: `Session notes`, `Highlights notes`.
static NOTES_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:highlights?|researcher'?s?|interviewer'?s?|moderator'?s?|observer'?s?|observation|field|session|private|internal|team)\s+notes\W*$")
        .expect("notes heading")
});

/// Headings that may be anyone's notes: `Notes`, `My notes`, `Additional notes`.
static AMBIGUOUS_NOTES_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:(?:general|additional|extra|our|my)\s+)?notes\W*$").expect("ambiguous notes heading")
});

fn is_researcher_heading(heading: &str) -> bool {
    RESEARCHER_HEADING.is_match(heading) || NOTES_HEADING.is_match(heading)
}

const INTERVIEWER_WORDS: &[&str] = &[
    "interviewer",
    "moderator",
    "facilitator",
    "researcher",
    "host",
    // Other languages' interviewers (Portuguese, Spanish, French, German, Italian).
    "entrevistador",
    "entrevistadora",
    "pesquisador",
    "pesquisadora",
    "investigador",
    "investigadora",
    "moderador",
    "moderadora",
    "enquêteur",
    "enquêtrice",
    "intervieweur",
    "interviewerin",
    "intervistatore",
    "intervistatrice",
];
const INTERVIEWER_LABELS: &[&str] = &[
    "q", "i", "int", "question", "pergunta", "pregunta", "questão", "questao", "frage", "domanda",
];
/// A numbered question as a label (`Pergunta 3`, `Question 12`, `Q4`): the interviewer's.
static NUMBERED_QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:q|question|pergunta|pregunta|questão|questao|frage|domanda|task|tarefa|tarea)\s*[-_#.]?\s*\d+$",
    )
    .expect("numbered question")
});
const GENERIC_LABELS: &[&str] = &[
    "participant",
    "respondent",
    "interviewee",
    "user",
    "customer",
    "a",
    "r",
    "answer",
    // Other languages' answers and interviewees.
    "resposta",
    "respuesta",
    "réponse",
    "antwort",
    "risposta",
    "entrevistado",
    "entrevistada",
    "participante",
    "teilnehmer",
    "teilnehmerin",
];
/// Labels of researcher notes that are never speakers nor attributes.
const NOTE_LABELS: &[&str] = &[
    "note",
    "notes",
    "summary",
    "keypoints",
    "keypoint",
    "takeaway",
    "takeaways",
    "insight",
    "insights",
    "observation",
    "observations",
    "finding",
    "findings",
    "theme",
    "themes",
    "context",
    "topic",
    "method",
    "agenda",
    "attendees",
    "participants",
    "tags",
];

/// Header fields (compacted) naming the interviewers of a transcript.
const HEADER_INTERVIEWER_FIELDS: &[&str] = &[
    "interviewer",
    "interviewers",
    "interviewedby",
    "moderator",
    "moderators",
    "facilitator",
    "host",
    "hosts",
    "researcher",
];

/// Longest value of a `Key: value` line read as an attribute.
const MAX_ATTRIBUTE_CHARS: usize = 80;
const MAX_ATTRIBUTE_WORDS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Speaker {
    Interviewer,
    /// `Participant:`, `Respondent:`, `A:`: the file's own participant.
    Generic,
    /// A participant named by the label (`P3`, `Alice`).
    Named(String),
}

#[derive(Debug, Clone, Copy)]
struct Label<'a> {
    /// The whole line.
    line: &'a str,
    /// The line is a list item (`- Role: X`).
    bullet: bool,
    label: &'a str,
    extra: Option<&'a str>,
    rest: &'a str,
    /// The line's form says it names a speaker (`Sam Taylor   0:03`, a caption's voice tag),
    /// whether or not the file reads as a dialogue.
    by_form: bool,
}

#[derive(Debug, Clone, Copy)]
enum Line<'a> {
    Blank,
    Heading(&'a str),
    Rule,
    /// Code fences, tables, HTML comments, front-matter delimiters.
    Skip,
    Label(Label<'a>),
    Text(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Normal,
    FrontMatter,
    Background,
    Researcher,
    /// Under a bare `Notes` heading: the researcher's when the file has participant text
    /// elsewhere, else the participant's own (a diary's `## Notes`).
    Notes,
}

/// What a label line turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
enum LabelRole {
    Turn(Speaker),
    /// A short `Participant: P003` before the first turn: the file participant's id.
    IdField,
    /// A short `Interviewer: Sam` before the first turn: metadata.
    Metadata,
    /// Not a speaker: an attribute or plain text, depending on where it is.
    Plain,
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The line without its block-quote markers (`> `, `>> `): quoted text is the speaker's own.
fn strip_quote(line: &str) -> &str {
    let trimmed = line.trim_start();
    if !trimmed.starts_with('>') {
        return line;
    }
    let mut rest = trimmed;
    while let Some(after) = rest.strip_prefix('>') {
        rest = after.trim_start();
    }
    rest
}

/// A speaker-only line (`Speaker 1  0:01`) or a bracketed label (`[Interviewer] …`), when its
/// label can be a speaker: a known label or a name (not a stage direction such as `[Pause]`).
fn speaker_line(line: &str) -> Option<Label<'_>> {
    let trimmed = line.trim_end();
    if trimmed.contains('<')
        && let Some(c) = CHAT_NICK.captures(trimmed)
    {
        let label = c.name("label").map_or("", |m| m.as_str());
        if !HTML_TAGS.contains(&label.to_ascii_lowercase().as_str()) {
            return Some(Label {
                line,
                bullet: false,
                label,
                extra: None,
                rest: c.name("rest").map_or("", |m| m.as_str()).trim(),
                by_form: true,
            });
        }
    }
    let speaker_like = |label: &str, extra: Option<&str>| {
        !STAGE_WORDS.contains(&label.to_lowercase().as_str())
            && (known_speaker(label, extra).is_some() || is_name_label(label))
    };
    if trimmed.ends_with(|c: char| c.is_ascii_digit() || c == ']' || c == ')')
        && trimmed.contains(':')
        && let Some(c) = TIMED_SPEAKER.captures(trimmed)
    {
        let label = c.name("label").map_or("", |m| m.as_str()).trim();
        // A name needs the exports' wide gap before the time (`Sam Taylor   0:03`), so that a
        // line such as `Standup 9:30` is not taken for a speaker.
        let wide = c
            .name("gap")
            .is_some_and(|g| g.as_str().len() >= 2 || g.as_str().contains('\t'));
        let extra = c.name("extra").map(|m| m.as_str().trim());
        if speaker_like(label, extra) && (wide || known_speaker(label, extra).is_some()) {
            return Some(Label {
                line,
                bullet: false,
                label,
                extra,
                rest: "",
                by_form: true,
            });
        }
    }
    if trimmed.contains('[')
        && let Some(c) = BRACKET_LABEL.captures(line)
    {
        let label = c.name("label").map_or("", |m| m.as_str()).trim();
        let extra = c.name("extra").map(|m| m.as_str().trim());
        if speaker_like(label, extra) {
            return Some(Label {
                line,
                bullet: false,
                label,
                extra,
                rest: line[c.get(0).map_or(0, |m| m.end())..].trim(),
                by_form: false,
            });
        }
    }
    None
}

fn classify_line(line: &str) -> Line<'_> {
    classify(line, true)
}

/// A line between blank lines (or the file's ends).
fn is_lone_line(lines: &[&str], i: usize) -> bool {
    let blank = |j: Option<usize>| j.and_then(|j| lines.get(j)).is_none_or(|l| l.trim().is_empty());
    blank(i.checked_sub(1)) && blank(Some(i + 1))
}

/// What a line is. Block-quote markers go only from a quote standing alone (`> I need …`
/// between blank lines): in a quote that runs over several lines, or one inside an answer, they
/// stay, so that the text joined from its lines is still verbatim.
fn classify(line: &str, strip_quote_markers: bool) -> Line<'_> {
    if line.trim().is_empty() {
        return Line::Blank;
    }
    let line = if strip_quote_markers { strip_quote(line) } else { line };
    if line.trim().is_empty() {
        return Line::Blank;
    }
    // Cheap first-character checks keep the regexes off most lines.
    let trimmed = line.trim_start();
    if trimmed.starts_with('#')
        && let Some(c) = HEADING.captures(line)
    {
        return Line::Heading(c.get(1).map_or("", |m| m.as_str()));
    }
    if (trimmed.starts_with("**") || trimmed.starts_with("__"))
        && let Some(c) = BOLD_HEADING.captures(line)
    {
        return Line::Heading(c.get(1).map_or("", |m| m.as_str()));
    }
    if trimmed.starts_with(['-', '*', '_', '=']) && RULE.is_match(line) {
        return Line::Rule;
    }
    if trimmed.starts_with('|') || (trimmed.starts_with("<!--") && trimmed.trim_end().ends_with("-->")) {
        return Line::Skip;
    }
    if trimmed.starts_with(['T', 't']) && FOOTER.is_match(line) {
        return Line::Skip;
    }
    if (trimmed.starts_with(['[', '(', '=']) || trimmed.starts_with(|c: char| c.is_ascii_digit()))
        && CHAT_SYSTEM.is_match(line)
    {
        return Line::Skip;
    }
    if let Some(label) = speaker_line(line) {
        return Line::Label(label);
    }
    let head = &line[..line.floor_char_boundary(LABEL_SEARCH_BYTES)];
    if head.contains(':')
        && let Some(c) = LABEL_PREFIX.captures(head)
    {
        let label = c.name("label").map_or("", |m| m.as_str()).trim();
        let rest = &line[c.get(0).map_or(0, |m| m.end())..];
        // `label: rest` needs a space after the colon (not `https://…` or `10:30`).
        let spaced = rest.is_empty() || rest.starts_with(char::is_whitespace);
        if spaced && !label.is_empty() && label.split_whitespace().count() <= 4 {
            return Line::Label(Label {
                line,
                bullet: c.name("bullet").is_some(),
                label,
                extra: c.name("extra").map(|m| m.as_str().trim()),
                rest: rest.trim(),
                by_form: false,
            });
        }
    }
    Line::Text(line)
}

/// A speaker the label names by itself, whatever else is in the file.
fn known_speaker(label: &str, extra: Option<&str>) -> Option<Speaker> {
    let compact = fields::compact(label);
    let lower = label.to_lowercase();
    let names_interviewer = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric())
            .any(|w| INTERVIEWER_WORDS.contains(&w))
    };
    if INTERVIEWER_LABELS.contains(&compact.as_str())
        || NUMBERED_QUESTION.is_match(label.trim())
        || names_interviewer(&lower)
        || extra.is_some_and(|e| names_interviewer(&e.to_lowercase()))
    {
        return Some(Speaker::Interviewer);
    }
    if let Some(extra) = extra.filter(|e| NUMBERED_SPEAKER.is_match(e)) {
        return Some(Speaker::Named(collapse(extra)));
    }
    if NUMBERED_SPEAKER.is_match(label) {
        return Some(Speaker::Named(collapse(label)));
    }
    if GENERIC_LABELS.contains(&compact.as_str()) {
        return Some(Speaker::Generic);
    }
    None
}

fn is_note_label(label: &str) -> bool {
    NOTE_LABELS.contains(&fields::compact(label).as_str())
}

/// A label that may be a person's name (`Alice`, `Dr. Smith`), not a field (`Role`, `Date`).
fn is_name_label(label: &str) -> bool {
    NAME_LABEL.is_match(label) && !fields::is_field_name(label) && !is_note_label(label)
}

/// A label line in a background section that is plainly a turn of the conversation rather
/// than a detail: a speaker label with a sentence after it, not a list item.
fn starts_dialogue(l: &Label) -> bool {
    if l.bullet || l.rest.is_empty() {
        return false;
    }
    match known_speaker(l.label, l.extra) {
        Some(_) => !is_field_value(l.rest),
        None => {
            let sentence =
                l.rest.split_whitespace().count() >= 4 && l.rest.trim_end().ends_with(['.', '!', '?', '"', '”']);
            is_name_label(l.label) && sentence
        }
    }
}

/// A short value such as an id or a name: no sentence punctuation, at most three words.
fn is_field_value(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty()
        && value.chars().count() <= 40
        && value.split_whitespace().count() <= 3
        && !value.ends_with(['.', '!', '?', ',', ';', ':'])
        && !value.starts_with(['"', '\'', '“', '‘'])
}

fn is_attribute_value(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty()
        && value.chars().count() <= MAX_ATTRIBUTE_CHARS
        && value.split_whitespace().count() <= MAX_ATTRIBUTE_WORDS
}

/// Strips emphasis markers around an attribute value (`**34**`).
fn clean_value(value: &str) -> &str {
    value.trim().trim_matches(['*', '_']).trim()
}

/// Index of the closing line of YAML-style front matter (`---` … `---`) at the top of the file.
fn front_matter_end(lines: &[&str]) -> Option<usize> {
    if lines.first().map(|l| l.trim()) != Some("---") {
        return None;
    }
    lines
        .iter()
        .enumerate()
        .skip(1)
        .take(100)
        .find(|(_, l)| matches!(l.trim(), "---" | "..."))
        .map(|(i, _)| i)
}

#[derive(Debug)]
struct Turn {
    speaker: Speaker,
    /// 1-based line of the first line with text.
    line: u64,
    text: String,
}

impl Turn {
    fn push(&mut self, line: u64, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if self.text.is_empty() {
            self.line = line;
        } else {
            self.text.push(' ');
        }
        self.text.push_str(text);
    }
}

/// Who a background attribute belongs to: the file's participant, or a named one (`## P3`).
#[derive(Debug)]
struct PendingAttribute {
    owner: Option<String>,
    key: String,
    value: String,
}

pub(crate) fn parse(file: &str, stem: &str, text: &str, markdown: bool) -> Result<FileRecords, IngestError> {
    let lines: Vec<&str> = text.lines().collect();
    let numbers: Vec<u64> = (1..=lines.len() as u64).collect();
    parse_lines(file, stem, &lines, &numbers, &[], markdown)
}

/// [`parse`] for lines taken out of a file (e.g. the cue text of a subtitle file): `numbers[i]`
/// is the 1-based line of the file that `lines[i]` comes from, used for locations. `voices[i]`,
/// when given, is the speaker that `lines[i]` starts a turn of (a caption's voice tag): the
/// whole line is that speaker's text.
pub(crate) fn parse_lines(
    file: &str,
    stem: &str,
    lines: &[&str],
    numbers: &[u64],
    voices: &[Option<&str>],
    markdown: bool,
) -> Result<FileRecords, IngestError> {
    debug_assert_eq!(lines.len(), numbers.len());
    let (mut kinds, sections) = scan(lines, markdown);
    for ((kind, line), voice) in kinds.iter_mut().zip(lines).zip(voices) {
        if let Some(label) = voice.filter(|v| !v.trim().is_empty()) {
            *kind = Line::Label(Label {
                line,
                bullet: false,
                label: label.trim(),
                extra: None,
                rest: line.trim(),
                by_form: true,
            });
        }
    }
    drop_stray_timed_labels(&mut kinds);
    // A bare `Notes` section is the researcher's unless nothing else is the participant's.
    let as_researcher: Vec<Section> = sections
        .iter()
        .map(|&s| if s == Section::Notes { Section::Researcher } else { s })
        .collect();
    let speakers = find_speakers(&kinds, &as_researcher);
    let reader = read_lines(&kinds, &as_researcher, &speakers, numbers);
    if reader.utterances.is_empty() && sections.contains(&Section::Notes) {
        let as_participant: Vec<Section> = sections
            .iter()
            .map(|&s| if s == Section::Notes { Section::Normal } else { s })
            .collect();
        let speakers = find_speakers(&kinds, &as_participant);
        let reader = read_lines(&kinds, &as_participant, &speakers, numbers);
        return assemble(file, stem, reader, &speakers);
    }
    assemble(file, stem, reader, &speakers)
}

fn read_lines<'s>(kinds: &[Line], sections: &[Section], speakers: &'s Speakers, numbers: &'s [u64]) -> Reader<'s> {
    let mut reader = Reader::new(speakers, numbers);
    for (i, kind) in kinds.iter().enumerate() {
        reader.read(i, *kind, sections[i]);
    }
    reader.flush();
    reader
}

/// Otter and Teams speaker lines (`Sam Taylor   0:03`, text below) come in numbers, with their
/// text on the next line and the same speakers again and again. A file where lines of that
/// form do not (`Standup   9:30` in a diary) reads them as text, unless the label names a
/// speaker by itself (`Speaker 1`, `Interviewer`).
fn drop_stray_timed_labels(kinds: &mut [Line]) {
    let is_timed = |kind: &Line| matches!(kind, Line::Label(l) if l.by_form && l.rest.is_empty());
    let mut labels: BTreeMap<&str, usize> = BTreeMap::new();
    let mut with_text_below = 0usize;
    for (i, kind) in kinds.iter().enumerate() {
        if let Line::Label(l) = kind
            && is_timed(kind)
        {
            *labels.entry(l.label).or_default() += 1;
            let next = kinds[i + 1..].iter().find(|k| !matches!(k, Line::Blank));
            with_text_below += usize::from(matches!(next, Some(Line::Text(_))));
        }
    }
    let export_shaped = with_text_below >= 2 && labels.values().any(|&n| n >= 2);
    if export_shaped {
        return;
    }
    for kind in kinds.iter_mut() {
        if let Line::Label(l) = *kind
            && is_timed(kind)
            && known_speaker(l.label, l.extra).is_none()
        {
            *kind = Line::Text(l.line);
        }
    }
}

/// Pass 1: what each line is, and which section it is in.
fn scan<'a>(lines: &[&'a str], markdown: bool) -> (Vec<Line<'a>>, Vec<Section>) {
    let front_matter = if markdown { front_matter_end(lines) } else { None };
    let mut kinds = Vec::with_capacity(lines.len());
    let mut sections = Vec::with_capacity(lines.len());
    let mut section = Section::Normal;
    let mut in_fence = false;
    for (i, &line) in lines.iter().enumerate() {
        if let Some(end) = front_matter
            && i <= end
        {
            let is_delimiter = i == 0 || i == end;
            kinds.push(if is_delimiter { Line::Skip } else { classify_line(line) });
            sections.push(Section::FrontMatter);
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            kinds.push(Line::Skip);
        } else if in_fence {
            kinds.push(Line::Skip);
        } else {
            let kind = classify(line, is_lone_line(lines, i));
            if section == Section::Background
                && let Line::Label(l) = kind
                && starts_dialogue(&l)
            {
                // A background list often runs straight into the conversation.
                section = Section::Normal;
            }
            if let Line::Heading(heading) = kind {
                section = if BACKGROUND_HEADING.is_match(heading) {
                    Section::Background
                } else if is_researcher_heading(heading) {
                    Section::Researcher
                } else if AMBIGUOUS_NOTES_HEADING.is_match(heading) {
                    Section::Notes
                } else {
                    Section::Normal
                };
            }
            kinds.push(kind);
        }
        sections.push(section);
    }
    (kinds, sections)
}

/// What pass 2 learnt about the file's speakers.
struct Speakers {
    /// For every line: what its label (if any) turned out to be.
    roles: Vec<LabelRole>,
    /// Index of the first line that is a turn: lines before it are the file's header.
    first_turn: Option<usize>,
    /// Participants named by their labels (`P3`, `Alice`).
    named: BTreeSet<String>,
}

/// Pass 2: which labels are speakers. Names count as speakers when the file is a dialogue: some
/// label is a speaker by itself (Interviewer, P3, …) or some name speaks more than once;
/// otherwise a lone `Name: …` line is ordinary text.
fn find_speakers(kinds: &[Line], sections: &[Section]) -> Speakers {
    let mut name_counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut has_known_speaker = false;
    for (kind, &section) in kinds.iter().zip(sections) {
        if let (Line::Label(l), Section::Normal) = (kind, section) {
            if known_speaker(l.label, l.extra).is_some() {
                has_known_speaker = true;
            } else if is_name_label(l.label) {
                *name_counts.entry(l.label).or_default() += 1;
            }
        }
    }
    let dialogue = has_known_speaker || name_counts.values().any(|&count| count >= 2);
    let speaker_of = |l: &Label| {
        known_speaker(l.label, l.extra).or_else(|| {
            (l.by_form || (dialogue && name_counts.contains_key(l.label))).then(|| Speaker::Named(collapse(l.label)))
        })
    };
    let mut roles = Vec::with_capacity(kinds.len());
    let mut first_turn: Option<usize> = None;
    for (i, (kind, &section)) in kinds.iter().zip(sections).enumerate() {
        let role = match (kind, section) {
            (Line::Label(l), Section::Normal) => match speaker_of(l) {
                // Before the first turn, `Participant: P044` and `Interviewer: Sam` are header
                // fields, not turns.
                Some(Speaker::Generic) if first_turn.is_none() && !l.by_form && is_header_field(l) => {
                    LabelRole::IdField
                }
                Some(Speaker::Interviewer) if first_turn.is_none() && !l.by_form && is_header_field(l) => {
                    LabelRole::Metadata
                }
                Some(speaker) => {
                    first_turn.get_or_insert(i);
                    LabelRole::Turn(speaker)
                }
                None => LabelRole::Plain,
            },
            _ => LabelRole::Plain,
        };
        roles.push(role);
    }
    let named = roles
        .iter()
        .filter_map(|r| match r {
            LabelRole::Turn(Speaker::Named(id)) => Some(id.clone()),
            _ => None,
        })
        .collect();
    Speakers {
        roles,
        first_turn,
        named,
    }
}

/// A speaker line that reads as a header field: a short value, and a label longer than the
/// one-letter `Q`/`A`.
fn is_header_field(l: &Label) -> bool {
    is_field_value(l.rest) && l.label.chars().count() > 1
}

/// Pass 3: turns, paragraphs and attributes in file order.
struct Reader<'s> {
    speakers: &'s Speakers,
    /// The file line of each line read.
    numbers: &'s [u64],
    id_field: Option<String>,
    utterances: Vec<(Speaker, u64, String)>,
    attributes: Vec<PendingAttribute>,
    turn: Option<Turn>,
    /// The speaker of the last turn in this section: a paragraph after it is theirs too.
    last_speaker: Option<Speaker>,
    /// The named participant whose heading (`## P3`) the lines are under.
    heading_owner: Option<String>,
    /// In files without labels: this paragraph has prose, so `Key: value` lines are text.
    block_has_prose: bool,
    /// Inside a researcher's note (`Summary: …`, `Key points:` and the lines after it).
    in_note: bool,
    /// The question each utterance answers (the interviewer's last turn), by utterance index.
    questions: Vec<Option<String>>,
    /// The interviewer's last turn, the question the next answers reply to.
    last_question: Option<String>,
    /// Labelled interviewer turns left out.
    interviewer_turns: usize,
    /// Names given by header fields such as `INTERVIEWERS: Arnold Thackray`.
    header_interviewers: Vec<String>,
}

impl<'s> Reader<'s> {
    fn new(speakers: &'s Speakers, numbers: &'s [u64]) -> Self {
        Reader {
            speakers,
            numbers,
            id_field: None,
            utterances: Vec::new(),
            attributes: Vec::new(),
            turn: None,
            last_speaker: None,
            heading_owner: None,
            block_has_prose: false,
            in_note: false,
            questions: Vec::new(),
            last_question: None,
            interviewer_turns: 0,
            header_interviewers: Vec::new(),
        }
    }

    fn push_utterance(&mut self, speaker: Speaker, line: u64, text: String) {
        self.utterances.push((speaker, line, text));
        self.questions.push(self.last_question.clone());
    }

    fn has_turns(&self) -> bool {
        self.speakers.first_turn.is_some()
    }

    /// Ends the open turn, keeping it unless it is the interviewer's.
    fn flush(&mut self) {
        let Some(t) = self.turn.take() else {
            return;
        };
        if t.text.is_empty() {
            return;
        }
        if t.speaker == Speaker::Interviewer {
            self.interviewer_turns += 1;
            self.last_question = Some(t.text);
        } else {
            self.push_utterance(t.speaker, t.line, t.text);
        }
    }

    fn start_turn(&mut self, speaker: Speaker, line: u64, text: &str) {
        self.flush();
        let mut turn = Turn {
            speaker,
            line,
            text: String::new(),
        };
        turn.push(line, text);
        self.turn = Some(turn);
    }

    fn read(&mut self, i: usize, kind: Line, section: Section) {
        let line = self.numbers[i];
        match kind {
            Line::Blank | Line::Skip | Line::Rule => {
                self.flush();
                self.block_has_prose = false;
                self.in_note = false;
                if matches!(kind, Line::Rule) {
                    self.last_speaker = None;
                }
                return;
            }
            Line::Heading(heading) => {
                self.flush();
                self.block_has_prose = false;
                self.in_note = false;
                self.last_speaker = None;
                let heading = collapse(heading.trim_matches(['*', '_', ':', ' ']));
                self.heading_owner = self
                    .speakers
                    .named
                    .iter()
                    .find(|id| id.eq_ignore_ascii_case(&heading))
                    .cloned();
                return;
            }
            Line::Label(_) | Line::Text(_) => {}
        }
        if section == Section::Researcher || self.in_note {
            self.flush();
            return;
        }
        let describes_participant = matches!(section, Section::FrontMatter | Section::Background);
        let text = match kind {
            Line::Label(l) => match self.read_label(i, l, describes_participant) {
                Some(text) => text,
                None => return,
            },
            Line::Text(text) => text,
            _ => return,
        };
        if describes_participant {
            return;
        }
        if self.has_turns() {
            let answers_question = self
                .turn
                .as_ref()
                .is_some_and(|t| t.speaker == Speaker::Interviewer && t.text.trim_end().ends_with('?'));
            if answers_question && !STAGE_DIRECTION.is_match(text) {
                // `Q3: What do you use?` and the answer on the next line, unlabelled: the file
                // participant's.
                self.start_turn(Speaker::Generic, line, text);
                self.last_speaker = Some(Speaker::Generic);
            } else if let Some(turn) = self.turn.as_mut() {
                turn.push(line, text);
            } else if let Some(speaker) = self.last_speaker.clone()
                && !STAGE_DIRECTION.is_match(text)
            {
                self.start_turn(speaker, line, text);
            }
            return;
        }
        // No speaker labels: every paragraph and list item is the file participant's.
        self.block_has_prose = true;
        if let Some(marker) = LIST_ITEM.find(text) {
            self.start_turn(Speaker::Generic, line, &text[marker.end()..]);
        } else if let Some(turn) = self.turn.as_mut() {
            turn.push(line, text);
        } else if !STAGE_DIRECTION.is_match(text) {
            self.start_turn(Speaker::Generic, line, text);
        }
    }

    /// Handles a label line; returns the line's text when it is to be read as ordinary text.
    fn read_label<'a>(&mut self, i: usize, l: Label<'a>, describes_participant: bool) -> Option<&'a str> {
        let line = self.numbers[i];
        let before_turns = self.speakers.first_turn.is_none_or(|first| i < first);
        if before_turns && HEADER_INTERVIEWER_FIELDS.contains(&fields::compact(l.label).as_str()) && !l.rest.is_empty()
        {
            self.header_interviewers.push(clean_value(l.rest).to_string());
        }
        match &self.speakers.roles[i] {
            LabelRole::Turn(speaker) => {
                let speaker = speaker.clone();
                self.start_turn(speaker.clone(), line, l.rest);
                self.last_speaker = Some(speaker);
                return None;
            }
            LabelRole::IdField => {
                self.id_field.get_or_insert_with(|| clean_value(l.rest).to_string());
                return None;
            }
            LabelRole::Metadata => return None,
            LabelRole::Plain => {}
        }
        let in_header = self.speakers.first_turn.is_some_and(|first| i < first);
        let in_field_zone = describes_participant
            || self.heading_owner.is_some()
            || in_header
            || (!self.has_turns() && !self.block_has_prose);
        if self.turn.is_some() && !describes_participant {
            // `Key: value` inside an answer is part of the answer.
            Some(l.line)
        } else if is_note_label(l.label) {
            self.flush();
            self.in_note = true;
            None
        } else if fields::is_text_name(l.label) && !l.rest.is_empty() && self.speakers.named.is_empty() {
            // `Quote: "…"`, `Feedback: …`: the participant's own words under a field name.
            self.flush();
            self.push_utterance(Speaker::Generic, line, l.rest.to_string());
            None
        } else if in_field_zone && is_attribute_value(l.rest) {
            let value = clean_value(l.rest);
            if fields::is_participant_id_field(l.label) {
                if self.heading_owner.is_none() {
                    self.id_field.get_or_insert_with(|| value.to_string());
                }
            } else if !fields::is_ignored_name(l.label) {
                self.attributes.push(PendingAttribute {
                    owner: self.heading_owner.clone(),
                    key: fields::snake_case(l.label),
                    value: value.to_string(),
                });
            }
            None
        } else if self.has_turns() {
            // A `Key: value` note between turns does not continue the last speaker.
            None
        } else {
            Some(l.line)
        }
    }
}

/// Gives the file participant its id, assigns background attributes and builds the records.
fn assemble(file: &str, stem: &str, reader: Reader, speakers: &Speakers) -> Result<FileRecords, IngestError> {
    let named = &speakers.named;
    let mut out = FileRecords::default();
    let file_participant = reader
        .id_field
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| stem.to_string());
    let generic_speaks = reader.utterances.iter().any(|(s, _, _)| *s == Speaker::Generic);
    let unowned_attributes_go_to = if generic_speaks || named.is_empty() {
        Some(file_participant.clone())
    } else if named.len() == 1 {
        named.iter().next().cloned()
    } else {
        None
    };
    for ((speaker, line, text), question) in reader.utterances.into_iter().zip(reader.questions) {
        let id = match speaker {
            Speaker::Named(id) => id,
            _ => file_participant.clone(),
        };
        let participant = out.participant(&id);
        out.add_answer(participant, format!("line {line}"), &text, question.as_deref());
    }
    out.header_interviewers = reader.header_interviewers;
    if reader.interviewer_turns > 0 {
        out.left_out.push(super::records::LeftOutSpeaker {
            speaker: "Interviewer".to_string(),
            role: "interviewer",
            lines: reader.interviewer_turns,
            reason: "labelled as the interviewer".to_string(),
        });
    }
    let mut unassigned = 0usize;
    for attribute in reader.attributes {
        match attribute.owner.or_else(|| unowned_attributes_go_to.clone()) {
            Some(owner) => {
                let participant = out.participant(&owner);
                out.set_attribute(participant, &attribute.key, &attribute.value);
            }
            None => unassigned += 1,
        }
    }
    if unassigned > 0 {
        out.warnings.push(format!(
            "{unassigned} background attribute(s) not assigned: {} participants speak in this file \
             (put each one's details under a heading naming them, e.g. \"## {}\")",
            named.len(),
            named.iter().next().map_or("P1", String::as_str)
        ));
    }
    if out.utterances.is_empty() {
        let reason = if speakers.first_turn.is_some() {
            "only interviewer turns found"
        } else {
            "no participant text found"
        };
        if out.is_empty() {
            return Err(IngestError::invalid(file, None, reason));
        }
        out.no_text_reason = Some(reason.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triple(id: &str, line: u64, text: &str) -> (String, String, String) {
        (id.to_string(), format!("line {line}"), text.to_string())
    }

    #[test]
    fn label_lines_are_recognised() {
        let cases = [
            ("**Participant:** I do", "Participant", "I do"),
            ("**Participant**: I do", "Participant", "I do"),
            ("P3: hello there", "P3", "hello there"),
            ("[00:01:02] P1: timed", "P1", "timed"),
            ("00:01:02 - Alice: dashed", "Alice", "dashed"),
            ("- **Age:** 34", "Age", "34"),
            ("> Q: quoted question?", "Q", "quoted question?"),
            ("Alice (P3): with id", "Alice", "with id"),
            ("*Moderator:* Welcome", "Moderator", "Welcome"),
            ("Interviewer:", "Interviewer", ""),
        ];
        for (line, label, rest) in cases {
            match classify_line(line) {
                Line::Label(l) => {
                    assert_eq!((l.label, l.rest), (label, rest), "{line}");
                }
                other => panic!("{line}: {other:?}"),
            }
        }
        assert!(matches!(classify_line("See https://example.com"), Line::Text(_)));
        assert!(matches!(classify_line("It happened at 10:30 today"), Line::Text(_)));
        assert!(matches!(classify_line("## Background"), Line::Heading("Background")));
        assert!(matches!(classify_line("**Background**"), Line::Heading("Background")));
    }

    #[test]
    fn speakers_are_classified() {
        assert_eq!(known_speaker("Interviewer", None), Some(Speaker::Interviewer));
        assert_eq!(known_speaker("Lead Researcher", None), Some(Speaker::Interviewer));
        assert_eq!(known_speaker("Sam", Some("Moderator")), Some(Speaker::Interviewer));
        assert_eq!(known_speaker("Q", None), Some(Speaker::Interviewer));
        assert_eq!(known_speaker("A", None), Some(Speaker::Generic));
        assert_eq!(known_speaker("Participant", None), Some(Speaker::Generic));
        assert_eq!(known_speaker("P3", None), Some(Speaker::Named("P3".into())));
        assert_eq!(known_speaker("User  2", None), Some(Speaker::Named("User 2".into())));
        assert_eq!(known_speaker("Alice", Some("P3")), Some(Speaker::Named("P3".into())));
        assert_eq!(known_speaker("Role", None), None);
        assert!(is_name_label("Alice"));
        assert!(is_name_label("Dr. Smith"));
        assert!(!is_name_label("Role"));
        assert!(!is_name_label("Company Size"));
        assert!(!is_name_label("Key Points"));
    }

    #[test]
    fn interview_with_background_and_interviewer_turns() {
        let text = "# Interview: Participant 003\n\
                    \n\
                    ## Background\n\
                    - **Role:** Field Sales Rep\n\
                    - Age: 34\n\
                    - Location: Berlin\n\
                    - Interview date: 2024-03-01\n\
                    \n\
                    ## Transcript\n\
                    \n\
                    **Interviewer:** Tell me about your week.\n\
                    \n\
                    **Participant:** I drive between clients most days\n\
                    and update the CRM from my phone.\n\
                    \n\
                    It never syncs properly.\n\
                    \n\
                    **Interviewer:** What would help?\n\
                    **Participant:** Offline mode, honestly.\n";
        let records = parse("p003.md", "p003", text, true).unwrap();
        assert_eq!(records.ids, ["p003"]);
        assert_eq!(
            records.texts(),
            [
                triple(
                    "p003",
                    13,
                    "I drive between clients most days and update the CRM from my phone."
                ),
                triple("p003", 16, "It never syncs properly."),
                triple("p003", 19, "Offline mode, honestly."),
            ]
        );
        let attributes = &records.attributes[0];
        assert_eq!(attributes["role"], "Field Sales Rep");
        assert_eq!(attributes["age"], "34");
        assert_eq!(attributes["location"], "Berlin");
        assert!(!attributes.contains_key("interview_date"));
    }

    #[test]
    fn participant_id_field_names_the_file_participant() {
        let text = "Participant ID: P017\nRole: Nurse\n\nQ: How is handover?\nA: Always late and rushed.\n";
        let records = parse("notes.txt", "notes", text, false).unwrap();
        assert_eq!(records.ids, ["P017"]);
        assert_eq!(records.attributes[0]["role"], "Nurse");
        assert_eq!(records.texts(), [triple("P017", 5, "Always late and rushed.")]);
    }

    #[test]
    fn header_participant_line_is_an_id_not_a_turn() {
        let text = "Date: 2024-01-02\nInterviewer: Sam\nParticipant: P044\n\n\
                    Interviewer: What tools do you use?\nParticipant: Mostly spreadsheets and email.\n";
        let records = parse("i.txt", "i", text, false).unwrap();
        assert_eq!(records.texts(), [triple("P044", 6, "Mostly spreadsheets and email.")]);
    }

    #[test]
    fn focus_group_with_named_sections() {
        let text = "# Focus group\n\n## P1\n- Role: Nurse\n\n## P2\n- Role: Doctor\n\n## Discussion\n\
                    Moderator: What slows you down?\n\
                    P1: Handover notes are never complete.\n\
                    P2: Paging during rounds.\n\
                    [00:12:01] P1: And the printers jam.\n";
        let records = parse("group.md", "group", text, true).unwrap();
        assert_eq!(
            records.texts(),
            [
                triple("P1", 11, "Handover notes are never complete."),
                triple("P2", 12, "Paging during rounds."),
                triple("P1", 13, "And the printers jam."),
            ]
        );
        let p2 = records.ids.iter().position(|id| id == "P2").unwrap();
        assert_eq!(records.attributes[p2]["role"], "Doctor");
        assert!(records.warnings.is_empty(), "{:?}", records.warnings);
    }

    #[test]
    fn ambiguous_background_in_group_is_ignored_with_a_warning() {
        let text = "## Background\n- Location: Leeds\n\nAlice: I want fewer meetings.\nBob: Same for me, really.\n\
                    Alice: And better tools.\n";
        let records = parse("g.txt", "g", text, false).unwrap();
        assert_eq!(records.ids, ["Alice", "Bob"]);
        assert!(records.attributes.iter().all(BTreeMap::is_empty));
        assert_eq!(records.warnings.len(), 1);
    }

    #[test]
    fn plain_prose_is_one_participant_by_paragraph() {
        let text = "Role: Teacher\nSchool: Primary\n\nMarking takes all my evenings.\nI do it at the kitchen table.\n\n\
                    - I want feedback templates\n- Parents email at midnight\n\n[laughs]\n";
        let records = parse("teacher-7.txt", "teacher-7", text, false).unwrap();
        assert_eq!(records.ids, ["teacher-7"]);
        assert_eq!(records.attributes[0]["role"], "Teacher");
        assert_eq!(
            records.texts(),
            [
                triple(
                    "teacher-7",
                    4,
                    "Marking takes all my evenings. I do it at the kitchen table."
                ),
                triple("teacher-7", 7, "I want feedback templates"),
                triple("teacher-7", 8, "Parents email at midnight"),
            ]
        );
    }

    #[test]
    fn researcher_sections_and_front_matter() {
        let text = "---\nparticipant_id: U9\nsegment: Enterprise\n---\n\
                    Customer: The invoices never match our purchase orders.\n\n\
                    ## Summary\nThe customer is unhappy with invoicing.\n";
        let records = parse("u9.md", "u9", text, true).unwrap();
        assert_eq!(records.ids, ["U9"]);
        assert_eq!(records.attributes[0]["segment"], "Enterprise");
        assert_eq!(
            records.texts(),
            [triple("U9", 5, "The invoices never match our purchase orders.")]
        );
    }

    #[test]
    fn researcher_notes_are_skipped_and_field_named_quotes_kept() {
        let text = "## Feedback: mobile app\n\n**Date:** 2024-01-10\n**User Type:** Power User\n\n\
                    **Summary:** User finds the app slow.\n\n**Key Points:**\n- Takes 5 seconds to load\n\n\
                    **User Quote:** \"I just want to check my numbers on the train.\"\n";
        let records = parse("fb.md", "fb", text, true).unwrap();
        assert_eq!(records.attributes[0]["user_type"], "Power User");
        assert_eq!(
            records.texts(),
            [triple("fb", 11, "\"I just want to check my numbers on the train.\"")]
        );
    }

    #[test]
    fn names_in_a_moderated_group_are_participants() {
        let text = "Moderator: Welcome, please introduce yourselves.\n\
                    Alice: I run a bakery and do the books on Sundays.\n\
                    Bob: I manage a bike shop with two staff.\n\
                    Moderator: What takes the most time?\n\
                    Alice: Chasing invoices from the cafes we supply.\n";
        let records = parse("group.txt", "group", text, false).unwrap();
        assert_eq!(records.ids, ["Alice", "Bob"]);
        assert_eq!(records.utterances.len(), 3);
        assert_eq!(records.utterances[2].location, "line 5");
    }

    #[test]
    fn otter_speaker_lines_with_text_below() {
        let text = "Budgeting app interview - P01\n\n\
                    Speaker 1  0:01\n\
                    What is the hardest part of managing your money?\n\n\
                    Speaker 2  0:10\n\
                    My income arrives in lumps,\n\
                    so I never know what a normal month looks like.\n\n\
                    Interviewer  1:21\n\
                    How do you track spending?\n\n\
                    Speaker 2  1:30:05\n\
                    Every Friday I reconcile invoices.\n\n\
                    Transcribed by https://otter.ai\n";
        let records = parse("otter_P01.txt", "otter_P01", text, false).unwrap();
        // Without another hint, `Speaker N` labels are participant ids as written.
        assert_eq!(records.ids, ["Speaker 1", "Speaker 2"]);
        assert_eq!(
            records.texts(),
            [
                triple("Speaker 1", 4, "What is the hardest part of managing your money?"),
                triple(
                    "Speaker 2",
                    7,
                    "My income arrives in lumps, so I never know what a normal month looks like."
                ),
                triple("Speaker 2", 14, "Every Friday I reconcile invoices."),
            ]
        );
    }

    #[test]
    fn teams_speaker_lines_name_the_speakers() {
        let text = "Sam Taylor (Interviewer)   0:03\nWhat slows you down?\n\n\
                    Amara Okafor   0:14\nInvoices paid late.\n\n\
                    Sam Taylor (Interviewer)   0:54\nAnything else?\n\n\
                    Amara Okafor   1:05\nTax time.\n";
        let records = parse("teams.txt", "teams", text, false).unwrap();
        assert_eq!(records.ids, ["Amara Okafor"]);
        assert_eq!(
            records.texts(),
            [
                triple("Amara Okafor", 5, "Invoices paid late."),
                triple("Amara Okafor", 11, "Tax time."),
            ]
        );
        // Names need the exports' wide gap; prose with a time stays prose.
        assert!(matches!(classify_line("Standup 9:30"), Line::Text(_)));
        assert!(matches!(classify_line("We met at 9:30"), Line::Text(_)));
        assert!(matches!(classify_line("Speaker 3 0:05"), Line::Label(_)));
    }

    #[test]
    fn bracket_labels_are_speakers() {
        let text = "Participant ID: P01\nRole: Freelance designer\n\n\
                    [Interviewer] What is the hardest part?\n\n\
                    [Participant] My income arrives in lumps.\n\
                    [Inaudible] and then it stops.\n\n\
                    [Interviewer]: Anything else?\n\
                    [Participant]\nTax time, honestly.\n";
        let records = parse("bracket_P01.txt", "bracket_P01", text, false).unwrap();
        assert_eq!(records.ids, ["P01"]);
        assert_eq!(records.attributes[0]["role"], "Freelance designer");
        assert_eq!(
            records.texts(),
            [
                triple("P01", 6, "My income arrives in lumps. [Inaudible] and then it stops."),
                triple("P01", 11, "Tax time, honestly."),
            ]
        );
        let group =
            "[Moderator] Who goes first?\n[Alice] I run a bakery.\n[Bob] I fix bikes.\n[Alice] Books on Sundays.\n";
        let records = parse("g.txt", "g", group, false).unwrap();
        assert_eq!(records.ids, ["Alice", "Bob"]);
        assert_eq!(
            records.texts(),
            [
                triple("Alice", 2, "I run a bakery."),
                triple("Bob", 3, "I fix bikes."),
                triple("Alice", 4, "Books on Sundays."),
            ]
        );
        assert!(matches!(classify_line("[laughs] yes"), Line::Text(_)));
        assert!(matches!(classify_line("[00:01:02] the clock"), Line::Text(_)));
    }

    #[test]
    fn block_quotes_are_the_text_and_notes_sections_are_not_evidence() {
        let text = "# Amara Okafor\n\n**Date:** 2024-03-02  \n**Interviewer:** Sam Taylor  \n\
                    **Participant:** P01\n\n## Highlights\n\n\
                    > My income arrives in lumps.\n\nTags: `freelancer`\n\n\
                    > I wish the app could\n> forecast my cash flow.\n\n\
                    ## Notes\n\n- Seemed relaxed.\n\n## Highlights notes\nLikes spreadsheets.\n\n\
                    ## Researcher notes\nFollow up.\n\n## Summary\nA freelancer.\n";
        let records = parse("dovetail_P01.md", "dovetail_P01", text, true).unwrap();
        assert_eq!(records.ids, ["P01"]);
        assert_eq!(
            records.texts(),
            [
                triple("P01", 9, "My income arrives in lumps."),
                // Over several lines the markers stay: the joined text is verbatim.
                triple("P01", 13, "> I wish the app could > forecast my cash flow."),
            ]
        );
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[8].contains(&records.utterances[0].text));
        let quoted = "Interviewer: Why?\n\n> **Participant:** Because it is slow.\n";
        let records = parse("q.md", "q", quoted, true).unwrap();
        assert_eq!(records.texts(), [triple("q", 3, "Because it is slow.")]);
        // A quote inside an answer keeps its marker, so the answer stays verbatim.
        let inside = "Participant: They said:\n> Click Save.\nBut there is no Save button.\n";
        let records = parse("i.md", "i", inside, true).unwrap();
        assert_eq!(
            records.texts(),
            [triple("i", 1, "They said: > Click Save. But there is no Save button.")]
        );
    }

    #[test]
    fn a_notes_section_is_the_participants_own_when_nothing_else_is() {
        let diary = "# Week 3\n\n## Notes\n\nI cooked twice and ordered takeaway the rest of the week.\n";
        let records = parse("diary.md", "diary", diary, true).unwrap();
        assert_eq!(
            records.texts(),
            [triple(
                "diary",
                5,
                "I cooked twice and ordered takeaway the rest of the week."
            )]
        );
        let interview = "Participant: I budget on Sundays.\n\n## Notes\n\nSeemed tired.\n";
        let records = parse("p.md", "p", interview, true).unwrap();
        assert_eq!(records.texts(), [triple("p", 1, "I budget on Sundays.")]);
    }

    #[test]
    fn times_in_a_diary_are_not_speakers() {
        let diary = "I wake up at 6:30  and make coffee.\n\nStandup   9:30\nWe plan the day.\n\n\
                     Coffee  7:15\nStandup 9:30\nLunch   12:30\n";
        let records = parse("day.txt", "day", diary, false).unwrap();
        assert_eq!(records.ids, ["day"]);
        assert!(records.texts().iter().any(|(_, _, t)| t.contains("I wake up at 6:30")));
        // The export shape: repeated speakers with their text below.
        let otter = "Sam Taylor   0:01\nWhat slows you down?\n\nAmara Okafor   0:05\nInvoices.\n\n\
                     Sam Taylor   0:09\nAnd tax?\n\nAmara Okafor   0:12\nReceipts everywhere.\n";
        let records = parse("otter.txt", "otter", otter, false).unwrap();
        assert_eq!(records.ids, ["Sam Taylor", "Amara Okafor"]);
    }

    #[test]
    fn only_interviewer_turns_is_an_error() {
        let e = parse("q.md", "q", "Interviewer: Anything else to add today?\n", true).unwrap_err();
        assert_eq!(e.to_string(), "q.md: only interviewer turns found");
    }
}
