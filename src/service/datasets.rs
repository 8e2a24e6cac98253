//! Uploaded datasets: where their files live (`<data_dir>/datasets/<id>/<file>`), the name an
//! upload is stored under, the ingestion check an upload must pass, and deletion. The HTTP side
//! (streaming the body under the size limit) is in `api::datasets`.

use crate::config::StorageSettings;
use crate::domain::{Corpus, IdKind};
use crate::error::{Error, Result};
pub use crate::ingest::inspect::Inspection;
use crate::ingest::{self, Format, IngestError, IngestLimits};
use crate::store::Db;
use crate::store::datasets;
pub use crate::store::datasets::Dataset;
use std::path::{Path, PathBuf};

/// Folder of the data directory that holds uploads, one sub-folder per dataset.
pub const DATASETS_DIR: &str = "datasets";
/// Longest stored file name, in bytes.
const MAX_FILENAME_BYTES: usize = 200;

/// The folder an upload with id `id` is stored in.
pub fn folder(data_dir: &Path, id: &str) -> PathBuf {
    data_dir.join(DATASETS_DIR).join(id)
}

/// The schema of an upload's file name, as [`sanitise_filename`] accepts it: its last path
/// component holds a character other than `.` and space before a supported extension (any case).
pub fn filename_schema() -> utoipa::openapi::schema::Object {
    let extensions: Vec<String> = ingest::supported_extensions()
        .iter()
        .map(|ext| {
            ext.chars()
                .map(|c| format!("[{}{}]", c.to_ascii_uppercase(), c))
                .collect::<String>()
        })
        .collect();
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!(
            r"^(?:[\s\S]*[/\\])?[^/\\]*[^/\\. ][^/\\]*\.(?:{})$",
            extensions.join("|")
        )))
        .description(Some(format!(
            "The file's name; its extension gives the format ({}).",
            ingest::supported_extensions().join(", ")
        )))
        .build()
}

/// Reduces an uploaded file name to a safe one (its last path component; letters, digits, `.`,
/// `-`, `_` and spaces) and checks that its extension is a supported format.
pub fn sanitise_filename(name: &str) -> Result<(String, Format)> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut clean: String = last
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    clean = clean.trim().trim_start_matches('.').to_string();
    while clean.len() > MAX_FILENAME_BYTES {
        // Keep the extension: drop characters before it.
        let cut = clean.rfind('.').unwrap_or(clean.len()).saturating_sub(1);
        clean.remove(cut);
    }
    if clean.is_empty() {
        return Err(Error::validation(
            "filename",
            "must name a file, such as interviews.csv",
        ));
    }
    let format = Format::from_file_name(&clean).ok_or_else(|| {
        Error::validation(
            "filename",
            format!(
                "{clean:?} has no supported extension (supported: {})",
                ingest::supported_extensions().join(", ")
            ),
        )
    })?;
    Ok((clean, format))
}

/// Reads an uploaded file with the ingestion code and the storage limits: an upload is kept only
/// when this succeeds. Blocking.
pub fn read_upload(path: &Path, storage: &StorageSettings) -> std::result::Result<Corpus, IngestError> {
    ingest::load_path(path, &IngestLimits::from_settings(storage))
}

/// Deletes a dataset's row and file (409 while a pending or running job reads it). Blocking.
pub fn delete(db: &Db, id: &str) -> Result<()> {
    let owned = id.to_string();
    let dataset = db
        .write(move |tx| datasets::delete(tx, &owned))?
        .ok_or_else(|| Error::NotFound {
            resource: "dataset",
            id: id.to_string(),
        })?;
    if let Some(folder) = Path::new(&dataset.path).parent()
        && let Err(e) = std::fs::remove_dir_all(folder)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        log::warn!("dataset {id}: could not remove {}: {e}", folder.display());
    }
    Ok(())
}

/// The stored file of dataset `id` (`<data_dir>/datasets/<id>/<file>`); 400 naming `data` when
/// there is no such dataset.
pub fn dataset_path(data_dir: &Path, id: &str) -> Result<PathBuf> {
    let unknown = || Error::InvalidInput {
        message: format!("unknown dataset {id:?}"),
        details: serde_json::json!({"field": "data", "data": id}),
    };
    if !IdKind::Dataset.matches(id) {
        return Err(unknown());
    }
    let folder = data_dir.join(DATASETS_DIR).join(id);
    let mut files = std::fs::read_dir(&folder)
        .map_err(|_| unknown())?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|path| path.is_file());
    files.next().ok_or_else(unknown)
}

