//! Generation runs end to end (segmentation, local synthesis, output folder) on planted corpora
//! with known groups.

use persona::config::Settings;
use persona::domain::persona::normalise_whitespace;
use persona::domain::{Corpus, IdKind, Participant, Persona, Utterance};
use persona::error::Error;
use persona::generate::synthetic::{PlantedCorpus, PlantedSpec, Vocabulary, adjusted_rand_index, persona_labels};
use persona::generate::{
    GenerationSettings, NoProgress, Progress, RunMetadata, RunOutcome, RunRequest, Step, assign_run_context,
    execute_corpus_run, execute_run,
};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

fn request(output_dir: &Path, count: usize, seed: u64) -> RunRequest {
    RunRequest {
        data_path: "planted.csv".into(),
        generation: GenerationSettings {
            count,
            seed,
            provider: "local".into(),
            model: None,
            options: Default::default(),
        },
        run_id: None,
        experiment_id: None,
        output_dir: output_dir.to_path_buf(),
        confine_to: None,
    }
}

fn run(corpus: Corpus, request: &RunRequest) -> Result<RunOutcome, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(execute_corpus_run(corpus, request, &Settings::default(), &NoProgress))
}

/// ARI of the personas' participants against the planted groups.
fn ari(planted: &PlantedCorpus, personas: &[Persona]) -> f64 {
    let ids: Vec<String> = planted.participants.iter().map(|p| p.id.clone()).collect();
    let truth: Vec<usize> = planted.participants.iter().map(|p| p.group).collect();
    let predicted = persona_labels(personas, &ids);
    assert!(
        predicted.iter().all(|&l| l != usize::MAX),
        "every participant belongs to a persona"
    );
    adjusted_rand_index(&truth, &predicted)
}

/// Every claim, quote and excerpt is verbatim text of some utterance (whitespace aside).
fn assert_verbatim(corpus: &Corpus, personas: &[Persona]) {
    let texts: Vec<String> = corpus
        .utterances
        .iter()
        .map(|u| normalise_whitespace(&u.text))
        .collect();
    let appears = |s: &str| texts.iter().any(|t| t.contains(&normalise_whitespace(s)));
    for p in personas {
        for item in p
            .goals
            .iter()
            .chain(&p.pain_points)
            .chain(&p.behaviours)
            .chain(&p.quotes)
        {
            assert!(appears(item), "not verbatim: {item:?}");
        }
        for e in &p.evidence {
            assert!(appears(&e.excerpt), "not verbatim: {e:?}");
            assert!(
                p.participants.contains(&e.participant_id),
                "evidence from outside the segment: {e:?}"
            );
        }
        assert!(p.unevidenced_claims().is_empty(), "{:?}", p.unevidenced_claims());
    }
}

#[test]
fn planted_groups_are_recovered() {
    let dir = tempfile::tempdir().unwrap();
    for (groups, per_group, seed) in [(4, 25, 1), (5, 20, 2), (6, 20, 3), (8, 15, 4), (8, 30, 5)] {
        let planted = PlantedCorpus::generate(&PlantedSpec::equal(groups, per_group, seed));
        let outcome = run(planted.to_corpus(), &request(dir.path(), groups, 42 + seed)).unwrap();
        assert_eq!(outcome.personas.len(), groups);
        let score = ari(&planted, &outcome.personas);
        assert!(score >= 0.9, "{groups} groups, seed {seed}: ARI {score:.3}");
    }
}

#[test]
fn planted_groups_of_unequal_sizes_in_unseen_wording_are_recovered() {
    let dir = tempfile::tempdir().unwrap();
    for (sizes, filler, seed) in [
        (vec![50, 25, 12, 6], 0.5, 11),
        (vec![20, 20, 20, 20, 20, 20], 0.6, 12),
        (vec![30, 10, 30, 10, 20], 0.4, 13),
    ] {
        let spec = PlantedSpec {
            group_sizes: sizes.clone(),
            utterances_per_participant: 6,
            filler_share: filler,
            crosstalk_share: 0.05,
            role_fidelity: 0.5,
            vocabulary: Vocabulary::Alternate,
            seed,
        };
        let planted = PlantedCorpus::generate(&spec);
        let outcome = run(planted.to_corpus(), &request(dir.path(), sizes.len(), 7)).unwrap();
        let score = ari(&planted, &outcome.personas);
        assert!(score >= 0.9, "{sizes:?}, filler {filler}: ARI {score:.3}");
    }
}

