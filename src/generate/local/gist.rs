//! The gist of a persona in a sentence about its people: what they want most and what gets in
//! their way, told from their own top-ranked claims in the third person ("I wish I could share
//! the plan" becomes "They wish they could share the plan"). Only a claim said in the first
//! person can be retold this way without changing its meaning; other claims are left out.

/// Longest claim sentence retold, in words: longer ones read as a quotation, not a summary.
const MAX_WORDS: usize = 30;

/// Most words with digits or code symbols ("perl-base5.10", `KEY="value"`) in a retold claim:
/// a version string or a log line says nothing about people.
const MAX_TECHNICAL_WORDS: usize = 1;

/// How many of a list's top claims are tried for one that can be retold.
const TRIED: usize = 3;

/// "They want X. They hate Y." from the first retellable claim among the top goals (else
/// motivations) and the top pain points; `None` when no claim can be retold.
pub(super) fn gist(goals: &[String], pain_points: &[String], motivations: &[String]) -> Option<String> {
    let first = |list: &[String]| list.iter().take(TRIED).find_map(|c| retell(c));
    let want = first(goals).or_else(|| first(motivations));
    let struggle = first(pain_points);
    match (want, struggle) {
        (None, None) => None,
        (Some(one), None) | (None, Some(one)) => Some(one),
        (Some(want), Some(struggle)) => Some(format!("{want} {struggle}")),
    }
}

/// The claim's first sentence in the third person plural, ending with a full stop; `None` when it
/// does not open with a first-person subject ("I", "We", "My", "Our") or is too long.
fn retell(claim: &str) -> Option<String> {
    let sentence = first_sentence(claim);
    let words: Vec<&str> = sentence.split_whitespace().collect();
    if words.is_empty() || words.len() > MAX_WORDS || technical_words(&words) > MAX_TECHNICAL_WORDS {
        return None;
    }
    let (mut told, mut index) = match impersonal_opening(&words) {
        Some(opening) => opening,
        None => {
            let opener = words[0].trim_matches(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’');
            if !opens_in_first_person(opener) {
                return None;
            }
            (Vec::with_capacity(words.len()), 0)
        }
    };
    while index < words.len() {
        let (word, used) = swap(&words[index..]);
        told.push(word);
        index += used;
    }
    let mut out = told.join(" ");
    let trimmed = out.trim_end_matches(['.', ',', ';', ':', '!', '…', '-', '–', '—']);
    out.truncate(trimmed.len());
    if !out.ends_with('?') {
        out.push('.');
    }
    Some(capitalise(&out))
}

/// "It is frustrating that …" and "The problem is that …" say how the speaker feels without a
/// first-person subject: told as "They find it frustrating that …" and "Their problem is that …",
/// with the words used so far.
fn impersonal_opening(words: &[&str]) -> Option<(Vec<String>, usize)> {
    const LINKS: &[&str] = &["that", "when", "how", "to", "if"];
    const TROUBLES: &[&str] = &["problem", "issue", "challenge", "difficulty", "frustration"];
    let plain = |i: usize| words.get(i).map(|w| w.replace('’', "'"));
    let is_link = |i: usize| plain(i).is_some_and(|w| LINKS.contains(&w.as_str()));
    let adjective =
        |i: usize| plain(i).filter(|w| w.chars().all(|c| c.is_alphabetic()) && !LINKS.contains(&w.as_str()));
    match (plain(0).as_deref(), plain(1).as_deref()) {
        (Some("It"), Some("is")) if is_link(3) => {
            adjective(2).map(|adj| (vec!["They".into(), "find".into(), "it".into(), adj], 3))
        }
        (Some("It's"), _) if is_link(2) => {
            adjective(1).map(|adj| (vec!["They".into(), "find".into(), "it".into(), adj], 2))
        }
        (Some("The"), Some(trouble)) if TROUBLES.contains(&trouble) && plain(2).as_deref() == Some("is") => {
            Some((vec!["Their".into(), trouble.to_string()], 2))
        }
        _ => None,
    }
}

fn technical_words(words: &[&str]) -> usize {
    words
        .iter()
        .filter(|w| {
            w.chars()
                .any(|c| c.is_ascii_digit() || matches!(c, '=' | '/' | '_' | '\\' | '<' | '>' | '"'))
        })
        .count()
}

fn opens_in_first_person(word: &str) -> bool {
    let normalised = word.replace('’', "'");
    matches!(
        normalised.as_str(),
        "I" | "I'm" | "I've" | "I'd" | "I'll" | "We" | "We're" | "We've" | "We'd" | "We'll" | "My" | "Our"
    )
}

/// The text up to the first sentence end followed by a space (or all of it).
fn first_sentence(claim: &str) -> &str {
    let claim = claim.trim();
    let trimmed = claim.trim_start_matches(['"', '“', '\'', '‘']);
    let quoted = trimmed.len() < claim.len();
    let bytes: Vec<(usize, char)> = trimmed.char_indices().collect();
    for window in bytes.windows(2) {
        let ((at, c), (_, next)) = (window[0], window[1]);
        if matches!(c, '.' | '!' | '?') && next.is_whitespace() {
            return &trimmed[..at + c.len_utf8()];
        }
    }
    if quoted {
        trimmed.trim_end_matches(['"', '”', '\'', '’'])
    } else {
        trimmed
    }
}

/// The first word(s) of `words` in the third person plural, and how many words that used
/// ("I am" is two words told as "they are").
fn swap(words: &[&str]) -> (String, usize) {
    let word = words[0];
    let core_start = word.find(|c: char| c.is_alphanumeric()).unwrap_or(word.len());
    let core_end = word
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_alphanumeric())
        .map_or(core_start, |(i, c)| i + c.len_utf8());
    if core_start >= core_end {
        return (word.to_string(), 1);
    }
    let (lead, core, tail) = (&word[..core_start], &word[core_start..core_end], &word[core_end..]);
    let curly = core.contains('’');
    let plain = core.replace('’', "'");
    let next = words.get(1).map(|w| w.trim_end_matches(|c: char| !c.is_alphanumeric()));
    // "I am" / "I was" agree with "they"; the pair is told as one.
    if matches!(plain.as_str(), "I" | "we" | "We") && tail.is_empty() {
        match next {
            Some("am") => return (format!("{lead}they are{}", rest_of(words[1])), 2),
            Some("was") => return (format!("{lead}they were{}", rest_of(words[1])), 2),
            Some("wasn't") => return (format!("{lead}they weren't{}", rest_of(words[1])), 2),
            Some("wasn’t") => return (format!("{lead}they weren’t{}", rest_of(words[1])), 2),
            _ => {}
        }
    }
    let swapped = match plain.as_str() {
        "I" | "we" | "We" => "they",
        // "am" only ever goes with "I", also after other words ("I am new and am hoping").
        "am" => "are",
        "me" | "us" => "them",
        "my" | "My" | "our" | "Our" => "their",
        "mine" | "ours" => "theirs",
        "myself" | "ourselves" => "themselves",
        "I'm" | "we're" | "We're" => "they're",
        "I've" | "we've" | "We've" => "they've",
        "I'd" | "we'd" | "We'd" => "they'd",
        "I'll" | "we'll" | "We'll" => "they'll",
        _ => return (word.to_string(), 1),
    };
    let swapped = if curly {
        swapped.replace('\'', "’")
    } else {
        swapped.to_string()
    };
    (format!("{lead}{swapped}{tail}"), 1)
}

