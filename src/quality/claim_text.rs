//! Text handling shared by segmentation and the local synthesiser: content words (lowercase,
//! stopwords removed, light stemming), sentence splitting that keeps verbatim slices, and the
//! cue patterns that recognise goals, pain points and behaviours.

use regex::Regex;
use std::collections::{BTreeSet, HashSet};
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
    claim_span_within(sentence, at, MAX_CLAIM_WORDS)
}

/// [`claim_span`] with the longest whole sentence kept given.
pub fn claim_span_within(sentence: &str, at: usize, max_words: usize) -> &str {
    if word_count(sentence) <= max_words {
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
    /// What works for them: praise, what they value, why they recommend or keep using it.
    Motivation,
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

const MOTIVATION_PATTERN: &str = r"(?ix)
    \b(?:i|we)\s+(?:really\s+|just\s+|absolutely\s+|also\s+|do\s+)?(?:love|like|enjoy|appreciate|value|adore)\s+(?:the|that|how|it|its|being|using|having|this|being\s+able|when|\w+ing)\b
  | \b(?:would|will|do|did|always)\s+(?:definitely\s+|highly\s+|certainly\s+|happily\s+)?recommend\b
  | \b(?:works?|worked|working|runs?|ran|running)\s+(?:really\s+|very\s+|so\s+|pretty\s+|quite\s+|generally\s+|usually\s+)?(?:well|great|nicely|perfectly|smoothly|fine\s+for)\b
  | \b(?:is|was|are|it['’]s|that['’]s)\s+(?:really\s+|very\s+|so\s+|super\s+|incredibly\s+|extremely\s+)?(?:useful|helpful|handy|convenient|reliable|intuitive|pleasant|enjoyable|fun|valuable|easy\s+to\s+use|a\s+lifesaver|great|excellent|fantastic|brilliant|amazing)\b
  | \b(?:it|this|that|which)\s+(?:really\s+)?(?:makes|made)\s+(?:it|things|life|my\s+\w+)\s+(?:so\s+|much\s+|really\s+)?(?:easy|easier|simpler|faster|quicker|better)\b
  | \bsaves?\s+(?:me|us)\b
  | \bmy\s+favou?rite\s+(?:part|thing|feature|bit)\b
  | \b(?:is|are)\s+my\s+favou?rite\b
  | \bthe\s+best\s+(?:part|thing|feature)\b
  | \bwhat\s+i\s+(?:really\s+)?(?:like|love|enjoy|value)\b
  | \b(?:i['’]m|i\s+am|we['’]re|we\s+are)\s+(?:really\s+|very\s+|so\s+)?(?:happy|pleased|satisfied|impressed)\s+with\b
  | \bgives?\s+me\s+(?:peace|confidence|control|freedom)\b
";

static GOAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(GOAL_PATTERN).expect("goal cue pattern"));
static PAIN: LazyLock<Regex> = LazyLock::new(|| Regex::new(PAIN_PATTERN).expect("pain cue pattern"));
static BEHAVIOUR: LazyLock<Regex> = LazyLock::new(|| Regex::new(BEHAVIOUR_PATTERN).expect("behaviour cue pattern"));
static MOTIVATION: LazyLock<Regex> = LazyLock::new(|| Regex::new(MOTIVATION_PATTERN).expect("motivation cue pattern"));

/// Hedges, rhetoric and talk about the interview or survey itself: sentences that say nothing
/// about what the participant wants, suffers or does, whatever cue words they hold.
const NOT_A_CLAIM_PATTERN: &str = r"(?ix)
    \bi\s+(?:want|wanna)\s+to\s+say\b
  | \bi\s+could\s+(?:look\s+it\s+up|check)\b
  | \bi['’]d\s+(?:love|like)\s+to\s+(?:list|name|give|tell|say|think|answer)\b
  | \b(?:completely\s+|totally\s+|just\s+)?blank(?:ed|ing)\b
  | \bi\s+(?:don['’]?t|do\s+not|can['’]?t|cannot)\s+(?:really\s+|even\s+)?(?:remember|recall|think\s+of|say|know)\b
  | \b(?:i['’]m|i\s+am)\s+not\s+(?:really\s+|quite\s+|entirely\s+|too\s+)?sure\b
  | \bif\s+i\s+(?:remember|recall)\b
  | \boff\s+the\s+top\s+of\s+my\s+head\b
  | \bnot\s+(?:that\s+)?i\s+(?:can\s+)?(?:remember|recall|know\s+of)\b
  | \b(?:good|great|interesting|tough|hard)\s+question\b
  | \blet\s+me\s+(?:think|see|just)\b
  | \bhow\s+(?:do|can|should)\s+i\s+(?:put|say|explain)\s+(?:this|it)\b
  | \b(?:as|like)\s+i\s+(?:said|mentioned)\b
  | \bto\s+answer\s+(?:your|the|that)\s+question\b
  | \b(?:this|the)\s+(?:survey|questionnaire|interview|form)\b
  | \b(?:survey|questionnaire)\s+(?:is|was)\s+(?:too|very|so)\b
  | \bthanks?\s+(?:you\s+)?for\s+(?:having|asking|the\s+question|your\s+time)\b
  | \b(?:do|does|did)\s+that\s+(?:make\s+sense|answer)\b
  | \byou\s+know\s+what\s+i\s+mean\b
  | ^\W*if\s+(?:this|that|it)\s+(?:is|was|were)\b
  | \bi\s+want\s+to\s+(?:come|go|get)\s+back\s+to\b
  | \bi\s+want\s+to\s+(?:give\s+you|keep\s+this|move\s+on|wrap\s+up|touch\s+on|ask\s+you|pick\s+up\s+on|talk\s+about)\b
  | \b(?:to|on)\s+(?:your|\w+['’]s)\s+point\b
  | \bsegue\b
  | \bthank\s+you\b
  | \b(?:end|top)\s+of\s+(?:our|the)\s+(?:time|hour|show|episode|call)\b
  | \blistening\s+to\s+(?:us|this)\b
  | \bsaid,?\s*[\x22“]
";

static NOT_A_CLAIM: LazyLock<Regex> = LazyLock::new(|| Regex::new(NOT_A_CLAIM_PATTERN).expect("not-a-claim pattern"));

/// The first pain cue that is not a denied problem ("this is not a CPU issue", "no problem").
fn pain_cue(sentence: &str) -> Option<usize> {
    PAIN.find_iter(sentence)
        .find(|m| {
            let word = m.as_str().to_lowercase();
            let noun = word.starts_with("problem") || word.starts_with("issue");
            let before: Vec<String> = sentence[..m.start()]
                .split_whitespace()
                .rev()
                .take(4)
                .map(str::to_lowercase)
                .collect();
            !(noun && before.iter().any(|w| w == "not" || w == "no" || w.ends_with("n't")))
        })
        .map(|m| m.start())
}

/// A praise cue not negated by the words just before it ("does not work well", "isn't useful").
fn praise(sentence: &str) -> Option<(Cue, usize)> {
    let m = MOTIVATION.find(sentence)?;
    let before: Vec<String> = sentence[..m.start()]
        .split_whitespace()
        .rev()
        .take(3)
        .map(|w| w.to_lowercase().replace('’', "'"))
        .collect();
    let negated = before
        .iter()
        .any(|w| matches!(w.as_str(), "not" | "no" | "never" | "lack" | "hardly" | "barely") || w.ends_with("n't"))
        || m.as_str().to_lowercase().contains("not ");
    (!negated).then_some((Cue::Motivation, m.start()))
}

/// Whether a sentence is mostly markup, a link or a log line (issue exports, pasted code) rather
/// than something a person said.
pub fn is_markup(sentence: &str) -> bool {
    static MARKUP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)https?://|www\.|</?[a-z][a-z0-9]*[\s>/]|```|\{\{|\[[ x]\]|^\s*[#>|]|\w+\.\w+\(|\*\*|[\w.+-]+@[\w-]+\.[\w.]+",
        )
            .expect("markup pattern")
    });
    MARKUP.is_match(sentence)
}

/// Whether a sentence is a hedge, rhetoric or meta-talk rather than a claim about the speaker.
pub fn is_hedge_or_meta(sentence: &str) -> bool {
    NOT_A_CLAIM.is_match(sentence)
}

/// English function words seldom found in other languages' text (unlike "a", "no", "do" or
/// "me", which Portuguese and Spanish use too).
const ENGLISH_MARKERS: &[&str] = &[
    "the", "and", "is", "it", "i", "you", "that", "this", "with", "for", "to", "of", "in", "on", "but", "my", "we",
    "can", "have", "are", "was", "be", "not", "what", "when", "would", "if", "there", "they",
];

/// Whether a text reads as English: it holds an English function word. The cue words that sort
/// sentences into goals, pain points, behaviours and motivations are English-only.
pub fn looks_english(text: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .any(|w| ENGLISH_MARKERS.contains(&w.to_lowercase().as_str()))
}

/// Answers that answer nothing ("N/A", "none", "no comment", "-").
pub fn is_non_answer(text: &str) -> bool {
    const NON_ANSWERS: &[&str] = &[
        "n/a",
        "na",
        "n.a",
        "none",
        "nothing",
        "no",
        "nope",
        "nil",
        "null",
        "not applicable",
        "no comment",
        "no comments",
        "nothing to add",
        "nothing else",
        "not sure",
        "unsure",
        "don't know",
        "dont know",
        "i don't know",
        "idk",
        "no idea",
        "none really",
        "nothing really",
        "not really",
        "no thanks",
        "same as above",
        "see above",
        "as above",
        "-",
        "--",
        "?",
        "x",
        ".",
        "test",
        "asdf",
    ];
    let t = text
        .trim()
        .trim_end_matches(['.', '!', ' '])
        .trim()
        .to_lowercase()
        .replace('’', "'");
    t.is_empty() || NON_ANSWERS.contains(&t.as_str())
}

/// What a question asks for, which sets what its answers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionFrame {
    /// What works, what they like, value or recommend: answers are motivations, never pain points.
    Positive,
    /// Problems, frustrations, what they would change: answers are pain points.
    Negative,
    /// Wishes, needs, priorities: answers are goals.
    Wish,
    /// Routines and process: answers are behaviours.
    Habit,
}

const POSITIVE_QUESTION: &str = r"(?ix)
    \b(?:like|love|enjoy|value|appreciate)\b
  | \bpleas(?:ant|ed|ure)\b
  | \bworks?\s+well\b
  | \b(?:best|favou?rite|benefits?|advantages?|strengths?|helpful|useful)\b
  | \brecommend\w*
  | \b(?:needs?|problems?)\s+(?:does|do|did)\s+(?:it|the|this|they|\w+)\s+(?:\w+\s+)?(?:address|solve|meet|fix)\b
  | \bwhy\s+did\s+you\s+(?:choose|pick|start|switch|sign)\b
  | \bwhat\s+(?:made|makes)\s+you\s+(?:choose|stay|keep|come\s+back)\b
  | \bpositive\b
";

const NEGATIVE_QUESTION: &str = r"(?ix)
    \b(?:frustrat|annoy|irritat|problem|difficult|challeng|struggl|complain|barrier|obstacle|concern|pain)\w*
  | \b(?:dislike|worst|hate|wrong|issues?|hard|least|negative|improve\w*|change|missing|lack\w*|fix)\b
  | \bdon['’]?t\s+(?:you\s+)?like\b
  | \bnot\s+(?:like|work)\b
";

const WISH_QUESTION: &str = r"(?ix)
    \b(?:wish|want|hope|hoping|goals?|aims?|priorit\w*|desires?|would\s+you\s+like|looking\s+for|expect\w*|ideal\w*|dream)\b
  | \bwhat\s+(?:do|would)\s+you\s+need\b
  | \byour\s+needs\b
";

const HABIT_QUESTION: &str = r"(?ix)
    \bhow\s+(?:often|do\s+you\s+(?:usually|normally|typically)?\s*(?:use|go\s+about|handle|manage|do|work))\b
  | \b(?:walk\s+me\s+through|describe\s+(?:your|a\s+typical)|typical\s+(?:day|week)|routine|process|workflow|currently\s+use|what\s+tools)\b
";

static POSITIVE_Q: LazyLock<Regex> = LazyLock::new(|| Regex::new(POSITIVE_QUESTION).expect("positive question"));
static NEGATIVE_Q: LazyLock<Regex> = LazyLock::new(|| Regex::new(NEGATIVE_QUESTION).expect("negative question"));
static WISH_Q: LazyLock<Regex> = LazyLock::new(|| Regex::new(WISH_QUESTION).expect("wish question"));
static HABIT_Q: LazyLock<Regex> = LazyLock::new(|| Regex::new(HABIT_QUESTION).expect("habit question"));

/// The frame of a question, when it has exactly one ("What needs does the product address?" is
/// positive; "…your needs, priorities and concerns…" mixes wishes and concerns and has none).
/// A question about what solves a problem is positive even though it names the problem.
pub fn question_frame(question: &str) -> Option<QuestionFrame> {
    let question = asked_part(question)?;
    // "What would you like…" asks for a wish, not for what they like.
    static WOULD_LIKE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(?:would|['’]d)\s+(?:you\s+)?(?:like|love)\b").expect("would-like pattern")
    });
    let question = WOULD_LIKE.replace_all(&question, " wish ");
    let question = question.as_ref();
    if POSITIVE_Q.is_match(question) {
        // "What do you like least / not like" is negative.
        static NEGATED: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"(?i)\b(?:least|not\s+like|don['’]?t\s+(?:you\s+)?like|dislike)\b").expect("negated question")
        });
        let negated = NEGATED.is_match(question);
        return Some(if negated {
            QuestionFrame::Negative
        } else {
            QuestionFrame::Positive
        });
    }
    let frames: Vec<QuestionFrame> = [
        (NEGATIVE_Q.is_match(question), QuestionFrame::Negative),
        (WISH_Q.is_match(question), QuestionFrame::Wish),
        (HABIT_Q.is_match(question), QuestionFrame::Habit),
    ]
    .into_iter()
    .filter_map(|(hit, frame)| hit.then_some(frame))
    .collect();
    match frames.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// What a prompt asks: its sentences that end in a question mark, or a one-sentence label (a
