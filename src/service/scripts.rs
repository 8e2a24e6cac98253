//! Conversation scripts from a stored or inline persona, audited for privacy leaks.

use crate::error::Result;
use crate::scripts::{ScriptError, ScriptResult, ValidatedScriptRequest, generate_script_bounded};
use crate::store::Db;

/// Builds the script a checked request asks for (404 when a stored persona is unknown); the
/// inner result is the script or why it was refused. Blocking (CPU work).
pub fn generate(
    db: &Db,
    request: ValidatedScriptRequest,
    max_bytes: usize,
) -> Result<std::result::Result<ScriptResult, ScriptError>> {
    let persona = match request.source {
        crate::scripts::ScriptSource::Inline(persona) => *persona,
        crate::scripts::ScriptSource::Stored(id) => super::personas::read(db, &id)?,
    };
    Ok(generate_script_bounded(&persona, &request.options, max_bytes))
}
