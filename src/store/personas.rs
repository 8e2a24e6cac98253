//! The `personas` table: each persona of a run, in order, with its full canonical JSON in `data`.

use crate::domain::Persona;
use crate::error::Result;
use rusqlite::{Connection, Transaction, params};

/// Stores the personas of a run in order. Each stored document carries the run's `run_id` and
/// `experiment_id` (filled in when the generator left them out) and a `created_at`.
pub fn insert_for_run(
    tx: &Transaction<'_>,
    run_id: &str,
    experiment_id: &str,
    personas: &[Persona],
    now: &str,
) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO personas (id, run_id, experiment_id, position, name, title, data, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for (position, persona) in personas.iter().enumerate() {
        let mut stored = persona.clone();
        stored.run_id = Some(run_id.to_string());
        stored.experiment_id = Some(experiment_id.to_string());
        let created_at = stored.created_at.get_or_insert_with(|| now.to_string()).clone();
        stmt.execute(params![
            stored.id,
            run_id,
            experiment_id,
            position as i64,
            stored.name,
            stored.title,
            serde_json::to_string(&stored)?,
            created_at,
        ])?;
    }
    Ok(())
}

/// The personas of a run in order, as their stored JSON documents.
pub fn list_for_run(conn: &Connection, run_id: &str) -> Result<Vec<serde_json::Value>> {
    let mut stmt = conn.prepare_cached("SELECT data FROM personas WHERE run_id = ?1 ORDER BY position")?;
    let rows = stmt.query_map([run_id], |row| row.get::<_, String>(0))?;
    let mut personas = Vec::new();
    for text in rows {
        personas.push(super::parse_json("personas.data", &text?)?);
    }
    Ok(personas)
}

/// The personas of a run in order, as the stored JSON text (for responses that pass them on
/// without re-encoding).
pub fn list_raw_for_run(conn: &Connection, run_id: &str) -> Result<Vec<Box<serde_json::value::RawValue>>> {
    let mut stmt = conn.prepare_cached("SELECT data FROM personas WHERE run_id = ?1 ORDER BY position")?;
    let rows = stmt.query_map([run_id], |row| row.get::<_, String>(0))?;
    let mut personas = Vec::new();
    for text in rows {
        let raw = serde_json::value::RawValue::from_string(text?)
            .map_err(|e| crate::error::Error::Internal(format!("corrupt JSON in column personas.data: {e}")))?;
        personas.push(raw);
    }
    Ok(personas)
}

/// One stored persona (decoded), with the id of its run; `None` when unknown.
pub fn get_persona(conn: &Connection, id: &str) -> Result<Option<(Persona, String)>> {
    let mut stmt = conn.prepare_cached("SELECT data, run_id FROM personas WHERE id = ?1")?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => {
            let persona = decode(&row.get::<_, String>(0)?)?;
            Ok(Some((persona, row.get(1)?)))
        }
        None => Ok(None),
    }
}

/// The personas of a run in order, decoded (for computations such as quality scores).
pub fn personas_for_run(conn: &Connection, run_id: &str) -> Result<Vec<Persona>> {
    let mut stmt = conn.prepare_cached("SELECT data FROM personas WHERE run_id = ?1 ORDER BY position")?;
    let rows = stmt.query_map([run_id], |row| row.get::<_, String>(0))?;
    let mut personas = Vec::new();
    for text in rows {
        personas.push(decode(&text?)?);
    }
    Ok(personas)
}

fn decode(text: &str) -> Result<Persona> {
    serde_json::from_str(text)
        .map_err(|e| crate::error::Error::Internal(format!("corrupt persona in column personas.data: {e}")))
}
