//! Interviewers who are named like participants: in a folder of transcripts, a speaker who
//! speaks in every transcript and mostly asks questions (`Sam Taylor`, `Speaker 1`) is the
//! interviewer, and is left out with a warning.

use crate::domain::{SourceFile, Utterance};
use std::collections::{BTreeMap, BTreeSet};

/// Formats read by the transcript reader.
const TRANSCRIPT_FORMATS: &[&str] = &["markdown", "text", "subtitles"];

#[derive(Default)]
struct Speech {
    files: BTreeSet<usize>,
    turns: usize,
    questions: usize,
    /// Some of their words come from a file that is not a transcript (a CSV row, a JSON record).
    elsewhere: bool,
}

/// Removes folder-wide interviewers' utterances and participant entries, updates the sources'
/// counts, and returns one warning per speaker removed.
pub(crate) fn exclude(
    participants: &mut BTreeMap<String, BTreeMap<String, String>>,
    utterances: &mut Vec<Utterance>,
    sources: &mut [SourceFile],
) -> Vec<String> {
    let transcripts: BTreeSet<usize> = sources
        .iter()
        .enumerate()
        .filter(|(_, s)| TRANSCRIPT_FORMATS.contains(&s.format.as_str()))
        .map(|(i, _)| i)
        .collect();
    if transcripts.len() < 2 {
        return Vec::new();
    }
    let mut speech: BTreeMap<&str, Speech> = BTreeMap::new();
    // Speakers of each transcript, to be sure someone else is left in every file.
    let mut speakers: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for u in utterances.iter() {
        let s = speech.entry(u.participant_id.as_str()).or_default();
        if transcripts.contains(&u.source) {
            s.files.insert(u.source);
            s.turns += 1;
            s.questions += usize::from(u.text.trim_end().ends_with('?'));
            speakers.entry(u.source).or_default().insert(u.participant_id.as_str());
        } else {
            s.elsewhere = true;
        }
    }
    let interviewers: Vec<(String, usize, usize)> = speech
        .iter()
        .filter(|(id, s)| {
            !s.elsewhere
                && s.files == transcripts
                && s.questions * 2 > s.turns
                && transcripts
                    .iter()
                    .all(|f| speakers.get(f).is_some_and(|ids| ids.iter().any(|other| other != *id)))
        })
        .map(|(id, s)| (id.to_string(), s.questions, s.turns))
        .collect();
    let mut warnings = Vec::new();
    for (id, questions, turns) in interviewers {
        utterances.retain(|u| {
            if u.participant_id != id {
                return true;
            }
            sources[u.source].utterances -= 1;
            false
        });
        if participants.get(&id).is_some_and(BTreeMap::is_empty) {
            participants.remove(&id);
            for &f in &transcripts {
                sources[f].participants -= 1;
            }
        }
        warnings.push(format!(
            "{id:?} speaks in every transcript and mostly asks questions ({questions} of {turns} turns end \
             in \"?\"): read as the interviewer and left out"
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(path: &str, format: &str, participants: usize, utterances: usize) -> SourceFile {
        SourceFile {
            path: path.into(),
            format: format.into(),
            bytes: 1,
            sha256: String::new(),
            participants,
            utterances,
        }
    }

    fn said(id: &str, source: usize, text: &str) -> Utterance {
        Utterance {
            participant_id: id.into(),
            source,
            location: "line 1".into(),
            text: text.into(),
        }
    }

    #[test]
    fn a_questioner_in_every_transcript_is_left_out() {
        let mut participants: BTreeMap<String, BTreeMap<String, String>> = ["Sam", "Amara", "Grace"]
            .iter()
            .map(|id| (id.to_string(), BTreeMap::new()))
            .collect();
        let mut utterances = vec![
            said("Sam", 0, "What slows you down?"),
            said("Amara", 0, "Invoices."),
            said("Sam", 1, "Thanks. Anything else?"),
            said("Sam", 1, "Right."),
            said("Sam", 1, "And tax?"),
            said("Grace", 1, "Tax time?"),
            said("Grace", 1, "Receipts everywhere."),
        ];
        let mut sources = [source("a.txt", "text", 2, 2), source("b.vtt", "subtitles", 2, 5)];
        let warnings = exclude(&mut participants, &mut utterances, &mut sources);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("\"Sam\" speaks in every transcript"),
            "{warnings:?}"
        );
        assert_eq!(participants.keys().collect::<Vec<_>>(), ["Amara", "Grace"]);
        assert_eq!(utterances.len(), 3);
        assert_eq!((sources[0].participants, sources[0].utterances), (1, 1));
        assert_eq!((sources[1].participants, sources[1].utterances), (1, 2));
    }

    #[test]
    fn one_file_or_a_speaker_who_answers_is_kept() {
        let mut participants = BTreeMap::new();
        let mut utterances = vec![said("P1", 0, "Why?"), said("P2", 0, "Because.")];
        let mut sources = [source("a.md", "markdown", 2, 2)];
        assert!(exclude(&mut participants, &mut utterances, &mut sources).is_empty());
        // In every file, but answering: a participant interviewed twice.
        let mut utterances = vec![
            said("P1", 0, "I drive a lot."),
            said("Q", 0, "Why?"),
            said("P1", 1, "Clients are far away."),
        ];
        let mut sources = [source("a.md", "markdown", 1, 1), source("b.md", "markdown", 1, 1)];
        assert!(exclude(&mut participants, &mut utterances, &mut sources).is_empty());
        // Only speaker of a file: never removed.
        let mut utterances = vec![said("P9", 0, "Why?"), said("P9", 1, "How?"), said("P2", 0, "So.")];
        let mut sources = [source("a.md", "markdown", 2, 2), source("b.md", "markdown", 1, 1)];
        assert!(exclude(&mut participants, &mut utterances, &mut sources).is_empty());
        assert_eq!(utterances.len(), 3);
    }
}
