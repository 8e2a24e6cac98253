//! What the model is shown: a sample of the segment's evidence, labelled `E1`, `E2`, … and
//! sized to the token budget, and the instructions and schema of the persona JSON.

use crate::domain::Corpus;
use crate::generate::types::Segment;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Longest excerpt shown, in characters: a long transcript paragraph is cut (at a word boundary)
/// so that one utterance cannot take the whole budget.
const MAX_EXCERPT_CHARS: usize = 1200;

/// One utterance as shown to the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Excerpt {
    /// `E1`, `E2`, … in the order shown.
    pub id: String,
    /// Index into `Corpus::utterances`.
    pub utterance: usize,
    /// The utterance text, or its beginning when it is long: always verbatim source text.
    pub text: String,
}

/// Tokens of `text`, estimated as characters / 4 (rounded up): close enough for budgeting
/// across providers without shipping a tokenizer per model.
pub(crate) fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(4)
}

/// The beginning of `text`, at most `max_chars` characters, cut at a word boundary when possible.
pub(crate) fn cut_at_word(text: &str, max_chars: usize) -> &str {
    let Some((limit, _)) = text.char_indices().nth(max_chars) else {
        return text;
    };
    let head = &text[..limit];
    match head.rfind(char::is_whitespace) {
        Some(space) if space > limit / 2 => head[..space].trim_end(),
        _ => head,
    }
}

/// Samples the segment's utterances to fit `budget_tokens`: in the order of
/// [`crate::generate::local::rank_claim_utterances`] (claim candidates first), but taking
/// one utterance per participant in turn so that every voice is heard before anyone's second.
/// At least one excerpt is always returned when the segment has utterances.
pub(crate) fn sample_evidence(corpus: &Corpus, segment: &Segment, budget_tokens: usize) -> Vec<Excerpt> {
    // Participants in order of their most representative utterance; each with their queue.
    let mut queues: Vec<(&str, Vec<usize>)> = Vec::new();
    // The local provider's ranking: utterances holding claim candidates first, non-answers out.
    for index in crate::generate::local::rank_claim_utterances(corpus, segment) {
        let Some(utterance) = corpus.utterances.get(index) else {
            continue;
        };
        if utterance.text.trim().is_empty() {
            continue;
        }
        match queues.iter_mut().find(|(p, _)| *p == utterance.participant_id) {
            Some((_, queue)) => queue.push(index),
            None => queues.push((&utterance.participant_id, vec![index])),
        }
    }
    let mut chosen: Vec<(usize, String)> = Vec::new();
    let mut used = 0usize;
    let mut round = 0usize;
    loop {
        let mut any_left = false;
        for (_, queue) in &queues {
            let Some(&index) = queue.get(round) else {
                continue;
            };
            any_left = true;
            let utterance = &corpus.utterances[index];
            let text = cut_at_word(utterance.text.trim(), MAX_EXCERPT_CHARS).to_string();
            let cost = estimate_tokens(&excerpt_block(
                "E00",
                &utterance.participant_id,
                corpus.source_path(utterance),
                &utterance.location,
                &text,
            ));
            if used + cost <= budget_tokens || chosen.is_empty() {
                used += cost;
                chosen.push((index, text));
            }
        }
        if !any_left {
            break;
        }
        round += 1;
    }
    chosen
        .into_iter()
        .enumerate()
        .map(|(i, (utterance, text))| Excerpt {
            id: format!("E{}", i + 1),
            utterance,
            text,
        })
        .collect()
}

/// Attribute values are quoted; a `"` inside one would end it early.
fn attribute(value: &str) -> String {
    value.replace('"', "&quot;")
}

fn excerpt_block(id: &str, participant: &str, source: &str, location: &str, text: &str) -> String {
    format!(
        "<excerpt id=\"{id}\" participant=\"{}\" source=\"{}\" location=\"{}\">\n{text}\n</excerpt>\n",
        attribute(participant),
        attribute(source),
        attribute(location)
    )
}

/// The instructions and output template (from [`super::schema`]), the same for every persona.
pub(crate) fn system_prompt() -> String {
    format!(
        r#"You write one user persona for a product team from user-research evidence.

You are given the facts of one segment of research participants (chosen by a clustering step; do not question who belongs to it) and numbered excerpts of what those participants said or wrote. Write the persona that represents this segment.

Rules:
- Use only the excerpts you are given. Do not invent facts, numbers, products or events.
- Every goal, pain point, motivation and behaviour must cite the excerpts that support it, by id ("E3"), and use their words: a claim its excerpts do not say is removed.
- Every quote must be an exact copy of (part of) one excerpt: same words, same spelling, same capitalisation. Cite the excerpt it comes from. Never paraphrase a quote.
- Claims or quotes without valid excerpt ids are removed afterwards, so cite carefully.
- Give the persona a realistic full name and a short descriptive title ("The Road-Warrior Seller").
- Aim for 2 to {max_claims} goals, pain points, motivations and behaviours each, and 2 to {max_quotes} quotes, as the evidence allows. Keep each claim under {max_claim} characters.
- Replace every placeholder below with the persona's own values.

Reply with only a JSON object of this shape, and nothing else:
{template}"#,
        max_claims = super::schema::MAX_CLAIMS,
        max_quotes = super::schema::MAX_QUOTES,
        max_claim = super::schema::MAX_CLAIM_CHARS,
        template = super::schema::template(),
    )
}

