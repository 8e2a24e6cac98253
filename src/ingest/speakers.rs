//! Who speaks, decided over the whole corpus once every file is read:
//! - speaker labels that name one person (`ALICE:`, `Alice (typed):`, `<v Alice:>`) are merged;
//! - the researcher's own list of interviewers (`--interviewer`, `ingest.interviewers`) wins;
//! - otherwise each transcript's interviewer is recognised from several signals together: the
//!   share of turns that ask or prompt (questions, and prompts phrased as statements such as
//!   "I want to start off by asking you …"), back-channel turns, a small share of the words,
//!   opening or closing the conversation, interview openings ("today is April 21st …"), and
//!   speaking in every transcript of the folder;
//! - staff who are not interviewers (captioners, technicians, note takers) and lines that are
//!   nobody's words (pasted researcher notes, recording timestamps, interview openings and
//!   closings) are left out.

use crate::domain::{IngestReport, NonParticipant, SourceFile, Utterance};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

/// Formats read by the transcript reader.
const TRANSCRIPT_FORMATS: &[&str] = &["markdown", "text", "subtitles"];

pub(crate) fn is_transcript(source: &SourceFile) -> bool {
    TRANSCRIPT_FORMATS.contains(&source.format.as_str())
}

/// A turn that asks or prompts, when it does not end in "?": "Tell me about …", "I want to start
/// off by asking you …", "Let's talk about …", "And then?".
static PROMPT_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\W*(?:(?:so|and|okay|ok|well|now|alright|all\ right|right|great|good|yeah|yes|mm-hmm|uh-huh|um|uh|oh|wonderful|thank\ you|thanks)[,.!]?\s+)*
        (?:i(?:'d|\ would|\ want\ to|\ wanna|\ wanted\ to)\s+(?:like\ to\s+)?(?:ask|start|begin|talk|hear|know|turn|move|go\ back|shift|switch|follow\ up|get\ into)
          |let(?:'s|\ us|\ me)\s+(?:talk|start|begin|move|turn|go|shift|switch|ask|get|come\ back)
          |tell\ (?:me|us)|talk\ (?:to\ (?:me|us)\ )?about|walk\ (?:me|us)\ through|describe|explain|please
          |can\ you|could\ you|would\ you|will\ you|do\ you|did\ you|have\ you|are\ you|were\ you|is\ there|was\ there|is\ that|was\ that
          |what|how|why|when|where|who|which)\b",
    )
    .expect("prompt pattern")
});

/// Prompting anywhere in a turn.
static PROMPT_ANYWHERE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:tell (?:me|us) (?:about|more|a little|a bit)|asking you|ask you|walk (?:me|us) through|talk (?:a little |a bit )?(?:more )?about|share with (?:me|us)|what (?:about|was it like))\b")
        .expect("prompt pattern")
});

/// Words of a back-channel turn ("Mm-hmm.", "Okay, great.", "I see.").
const BACK_CHANNEL: &[&str] = &[
    "mm",
    "mmm",
    "mhm",
    "mm-hmm",
    "mmhmm",
    "hmm",
    "uh-huh",
    "uh",
    "um",
    "yeah",
    "yes",
    "yep",
    "right",
    "okay",
    "ok",
    "sure",
    "i",
    "see",
    "wow",
    "great",
    "good",
    "interesting",
    "oh",
    "ah",
    "really",
    "exactly",
    "absolutely",
    "got",
    "it",
    "thank",
    "thanks",
    "you",
    "nice",
    "cool",
    "so",
    "and",
    "that's",
    "true",
    "fine",
    "huh",
    "alright",
    "gotcha",
    "wonderful",
    "lovely",
    "perfect",
    "indeed",
    "of",
    "course",
    "no",
];

