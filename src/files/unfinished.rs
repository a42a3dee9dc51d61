//! What accord is writing and has not yet put in place: temporary files and staging
//! directories, which an interrupted process must not leave behind.
//!
//! Every temporary an output makes is registered here until it is renamed into place or
//! removed. The binary's signal handler (SIGINT, SIGTERM) calls `interrupt`, which waits for
//! any step that must not be cut in half (a rename into place, an append's write and
//! fsync), removes every registered path, and keeps the lock so nothing is put in place
//! after it. The library installs no handler: a program that embeds it (the Python package)
//! keeps its own.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The registered paths, by registration number.
static UNFINISHED: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
static NEXT_REGISTRATION: AtomicU64 = AtomicU64::new(1);

/// How many times an interrupted staging directory is removed again, when the threads
/// still writing into it add entries while it is removed.
const REMOVAL_ATTEMPTS: usize = 20;

/// The lock, whether or not a thread panicked holding it: the list stays meaningful.
fn lock() -> MutexGuard<'static, Vec<(u64, PathBuf)>> {
    UNFINISHED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A path registered as unfinished; dropping it forgets the path (it does not remove it:
/// its owner has renamed or removed it by then).
#[derive(Debug)]
pub struct Registration {
    number: u64,
}

/// Registers `path` as unfinished until the registration is dropped.
pub fn register(path: &Path) -> Registration {
    let number = NEXT_REGISTRATION.fetch_add(1, Ordering::Relaxed);
    lock().push((number, path.to_path_buf()));
    Registration { number }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock().retain(|(number, _)| *number != self.number);
    }
}

/// A step an interrupt must wait for (a rename into place, an append's write and fsync):
/// while the guard lives, `interrupt` does not run.
pub struct Uninterruptible {
    guard: MutexGuard<'static, Vec<(u64, PathBuf)>>,
}

pub fn uninterruptible() -> Uninterruptible {
    Uninterruptible { guard: lock() }
}

impl Uninterruptible {
    /// Registers `path` as unfinished while the lock is held (`register` would wait for it).
    pub fn register(&mut self, path: &Path) -> Registration {
        let number = NEXT_REGISTRATION.fetch_add(1, Ordering::Relaxed);
        self.guard.push((number, path.to_path_buf()));
        Registration { number }
    }

    /// Forgets a registration while the lock is held (dropping it here would wait for the
    /// lock this step holds).
    pub fn release(&mut self, registration: Registration) {
        let number = registration.number;
        std::mem::forget(registration);
        self.guard.retain(|(registered, _)| *registered != number);
    }
}

/// Removes everything unfinished, once no uninterruptible step is running, and returns with
/// the lock held for good: the caller is about to end the process, and nothing may be put in
/// place after this. Returns how many paths were removed.
pub fn interrupt() -> usize {
    let guard = lock();
    let mut removed = 0;
    for (_, path) in guard.iter() {
        if remove_path(path) {
            removed += 1;
        }
    }
    // Held until the process ends.
    std::mem::forget(guard);
    removed
}

/// Removes a file, or a directory and what it holds; true when nothing is left there.
pub(crate) fn remove_path(path: &Path) -> bool {
    for _ in 0..REMOVAL_ATTEMPTS {
        let removed = match std::fs::symlink_metadata(path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return true,
            Err(_) => return false,
            Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
        };
        match removed {
            Ok(()) => return true,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return true,
            // A thread still writing into a staging directory added an entry: again.
            Err(_) => continue,
        }
    }
    false
}

/// How many paths are registered now (for tests).
pub fn count() -> usize {
    lock().len()
}