/// survey column such as "Comments about collaboration:"). An interviewer's remark without a
/// question ("Yeah. Thank you for doing that.") frames nothing.
fn asked_part(prompt: &str) -> Option<String> {
    let all = sentences(prompt);
    let asked: Vec<&str> = all.iter().copied().filter(|s| s.trim_end().ends_with('?')).collect();
    match (asked.is_empty(), all.len()) {
        (false, _) => Some(asked.join(" ")),
        (true, 0 | 1) => Some(prompt.to_string()),
        (true, _) => None,
    }
}

/// Whether two claims' content words say the same thing: most of the shorter one's words are in
/// the other, or the two share most of their words. The generator keeps such repeats out and the
/// quality score penalises them, by this one rule.
pub fn repeats(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let shared = a.intersection(b).count() as f64;
    let of_shorter = shared / a.len().min(b.len()) as f64;
    let jaccard = shared / ((a.len() + b.len()) as f64 - shared);
    of_shorter >= 0.8 || jaccard >= 0.6
}

/// Sentences of an answer short enough for the question to frame every one of them.
pub const SHORT_ANSWER_SENTENCES: usize = 3;

/// The cue of a sentence answering `question` (the survey column's question or the one the
/// interviewer just asked): the question's frame decides what an answer is, the sentence's own
/// cues decide only where the question leaves it open. `short_answer`: the answer has at most
/// [`SHORT_ANSWER_SENTENCES`] sentences. Hedges, rhetoric and meta-talk are never claims.
pub fn classify_answer(sentence: &str, question: Option<&str>, short_answer: bool) -> Option<(Cue, usize)> {
    if is_hedge_or_meta(sentence) {
        return None;
    }
    let own = classify(sentence);
    let Some(frame) = question.and_then(question_frame) else {
        return own;
    };
    if is_question(sentence) {
        return None;
    }
    // In a long answer (a story, a narrative interview) a sentence without a cue of its own is
    // context, not an answer: only short answers take the question's frame wholesale.
    if own.is_none() && !short_answer {
        return None;
    }
    let whole = |cue| Some((cue, 0));
    match (frame, own) {
        // Praise of what works is never a pain point ("it doesn't crash", "I can't live without it").
        (QuestionFrame::Positive, Some((Cue::PainPoint, _))) => praise(sentence),
        (QuestionFrame::Positive, Some((Cue::Goal, at))) => Some((Cue::Goal, at)),
        (QuestionFrame::Positive, _) => whole(Cue::Motivation),
        (QuestionFrame::Negative, Some((Cue::Goal | Cue::PainPoint, at))) => own.map(|(c, _)| (c, at)),
        // "No, it generally runs well" denies the problem asked about: praise, not a pain point;
        // "I clean the data, then move the code to PyCharm" is a habit they describe.
        (QuestionFrame::Negative, Some((Cue::Motivation | Cue::Behaviour, _))) => own,
        // "No." or "Not really" to a question about problems denies having any.
        (QuestionFrame::Negative, None) if denies(sentence) => None,
        (QuestionFrame::Negative, _) => whole(Cue::PainPoint),
        (QuestionFrame::Wish, Some((Cue::PainPoint | Cue::Goal | Cue::Motivation, _))) => own,
        (QuestionFrame::Wish, _) => whole(Cue::Goal),
        (QuestionFrame::Habit, Some(_)) => own,
        (QuestionFrame::Habit, _) => whole(Cue::Behaviour),
    }
}