#[test]
fn claims_are_verbatim_evidenced_and_come_from_the_segment() {
    let dir = tempfile::tempdir().unwrap();
    let planted = PlantedCorpus::generate(&PlantedSpec::equal(4, 20, 21));
    let corpus = planted.to_corpus();
    let outcome = run(corpus.clone(), &request(dir.path(), 4, 1)).unwrap();
    assert_verbatim(&corpus, &outcome.personas);
    for p in &outcome.personas {
        for list in [&p.goals, &p.pain_points, &p.behaviours, &p.quotes] {
            assert!((3..=5).contains(&list.len()), "{}: {list:?}", p.name);
        }
        assert_eq!(p.segment_size, p.participants.len());
        assert!(p.title.starts_with("The "), "{}", p.title);
        assert!(p.demographics.contains_key("role") && p.demographics.contains_key("age_range"));
        assert!(
            !p.goals
                .iter()
                .chain(&p.quotes)
                .any(|q| q.contains("Thanks for having me"))
        );
    }
    let names: BTreeSet<&str> = outcome.personas.iter().map(|p| p.name.as_str()).collect();
    let titles: BTreeSet<&str> = outcome.personas.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(names.len(), 4);
    assert_eq!(titles.len(), 4);
}

#[test]
fn same_input_count_and_seed_give_byte_identical_personas_json() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = PlantedCorpus::generate(&PlantedSpec::equal(5, 12, 8)).to_corpus();
    let a = run(corpus.clone(), &request(&dir.path().join("a"), 5, 9)).unwrap();
    let b = run(corpus.clone(), &request(&dir.path().join("b"), 5, 9)).unwrap();
    assert_ne!(a.output_path, b.output_path);
    let bytes = |o: &RunOutcome| std::fs::read(o.output_path.join("personas.json")).unwrap();
    assert_eq!(bytes(&a), bytes(&b));
    assert!(
        a.personas
            .iter()
            .all(|p| IdKind::Persona.matches(&p.id) && p.run_id.is_none() && p.created_at.is_none())
    );
    let other_seed = run(corpus, &request(&dir.path().join("c"), 5, 10)).unwrap();
    let ids = |o: &RunOutcome| o.personas.iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    assert_ne!(ids(&a), ids(&other_seed));
}

fn tiny_corpus(texts: &[(&str, &str)]) -> Corpus {
    let mut corpus = Corpus::default();
    for (i, (id, text)) in texts.iter().enumerate() {
        if !corpus.participants.iter().any(|p| p.id == *id) {
            corpus.participants.push(Participant {
                id: id.to_string(),
                attributes: Default::default(),
            });
        }
        corpus.utterances.push(Utterance {
            question: None,
            participant_id: id.to_string(),
            source: 0,
            location: format!("line {}", i + 2),
            text: text.to_string(),
        });
    }
    corpus
}

