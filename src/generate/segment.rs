//! Segmentation: groups participants by what they say and by their attributes.
//!
//! Each participant becomes one sparse vector: TF-IDF over the stemmed content words of all
//! their utterances (sublinear tf; terms used by at least two participants; terms used by more
//! than half of them dropped; vocabulary capped), L2-normalised, plus one-hot attribute
//! features with a modest weight. Sentences said word for word by many participants whose other
//! talk has nothing in common ("Thanks for having me.") are boilerplate and do not count, so
//! that shared filler cannot drive segments.
//!
//! Clustering is spherical k-means: greedy k-means++ seeding from `seed`, Lloyd iterations,
//! then single-point moves that raise the objective (which Lloyd alone misses on small sparse
//! clusters), several restarts keeping the best objective. It over-clusters and then merges the
//! most similar clusters, so that a large group is not split while small ones are lumped
//! together. Large corpora are clustered on a sample, then refined on everyone.

use super::Segment;
use super::rng::SplitMix64;
use super::text;
use crate::domain::Corpus;
use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hasher};

/// A sentence said word for word by at least this share of participants (and at least
/// `REPEATED_MIN_PARTICIPANTS`) is checked for being boilerplate.
const REPEATED_SHARE: f64 = 0.03;
const REPEATED_MIN_PARTICIPANTS: u32 = 3;
/// A repeated sentence is boilerplate unless the rest of what its speakers say is this much
/// more alike than what any two participants say.
const TOPICAL_COHESION_RATIO: f64 = 1.3;
/// Fewer speakers than this cannot show that a repeated sentence is boilerplate.
const BOILERPLATE_MIN_SPEAKERS: usize = 5;
/// Terms used by more than this share of participants are shared talk, not a difference.
const MAX_DF_SHARE: f64 = 0.5;
/// Vocabulary cap (most widely used terms first): bounds memory and the cost of a centroid.
const MAX_VOCABULARY: usize = 20_000;
/// Norm of the attribute block relative to the text block (1): attributes nudge, words lead.
const ATTRIBUTE_WEIGHT: f32 = 0.25;
/// Restarts are run on at most this many participants; the best is then refined on everyone.
const SAMPLE_LIMIT: usize = 4_000;
const MAX_ITERATIONS_SAMPLE: usize = 40;
const MAX_ITERATIONS_FULL: usize = 25;
const MAX_LOCAL_SEARCH_PASSES: usize = 20;
/// Clusters found before merging, per cluster requested.
const OVERCLUSTER_FACTOR: usize = 3;
/// Smallest average size of those clusters (small corpora are not over-clustered).
const MIN_SUBCLUSTER_SIZE: usize = 8;
/// Distinctive terms kept per segment.
const TOP_TERMS: usize = 20;
/// Numeric attributes are one-hot encoded as this many quantile bins.
const NUMERIC_BINS: usize = 4;
/// A categorical value is "dominant" in a segment when this share of its members has it.
const DOMINANT_SHARE: f64 = 0.4;
/// Marks a term occurrence outside any repeated sentence.
const NO_SENTENCE: u32 = u32::MAX;

/// Segments (largest first) and what the caller should know about them.
#[derive(Debug, Clone, PartialEq)]
pub struct Segmentation {
    pub segments: Vec<Segment>,
    pub warnings: Vec<String>,
}

/// Groups the participants of `corpus` into at most `count` segments, deterministically for a
/// given corpus, count and seed. Produces fewer segments (with a warning) when the data cannot
/// support `count` distinct ones; never fails.
pub fn segment_corpus(corpus: &Corpus, count: usize, seed: u64) -> Segmentation {
    let mut warnings = Vec::new();
    let n = corpus.participants.len();
    if n == 0 || count == 0 {
        return Segmentation {
            segments: Vec::new(),
            warnings,
        };
    }
    let features = Features::build(corpus);
    let rows = features.rows(corpus, true);
    let (labels, k) = cluster(&rows, count, seed);
    if k < count {
        let reason = if n < count {
            format!(
                "there {} only {n} participant{}",
                if n == 1 { "is" } else { "are" },
                if n == 1 { "" } else { "s" }
            )
        } else {
            "the participants do not differ enough to tell more groups apart".to_string()
        };
        warnings.push(format!(
            "requested {count} personas but the data supports only {k} distinct segment{}: {reason}",
            if k == 1 { "" } else { "s" }
        ));
    }
    let segments = features.segments(corpus, &rows, &labels, k);
    Segmentation { segments, warnings }
}

/// Term statistics of a corpus: the interned terms and which participants use them.
struct Features {
    /// Shortest lowercase surface form seen for each interned term (for display).
    surfaces: Vec<String>,
    /// Every term occurrence, utterance by utterance: interned term id, and the repeated
    /// sentence it belongs to (`NO_SENTENCE` if none). `utterance_offsets` has len + 1 entries.
    terms: Vec<u32>,
    term_sentences: Vec<u32>,
    utterance_offsets: Vec<usize>,
    /// Utterance indices of each participant (in `corpus.participants` order).
    participant_utterances: Vec<Vec<u32>>,
    /// Per repeated sentence: whether its terms are left out.
    excluded: Vec<bool>,
    /// Interned id -> vocabulary column (`u32::MAX` when the term is not in the vocabulary).
    column_of: Vec<u32>,
    /// Vocabulary column -> interned id.
    vocabulary: Vec<u32>,
    idf: Vec<f32>,
    attributes: AttributeEncoding,
}

