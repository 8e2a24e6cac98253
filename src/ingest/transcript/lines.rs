//! What one line of a transcript is: a speaker label (`**P3:**`, `[00:01] Alice:`), a heading,
//! a rule, text, and the words and patterns that tell them apart.

use crate::ingest::fields;
use regex::Regex;

use std::sync::LazyLock;

/// The start of a `label: rest` line up to the colon, with list markers, block quotes,
/// timestamps and emphasis around the label allowed (`- **Age:** 34`, `> P1: …`,
/// `[00:01:02] Alice (P3): …`, `**Interviewer**: …`). Only a line's first
/// [`LABEL_SEARCH_BYTES`] are searched: a label is short, and this bounds the cost on long lines.
pub(super) static LABEL_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
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

pub(super) const LABEL_SEARCH_BYTES: usize = 160;

/// A chat log's line (IRC, Slack exports): `[08:25] <pb11> did it work?`, `<alice> hi`.
pub(super) static CHAT_NICK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\s*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*)?<(?P<label>[^<>\s/=\x22']{1,40})>(?:\s+(?P<rest>.*))?$",
    )
    .expect("chat nick pattern")
});

/// A chat log's system line: joins, quits, nick changes, `/me` actions.
pub(super) static CHAT_SYSTEM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s+(?:===|\*{1,3}\s|-!-|<--|-->)|===\s+\S)")
        .expect("chat system pattern")
});

/// A chat log's nick change: `=== Firetramp is now known as firetrap`.
pub(super) static NICK_CHANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<old>[^\s<>=*]+) is now known as (?P<new>[^\s<>=*]+?)\.?\s*$").expect("nick change pattern")
});

/// HTML tags that are not chat nicks.
pub(super) const HTML_TAGS: &[&str] = &[
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
pub(super) static TIMED_SPEAKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<label>\p{L}[\p{L}\p{N}\ ._'&-]{0,39}?)(?:\s*\((?P<extra>[^)]{1,40})\))?(?P<gap>\s+)[\[(]?(?:\d{1,2}:)?\d{1,2}:\d{2}[\])]?\s*$")
        .expect("timed speaker")
});

/// A bracketed label in front of the text: `[Interviewer] …`, `[Participant] …`, `[Alice]: …`,
/// optionally after a timestamp (`00:01:02 [P1] …`).
pub(super) static BRACKET_LABEL: LazyLock<Regex> = LazyLock::new(|| {
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
pub(super) static FOOTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*transcribed\s+by\s+(?:https?://)?(?:www\.)?otter\.ai\S*\s*$").expect("footer")
});

/// Bracketed stage directions that look like names (`[Inaudible] …`, `[Crosstalk] …`).
pub(super) const STAGE_WORDS: &[&str] = &[
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

pub(super) static HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s{0,3}#{1,6}(?:\s+(.*?))?\s*#*\s*$").expect("heading pattern"));

/// A line that is only bold text (`**Background**`) reads as a heading.
pub(super) static BOLD_HEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:\*\*|__)([^*_:.!?]{1,60}?)(?:\*\*|__)\s*$").expect("bold heading pattern"));

pub(super) static RULE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|(?:=\s*){3,})$").expect("rule"));

pub(super) static LIST_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+").expect("list item"));

/// A whole line in brackets, parentheses or emphasis: `[laughs]`, `(pause)`, `*inaudible*`.
pub(super) static STAGE_DIRECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:\[[^\]]*\]|\([^)]*\)|\*[^*]+\*|_[^_]+_)\s*$").expect("stage direction"));

/// Labels with a number that name one participant: `P3`, `Participant 12`, `User 2`, `R-4`.
pub(super) static NUMBERED_SPEAKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:p|participant|respondent|resp|user|customer|interviewee|speaker|subject|r|u)\s*[-_#]?\s*\d+$")
        .expect("numbered speaker")
});

/// A numbered participant id (`P3`, `Participant 12`, `R-4`): the same person wherever it
/// appears. Transcription tools' voice labels (`Speaker 2`) match too; the caller tells them apart.
pub(crate) fn is_numbered_id(label: &str) -> bool {
    NUMBERED_SPEAKER.is_match(label)
}

/// A person's name as a label: one to three capitalised words.
pub(super) static NAME_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\p{Lu}[\p{L}'.-]*(?:\s+\p{Lu}[\p{L}'.-]*){0,2}$").expect("name label"));

/// Headings of sections about the participant rather than by them: their lines give attributes.
pub(super) static BACKGROUND_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:background|demographics?|profile|participant\s+(?:info|information|details)|about\s+(?:the\s+)?(?:participant|respondent|interviewee)|metadata|details|info)\b")
        .expect("background heading")
});

/// Headings of the researcher's own material: not participant evidence.
pub(super) static RESEARCHER_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:summary|findings?|insights?|takeaways?|analysis|observations?|(?:researcher|interviewer|moderator|field)\s+notes|methodology|method|recommendations?|next\s+steps|action\s+items|themes|discussion\s+guide|questions)\b")
        .expect("researcher heading")
});

/// Headings of the researcher's notes: `Session notes`, `Highlights notes`.
pub(super) static NOTES_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:highlights?|researcher'?s?|interviewer'?s?|moderator'?s?|observer'?s?|observation|field|session|private|internal|team)\s+notes\W*$")
        .expect("notes heading")
});