/// Uploaded datasets, newest first, and how many there are. Blocking.
pub fn list(db: &Db, limit: u32, offset: u64) -> Result<(u64, Vec<Dataset>)> {
    db.read(|conn| Ok((datasets::count(conn)?, datasets::list(conn, limit, offset)?)))
}

/// One uploaded dataset; 404 when unknown. Blocking.
pub fn get(db: &Db, id: &str) -> Result<Dataset> {
    db.read(|conn| datasets::get(conn, id))?.ok_or_else(|| Error::NotFound {
        resource: "dataset",
        id: id.to_string(),
    })
}

/// Records an accepted upload. Blocking.
pub fn record(db: &Db, dataset: &Dataset) -> Result<()> {
    db.write(|tx| datasets::insert(tx, dataset))
}

/// What ingestion finds in dataset `id` with `interviewers` taken for interviewers (the
/// configured ones when empty); 404 when unknown. Blocking.
pub fn inspect(
    db: &Db,
    id: &str,
    interviewers: Vec<String>,
    settings: &crate::config::Settings,
) -> Result<ingest::inspect::Inspection> {
    let dataset = get(db, id)?;
    let interviewers = if interviewers.is_empty() {
        settings.ingest.interviewers.clone()
    } else {
        interviewers
    };
    let options = ingest::IngestOptions { interviewers };
    let limits = IngestLimits::from_settings(&settings.storage);
    let corpus = ingest::load_path_with(Path::new(&dataset.path), &limits, &options)?;
    Ok(ingest::inspect::inspect(&corpus))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_reduced_to_safe_names_with_a_known_extension() {
        assert_eq!(sanitise_filename("interviews.csv").unwrap().0, "interviews.csv");
        assert_eq!(sanitise_filename("../../etc/notes.md").unwrap().0, "notes.md");
        assert_eq!(
            sanitise_filename("C:\\data\\survey (1).json").unwrap().0,
            "survey _1_.json"
        );
        assert_eq!(sanitise_filename("..hidden.yaml").unwrap().0, "hidden.yaml");
        let long = format!("{}.csv", "a".repeat(300));
        let (name, _) = sanitise_filename(&long).unwrap();
        assert!(name.len() <= MAX_FILENAME_BYTES && name.ends_with(".csv"), "{name}");
        for bad in ["", "...", "archive.zip", "noextension"] {
            assert!(sanitise_filename(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_documented_file_name_pattern_allows_only_names_that_are_accepted() {
        let pattern = regex::Regex::new(filename_schema().pattern.as_deref().unwrap()).unwrap();
        let names = [
            "interviews.csv",
            "a/b/notes.MD",
            "C:\\x\\survey (1).Json",
            "..hidden.yaml",
            "é.txt",
            "a\n.srt",
            "",
            "...",
            ".csv",
            " .csv",
            "a/.csv",
            "archive.zip",
            "noextension",
            "csv",
            "a.csv/",
            "a.csv ",
        ];
        for name in names {
            if pattern.is_match(name) {
                assert!(sanitise_filename(name).is_ok(), "{name:?} matches but is refused");
            }
        }
        assert!(pattern.is_match("interviews.csv") && pattern.is_match("a/b/notes.MD"));
        assert!(!pattern.is_match(".csv") && !pattern.is_match("archive.zip"));
    }

    #[test]
    fn dataset_ids_resolve_to_their_stored_file_only() {
        let dir = tempfile::tempdir().unwrap();
        let id = IdKind::Dataset.new_id();
        std::fs::create_dir_all(dir.path().join(DATASETS_DIR).join(&id)).unwrap();
        assert!(dataset_path(dir.path(), &id).is_err(), "no file yet");
        std::fs::write(dir.path().join(DATASETS_DIR).join(&id).join("a.csv"), "x").unwrap();
        assert!(dataset_path(dir.path(), &id).unwrap().ends_with("a.csv"));
        assert!(dataset_path(dir.path(), "dataset-../../etc").is_err());
        assert!(dataset_path(dir.path(), &IdKind::Dataset.new_id()).is_err());
    }
}