/// The segment's facts and its excerpts. `others` are the distinctive terms of the run's other
/// segments, so that the model can make this persona distinct from them.
pub(crate) fn user_prompt(
    corpus: &Corpus,
    segment: &Segment,
    excerpts: &[Excerpt],
    position: (usize, usize),
    others: &[&[String]],
) -> String {
    let mut text = String::new();
    let (index, total) = position;
    let _ = writeln!(text, "Persona {} of {total}.", index + 1);
    let _ = writeln!(
        text,
        "Segment size: {} participant{}.",
        segment.participant_ids.len(),
        if segment.participant_ids.len() == 1 { "" } else { "s" }
    );
    if !segment.demographics.is_empty() {
        let facts: BTreeMap<&str, &str> = segment
            .demographics
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let facts: Vec<String> = facts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = writeln!(text, "Dominant demographics: {}.", facts.join("; "));
    }
    if !segment.top_terms.is_empty() {
        let _ = writeln!(text, "Distinctive terms: {}.", segment.top_terms.join(", "));
    }
    let others: Vec<String> = others
        .iter()
        .filter(|terms| !terms.is_empty())
        .map(|terms| terms.iter().take(5).cloned().collect::<Vec<_>>().join(", "))
        .collect();
    if !others.is_empty() {
        let _ = writeln!(
            text,
            "Other personas of this run stand for segments marked by: {}. Make this one distinct.",
            others.join(" | ")
        );
    }
    let _ = writeln!(
        text,
        "\n{} excerpts (of {} utterances in the segment):\n",
        excerpts.len(),
        segment.utterances.len()
    );
    for excerpt in excerpts {
        let utterance = &corpus.utterances[excerpt.utterance];
        text.push_str(&excerpt_block(
            &excerpt.id,
            &utterance.participant_id,
            corpus.source_path(utterance),
            &utterance.location,
            &excerpt.text,
        ));
    }
    text.push_str("\nReply with only the JSON object.");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Participant, SourceFile, Utterance};

    fn corpus(utterances: &[(&str, &str)]) -> Corpus {
        let mut participants: Vec<String> = utterances.iter().map(|(p, _)| p.to_string()).collect();
        participants.sort();
        participants.dedup();
        Corpus {
            participants: participants
                .into_iter()
                .map(|id| Participant {
                    id,
                    attributes: Default::default(),
                })
                .collect(),
            utterances: utterances
                .iter()
                .enumerate()
                .map(|(i, (p, t))| Utterance {
                    question: None,
                    participant_id: p.to_string(),
                    source: 0,
                    location: format!("line {}", i + 2),
                    text: t.to_string(),
                })
                .collect(),
            sources: vec![SourceFile {
                path: "notes \"a\".csv".into(),
                format: "csv".into(),
                bytes: 1,
                sha256: String::new(),
                participants: 0,
                utterances: 0,
            }],
            ..Default::default()
        }
    }

    fn segment(utterances: Vec<usize>) -> Segment {
        Segment {
            index: 0,
            participant_ids: vec!["P1".into(), "P2".into()],
            top_terms: vec!["invoices".into()],
            demographics: [("role".to_string(), "Accountant".to_string())].into(),
            utterances,
        }
    }

    #[test]
    fn sampling_takes_one_per_participant_in_turn_within_the_budget() {
        let c = corpus(&[
            ("P1", "first from one"),
            ("P1", "second from one"),
            ("P1", "third from one"),
            ("P2", "first from two"),
        ]);
        let all = sample_evidence(&c, &segment(vec![0, 1, 2, 3]), 10_000);
        let order: Vec<usize> = all.iter().map(|e| e.utterance).collect();
        assert_eq!(order, vec![0, 3, 1, 2]);
        assert_eq!(all[0].id, "E1");
        assert_eq!(all[3].id, "E4");
        let one_block = estimate_tokens(&excerpt_block(
            "E00",
            "P1",
            &c.sources[0].path,
            "line 2",
            "first from one",
        ));
        let two = sample_evidence(&c, &segment(vec![0, 1, 2, 3]), one_block * 2 + 1);
        assert_eq!(two.iter().map(|e| e.utterance).collect::<Vec<_>>(), vec![0, 3]);
        let tiny = sample_evidence(&c, &segment(vec![0, 1, 2, 3]), 1);
        assert_eq!(tiny.len(), 1, "one excerpt even when the budget is too small");
    }

    #[test]
    fn long_utterances_are_cut_at_a_word_and_stay_verbatim() {
        let long = "word ".repeat(600);
        let c = corpus(&[("P1", &long)]);
        let sample = sample_evidence(&c, &segment(vec![0]), 100_000);
        assert!(sample[0].text.chars().count() <= MAX_EXCERPT_CHARS);
        assert!(long.starts_with(&sample[0].text));
        assert!(sample[0].text.ends_with("word"));
    }

    #[test]
    fn the_user_prompt_lists_facts_and_labelled_excerpts() {
        let c = corpus(&[("P1", "I reconcile invoices by hand"), ("P2", "Exports break")]);
        let s = segment(vec![0, 1]);
        let excerpts = sample_evidence(&c, &s, 10_000);
        let others: Vec<String> = vec!["travel".into()];
        let prompt = user_prompt(&c, &s, &excerpts, (1, 3), &[&others]);
        assert!(prompt.starts_with("Persona 2 of 3."));
        assert!(prompt.contains("Segment size: 2 participants."));
        assert!(prompt.contains("role: Accountant"));
        assert!(prompt.contains("Distinctive terms: invoices."));
        assert!(prompt.contains("travel"));
        assert!(prompt.contains(
            "<excerpt id=\"E1\" participant=\"P1\" source=\"notes &quot;a&quot;.csv\" location=\"line 2\">\nI reconcile invoices by hand\n</excerpt>"
        ));
        assert!(system_prompt().contains("\"quotes\""));
    }
}
