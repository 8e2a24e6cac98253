//! Rules for utterances of transcript-like sources (interviews, talks, captions, chats), where a
//! claim is a sentence someone said rather than an answer to a survey column. A persona needs
//! what the speaker needs, does, struggles with and values, so a sentence becomes a claim or a
//! quote only when the speaker speaks for themselves: a first-person subject (I, we, my, our)
//! in a present or habitual sentence. Left out: narration of past events ("so I decided…",
//! "I was in the department of…"), statements about others or an industry ("So Alice ran to the
//! phone", "I think the cloud providers…"), help given to another chat user ("jim_p: try
//! sudo…"), lines pasted from a log, and a task or question read aloud (in any language: its
//! words are those of a question asked in the corpus). Among what is left, first-person openings
//! rank higher and sentences speaking to someone ("you said…") lower. The first-person and tense
//! rules read English: in a corpus that does not read as English only the read-aloud and
//! pasted-log rules apply.

use crate::domain::{Corpus, Utterance};
use crate::quality::claim_text as text;
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// The source formats read as transcripts (as the ingest's transcript reader does).
const TRANSCRIPT_FORMATS: &[&str] = &["markdown", "text", "subtitles"];

/// A sentence with at least this share of its words in a question asked in the corpus is that
/// question (or task) read aloud, not the speaker's claim.
const READ_ALOUD_SHARE: f64 = 0.75;

/// Sentences shorter than this (in words) are not compared with the questions.
const READ_ALOUD_MIN_WORDS: usize = 4;

/// Utterances of five words or more sampled to tell the corpus's language.
const LANGUAGE_SAMPLE: usize = 2_000;

/// (English, sampled): how many of the corpus's utterances of five words or more (up to
/// [`LANGUAGE_SAMPLE`]) read as English.
pub(super) fn english_sample(corpus: &Corpus) -> (usize, usize) {
    let sampled: Vec<&str> = corpus
        .utterances
        .iter()
        .map(|u| u.text.as_str())
        .filter(|t| text::word_count(t) >= 5)
        .take(LANGUAGE_SAMPLE)
        .collect();
    let english = sampled.iter().filter(|t| text::looks_english(t)).count();
    (english, sampled.len())
}

/// Whether most of the corpus reads as English (a corpus without sentences to tell counts).
fn reads_english(corpus: &Corpus) -> bool {
    let (english, sampled) = english_sample(corpus);
    english * 2 >= sampled
}

/// Whether an utterance comes from a transcript-like source.
pub(super) fn is_transcript(corpus: &Corpus, utterance: &Utterance) -> bool {
    corpus
        .sources
        .get(utterance.source)
        .is_some_and(|s| TRANSCRIPT_FORMATS.contains(&s.format.as_str()))
}

/// The word sets of every distinct question asked in the corpus's transcripts.
fn transcript_prompts(corpus: &Corpus) -> Vec<BTreeSet<String>> {
    let asked: BTreeSet<&str> = corpus
        .utterances
        .iter()
        .filter(|u| is_transcript(corpus, u))
        .filter_map(|u| u.question.as_deref())
        .collect();
    asked.into_iter().map(words).collect()
}

/// Lowercase words (letters and digits) of a text.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether a sentence is a question or task read aloud: most of its words are those of one
/// question asked in the corpus ("Selecione um usuário e diga…" read from the task sheet).
fn reads_aloud(sentence: &str, prompts: &[BTreeSet<String>]) -> bool {
    let own = words(sentence);
    if own.len() < READ_ALOUD_MIN_WORDS {
        return false;
    }
    prompts.iter().any(|prompt| {
        let shared = own.iter().filter(|w| prompt.contains(*w)).count();
        shared as f64 >= READ_ALOUD_SHARE * own.len() as f64
    })
}

/// Whose voice a transcript sentence is in, when it is the speaker's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Voice {
    /// A first-person subject in a present or habitual sentence ("I need…", "we usually…").
    Present,
    /// First-person past narration only ("then I tried…", "I was in the department of…"): an
    /// incident it tells is a pain point or goal, or a quote, only when the sentence says so
    /// itself ("I couldn't find the export"); it ranks lower and never takes a list from the
    /// question alone.
    Past,
}

