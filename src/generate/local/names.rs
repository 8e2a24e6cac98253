//! Names, titles and summaries of the local provider's personas: a title from the strongest
//! signal (a role, else the key phrases the persona's claims share, never a speaker's name),
//! a summary that reads as a sentence about people.

use crate::domain::Corpus;
use crate::generate::types::Segment;
use crate::quality::claim_text as text;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Attribute names that hold a participant's role, most specific first.
pub(super) const ROLE_KEYS: &[&str] = &[
    "role",
    "job_title",
    "occupation",
    "job",
    "position",
    "profession",
    "title",
    "user_type",
    "persona",
    "segment",
];

#[rustfmt::skip]
pub(super) const GIVEN_NAMES: &[&str] = &[
    "Maya", "Kwame", "Aiko", "Mateo", "Priya", "Lars", "Amara", "Chen", "Fatima", "Diego", "Ingrid", "Tariq",
    "Leilani", "Dmitri", "Zanele", "Hiroshi", "Camila", "Olu", "Siobhan", "Rahul", "Yasmin", "Tomasz", "Nia",
    "Javier", "Mei", "Kofi", "Elif", "Anders", "Lucia", "Arjun", "Noor", "Sione", "Hana", "Emeka", "Sofia", "Ravi",
    "Astrid", "Malik", "Ximena", "Jun", "Aisha", "Pedro", "Freya", "Kenji", "Zainab", "Luca", "Ama", "Oskar", "Leila",
    "Tenzin", "Chiara", "Bogdan", "Imani", "Rafael", "Sakura", "Yusuf", "Marisol", "Henrik", "Adaeze", "Minh",
    "Catalina", "Farhan", "Alana", "Wiremu",
];

#[rustfmt::skip]
pub(super) const FAMILY_NAMES: &[&str] = &[
    "Okafor", "Tanaka", "Silva", "Patel", "Nguyen", "Kowalski", "Haddad", "Johansson", "Mensah", "García", "Kim",
    "Novak", "Rossi", "Ahmed", "O'Brien", "Kaur", "Müller", "Adeyemi", "Ivanova", "Hernández", "Sato", "Mbeki",
    "Costa", "Chaudhry", "Lindqvist", "Osei", "Moreau", "Park", "Khan", "Fernández", "Yilmaz", "Kuznetsov",
    "Nakamura", "Eze", "Larsen", "Santos", "Zhang", "Dubois", "Okonkwo", "Reyes", "Hashemi", "Andersen", "Bianchi",
    "Abara", "Takahashi", "Jovanović", "Castillo", "Mahlangu", "Wong", "Petrov", "Akhtar", "Nilsson", "Torres",
    "Banda", "Schmidt", "Liu", "Haile", "Gonzaga", "Mwangi", "Romero", "Sandoval", "Farah", "Kealoha", "Tupou",
];

/// Names and titles already given in this run.
#[derive(Default)]
pub(super) struct NameBook {
    given: HashSet<usize>,
    family: HashSet<usize>,
    titles: HashSet<String>,
}

impl NameBook {
    /// The title and summary of a segment's persona from its role and what its claims and
    /// quotes (`claim_texts`) say.
    pub(super) fn title_and_summary(
        &mut self,
        corpus: &Corpus,
        segment: &Segment,
        claim_texts: &[&str],
        weights: &BTreeMap<String, f64>,
        gist: Option<&str>,
    ) -> (String, String) {
        // A role reads as one: words, not a number range or a sentence.
        let role = role_key(&segment.demographics)
            .and_then(|k| segment.demographics.get(k))
            .filter(|v| !v.chars().any(|c| c.is_ascii_digit()) && (1..=4).contains(&v.split_whitespace().count()));
        // A speaker's name (an addressee in a chat) says nothing about who the segment is.
        let speakers = speaker_keys(corpus);
        let phrases: Vec<String> = key_phrases(claim_texts, weights)
            .into_iter()
            .filter(|p| !names_speaker(p, &speakers))
            .collect();
        let terms: Vec<String> = segment
            .top_terms
            .iter()
            .filter(|t| !names_speaker(t, &speakers))
            .cloned()
            .collect();
        let said: BTreeSet<String> = claim_texts.iter().flat_map(|t| text::term_keys(t)).collect();
        // A word the claims use as a verb ("to find", "I install") names an action, not who they are.
        let verbs = verb_keys(claim_texts);
        let terms: Vec<String> = terms
            .into_iter()
            .filter(|t| !text::term_keys(t).iter().any(|k| verbs.contains(k)))
            .collect();
        let title = self.title(&terms, role.map(String::as_str), &phrases, &said);
        (title, summary(corpus, segment, &terms, &phrases, gist))
    }

