//! Spherical k-means over the participant rows: k-means++ seeding, Lloyd iterations, single-point
//! moves, restarts on a sample, over-clustering and merging of the most similar clusters.

use super::rows::Rows;
use crate::generate::rng::SplitMix64;

/// Restarts are run on at most this many participants; the best is then refined on everyone.
const SAMPLE_LIMIT: usize = 4_000;
const MAX_ITERATIONS_SAMPLE: usize = 40;
const MAX_ITERATIONS_FULL: usize = 25;
const MAX_LOCAL_SEARCH_PASSES: usize = 20;
/// Clusters found before merging, per cluster requested.
const OVERCLUSTER_FACTOR: usize = 3;
/// Smallest average size of those clusters (small corpora are not over-clustered).
const MIN_SUBCLUSTER_SIZE: usize = 8;

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
pub(super) fn cluster(rows: &Rows, count: usize, seed: u64) -> (Vec<usize>, usize) {
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