/// The corpus's questions and language, read once, by which transcript sentences are admitted.
pub(super) struct TranscriptReader {
    prompts: Vec<BTreeSet<String>>,
    english: bool,
}

impl TranscriptReader {
    pub(super) fn new(corpus: &Corpus) -> Self {
        TranscriptReader {
            prompts: transcript_prompts(corpus),
            english: reads_english(corpus),
        }
    }

    /// The voice of a transcript sentence when it can be its speaker's claim or quote; `None`
    /// for talk about others, opinions, pasted logs, help given to the participant the chat line
    /// addresses (`addressed`) and a question or task read aloud.
    pub(super) fn admit(&self, sentence: &str, addressed: bool) -> Option<Voice> {
        if (addressed && gives_help(sentence)) || reads_aloud(sentence, &self.prompts) {
            return None;
        }
        voice(sentence, self.english)
    }
}

/// The voice of a transcript sentence: in English, a first-person subject that is not a mere
/// opinion frame ("I think…"), in the present or habitual ([`Voice::Present`]) or only in the
/// past ([`Voice::Past`]); never a pasted log line. In a corpus not in English (`english`
/// false) every other sentence is [`Voice::Present`] (the rules read English).
pub(super) fn voice(sentence: &str, english: bool) -> Option<Voice> {
    if PASTED_LOG.is_match(sentence) {
        return None;
    }
    if !english {
        return Some(Voice::Present);
    }
    let own = OPINION_FRAME.replace_all(sentence, " ");
    let mut present = false;
    let mut past = false;
    // Where the first subordinate clause with a first-person subject begins.
    let mut main_clause_end: Option<usize> = None;
    for subject in SUBJECT.captures_iter(&own) {
        // "If we can agree…", "…the APIs that we present": a subordinate clause is not what
        // the sentence says about the speaker.
        let before = own[..subject.get(0).map_or(0, |m| m.start())]
            .rsplit(|c: char| !c.is_alphanumeric())
            .find(|w| !w.is_empty())
            .unwrap_or("")
            .to_lowercase();
        if SUBORDINATORS.contains(&before.as_str()) {
            main_clause_end.get_or_insert(subject.get(0).map_or(0, |m| m.start()));
            continue;
        }
        let word = |i: usize| subject.get(i).map_or(String::new(), |m| m.as_str().to_lowercase());
        let (verb, next) = (word(2), word(3));
        if subject.get(1).is_some() || (!is_past_tense(&verb) && !MODALS.contains(&verb.as_str())) {
            present = true;
        } else if MODALS.contains(&verb.as_str()) {
            // "I would like" wishes; "we would meet once a week" narrates.
            present |= WISHES.contains(&next.as_str());
        } else {
            past = true;
        }
    }
    // "my laptop panics", "it annoys me", "the share drops when I copy files": the speaker's
    // own things, told in the present.
    if !present && !past {
        if let Some(end) = main_clause_end {
            present = PRESENT_VERB.is_match(&own[..end]);
        } else if OWN.is_match(&own) {
            present = PRESENT_VERB.is_match(&own) || !own.split(|c: char| !c.is_alphanumeric()).any(is_past_tense);
        }
    }
    match (present, past) {
        (true, _) => Some(Voice::Present),
        (false, true) => Some(Voice::Past),
        (false, false) => None,
    }
}

/// How a past incident ranks against a present need or practice.
const PAST_WEIGHT: f64 = 0.5;