    pub(super) fn name(&mut self, segment: &Segment, seed: u64) -> String {
        let mut hasher = Sha256::new();
        hasher.update(seed.to_le_bytes());
        for id in &segment.participant_ids {
            hasher.update(id.as_bytes());
            hasher.update(b"\0");
        }
        let digest = hasher.finalize();
        let pick =
            |bytes: &[u8], len: usize| (u64::from_le_bytes(bytes.try_into().expect("8 bytes")) % len as u64) as usize;
        let mut g = pick(&digest[0..8], GIVEN_NAMES.len());
        let mut f = pick(&digest[8..16], FAMILY_NAMES.len());
        // Probe for names not used yet (a run has at most 20 personas, far fewer than names).
        for _ in 0..GIVEN_NAMES.len() {
            if !self.given.contains(&g) {
                break;
            }
            g = (g + 1) % GIVEN_NAMES.len();
        }
        for _ in 0..FAMILY_NAMES.len() {
            if !self.family.contains(&f) {
                break;
            }
            f = (f + 1) % FAMILY_NAMES.len();
        }
        self.given.insert(g);
        self.family.insert(f);
        format!("{} {}", GIVEN_NAMES[g], FAMILY_NAMES[f])
    }

    /// A title from the strongest signal, unique within the run: the segment's role ("The
    /// Instructor"), qualified by its best key phrase when the role is taken; without a role,
    /// "The <Key Phrase> User" from the phrases its claims share, then single distinctive terms
    /// that are not generic words.
    pub(super) fn title(
        &mut self,
        terms: &[String],
        role: Option<&str>,
        phrases: &[String],
        said: &BTreeSet<String>,
    ) -> String {
        let noun = role.map(title_case).unwrap_or_else(|| "User".to_string());
        let noun_words: HashSet<String> = noun.split_whitespace().map(str::to_lowercase).collect();
        let mut qualifiers: Vec<String> = phrases.iter().take(5).cloned().collect();
        // Terms the persona's own claims use come first: a title must be about what they say;
        // a key phrase of several words says more than one word ("Data Exploration", not "Data").
        let mut ranked: Vec<&String> = terms.iter().collect();
        ranked.sort_by_key(|t| {
            let keys = text::term_keys(t);
            (keys.len() < 2, !keys.iter().all(|k| said.contains(k)))
        });
        qualifiers.extend(
            ranked
                .into_iter()
                .filter(|t| {
                    t.chars().count() >= 3
                        && !GENERIC_TITLE_WORDS.contains(&t.to_lowercase().as_str())
                        && !crate::quality::is_bare_qualifier(t)
                })
                .cloned(),
        );
        let mut candidates: Vec<String> = Vec::new();
        if role.is_some() {
            candidates.push(format!("The {noun}"));
        }
        for q in &qualifiers {
            if q.split_whitespace().any(|w| noun_words.contains(&w.to_lowercase())) {
                continue;
            }
            candidates.push(match role {
                Some(_) => format!("The {noun} ({})", q.to_lowercase()),
                None => format!("The {} {noun}", title_case(q)),
            });
        }
        for title in &candidates {
            if self.titles.insert(title.clone()) {
                return title.clone();
            }
        }
        // Every candidate is taken: number the title so that it stays unique.
        let base = candidates.into_iter().next().unwrap_or_else(|| format!("The {noun}"));
        let mut title = base.clone();
        let mut n = 2;
        while !self.titles.insert(title.clone()) {
            title = format!("{base} {n}");
            n += 1;
        }
        title
    }
}