#[test]
fn count_above_what_the_data_supports_gives_fewer_distinct_personas_and_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = tiny_corpus(&[
        ("A", "I want to plan my garden beds before spring arrives."),
        ("B", "It is frustrating when the invoices pile up at month end."),
        ("C", "I need to book the pottery studio before my evening class."),
    ]);
    // One participant and one claim each: below the default minimums, so this takes them at 1.
    let mut lenient = request(dir.path(), 5, 1);
    lenient
        .generation
        .options
        .insert("min_segment_size".into(), serde_json::json!(1));
    lenient
        .generation
        .options
        .insert("min_claims".into(), serde_json::json!(1));
    let outcome = run(corpus.clone(), &lenient).unwrap();
    assert_eq!(outcome.personas.len(), 3);
    assert!(
        outcome.warnings.iter().any(|w| w.contains("only 3 participants")),
        "{:?}",
        outcome.warnings
    );
    assert_eq!(outcome.metadata.count_requested, 5);
    assert_eq!(outcome.metadata.count_produced, 3);
    assert_verbatim(&corpus, &outcome.personas);
    // With the defaults, every one-claim persona is dropped: the run ends with no persona and
    // an error naming each drop, and its metadata.json keeps the warnings and the error.
    let defaults_dir = tempfile::tempdir().unwrap();
    let error = run(corpus.clone(), &request(defaults_dir.path(), 5, 1)).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("no persona could be made from this data"),
        "{message}"
    );
    assert_eq!(message.matches("was dropped").count(), 3, "{message}");
    assert!(message.contains("set min_claims to 1"), "{message}");
    match &error {
        Error::InvalidInput { details, .. } => {
            assert_eq!(details["reason"], "no_usable_persona", "{details}");
        }
        other => panic!("expected invalid input, got {other:?}"),
    }
    let folders: Vec<_> = std::fs::read_dir(defaults_dir.path()).unwrap().collect();
    assert_eq!(folders.len(), 1, "one run folder");
    let folder = folders[0].as_ref().unwrap().path();
    let metadata: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(metadata["count_produced"], 0);
    assert_eq!(metadata["error"], message.as_str());
    let dropped = metadata["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| {
            w.as_str()
                .is_some_and(|w| w.contains("was dropped") && w.contains("min_claims 2"))
        })
        .count();
    assert_eq!(dropped, 3, "{metadata}");
    // The configured default (generation.min_claims, PERSONA_GENERATION_MIN_CLAIMS) reaches the
    // synthesiser like a request's config does: 1 asks for every persona, so the run keeps one.
    let mut settings = Settings::default();
    settings.generation.min_claims = 1;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let configured = runtime
        .block_on(execute_corpus_run(
            corpus.clone(),
            &request(defaults_dir.path(), 5, 1),
            &settings,
            &NoProgress,
        ))
        .unwrap();
    assert!(!configured.personas.is_empty(), "{:?}", configured.warnings);
    assert_eq!(configured.metadata.config["min_claims"], 1);

    // Everyone said the same: one persona, not three copies (a one-claim persona, so asked for).
    let same = tiny_corpus(&[
        ("A", "I want the export to work every single time."),
        ("B", "I want the export to work every single time."),
        ("C", "I want the export to work every single time."),
    ]);
    let outcome = run(same, &lenient).unwrap();
    assert_eq!(outcome.personas.len(), 1);
    assert_eq!(outcome.personas[0].participants, vec!["A", "B", "C"]);
    assert!(!outcome.warnings.is_empty());
}

