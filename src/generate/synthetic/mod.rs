//! Planted corpora: synthetic research data with known groups, for segmentation-quality tests
//! and the benchmark. Each group talks about its own goals, problems and habits in varied
//! wording (shared sentence templates × group vocabularies), mixed with filler everyone says
//! and some cross-talk; attributes follow the groups only loosely. Writers produce CSV, a
//! folder of Markdown transcripts, JSON and JSONL; [`adjusted_rand_index`] scores a grouping
//! against the truth.

mod words;

use super::rng::SplitMix64;
use crate::domain::{Corpus, Participant, Persona, SourceFile, Utterance};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;
use words::{
    ALTERNATE_FILLER, ALTERNATE_TEMPLATES, ALTERNATE_THEMES, FILLER, LOCATIONS, QUESTIONS, STANDARD_TEMPLATES,
    STANDARD_THEMES, Templates, Theme,
};

/// Which set of group vocabularies and sentence templates to use. `Alternate` shares no theme
/// and no template with `Standard`, so that a test on it is not a test on the data the
/// segmentation was tuned with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    Standard,
    Alternate,
}

/// What to plant.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedSpec {
    /// Participants per group; its length is the number of groups (at most 8 for `Standard`,
    /// 6 for `Alternate`).
    pub group_sizes: Vec<usize>,
    pub utterances_per_participant: usize,
    /// Chance that a sentence is shared filler.
    pub filler_share: f64,
    /// Chance that a topical sentence comes from another group's theme.
    pub crosstalk_share: f64,
    /// Chance that a participant's role is their group's typical role.
    pub role_fidelity: f64,
    pub vocabulary: Vocabulary,
    pub seed: u64,
}

impl PlantedSpec {
    /// `groups` equal groups of `per_group` participants, 6 utterances each, standard mix.
    pub fn equal(groups: usize, per_group: usize, seed: u64) -> PlantedSpec {
        PlantedSpec {
            group_sizes: vec![per_group; groups],
            utterances_per_participant: 6,
            filler_share: 0.25,
            crosstalk_share: 0.05,
            role_fidelity: 0.8,
            vocabulary: Vocabulary::Standard,
            seed,
        }
    }

    /// Total participants.
    pub fn participants(&self) -> usize {
        self.group_sizes.iter().sum()
    }
}

/// One synthetic participant and what they said.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedParticipant {
    pub id: String,
    /// The planted group (0-based): the truth label.
    pub group: usize,
    pub role: String,
    pub age: u32,
    pub location: String,
    pub utterances: Vec<String>,
}

/// A synthetic corpus with known groups, participants in ID order.
#[derive(Debug, Clone, PartialEq)]
pub struct PlantedCorpus {
    pub participants: Vec<PlantedParticipant>,
}

impl PlantedCorpus {
    /// Generates the corpus `spec` describes, deterministically for its seed.
    ///
    /// # Panics
    /// When `spec.group_sizes` is empty or has more groups than the vocabulary has themes.
    pub fn generate(spec: &PlantedSpec) -> PlantedCorpus {
        let (themes, templates, filler_sentences) = match spec.vocabulary {
            Vocabulary::Standard => (STANDARD_THEMES, &STANDARD_TEMPLATES, FILLER),
            Vocabulary::Alternate => (ALTERNATE_THEMES, &ALTERNATE_TEMPLATES, ALTERNATE_FILLER),
        };
        assert!(
            (1..=themes.len()).contains(&spec.group_sizes.len()),
            "between 1 and {} groups",
            themes.len()
        );
        let mut rng = SplitMix64::new(spec.seed);
        // Shuffle so that IDs say nothing about groups.
        let mut groups: Vec<usize> = spec
            .group_sizes
            .iter()
            .enumerate()
            .flat_map(|(g, &size)| std::iter::repeat_n(g, size))
            .collect();
        rng.shuffle(&mut groups);
        let width = groups.len().to_string().len().max(3);
        let participants = groups
            .into_iter()
            .enumerate()
            .map(|(i, group)| {
                let theme = &themes[group];
                let role = if rng.chance(spec.role_fidelity) {
                    theme.role
                } else {
                    themes[rng.below(spec.group_sizes.len())].role
                };
                let age = theme.base_age - 8 + rng.below(17) as u32;
                let location = rng.choose(LOCATIONS).to_string();
                let utterances = (0..spec.utterances_per_participant.max(1))
                    .map(|u| {
                        let sentences = 1 + rng.below(2);
                        let mut text = String::new();
                        for s in 0..sentences {
                            if !text.is_empty() {
                                text.push(' ');
                            }
                            // The first sentence of the first utterance is always on topic, so
                            // that nobody is pure filler.
                            let filler = !(u == 0 && s == 0) && rng.chance(spec.filler_share);
                            if filler {
                                let sentence: &&str = rng.choose(filler_sentences);
                                text.push_str(sentence);
                            } else {
                                let source = if rng.chance(spec.crosstalk_share) {
                                    &themes[rng.below(spec.group_sizes.len())]
                                } else {
                                    theme
                                };
                                text.push_str(&topical_sentence(source, templates, &mut rng));
                            }
                        }
                        text
                    })
                    .collect();
                PlantedParticipant {
                    id: format!("P{:0width$}", i + 1),
                    group,
                    role: role.to_string(),
                    age,
                    location,
                    utterances,
                }
            })
            .collect();
        PlantedCorpus { participants }
    }