/// Stems of the words `texts` use as verbs more often than as nouns: after "to", a first-person
/// subject or a modal ("to find", "I install", "can't adapt") rather than after an article or a
/// possessive ("the install", "my error").
pub(super) fn verb_keys(texts: &[&str]) -> BTreeSet<String> {
    const BEFORE_VERB: &[&str] = &[
        "to", "i", "we", "i'm", "we're", "can", "can't", "cannot", "could", "couldn't", "will", "would", "don't",
        "didn't", "doesn't", "won't", "should", "must", "please", "not",
    ];
    const BEFORE_NOUN: &[&str] = &[
        "the", "a", "an", "my", "our", "your", "this", "that", "their", "his", "her", "its", "same", "some", "any",
        "no",
    ];
    let mut uses: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for t in texts {
        let lowered = t.to_lowercase().replace('’', "'");
        let words: Vec<&str> = lowered
            .split(|c: char| !(c.is_alphanumeric() || c == '\''))
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            let (as_verb, as_noun) = (BEFORE_VERB.contains(&pair[0]), BEFORE_NOUN.contains(&pair[0]));
            if !(as_verb || as_noun) {
                continue;
            }
            if let Some(key) = text::term_keys(pair[1]).into_iter().next() {
                let entry = uses.entry(key).or_default();
                entry.0 += usize::from(as_verb);
                entry.1 += usize::from(as_noun);
            }
        }
    }
    uses.into_iter()
        .filter(|(_, (verb, noun))| verb > noun)
        .map(|(key, _)| key)
        .collect()
}

/// Words that say nothing about who a segment is, never used alone in a title.
#[rustfmt::skip]
pub(super) const GENERIC_TITLE_WORDS: &[&str] = &[
    "different", "better", "best", "acting", "actual", "real", "certain", "specific", "big", "small", "little",
    "long", "short", "high", "low", "full", "main", "major", "minor", "similar", "various", "personal", "likely",
    "extra", "easy", "free", "n/a", "yes", "lot", "kind", "record", "use", "user", "thing", "information", "info", "data",
    "available", "possible", "important", "able", "sure", "like", "want", "need", "good", "great", "https",
    "http", "www", "com", "org", "github", "html", "hello", "thanks", "error", "errors", "problem", "problems",
    "issue", "issues", "question", "help", "hi", "hey", "ago",
];