/// What follows a word's letters (its punctuation).
fn rest_of(word: &str) -> &str {
    let end = word
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_alphanumeric())
        .map_or(0, |(i, c)| i + c.len_utf8());
    &word[end..]
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(items: &[&str]) -> Vec<String> {
        items.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn first_person_claims_are_retold_about_the_people() {
        assert_eq!(
            retell("I wish I could share the plan with the grandparents who cook on Tuesdays.").as_deref(),
            Some("They wish they could share the plan with the grandparents who cook on Tuesdays.")
        );
        assert_eq!(
            retell("My problem is that recipes make four portions and I live alone.").as_deref(),
            Some("Their problem is that recipes make four portions and they live alone.")
        );
        assert_eq!(
            retell("I am fuelling performance, not losing weight; it matters to me").as_deref(),
            Some("They are fuelling performance, not losing weight; it matters to them.")
        );
        assert_eq!(
            retell("We try to plan lunches for our school too, and I’m tired of it!").as_deref(),
            Some("They try to plan lunches for their school too, and they’re tired of it.")
        );
    }

    #[test]
    fn impersonal_feelings_are_retold_about_the_people() {
        assert_eq!(
            retell("It is frustrating when recipes list calories but not macros, so I weigh everything myself.")
                .as_deref(),
            Some(
                "They find it frustrating when recipes list calories but not macros, so they weigh everything themselves."
            )
        );
        assert_eq!(
            retell("It’s annoying that the totals do not update").as_deref(),
            Some("They find it annoying that the totals do not update.")
        );
        assert_eq!(
            retell("The problem is that portion sizes are vague, a cup of rice means nothing to me.").as_deref(),
            Some("Their problem is that portion sizes are vague, a cup of rice means nothing to them.")
        );
    }

    #[test]
    fn a_lone_am_agrees_and_inner_quotes_stay() {
        assert_eq!(
            retell("I am quite new to programming and am hoping to find a community.").as_deref(),
            Some("They are quite new to programming and are hoping to find a community.")
        );
        assert_eq!(
            retell("I call it the \"inbox\"").as_deref(),
            Some("They call it the \"inbox\".")
        );
        assert_eq!(
            retell("“I want fewer steps.”").as_deref(),
            Some("They want fewer steps.")
        );
    }

    #[test]
    fn only_the_first_sentence_is_retold() {
        assert_eq!(
            retell("I want exact gram weights. The rest is noise to me.").as_deref(),
            Some("They want exact gram weights.")
        );
    }

    #[test]
    fn claims_not_in_the_first_person_or_too_long_are_left_out() {
        assert_eq!(retell("Difficult to share code between notebooks"), None);
        assert_eq!(retell("It works when I restart"), None);
        assert_eq!(retell("The app is slow"), None);
        assert_eq!(retell("I want liberperl5.8 but perl-base5.10.0-11 is installed"), None);
        let long = format!("I want {}", "more and ".repeat(20));
        assert_eq!(retell(&long), None);
        // "Imagine" starts with I but is no subject.
        assert_eq!(retell("Imagine a list that merges items"), None);
    }

    #[test]
    fn the_gist_joins_a_goal_and_a_pain_point() {
        let goals = s(&[
            "Better tools for sharing",
            "I want a shared list my partner can tick off.",
        ]);
        let pains = s(&["I hate wasting food."]);
        assert_eq!(
            gist(&goals, &pains, &[]).as_deref(),
            Some("They want a shared list their partner can tick off. They hate wasting food.")
        );
        assert_eq!(
            gist(&[], &pains, &s(&["I love that it is simple"])).as_deref(),
            Some("They love that it is simple. They hate wasting food.")
        );
        assert_eq!(gist(&s(&["Faster exports"]), &[], &[]), None);
    }
}
