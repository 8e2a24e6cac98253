//! Integrity of the real-data corpus (`tests/data/real/`): every annotation parses and still
//! matches its data, so that the tests built on it cannot silently rot.

use crate::support::real_corpus::{Kind, fold_label, real_corpus_root, real_datasets};
use std::collections::BTreeSet;
use std::collections::HashSet;

/// Licences whose terms allow keeping the data in this repository (SPDX ids).
const OPEN_LICENCES: &[&str] = &[
    "CC0-1.0",
    "CC-BY-2.0",
    "CC-BY-2.5",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "ODC-By-1.0",
    "PDDL-1.0",
    "MIT",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "Apache-2.0",
];

const MAX_FILE_BYTES: u64 = 1024 * 1024;

#[test]
fn every_annotation_names_a_data_folder_with_files_of_at_most_one_megabyte() {
    let datasets = real_datasets();
    assert!(
        !datasets.is_empty(),
        "no annotations under {}",
        real_corpus_root().display()
    );
    for dataset in &datasets {
        assert!(
            dataset.dir.is_dir(),
            "{}: no folder {}",
            dataset.name,
            dataset.dir.display()
        );
        let files = dataset.files();
        assert!(!files.is_empty(), "{}: empty data folder", dataset.name);
        for file in files {
            let size = std::fs::metadata(&file).expect("metadata").len();
            assert!(size <= MAX_FILE_BYTES, "{} is {size} bytes", file.display());
        }
    }
}

#[test]
fn every_data_folder_has_an_annotation() {
    let annotated: HashSet<String> = real_datasets().into_iter().map(|d| d.name).collect();
    for entry in std::fs::read_dir(real_corpus_root().join("datasets")).expect("datasets folder") {
        let name = entry.expect("entry").file_name().to_string_lossy().into_owned();
        assert!(
            annotated.contains(&name),
            "datasets/{name} has no annotations/{name}.toml"
        );
    }
}

#[test]
fn licences_are_open_and_sources_named() {
    for dataset in real_datasets() {
        let annotation = &dataset.annotation;
        assert!(
            OPEN_LICENCES.contains(&annotation.licence.as_str()),
            "{}: licence {} is not in the allowed set {OPEN_LICENCES:?}",
            dataset.name,
            annotation.licence
        );
        assert!(
            annotation.source.starts_with("https://"),
            "{}: source must be a URL: {}",
            dataset.name,
            annotation.source
        );
    }
}

#[test]
fn forbidden_strings_and_alias_labels_occur_in_the_data() {
    for dataset in real_datasets() {
        let annotation = &dataset.annotation;
        for forbidden in &annotation.evidence.forbidden {
            assert!(
                dataset.contains(forbidden),
                "{}: forbidden string not found in the data: {forbidden:?}",
                dataset.name
            );
        }
        for alias in &annotation.participants.aliases {
            assert!(!alias.labels.is_empty(), "{}: alias without labels", dataset.name);
            for label in &alias.labels {
                assert!(
                    dataset.contains(label),
                    "{}: alias label of {:?} not found in the data: {label:?}",
                    dataset.name,
                    alias.id
                );
            }
        }
    }
}

#[test]
fn annotated_columns_and_per_file_roles_occur_in_the_data() {
    for dataset in real_datasets() {
        let annotation = &dataset.annotation;
        if let Some(rows) = &annotation.rows {
            let columns = rows
                .text_columns
                .iter()
                .chain(&rows.metadata_columns)
                .chain(&rows.id_column)
                .chain(&rows.role_column);
            for column in columns {
                assert!(
                    dataset.contains(column),
                    "{}: column not found: {column:?}",
                    dataset.name
                );
            }
            assert!(
                !rows.text_columns.is_empty(),
                "{}: tabular data names no text column",
                dataset.name
            );
        }
        for roles in &annotation.participants.by_file {
            assert!(
                dataset.dir.join(&roles.file).is_file(),
                "{}: by_file names a missing file {}",
                dataset.name,
                roles.file
            );
        }
    }
}

#[test]
fn participant_ids_are_distinct_and_agree_with_the_count() {
    for dataset in real_datasets() {
        let participants = &dataset.annotation.participants;
        assert!(participants.count > 0, "{}: no participants", dataset.name);
        if participants.ids.is_empty() {
            continue;
        }
        let folded: HashSet<String> = participants.ids.iter().map(|id| fold_label(id)).collect();
        assert_eq!(
            folded.len(),
            participants.ids.len(),
            "{}: an id is listed twice",
            dataset.name
        );
        assert_eq!(
            participants.count,
            participants.ids.len(),
            "{}: count vs ids",
            dataset.name
        );
        let non_participants: HashSet<String> = participants
            .interviewers
            .iter()
            .chain(&participants.staff)
            .map(|label| fold_label(label))
            .collect();
        for id in &folded {
            assert!(
                !non_participants.contains(id),
                "{}: {id} is both a participant and an interviewer/staff (use by_file)",
                dataset.name
            );
        }
        let per_file: HashSet<String> = participants
            .by_file
            .iter()
            .flat_map(|roles| roles.interviewers.iter().chain(&roles.participants))
            .map(|label| fold_label(label))
            .collect();
        for alias in &participants.aliases {
            let id = fold_label(&alias.id);
            assert!(
                folded.contains(&id) || non_participants.contains(&id) || per_file.contains(&id),
                "{}: alias for {:?}, who is listed nowhere in [participants]",
                dataset.name,
                alias.id
            );
        }
    }
}

#[test]
fn corpus_covers_the_required_shapes() {
    let datasets = real_datasets();
    assert!(
        datasets.len() >= 8,
        "the corpus needs at least 8 datasets, has {}",
        datasets.len()
    );
    let kinds: BTreeSet<Kind> = datasets.iter().map(|d| d.annotation.kind).collect();
    let transcript_kinds = kinds.iter().filter(|kind| kind.is_transcript()).count();
    assert!(transcript_kinds >= 2, "both transcript styles are needed: {kinds:?}");
    for required in [Kind::Captions, Kind::IssueTracker, Kind::Reviews] {
        assert!(kinds.contains(&required), "no {required:?} dataset: {kinds:?}");
    }
    let survey_platforms: BTreeSet<String> = datasets
        .iter()
        .filter(|d| d.annotation.kind == Kind::Survey)
        .filter_map(|d| d.annotation.platform.as_deref().map(fold_label))
        .collect();
    assert!(
        survey_platforms.len() >= 3,
        "surveys from at least three platforms are needed: {survey_platforms:?}"
    );
}
