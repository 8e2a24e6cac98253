//! Text handling shared by segmentation and the local synthesiser: content words (lowercase,
//! stopwords removed, light stemming), sentence splitting that keeps verbatim slices, and the
//! cue patterns that recognise goals, pain points and behaviours.

use regex::Regex;
use std::collections::HashSet;
use std::sync::LazyLock;

/// English function words plus the filler and framing words of interviews and surveys, which
/// say nothing about who a participant is.
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    // function words
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do",
    "does", "doing", "done", "down", "during", "each", "either", "else", "even", "ever", "few", "for", "from",
    "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his",
    "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "let", "may", "me", "might",
    "mine", "more", "most", "much", "must", "my", "myself", "neither", "no", "nor", "not", "now", "of", "off", "on",
    "once", "one", "only", "or", "other", "others", "our", "ours", "ourselves", "out", "over", "own", "per", "same",
    "shall", "she", "should", "since", "so", "some", "such", "than", "that", "the", "their", "theirs", "them",
    "themselves", "then", "there", "these", "they", "this", "those", "though", "through", "thus", "to", "too",
    "under", "until", "up", "upon", "us", "very", "via", "was", "we", "were", "what", "whatever", "when", "whenever",
    "where", "whereas", "whether", "which", "while", "who", "whoever", "whom", "whose", "why", "will", "with",
    "within", "without", "would", "yet", "you", "your", "yours", "yourself", "yourselves", "lot", "lots", "many",
    "several", "every", "another", "anyone", "anybody", "everyone", "everybody", "someone", "somebody", "nobody",
    "none", "something", "anything", "everything", "nothing", "somewhere", "anywhere", "everywhere", "really",
    "quite", "rather", "almost", "already", "always", "often", "usually", "sometimes", "never", "still", "maybe",
    "perhaps", "probably", "actually", "basically", "literally", "honestly", "definitely", "certainly", "simply",
    "totally", "pretty", "enough", "less", "least", "mostly", "mainly", "especially", "generally", "normally",
    "typically", "twice", "two", "three", "four", "five", "first", "second", "last", "next", "new", "old", "back",
    "away", "around", "across", "along", "among", "behind", "beyond", "onto", "toward", "towards", "unless",
    "whilst", "etc", "eg", "ie", "vs",
    // filler and framing words of interviews and surveys
    "yeah", "yes", "yep", "okay", "ok", "um", "uh", "erm", "hmm", "oh", "ah", "like", "well", "right", "sure",
    "thing", "things", "stuff", "kind", "sort", "bit", "way", "ways", "guess", "think", "thought", "know", "mean",
    "say", "said", "says", "tell", "told", "ask", "asked", "question", "questions", "answer", "thanks", "thank",
    "please", "good", "great", "fine", "nice", "bad", "interesting", "interview", "interviewer", "participant",
    "respondent", "overall", "general", "honest", "opinion", "opinions", "feel", "feels", "felt", "get", "gets",
    "getting", "got", "go", "goes", "going", "gone", "went", "make", "makes", "making", "made", "take", "takes",
    "taking", "took", "come", "comes", "came", "see", "seen", "look", "looking", "want", "wants", "wanted", "need",
    "needs", "needed", "wish", "hope", "hoping", "use", "uses", "used", "using", "try", "tries", "trying", "tried",
    "able", "time", "times", "day", "days", "week", "weeks", "month", "months", "year", "years", "today", "people",
    "person", "whole", "part", "usual", "particular", "goal", "goals", "problem", "problems", "issue", "issues",
    "frustrating", "frustrated", "frustration", "annoying", "hard", "difficult", "struggle", "habit", "habits",
    "routine", "tend", "mind", "worth", "glad", "happy", "love", "hate", "true", "anyway", "product", "app", "tool",
    "experience", "work", "job", "end", "start", "keep", "help", "helps", "helpful", "lately", "recently",
];

static STOPWORD_SET: LazyLock<HashSet<&'static str>> = LazyLock::new(|| STOPWORDS.iter().copied().collect());