impl Features {
    fn build(corpus: &Corpus) -> Features {
        let n = corpus.participants.len();
        let index: HashMap<&str, usize> = corpus
            .participants
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        let mut participant_utterances = vec![Vec::new(); n];
        let mut interned: HashMap<Box<str>, u32> = HashMap::new();
        let mut surfaces: Vec<String> = Vec::new();
        let mut terms = Vec::new();
        let mut term_sentences = Vec::new();
        let mut utterance_offsets = Vec::with_capacity(corpus.utterances.len() + 1);
        utterance_offsets.push(0);
        // Every distinct sentence (by hash): how many participants said it, and the last one.
        let mut sentence_ids: HashMap<u64, u32> = HashMap::new();
        let mut said_by: Vec<(u32, u32)> = Vec::new();
        for (u, utterance) in corpus.utterances.iter().enumerate() {
            if let Some(&p) = index.get(utterance.participant_id.as_str()) {
                participant_utterances[p].push(u as u32);
                for sentence in text::sentences(&utterance.text) {
                    let next = said_by.len() as u32;
                    let id = *sentence_ids.entry(sentence_hash(sentence)).or_insert(next);
                    if id == next {
                        said_by.push((0, u32::MAX));
                    }
                    let entry = &mut said_by[id as usize];
                    if entry.1 != p as u32 {
                        entry.0 += 1;
                        entry.1 = p as u32;
                    }
                    text::for_each_content_word(sentence, |stem, word| {
                        terms.push(intern(&mut interned, &mut surfaces, stem, word));
                        term_sentences.push(id);
                    });
                }
            }
            utterance_offsets.push(terms.len());
        }
        drop(interned);
        drop(sentence_ids);
        // Keep sentence ids only for sentences said by many participants (renumbered densely).
        let threshold = ((n as f64 * REPEATED_SHARE).ceil() as u32).max(REPEATED_MIN_PARTICIPANTS);
        let mut repeated_id = vec![NO_SENTENCE; said_by.len()];
        let mut repeated = 0u32;
        for (id, &(count, _)) in said_by.iter().enumerate() {
            if count >= threshold {
                repeated_id[id] = repeated;
                repeated += 1;
            }
        }
        term_sentences.iter_mut().for_each(|s| *s = repeated_id[*s as usize]);
        drop(repeated_id);
        let mut speakers: Vec<Vec<u32>> = vec![Vec::new(); repeated as usize];
        for (p, utterances) in participant_utterances.iter().enumerate() {
            for &u in utterances {
                let range = utterance_offsets[u as usize]..utterance_offsets[u as usize + 1];
                for &s in &term_sentences[range] {
                    if s != NO_SENTENCE && speakers[s as usize].last() != Some(&(p as u32)) {
                        speakers[s as usize].push(p as u32);
                    }
                }
            }
        }
        let mut features = Features {
            surfaces,
            terms,
            term_sentences,
            utterance_offsets,
            participant_utterances,
            excluded: vec![false; speakers.len()],
            column_of: Vec::new(),
            vocabulary: Vec::new(),
            idf: Vec::new(),
            attributes: AttributeEncoding::build(corpus),
        };
        features.select_vocabulary(n);
        if !speakers.is_empty() {
            let rows = features.rows(corpus, false);
            let columns = features.sentence_columns(speakers.len());
            features.excluded = boilerplate(&rows, &speakers, &columns);
            if features.excluded.iter().any(|&e| e) {
                features.select_vocabulary(n);
            }
        }
        features
    }

    /// The vocabulary columns of each repeated sentence's words (sorted, unique).
    fn sentence_columns(&self, sentences: usize) -> Vec<Vec<u32>> {
        let mut columns = vec![Vec::new(); sentences];
        for (&t, &s) in self.terms.iter().zip(&self.term_sentences) {
            let column = self.column_of[t as usize];
            if s != NO_SENTENCE && column != u32::MAX {
                columns[s as usize].push(column);
            }
        }
        for list in &mut columns {
            list.sort_unstable();
            list.dedup();
        }
        columns
    }