/// Whether a sentence asks rather than says: it ends in a question mark, or opens the way a
/// question does ("what command should i use", "Where/How do I update …"), as chat lines do
/// without the mark.
pub fn is_question(sentence: &str) -> bool {
    static ASKING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?ix)^\W*(?:(?:what|where|how|why|which|who)\b(?:\W+\w+){0,3}?\W+
              (?:do|does|did|should|shall|can|could|would|will|is|are|was|were)\s+(?:i|you|we|it|they|there|one|he|she)\b
              | (?:do|does|can|could|should|is|are)\s+(?:i|you|we|it|there|anyone|anybody|someone)\s+\w+)",
        )
        .expect("question opening")
    });
    sentence.trim_end().ends_with('?') || ASKING.is_match(sentence)
}

/// Whether an answer opens by saying no ("No, …", "Nope", "Not really").
fn denies(sentence: &str) -> bool {
    static DENIAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^\W*(?:no|nope|not\s+really|none)\b").expect("denial pattern"));
    DENIAL.is_match(sentence)
}

/// The cue a sentence expresses and the byte offset where it is found. Wants and frustrations
/// outrank praise and habits ("I always struggle to…" is a pain point). Questions are not claims.
pub fn classify(sentence: &str) -> Option<(Cue, usize)> {
    if is_question(sentence) {
        return None;
    }
    // Between a want and a frustration the one said first wins. Praise counts only without
    // either: "it makes it easier to lose results" is not praise.
    [
        GOAL.find(sentence).map(|m| (Cue::Goal, m.start())),
        pain_cue(sentence).map(|at| (Cue::PainPoint, at)),
    ]
    .into_iter()
    .flatten()
    .min_by_key(|&(cue, at)| (at, cue))
    .or_else(|| praise(sentence))
    .or_else(|| BEHAVIOUR.find(sentence).map(|m| (Cue::Behaviour, m.start())))
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
    fn english_is_told_by_its_function_words() {
        assert!(looks_english("It would be nice to copy cells between notebooks."));
        assert!(looks_english("I'm stuck on the install"));
        assert!(!looks_english("Vou clicar aqui em selecionar projetos."));
        assert!(!looks_english("Não tem nenhuma issue ali, podemos passar pra próxima."));
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
    fn markup_is_not_speech() {
        assert!(is_markup("See https://github.com/x/y for the log."));
        assert!(is_markup("<img width=\"854\" src=\"a.png\" />"));
        assert!(is_markup("**Expected behavior**: all hints shown."));
        assert!(!is_markup("- Better editor, more like vim."));
        assert!(!is_markup("I use Vim for long scripts."));
    }

    #[test]
    fn praise_is_a_motivation() {
        assert_eq!(classify("I love how quick the search is.").unwrap().0, Cue::Motivation);
        assert_eq!(
            classify("I would definitely recommend it to a friend.").unwrap().0,
            Cue::Motivation
        );
        assert_eq!(
            classify("The offline mode works really well on trains.").unwrap().0,
            Cue::Motivation
        );
        assert_eq!(classify("I'd love an offline mode.").unwrap().0, Cue::Goal);
        assert_eq!(classify("Tracking changes with git does not work well."), None);
        assert_eq!(classify("This is not a CPU speed issue, since my phone is new."), None);
        assert_eq!(
            classify("This is not a CPU issue but the export is slow.").unwrap().0,
            Cue::PainPoint
        );
    }

    #[test]
    fn hedges_rhetoric_and_meta_talk_are_not_claims() {
        for s in [
            "I could look it up, but I want to say probably around 2012.",
            "I'd love to list them off, but I completely just blanked on all the conferences.",
            "That's a good question, I want to think about it.",
            "This survey is too long and the questions are confusing.",
            "I can't remember the name of the tool we used.",
            "I don't even remember what answer we got, and that was kind of messy.",
            "(If this is annoying for people with sharp vision, it may be disabled.)",
        ] {
            assert_eq!(classify_answer(s, None, true), None, "{s}");
        }
        assert!(is_non_answer(" N/A "));
        assert!(is_non_answer("None."));
        assert!(!is_non_answer("None of the exports work"));
    }

    #[test]
    fn the_question_sets_the_polarity() {
        assert_eq!(
            question_frame("What needs does the product address?"),
            Some(QuestionFrame::Positive)
        );
        assert_eq!(
            question_frame("What makes it pleasant to use?"),
            Some(QuestionFrame::Positive)
        );
        assert_eq!(
            question_frame("What do you like least about it?"),
            Some(QuestionFrame::Negative)
        );
        assert_eq!(
            question_frame("What frustrates you most?"),
            Some(QuestionFrame::Negative)
        );
        assert_eq!(
            question_frame("What would you like the product to do next?"),
            Some(QuestionFrame::Wish)
        );
        assert_eq!(
            question_frame("What are your goals for next year?"),
            Some(QuestionFrame::Wish)
        );
        assert_eq!(question_frame("How often do you use it?"), Some(QuestionFrame::Habit));
        assert_eq!(
            question_frame("Tell us about your needs, priorities, desires and concerns"),
            None
        );
        let positive = Some("What makes it pleasant?");
        // A cue word of frustration in praise is not a pain point.
        assert_eq!(
            classify_answer("It never crashes and I can't imagine going back.", positive, true),
            None
        );
        assert_eq!(
            classify_answer("The keyboard shortcuts for every panel.", positive, true)
                .unwrap()
                .0,
            Cue::Motivation
        );
        assert_eq!(
            classify_answer(
                "I have taken to restarting the entire notebook.",
                Some("What frustrates you?"),
                true
            )
            .unwrap()
            .0,
            Cue::PainPoint
        );
        assert_eq!(
            classify_answer("Syncing my calendar with the team.", Some("What are your goals?"), true)
                .unwrap()
                .0,
            Cue::Goal
        );
        assert_eq!(
            classify_answer(
                "Syncing my calendar with the team.",
                Some("What are your goals?"),
                false
            ),
            None
        );
        assert_eq!(
            classify_answer("And he said, \"No, we can't do that.\"", None, true),
            None
        );
        assert_eq!(classify_answer("So I want to keep this short.", None, true), None);
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

    #[test]
    fn only_what_was_asked_frames_an_answer() {
        // A remark without a question frames nothing; the question of a longer turn does.
        assert_eq!(question_frame("Yeah. Thank you for doing that. It was great."), None);
        assert_eq!(
            question_frame("Thanks, that helps. What do you like about it?"),
            Some(QuestionFrame::Positive)
        );
        assert_eq!(
            question_frame("Aspect #1: What aspects make it difficult to use?"),
            Some(QuestionFrame::Negative)
        );
    }

    #[test]
    fn denials_and_habits_answering_a_problem_question_are_not_pain_points() {
        let asked = Some("What problems do you have with it?");
        assert_eq!(
            classify_answer("No, Jupyter Notebook generally runs well.", asked, true).map(|c| c.0),
            Some(Cue::Motivation)
        );
        assert_eq!(classify_answer("Nope, all fine here.", asked, true), None);
        assert_eq!(
            classify_answer("I usually export the notebook to a script first.", asked, true).map(|c| c.0),
            Some(Cue::Behaviour)
        );
        assert_eq!(
            classify_answer("Sharing code between notebooks.", asked, true).map(|c| c.0),
            Some(Cue::PainPoint)
        );
    }

    #[test]
    fn questions_without_a_question_mark_are_questions() {
        assert!(is_question("what command should i use to mount the system/"));
        assert!(is_question("Where/How do I update the list of package sources"));
        assert!(is_question("does anyone know a good forum"));
        assert!(is_question("Is it slow for you too?"));
        assert!(!is_question("When I go to the theme menu, my keyboard is selected."));
        assert!(!is_question("How I use notebooks: for teaching."));
        assert_eq!(classify("what command should i use to mount it"), None);
    }

    #[test]
    fn repeats_are_claims_saying_the_same_thing() {
        let keys = |t: &str| term_keys(t).into_iter().collect::<BTreeSet<String>>();
        assert!(repeats(
            &keys("I like the emojis for rating."),
            &keys("I like the idea of emojis for rating.")
        ));
        assert!(!repeats(
            &keys("Diffing notebooks in git is hard."),
            &keys("Vim keybindings are missing.")
        ));
        assert!(!repeats(&BTreeSet::new(), &keys("anything")));
    }

    #[test]
    fn contact_details_are_markup() {
        assert!(is_markup(
            "If you want more information, contact me: someone@example.com"
        ));
        assert!(!is_markup("I e-mail the team at the end of the day."));
    }
}