/// Whether a lowercase word carries no meaning of its own here.
pub fn is_stopword(word: &str) -> bool {
    STOPWORD_SET.contains(word)
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Light, deterministic suffix stripping (plural, -ing, -ed, -ly, final e) so that "schedules",
/// "scheduled" and "scheduling" share a term. Deliberately conservative: wrong merges would mix
/// unrelated themes, a missed merge only splits a term in two.
pub fn stem_into(word: &str, out: &mut String) {
    out.clear();
    out.push_str(word);
    let len = |s: &String| s.chars().count();
    if out.ends_with("ies") && len(out) > 4 {
        out.truncate(out.len() - 3);
        out.push('y');
    } else if out.ends_with("sses") || out.ends_with("ches") || out.ends_with("shes") || out.ends_with("xes") {
        out.truncate(out.len() - 2);
    } else if out.ends_with('s') && !out.ends_with("ss") && !out.ends_with("us") && !out.ends_with("is") && len(out) > 3
    {
        out.truncate(out.len() - 1);
    }
    let mut stripped_verb_suffix = false;
    if out.ends_with("ing") && len(out) >= 6 {
        out.truncate(out.len() - 3);
        stripped_verb_suffix = true;
    } else if out.ends_with("ed") && len(out) >= 5 {
        out.truncate(out.len() - 2);
        stripped_verb_suffix = true;
    } else if out.ends_with("ly") && len(out) >= 6 {
        out.truncate(out.len() - 2);
    }
    if stripped_verb_suffix {
        // "planning" -> "plann" -> "plan"; keep ll/ss/zz ("billing" -> "bill").
        let b = out.as_bytes();
        let n = b.len();
        if n >= 2
            && b[n - 1] == b[n - 2]
            && b[n - 1].is_ascii_alphabetic()
            && !is_vowel(b[n - 1])
            && !matches!(b[n - 1], b'l' | b's' | b'z')
        {
            out.truncate(n - 1);
        }
    } else if out.ends_with('e') && len(out) > 4 {
        out.truncate(out.len() - 1);
    }
}

pub fn stem(word: &str) -> String {
    let mut out = String::new();
    stem_into(word, &mut out);
    out
}

fn push_lowercase(word: &mut String, c: char) {
    if c.is_ascii() {
        word.push(c.to_ascii_lowercase());
    } else {
        word.extend(c.to_lowercase());
    }
}

/// Calls `f(stem, surface)` for every content word of `text`, in order.
pub fn for_each_content_word(text: &str, mut f: impl FnMut(&str, &str)) {
    let mut word = String::new();
    let mut stemmed = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_alphanumeric() {
            continue;
        }
        word.clear();
        push_lowercase(&mut word, c);
        // Letters, digits and inner apostrophes ("don't") form one word.
        while let Some(&n) = chars.peek() {
            if n.is_alphanumeric() {
                push_lowercase(&mut word, n);
                chars.next();
            } else if n == '\'' || n == '’' {
                chars.next();
                match chars.peek() {
                    Some(&m) if m.is_alphanumeric() => word.push('\''),
                    _ => break,
                }
            } else {
                break;
            }
        }
        if let Some(base) = word.strip_suffix("'s") {
            let keep = base.len();
            word.truncate(keep);
        }
        // Contractions (I'd, can't, we're) are function words; bare numbers say little.
        let useful = !word.contains('\'')
            && word.chars().count() >= 2
            && !word.chars().all(char::is_numeric)
            && !is_stopword(&word);
        if useful {
            stem_into(&word, &mut stemmed);
            if !is_stopword(&stemmed) {
                f(&stemmed, &word);
            }
        }
    }
}

/// The term keys (stems of content words) of a text, in order of appearance.
pub fn term_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for_each_content_word(text, |stem, _| keys.push(stem.to_string()));
    keys
}

const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "mr", "mrs", "ms", "dr", "prof", "vs", "approx", "st", "no",
];