    /// Interned ids of the terms of utterance `u` that count (not in excluded sentences).
    fn utterance_terms(&self, u: usize) -> impl Iterator<Item = u32> + '_ {
        let range = self.utterance_offsets[u]..self.utterance_offsets[u + 1];
        self.terms[range.clone()]
            .iter()
            .zip(&self.term_sentences[range])
            .filter(|&(_, &s)| s == NO_SENTENCE || !self.excluded[s as usize])
            .map(|(&t, _)| t)
    }

    fn utterance_columns(&self, u: usize) -> impl Iterator<Item = u32> + '_ {
        self.utterance_terms(u)
            .map(|t| self.column_of[t as usize])
            .filter(|&c| c != u32::MAX)
    }

    /// Picks the vocabulary from document frequencies (participants using each term).
    fn select_vocabulary(&mut self, n: usize) {
        let mut df = vec![0u32; self.surfaces.len()];
        let mut seen = vec![u32::MAX; self.surfaces.len()];
        for (p, utterances) in self.participant_utterances.iter().enumerate() {
            for &u in utterances {
                for t in self.utterance_terms(u as usize) {
                    if seen[t as usize] != p as u32 {
                        seen[t as usize] = p as u32;
                        df[t as usize] += 1;
                    }
                }
            }
        }
        let (min_df, max_df) = document_frequency_bounds(n);
        let mut vocabulary: Vec<u32> = (0..self.surfaces.len() as u32)
            .filter(|&t| (min_df..=max_df).contains(&df[t as usize]))
            .collect();
        vocabulary.sort_by(|&a, &b| {
            df[b as usize]
                .cmp(&df[a as usize])
                .then_with(|| self.surfaces[a as usize].cmp(&self.surfaces[b as usize]))
        });
        vocabulary.truncate(MAX_VOCABULARY);
        vocabulary.sort_unstable();
        self.column_of = vec![u32::MAX; self.surfaces.len()];
        for (column, &t) in vocabulary.iter().enumerate() {
            self.column_of[t as usize] = column as u32;
        }
        self.idf = vocabulary
            .iter()
            .map(|&t| (((1 + n) as f64 / (1 + df[t as usize]) as f64).ln() + 1.0) as f32)
            .collect();
        self.vocabulary = vocabulary;
    }

    /// One L2-normalised row per participant: the text block, then (if asked) the attribute
    /// block.
    fn rows(&self, corpus: &Corpus, with_attributes: bool) -> Rows {
        let text_dim = self.vocabulary.len();
        let mut rows = Rows {
            offsets: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
            dim: text_dim + if with_attributes { self.attributes.dim } else { 0 },
        };
        let mut columns: Vec<u32> = Vec::new();
        for (p, participant) in corpus.participants.iter().enumerate() {
            columns.clear();
            for &u in &self.participant_utterances[p] {
                columns.extend(self.utterance_columns(u as usize));
            }
            columns.sort_unstable();
            let start = rows.indices.len();
            for run in columns.chunk_by(|a, b| a == b) {
                let tf = run.len() as f32;
                rows.indices.push(run[0]);
                rows.values.push((1.0 + tf.ln()) * self.idf[run[0] as usize]);
            }
            let text_norm = norm(&rows.values[start..]);
            if text_norm > 0.0 {
                rows.values[start..].iter_mut().for_each(|v| *v /= text_norm);
            }
            let attribute_columns = if with_attributes {
                self.attributes.columns(participant)
            } else {
                Vec::new()
            };
            if !attribute_columns.is_empty() {
                let weight = ATTRIBUTE_WEIGHT / (attribute_columns.len() as f32).sqrt();
                for column in attribute_columns {
                    rows.indices.push((text_dim + column) as u32);
                    rows.values.push(weight);
                }
                let total = norm(&rows.values[start..]);
                if total > 0.0 {
                    rows.values[start..].iter_mut().for_each(|v| *v /= total);
                }
            }
            rows.offsets.push(rows.indices.len());
        }
        rows
    }

    /// Turns cluster labels into segments, largest first.
    fn segments(&self, corpus: &Corpus, rows: &Rows, labels: &[usize], k: usize) -> Vec<Segment> {
        let text_dim = self.vocabulary.len();
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
        for (p, &label) in labels.iter().enumerate() {
            members[label].push(p);
        }
        // Per-cluster document frequency of each vocabulary term, and text centroids.
        let mut df_in = vec![vec![0u32; text_dim]; k];
        let mut centroid = vec![vec![0f32; text_dim]; k];
        for (p, &label) in labels.iter().enumerate() {
            let (indices, values) = rows.row(p);
            for (&c, &v) in indices.iter().zip(values) {
                if (c as usize) < text_dim {
                    df_in[label][c as usize] += 1;
                    centroid[label][c as usize] += v;
                }
            }
        }
        let mut df_all = vec![0u32; text_dim];
        for counts in &df_in {
            for (total, &c) in df_all.iter_mut().zip(counts) {
                *total += c;
            }
        }
        let n = labels.len();
        let mut segments: Vec<Segment> = (0..k)
            .filter(|&j| !members[j].is_empty())
            .map(|j| {
                let size = members[j].len();
                let outside = n - size;
                let min_df_in = if size >= 2 { 2 } else { 1 };
                let mut scored: Vec<(f64, usize)> = (0..text_dim)
                    .filter(|&c| df_in[j][c] >= min_df_in)
                    .map(|c| {
                        let p_in = df_in[j][c] as f64 / size as f64;
                        let p_out = if outside == 0 {
                            0.0
                        } else {
                            (df_all[c] - df_in[j][c]) as f64 / outside as f64
                        };
                        (p_in - p_out, c)
                    })
                    .filter(|&(score, _)| score > 0.0)
                    .collect();
                scored.sort_by(|a, b| {
                    b.0.total_cmp(&a.0).then_with(|| {
                        self.surfaces[self.vocabulary[a.1] as usize].cmp(&self.surfaces[self.vocabulary[b.1] as usize])
                    })
                });
                let top_terms = scored
                    .iter()
                    .take(TOP_TERMS)
                    .map(|&(_, c)| self.surfaces[self.vocabulary[c] as usize].clone())
                    .collect();
                let centroid_norm = norm(&centroid[j]).max(f32::MIN_POSITIVE);
                let mut utterances: Vec<(f32, usize)> = members[j]
                    .iter()
                    .flat_map(|&p| self.participant_utterances[p].iter().map(|&u| u as usize))
                    .map(|u| {
                        let mut score = 0f32;
                        let mut terms = 0usize;
                        for c in self.utterance_columns(u) {
                            score += centroid[j][c as usize];
                            terms += 1;
                        }
                        let score = if terms == 0 {
                            0.0
                        } else {
                            score / centroid_norm / (terms as f32).sqrt()
                        };
                        (score, u)
                    })
                    .collect();
                utterances.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                let mut participant_ids: Vec<String> =
                    members[j].iter().map(|&p| corpus.participants[p].id.clone()).collect();
                participant_ids.sort();
                Segment {
                    index: 0,
                    participant_ids,
                    top_terms,
                    demographics: self.attributes.demographics(corpus, &members[j]),
                    utterances: utterances.into_iter().map(|(_, u)| u).collect(),
                }
            })
            .collect();
        segments.sort_by(|a, b| {
            b.participant_ids
                .len()
                .cmp(&a.participant_ids.len())
                .then_with(|| a.participant_ids.cmp(&b.participant_ids))
        });
        for (index, segment) in segments.iter_mut().enumerate() {
            segment.index = index;
        }
        segments
    }
}

/// A sentence's identity across participants: a hash of its lowercase words, ignoring spacing
/// and end punctuation. (A 64-bit hash instead of the text keeps memory small; a collision
/// would only merge two sentences' counts.)
fn sentence_hash(sentence: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    let trimmed = sentence.trim_end_matches(|c: char| !c.is_alphanumeric());
    for word in trimmed.split_whitespace() {
        for c in word.chars() {
            if c.is_ascii() {
                hasher.write_u8(c.to_ascii_lowercase() as u8);
            } else {
                c.to_lowercase().for_each(|l| hasher.write_u32(l as u32));
            }
        }
        hasher.write_u8(b' ');
    }
    hasher.finish()
}

