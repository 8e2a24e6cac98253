//! Quality evaluation of a request: inline personas, one stored persona (against the other
//! personas of its run), or a stored run. Read-only.

use crate::error::{Error, Result};
use crate::quality::{QualityResponse, QualitySource, ValidatedQualityRequest, evaluate, evaluate_persona};
use crate::store::{Db, personas, runs};

/// Loads the personas a request names and scores them. Blocking.
pub fn evaluate_request(db: &Db, request: ValidatedQualityRequest) -> Result<QualityResponse> {
    let preset = request.preset;
    match request.source {
        QualitySource::Inline(personas) => evaluate(&personas, &preset),
        QualitySource::Persona(id) => {
            let run_personas = db.read(|conn| {
                let (_, run_id) = personas::get_persona(conn, &id)?.ok_or_else(|| Error::NotFound {
                    resource: "persona",
                    id: id.clone(),
                })?;
                personas::personas_for_run(conn, &run_id)
            })?;
            evaluate_persona(&id, &run_personas, &preset)
        }
        QualitySource::Run(id) => {
            let (run, run_personas) = db.read(|conn| {
                let run = runs::get(conn, &id)?.ok_or_else(|| Error::NotFound {
                    resource: "run",
                    id: id.clone(),
                })?;
                Ok((run, personas::personas_for_run(conn, &id)?))
            })?;
            if run_personas.is_empty() {
                return Err(Error::Conflict(format!(
                    "run {id} has no personas to score (its status is {})",
                    run.status.as_str()
                )));
            }
            evaluate(&run_personas, &preset)
        }
    }
}
