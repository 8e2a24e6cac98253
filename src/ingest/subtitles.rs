//! WebVTT (`.vtt`) and SubRip (`.srt`) caption files, as exported by Zoom, Teams and Meet.
//!
//! The `WEBVTT` header, `NOTE`/`STYLE`/`REGION` blocks, cue ids, SRT indices and `-->` timing
//! lines are dropped. A cue's text with a voice tag (`<v Sam Taylor>…</v>`) is that speaker's
//! turn; other cue text (`Sam Taylor: …` or unlabelled) is read as a transcript. Consecutive
//! cues of the same speaker make one turn. What remains goes to the transcript reader with the
//! file's own line numbers, so locations point at the cue text in the file.

use super::error::IngestError;
use super::records::FileRecords;
use super::transcript;
use regex::Regex;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

/// `<v Sam Taylor>` or `<v.loud Sam>`: the voice tag opening a cue's text.
static VOICE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*<v(?:\.[^\s>]*)?\s+(?P<name>[^>]+?)\s*>").expect("voice tag"));

/// Any other cue markup: `</v>`, `<i>`, `<c.yellow>`, `<00:00:01.000>`.
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"</?[A-Za-z0-9][A-Za-z0-9.:_-]*(?:\s[^<>]*)?>").expect("cue tag"));

/// `Name: ` at the start of a cue's text, for telling whether the next cue has the same speaker.
static PLAIN_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?P<name>[^:<>\[\]]{1,40}?)\s*:\s").expect("plain label"));

/// What the cue text of a file gives the transcript reader: a line and its 1-based file line.
struct Lines<'a> {
    lines: Vec<Cow<'a, str>>,
    numbers: Vec<u64>,
    /// The voice whose turn a line starts.
    voices: Vec<Option<String>>,
}

impl<'a> Lines<'a> {
    fn push(&mut self, number: u64, line: Cow<'a, str>) {
        self.lines.push(line);
        self.numbers.push(number);
        self.voices.push(None);
    }

    fn push_voice(&mut self, number: u64, voice: String, line: Cow<'a, str>) {
        self.push(number, line);
        if let Some(last) = self.voices.last_mut() {
            *last = Some(voice);
        }
    }

    /// Whether the text so far ends a sentence: a cue after it starts a new utterance, so that
    /// each utterance's cue is the one its first sentence is in.
    fn ends_sentence(&self) -> bool {
        self.lines
            .last()
            .is_some_and(|l| l.trim_end().ends_with(['.', '?', '!', '…', '"', '”']))
    }

    /// Ends a paragraph (a blank line has no text, so its number is never shown).
    fn blank(&mut self, number: u64) {
        if self.lines.last().is_some_and(|l| !l.trim().is_empty()) {
            self.push(number, Cow::Borrowed(""));
        }
    }
}

fn is_timing(line: &str) -> bool {
    line.contains("-->")
}