/// How much a transcript sentence sounds like its speaker's own need or practice, to rank it
/// among the candidates: past narration ranks at half, a first-person opening ("I need…", "We usually…") ranks higher; a
/// sentence speaking to someone ("you said", "if you…") is conversation and ranks lower, and one
/// with fewer than two content words says too little.
pub(super) fn voice_weight(sentence: &str, voice: Voice) -> f64 {
    static OPENS_FIRST_PERSON: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\W*(?:(?:so|and|but|well|yeah|yes|now|also|honestly|basically|like|because|oh)\W+){0,2}(?:i|we|my|our|im|ive)\b")
            .expect("first-person opening")
    });
    static SECOND_PERSON: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)\b(?:you|your|you['’](?:re|ve|ll|d))\b").expect("second person"));
    let mut weight = if voice == Voice::Past { PAST_WEIGHT } else { 1.0 };
    // "But I would like to expand it": a claim needs a subject matter, not only a pronoun.
    if text::term_keys(sentence).len() < 2 {
        weight *= 0.5;
    }
    if OPENS_FIRST_PERSON.is_match(sentence) {
        weight *= 1.5;
    }
    if SECOND_PERSON.is_match(sentence) {
        weight *= 0.6;
    }
    weight
}

/// Whether a chat line addressed to another participant gives them help ("jim_p: try sudo …",
/// "wsgordon: install vista first"): it speaks to them (you, your) or tells them what to do.
/// Help given is the helper's knowledge, not the helper's need.
fn gives_help(addressed_line: &str) -> bool {
    static HELP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)\b(?:you|your|yours|you['’](?:re|ve|ll|d)|u|ur)\b
              | ^\W*(?:try|use|run|type|install|check|do|don['’]?t|go|open|make|see|read|look|remove|add|edit|put
                  |reboot|boot|sudo|ask|google|search|click|select|choose|set|enable|disable|paste|pastebin)\b",
        )
        .expect("help pattern")
    });
    HELP.is_match(addressed_line)
}

/// Words opening a subordinate clause.
const SUBORDINATORS: &[&str] = &[
    "if", "when", "whenever", "whether", "that", "which", "who", "because", "as", "than", "where", "while", "unless",
    "until", "once", "since", "though", "although", "what", "how",
];

/// Modal verbs: a first-person subject before one tells a wish only when a wish follows.
const MODALS: &[&str] = &["would", "could", "might", "should"];
const WISHES: &[&str] = &["like", "love", "prefer", "want", "need", "rather", "wish", "really"];

/// A present-tense verb of a sentence without a first-person subject ("my drivers are…").
static PRESENT_VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:is|are|am|isn['’]?t|aren['’]?t|has|have|does|doesn['’]?t|do|don['’]?t|can|can['’]?t|cannot|won['’]?t|keeps)\b")
        .expect("present verb pattern")
});

/// A line pasted from a chat log or terminal ("(03:43:08 AM) alfred_: …", "[08:25] <nick>").
static PASTED_LOG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[(\[]\d{1,2}:\d{2}(?::\d{2})?|<\w+>").expect("pasted log pattern"));

/// "I think", "I guess", "I mean": opinion frames whose first person says nothing about the
/// speaker's own needs or practice.
static OPINION_FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:i|we)\s+(?:think|thought|guess|mean|believe|suppose|know|knew|feel|felt|would\s+say|reckon|imagine|remember|recall|argue)\b|\bi['’]d\s+say\b|\b(?:i|we)(?:['’]m|['’]re|\s+am|\s+are)\s+(?:just\s+)?saying\b",
    )
    .expect("opinion frame pattern")
});

/// A first-person subject and the two words after it (adverbs skipped); group 1 is a
/// contraction ("I'm", "we've"), which reads as present or habitual.
static SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)\b(?:i|we|im|ive)\b(['’](?:m|ve|d|ll|re))?\s*
          (?:(?:just|never|always|really|also|then|actually|only|still|first|finally|even|already|usually|often|sometimes|now|all|both|kind\s+of|sort\s+of)\s+)*
          ([a-z]+)?(?:\s+([a-z]+))?",
    )
    .expect("first-person subject pattern")
});

/// The speaker's own things or a first-person object.
static OWN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:my|our|me|us|mine|ours)\b").expect("first-person pattern"));

