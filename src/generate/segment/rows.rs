//! Participants' feature rows, sparse.

/// Sparse rows (CSR), each L2-normalised or empty.
pub(super) struct Rows {
    pub(super) offsets: Vec<usize>,
    pub(super) indices: Vec<u32>,
    pub(super) values: Vec<f32>,
    pub(super) dim: usize,
}

impl Rows {
    pub(super) fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let range = self.offsets[i]..self.offsets[i + 1];
        (&self.indices[range.clone()], &self.values[range])
    }

    pub(super) fn is_empty_row(&self, i: usize) -> bool {
        self.offsets[i] == self.offsets[i + 1]
    }
}