#[test]
fn output_folder_holds_personas_cards_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = PlantedCorpus::generate(&PlantedSpec::equal(3, 10, 5)).to_corpus();
    let mut req = request(dir.path(), 3, 4);
    req.generation
        .options
        .insert("detail_level".into(), serde_json::json!("detailed"));
    let outcome = run(corpus, &req).unwrap();
    let folder = &outcome.output_path;
    assert_eq!(folder.parent().unwrap(), dir.path());
    let name = folder.file_name().unwrap().to_str().unwrap();
    let (stamp, suffix) = name.split_once('-').unwrap();
    assert_eq!(stamp.len(), 15, "{name}");
    assert!(
        suffix.len() == 8 && suffix.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );

    let personas: Vec<Persona> = serde_json::from_slice(&std::fs::read(folder.join("personas.json")).unwrap()).unwrap();
    assert_eq!(personas, outcome.personas);
    for (i, persona) in personas.iter().enumerate() {
        let card = folder.join("personas").join(format!("{:02}", i + 1));
        let single: Persona = serde_json::from_slice(&std::fs::read(card.join("persona.json")).unwrap()).unwrap();
        assert_eq!(&single, persona);
        let md = std::fs::read_to_string(card.join("persona.md")).unwrap();
        assert!(md.starts_with(&format!("# {}\n", persona.name)));
        assert!(md.contains("## Evidence") && md.contains("[E1]"), "{md}");
        let quality = persona.quality.as_ref().unwrap();
        let line = format!(
            "- Quality: {:.2} / 100 ({})\n",
            quality["overall_score"].as_f64().unwrap(),
            quality["level"].as_str().unwrap()
        );
        assert!(md.contains(&line), "{md}");
    }
    let leftovers: Vec<_> = walk(folder).into_iter().filter(|p| p.contains(".tmp-")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let metadata: RunMetadata = serde_json::from_slice(&std::fs::read(folder.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(metadata, outcome.metadata);
    assert!(metadata.generated_at.ends_with('Z'));
    assert_eq!(
        (metadata.provider.as_str(), metadata.model.as_str()),
        ("local", "local-v1")
    );
    assert_eq!(
        (metadata.count_requested, metadata.count_produced, metadata.seed),
        (3, 3, 4)
    );
    assert_eq!(metadata.config["detail_level"], "detailed");
    // The options in effect, defaults included, are recorded.
    assert_eq!(metadata.config["min_claims"], 2);
    assert_eq!(metadata.participants, 30);
    assert_eq!(metadata.sources[0].path, "planted.csv");
    assert_eq!(metadata.usage.requests, 0);
    // Quality: each persona carries its score, the metadata the run summary (no per-persona copy).
    let summary = metadata.quality.as_ref().expect("the run's quality summary");
    assert_eq!(summary["persona_count"], 3);
    assert_eq!(summary["preset"], "default");
    assert!(summary.get("scores").is_none(), "{summary}");
    let matrix = summary["distinctiveness_matrix"].as_array().unwrap();
    assert_eq!(matrix.len(), 3);
    assert!(matrix.iter().enumerate().all(|(i, row)| row[i] == 100.0), "{summary}");
    let overall: Vec<f64> = personas
        .iter()
        .map(|p| {
            p.quality.as_ref().expect("each persona's quality")["overall_score"]
                .as_f64()
                .unwrap()
        })
        .collect();
    let mean = overall.iter().sum::<f64>() / overall.len() as f64;
    assert!(
        (summary["average_score"].as_f64().unwrap() - mean).abs() < 0.01,
        "{summary}"
    );
    for persona in &personas {
        let quality = persona.quality.as_ref().unwrap();
        assert_eq!(quality["persona_id"], persona.id.as_str());
        assert_eq!(quality["dimensions"].as_object().unwrap().len(), 5, "{quality}");
    }
    let raw: serde_json::Value = serde_json::from_slice(&std::fs::read(folder.join("metadata.json")).unwrap()).unwrap();
    for key in [
        "generated_at",
        "provider",
        "model",
        "count_requested",
        "count_produced",
        "seed",
        "config",
        "sources",
        "skipped",
        "warnings",
        "duration_ms",
        "usage",
        "grounding",
    ] {
        assert!(raw.get(key).is_some(), "metadata lacks {key}");
    }
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

/// Records steps and asks to stop once a given step has been reported.
struct CancelAfter {
    step: Step,
    seen: Mutex<Vec<Step>>,
}

impl Progress for CancelAfter {
    fn step(&self, step: Step, _message: &str) {
        self.seen.lock().unwrap().push(step);
    }
    fn cancelled(&self) -> bool {
        self.seen.lock().unwrap().contains(&self.step)
    }
}

#[test]
fn cancellation_stops_the_run_between_steps() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = PlantedCorpus::generate(&PlantedSpec::equal(3, 8, 2)).to_corpus();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (after, expected) in [
        (Step::Segmenting, vec![Step::Segmenting]),
        (Step::Synthesising, vec![Step::Segmenting, Step::Synthesising]),
        (Step::Scoring, vec![Step::Segmenting, Step::Synthesising, Step::Scoring]),
    ] {
        let progress = CancelAfter {
            step: after,
            seen: Mutex::new(Vec::new()),
        };
        let result = runtime.block_on(execute_corpus_run(
            corpus.clone(),
            &request(dir.path(), 3, 1),
            &Settings::default(),
            &progress,
        ));
        assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
        assert_eq!(*progress.seen.lock().unwrap(), expected);
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).map(|d| d.count()).unwrap_or(0),
        0,
        "no output written"
    );

    let progress = CancelAfter {
        step: Step::Done,
        seen: Mutex::new(Vec::new()),
    };
    runtime
        .block_on(execute_corpus_run(
            corpus,
            &request(dir.path(), 3, 1),
            &Settings::default(),
            &progress,
        ))
        .unwrap();
    let seen = progress.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![
            Step::Segmenting,
            Step::Synthesising,
            Step::Scoring,
            Step::Writing,
            Step::Done
        ]
    );
    let percentages: Vec<u8> = seen.iter().map(|s| s.progress()).collect();
    assert!(percentages.windows(2).all(|w| w[0] < w[1]) && percentages.last() == Some(&100));
}