/// Headings that may be anyone's notes: `Notes`, `My notes`, `Additional notes`.
pub(super) static AMBIGUOUS_NOTES_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:(?:general|additional|extra|our|my)\s+)?notes\W*$").expect("ambiguous notes heading")
});

pub(super) fn is_researcher_heading(heading: &str) -> bool {
    RESEARCHER_HEADING.is_match(heading) || NOTES_HEADING.is_match(heading)
}

pub(super) const INTERVIEWER_WORDS: &[&str] = &[
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
pub(super) const INTERVIEWER_LABELS: &[&str] = &[
    "q", "i", "int", "question", "pergunta", "pregunta", "questão", "questao", "frage", "domanda",
];
/// A numbered question as a label (`Pergunta 3`, `Question 12`, `Q4`): the interviewer's.
pub(super) static NUMBERED_QUESTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:q|question|pergunta|pregunta|questão|questao|frage|domanda|task|tarefa|tarea)\s*[-_#.]?\s*\d+$",
    )
    .expect("numbered question")
});
pub(super) const GENERIC_LABELS: &[&str] = &[
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
pub(super) const NOTE_LABELS: &[&str] = &[
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
pub(super) const HEADER_INTERVIEWER_FIELDS: &[&str] = &[
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
pub(super) const MAX_ATTRIBUTE_CHARS: usize = 80;
pub(super) const MAX_ATTRIBUTE_WORDS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Speaker {
    Interviewer,
    /// `Participant:`, `Respondent:`, `A:`: the file's own participant.
    Generic,
    /// A participant named by the label (`P3`, `Alice`).
    Named(String),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Label<'a> {
    /// The whole line.
    pub(super) line: &'a str,
    /// The line is a list item (`- Role: X`).
    pub(super) bullet: bool,
    pub(super) label: &'a str,
    pub(super) extra: Option<&'a str>,
    pub(super) rest: &'a str,
    /// The line's form says it names a speaker (`Sam Taylor   0:03`, a caption's voice tag),
    /// whether or not the file reads as a dialogue.
    pub(super) by_form: bool,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Line<'a> {
    Blank,
    Heading(&'a str),
    Rule,
    /// Code fences, tables, HTML comments, front-matter delimiters.
    Skip,
    Label(Label<'a>),
    Text(&'a str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
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
pub(super) enum LabelRole {
    Turn(Speaker),
    /// A short `Participant: P003` before the first turn: the file participant's id.
    IdField,
    /// A short `Interviewer: Sam` before the first turn: metadata.
    Metadata,
    /// Not a speaker: an attribute or plain text, depending on where it is.
    Plain,
}

pub(super) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The line without its block-quote markers (`> `, `>> `): quoted text is the speaker's own.
pub(super) fn strip_quote(line: &str) -> &str {
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
pub(super) fn speaker_line(line: &str) -> Option<Label<'_>> {
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

pub(super) fn classify_line(line: &str) -> Line<'_> {
    classify(line, true)
}

/// A line between blank lines (or the file's ends).
pub(super) fn is_lone_line(lines: &[&str], i: usize) -> bool {
    let blank = |j: Option<usize>| j.and_then(|j| lines.get(j)).is_none_or(|l| l.trim().is_empty());
    blank(i.checked_sub(1)) && blank(Some(i + 1))
}

/// What a line is. Block-quote markers go only from a quote standing alone (`> I need …`
/// between blank lines): in a quote that runs over several lines, or one inside an answer, they
/// stay, so that the text joined from its lines is still verbatim.
pub(super) fn classify(line: &str, strip_quote_markers: bool) -> Line<'_> {
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
pub(super) fn known_speaker(label: &str, extra: Option<&str>) -> Option<Speaker> {
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

pub(super) fn is_note_label(label: &str) -> bool {
    NOTE_LABELS.contains(&fields::compact(label).as_str())
}

/// A label that may be a person's name (`Alice`, `Dr. Smith`), not a field (`Role`, `Date`).
pub(super) fn is_name_label(label: &str) -> bool {
    NAME_LABEL.is_match(label) && !fields::is_field_name(label) && !is_note_label(label)
}

/// A label line in a background section that is plainly a turn of the conversation rather
/// than a detail: a speaker label with a sentence after it, not a list item.
pub(super) fn starts_dialogue(l: &Label) -> bool {
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
pub(super) fn is_field_value(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty()
        && value.chars().count() <= 40
        && value.split_whitespace().count() <= 3
        && !value.ends_with(['.', '!', '?', ',', ';', ':'])
        && !value.starts_with(['"', '\'', '“', '‘'])
}

pub(super) fn is_attribute_value(value: &str) -> bool {
    let value = value.trim();
    !value.is_empty()
        && value.chars().count() <= MAX_ATTRIBUTE_CHARS
        && value.split_whitespace().count() <= MAX_ATTRIBUTE_WORDS
}

/// Strips emphasis markers around an attribute value (`**34**`).
pub(super) fn clean_value(value: &str) -> &str {
    value.trim().trim_matches(['*', '_']).trim()
}

/// Index of the closing line of YAML-style front matter (`---` … `---`) at the top of the file.
pub(super) fn front_matter_end(lines: &[&str]) -> Option<usize> {
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
