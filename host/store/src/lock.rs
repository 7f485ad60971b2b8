//! The single-runner lock: one `dgov run` per repository. An advisory `flock` on
//! `.dgov/run.lock`, released by the kernel when the process dies (even on `kill -9`), so a
//! crash never leaves a stale lock behind. Readers (`status`, `watch`) never take it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::StoreError;

/// Held for the lifetime of a run; dropping it releases the lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    path: PathBuf,
}

impl RunLock {
    /// Take the lock for the repository whose `.dgov` directory is `dgov_dir`, or fail with
    /// [`StoreError::Busy`] naming the pid of the run holding it.
    pub fn acquire(dgov_dir: &Path) -> Result<RunLock, StoreError> {
        std::fs::create_dir_all(dgov_dir).map_err(|e| StoreError::io(dgov_dir, e))?;
        let path = dgov_dir.join("run.lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let pid = text.trim().parse::<u32>().ok();
            return Err(StoreError::Busy { lock: path, pid });
        }
        file.set_len(0).map_err(|e| StoreError::io(&path, e))?;
        file.seek(SeekFrom::Start(0))
            .map_err(|e| StoreError::io(&path, e))?;
        writeln!(file, "{}", std::process::id()).map_err(|e| StoreError::io(&path, e))?;
        Ok(RunLock { _file: file, path })
    }

    /// Whether some process currently holds the lock (a run is live).
    pub fn is_held(dgov_dir: &Path) -> bool {
        let path = dgov_dir.join("run.lock");
        let Ok(file) = File::open(&path) else {
            return false;
        };
        // SAFETY: as above. A shared non-blocking lock fails only while a run holds it.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) };
        if rc == 0 {
            // SAFETY: releasing the lock we just took.
            unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
            false
        } else {
            true
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