/// Reads a `.vtt` or `.srt` file.
pub(crate) fn parse(file: &str, stem: &str, text: &str) -> Result<FileRecords, IngestError> {
    let all: Vec<&str> = text.lines().collect();
    let cued = all.iter().any(|l| is_timing(l));
    let mut out = Lines {
        lines: Vec::with_capacity(all.len()),
        numbers: Vec::with_capacity(all.len()),
        voices: Vec::with_capacity(all.len()),
    };
    let mut cues = Cues::default();
    let mut i = 0;
    while i < all.len() {
        // One block: the lines up to the next blank line.
        let start = i;
        while i < all.len() && !all[i].trim().is_empty() {
            i += 1;
        }
        let block = &all[start..i];
        while i < all.len() && all[i].trim().is_empty() {
            i += 1;
        }
        let Some(first) = block.first() else {
            continue;
        };
        let head = first.trim_start().trim_start_matches('\u{feff}');
        if start == 0 && head.starts_with("WEBVTT") {
            continue;
        }
        if ["NOTE", "STYLE", "REGION"]
            .iter()
            .any(|k| head == *k || head.starts_with(&format!("{k} ")) || head.starts_with(&format!("{k}\t")))
        {
            continue;
        }
        let Some(timing) = block.iter().position(|l| is_timing(l)) else {
            if cued {
                // A bare SRT index or cue id without timing: nothing said.
                if block.len() == 1 && !block[0].trim().contains(' ') {
                    continue;
                }
            }
            // Text outside cues: read as it is, as its own paragraph.
            out.blank(start as u64 + 1);
            for (k, line) in block.iter().enumerate() {
                out.push((start + k) as u64 + 1, Cow::Borrowed(line));
            }
            out.blank(start as u64 + 1);
            cues.previous = None;
            continue;
        };
        let text_start = start + timing + 1;
        let cue_start = cue_time(block[timing]);
        cues.read(&mut out, &all[text_start..start + block.len()], text_start, cue_start);
    }
    let lines: Vec<&str> = out.lines.iter().map(|l| l.as_ref()).collect();
    let voices: Vec<Option<&str>> = out.voices.iter().map(Option::as_deref).collect();
    let mut records = transcript::parse_lines(file, stem, &lines, &out.numbers, &voices, false)?;
    // Caption evidence names the cue (its start time) that holds the utterance.
    for utterance in &mut records.utterances {
        let cue = utterance
            .location
            .strip_prefix("line ")
            .and_then(|n| n.parse::<u64>().ok())
            .and_then(|n| cues.cue_of_line.get(&n));
        if let Some(time) = cue {
            utterance.location = format!("cue {time}");
        }
    }
    Ok(records)
}

/// Speakers carried from cue to cue, and where each text line's cue starts.
#[derive(Default)]
struct Cues {
    /// The speaker of the last labelled cue.
    previous: Option<String>,
    /// Whether any cue had a speaker.
    labelled_cues: bool,
    /// The start time of the cue each text line belongs to, by file line.
    cue_of_line: HashMap<u64, String>,
}

impl Cues {
    /// The text lines of one cue (`text`, from file index `text_start`): a new turn, or the
    /// current one going on, depending on their speaker labels.
    fn read<'a>(&mut self, out: &mut Lines<'a>, text: &[&'a str], text_start: usize, cue_start: Option<String>) {
        let mut cue_speaker: Option<String> = None;
        for (k, raw) in text.iter().enumerate() {
            let number = (text_start + k) as u64 + 1;
            let voice = VOICE.captures(raw).map(|c| {
                let name = c.name("name").map_or("", |m| m.as_str()).trim().to_string();
                (name, c.get(0).map_or(0, |m| m.end()))
            });
            let from_voice = voice.is_some();
            let (speaker, body): (Option<String>, Cow<str>) = match voice {
                Some((name, end)) => (Some(name), strip_tags(&raw[end..])),
                None => {
                    let body = strip_tags(raw);
                    let label = PLAIN_LABEL
                        .captures(&body)
                        .map(|c| c.name("name").map_or("", |m| m.as_str()).to_string());
                    (label.filter(|_| k == 0), body)
                }
            };
            if body.trim().is_empty() {
                continue;
            }
            if let Some(time) = &cue_start {
                self.cue_of_line.insert(number, time.clone());
            }
            if k == 0 {
                cue_speaker = speaker.clone();
                let same = speaker.is_some() && speaker == self.previous;
                if same && out.ends_sentence() {
                    // The same speaker after a full sentence: a new utterance of theirs, located
                    // at this cue.
                    let rest = if from_voice {
                        0
                    } else {
                        PLAIN_LABEL.find(&body).map_or(0, |m| m.end())
                    };
                    out.blank(number);
                    out.push(number, cut(body, rest));
                } else if same && from_voice {
                    // The same voice again: its text continues the turn.
                    out.push(number, body);
                } else if same {
                    // `Sam: …` again: the label is dropped so that the turn goes on.
                    let rest = PLAIN_LABEL.find(&body).map_or(0, |m| m.end());
                    out.push(number, cut(body, rest));
                } else if let Some(name) = speaker.as_deref().filter(|_| from_voice) {
                    self.labelled_cues = true;
                    out.blank(number);
                    out.push_voice(number, name.to_string(), body);
                } else if speaker.is_some() {
                    self.labelled_cues = true;
                    out.blank(number);
                    out.push(number, body);
                } else if self.labelled_cues {
                    // Unlabelled text after a speaker's cue: theirs.
                    out.push(number, body);
                } else {
                    // No speakers so far: each cue is a paragraph.
                    out.blank(number);
                    out.push(number, body);
                }
            } else if let Some(name) = speaker.filter(|_| from_voice && cue_speaker.is_some()) {
                // A second voice inside one cue (`- <v Bob>…`): a new turn.
                if cue_speaker.as_deref() != Some(name.as_str()) {
                    out.blank(number);
                    out.push_voice(number, name.clone(), body);
                    cue_speaker = Some(name);
                } else {
                    out.push(number, body);
                }
            } else {
                out.push(number, body);
            }
        }
        if cue_speaker.is_some() || !self.labelled_cues {
            self.previous = cue_speaker;
        }
    }
}

