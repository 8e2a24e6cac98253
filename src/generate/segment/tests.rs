use super::*;
use crate::domain::{Participant, Utterance};
use std::collections::BTreeMap;

/// (participant id, attributes, what they said)
type Person<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

fn corpus(people: &[Person]) -> Corpus {
    let mut corpus = Corpus::default();
    for (id, attributes, said) in people {
        corpus.participants.push(Participant {
            id: id.to_string(),
            attributes: attributes.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        });
        for (i, text) in said.iter().enumerate() {
            corpus.utterances.push(Utterance {
                question: None,
                participant_id: id.to_string(),
                source: 0,
                location: format!("line {}", i + 1),
                text: text.to_string(),
            });
        }
    }
    corpus
}

#[test]
fn separates_two_obvious_groups_and_names_their_terms() {
    let c = corpus(&[
        (
            "P1",
            &[("role", "Nurse"), ("age", "31")],
            &["Shift rota changes clash with ward handover.", "Thanks for having me."],
        ),
        (
            "P2",
            &[("role", "Nurse"), ("age", "35")],
            &["The ward rota and handover notes are a mess.", "Thanks for having me."],
        ),
        (
            "P3",
            &[("role", "Nurse"), ("age", "29")],
            &["Handover on the ward takes long; rota swaps too."],
        ),
        (
            "P4",
            &[("role", "Student"), ("age", "20")],
            &["My budget for textbooks and rent is tight.", "Thanks for having me."],
        ),
        (
            "P5",
            &[("role", "Student"), ("age", "21")],
            &["Rent eats my budget before textbooks.", "Thanks for having me."],
        ),
        (
            "P6",
            &[("role", "Student"), ("age", "19")],
            &["Textbooks cost more than my rent budget allows."],
        ),
    ]);
    let s = segment_corpus(&c, 2, 42);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let groups: Vec<Vec<String>> = s.segments.iter().map(|g| g.participant_ids.clone()).collect();
    assert!(
        groups.contains(&vec!["P1".into(), "P2".into(), "P3".into()]),
        "{groups:?}"
    );
    assert!(
        groups.contains(&vec!["P4".into(), "P5".into(), "P6".into()]),
        "{groups:?}"
    );
    let nurses = s.segments.iter().find(|g| g.participant_ids[0] == "P1").unwrap();
    assert!(
        nurses
            .top_terms
            .iter()
            .any(|t| t == "ward" || t == "rota" || t == "handover"),
        "{:?}",
        nurses.top_terms
    );
    assert_eq!(nurses.demographics.get("role").map(String::as_str), Some("Nurse"));
    assert_eq!(nurses.demographics.get("age_range").map(String::as_str), Some("29-35"));
    // Every utterance of the segment is listed, the most representative first.
    assert_eq!(nurses.utterances.len(), 5);
    assert!(c.utterances[nurses.utterances[0]].text.contains("ward"));
    assert_eq!(s.segments.iter().map(|g| g.index).collect::<Vec<_>>(), vec![0, 1]);
}

#[test]
fn fewer_segments_than_requested_when_data_cannot_support_them() {
    let c = corpus(&[
        ("P1", &[], &["Same words for everyone."]),
        ("P2", &[], &["Same words for everyone."]),
    ]);
    let s = segment_corpus(&c, 3, 1);
    assert_eq!(s.segments.len(), 1);
    assert!(s.warnings[0].contains("supports only 1"), "{:?}", s.warnings);

    let c = corpus(&[("P1", &[], &["Budget rent."]), ("P2", &[], &["Ward rota."])]);
    let s = segment_corpus(&c, 5, 1);
    assert_eq!(s.segments.len(), 2);
    assert!(s.warnings[0].contains("only 2 participants"), "{:?}", s.warnings);
}

#[test]
fn same_seed_same_segments() {
    let people: Vec<(String, Vec<String>)> = (0..40)
        .map(|i| {
            let theme = ["invoices ledger", "ward rota", "route van", "sketch palette"][i % 4];
            (
                format!("P{i:02}"),
                vec![format!("My {theme} work {i}."), format!("Again {theme}.")],
            )
        })
        .collect();
    let mut c = Corpus::default();
    for (id, said) in &people {
        c.participants.push(Participant {
            id: id.clone(),
            attributes: BTreeMap::new(),
        });
        for t in said {
            c.utterances.push(Utterance {
                question: None,
                participant_id: id.clone(),
                source: 0,
                location: "line 1".into(),
                text: t.clone(),
            });
        }
    }
    let a = segment_corpus(&c, 4, 7);
    assert_eq!(a, segment_corpus(&c, 4, 7));
    assert_eq!(a.segments.len(), 4);
    assert!(a.segments.iter().all(|s| s.participant_ids.len() == 10));
}

#[test]
fn participants_without_words_join_the_largest_segment() {
    let c = corpus(&[
        ("P1", &[], &["Budget rent textbooks."]),
        ("P2", &[], &["Budget rent textbooks again."]),
        ("P3", &[], &["Ward rota handover."]),
        ("P4", &[], &[]),
    ]);
    let s = segment_corpus(&c, 2, 3);
    let total: usize = s.segments.iter().map(|g| g.participant_ids.len()).sum();
    assert_eq!(total, 4);
}