#[test]
fn run_context_gives_fresh_ids_to_every_persona() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = PlantedCorpus::generate(&PlantedSpec::equal(3, 8, 6)).to_corpus();
    let plain = run(corpus.clone(), &request(dir.path(), 3, 1)).unwrap();
    let mut req = request(dir.path(), 3, 1);
    req.run_id = Some("run-0123456789abcdef".into());
    req.experiment_id = Some("exp-0123456789abcdef".into());
    let with_context = run(corpus, &req).unwrap();
    for (a, b) in plain.personas.iter().zip(&with_context.personas) {
        assert_ne!(a.id, b.id);
        assert!(IdKind::Persona.matches(&b.id));
        assert_eq!(b.run_id.as_deref(), Some("run-0123456789abcdef"));
        assert_eq!(b.experiment_id.as_deref(), Some("exp-0123456789abcdef"));
        assert!(b.created_at.as_deref().is_some_and(|t| t.ends_with('Z')));
        assert_eq!((&a.goals, &a.participants), (&b.goals, &b.participants));
    }
    assert_eq!(with_context.metadata.run_id.as_deref(), Some("run-0123456789abcdef"));

    let mut personas = plain.personas.clone();
    assign_run_context(
        &mut personas,
        "run-aaaaaaaaaaaa",
        "exp-bbbbbbbbbbbb",
        "2026-01-01T00:00:00.000Z",
    );
    let ids: BTreeSet<&str> = personas.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), personas.len());
    assert!(
        personas
            .iter()
            .all(|p| p.created_at.as_deref() == Some("2026-01-01T00:00:00.000Z"))
    );
}

