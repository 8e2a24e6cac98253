//! The data directory, resolved once at start-up: the `data` paths of requests must stay
//! inside it.

use crate::error::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// The data directory, resolved once at start-up: `data` paths of requests must stay inside it.
#[derive(Debug, Clone)]
pub struct DataDir {
    /// As configured, made absolute and lexically normalised.
    configured: PathBuf,
    /// With symbolic links resolved.
    canonical: PathBuf,
}

impl DataDir {
    pub fn resolve(path: &Path) -> Result<DataDir> {
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()?.join(path)
        };
        let canonical = absolute.canonicalize().map_err(|e| {
            Error::invalid(format!(
                "the data directory {} (storage.data_dir) cannot be used: {e}",
                path.display()
            ))
        })?;
        if !canonical.is_dir() {
            return Err(Error::invalid(format!(
                "the data directory {} (storage.data_dir) is not a directory",
                path.display()
            )));
        }
        Ok(DataDir {
            configured: normalise(&absolute).unwrap_or_else(|| canonical.clone()),
            canonical,
        })
    }

    pub fn canonical(&self) -> &Path {
        &self.canonical
    }

    /// Resolves a request's `data` path: relative paths are joined to the data directory,
    /// absolute ones must lie inside it; `..` may not leave it, nor may symbolic links. Returns the
    /// canonical path of an existing file or folder, or a 400 error naming `data`.
    pub fn resolve_request_path(&self, data: &str) -> Result<PathBuf> {
        let outside = || Error::InvalidInput {
            message: format!("data path {data:?} is outside the data directory"),
            details: serde_json::json!({"field": "data", "data": data}),
        };
        let requested = Path::new(data);
        let joined = if requested.is_absolute() {
            requested.to_path_buf()
        } else {
            self.configured.join(requested)
        };
        // Checked lexically before touching the filesystem, so that answers do not reveal which
        // files exist outside the data directory.
        let lexical = normalise(&joined).ok_or_else(outside)?;
        if !(lexical.starts_with(&self.configured) || lexical.starts_with(&self.canonical)) {
            return Err(outside());
        }
        let canonical = lexical.canonicalize().map_err(|e| {
            let message = if e.kind() == std::io::ErrorKind::NotFound {
                format!("data file {data:?} does not exist in the data directory")
            } else {
                format!("data file {data:?} cannot be read: {e}")
            };
            Error::InvalidInput {
                message,
                details: serde_json::json!({"field": "data", "data": data}),
            }
        })?;
        if !canonical.starts_with(&self.canonical) {
            return Err(outside());
        }
        Ok(canonical)
    }
}

/// Removes `.` and resolves `..` without touching the filesystem; `None` if `..` climbs above
/// the root.
fn normalise(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component.as_os_str()),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() || out.as_os_str().is_empty() {
                    return None;
                }
            }
            Component::Normal(part) => out.push(part),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_stay_inside_the_data_directory() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir_all(data.join("sub")).unwrap();
        std::fs::write(data.join("a.csv"), "x").unwrap();
        std::fs::write(data.join("sub/b.csv"), "x").unwrap();
        std::fs::write(root.path().join("secret.csv"), "x").unwrap();
        let dir = DataDir::resolve(&data).unwrap();

        assert_eq!(
            dir.resolve_request_path("a.csv").unwrap(),
            dir.canonical().join("a.csv")
        );
        assert_eq!(
            dir.resolve_request_path("./sub/../a.csv").unwrap(),
            dir.canonical().join("a.csv")
        );
        assert!(dir.resolve_request_path("sub").unwrap().is_dir());
        let absolute = data.join("sub/b.csv");
        assert!(dir.resolve_request_path(absolute.to_str().unwrap()).is_ok());

        for escape in [
            "../secret.csv",
            "sub/../../secret.csv",
            "/etc/passwd",
            "../../../../../../etc/passwd",
        ] {
            let err = dir.resolve_request_path(escape).unwrap_err().to_string();
            assert!(err.contains("outside the data directory"), "{escape}: {err}");
            assert!(err.contains(escape), "{err}");
        }
        // Outside paths get the same answer whether or not they exist.
        let err = dir.resolve_request_path("../nonexistent.csv").unwrap_err().to_string();
        assert!(err.contains("outside"), "{err}");

        let err = dir.resolve_request_path("missing.csv").unwrap_err().to_string();
        assert!(err.contains("does not exist") && err.contains("missing.csv"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_out_of_the_data_directory_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::write(root.path().join("secret.csv"), "x").unwrap();
        std::os::unix::fs::symlink(root.path().join("secret.csv"), data.join("link.csv")).unwrap();
        let dir = DataDir::resolve(&data).unwrap();
        let err = dir.resolve_request_path("link.csv").unwrap_err().to_string();
        assert!(err.contains("outside"), "{err}");
    }

    #[test]
    fn a_missing_data_directory_is_named() {
        let err = DataDir::resolve(Path::new("/nonexistent/data"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/data") && err.contains("storage.data_dir"),
            "{err}"
        );
    }
}
