//! The significant words of a text, shared by the card (which keeps carried-over text from
//! covering a quote) and the privacy audit (which measures that coverage).

use crate::quality::text::words;
use std::collections::BTreeSet;

const STOPWORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out",
    "day", "get", "has", "him", "his", "how", "its", "may", "new", "now", "old", "see", "two", "way", "who", "did",
    "she", "use", "too", "own", "why", "let", "put", "say", "yes", "yet", "got", "this", "that", "with", "have",
    "from", "they", "will", "would", "there", "their", "what", "about", "which", "when", "make", "like", "time",
    "just", "know", "take", "into", "year", "your", "some", "could", "them", "than", "then", "look", "only", "come",
    "over", "also", "back", "after", "work", "first", "well", "even", "want", "because", "these", "give", "most",
    "very", "been", "were", "more", "much", "really", "thing", "things", "lot", "don", "didn", "doesn", "isn", "wasn",
    "can't", "i'm", "it's", "always", "never", "every", "where", "being", "should", "still", "here", "those",
];

/// Words of three or more letters that are not stopwords.
pub(crate) fn significant_words(text: &str) -> BTreeSet<String> {
    words(text)
        .into_iter()
        .filter(|w| w.chars().count() > 2 && w.chars().all(char::is_alphabetic) && !STOPWORDS.contains(&w.as_str()))
        .collect()
}