/// Which repeated sentences are boilerplate: those whose speakers are, with confidence, no
/// more alike than any participants once the sentence's own words are set aside. A sentence a
/// group repeats comes with the group's other shared vocabulary; filler does not. Sentences
/// with too few speakers to tell are kept.
fn boilerplate(rows: &Rows, speakers: &[Vec<u32>], sentence_columns: &[Vec<u32>]) -> Vec<bool> {
    let n = rows.offsets.len() - 1;
    let nonempty: Vec<usize> = (0..n).filter(|&p| !rows.is_empty_row(p)).collect();
    if nonempty.len() < 3 {
        return vec![false; speakers.len()];
    }
    // Sum of all rows: a participant's mean cosine to everyone else is x·(all − x)/(n − 1).
    let mut all = vec![0f64; rows.dim];
    for &p in &nonempty {
        let (indices, values) = rows.row(p);
        for (&c, &v) in indices.iter().zip(values) {
            all[c as usize] += v as f64;
        }
    }
    let others = (nonempty.len() - 1) as f64;
    let baseline = (all.iter().map(|v| v * v).sum::<f64>() - nonempty.len() as f64) / (nonempty.len() as f64 * others);
    let margin = (TOPICAL_COHESION_RATIO - 1.0) * baseline.max(0.0);
    let mut sum = vec![0f64; rows.dim];
    let mut touched: Vec<u32> = Vec::new();
    speakers
        .iter()
        .zip(sentence_columns)
        .map(|(list, skip)| {
            // The speakers' rows without the sentence's words, renormalised.
            let reduced: Vec<(Vec<(u32, f64)>, f64)> = list
                .iter()
                .filter_map(|&p| {
                    let (indices, values) = rows.row(p as usize);
                    let kept: Vec<(u32, f64)> = indices
                        .iter()
                        .zip(values)
                        .filter(|(c, _)| skip.binary_search(c).is_err())
                        .map(|(&c, &v)| (c, v as f64))
                        .collect();
                    let norm = kept.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
                    // Also returns the cosine of the reduced row with the full one (= its norm).
                    (norm > 1e-9).then(|| (kept.into_iter().map(|(c, v)| (c, v / norm)).collect(), norm))
                })
                .collect();
            let m = reduced.len();
            if m < BOILERPLATE_MIN_SPEAKERS {
                return false;
            }
            for (row, _) in &reduced {
                for &(c, v) in row {
                    if sum[c as usize] == 0.0 {
                        touched.push(c);
                    }
                    sum[c as usize] += v;
                }
            }
            // Per speaker: mean cosine to the other speakers minus mean cosine to everyone.
            let lifts: Vec<f64> = reduced
                .iter()
                .map(|(row, own)| {
                    let to_speakers: f64 = row.iter().map(|&(c, v)| v * sum[c as usize]).sum::<f64>() - 1.0;
                    let to_all: f64 = row.iter().map(|&(c, v)| v * all[c as usize]).sum::<f64>() - own;
                    to_speakers / (m - 1) as f64 - to_all / others
                })
                .collect();
            for &c in &touched {
                sum[c as usize] = 0.0;
            }
            touched.clear();
            let mean = lifts.iter().sum::<f64>() / m as f64;
            let variance = lifts.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / (m - 1) as f64;
            // Upper confidence bound (a t-quantile approximation for m − 1 degrees of freedom).
            let critical = 2.0 + 3.0 / (m - 1) as f64;
            let upper = mean + critical * (variance / m as f64).sqrt();
            // Boilerplate when surely below the margin, or when there is no sign of a lift at all.
            upper < margin || mean <= 0.0
        })
        .collect()
}

fn intern(map: &mut HashMap<Box<str>, u32>, surfaces: &mut Vec<String>, key: &str, surface: &str) -> u32 {
    if let Some(&id) = map.get(key) {
        let shortest = &mut surfaces[id as usize];
        if surface.len() < shortest.len() || (surface.len() == shortest.len() && surface < shortest.as_str()) {
            shortest.clear();
            shortest.push_str(surface);
        }
        return id;
    }
    let id = surfaces.len() as u32;
    map.insert(key.into(), id);
    surfaces.push(surface.to_string());
    id
}

/// (min, max) participants using a term for it to be a feature. Small corpora keep terms used
/// by a single participant (otherwise nothing may be left to compare).
fn document_frequency_bounds(n: usize) -> (u32, u32) {
    let min_df = if n >= 10 { 2 } else { 1 };
    let max_df = ((n as f64 * MAX_DF_SHARE).floor() as u32).max(min_df);
    (min_df, max_df)
}

fn norm(values: &[f32]) -> f32 {
    values.iter().map(|v| v * v).sum::<f32>().sqrt()
}

/// How attributes become features and demographics.
#[derive(Debug, Clone, PartialEq)]
enum AttributeKind {
    /// Numbers: quantile bin edges (upper bounds of all bins but the last; none when constant).
    Numeric { edges: Vec<f64> },
    /// Categories; `values` (normalised) are the one-hot columns: values held by two or more
    /// participants, none when everyone shares one value.
    Categorical { values: BTreeMap<String, usize> },
    /// Identifier-like (names, e-mails, free text): neither a feature nor a demographic.
    Ignored,
}

struct AttributeEncoding {
    kinds: BTreeMap<String, (AttributeKind, usize)>,
    dim: usize,
}

fn normalise_value(value: &str) -> String {
    value.trim().to_lowercase()
}