fn is_terminator(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '…')
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '\'' | ')' | ']' | '”' | '’' | '»')
}

/// The sentences of `text` as trimmed slices of it, so that each one is verbatim source text.
/// Splits after `.`, `!`, `?` or `…` followed by whitespace (not after common abbreviations or
/// single initials) and at blank lines.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((pos, c)) = chars.next() {
        if is_terminator(c) {
            let mut end = pos + c.len_utf8();
            while let Some(&(p, n)) = chars.peek() {
                if !(is_terminator(n) || is_closer(n)) {
                    break;
                }
                end = p + n.len_utf8();
                chars.next();
            }
            let boundary = chars.peek().is_none_or(|&(_, n)| n.is_whitespace());
            if boundary && (c != '.' || !ends_with_abbreviation(&text[start..pos])) {
                push_trimmed(&mut out, &text[start..end]);
                start = end;
            }
        } else if c == '\n' {
            // A blank line ends a sentence even without punctuation.
            let rest = &text[pos + 1..];
            let blank = rest.trim_start_matches(|w: char| w.is_whitespace() && w != '\n');
            if blank.starts_with('\n') {
                push_trimmed(&mut out, &text[start..pos]);
                start = text.len() - blank.len();
            }
        }
    }
    push_trimmed(&mut out, &text[start..]);
    out
}

fn ends_with_abbreviation(before: &str) -> bool {
    let last = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let mut chars = last.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return c.is_alphabetic();
    }
    ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(last))
}

fn push_trimmed<'a>(out: &mut Vec<&'a str>, s: &'a str) {
    let t = s.trim();
    if !t.is_empty() {
        out.push(t);
    }
}

pub fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Longest claim kept as a whole sentence; longer ones are cut to the clause holding the cue.
const MAX_CLAIM_WORDS: usize = 40;

/// `sentence`, or for a long sentence the clause (between `;`, dashes or `, but`) that contains
/// byte offset `at`, when that clause is long enough to stand alone. Always a slice of `sentence`.
pub fn claim_span(sentence: &str, at: usize) -> &str {
    if word_count(sentence) <= MAX_CLAIM_WORDS {
        return sentence;
    }
    static CLAUSE_BREAK: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i);\s+|\s+[-–—]\s+|,\s+(?:but|although|though|whereas|because)\s+").unwrap());
    let mut start = 0;
    for m in CLAUSE_BREAK.find_iter(sentence) {
        if m.start() >= at {
            let clause = sentence[start..m.start()].trim();
            return if word_count(clause) >= 5 { clause } else { sentence };
        }
        start = m.end();
    }
    let clause = sentence[start..].trim();
    if word_count(clause) >= 5 { clause } else { sentence }
}

/// What a sentence tells about a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cue {
    Goal,
    PainPoint,
    Behaviour,
}