/// An interview's opening or closing: the interviewer's formula, not anybody's experience.
static FORMULA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:today\ is|today's\ date\ is|the\ date\ is
          |this\ is\ (?:an?\ |the\ |our\ )?(?:interview|oral\ history|recording|conversation|session)
          |(?:i\ am|i'm|my\ name\ is)\ [\w.'-]+(?:\ [\w.'-]+){0,2}\ ?(?:and|,)\ (?:i'm|i\ am|we're|we\ are|i'll\ be|i\ will\ be)\ (?:here|interviewing|talking|speaking|sitting|going\ to)
          |we(?:'re|\ are)\ (?:here\ )?(?:recording|interviewing|talking\ with|speaking\ with|sitting\ with|here\ with)
          |(?:i'm|i\ am)\ (?:here\ )?(?:with|interviewing)\ [A-Z]
          |thank\ you\ (?:so\ much\ |very\ much\ )?for\ (?:agreeing|joining|taking|being|coming|participating|doing|sitting|having\ me|your\ time|talking|speaking|sharing|the\ interview)
          |for\ the\ record|(?:this|that)\ concludes|end\ of\ (?:the\ )?(?:interview|recording)|interview(?:ed)?\ (?:with|by)|oral\ history\ (?:project|interview))",
    )
    .expect("formula pattern")
});

/// A pleasantry on its own: "Thank you.", "Thanks for having me!", "You're welcome."
static PLEASANTRY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:thank you|thanks|you're welcome|my pleasure|bye|goodbye|hello|hi|good (?:morning|afternoon|evening))\b[\w\s,'’!.-]*$")
        .expect("pleasantry pattern")
});

/// Staff named by their label.
static STAFF_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:caption(?:er|ing|s)?|cart|transcri(?:ber|ptionist)|note ?taker|scribe|observer|technician|tech|producer|operator|camera(?:man|person)?|videographer|sound|audio|interpreter|translator|stenographer|steno|recorder|editor|narrator|announcer|voice ?over|background|crowd|audience|unknown|unidentified|inaudible|multiple speakers|everyone|all|end of|interview|tape|side|recording)\b|bot(?:tu)?\d*$")
        .expect("staff label pattern")
});

/// What staff say: about the call and the recording, not the research topic.
static STAFF_TALK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:can(?:'t|not)? hear|hear (?:you|me|him|her|them|x)|caption(?:s|ing|er)?|audio|microphone|mic|muted?|unmute|connection|sound|volume|speak up|louder|recording|screen ?shar\w*|zoom|lag(?:ging)?|frozen|dropped|reconnect\w*|camera)\b")
        .expect("staff talk pattern")
});

/// Researchers' notes pasted into a transcript, `(Sam's note, added later: …)`, `[Editor's note:
/// …]`, and recording timestamps `[00:12:31]`: nobody's words.
static NOTE_OR_TIMESTAMP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)[(\[]\s*(?:[\w.'’-]+(?:\ [\w.'’-]+){0,3}['’]s\s+)?(?:editor|transcriber|researcher|interviewer|translator|author)?['’]?s?\s*notes?\b[^()\[\]]*[)\]]
        |[(\[]\s*\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\s*[)\]]",
    )
    .expect("note pattern")
});

/// An utterance that is only a recording mark: `00:12:31`, `[Recording starts]`, `(END OF TAPE)`.
static RECORDING_MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^\W*(?:\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\W*)+$
        |^\s*[(\[]\s*(?:the\ )?(?:recording|tape|audio|video|end|start|begin|beginning|break|pause|paused|interruption|side|session|transcript)\b[^()\[\]]*[)\]]\s*$",
    )
    .expect("recording mark pattern")
});

/// The labels Otter, Teams and Zoom give the voices they tell apart.
static VOICE_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^speaker\s*\d+$").expect("voice label pattern"));