#[test]
fn bad_count_and_unavailable_providers_are_rejected_before_work() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = tiny_corpus(&[("A", "I want a garden.")]);
    for count in [0, 21] {
        let err = run(corpus.clone(), &request(dir.path(), count, 1)).unwrap_err();
        assert!(matches!(err, Error::Validation { .. }), "{err:?}");
        assert!(err.to_string().contains("count"), "{err}");
    }
    let mut req = request(dir.path(), 1, 1);
    req.generation.provider = "openai".into();
    let err = run(corpus.clone(), &req).unwrap_err();
    assert!(
        err.to_string()
            .contains("provider openai is not configured: set OPENAI_API_KEY"),
        "{err}"
    );
    req.generation.provider = "nope".into();
    let err = run(corpus.clone(), &req).unwrap_err();
    assert!(err.to_string().contains("unknown provider"), "{err}");
    let err = run(Corpus::default(), &request(dir.path(), 1, 1)).unwrap_err();
    assert!(
        matches!(err, Error::InvalidInput { .. }) && err.to_string().contains("no participants"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// Writes a planted corpus in one format and returns the data path.
fn write_planted(planted: &PlantedCorpus, dir: &Path, format: &str) -> std::path::PathBuf {
    let path = match format {
        "csv" => dir.join("interviews.csv"),
        "markdown" => dir.join("transcripts"),
        "json" => dir.join("survey.json"),
        "jsonl" => dir.join("responses.jsonl"),
        other => panic!("unknown format {other}"),
    };
    match format {
        "csv" => planted.write_csv(&path),
        "markdown" => planted.write_markdown(&path),
        "json" => planted.write_json(&path),
        _ => planted.write_jsonl(&path),
    }
    .unwrap();
    path
}

/// Every claim, quote and excerpt appears verbatim (whitespace aside) in the input files, and
/// each excerpt is found at the place its evidence names.
fn assert_verbatim_in_files(data: &Path, personas: &[Persona]) {
    let root = if data.is_dir() {
        data.to_path_buf()
    } else {
        data.parent().unwrap().to_path_buf()
    };
    let read = |source: &str| std::fs::read_to_string(root.join(source)).unwrap();
    let all: String = if data.is_dir() {
        walk(data)
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        std::fs::read_to_string(data).unwrap()
    };
    let all = normalise_whitespace(&all);
    for p in personas {
        for item in p
            .goals
            .iter()
            .chain(&p.pain_points)
            .chain(&p.behaviours)
            .chain(&p.quotes)
        {
            assert!(all.contains(&normalise_whitespace(item)), "not in the input: {item:?}");
        }
        assert!(p.unevidenced_claims().is_empty());
        for e in &p.evidence {
            let excerpt = normalise_whitespace(&e.excerpt);
            let text = read(&e.source);
            let at = if let Some(line) = e.location.strip_prefix("line ") {
                let n: usize = line.parse().unwrap();
                text.lines().nth(n - 1).unwrap().to_string()
            } else {
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                value
                    .pointer(&e.location)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            assert!(
                normalise_whitespace(&at).contains(&excerpt),
                "{e:?} not at its location: {at:?}"
            );
        }
    }
}

#[test]
fn planted_groups_are_recovered_from_csv_markdown_json_and_jsonl_files() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (format, groups, seed) in [
        ("csv", 4, 31),
        ("csv", 8, 32),
        ("markdown", 5, 33),
        ("markdown", 6, 34),
        ("json", 6, 35),
        ("json", 4, 36),
        ("jsonl", 8, 37),
        ("jsonl", 5, 38),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let planted = PlantedCorpus::generate(&PlantedSpec::equal(groups, 15, seed));
        let data = write_planted(&planted, dir.path(), format);
        let mut req = request(&dir.path().join("output"), groups, seed);
        req.data_path = data.clone();
        let outcome = runtime
            .block_on(execute_run(&req, &Settings::default(), &NoProgress))
            .unwrap();
        let score = ari(&planted, &outcome.personas);
        assert!(score >= 0.9, "{format}, {groups} groups: ARI {score:.3}");
        assert_verbatim_in_files(&data, &outcome.personas);
        let sources = &outcome.metadata.sources;
        assert!(
            !sources.is_empty() && sources.iter().all(|s| s.sha256.len() == 64 && s.bytes > 0),
            "{sources:?}"
        );
        assert_eq!(outcome.metadata.participants, groups * 15, "{format}");
    }
}

#[test]
fn same_file_count_and_seed_give_byte_identical_personas_json() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let planted = PlantedCorpus::generate(&PlantedSpec::equal(4, 10, 41));
    let data = write_planted(&planted, dir.path(), "csv");
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let mut req = request(&dir.path().join("output"), 4, 5);
        req.data_path = data.clone();
        let outcome = runtime
            .block_on(execute_run(&req, &Settings::default(), &NoProgress))
            .unwrap();
        outputs.push(std::fs::read(outcome.output_path.join("personas.json")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn unreadable_data_fails_the_run_with_the_file_named() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut req = request(&dir.path().join("output"), 3, 1);
    req.data_path = dir.path().join("missing.csv");
    let err = runtime
        .block_on(execute_run(&req, &Settings::default(), &NoProgress))
        .unwrap_err();
    assert!(err.to_string().contains("missing.csv"), "{err}");
    assert!(!dir.path().join("output").exists());
}
