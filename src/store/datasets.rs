//! The `datasets` table: uploaded research data files, checked by ingestion when accepted.

use crate::error::{Error, Result};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

/// One row of `datasets`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub id: String,
    pub filename: String,
    pub path: String,
    pub format: String,
    pub bytes: u64,
    pub sha256: String,
    pub participants: u64,
    pub utterances: u64,
    pub created_at: String,
}

const COLUMNS: &str = "id, filename, path, format, bytes, sha256, participants, utterances, created_at";

fn from_row(row: &Row<'_>) -> rusqlite::Result<Dataset> {
    Ok(Dataset {
        id: row.get(0)?,
        filename: row.get(1)?,
        path: row.get(2)?,
        format: row.get(3)?,
        bytes: row.get::<_, i64>(4)? as u64,
        sha256: row.get(5)?,
        participants: row.get::<_, i64>(6)? as u64,
        utterances: row.get::<_, i64>(7)? as u64,
        created_at: row.get(8)?,
    })
}

pub fn insert(tx: &Transaction<'_>, dataset: &Dataset) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO datasets (id, filename, path, format, bytes, sha256, participants, utterances, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        dataset.id,
        dataset.filename,
        dataset.path,
        dataset.format,
        dataset.bytes as i64,
        dataset.sha256,
        dataset.participants as i64,
        dataset.utterances as i64,
        dataset.created_at,
    ])?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Dataset>> {
    let sql = format!("SELECT {COLUMNS} FROM datasets WHERE id = ?1");
    Ok(conn.prepare_cached(&sql)?.query_row([id], from_row).optional()?)
}

/// Datasets, newest first.
pub fn list(conn: &Connection, limit: u32, offset: u64) -> Result<Vec<Dataset>> {
    let sql = format!("SELECT {COLUMNS} FROM datasets ORDER BY created_at DESC, rowid DESC LIMIT ?1 OFFSET ?2");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![limit, offset as i64], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection) -> Result<u64> {
    let n: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM datasets")?
        .query_row([], |row| row.get(0))?;
    Ok(n as u64)
}

/// Deletes a dataset's row and returns it; `None` when unknown. 409 `conflict` while a pending or
/// running job reads it (its file must stay until the job has read it).
pub fn delete(tx: &Transaction<'_>, id: &str) -> Result<Option<Dataset>> {
    let Some(dataset) = get(tx, id)? else {
        return Ok(None);
    };
    let users: i64 = tx
        .prepare_cached("SELECT COUNT(*) FROM jobs WHERE data_source = ?1 AND status IN ('pending', 'running')")?
        .query_row([&dataset.path], |row| row.get(0))?;
    if users > 0 {
        return Err(Error::Conflict(format!(
            "dataset {id} is used by {users} pending or running job(s); delete it once they have ended"
        )));
    }
    tx.prepare_cached("DELETE FROM datasets WHERE id = ?1")?.execute([id])?;
    Ok(Some(dataset))
}
