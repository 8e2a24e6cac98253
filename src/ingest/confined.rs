//! Reading one data file within bounds: at most a size limit, and, for a job, only inside its
//! confining folder, checked on the open descriptor (so a file swapped for a link after any
//! earlier check is not read).

use super::error::IngestError;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Reads at most `limit` bytes; a file that turns out larger (it grew since its size was
/// checked) is rejected without reading the rest. With `confine`, the file is opened with
/// [`open_confined`], so a swap after any earlier check cannot lead the read out of it.
pub(super) fn read_limited(
    path: &Path,
    file: &str,
    limit: u64,
    confine: Option<&Path>,
) -> Result<Vec<u8>, IngestError> {
    let unreadable = |e: io::Error| IngestError::Unreadable {
        file: file.to_string(),
        message: e.to_string(),
    };
    let handle = match confine {
        None => File::open(path).map_err(unreadable)?,
        Some(root) => match open_confined(path, root).map_err(unreadable)? {
            Some(handle) => handle,
            None => return Err(IngestError::OutsideDataDir { file: file.to_string() }),
        },
    };
    let size_hint = handle.metadata().map(|m| m.len()).unwrap_or(0).min(limit);
    let mut bytes = Vec::with_capacity(usize::try_from(size_hint).unwrap_or(0));
    handle
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > limit {
        return Err(IngestError::FileTooLarge {
            file: file.to_string(),
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// Opens a data file for reading only if the file opened lies inside `root` (canonical):
/// `Ok(None)` when it does not. The check is made on the open descriptor, not on the path, so
/// nothing swapped in between a check and the open (a symbolic link as the file or as a folder
/// on its path) can lead the read out of `root`:
/// - the last component is opened without following a link (`O_NOFOLLOW`, refused with `ELOOP`),
///   and without blocking on a FIFO swapped in (`O_NONBLOCK`, no effect on regular files);
/// - the descriptor's real path (`/proc/self/fd/N`) must lie inside `root`; where `/proc` is
///   missing, the path is resolved again and must lead, inside `root`, to the very file opened
///   (same device and inode).
///
/// A hard link inside `root` to a file elsewhere is that file's own name inside `root` and is
/// read: hard links cannot be told apart, and making one needs write access to `root`.
pub(super) fn open_confined(path: &Path, root: &Path) -> io::Result<Option<File>> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let handle = match options.open(path) {
        // ELOOP: the last component is a symbolic link.
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(None),
        other => other?,
    };
    let opened = handle.metadata()?;
    if !opened.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    let inside = match opened_path(&handle) {
        Some(real) => real.starts_with(root),
        None => resolves_inside_to(path, root, &opened),
    };
    Ok(inside.then_some(handle))
}

/// The fallback of [`open_confined`] without `/proc`: `path`, resolved now, lies inside `root`
/// and is the file `opened` (so that file has a name inside `root`, whatever happened before).
pub(super) fn resolves_inside_to(path: &Path, root: &Path, opened: &fs::Metadata) -> bool {
    fs::canonicalize(path)
        .and_then(|resolved| Ok((resolved.starts_with(root), fs::metadata(resolved)?)))
        .is_ok_and(|(within, found)| within && same_file(&found, opened))
}

/// Where an open file really is, from `/proc/self/fd` (Linux); `None` where that is unavailable.
fn opened_path(handle: &File) -> Option<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        fs::read_link(format!("/proc/self/fd/{}", handle.as_raw_fd())).ok()
    }
    #[cfg(not(unix))]
    {
        let _ = handle;
        None
    }
}

/// Whether two metadata describe one file: device and inode (elsewhere the resolved path's
/// containment alone decides).
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        a.dev() == b.dev() && a.ino() == b.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
    }
}
