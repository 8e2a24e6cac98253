//! Storage faults: a write that failed because the disk is full, the file is read-only, the
//! disk answers with I/O errors or the file is corrupt, or because the database file was deleted
//! or replaced while the server runs. [`StorageHealth`] records the last such fault; probes
//! report it (503) until a write succeeds again, and writes refuse to run while the file they
//! would write to is no longer the database.

pub use crate::error::StorageFault;
use std::path::Path;
use std::sync::Mutex;

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
    use crate::error::Error;

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
