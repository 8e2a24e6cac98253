//! What one file yields before it joins the corpus: its participants (in order of first
//! appearance), their attributes and their utterances.

use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileUtterance {
    /// Index into [`FileRecords::ids`].
    pub participant: usize,
    pub location: String,
    pub text: String,
    /// The survey question (column header) or the interviewer's question it answers.
    pub question: Option<String>,
}

/// A speaker of one file whose lines are not participant evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeftOutSpeaker {
    pub speaker: String,
    /// `interviewer` or `staff`.
    pub role: &'static str,
    pub lines: usize,
    pub reason: String,
}

#[derive(Debug, Default)]
pub(crate) struct FileRecords {
    pub ids: Vec<String>,
    pub attributes: Vec<BTreeMap<String, String>>,
    pub utterances: Vec<FileUtterance>,
    /// Notes for the run's metadata (without the file name: the caller adds it).
    pub warnings: Vec<String>,
    /// Why the file has no utterances, when it has none (e.g. "no free-text columns").
    pub no_text_reason: Option<String>,
    /// Interviewers a transcript's header names (`INTERVIEWERS: Arnold Thackray`).
    pub header_interviewers: Vec<String>,
    /// Speakers left out while reading (labelled interviewers).
    pub left_out: Vec<LeftOutSpeaker>,
    /// Columns or fields neither attribute nor text, with why.
    pub skipped_columns: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl FileRecords {
    /// The index of participant `id`, added on first sight.
    pub fn participant(&mut self, id: &str) -> usize {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.ids.len();
        self.ids.push(id.to_string());
        self.attributes.push(BTreeMap::new());
        self.index.insert(id.to_string(), i);
        i
    }

    /// Sets an attribute unless the participant already has a value for it (the first
    /// non-empty value wins). Inner whitespace is collapsed.
    pub fn set_attribute(&mut self, participant: usize, key: &str, value: &str) {
        let value = value.trim();
        if key.is_empty() || value.is_empty() {
            return;
        }
        let attributes = &mut self.attributes[participant];
        if !attributes.contains_key(key) {
            attributes.insert(key.to_string(), value.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }

    /// Adds an utterance unless its text is blank. The text is kept as written, only trimmed.
    pub fn add_utterance(&mut self, participant: usize, location: String, text: &str) {
        self.add_answer(participant, location, text, None);
    }

    /// Adds an utterance with the question it answers (a survey column, an interviewer's turn).
    pub fn add_answer(&mut self, participant: usize, location: String, text: &str, question: Option<&str>) {
        let text = text.trim();
        if is_placeholder(text) {
            return;
        }
        self.utterances.push(FileUtterance {
            participant,
            location,
            text: text.to_string(),
            question: question.map(str::trim).filter(|q| !q.is_empty()).map(str::to_string),
        });
    }

    /// Notes a speaker left out, adding to the count of one already noted.
    pub fn leave_out(&mut self, speaker: &str, role: &'static str, reason: &str) {
        match self
            .left_out
            .iter_mut()
            .find(|l| l.speaker == speaker && l.role == role)
        {
            Some(known) => known.lines += 1,
            None => self.left_out.push(LeftOutSpeaker {
                speaker: speaker.to_string(),
                role,
                lines: 1,
                reason: reason.to_string(),
            }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.utterances.is_empty() && self.attributes.iter().all(BTreeMap::is_empty)
    }
}

/// A cell that holds no answer: empty, punctuation only (`.`, `-`, `?`), or `NA`, `N/A`, `n.a.`,
/// `null`, `nil`. (`None` and `Nothing` are answers.)
pub(crate) fn is_placeholder(text: &str) -> bool {
    if !text.chars().any(char::is_alphanumeric) {
        return true;
    }
    let compact: String = text
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    text.chars().count() <= 6 && matches!(compact.as_str(), "na" | "nil" | "null" | "x" | "xx" | "xxx")
}

#[cfg(test)]
impl FileRecords {
    /// (participant, location, text) of every utterance, for tests.
    pub(crate) fn texts(&self) -> Vec<(String, String, String)> {
        self.utterances
            .iter()
            .map(|u| (self.ids[u.participant].clone(), u.location.clone(), u.text.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_non_empty_attribute_wins_and_ids_keep_first_sight_order() {
        let mut records = FileRecords::default();
        let b = records.participant("B");
        let a = records.participant("A");
        assert_eq!(records.participant("B"), b);
        records.set_attribute(b, "role", "  ");
        records.set_attribute(b, "role", "Field  Sales\nRep");
        records.set_attribute(b, "role", "Other");
        records.add_utterance(a, "line 2".into(), "   ");
        records.add_utterance(a, "line 3".into(), " I said this. ");
        assert_eq!(records.ids, ["B", "A"]);
        assert_eq!(records.attributes[b]["role"], "Field Sales Rep");
        assert_eq!(records.utterances.len(), 1);
        assert_eq!(records.utterances[0].text, "I said this.");
        assert!(!records.is_empty());
    }
}