fn parse_number(value: &str) -> Option<f64> {
    value.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

impl AttributeEncoding {
    fn build(corpus: &Corpus) -> AttributeEncoding {
        let n = corpus.participants.len();
        let mut values_by_key: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for participant in &corpus.participants {
            for (key, value) in &participant.attributes {
                if !value.trim().is_empty() {
                    values_by_key.entry(key.as_str()).or_default().push(value.as_str());
                }
            }
        }
        let mut kinds = BTreeMap::new();
        let mut dim = 0;
        for (key, values) in values_by_key {
            let numbers: Vec<f64> = values.iter().filter_map(|v| parse_number(v)).collect();
            let kind = if numbers.len() * 10 >= values.len() * 8 {
                let mut sorted = numbers;
                sorted.sort_by(f64::total_cmp);
                sorted.dedup();
                let bins = NUMERIC_BINS.min(sorted.len());
                let edges = (1..bins).map(|b| sorted[b * sorted.len() / bins - 1]).collect();
                AttributeKind::Numeric { edges }
            } else {
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for value in &values {
                    *counts.entry(normalise_value(value)).or_default() += 1;
                }
                let distinct = counts.len();
                if n >= 10 && distinct * 2 > n {
                    AttributeKind::Ignored
                } else {
                    // A value shared by everyone, or held by one participant only, cannot group.
                    let kept = counts
                        .into_iter()
                        .filter(|&(_, c)| c >= 2 && distinct >= 2)
                        .enumerate()
                        .map(|(i, (v, _))| (v, i))
                        .collect();
                    AttributeKind::Categorical { values: kept }
                }
            };
            let width = match &kind {
                AttributeKind::Numeric { edges } if edges.is_empty() => 0,
                AttributeKind::Numeric { edges } => edges.len() + 1,
                AttributeKind::Categorical { values } => values.len(),
                AttributeKind::Ignored => 0,
            };
            kinds.insert(key.to_string(), (kind, dim));
            dim += width;
        }
        AttributeEncoding { kinds, dim }
    }

    /// The attribute columns set for a participant.
    fn columns(&self, participant: &crate::domain::Participant) -> Vec<usize> {
        let mut columns = Vec::new();
        for (key, value) in &participant.attributes {
            let Some((kind, offset)) = self.kinds.get(key) else {
                continue;
            };
            match kind {
                AttributeKind::Numeric { edges } => {
                    if let Some(v) = parse_number(value).filter(|_| !edges.is_empty()) {
                        columns.push(offset + edges.iter().take_while(|&&e| v > e).count());
                    }
                }
                AttributeKind::Categorical { values } => {
                    if let Some(i) = values.get(&normalise_value(value)) {
                        columns.push(offset + i);
                    }
                }
                AttributeKind::Ignored => {}
            }
        }
        columns
    }

    /// Dominant attribute values of a group of participants; numbers as a range of the middle
    /// 80 % under `<name>_range`.
    fn demographics(&self, corpus: &Corpus, members: &[usize]) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (key, (kind, _)) in &self.kinds {
            let values: Vec<&str> = members
                .iter()
                .filter_map(|&p| corpus.participants[p].attributes.get(key))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .collect();
            if values.is_empty() {
                continue;
            }
            match kind {
                AttributeKind::Numeric { .. } => {
                    let mut numbers: Vec<f64> = values.iter().filter_map(|v| parse_number(v)).collect();
                    if numbers.is_empty() {
                        continue;
                    }
                    numbers.sort_by(f64::total_cmp);
                    let at = |q: f64| numbers[((numbers.len() - 1) as f64 * q).round() as usize];
                    let (low, high) = (at(0.1), at(0.9));
                    let name = if key.ends_with("_range") {
                        key.clone()
                    } else {
                        format!("{key}_range")
                    };
                    let value = if low == high {
                        format_number(low)
                    } else {
                        format!("{}-{}", format_number(low), format_number(high))
                    };
                    out.insert(name, value);
                }
                AttributeKind::Categorical { .. } => {
                    // Count by normalised value; show the most common spelling of the winner.
                    let mut counts: BTreeMap<String, (usize, BTreeMap<&str, usize>)> = BTreeMap::new();
                    for v in &values {
                        let entry = counts.entry(normalise_value(v)).or_default();
                        entry.0 += 1;
                        *entry.1.entry(v).or_default() += 1;
                    }
                    // Most common value; ties go to the first in sorted order.
                    let mut winner: Option<&(usize, BTreeMap<&str, usize>)> = None;
                    for entry in counts.values() {
                        if winner.is_none_or(|w| entry.0 > w.0) {
                            winner = Some(entry);
                        }
                    }
                    let Some((count, spellings)) = winner else {
                        continue;
                    };
                    let dominant =
                        *count as f64 >= DOMINANT_SHARE * members.len() as f64 && (*count >= 2 || members.len() == 1);
                    if dominant {
                        let spelling = spellings
                            .iter()
                            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                            .map(|(s, _)| s.to_string())
                            .unwrap_or_default();
                        out.insert(key.clone(), spelling);
                    }
                }
                AttributeKind::Ignored => {}
            }
        }
        out
    }
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

/// Sparse rows (CSR), each L2-normalised or empty.
struct Rows {
    offsets: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
    dim: usize,
}

impl Rows {
    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let range = self.offsets[i]..self.offsets[i + 1];
        (&self.indices[range.clone()], &self.values[range])
    }

    fn is_empty_row(&self, i: usize) -> bool {
        self.offsets[i] == self.offsets[i + 1]
    }
}

/// Unit-length centroids stored term-major (`data[column * k + j]`) so that scoring a sparse
/// row against all centroids walks each nonzero once over a contiguous run of `k` floats.
struct Centroids {
    k: usize,
    data: Vec<f32>,
}

impl Centroids {
    fn scores(&self, indices: &[u32], values: &[f32], out: &mut [f32]) {
        out.iter_mut().for_each(|s| *s = 0.0);
        let k = self.k;
        for (&c, &v) in indices.iter().zip(values) {
            let base = c as usize * k;
            for (s, &w) in out.iter_mut().zip(&self.data[base..base + k]) {
                *s += v * w;
            }
        }
    }

