//! Storage faults: a write that failed because the disk is full, the file is read-only, the
//! disk answers with I/O errors or the file is corrupt, or because the database file was deleted
//! or replaced while the server runs. [`StorageHealth`] records the last such fault; probes
//! report it (503) until a write succeeds again, and writes refuse to run while the file they
//! would write to is no longer the database.

use crate::error::Error;
use rusqlite::ErrorCode;
use std::path::Path;
use std::sync::Mutex;

/// Why writes fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFault {
    DiskFull,
    ReadOnly,
    Io,
    Corrupt,
    /// The file was deleted or another file put in its place: writes would go to a file nobody
    /// will open again. Only a restart clears it.
    Replaced,
}

impl StorageFault {
    /// The fault behind an SQLite error, if it is one.
    pub fn of_sqlite(e: &rusqlite::Error) -> Option<StorageFault> {
        match e.sqlite_error_code()? {
            ErrorCode::DiskFull => Some(StorageFault::DiskFull),
            ErrorCode::ReadOnly => Some(StorageFault::ReadOnly),
            ErrorCode::SystemIoFailure | ErrorCode::CannotOpen => Some(StorageFault::Io),
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => Some(StorageFault::Corrupt),
            _ => None,
        }
    }

    /// What clients and probes are told (the first words are how [`StorageFault::of_error`]
    /// recognises it again).
    pub fn message(self) -> &'static str {
        match self {
            StorageFault::DiskFull => "storage fault: the disk is full; writes fail until space is freed",
            StorageFault::ReadOnly => "storage fault: the database file is read-only; writes fail until it is writable",
            StorageFault::Io => "storage fault: the disk reports I/O errors; writes fail",
            StorageFault::Corrupt => {
                "storage fault: the database file is corrupt; restore it from a backup (see docs/operations.md)"
            }
            StorageFault::Replaced => {
                "storage fault: the database file was deleted or replaced while the server runs; writes are \
                 refused so that nothing is acknowledged into a lost file; restart the server"
            }
        }
    }

    /// The error a request gets: 503 `unavailable` with [`StorageFault::message`].
    pub fn error(self) -> Error {
        Error::Unavailable(self.message().to_string())
    }

    /// The fault an error stands for, when it was made by [`StorageFault::error`].
    pub fn of_error(e: &Error) -> Option<StorageFault> {
        let Error::Unavailable(message) = e else {
            return None;
        };
        [
            StorageFault::DiskFull,
            StorageFault::ReadOnly,
            StorageFault::Io,
            StorageFault::Corrupt,
            StorageFault::Replaced,
        ]
        .into_iter()
        .find(|fault| message == fault.message())
    }
}

/// The identity of a file on its device; a new file at the same path has another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileIdentity {
    device: u64,
    inode: u64,
}

impl FileIdentity {
    /// `None` when the file is missing (or the platform has no inodes).
    pub fn of(path: &Path) -> Option<FileIdentity> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let metadata = std::fs::metadata(path).ok()?;
            Some(FileIdentity {
                device: metadata.dev(),
                inode: metadata.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            std::fs::metadata(path)
                .ok()
                .map(|_| FileIdentity { device: 0, inode: 0 })
        }
    }
}

/// The last storage fault of writes, shared by every clone of a [`crate::store::Db`].
#[derive(Debug, Default)]
pub struct StorageHealth {
    fault: Mutex<Option<StorageFault>>,
}

impl StorageHealth {
    pub fn fault(&self) -> Option<StorageFault> {
        *self.fault.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the fault of a failed write (if it was one).
    pub fn record(&self, fault: StorageFault) {
        let mut current = self.fault.lock().unwrap_or_else(|e| e.into_inner());
        if *current != Some(fault) {
            log::error!("{}", fault.message());
        }
        // A replaced file stays the reason: no later write can succeed against it.
        if *current != Some(StorageFault::Replaced) {
            *current = Some(fault);
        }
    }

    /// A write succeeded: the storage works again.
    pub fn clear(&self) {
        let mut current = self.fault.lock().unwrap_or_else(|e| e.into_inner());
        if matches!(*current, Some(fault) if fault != StorageFault::Replaced) {
            log::info!("storage recovered: writes succeed again");
            *current = None;
        }
    }
}

/// What probes say about a failed database check: the storage fault when there is one (disk
/// full, read-only, corrupt, replaced file), else a fixed phrase (details stay in the log).
pub fn probe_message(e: &crate::error::Error) -> String {
    match (StorageFault::of_error(e), e) {
        (Some(fault), _) => fault.message().to_string(),
        // The store's own words (a missing database file): no internals in them.
        (None, crate::error::Error::Unavailable(message)) => message.clone(),
        (None, _) => "the database cannot be queried".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_recognised_from_their_errors_and_cleared_by_a_good_write() {
        let health = StorageHealth::default();
        assert_eq!(health.fault(), None);
        health.record(StorageFault::DiskFull);
        assert_eq!(
            StorageFault::of_error(&StorageFault::DiskFull.error()),
            Some(StorageFault::DiskFull)
        );
        assert_eq!(StorageFault::of_error(&Error::Unavailable("busy".into())), None);
        assert_eq!(health.fault(), Some(StorageFault::DiskFull));
        health.clear();
        assert_eq!(health.fault(), None);
        health.record(StorageFault::Replaced);
        health.record(StorageFault::Io);
        health.clear();
        assert_eq!(
            health.fault(),
            Some(StorageFault::Replaced),
            "only a restart clears a replaced file"
        );
    }
}