pub(super) fn title_case(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Phrases of two or three adjacent content words that recur in a persona's claims, best
/// first: weighted by the segment's term weights and how often they recur, then by length;
/// ties go to the phrase said first, never to the alphabet.
pub(super) fn key_phrases(texts: &[&str], weights: &BTreeMap<String, f64>) -> Vec<String> {
    let mut found: Vec<(String, Vec<String>, usize)> = Vec::new(); // (surface, stems, first seen)
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut order = 0;
    for t in texts {
        for sentence in text::sentences(t) {
            // Runs of adjacent content words (a stopword breaks a run).
            let mut runs: Vec<Vec<(String, String)>> = vec![Vec::new()];
            for raw in sentence.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’' || c == '-')) {
                if raw.is_empty() {
                    continue;
                }
                let mut stem_surface = None;
                text::for_each_content_word(raw, |stem, surface| {
                    stem_surface.get_or_insert((stem.to_string(), surface.to_string()));
                });
                match stem_surface {
                    Some(pair) => runs.last_mut().expect("a run").push(pair),
                    None => runs.push(Vec::new()),
                }
            }
            for run in runs {
                for n in [3, 2] {
                    for window in run.windows(n) {
                        let stems: Vec<String> = window.iter().map(|(s, _)| s.clone()).collect();
                        // "anonymised anonymised" is a redaction mark, not a phrase.
                        if stems.iter().collect::<BTreeSet<_>>().len() < stems.len() {
                            continue;
                        }
                        let key = stems.join(" ");
                        let count = counts.entry(key).or_default();
                        if *count == 0 {
                            let surface = window.iter().map(|(_, w)| w.as_str()).collect::<Vec<_>>().join(" ");
                            found.push((surface, stems, order));
                            order += 1;
                        }
                        *count += 1;
                    }
                }
            }
        }
    }
    let mut ranked: Vec<(f64, usize, usize, String)> = found
        .into_iter()
        .filter_map(|(surface, stems, first)| {
            let weight: f64 = stems.iter().filter_map(|s| weights.get(s)).sum();
            let count = counts[&stems.join(" ")];
            (weight > 0.0 && count >= 2).then_some((weight * count as f64, stems.len(), first, surface))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    ranked.into_iter().map(|(_, _, _, surface)| surface).collect()
}

/// "Represents 42 of 120 participants (35%), mostly Field Sales Rep, age 26-40. They want to see
/// every client visit on one map. They hate re-entering orders. They talk most about route
/// planning and client visits." Who they are, the gist of what they want and what gets in their
/// way (see [`super::gist`]), and the phrases their claims share; distinctive single terms only
/// when there is neither a gist nor a phrase.
pub(super) fn summary(
    corpus: &Corpus,
    segment: &Segment,
    terms: &[String],
    phrases: &[String],
    gist: Option<&str>,
) -> String {
    let size = segment.participant_ids.len();
    let total = corpus.participants.len().max(size).max(1);
    let share = (size as f64 * 100.0 / total as f64).round();
    let role_key = role_key(&segment.demographics);
    let mut traits: Vec<String> = role_key
        .and_then(|k| segment.demographics.get(k))
        .cloned()
        .into_iter()
        .collect();
    for (key, value) in &segment.demographics {
        let label = key.strip_suffix("_range").unwrap_or(key).replace('_', " ");
        // A long label is a survey question, not a trait one can read in a sentence.
        if Some(key.as_str()) != role_key && label.chars().count() <= 30 {
            traits.push(format!("{label} {value}"));
        }
    }
    let mut out = format!(
        "Represents {size} of {total} participant{} ({share}%)",
        if total == 1 { "" } else { "s" }
    );
    if !traits.is_empty() {
        out.push_str(", mostly ");
        out.push_str(&traits.join(", "));
    }
    out.push('.');
    if let Some(gist) = gist {
        out.push(' ');
        out.push_str(gist);
    }
    // A phrase sharing a word with an earlier one says little new ("vim emacs", "vim emacs sublime").
    let mut themes: Vec<&str> = Vec::new();
    for phrase in phrases {
        let words: BTreeSet<String> = text::term_keys(phrase).into_iter().collect();
        let overlaps = themes.iter().any(|t| {
            let other: BTreeSet<String> = text::term_keys(t).into_iter().collect();
            !words.is_disjoint(&other)
        });
        if !overlaps {
            themes.push(phrase);
        }
        if themes.len() == 2 {
            break;
        }
    }
    if themes.is_empty() && gist.is_none() {
        themes = terms
            .iter()
            .filter(|t| !GENERIC_TITLE_WORDS.contains(&t.to_lowercase().as_str()))
            .take(3)
            .map(String::as_str)
            .collect();
    }
    match themes.as_slice() {
        [] => {}
        [one] => out.push_str(&format!(" They talk most about {one}.")),
        [init @ .., last] => out.push_str(&format!(" They talk most about {} and {last}.", init.join(", "))),
    }
    out
}

/// A speaker label compared as a word: lower case, without the digits and underscores chat
/// clients append ("ActionParsnip1" is "actionparsnip").
pub(super) fn speaker_key(label: &str) -> String {
    label
        .to_lowercase()
        .trim_end_matches(|c: char| c.is_ascii_digit() || c == '_')
        .to_string()
}

/// The participants' ids as words (at least three letters: "P1" or a row number is no name).
pub(super) fn speaker_keys(corpus: &Corpus) -> BTreeSet<String> {
    corpus
        .participants
        .iter()
        .map(|p| speaker_key(&p.id))
        .filter(|k| k.chars().count() >= 3)
        .collect()
}

/// Whether a term or phrase holds a participant's name.
pub(super) fn names_speaker(term: &str, speakers: &BTreeSet<String>) -> bool {
    term.split_whitespace().any(|w| speakers.contains(&speaker_key(w)))
}

/// The demographics key holding the role, if any.
/// An exact role key first; else a key naming a role among its words ("what_is_your_primary_role").
pub(super) fn role_key(demographics: &BTreeMap<String, String>) -> Option<&str> {
    const ROLE_WORDS: &[&str] = &["role", "occupation", "profession", "job", "position"];
    ROLE_KEYS
        .iter()
        .find_map(|k| demographics.get_key_value(*k).map(|(k, _)| k.as_str()))
        .or_else(|| {
            demographics
                .keys()
                .find(|k| {
                    k.split(|c: char| !c.is_alphanumeric())
                        .any(|w| ROLE_WORDS.contains(&w.to_lowercase().as_str()))
                })
                .map(String::as_str)
        })
}