    /// Centroids as the normalised sums of the members of each label (labels < k).
    fn from_labels(rows: &Rows, members: &[usize], labels: &[usize], k: usize) -> (Centroids, Vec<f64>) {
        let mut data = vec![0f32; rows.dim * k];
        for (&p, &label) in members.iter().zip(labels) {
            let (indices, values) = rows.row(p);
            for (&c, &v) in indices.iter().zip(values) {
                data[c as usize * k + label] += v;
            }
        }
        let mut norms = vec![0f64; k];
        for column in data.chunks_exact(k) {
            for (n, &w) in norms.iter_mut().zip(column) {
                *n += (w as f64) * (w as f64);
            }
        }
        let norms: Vec<f64> = norms.into_iter().map(f64::sqrt).collect();
        for column in data.chunks_exact_mut(k) {
            for (w, &n) in column.iter_mut().zip(&norms) {
                if n > 0.0 {
                    *w = (*w as f64 / n) as f32;
                }
            }
        }
        (Centroids { k, data }, norms)
    }

    fn from_points(rows: &Rows, points: &[usize]) -> Centroids {
        let members: Vec<usize> = points.to_vec();
        let labels: Vec<usize> = (0..points.len()).collect();
        Centroids::from_labels(rows, &members, &labels, points.len()).0
    }
}

/// Cosine of two rows through a dense scratch copy of the first.
struct DenseRow {
    values: Vec<f32>,
    set: Vec<u32>,
}

impl DenseRow {
    fn new(dim: usize) -> DenseRow {
        DenseRow {
            values: vec![0.0; dim],
            set: Vec::new(),
        }
    }
    fn load(&mut self, rows: &Rows, i: usize) {
        for &c in &self.set {
            self.values[c as usize] = 0.0;
        }
        let (indices, values) = rows.row(i);
        self.set.clear();
        self.set.extend_from_slice(indices);
        for (&c, &v) in indices.iter().zip(values) {
            self.values[c as usize] = v;
        }
    }
    fn dot(&self, rows: &Rows, i: usize) -> f32 {
        let (indices, values) = rows.row(i);
        indices
            .iter()
            .zip(values)
            .map(|(&c, &v)| self.values[c as usize] * v)
            .sum()
    }
}

/// Clusters all participants; returns a label per participant and the number of clusters.
fn cluster(rows: &Rows, count: usize, seed: u64) -> (Vec<usize>, usize) {
    let n = rows.offsets.len() - 1;
    let members: Vec<usize> = (0..n).filter(|&i| !rows.is_empty_row(i)).collect();
    if members.is_empty() || count == 1 {
        return (vec![0; n], 1);
    }
    let sample: Vec<usize> = if members.len() > SAMPLE_LIMIT {
        let mut shuffled = members.clone();
        SplitMix64::derive(seed, u64::MAX).shuffle(&mut shuffled);
        shuffled.truncate(SAMPLE_LIMIT);
        shuffled.sort_unstable();
        shuffled
    } else {
        members.clone()
    };
    let over = (count * OVERCLUSTER_FACTOR)
        .min(sample.len() / MIN_SUBCLUSTER_SIZE)
        .max(count);
    let restarts = if sample.len() <= 1_000 { 16 } else { 8 };
    let mut best: Option<(f64, Vec<usize>, usize)> = None;
    for restart in 0..restarts {
        let mut rng = SplitMix64::derive(seed, restart);
        let seeds = kmeans_plus_plus(rows, &sample, over, &mut rng);
        let (mut labels, _, centroids) = lloyd(
            rows,
            &sample,
            Centroids::from_points(rows, &seeds),
            MAX_ITERATIONS_SAMPLE,
            0,
        );
        let objective = first_variation(rows, &sample, &mut labels, centroids.k, MAX_LOCAL_SEARCH_PASSES);
        if best.as_ref().is_none_or(|(b, _, _)| objective > *b + 1e-9) {
            best = Some((objective, labels, centroids.k));
        }
    }
    let (_, mut labels, mut k) = best.expect("at least one restart");
    if k > count {
        (labels, k) = merge_most_similar(rows, &sample, &labels, k, count);
        let start = Centroids::from_labels(rows, &sample, &labels, k).0;
        (labels, _, _) = lloyd(rows, &sample, start, MAX_ITERATIONS_SAMPLE, 0);
        first_variation(rows, &sample, &mut labels, k, MAX_LOCAL_SEARCH_PASSES);
    }
    if sample.len() < members.len() {
        let start = Centroids::from_labels(rows, &sample, &labels, k).0;
        (labels, _, _) = lloyd(rows, &members, start, MAX_ITERATIONS_FULL, members.len() / 2_000);
    }
    // Drop clusters left empty, keeping label order.
    let mut sizes = vec![0usize; k];
    for &l in &labels {
        sizes[l] += 1;
    }
    let mut remap = vec![usize::MAX; k];
    let mut alive = 0;
    for j in 0..k {
        if sizes[j] > 0 {
            remap[j] = alive;
            alive += 1;
        }
    }
    labels.iter_mut().for_each(|l| *l = remap[*l]);
    // Participants with nothing to compare join the largest segment (the first on ties).
    let mut largest = 0;
    for j in 0..k {
        if sizes[j] > sizes[largest] {
            largest = j;
        }
    }
    let mut all = vec![remap[largest]; n];
    for (&p, &l) in members.iter().zip(&labels) {
        all[p] = l;
    }
    (all, alive.max(1))
}

