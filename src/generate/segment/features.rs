//! Participant features: TF-IDF rows over what each participant says (boilerplate left out)
//! plus one-hot attribute columns, and the description of the segments found on them.

use super::rows::Rows;
use crate::domain::Corpus;
use crate::generate::types::Segment;
use crate::quality::claim_text as text;
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
/// Distinctive terms kept per segment.
const TOP_TERMS: usize = 20;
/// Numeric attributes are one-hot encoded as this many quantile bins.
const NUMERIC_BINS: usize = 4;
/// A categorical value is "dominant" in a segment when this share of its members has it.
const DOMINANT_SHARE: f64 = 0.4;
/// Marks a term occurrence outside any repeated sentence.
const NO_SENTENCE: u32 = u32::MAX;

/// Term statistics of a corpus: the interned terms and which participants use them.
pub(super) struct Features {
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
    pub(super) fn build(corpus: &Corpus) -> Features {
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
    pub(super) fn rows(&self, corpus: &Corpus, with_attributes: bool) -> Rows {
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
    pub(super) fn segments(&self, corpus: &Corpus, rows: &Rows, labels: &[usize], k: usize) -> Vec<Segment> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Participant, Utterance};

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