    /// Participant ID -> planted group.
    pub fn truth(&self) -> BTreeMap<String, usize> {
        self.participants.iter().map(|p| (p.id.clone(), p.group)).collect()
    }

    /// The corpus ingestion would read from [`PlantedCorpus::write_csv`] (`planted.csv`).
    pub fn to_corpus(&self) -> Corpus {
        let mut corpus = Corpus::default();
        let mut line = 1;
        for p in &self.participants {
            corpus.participants.push(Participant {
                id: p.id.clone(),
                attributes: [
                    ("role".to_string(), p.role.clone()),
                    ("age".to_string(), p.age.to_string()),
                    ("location".to_string(), p.location.clone()),
                ]
                .into_iter()
                .collect(),
            });
            for text in &p.utterances {
                line += 1;
                corpus.utterances.push(Utterance {
                    question: None,
                    participant_id: p.id.clone(),
                    source: 0,
                    location: format!("line {line}"),
                    text: text.clone(),
                });
            }
        }
        corpus.sources.push(SourceFile {
            path: "planted.csv".into(),
            format: "csv".into(),
            bytes: 0,
            sha256: String::new(),
            participants: self.participants.len(),
            utterances: corpus.utterances.len(),
        });
        corpus
    }

    /// One row per utterance: `participant_id,role,age,location,response`.
    pub fn write_csv(&self, path: &Path) -> io::Result<()> {
        let mut writer = csv::Writer::from_path(path).map_err(io::Error::other)?;
        writer
            .write_record(["participant_id", "role", "age", "location", "response"])
            .map_err(io::Error::other)?;
        for p in &self.participants {
            let age = p.age.to_string();
            for text in &p.utterances {
                writer
                    .write_record([p.id.as_str(), &p.role, &age, &p.location, text])
                    .map_err(io::Error::other)?;
            }
        }
        writer.flush()
    }

    /// One Markdown transcript per participant (`<id>.md`) in `dir`: a `## Background` list
    /// and `**Interviewer:**` / `**Participant:**` turns.
    pub fn write_markdown(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for p in &self.participants {
            let mut md = String::new();
            let _ = writeln!(md, "# Interview with {}\n", p.id);
            let _ = writeln!(md, "## Background\n");
            let _ = writeln!(md, "- Participant ID: {}", p.id);
            let _ = writeln!(md, "- Role: {}", p.role);
            let _ = writeln!(md, "- Age: {}", p.age);
            let _ = writeln!(md, "- Location: {}\n", p.location);
            let _ = writeln!(md, "## Transcript\n");
            for (i, text) in p.utterances.iter().enumerate() {
                let _ = writeln!(md, "**Interviewer:** {}\n", QUESTIONS[i % QUESTIONS.len()]);
                let _ = writeln!(md, "**Participant:** {text}\n");
            }
            std::fs::write(dir.join(format!("{}.md", p.id)), md)?;
        }
        Ok(())
    }