/// Merges clusters pairwise, most similar centroids first, until `target` remain. Works on the
/// Gram matrix of the cluster sums, so a merge costs O(k). Returns compact labels and their
/// number.
fn merge_most_similar(
    rows: &Rows,
    members: &[usize],
    labels: &[usize],
    k: usize,
    target: usize,
) -> (Vec<usize>, usize) {
    let mut sums = vec![0f64; rows.dim * k];
    for (&p, &label) in members.iter().zip(labels) {
        let (indices, values) = rows.row(p);
        for (&c, &v) in indices.iter().zip(values) {
            sums[c as usize * k + label] += v as f64;
        }
    }
    let mut gram = vec![vec![0f64; k]; k];
    for column in sums.chunks_exact(k) {
        for a in 0..k {
            if column[a] == 0.0 {
                continue;
            }
            for b in 0..k {
                gram[a][b] += column[a] * column[b];
            }
        }
    }
    drop(sums);
    let mut sizes = vec![0f64; k];
    for &l in labels {
        sizes[l] += 1.0;
    }
    let mut alive: Vec<bool> = (0..k).map(|j| sizes[j] > 0.0).collect();
    let mut parent: Vec<usize> = (0..k).collect();
    while alive.iter().filter(|&&a| a).count() > target {
        // Mean cosine between members of a and b, relative to the mean cosine within each
        // (rows are unit vectors, so a cluster's self-pairs add exactly its size to ‖sum‖²).
        // Unlike the cosine of centroids, this does not make small clusters look different
        // just because their centroids are noisier.
        let within =
            |a: usize| (sizes[a] > 1.0).then(|| ((gram[a][a] - sizes[a]) / (sizes[a] * (sizes[a] - 1.0))).max(1e-9));
        let mut best: Option<(f64, usize, usize)> = None;
        for a in (0..k).filter(|&a| alive[a]) {
            for b in (a + 1..k).filter(|&b| alive[b]) {
                let between = gram[a][b] / (sizes[a] * sizes[b]);
                let scale = match (within(a), within(b)) {
                    (Some(wa), Some(wb)) => (wa * wb).sqrt(),
                    (Some(w), None) | (None, Some(w)) => w,
                    (None, None) => 1.0,
                };
                let similarity = between / scale;
                if best.is_none_or(|(c, _, _)| similarity > c) {
                    best = Some((similarity, a, b));
                }
            }
        }
        let Some((_, a, b)) = best else { break };
        sizes[a] += sizes[b];
        let merged_norm2 = gram[a][a] + 2.0 * gram[a][b] + gram[b][b];
        let row_b = gram[b].clone();
        for (j, value) in row_b.into_iter().enumerate() {
            gram[a][j] += value;
            gram[j][a] = gram[a][j];
        }
        gram[a][a] = merged_norm2;
        alive[b] = false;
        parent[b] = a;
    }
    let root = |mut j: usize| {
        while parent[j] != j {
            j = parent[j];
        }
        j
    };
    let mut compact = vec![usize::MAX; k];
    let mut next = 0;
    let merged = labels
        .iter()
        .map(|&l| {
            let r = root(l);
            if compact[r] == usize::MAX {
                compact[r] = next;
                next += 1;
            }
            compact[r]
        })
        .collect();
    (merged, next)
}

/// Greedy k-means++ seeding on the unit sphere (squared distance 2 − 2·cos): each new seed is
/// the best of a few candidates drawn in proportion to their distance from the seeds so far.
/// Stops early when every remaining point coincides with a seed.
fn kmeans_plus_plus(rows: &Rows, members: &[usize], k: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let mut seeds = vec![members[rng.below(members.len())]];
    let mut scratch = DenseRow::new(rows.dim);
    scratch.load(rows, seeds[0]);
    let mut distance: Vec<f64> = members
        .iter()
        .map(|&i| (1.0 - scratch.dot(rows, i) as f64).max(0.0))
        .collect();
    let trials = 2 + (k as f64).ln().floor() as usize;
    while seeds.len() < k {
        let total: f64 = distance.iter().sum();
        if total <= 1e-9 {
            break;
        }
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let mut target = rng.next_f64() * total;
            let mut pick = members.len() - 1;
            for (m, &d) in distance.iter().enumerate() {
                if target < d {
                    pick = m;
                    break;
                }
                target -= d;
            }
            if distance[pick] <= 0.0 {
                continue;
            }
            scratch.load(rows, members[pick]);
            let updated: Vec<f64> = members
                .iter()
                .zip(&distance)
                .map(|(&i, &d)| d.min((1.0 - scratch.dot(rows, i) as f64).max(0.0)))
                .collect();
            let potential: f64 = updated.iter().sum();
            if best.as_ref().is_none_or(|(b, _, _)| potential < *b) {
                best = Some((potential, pick, updated));
            }
        }
        let Some((_, pick, updated)) = best else { break };
        seeds.push(members[pick]);
        distance = updated;
    }
    seeds
}

/// Local search after Lloyd ("first variation", Dhillon, Guan & Kogan 2002): moves single
/// points to another cluster whenever that raises the objective Σ‖cluster sum‖. Lloyd alone
/// gets stuck when clusters are small and vectors sparse; these moves get it out. Returns the
/// objective; `labels` (per member, < k) are updated in place.
fn first_variation(rows: &Rows, members: &[usize], labels: &mut [usize], k: usize, max_passes: usize) -> f64 {
    let mut sums = vec![0f64; rows.dim * k];
    let mut sizes = vec![0usize; k];
    for (&p, &label) in members.iter().zip(labels.iter()) {
        let (indices, values) = rows.row(p);
        for (&c, &v) in indices.iter().zip(values) {
            sums[c as usize * k + label] += v as f64;
        }
        sizes[label] += 1;
    }
    let squared_norms = |sums: &[f64]| {
        let mut out = vec![0f64; k];
        for column in sums.chunks_exact(k) {
            for (o, &w) in out.iter_mut().zip(column) {
                *o += w * w;
            }
        }
        out
    };
    let mut norm2 = squared_norms(&sums);
    let mut dots = vec![0f64; k];
    for _ in 0..max_passes {
        let mut moved = 0;
        for (m, &p) in members.iter().enumerate() {
            let from = labels[m];
            if sizes[from] <= 1 {
                continue;
            }
            let (indices, values) = rows.row(p);
            let self_norm2: f64 = values.iter().map(|&v| (v as f64) * (v as f64)).sum();
            dots.iter_mut().for_each(|d| *d = 0.0);
            for (&c, &v) in indices.iter().zip(values) {
                let base = c as usize * k;
                for (d, &w) in dots.iter_mut().zip(&sums[base..base + k]) {
                    *d += v as f64 * w;
                }
            }
            let leave = (norm2[from] - 2.0 * dots[from] + self_norm2).max(0.0).sqrt() - norm2[from].sqrt();
            let mut best = (1e-9, from);
            for j in 0..k {
                if j == from {
                    continue;
                }
                let gain = leave + (norm2[j] + 2.0 * dots[j] + self_norm2).sqrt() - norm2[j].sqrt();
                if gain > best.0 {
                    best = (gain, j);
                }
            }
            let to = best.1;
            if to == from {
                continue;
            }
            for (&c, &v) in indices.iter().zip(values) {
                sums[c as usize * k + from] -= v as f64;
                sums[c as usize * k + to] += v as f64;
            }
            norm2[from] = (norm2[from] - 2.0 * dots[from] + self_norm2).max(0.0);
            norm2[to] += 2.0 * dots[to] + self_norm2;
            sizes[from] -= 1;
            sizes[to] += 1;
            labels[m] = to;
            moved += 1;
        }
        // Recompute the norms exactly so rounding cannot accumulate across passes.
        norm2 = squared_norms(&sums);
        if moved == 0 {
            break;
        }
    }
    norm2.iter().map(|n| n.sqrt()).sum()
}