/// Whether the verb after a first-person subject tells a past event ("was", "decided").
fn is_past_tense(verb: &str) -> bool {
    const IRREGULAR_PAST: &[&str] = &[
        "was", "were", "had", "did", "went", "got", "came", "became", "ran", "said", "told", "took", "made", "saw",
        "found", "began", "left", "brought", "wrote", "met", "spent", "heard", "gave", "kept", "sat", "stood", "won",
        "chose", "grew", "taught", "bought", "built", "sent", "fell", "drove", "flew", "broke", "paid", "led", "lost",
        "meant", "tried", "couldn", "wasn", "weren", "didn", "hadn",
    ];
    IRREGULAR_PAST.contains(&verb) || (verb.len() > 4 && verb.ends_with("ed") && !verb.ends_with("eed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_person_present_sentences_speak_for_the_speaker() {
        for said in [
            "I want to be able to consume an API that will allow me to model infrastructure.",
            "We are setting up so many things that I would like to have more people.",
            "I'm stuck when the password fails.",
            "my laptop panics from time to time.",
            "Every morning I check the clinic schedule before the ward round.",
            "My drivers are installed properly, the problem is the resolution.",
            "We would like to have more people.",
            "the samba share keeps dropping when I copy big files.",
        ] {
            assert_eq!(voice(said, true), Some(Voice::Present), "{said}");
        }
        assert_eq!(
            voice("Eu imagino que isso aqui possa ser o usuário.", false),
            Some(Voice::Present)
        );
    }

    #[test]
    fn first_person_narration_is_past() {
        for said in [
            "There are four departments, and I was in the department of biochemistry.",
            "Once I started doing research, I realized that I liked that much better.",
            "Then we decided to move the lab to Cleveland.",
            "So I just did it for interested people and we would meet once a week.",
            "Last week I tried to export the report and it crashed.",
        ] {
            assert_eq!(voice(said, true), Some(Voice::Past), "{said}");
        }
    }

    #[test]
    fn opinions_talk_about_others_and_logs_are_not_the_speakers() {
        for said in [
            "So Alice ran to the phone.",
            "I think the cloud providers put these labels on platforms.",
            "Dell uses such generic hardware that it works well.",
            "So Alice ran to the phone and called me at 6:30 in the morning.",
            "Intel 82801G (ICH7 Family) HD audio controller (rev 02)",
            "I would argue that that pattern is so much more powerful than the Kafka model.",
            "(03:43:08 AM) alfred_: i really like the new vista program",
            "If we can agree on these concepts, it will fade to the background.",
            "The contract between the cloud and the APIs that we present.",
        ] {
            assert_eq!(voice(said, true), None, "{said}");
        }
    }

    #[test]
    fn first_person_openings_rank_higher_and_talk_to_others_lower() {
        let weight = |s: &str| voice_weight(s, Voice::Present);
        let own = weight("So I need a way to see every shift from my phone.");
        let plain = weight("The rota needs a way to see every shift.");
        let talk = weight("Like you said, the rota needs a way to see every shift.");
        assert!(own > plain && plain > talk, "{own} {plain} {talk}");
        assert!(weight("But I would like to expand it.") < weight("I would like to expand the map."));
        let told = "I tried to export the report and it crashed.";
        assert!(voice_weight(told, Voice::Past) < voice_weight(told, Voice::Present));
    }

    #[test]
    fn questions_read_aloud_are_recognised_in_any_language() {
        let prompts = vec![words(
            "Pergunta 11: Para o projeto Jira, quais os nomes dos usuários? Selecione um usuário e cite uma issue pela qual ele é responsável.",
        )];
        assert!(reads_aloud(
            "Selecione um usuário e diga pela qual issue ele é responsável.",
            &prompts
        ));
        assert!(!reads_aloud(
            "Mas tem uma dúvida: não sei se o número de issues é resolvidas.",
            &prompts
        ));
        assert!(!reads_aloud("Selecione um", &prompts), "too short to tell");
    }

    #[test]
    fn help_given_to_another_chat_user_is_recognised() {
        assert!(gives_help("install vista first to avoid grub stuff"));
        assert!(gives_help("its encrypted in /etc/shadow, you can reset it"));
        assert!(!gives_help("I have Ubuntu installed on a bunch of Dell Optiplexes."));
        assert!(!gives_help("firefox is still crashing after installing flashblock"));
    }
}