/// `Alice (typed)`, `ALICE:`, `Alice  Smith` → `alice`, `alice smith`: labels of one person.
pub(crate) fn label_key(id: &str) -> String {
    let mut label = id.trim();
    loop {
        let before = label;
        label = label
            .trim_end_matches([':', ' ', '\t', '*', '_'])
            .trim_start_matches(['*', '_', ' ']);
        if label.ends_with(')')
            && let Some(open) = label.rfind('(')
            && open > 0
        {
            label = &label[..open];
        }
        if label == before {
            break;
        }
    }
    label.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Merges participant ids that are labels of one person. Returns (kept id, merged labels).
///
/// Only speakers of transcripts are merged: ids in tables and records are written by software
/// and are one person each as written.
pub(crate) fn merge_labels(
    participants: &mut BTreeMap<String, BTreeMap<String, String>>,
    utterances: &mut [Utterance],
    sources: &[SourceFile],
) -> Vec<(String, Vec<String>)> {
    let mut spoken: HashMap<&str, usize> = HashMap::new();
    for u in utterances
        .iter()
        .filter(|u| sources.get(u.source).is_some_and(is_transcript))
    {
        *spoken.entry(u.participant_id.as_str()).or_default() += 1;
    }
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in participants.keys().filter(|id| spoken.contains_key(id.as_str())) {
        let key = label_key(id);
        if !key.is_empty() {
            groups.entry(key).or_default().push(id.clone());
        }
    }
    let mut renames: HashMap<String, String> = HashMap::new();
    let mut merges = Vec::new();
    let short_forms = aliases_in_one_file(participants, utterances, &spoken);
    for (alias, full) in &short_forms {
        renames.insert(alias.clone(), full.clone());
        merges.push((full.clone(), vec![alias.clone()]));
    }
    for ids in groups.into_values().filter(|ids| ids.len() > 1) {
        if ids.iter().any(|id| renames.contains_key(id)) {
            continue;
        }
        // The label used most; on a tie one in mixed case (as names are written), then the
        // shortest (without the suffix).
        let keep = ids
            .iter()
            .max_by_key(|id| {
                let mixed = id.chars().any(char::is_lowercase) && id.chars().any(char::is_uppercase);
                (
                    spoken.get(id.as_str()).copied().unwrap_or(0),
                    mixed,
                    std::cmp::Reverse(id.len()),
                )
            })
            .cloned()
            .unwrap_or_default();
        let merged: Vec<String> = ids.into_iter().filter(|id| *id != keep).collect();
        for id in &merged {
            renames.insert(id.clone(), keep.clone());
        }
        merges.push((keep, merged));
    }
    if renames.is_empty() {
        return merges;
    }
    for (from, to) in &renames {
        if let Some(attributes) = participants.remove(from) {
            let target = participants.entry(to.clone()).or_default();
            for (key, value) in attributes {
                target.entry(key).or_insert(value);
            }
        }
    }
    for u in utterances.iter_mut() {
        if let Some(to) = renames.get(&u.participant_id) {
            u.participant_id = to.clone();
        }
    }
    merges
}

/// Labels that name, within one file, a person also named more fully: a first name after the
/// full name (`Richard` for `Richard Ladner`, when no other `Richard …` speaks anywhere), or a
/// one-letter typo of a full name (`Pablo Molinda` for `Pablo Molina`). Returns (alias, full).
fn aliases_in_one_file(
    participants: &BTreeMap<String, BTreeMap<String, String>>,
    utterances: &[Utterance],
    spoken: &HashMap<&str, usize>,
) -> Vec<(String, String)> {
    let mut files: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for u in utterances
        .iter()
        .filter(|u| spoken.contains_key(u.participant_id.as_str()))
    {
        files.entry(u.source).or_default().insert(u.participant_id.as_str());
    }
    // People's names: letters only (`Pablo Molina`, `Boon's Mom`), no numbered ids.
    let is_name = |id: &str| {
        !super::transcript::is_numbered_id(id)
            && !VOICE_LABEL.is_match(id)
            && id.split_whitespace().count() <= 4
            && id
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, ' ' | '\'' | '’' | '.' | '-'))
    };
    let names: Vec<&str> = participants
        .keys()
        .map(String::as_str)
        .filter(|id| spoken.contains_key(id) && is_name(id))
        .collect();
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    for speakers in files.values() {
        for &short in speakers {
            if !is_name(short)
                || short.split_whitespace().count() != 1
                || !short.starts_with(char::is_uppercase)
                || short.len() < 3
            {
                continue;
            }
            let longer: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| n.split_whitespace().count() >= 2 && n.split_whitespace().next() == Some(short))
                .collect();
            if let [full] = longer.as_slice()
                && speakers.contains(full)
            {
                aliases.insert(short.to_string(), full.to_string());
            }
        }
        // A chat nick with a reconnect suffix (`ActionParsnip1`, `jason_`) next to the nick.
        for &nick in speakers {
            let base = nick.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_' || c == '`');
            if base != nick
                && base.chars().count() >= 4
                && base.chars().any(char::is_alphabetic)
                && !base.contains(' ')
                && speakers.contains(base)
            {
                aliases.insert(nick.to_string(), base.to_string());
            }
        }
        let full_names: Vec<&str> = speakers
            .iter()
            .copied()
            .filter(|n| is_name(n) && n.split_whitespace().count() >= 2 && n.len() >= 8)
            .collect();
        for (i, a) in full_names.iter().enumerate() {
            for b in &full_names[i + 1..] {
                let same_first = a.split_whitespace().next() == b.split_whitespace().next();
                if same_first && edit_distance(&a.to_lowercase(), &b.to_lowercase()) == 1 {
                    let count = |n: &str| spoken.get(n).copied().unwrap_or(0);
                    let (keep, alias) = if count(b) > count(a) { (*b, *a) } else { (*a, *b) };
                    aliases.entry(alias.to_string()).or_insert_with(|| keep.to_string());
                }
            }
        }
    }
    // An alias of an alias: keep the chain short.
    let resolved: Vec<(String, String)> = aliases
        .iter()
        .map(|(alias, full)| {
            (
                alias.clone(),
                aliases.get(full).cloned().unwrap_or_else(|| full.clone()),
            )
        })
        .filter(|(alias, full)| alias != full)
        .collect();
    resolved
}

/// Levenshtein distance, for telling a one-letter typo of a name.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Removes the utterances of `speaker` in `file` (every file when `None`); the answers that
/// follow a removed turn get it as their question. Returns the turns removed.
pub(crate) fn remove_speaker(utterances: &mut Vec<Utterance>, speaker: &str, file: Option<usize>) -> usize {
    let mut removed = 0;
    let mut last_turn: HashMap<usize, String> = HashMap::new();
    let mut previous_removed: HashMap<usize, bool> = HashMap::new();
    utterances.retain_mut(|u| {
        let hit = u.participant_id == speaker && file.is_none_or(|f| f == u.source);
        let was_removed = previous_removed.insert(u.source, hit).unwrap_or(false);
        if hit {
            let turn = last_turn.entry(u.source).or_default();
            if was_removed {
                turn.push(' ');
            } else {
                turn.clear();
                removed += 1;
            }
            turn.push_str(&u.text);
            return false;
        }
        if let Some(question) = last_turn.get(&u.source) {
            u.question = Some(question.clone());
        }
        true
    });
    removed
}

#[derive(Default, Debug)]
struct Voice {
    turns: usize,
    prompts: usize,
    back_channel: usize,
    words: usize,
    formulas: usize,
}

fn is_prompt(text: &str) -> bool {
    let trimmed = text.trim_end();
    trimmed.ends_with('?')
        || trimmed.trim_end_matches(['"', '”', ')', '.']).ends_with('?')
        || PROMPT_START.is_match(trimmed)
        || PROMPT_ANYWHERE.is_match(trimmed)
}

fn is_back_channel(text: &str) -> bool {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    !words.is_empty() && words.len() <= 4 && words.iter().all(|w| BACK_CHANNEL.contains(&w.as_str()))
}

/// Most speakers a conversation may have for its interviewer to be found from how people speak:
/// a chat room of many is not an interview.
const MAX_INTERVIEW_SPEAKERS: usize = 10;

/// The interviewers of a transcript where one person answers and everyone else asks: a guest
/// with several hosts, a narrator with two interviewers. (id, reason) of each asker.
fn askers_of_one_answerer(turns: &[(String, String)]) -> Vec<(String, String)> {
    let mut voices: BTreeMap<&str, Voice> = BTreeMap::new();
    let total_words: usize = turns.iter().map(|(_, t)| t.split_whitespace().count()).sum();
    for (speaker, text) in turns {
        let v = voices.entry(speaker.as_str()).or_default();
        v.turns += 1;
        v.prompts += usize::from(is_prompt(text));
        v.words += text.split_whitespace().count();
    }
    if voices.len() < 3 || voices.len() > 5 || total_words == 0 {
        return Vec::new();
    }
    let share = |v: &Voice| v.prompts as f64 / v.turns as f64;
    let Some((&answerer, a)) = voices.iter().max_by_key(|(_, v)| v.words) else {
        return Vec::new();
    };
    let answerer_words = a.words as f64 / total_words as f64;
    let answerer_prompts = share(a);
    if answerer_words < 0.4 || answerer_prompts >= 0.3 || a.turns < 3 {
        return Vec::new();
    }
    let askers: Vec<(String, String)> = voices
        .iter()
        .filter(|(id, _)| **id != answerer)
        .map(|(id, v)| {
            (
                id.to_string(),
                format!(
                    "{} of {} turns ask or prompt while {answerer:?}, who says {:.0}% of the words, answers",
                    v.prompts,
                    v.turns,
                    answerer_words * 100.0
                ),
            )
        })
        .collect();
    let all_ask = voices.iter().filter(|(id, _)| **id != answerer).all(|(id, v)| {
        let numbered = super::transcript::is_numbered_id(id) && !VOICE_LABEL.is_match(id);
        !numbered && share(v) >= 0.3_f64.max(answerer_prompts + 0.15)
    });
    if all_ask { askers } else { Vec::new() }
}

/// One transcript's interviewer, if the signals agree on one speaker: (id, reason).
fn interviewer_of(turns: &[(String, String)], in_every_file: &BTreeSet<String>) -> Option<(String, String)> {
    let mut voices: BTreeMap<&str, Voice> = BTreeMap::new();
    let total_words: usize = turns.iter().map(|(_, t)| t.split_whitespace().count()).sum();
    for (i, (speaker, text)) in turns.iter().enumerate() {
        let v = voices.entry(speaker.as_str()).or_default();
        v.turns += 1;
        v.prompts += usize::from(is_prompt(text));
        v.back_channel += usize::from(is_back_channel(text));
        v.words += text.split_whitespace().count();
        // Openings in the first turns and closings in the last ones.
        if (i < 4 || i + 4 >= turns.len()) && FORMULA.is_match(text) {
            v.formulas += 1;
        }
    }
    if voices.len() < 2 || voices.len() > MAX_INTERVIEW_SPEAKERS || total_words == 0 {
        return None;
    }
    let first = turns.first().map(|(s, _)| s.as_str());
    let last = turns.last().map(|(s, _)| s.as_str());
    let mut scored: Vec<(f64, &str, String)> = voices
        .iter()
        .map(|(&id, v)| {
            let prompt_share = v.prompts as f64 / v.turns as f64;
            let back_channel_share = v.back_channel as f64 / v.turns as f64;
            let word_share = v.words as f64 / total_words as f64;
            let mut score = 2.0 * prompt_share + back_channel_share;
            let mut why = vec![format!("{} of {} turns ask or prompt", v.prompts, v.turns)];
            if v.back_channel > 0 {
                why.push(format!("{} back-channel turn(s)", v.back_channel));
            }
            if word_share < 0.3 {
                score += 0.5;
                why.push(format!("{:.0}% of the words", word_share * 100.0));
            } else if word_share > 0.5 {
                score -= 0.5;
            }
            if first == Some(id) {
                score += 0.4;
                why.push("opens the conversation".to_string());
            }
            if last == Some(id) {
                score += 0.2;
                why.push("closes it".to_string());
            }
            if v.formulas > 0 {
                score += 1.0;
                why.push("says the interview's opening or closing".to_string());
            }
            if in_every_file.contains(id) {
                score += 0.5;
                why.push("speaks in every transcript".to_string());
            }
            (score, id, why.join(", "))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (best, id, why) = &scored[0];
    let second = scored[1].0;
    let v = &voices[id];
    let numbered = super::transcript::is_numbered_id(id) && !VOICE_LABEL.is_match(id);
    let prompt_share = v.prompts as f64 / v.turns as f64;
    let word_share = v.words as f64 / total_words as f64;
    let decided =
        !numbered && v.turns >= 2 && *best >= 1.6 && best - second >= 0.6 && (word_share <= 0.5 || prompt_share >= 0.6);
    decided.then(|| (id.to_string(), why.clone()))
}

/// Speakers of each transcript, in order, consecutive utterances of one speaker joined.
fn turns_by_file(utterances: &[Utterance], sources: &[SourceFile]) -> BTreeMap<usize, Vec<(String, String)>> {
    let mut files: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for u in utterances
        .iter()
        .filter(|u| sources.get(u.source).is_some_and(is_transcript))
    {
        let turns = files.entry(u.source).or_default();
        match turns.last_mut() {
            Some((speaker, text)) if *speaker == u.participant_id => {
                text.push(' ');
                text.push_str(&u.text);
            }
            _ => turns.push((u.participant_id.clone(), u.text.clone())),
        }
    }
    files
}

/// Removes, in each transcript, the speakers its header names as interviewers
/// (`INTERVIEWERS: Arnold Thackray` → `THACKRAY:`), matched by full name or by surname.
pub(crate) fn exclude_header_interviewers(
    utterances: &mut Vec<Utterance>,
    sources: &[SourceFile],
    named: &BTreeMap<usize, Vec<String>>,
    report: &mut IngestReport,
) {
    for (&file, names) in named {
        let names: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
        let matches = |speaker: &str| {
            let speaker = label_key(speaker);
            speaker.len() >= 2
                && names.iter().any(|name| {
                    *name == speaker
                        || name
                            .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
                            .any(|word| word == speaker)
                })
        };
        let speakers: BTreeSet<String> = utterances
            .iter()
            .filter(|u| u.source == file && matches(&u.participant_id))
            .map(|u| u.participant_id.clone())
            .collect();
        for id in speakers {
            let lines = remove_speaker(utterances, &id, Some(file));
            report.non_participants.push(NonParticipant {
                file: sources[file].path.clone(),
                speaker: id,
                role: "interviewer".to_string(),
                lines,
                reason: "named as interviewer in the transcript's header".to_string(),
            });
        }
    }
}

/// Finds and removes each transcript's interviewer.
pub(crate) fn exclude_interviewers(utterances: &mut Vec<Utterance>, sources: &[SourceFile], report: &mut IngestReport) {
    let files = turns_by_file(utterances, sources);
    let mut in_every_file: BTreeSet<String> = BTreeSet::new();
    if files.len() >= 2 {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for turns in files.values() {
            let speakers: BTreeSet<&str> = turns.iter().map(|(s, _)| s.as_str()).collect();
            for s in speakers {
                *counts.entry(s).or_default() += 1;
            }
        }
        in_every_file = counts
            .into_iter()
            .filter(|&(_, n)| n == files.len())
            .map(|(s, _)| s.to_string())
            .collect();
    }
    let mut decided: Vec<(usize, String, String)> = Vec::new();
    for (&file, turns) in &files {
        match interviewer_of(turns, &in_every_file) {
            Some((id, why)) => decided.push((file, id, why)),
            None => decided.extend(
                askers_of_one_answerer(turns)
                    .into_iter()
                    .map(|(id, why)| (file, id, why)),
            ),
        }
    }
    for (file, id, why) in decided {
        let lines = remove_speaker(utterances, &id, Some(file));
        report.non_participants.push(NonParticipant {
            file: sources[file].path.clone(),
            speaker: id,
            role: "interviewer".to_string(),
            lines,
            reason: why,
        });
    }
}

/// Removes staff speakers: named as such (`Captioner`), or a minor voice of a transcript whose
/// every turn is about the call or the recording ("I can hear X, but not you").
pub(crate) fn exclude_staff(utterances: &mut Vec<Utterance>, sources: &[SourceFile], report: &mut IngestReport) {
    let files = turns_by_file(utterances, sources);
    let mut staff: Vec<(usize, String, String)> = Vec::new();
    for (&file, turns) in &files {
        let mut by_speaker: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (speaker, text) in turns {
            let entry = by_speaker.entry(speaker.as_str()).or_default();
            entry.0 += 1;
            entry.1 += usize::from(STAFF_TALK.is_match(text));
        }
        if by_speaker.len() < 2 {
            continue;
        }
        // In a room of many (a chat channel) talk about sound and connections is everyone's.
        let small = by_speaker.len() <= MAX_INTERVIEW_SPEAKERS;
        for (&speaker, &(count, technical)) in &by_speaker {
            if STAFF_LABEL.is_match(speaker) {
                staff.push((file, speaker.to_string(), "named as staff by the label".to_string()));
            } else if small && count <= 4 && count * 10 <= turns.len() && technical * 2 > count {
                staff.push((
                    file,
                    speaker.to_string(),
                    format!(
                        "a minor voice ({count} of {} turns) speaking about the call or recording",
                        turns.len()
                    ),
                ));
            }
        }
    }
    for (file, id, reason) in staff {
        let before = utterances.len();
        utterances.retain(|u| !(u.source == file && u.participant_id == id));
        report.non_participants.push(NonParticipant {
            file: sources[file].path.clone(),
            speaker: id,
            role: "staff".to_string(),
            lines: before - utterances.len(),
            reason,
        });
    }
}

/// Removes what is nobody's words from transcripts: pasted notes and timestamps (the rest of
/// the utterance is kept, split around them, so each part stays verbatim), recording marks,
/// and interview openings, closings and pleasantries. Returns the lines left out.
pub(crate) fn remove_staff_lines(utterances: &mut Vec<Utterance>, sources: &[SourceFile]) -> usize {
    let mut removed = 0;
    let mut out = Vec::with_capacity(utterances.len());
    for u in utterances.drain(..) {
        if !sources.get(u.source).is_some_and(is_transcript) {
            out.push(u);
            continue;
        }
        let parts: Vec<String> = if NOTE_OR_TIMESTAMP.is_match(&u.text) {
            removed += NOTE_OR_TIMESTAMP.find_iter(&u.text).count();
            NOTE_OR_TIMESTAMP
                .split(&u.text)
                .map(|p| p.trim().to_string())
                .filter(|p| p.chars().any(char::is_alphanumeric))
                .collect()
        } else {
            vec![u.text.clone()]
        };
        for text in parts {
            let words = text.split_whitespace().count();
            let nobody = RECORDING_MARK.is_match(&text)
                || (words <= 60 && FORMULA.is_match(&text))
                || (words <= 12 && PLEASANTRY.is_match(&text));
            if nobody {
                removed += 1;
                continue;
            }
            out.push(Utterance { text, ..u.clone() });
        }
    }
    *utterances = out;
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_of_one_person_share_a_key() {
        assert_eq!(label_key("ALICE"), "alice");
        assert_eq!(label_key("Alice (typed)"), "alice");
        assert_eq!(label_key("Jane Doe:"), "jane doe");
        assert_eq!(label_key("Jane  Doe"), "jane doe");
        assert_ne!(label_key("Jane"), label_key("Jane Doe"));
        assert_eq!(edit_distance("pablo molina", "pablo molinda"), 1);
    }

    #[test]
    fn first_names_and_typos_of_a_full_name_in_one_file_are_one_person() {
        let u = |id: &str| Utterance {
            participant_id: id.into(),
            source: 0,
            location: "cue 00:00:01.000".into(),
            text: "Something said.".into(),
            question: None,
        };
        let mut utterances = vec![
            u("Richard Ladner"),
            u("Richard"),
            u("Pablo Molina"),
            u("Pablo Molina"),
            u("Pablo Molinda"),
        ];
        let mut participants: BTreeMap<String, BTreeMap<String, String>> = utterances
            .iter()
            .map(|u| (u.participant_id.clone(), BTreeMap::new()))
            .collect();
        let sources = vec![SourceFile {
            path: "a.vtt".into(),
            format: "subtitles".into(),
            bytes: 0,
            sha256: String::new(),
            participants: 3,
            utterances: 5,
        }];
        let merges = merge_labels(&mut participants, &mut utterances, &sources);
        assert_eq!(
            participants.keys().collect::<Vec<_>>(),
            ["Pablo Molina", "Richard Ladner"]
        );
        assert_eq!(merges.len(), 2, "{merges:?}");
    }

    #[test]
    fn prompts_phrased_as_statements_are_prompts() {
        assert!(is_prompt(
            "I want to start off by asking you to tell me about yourself."
        ));
        assert!(is_prompt("So, let's talk about your first job."));
        assert!(is_prompt("And then?"));
        assert!(!is_prompt("I grew up on a farm outside the town."));
        assert!(is_back_channel("Mm-hmm."));
        assert!(is_back_channel("Okay, great."));
        assert!(!is_back_channel("Okay, so the farm was big."));
    }

    #[test]
    fn narrative_interviewer_is_found_without_question_marks() {
        let t = |s: &str, x: &str| (s.to_string(), x.to_string());
        let turns = vec![
            t("Tom", "Hello, today is April 21st and I'm here with Maria Lopez."),
            t("Maria", "Hello, thanks."),
            t("Tom", "I want to start off by asking you to tell me about yourself."),
            t(
                "Maria",
                "I grew up near the river, my father fixed boats and I spent every summer in his shed learning the trade.",
            ),
            t("Tom", "Mm-hmm."),
            t(
                "Maria",
                "Later I moved to the city and worked nights at the hospital, which was hard with two small children.",
            ),
            t("Tom", "I want to use the phrase turning point here. What changed?"),
            t(
                "Maria",
                "The union came in and everything about the shifts changed, we finally had some say in the rota.",
            ),
        ];
        let (id, why) = interviewer_of(&turns, &BTreeSet::new()).expect("interviewer");
        assert_eq!(id, "Tom");
        assert!(why.contains("opens the conversation"), "{why}");
    }

    #[test]
    fn a_conversation_of_peers_has_no_interviewer() {
        let t = |s: &str, x: &str| (s.to_string(), x.to_string());
        let turns = vec![
            t(
                "Ana",
                "I keep all my receipts in a shoebox and sort them at the end of the quarter.",
            ),
            t(
                "Ben",
                "I photograph mine, but the app loses half of them when it syncs.",
            ),
            t(
                "Ana",
                "That happened to me too, so I stopped trusting the sync entirely.",
            ),
            t("Ben", "Do you export to a spreadsheet afterwards?"),
            t("Ana", "Every month, it takes me a whole evening and I hate it."),
        ];
        assert_eq!(interviewer_of(&turns, &BTreeSet::new()), None);
    }

    #[test]
    fn notes_and_timestamps_are_cut_out_and_the_rest_kept_verbatim() {
        let sources = vec![SourceFile {
            path: "a.txt".into(),
            format: "text".into(),
            bytes: 0,
            sha256: String::new(),
            participants: 1,
            utterances: 2,
        }];
        let u = |text: &str| Utterance {
            participant_id: "Maria".into(),
            source: 0,
            location: "line 3".into(),
            text: text.into(),
            question: None,
        };
        let mut utterances = vec![
            u("We moved in 1962. (Tom's note, added later: it was 1963.) The house was cold."),
            u("[00:12:31]"),
            u("Thank you so much for your time today."),
        ];
        let removed = remove_staff_lines(&mut utterances, &sources);
        let texts: Vec<&str> = utterances.iter().map(|u| u.text.as_str()).collect();
        assert_eq!(texts, ["We moved in 1962.", "The house was cold."]);
        assert_eq!(removed, 3);
    }
}