/// `00:12:31.400` from a timing line (`00:12:31.400 --> …`, SubRip's `00:12:31,400`, WebVTT's
/// short `12:31.400`).
fn cue_time(timing: &str) -> Option<String> {
    let start = timing.split("-->").next()?.trim();
    let start = start.split_whitespace().next()?;
    let (clock, millis) = start.split_once(['.', ',']).unwrap_or((start, "0"));
    let parts: Vec<u64> = clock.split(':').map(|p| p.trim().parse().ok()).collect::<Option<_>>()?;
    let (h, m, s) = match parts.as_slice() {
        [h, m, s] => (*h, *m, *s),
        [m, s] => (0, *m, *s),
        _ => return None,
    };
    let millis: String = millis.chars().take_while(char::is_ascii_digit).collect();
    let millis: u64 = format!("{millis:0<3}")[..3].parse().ok()?;
    Some(format!("{h:02}:{m:02}:{s:02}.{millis:03}"))
}

/// The text from byte `at` on, keeping a borrowed text borrowed.
fn cut(text: Cow<'_, str>, at: usize) -> Cow<'_, str> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(&s[at..]),
        Cow::Owned(s) => Cow::Owned(s[at..].to_string()),
    }
}

fn strip_tags(text: &str) -> Cow<'_, str> {
    if text.contains('<') {
        TAG.replace_all(text, "")
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triple(id: &str, cue: &str, text: &str) -> (String, String, String) {
        (id.to_string(), format!("cue {cue}"), text.to_string())
    }

    #[test]
    fn webvtt_voice_tags_are_turns_and_same_speaker_cues_merge() {
        let text = "WEBVTT\nKind: captions\n\nNOTE exported by Teams\nsecond note line\n\n\
                    a1b2-0001/12-0\n00:00:01.000 --> 00:00:09.000\n<v Sam Taylor>What slows you down?</v>\n\n\
                    a1b2-0010/12-0\n00:00:10.000 --> 00:00:18.000\n<v Amara Okafor>My income arrives</v>\n\n\
                    a1b2-0019/12-0\n00:00:19.000 --> 00:00:27.000\n<v Amara Okafor>in <i>lumps</i>.</v>\n\n\
                    a1b2-0028/12-0\n00:00:28.000 --> 00:00:36.000\n<v Sam Taylor>Anything else?</v>\n\n\
                    00:00:37.000 --> 00:00:45.000\n<v Amara Okafor>Tax time.</v>\n";
        let records = parse("teams_P01.vtt", "teams_P01", text).unwrap();
        // One name speaks twice or more, so every voice is a named participant.
        assert_eq!(records.ids, ["Sam Taylor", "Amara Okafor"]);
        assert_eq!(
            records.texts(),
            [
                triple("Sam Taylor", "00:00:01.000", "What slows you down?"),
                triple("Amara Okafor", "00:00:10.000", "My income arrives in lumps."),
                triple("Sam Taylor", "00:00:28.000", "Anything else?"),
                triple("Amara Okafor", "00:00:37.000", "Tax time."),
            ]
        );
    }

    #[test]
    fn a_voice_is_a_speaker_even_if_it_speaks_once() {
        let text = "WEBVTT\n\n00:00:01.000 --> 00:00:09.000\n<v Sam Taylor (Interviewer)>Why?</v>\n\n\
                    00:00:10.000 --> 00:00:18.000\n<v amara.o>Because: it is slow.</v>\n";
        let records = parse("one.vtt", "one", text).unwrap();
        assert_eq!(
            records.texts(),
            [triple("amara.o", "00:00:10.000", "Because: it is slow.")]
        );
    }

    #[test]
    fn webvtt_with_labelled_cues_and_an_interviewer() {
        let text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:09.000\nInterviewer: What slows you down?\n\n\
                    2\n00:00:10.000 --> 00:00:18.000\nParticipant: Invoices paid late,\n\n\
                    3\n00:00:19.000 --> 00:00:27.000\nParticipant: every single month.\n\n\
                    4\n00:00:28.000 --> 00:00:30.000\nand tax time.\n";
        let records = parse("p7.vtt", "p7", text).unwrap();
        assert_eq!(records.ids, ["p7"]);
        assert_eq!(
            records.texts(),
            [triple(
                "p7",
                "00:00:10.000",
                "Invoices paid late, every single month. and tax time."
            )]
        );
    }

    #[test]
    fn subrip_indices_and_timings_are_dropped() {
        let text = "1\n00:00:01,000 --> 00:00:04,000\nAlice: I run a bakery.\n\n\
                    2\n00:00:05,000 --> 00:00:08,000\nBob: I fix bikes\nin Leeds.\n\n\
                    3\n00:00:09,000 --> 00:00:12,000\nAlice: Books on Sundays.\n";
        let records = parse("group.srt", "group", text).unwrap();
        assert_eq!(records.ids, ["Alice", "Bob"]);
        assert_eq!(
            records.texts(),
            [
                triple("Alice", "00:00:01.000", "I run a bakery."),
                triple("Bob", "00:00:05.000", "I fix bikes in Leeds."),
                triple("Alice", "00:00:09.000", "Books on Sundays."),
            ]
        );
    }

    #[test]
    fn captions_without_speakers_are_one_participant_by_cue() {
        let text = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nI keep receipts in a shoebox.\n\n\
                    00:00:05.000 --> 00:00:08.000\nTax time is a nightmare.\n";
        let records = parse("diary.vtt", "diary", text).unwrap();
        assert_eq!(
            records.texts(),
            [
                triple("diary", "00:00:01.000", "I keep receipts in a shoebox."),
                triple("diary", "00:00:05.000", "Tax time is a nightmare."),
            ]
        );
    }

    #[test]
    fn a_sentence_starting_in_a_later_cue_is_located_at_that_cue() {
        let text = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ana>So what brought you here?</v>\n\n\
                    00:00:05.000 --> 00:00:08.000\n<v Jane Doe:>I grew up on a farm.</v>\n\n\
                    00:01:02.500 --> 00:01:05.000\n<v Jane Doe:>Then the mill</v>\n\n\
                    1:06.000 --> 1:09.000\n<v Jane Doe:>closed.</v>\n";
        let records = parse("oral.vtt", "oral", text).unwrap();
        assert_eq!(
            records.texts()[1..],
            [
                triple("Jane Doe:", "00:00:05.000", "I grew up on a farm."),
                triple("Jane Doe:", "00:01:02.500", "Then the mill closed."),
            ]
        );
        assert_eq!(cue_time("01:02:03,4 --> x"), Some("01:02:03.400".to_string()));
    }
}
