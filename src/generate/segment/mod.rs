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
//!
//! `features` turns a corpus into those rows and describes the segments found;
//! `kmeans` does the clustering.

mod features;
mod kmeans;
mod rows;

use super::types::Segment;
use crate::domain::Corpus;
use features::Features;
use kmeans::cluster;

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

#[cfg(test)]
mod tests;
