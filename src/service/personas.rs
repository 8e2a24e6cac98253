//! Stored personas.

use crate::domain::Persona;
use crate::error::{Error, Result};
use crate::store::{Db, personas};

/// One stored persona; 404 when unknown. Blocking.
pub fn read(db: &Db, id: &str) -> Result<Persona> {
    db.read(|conn| personas::get_persona(conn, id))?
        .map(|(persona, _)| persona)
        .ok_or_else(|| Error::NotFound {
            resource: "persona",
            id: id.to_string(),
        })
}