/// Spherical k-means (Lloyd iterations) over `members` from `centroids`. Stops when at most
/// `tolerance` assignments change. Empty clusters are re-seeded with the worst-fitting point;
/// when every point fits its centroid exactly they are left empty (fewer real clusters).
/// Returns labels (per member), the objective (sum of cosines to the centroid) and centroids.
fn lloyd(
    rows: &Rows,
    members: &[usize],
    mut centroids: Centroids,
    max_iterations: usize,
    tolerance: usize,
) -> (Vec<usize>, f64, Centroids) {
    let k = centroids.k;
    let mut labels = vec![usize::MAX; members.len()];
    let mut fit = vec![0f32; members.len()];
    let mut scores = vec![0f32; k];
    let mut objective = 0.0;
    for _ in 0..max_iterations.max(1) {
        let mut changed = 0;
        for (m, &p) in members.iter().enumerate() {
            let (indices, values) = rows.row(p);
            centroids.scores(indices, values, &mut scores);
            let mut best = 0;
            for j in 1..k {
                if scores[j] > scores[best] {
                    best = j;
                }
            }
            if labels[m] != best {
                changed += 1;
                labels[m] = best;
            }
            fit[m] = scores[best];
        }
        let mut sizes = vec![0usize; k];
        for &l in &labels {
            sizes[l] += 1;
        }
        // Re-seed empty clusters with the worst-fitting points of clusters that can spare one.
        let mut order: Vec<usize> = (0..members.len()).collect();
        order.sort_by(|&a, &b| fit[a].total_cmp(&fit[b]).then(a.cmp(&b)));
        let mut donors = order.into_iter();
        for j in 0..k {
            if sizes[j] > 0 {
                continue;
            }
            for m in donors.by_ref() {
                if fit[m] < 1.0 - 1e-6 && sizes[labels[m]] > 1 {
                    sizes[labels[m]] -= 1;
                    labels[m] = j;
                    sizes[j] = 1;
                    changed += 1;
                    break;
                }
            }
        }
        let norms;
        (centroids, norms) = Centroids::from_labels(rows, members, &labels, k);
        objective = norms.iter().sum();
        if changed <= tolerance {
            break;
        }
    }
    (labels, objective, centroids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Participant, Utterance};

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

    #[test]
    fn filler_said_across_groups_is_boilerplate_but_a_group_refrain_is_not() {
        let kitchen = [
            "kitchen menu chef",
            "chef tasting menu",
            "kitchen prep chef",
            "menu costing kitchen",
        ];
        let garden = [
            "garden compost soil",
            "soil seedlings garden",
            "compost beds seedlings",
            "garden beds soil",
        ];
        let mut c = Corpus::default();
        for i in 0..20 {
            let id = format!("P{i:02}");
            c.participants.push(Participant {
                id: id.clone(),
                attributes: BTreeMap::new(),
            });
            let theme = if i < 10 { kitchen } else { garden };
            let mut said = vec![format!("The {} {}.", theme[i % 4], theme[(i + 1) % 4])];
            if i % 10 < 4 {
                said.push("The onboarding session was okay.".into());
            }
            if i < 5 {
                said.push("Out of habit I call the fish supplier at dawn.".into());
            }
            for text in said {
                c.utterances.push(Utterance {
                    question: None,
                    participant_id: id.clone(),
                    source: 0,
                    location: "line 1".into(),
                    text,
                });
            }
        }
        let f = Features::build(&c);
        let in_vocabulary = |surface: &str| {
            let id = f.surfaces.iter().position(|s| s == surface).expect("term seen");
            f.column_of[id] != u32::MAX
        };
        assert!(!in_vocabulary("onboarding"), "filler counted");
        assert!(in_vocabulary("supplier"), "group refrain dropped");
        assert!(in_vocabulary("kitchen") && in_vocabulary("garden"));
    }

    #[test]
    fn identifier_like_attributes_are_ignored() {
        let people: Vec<Participant> = (0..12)
            .map(|i| Participant {
                id: format!("P{i}"),
                attributes: [
                    ("email".to_string(), format!("p{i}@x.org")),
                    ("team".to_string(), "A".to_string()),
                ]
                .into_iter()
                .collect(),
            })
            .collect();
        let c = Corpus {
            participants: people,
            ..Corpus::default()
        };
        let enc = AttributeEncoding::build(&c);
        assert_eq!(enc.kinds["email"].0, AttributeKind::Ignored);
        assert_eq!(
            enc.kinds["team"].0,
            AttributeKind::Categorical {
                values: BTreeMap::new()
            }
        );
        assert_eq!(enc.dim, 0);
    }
}