    /// `{"responses": [{"participant_id", "role", "age", "location", "answers": [...]}]}`.
    pub fn write_json(&self, path: &Path) -> io::Result<()> {
        let responses: Vec<serde_json::Value> = self
            .participants
            .iter()
            .map(|p| {
                serde_json::json!({
                    "participant_id": p.id, "role": p.role, "age": p.age,
                    "location": p.location, "answers": p.utterances,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&serde_json::json!({ "responses": responses }))?;
        std::fs::write(path, text)
    }

    /// One object per utterance: `{"participant_id", "role", "age", "location", "response"}`.
    pub fn write_jsonl(&self, path: &Path) -> io::Result<()> {
        let mut out = io::BufWriter::new(std::fs::File::create(path)?);
        for p in &self.participants {
            for text in &p.utterances {
                let line = serde_json::json!({
                    "participant_id": p.id, "role": p.role, "age": p.age,
                    "location": p.location, "response": text,
                });
                writeln!(out, "{line}")?;
            }
        }
        out.flush()
    }
}

fn topical_sentence(theme: &Theme, templates: &Templates, rng: &mut SplitMix64) -> String {
    let (templates, fillers): (&[&str], &[&str]) = match rng.below(10) {
        0..=2 => (templates.goal, theme.goals),
        3..=5 => (templates.problem, theme.problems),
        6..=8 => (templates.habit, theme.habits),
        _ => (templates.topic, theme.topics),
    };
    let template = *rng.choose(templates);
    let filler: &&str = rng.choose(fillers);
    template.replacen("{}", filler, 1)
}

/// Adjusted Rand index (Hubert & Arabie) of two labelings of the same items: 1 for identical
/// partitions, about 0 for chance agreement. Labels are arbitrary integers.
///
/// # Panics
/// When the two labelings have different lengths.
pub fn adjusted_rand_index(truth: &[usize], predicted: &[usize]) -> f64 {
    assert_eq!(truth.len(), predicted.len(), "labelings of different lengths");
    let pairs = |n: u64| (n * n.saturating_sub(1) / 2) as f64;
    let mut cells: HashMap<(usize, usize), u64> = HashMap::new();
    let mut rows: HashMap<usize, u64> = HashMap::new();
    let mut columns: HashMap<usize, u64> = HashMap::new();
    for (&t, &p) in truth.iter().zip(predicted) {
        *cells.entry((t, p)).or_default() += 1;
        *rows.entry(t).or_default() += 1;
        *columns.entry(p).or_default() += 1;
    }
    let index: f64 = cells.values().map(|&c| pairs(c)).sum();
    let row_pairs: f64 = rows.values().map(|&c| pairs(c)).sum();
    let column_pairs: f64 = columns.values().map(|&c| pairs(c)).sum();
    let total = pairs(truth.len() as u64);
    if total == 0.0 {
        return 1.0;
    }
    let expected = row_pairs * column_pairs / total;
    let maximum = (row_pairs + column_pairs) / 2.0;
    if maximum == expected {
        return if index == expected { 1.0 } else { 0.0 };
    }
    (index - expected) / (maximum - expected)
}

/// The persona index of each participant in `ids` (`usize::MAX` when no persona lists them),
/// to compare with planted truth through [`adjusted_rand_index`].
pub fn persona_labels(personas: &[Persona], ids: &[String]) -> Vec<usize> {
    let mut of: HashMap<&str, usize> = HashMap::new();
    for (index, persona) in personas.iter().enumerate() {
        for id in &persona.participants {
            of.insert(id.as_str(), index);
        }
    }
    ids.iter()
        .map(|id| of.get(id.as_str()).copied().unwrap_or(usize::MAX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::segment::segment_corpus;

    #[test]
    fn ari_of_known_labelings() {
        assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[5, 5, 7, 7]), 1.0);
        assert!(adjusted_rand_index(&[0, 0, 1, 1], &[0, 1, 0, 1]) < 0.0);
        // Reference value (scikit-learn adjusted_rand_score([0,0,0,1,1,1],[0,0,1,1,2,2])).
        let ari = adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 0, 1, 1, 2, 2]);
        assert!((ari - 0.242_424_242).abs() < 1e-6, "{ari}");
        assert_eq!(adjusted_rand_index(&[0, 0], &[1, 1]), 1.0);
    }

    #[test]
    fn generation_is_deterministic_and_shuffled() {
        let spec = PlantedSpec::equal(4, 10, 9);
        let a = PlantedCorpus::generate(&spec);
        assert_eq!(a, PlantedCorpus::generate(&spec));
        assert_eq!(a.participants.len(), 40);
        assert_eq!(a.participants[0].id, "P001");
        let first_ten: Vec<usize> = a.participants[..10].iter().map(|p| p.group).collect();
        assert!(first_ten.iter().any(|&g| g != first_ten[0]));
        assert!(a.participants.iter().all(|p| p.utterances.len() == 6));
        assert_ne!(a, PlantedCorpus::generate(&PlantedSpec::equal(4, 10, 10)));
    }

    #[test]
    fn planted_groups_are_recovered_in_code() {
        for (groups, seed) in [(4, 1), (6, 2), (8, 3)] {
            let planted = PlantedCorpus::generate(&PlantedSpec::equal(groups, 25, seed));
            let corpus = planted.to_corpus();
            let segmentation = segment_corpus(&corpus, groups, 42);
            let mut predicted = vec![usize::MAX; corpus.participants.len()];
            let position: HashMap<&str, usize> = corpus
                .participants
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), i))
                .collect();
            for s in &segmentation.segments {
                for id in &s.participant_ids {
                    predicted[position[id.as_str()]] = s.index;
                }
            }
            let truth: Vec<usize> = planted.participants.iter().map(|p| p.group).collect();
            let ari = adjusted_rand_index(&truth, &predicted);
            assert!(ari >= 0.9, "groups {groups} seed {seed}: ARI {ari}");
        }
    }
}