const GOAL_PATTERN: &str = r"(?ix)
    \b(?:i|we)\s+(?:really\s+|just\s+|also\s+|still\s+|would\s+|do\s+)?(?:want|need|wish|hope)\b
  | \b(?:i|we)['’]d\s+(?:really\s+|also\s+)?(?:like|love|prefer)\b
  | \b(?:i|we)\s+would\s+(?:really\s+)?(?:like|love|prefer)\b
  | \b(?:my|our)\s+(?:\w+\s+)?(?:goal|aim|priority|dream|objective)s?\b
  | \bhoping\s+to\b
  | \b(?:it|that)\s+would\s+be\s+(?:so\s+|really\s+|very\s+)?(?:great|nice|amazing|ideal|helpful|brilliant|awesome|perfect|good|useful|lovely|wonderful)\s+(?:if|to)\b
  | \b(?:i['’]m|i\s+am|we['’]re|we\s+are)\s+(?:always\s+|really\s+|just\s+)?(?:trying|looking|hoping|aiming|planning|keen)\s+to\b
  | \bideally\b
  | \bwhat\s+i\s+(?:really\s+)?(?:want|need)\b
  | \bi\s+can['’]?t\s+wait\b
  | \bif\s+only\b
  | \bit\s+would\s+help\b
  | \bi\s+(?:am\s+)?looking\s+for\b
";

const PAIN_PATTERN: &str = r"(?ix)
    \bfrustrat\w*
  | \bannoy\w*
  | \birritat\w*
  | \bproblem\w*
  | \bhard\s+(?:to|for)\b
  | \bdifficult\w*
  | \bstruggl\w*
  | \bwast(?:e|es|ed|ing)\b
  | \btoo\s+(?:slow|long|complicated|complex|expensive|many|much|hard|confusing|small|late|often|fiddly)\b
  | \b(?:can['’]?t|cannot|couldn['’]?t|unable\s+to)\b
  | \b(?:hate|hated|hates|dislike|dread)\b
  | \bpain(?:ful)?\b
  | \bconfus\w*
  | \b(?:broken|breaks|crash\w*|fails?|failing)\b
  | \bstuck\b
  | \bworr(?:y|ied|ies|ying)\b
  | \bstress\w*
  | \b(?:tedious|clunky|cumbersome|messy|unreliable|painful|awkward)\b
  | \b(?:doesn['’]?t|don['’]?t|won['’]?t|never)\s+work\w*
  | \bissues?\b
  | \b(?:headache|hassle|nightmare|bottleneck|obstacle|barrier)s?\b
  | \bchalleng\w*
  | \bslow(?:er|ly|s)?\b
  | \bexpensive\b
  | \bno\s+way\s+to\b
  | \b(?:lose|lost|losing|forget|forgets|forgot|forgetting)\b
  | \btakes?\s+(?:forever|ages|too\s+long)\b
";

const BEHAVIOUR_PATTERN: &str = r"(?ix)
    \b(?:i|we)\s+(?:usually|always|often|normally|typically|generally|regularly|sometimes|mostly|constantly|frequently|rarely|never|still)\b
  | \b(?:i|we)\s+tend\s+to\b
  | \b(?:every|each)\s+(?:single\s+)?(?:day|morning|afternoon|evening|night|week|weekend|month|year|time|shift|semester|term|quarter|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b
  | \b(?:i|we)\s+(?:use|check|keep|start|spend|open|rely\s+on|go\s+through|track|log|plan|review|update|look\s+at|block|batch|set\s+up|book|sync|print|scan|jot|sketch|save|export|write|read|back\s+up)\b
  | \b(?:i['’]m|i\s+am|we['’]re|we\s+are)\s+(?:always\s+|usually\s+|often\s+)?(?:using|checking)\b
  | \bmy\s+(?:\w+\s+)?(?:routine|habit|workflow|process|ritual)s?\b
  | \b(?:daily|weekly|monthly|nightly|hourly)\b
  | \b(?:once|twice)\s+a\s+(?:day|week|month)\b
  | \btimes\s+a\s+(?:day|week|month)\b
  | \bon\s+(?:mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays|weekends)\b
  | \bfirst\s+thing\b
  | \bin\s+the\s+(?:mornings?|evenings?)\b
  | \bbefore\s+(?:work|bed|class|lunch|meetings?|every)\b
  | \b(?:habit|routine)\b
";

static GOAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(GOAL_PATTERN).expect("goal cue pattern"));
static PAIN: LazyLock<Regex> = LazyLock::new(|| Regex::new(PAIN_PATTERN).expect("pain cue pattern"));
static BEHAVIOUR: LazyLock<Regex> = LazyLock::new(|| Regex::new(BEHAVIOUR_PATTERN).expect("behaviour cue pattern"));

/// The cue a sentence expresses and the byte offset where it is found. Wants and frustrations
/// outrank habits ("I always struggle to…" is a pain point); between a want and a frustration
/// the one said first wins. Questions are not claims.
pub fn classify(sentence: &str) -> Option<(Cue, usize)> {
    if sentence.trim_end().ends_with('?') {
        return None;
    }
    let goal = GOAL.find(sentence).map(|m| m.start());
    let pain = PAIN.find(sentence).map(|m| m.start());
    match (goal, pain) {
        (Some(g), Some(p)) => Some(if g <= p { (Cue::Goal, g) } else { (Cue::PainPoint, p) }),
        (Some(g), None) => Some((Cue::Goal, g)),
        (None, Some(p)) => Some((Cue::PainPoint, p)),
        (None, None) => BEHAVIOUR.find(sentence).map(|m| (Cue::Behaviour, m.start())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut v = Vec::new();
        for_each_content_word(text, |stem, _| v.push(stem.to_string()));
        v
    }

    #[test]
    fn stemming_merges_inflections() {
        for group in [
            ["schedule", "schedules", "scheduling"],
            ["report", "reports", "reporting"],
            ["plan", "plans", "planning"],
        ] {
            let stems: HashSet<String> = group.iter().map(|w| stem(w)).collect();
            assert_eq!(stems.len(), 1, "{group:?} -> {stems:?}");
        }
        assert_eq!(stem("studies"), "study");
        assert_eq!(stem("billing"), "bill");
        assert_eq!(stem("class"), "class");
        assert_eq!(stem("bus"), "bus");
    }

    #[test]
    fn content_words_drop_stopwords_numbers_and_contractions() {
        assert_eq!(
            words("Thanks, I don't really know — the 2 expense Reports are late!"),
            vec!["expens", "report", "late"]
        );
        assert_eq!(words("Café’s recipes"), vec!["café", "recip"]);
    }

    #[test]
    fn term_keys_are_stems_in_order() {
        assert_eq!(
            term_keys("expense reports, and client visits"),
            vec!["expens", "report", "client", "visit"]
        );
    }

    #[test]
    fn sentences_are_verbatim_slices() {
        let text = "I use Excel daily. Dr. Smith said so!  Is it? e.g. this one\n\nNew para";
        let s = sentences(text);
        assert_eq!(
            s,
            vec![
                "I use Excel daily.",
                "Dr. Smith said so!",
                "Is it?",
                "e.g. this one",
                "New para"
            ]
        );
        for part in s {
            assert!(text.contains(part));
        }
        assert_eq!(sentences("  "), Vec::<&str>::new());
        assert_eq!(
            sentences("He said \"no.\" Then left"),
            vec!["He said \"no.\"", "Then left"]
        );
    }

    #[test]
    fn cues_are_recognised_with_priorities() {
        assert_eq!(classify("I want to close deals faster.").unwrap().0, Cue::Goal);
        assert_eq!(classify("It would be great if the app synced.").unwrap().0, Cue::Goal);
        assert_eq!(
            classify("It's so frustrating when the VPN drops.").unwrap().0,
            Cue::PainPoint
        );
        assert_eq!(classify("I always struggle with the VPN.").unwrap().0, Cue::PainPoint);
        assert_eq!(classify("Every morning I check my inbox.").unwrap().0, Cue::Behaviour);
        assert_eq!(classify("I’d like fewer clicks.").unwrap().0, Cue::Goal);
        assert_eq!(classify("I want to stop wasting time.").unwrap().0, Cue::Goal);
        assert_eq!(classify("Thanks for having me."), None);
        assert_eq!(classify("Do you always check it?"), None);
    }

    #[test]
    fn long_sentences_are_cut_to_the_clause_with_the_cue() {
        let long = "We had a long onboarding with many steps and forms and meetings and calls and \
                    emails and reviews over several weeks with the whole team and two outside agencies \
                    plus the finance office; it is frustrating that the export never works for our \
                    monthly board pack";
        let at = long.find("frustrating").unwrap();
        let clause = claim_span(long, at);
        assert!(clause.starts_with("it is frustrating"), "{clause}");
        assert!(long.contains(clause));
        assert_eq!(claim_span("Short one.", 0), "Short one.");
    }
}
