//! Speakers across a folder of transcripts:
//! - interviewers who are named like participants: a speaker who speaks in every transcript and
//!   mostly asks questions (`Sam Taylor`, `Speaker 1`) is the interviewer, and is left out with a
//!   warning;
//! - transcription tools' voice labels (`Speaker 2`) name a voice within one recording, not a
//!   person across the study, so each transcript's is a participant of its own.

use crate::domain::{SourceFile, Utterance};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// The labels Otter, Teams and Zoom give the voices they tell apart.
static VOICE_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^speaker\s*\d+$").expect("voice label pattern"));

/// Formats read by the transcript reader.
const TRANSCRIPT_FORMATS: &[&str] = &["markdown", "text", "subtitles"];

/// Indexes of the sources read by the transcript reader.
fn transcript_sources(sources: &[SourceFile]) -> BTreeSet<usize> {
    sources
        .iter()
        .enumerate()
        .filter(|(_, s)| TRANSCRIPT_FORMATS.contains(&s.format.as_str()))
        .map(|(i, _)| i)
        .collect()
}

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
    let transcripts = transcript_sources(sources);
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
            // A numbered id (`P1`) is one participant across files (a diary study); a voice
            // label (`Speaker 1`) is not.
            (!super::transcript::is_numbered_id(id) || VOICE_LABEL.is_match(id))
                && !s.elsewhere
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

/// Within one transcript whose speakers are voice labels (`Speaker 1`, `Speaker 2`), the one
/// voice that mostly asks questions while the others mostly answer is the interviewer: its turns
/// are left out, with a warning. (Across a folder, [`exclude`] has usually found it already.)
pub(crate) fn exclude_questioning_voices(
    participants: &mut BTreeMap<String, BTreeMap<String, String>>,
    utterances: &mut Vec<Utterance>,
    sources: &mut [SourceFile],
) -> Vec<String> {
    let transcripts = transcript_sources(sources);
    // (file, voice) → (turns, questions)
    let mut voices: BTreeMap<usize, BTreeMap<String, (usize, usize)>> = BTreeMap::new();
    let mut others: BTreeSet<usize> = BTreeSet::new();
    for u in utterances.iter().filter(|u| transcripts.contains(&u.source)) {
        if VOICE_LABEL.is_match(&u.participant_id) {
            let counts = voices
                .entry(u.source)
                .or_default()
                .entry(u.participant_id.clone())
                .or_default();
            counts.0 += 1;
            counts.1 += usize::from(u.text.trim_end().ends_with('?'));
        } else {
            others.insert(u.source);
        }
    }
    let mut removed: Vec<(usize, String, usize, usize)> = Vec::new();
    for (&file, speakers) in &voices {
        if speakers.len() < 2 || others.contains(&file) {
            continue;
        }
        let asking: Vec<(&String, &(usize, usize))> = speakers
            .iter()
            .filter(|(_, (turns, questions))| questions * 2 > *turns)
            .collect();
        if let [(voice, counts)] = asking.as_slice() {
            let (turns, questions) = **counts;
            removed.push((file, (*voice).clone(), questions, turns));
        }
    }
    let mut warnings = Vec::new();
    for (file, voice, questions, turns) in removed {
        utterances.retain(|u| !(u.source == file && u.participant_id == voice));
        sources[file].utterances -= turns;
        sources[file].participants -= 1;
        if !utterances.iter().any(|u| u.participant_id == voice)
            && participants.get(&voice).is_some_and(BTreeMap::is_empty)
        {
            participants.remove(&voice);
        }
        warnings.push(format!(
            "{}: {voice:?} mostly asks questions ({questions} of {turns} turns end in \"?\"): read as the \
             interviewer and left out",
            sources[file].path
        ));
    }
    warnings
}

