//! Types shared by every layer: identifiers, times, the corpus read from research data and the
//! canonical persona JSON.

pub mod corpus;
pub mod ids;
pub mod jobs;
pub mod persona;
pub mod time;
pub mod values;
pub mod webhooks;

pub use corpus::{
    BlankRows, Corpus, IngestReport, LabelMerge, NonParticipant, Participant, SkippedColumn, SkippedFile, SourceFile,
    Utterance,
};
pub use ids::IdKind;
pub use persona::{Evidence, EvidenceField, Persona};
