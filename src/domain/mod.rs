//! Types shared by every layer: identifiers, times, the corpus read from research data and the
//! canonical persona JSON.

pub mod corpus;
pub mod ids;
pub mod persona;
pub mod time;

pub use corpus::{
    BlankRows, Corpus, IngestReport, LabelMerge, NonParticipant, Participant, SkippedColumn, SkippedFile, SourceFile,
    Utterance,
};
pub use ids::IdKind;
pub use persona::{Evidence, EvidenceField, Persona};