/// Gives each transcript's voice labels participants of their own: the file's name (without its
/// extension) when the voice is the file's only participant, else the name and the label
/// (`otter_P01 Speaker 3`). Attributes of a renamed label go to each of its new participants.
pub(crate) fn scope_voice_labels(
    participants: &mut BTreeMap<String, BTreeMap<String, String>>,
    utterances: &mut [Utterance],
    sources: &[SourceFile],
) {
    let transcripts = transcript_sources(sources);
    let mut speakers: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for u in utterances.iter().filter(|u| transcripts.contains(&u.source)) {
        speakers.entry(u.source).or_default().insert(u.participant_id.clone());
    }
    let stem = |path: &str| {
        let name = path.rsplit('/').next().unwrap_or(path);
        name.rsplit_once('.').map_or(name, |(stem, _)| stem).to_string()
    };
    // Two files of the same name in different folders keep their folders apart.
    let mut stems: BTreeMap<String, usize> = BTreeMap::new();
    for &f in &transcripts {
        *stems.entry(stem(&sources[f].path)).or_default() += 1;
    }
    let file_name = |f: usize| {
        let short = stem(&sources[f].path);
        if stems.get(&short) == Some(&1) {
            short
        } else {
            let path = &sources[f].path;
            path.rsplit_once('.')
                .map_or(path.as_str(), |(stem, _)| stem)
                .to_string()
        }
    };
    let mut renamed: BTreeMap<(usize, String), String> = BTreeMap::new();
    for (&f, ids) in &speakers {
        for id in ids.iter().filter(|id| VOICE_LABEL.is_match(id)) {
            let new_id = if ids.len() == 1 {
                file_name(f)
            } else {
                format!("{} {id}", file_name(f))
            };
            renamed.insert((f, id.clone()), new_id);
        }
    }
    if renamed.is_empty() {
        return;
    }
    let mut still_used: BTreeSet<String> = BTreeSet::new();
    for u in utterances.iter_mut() {
        match renamed.get(&(u.source, u.participant_id.clone())) {
            Some(new_id) => u.participant_id = new_id.clone(),
            None => {
                still_used.insert(u.participant_id.clone());
            }
        }
    }
    for ((_, old), new_id) in &renamed {
        let attributes = participants.get(old).cloned().unwrap_or_default();
        let entry = participants.entry(new_id.clone()).or_default();
        for (key, value) in attributes {
            entry.entry(key).or_insert(value);
        }
    }
    for (_, old) in renamed.keys() {
        if !still_used.contains(old) && !renamed.values().any(|new_id| new_id == old) {
            participants.remove(old);
        }
    }
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
            question: None,
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
    fn voice_labels_are_participants_of_their_own_transcript() {
        let mut participants: BTreeMap<String, BTreeMap<String, String>> = ["Speaker 2", "Speaker 3", "P7"]
            .iter()
            .map(|id| (id.to_string(), BTreeMap::new()))
            .collect();
        participants
            .get_mut("Speaker 2")
            .unwrap()
            .insert("role".into(), "Parent".into());
        let mut utterances = vec![
            said("Speaker 2", 0, "I plan meals on Sunday."),
            said("Speaker 2", 1, "I ride to work."),
            said("Speaker 3", 1, "I take the train."),
            said("P7", 2, "I cook twice a week."),
            said("Speaker 2", 3, "Not a transcript."),
        ];
        let sources = [
            source("otter/P01.txt", "text", 1, 1),
            source("otter/P02.vtt", "subtitles", 2, 2),
            source("notes/P07.md", "markdown", 1, 1),
            source("survey.csv", "csv", 1, 1),
        ];
        scope_voice_labels(&mut participants, &mut utterances, &sources);
        let ids: Vec<&str> = utterances.iter().map(|u| u.participant_id.as_str()).collect();
        assert_eq!(ids, ["P01", "P02 Speaker 2", "P02 Speaker 3", "P7", "Speaker 2"]);
        assert_eq!(
            participants.keys().collect::<Vec<_>>(),
            ["P01", "P02 Speaker 2", "P02 Speaker 3", "P7", "Speaker 2"]
        );
        assert_eq!(participants["P01"]["role"], "Parent");
    }

    #[test]
    fn the_questioning_voice_of_one_transcript_is_the_interviewer() {
        let mut participants: BTreeMap<String, BTreeMap<String, String>> = ["Speaker 1", "Speaker 2"]
            .iter()
            .map(|id| (id.to_string(), BTreeMap::new()))
            .collect();
        let mut utterances = vec![
            said("Speaker 1", 0, "How do you plan meals?"),
            said("Speaker 2", 0, "I batch cook on Sundays."),
            said("Speaker 1", 0, "Why Sundays?"),
            said("Speaker 2", 0, "The kitchen is quiet."),
        ];
        let mut sources = [source("otter.txt", "text", 2, 4)];
        let warnings = exclude_questioning_voices(&mut participants, &mut utterances, &mut sources);
        assert_eq!(
            warnings,
            [
                "otter.txt: \"Speaker 1\" mostly asks questions (2 of 2 turns end in \"?\"): read as the interviewer and left out"
            ]
        );
        assert_eq!(utterances.len(), 2);
        assert_eq!(participants.keys().collect::<Vec<_>>(), ["Speaker 2"]);
        assert_eq!((sources[0].participants, sources[0].utterances), (1, 2));
        // Two voices both asking, or a named speaker in the file: nothing is decided.
        let mut utterances = vec![said("Speaker 1", 0, "Why?"), said("Speaker 2", 0, "How?")];
        let mut sources = [source("a.txt", "text", 2, 2)];
        assert!(exclude_questioning_voices(&mut participants, &mut utterances, &mut sources).is_empty());
        let mut utterances = vec![
            said("Speaker 1", 0, "Why?"),
            said("Speaker 2", 0, "So."),
            said("Ann", 0, "Yes."),
        ];
        let mut sources = [source("a.txt", "text", 3, 3)];
        assert!(exclude_questioning_voices(&mut participants, &mut utterances, &mut sources).is_empty());
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
        // A numbered participant asking questions in every diary is still that participant.
        let mut utterances = vec![
            said("P1", 0, "Why do I always overspend?"),
            said("P2", 0, "Me too."),
            said("P1", 1, "Is it the apps?"),
            said("P3", 1, "Maybe."),
        ];
        let mut sources = [source("a.md", "markdown", 2, 2), source("b.md", "markdown", 2, 2)];
        assert!(exclude(&mut participants, &mut utterances, &mut sources).is_empty());
        assert_eq!(utterances.len(), 4);
        // Only speaker of a file: never removed.
        let mut utterances = vec![said("P9", 0, "Why?"), said("P9", 1, "How?"), said("P2", 0, "So.")];
        let mut sources = [source("a.md", "markdown", 2, 2), source("b.md", "markdown", 1, 1)];
        assert!(exclude(&mut participants, &mut utterances, &mut sources).is_empty());
        assert_eq!(utterances.len(), 3);
    }
}
