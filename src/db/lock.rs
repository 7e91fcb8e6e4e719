//! The data-dir lock: held by `serve` for its whole life so other commands
//! (restore) and a second server can tell that the data dir is in use.

use std::{
    fs::{File, OpenOptions, TryLockError},
    io::{Read, Seek, Write},
    path::Path,
};

/// File name of the lock inside the data dir.
pub const LOCK_FILE: &str = "daytona.lock";

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another daytona server is running on data dir {dir} (pid {pid}); stop it first")]
    Held { dir: String, pid: String },
    #[error("cannot lock data dir {dir}: {source}")]
    Io { dir: String, source: std::io::Error },
}

/// An exclusive lock on the data dir, released when dropped (or when the
/// process dies, even by `kill -9`: the OS drops the file lock).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    pub fn acquire(dir: &Path) -> Result<DataDirLock, LockError> {
        let io = |source| LockError::Io {
            dir: dir.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(dir.join(LOCK_FILE))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                return Err(LockError::Held {
                    dir: dir.display().to_string(),
                    pid: pid.trim().to_owned(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(DataDirLock { _file: file })
    }

    /// Whether a running server holds the lock on `dir`.
    pub fn is_held(dir: &Path) -> bool {
        matches!(DataDirLock::acquire(dir), Err(LockError::Held { .. }))
    }
}
