//! Text helpers shared by the quality metrics and the conversation scripts: word tokens,
//! whole-word term matching (the peer matched substrings, so `intern` hit `international`) and
//! ages parsed as numbers (the peer looked for digit substrings, so `25-34` counted as "young").

/// Lower-cased word tokens: maximal runs of alphanumeric characters or `_` (Python's `\w+`).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `word` is `term` or its plural (`intern` matches `interns`, never `international`).
fn word_matches(word: &str, term: &str) -> bool {
    word == term || word.strip_prefix(term).is_some_and(|rest| rest == "s" || rest == "es")
}

/// Whether the token sequence `haystack` contains `term` (one or more words, e.g. `first job`,
/// `entry-level`) as consecutive whole words; the term's last word may be plural.
pub fn contains_term(haystack: &[String], term: &str) -> bool {
    let needle = words(term);
    let Some((last, head)) = needle.split_last() else {
        return false;
    };
    haystack
        .windows(needle.len())
        .any(|window| head.iter().zip(window).all(|(t, w)| w == t) && word_matches(&window[needle.len() - 1], last))
}

/// Whether any of `terms` occurs as whole words in `haystack`.
pub fn contains_any_term(haystack: &[String], terms: &[&str]) -> bool {
    terms.iter().any(|t| contains_term(haystack, t))
}

/// Whether some word of `haystack` starts with one of the `stems` (`collaborat` matches
/// `collaboration` and `collaborating`): matching anchored at a word start, not a substring.
pub fn has_word_with_prefix(haystack: &[String], stems: &[&str]) -> bool {
    haystack.iter().any(|w| stems.iter().any(|s| w.starts_with(s)))
}

/// The first `max` characters of `s` (the peer's `s[:max]`), on a character boundary.
pub fn truncate_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((byte, _)) => &s[..byte],
        None => s,
    }
}

/// Rounds to two decimals, as the peer's `to_dict` does for every reported score.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Rounds to one decimal (word-count averages in details).
pub fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// An age or age range read from a demographics value: `"34"`, `"26-40"`, `"26 to 40"`, `"55+"`,
/// `"30s"`, `"under 25"`. `high` is `None` for open-ended ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeRange {
    pub low: u32,
    pub high: Option<u32>,
}

/// Oldest plausible human age; larger numbers in an age field are not ages (years, counts).
const MAX_AGE: u32 = 120;

impl AgeRange {
    /// Parses the numbers of an age value. `None` when it holds no plausible age.
    pub fn parse(value: &str) -> Option<AgeRange> {
        // (number, is a decade such as "30s")
        let mut numbers: Vec<(u32, bool)> = Vec::new();
        let chars: Vec<char> = value.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let digits: String = chars[start..i].iter().collect();
            let decade = chars.get(i) == Some(&'s') || (chars.get(i) == Some(&'\'') && chars.get(i + 1) == Some(&'s'));
            if let Ok(n) = digits.parse::<u32>()
                && n <= MAX_AGE
            {
                numbers.push((n, decade && n % 10 == 0));
            }
        }
        let upper = |(n, decade): (u32, bool)| if decade { n + 9 } else { n };
        match numbers.as_slice() {
            [] => None,
            [single] => {
                let tokens = words(value);
                let (n, _) = *single;
                if value.contains('+') || contains_any_term(&tokens, &["over", "above", "plus", "older"]) {
                    Some(AgeRange { low: n, high: None })
                } else if value.contains('<') || contains_any_term(&tokens, &["under", "below", "younger"]) {
                    Some(AgeRange { low: 0, high: Some(n) })
                } else {
                    Some(AgeRange {
                        low: n,
                        high: Some(upper(*single)),
                    })
                }
            }
            [a, b, ..] => {
                let low = a.0.min(b.0);
                let high = upper(*a).max(upper(*b));
                Some(AgeRange { low, high: Some(high) })
            }
        }
    }

    /// Entirely at or below `age`.
    pub fn at_most(&self, age: u32) -> bool {
        self.high.is_some_and(|h| h <= age)
    }

    /// Entirely at or above `age`.
    pub fn at_least(&self, age: u32) -> bool {
        self.low >= age
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercase_alphanumeric_runs() {
        assert_eq!(
            words("Entry-level, I'm OK_now!"),
            vec!["entry", "level", "i", "m", "ok_now"]
        );
    }

    #[test]
    fn terms_match_whole_words_only() {
        let w = words("Expand into international markets");
        assert!(!contains_term(&w, "intern"));
        assert!(contains_term(&words("Hire two interns"), "intern"));
        assert!(contains_term(&words("Land an entry-level role"), "entry-level"));
        assert!(contains_term(&words("find my first job soon"), "first job"));
        assert!(!contains_term(&words("my first big job"), "first job"));
        assert!(!contains_term(&w, ""));
    }

    #[test]
    fn prefixes_anchor_at_word_start() {
        assert!(has_word_with_prefix(&words("Better collaboration"), &["collaborat"]));
        assert!(!has_word_with_prefix(&words("noncollaborative"), &["collaborat"]));
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("hi", 5), "hi");
    }

    #[test]
    fn ages_are_parsed_as_numbers() {
        assert_eq!(
            AgeRange::parse("26-40"),
            Some(AgeRange {
                low: 26,
                high: Some(40)
            })
        );
        assert_eq!(
            AgeRange::parse("26 to 40"),
            Some(AgeRange {
                low: 26,
                high: Some(40)
            })
        );
        assert_eq!(
            AgeRange::parse("34"),
            Some(AgeRange {
                low: 34,
                high: Some(34)
            })
        );
        assert_eq!(AgeRange::parse("55+"), Some(AgeRange { low: 55, high: None }));
        assert_eq!(
            AgeRange::parse("30s"),
            Some(AgeRange {
                low: 30,
                high: Some(39)
            })
        );
        assert_eq!(AgeRange::parse("under 25"), Some(AgeRange { low: 0, high: Some(25) }));
        assert_eq!(AgeRange::parse("unknown"), None);
        assert_eq!(AgeRange::parse("born 1990"), None);
        let r = AgeRange::parse("25-34").unwrap();
        assert!(!r.at_most(25) && !r.at_least(55));
        assert!(AgeRange::parse("18-25").unwrap().at_most(25));
        assert!(AgeRange::parse("55+").unwrap().at_least(55));
        assert!(!AgeRange::parse("55+").unwrap().at_most(25));
    }
}
