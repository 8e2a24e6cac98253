//! Markdown and plain-text transcripts.
//!
//! A file with speaker labels (`**Participant:**`, `P3:`, `Interviewer:`, `[00:01:02] Alice:`,
//! `[Participant] …`, or Otter/Teams lines such as `Speaker 1  0:01` with the text below)
//! is read turn by turn: a turn runs from its label line until a blank line, a heading or the
//! next label line, and a paragraph that follows a turn after a blank line is another utterance
//! by the same speaker. Interviewer turns are not participant evidence. A file without speaker
//! labels is one participant whose paragraphs (and list items) are utterances. Short `Key: value`
//! lines in front matter, under a background heading, or before the first turn give attributes.

mod lines;

use super::error::IngestError;
use super::fields;
use super::records::FileRecords;
pub(crate) use lines::is_numbered_id;
// Line classification is one step of reading a transcript: its names read as this module's own.
use lines::*;
use std::collections::{BTreeMap, BTreeSet};

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
    let renamed: Vec<(String, String)> = lines
        .iter()
        .filter(|l| l.contains(" is now known as "))
        .filter_map(|l| NICK_CHANGE.captures(l))
        .map(|c| (c["old"].to_string(), c["new"].to_string()))
        .collect();
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
        return assemble(file, stem, reader, &speakers).map(|mut out| {
            out.renamed = renamed;
            out
        });
    }
    assemble(file, stem, reader, &speakers).map(|mut out| {
        out.renamed = renamed;
        out
    })
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
    /// Inside a header's list of hosts or interviewers.
    in_host_list: bool,
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
            in_host_list: false,
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
        if let Line::Label(l) = &kind {
            self.collect_header_interviewer(i, l);
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

    /// Header fields naming the interviewers (`INTERVIEWERS: Arnold Thackray`, a front matter's
    /// `hosts:` list of `- name: …`), wherever they are before the first turn.
    fn collect_header_interviewer(&mut self, i: usize, l: &Label) {
        let before_turns = self.speakers.first_turn.is_none_or(|first| i < first);
        if before_turns && HEADER_INTERVIEWER_FIELDS.contains(&fields::compact(l.label).as_str()) {
            if l.rest.is_empty() {
                // `hosts:` followed by `- name: Bryan Liles` items (YAML front matter).
                self.in_host_list = true;
            } else {
                self.header_interviewers.push(clean_value(l.rest).to_string());
            }
        } else if self.in_host_list && before_turns && l.bullet && fields::compact(l.label) == "name" {
            self.header_interviewers.push(clean_value(l.rest).to_string());
        } else if !l.bullet && !l.line.starts_with(char::is_whitespace) {
            self.in_host_list = false;
        }
    }

    /// Handles a label line; returns the line's text when it is to be read as ordinary text.
    fn read_label<'a>(&mut self, i: usize, l: Label<'a>, describes_participant: bool) -> Option<&'a str> {
        let line = self.numbers[i];
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
