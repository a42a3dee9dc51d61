//! Outputs: the files and directories accord creates for a user (a report, a run log, a
//! directory of run logs, rows per run, a CSV, a key pair, a copy of a log, a snapshot, a
//! checkpoint, an append's intent), each put in place whole or not at all.
//!
//! One mechanism serves them all:
//!
//! 1. `OutputPath::check` looks at what stands at the path before anything is written: only
//!    nothing, or a regular file (with `--force`), may be written over; a directory, a
//!    FIFO, a device, a socket, or a symbolic link to any of them (or to nothing) is refused.
//!    A symbolic link to a regular file is followed: with `--force` the file it names is
//!    replaced and the link stays a link.
//! 2. `OutputFile` writes into a temporary file beside the output (in the same directory, so
//!    the rename is atomic), registered in `unfinished` so that an interrupt removes it.
//! 3. `commit_all` syncs each temporary, then renames each into place without interruption:
//!    without `--force` by a rename that never replaces (`RENAME_NOREPLACE`), so a file that
//!    appeared meanwhile is still refused; several files together (a key pair) all or none,
//!    the files they replace kept aside until every rename has succeeded.
//! 4. A temporary that is dropped unfinished (an error, a full disk) is removed.
//!
//! `OutputDirectory` does the same for a directory of files: they are written into a
//! staging directory beside it, which is renamed into place when every file is there.

use std::ffi::{CString, OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::files::unfinished::{self, Registration};

/// Attempts at a temporary name before giving up (a name is taken only by a leftover of a
/// process with the same id).
const TEMPORARY_NAME_ATTEMPTS: u64 = 100;

/// Bytes of the output's name kept in its temporary's name, so the temporary's name stays
/// within the 255 bytes a file name may have.
const NAME_BYTES_KEPT: usize = 96;

static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{}: exists; accord does not overwrite it (--force replaces it)", .path.display())]
    Exists { path: PathBuf },
    #[error("{}: {what}; accord writes only to regular files", .path.display())]
    NotRegular { path: PathBuf, what: String },
    /// A directory output that cannot be used as it stands.
    #[error("{}: {detail}", .path.display())]
    Directory { path: PathBuf, detail: String },
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl OutputError {
    fn io(path: &Path, source: io::Error) -> OutputError {
        OutputError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What a file system object is, for people: "a directory", "a FIFO", ...
pub fn kind_of(metadata: &fs::Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_file() {
        "a regular file"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file"
    }
}

/// Where an output file goes, checked before anything is written.
#[derive(Clone, Debug)]
pub struct OutputPath {
    /// The path as the user gave it, for messages.
    shown: PathBuf,
    /// Where the bytes go: the path itself, or the regular file a symbolic link names.
    real: PathBuf,
    /// A regular file stands there (and `force` was given).
    exists: bool,
    force: bool,
}

impl OutputPath {
    /// Checks what stands at `path`: nothing, or a regular file (replaced only with
    /// `force`). Anything else is refused, and nothing is touched.
    pub fn check(path: &Path, force: bool) -> Result<OutputPath, OutputError> {
        let absent = OutputPath {
            shown: path.to_path_buf(),
            real: path.to_path_buf(),
            exists: false,
            force,
        };
        if path.as_os_str().is_empty() {
            return Err(OutputError::io(
                path,
                io::Error::new(io::ErrorKind::InvalidInput, "an empty path names no file"),
            ));
        }
        let link = match fs::symlink_metadata(path) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(absent),
            Err(error) => return Err(OutputError::io(path, error)),
            Ok(metadata) => metadata,
        };
        let real = if link.file_type().is_symlink() {
            let metadata = match fs::metadata(path) {
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    return Err(OutputError::NotRegular {
                        path: path.to_path_buf(),
                        what: "a symbolic link to nothing (accord does not create a file through a link)".into(),
                    });
                }
                Err(error) => {
                    return Err(OutputError::NotRegular {
                        path: path.to_path_buf(),
                        what: format!("a symbolic link that cannot be followed ({error})"),
                    });
                }
                Ok(metadata) => metadata,
            };
            if !metadata.is_file() {
                return Err(OutputError::NotRegular {
                    path: path.to_path_buf(),
                    what: format!("a symbolic link to {}", kind_of(&metadata)),
                });
            }
            fs::canonicalize(path).map_err(|error| OutputError::io(path, error))?
        } else {
            if !link.is_file() {
                return Err(OutputError::NotRegular {
                    path: path.to_path_buf(),
                    what: kind_of(&link).to_string(),
                });
            }
            path.to_path_buf()
        };
        if !force {
            return Err(OutputError::Exists {
                path: path.to_path_buf(),
            });
        }
        Ok(OutputPath {
            real,
            exists: true,
            ..absent
        })
    }

    /// The path as the user gave it.
    pub fn path(&self) -> &Path {
        &self.shown
    }

    /// Whether a regular file stood there when it was checked (and will be replaced).
    pub fn replaces(&self) -> bool {
        self.exists
    }
}

/// The directory a path's file is in.
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A name for a temporary beside `real`: `.NAME.accord-PID-N.SUFFIX`, hidden, in the same
/// directory (so a rename puts it in place atomically), and unique to this process.
fn temporary_beside(real: &Path, suffix: &str) -> PathBuf {
    let name = real
        .file_name()
        .map_or(&b"output"[..], |name| name.as_bytes());
    let kept = &name[..name.len().min(NAME_BYTES_KEPT)];
    let mut temporary = OsString::from(".");
    temporary.push(OsStr::from_bytes(kept));
    temporary.push(format!(
        ".accord-{}-{}.{suffix}",
        std::process::id(),
        NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed)
    ));
    parent_of(real).join(temporary)
}

/// An output being written: a temporary file beside it, put in place by `commit` (or
/// `commit_all`) once whole; removed if dropped before.
pub struct OutputFile {
    target: OutputPath,
    temporary: PathBuf,
    file: BufWriter<File>,
    /// Present until the temporary is renamed into place.
    registration: Option<Registration>,
}

impl OutputFile {
    /// Starts writing an output readable as the user's umask allows.
    pub fn create(target: OutputPath) -> Result<OutputFile, OutputError> {
        OutputFile::create_with_mode(target, 0o666)
    }

    /// Starts writing an output only its owner may read (a private key): mode 0600 from its
    /// first byte on, and after it replaces a file too.
    pub fn create_private(target: OutputPath) -> Result<OutputFile, OutputError> {
        OutputFile::create_with_mode(target, 0o600)
    }

    fn create_with_mode(target: OutputPath, mode: u32) -> Result<OutputFile, OutputError> {
        for _ in 0..TEMPORARY_NAME_ATTEMPTS {
            let temporary = temporary_beside(&target.real, "tmp");
            // Registered before it exists: an interrupt in between removes nothing.
            let registration = unfinished::register(&temporary);
            let opened = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&temporary);
            match opened {
                Ok(file) => {
                    return Ok(OutputFile {
                        target,
                        temporary,
                        file: BufWriter::new(file),
                        registration: Some(registration),
                    });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(OutputError::io(&target.shown, error)),
            }
        }
        Err(OutputError::io(
            &target.shown,
            io::Error::other("no free name for a temporary file beside it"),
        ))
    }

    /// The output's path as the user gave it.
    pub fn path(&self) -> &Path {
        &self.target.shown
    }

    /// Puts the file in place, whole: see `commit_all`.
    pub fn commit(self) -> Result<(), OutputError> {
        commit_all(vec![self])
    }
}

impl Write for OutputFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.file.write(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if self.registration.is_some() {
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

/// Puts every file in place, all or none: each is flushed and synced, then renamed into
/// place in order, with no interrupt in between; if a rename fails, the files already put
/// in place are taken back (a replaced file is restored from the copy kept aside), and the
/// temporaries are removed. The directories are synced last, so the names last too.
pub fn commit_all(mut files: Vec<OutputFile>) -> Result<(), OutputError> {
    for output in &mut files {
        let synced = output
            .file
            .flush()
            .and_then(|()| output.file.get_ref().sync_all());
        synced.map_err(|error| OutputError::io(&output.target.shown, error))?;
    }
    let keep_aside = files.len() > 1;
    let mut step = unfinished::uninterruptible();
    // Each file put in place, with the copy of what it replaced kept aside.
    let mut placed: Vec<(usize, Option<PathBuf>)> = Vec::with_capacity(files.len());
    let mut failure = None;
    for (index, output) in files.iter().enumerate() {
        match place(output, keep_aside) {
            Ok(aside) => placed.push((index, aside)),
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    if let Some(error) = failure {
        for (index, aside) in placed.iter().rev() {
            let real = &files[*index].target.real;
            let _ = match aside {
                Some(aside) => fs::rename(aside, real),
                None => fs::remove_file(real),
            };
        }
        drop(step);
        // Dropping `files` removes the temporaries that were not put in place.
        return Err(error);
    }
    for (_, aside) in &placed {
        if let Some(aside) = aside {
            let _ = fs::remove_file(aside);
        }
    }
    for output in &mut files {
        if let Some(registration) = output.registration.take() {
            step.release(registration);
        }
    }
    drop(step);
    let mut synced: Vec<&Path> = Vec::with_capacity(files.len());
    for output in &files {
        let directory = parent_of(&output.target.real);
        if !synced.contains(&directory) {
            sync_directory(directory)
                .map_err(|error| OutputError::io(&output.target.shown, error))?;
            synced.push(directory);
        }
    }
    Ok(())
}

/// Renames one temporary into place; the path of the copy kept aside of the file it
/// replaced, when `keep_aside` and it replaced one.
fn place(output: &OutputFile, keep_aside: bool) -> Result<Option<PathBuf>, OutputError> {
    let target = &output.target;
    let failed = |error| OutputError::io(&target.shown, error);
    if !target.force {
        return match rename_without_replacing(&output.temporary, &target.real) {
            Ok(()) => Ok(None),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                Err(OutputError::Exists {
                    path: target.shown.clone(),
                })
            }
            Err(error) => Err(failed(error)),
        };
    }
    // What stands there is looked at again: a directory, FIFO or device put there since
    // the check is refused, never renamed over.
    let standing = match fs::symlink_metadata(&target.real) {
        Ok(metadata) if !metadata.is_file() => {
            return Err(OutputError::NotRegular {
                path: target.shown.clone(),
                what: kind_of(&metadata).to_string(),
            });
        }
        Ok(_) => true,
        Err(error) if error.kind() == io::ErrorKind::NotFound => false,
        Err(error) => return Err(failed(error)),
    };
    let aside = if keep_aside && standing {
        let aside = temporary_beside(&target.real, "old");
        fs::hard_link(&target.real, &aside).map_err(failed)?;
        Some(aside)
    } else {
        None
    };
    match fs::rename(&output.temporary, &target.real) {
        Ok(()) => Ok(aside),
        Err(error) => {
            if let Some(aside) = &aside {
                let _ = fs::remove_file(aside);
            }
            Err(failed(error))
        }
    }
}

/// Renames `from` to `to` unless something is at `to` (`AlreadyExists` then), in one step
/// where the file system can (`renameat2` with `RENAME_NOREPLACE`), else by a hard link
/// and an unlink.
fn rename_without_replacing(from: &Path, to: &Path) -> io::Result<()> {
    let from_c = CString::new(from.as_os_str().as_bytes())?;
    let to_c = CString::new(to.as_os_str().as_bytes())?;
    // SAFETY: both are NUL-terminated paths that live across the call; renameat2 reads them
    // and nothing else.
    let renamed = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from_c.as_ptr(),
            libc::AT_FDCWD,
            to_c.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if renamed == 0 {
        return Ok(());
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        // The file system cannot rename without replacing: a hard link cannot replace
        // either.
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) => {
            fs::hard_link(from, to)?;
            fs::remove_file(from)
        }
        _ => Err(error),
    }
}

/// Syncs a directory, so that the names created or removed in it last.
pub fn sync_directory(directory: &Path) -> io::Result<()> {
    File::open(directory).and_then(|directory| directory.sync_all())
}

/// Writes `bytes` to `path` whole: checked, written beside it, synced, put in place.
pub fn write_new(path: &Path, bytes: &[u8], force: bool) -> Result<(), OutputError> {
    let mut output = OutputFile::create(OutputPath::check(path, force)?)?;
    output
        .write_all(bytes)
        .map_err(|error| OutputError::io(path, error))?;
    output.commit()
}

/// What stands where a directory output goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DirectoryStanding {
    /// Nothing: the staging directory is renamed into place.
    Absent,
    /// An empty directory: the staging directory is renamed over it.
    Empty,
    /// A directory holding other files: the new files are moved into it, under a marker.
    Filled,
}

/// The file that marks a directory being filled: present only while accord moves new files
/// into a directory that already held others (and after a crash in the middle of it).
pub const INCOMPLETE_MARKER: &str = ".accord-incomplete";

/// Where a directory output goes, checked before anything is written.
#[derive(Clone, Debug)]
pub struct OutputDirectoryPath {
    shown: PathBuf,
    real: PathBuf,
    standing: DirectoryStanding,
    force: bool,
}

impl OutputDirectoryPath {
    /// Checks what stands at `path`: nothing, or a directory (followed through a symbolic
    /// link). In a directory, a file the output would write (`writes` says which names) is
    /// refused unless `force`, and anything but a regular file in the way (a directory, a
    /// FIFO) always; the first such name is reported. Nothing is touched.
    pub fn check(
        path: &Path,
        force: bool,
        writes: &dyn Fn(&OsStr) -> bool,
    ) -> Result<OutputDirectoryPath, OutputError> {
        let refuse = |detail: String| OutputError::Directory {
            path: path.to_path_buf(),
            detail,
        };
        let mut checked = OutputDirectoryPath {
            shown: path.to_path_buf(),
            real: path.to_path_buf(),
            standing: DirectoryStanding::Absent,
            force,
        };
        let link = match fs::symlink_metadata(path) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(checked),
            Err(error) => return Err(OutputError::io(path, error)),
            Ok(metadata) => metadata,
        };
        if link.file_type().is_symlink() {
            match fs::metadata(path) {
                Ok(metadata) if metadata.is_dir() => {
                    checked.real =
                        fs::canonicalize(path).map_err(|error| OutputError::io(path, error))?;
                }
                Ok(metadata) => {
                    return Err(refuse(format!(
                        "a symbolic link to {}, not to a directory",
                        kind_of(&metadata)
                    )));
                }
                Err(error) => {
                    return Err(refuse(format!(
                        "a symbolic link that cannot be followed ({error})"
                    )));
                }
            }
        } else if !link.is_dir() {
            return Err(refuse(format!("{}, not a directory", kind_of(&link))));
        }
        let entries = fs::read_dir(&checked.real).map_err(|error| OutputError::io(path, error))?;
        let mut any = false;
        // The first name in the way, by name, and what stands there.
        let mut in_the_way: Option<(OsString, Option<&'static str>)> = None;
        for entry in entries {
            let entry = entry.map_err(|error| OutputError::io(path, error))?;
            any = true;
            let name = entry.file_name();
            if !writes(&name) || in_the_way.as_ref().is_some_and(|(first, _)| *first <= name) {
                continue;
            }
            let standing =
                fs::symlink_metadata(entry.path()).map_err(|error| OutputError::io(path, error))?;
            let not_regular = (!standing.is_file()).then(|| kind_of(&standing));
            if not_regular.is_some() || !force {
                in_the_way = Some((name, not_regular));
            }
        }
        if let Some((name, not_regular)) = in_the_way {
            let at = checked.shown.join(&name);
            return Err(match not_regular {
                Some(what) => OutputError::NotRegular {
                    path: at,
                    what: what.to_string(),
                },
                None => OutputError::Exists { path: at },
            });
        }
        checked.standing = if any {
            DirectoryStanding::Filled
        } else {
            DirectoryStanding::Empty
        };
        Ok(checked)
    }

    pub fn path(&self) -> &Path {
        &self.shown
    }
}

/// A directory output being written: a staging directory beside it, put in place by
/// `commit` once every file is in it; removed, with what it holds, if dropped before.
pub struct OutputDirectory {
    target: OutputDirectoryPath,
    staging: PathBuf,
    registration: Option<Registration>,
}

impl OutputDirectory {
    pub fn create(target: OutputDirectoryPath) -> Result<OutputDirectory, OutputError> {
        for _ in 0..TEMPORARY_NAME_ATTEMPTS {
            let staging = temporary_beside(&target.real, "tmp");
            let registration = unfinished::register(&staging);
            match fs::create_dir(&staging) {
                Ok(()) => {
                    return Ok(OutputDirectory {
                        target,
                        staging,
                        registration: Some(registration),
                    });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(error) => return Err(OutputError::io(&target.shown, error)),
            }
        }
        Err(OutputError::io(
            &target.shown,
            io::Error::other("no free name for a staging directory beside it"),
        ))
    }

    /// Where the files go until the commit.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    pub fn path(&self) -> &Path {
        &self.target.shown
    }

    /// Puts every file written into the staging directory in place, with no interrupt in
    /// between: their data made durable first (one `syncfs`), then the staging directory
    /// renamed into place (where nothing, or an empty directory, stood), or each file moved
    /// into the directory that stood there, under `INCOMPLETE_MARKER` until the last one is
    /// in.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let shown = self.target.shown.clone();
        let failed = |error| OutputError::io(&shown, error);
        sync_file_system(&self.staging).map_err(failed)?;
        let real = self.target.real.clone();
        let mut step = unfinished::uninterruptible();
        match self.target.standing {
            DirectoryStanding::Absent | DirectoryStanding::Empty => {
                fs::rename(&self.staging, &real).map_err(|error| {
                    if matches!(error.raw_os_error(), Some(libc::ENOTEMPTY | libc::EEXIST)) {
                        OutputError::Directory {
                            path: shown.clone(),
                            detail: "was filled by someone else while accord wrote; nothing of accord's is in it".into(),
                        }
                    } else {
                        failed(error)
                    }
                })?;
            }
            DirectoryStanding::Filled => self.move_into(&real)?,
        }
        if let Some(registration) = self.registration.take() {
            step.release(registration);
        }
        drop(step);
        sync_directory(parent_of(&real)).map_err(failed)
    }

    /// Moves each staged file into `real`, a directory that held others, under the marker.
    fn move_into(&self, real: &Path) -> Result<(), OutputError> {
        let shown = &self.target.shown;
        let failed = |error| OutputError::io(shown, error);
        let marker = real.join(INCOMPLETE_MARKER);
        fs::write(
            &marker,
            "accord was moving a batch's files into this directory; if this file is still here, it stopped before the last one was in\n",
        )
        .map_err(failed)?;
        for entry in fs::read_dir(&self.staging).map_err(failed)? {
            let entry = entry.map_err(failed)?;
            let to = real.join(entry.file_name());
            let moved = if self.target.force {
                fs::rename(entry.path(), &to)
            } else {
                rename_without_replacing(&entry.path(), &to)
            };
            moved.map_err(|error| {
                if error.kind() == io::ErrorKind::AlreadyExists {
                    OutputError::Exists {
                        path: shown.join(entry.file_name()),
                    }
                } else {
                    OutputError::io(&shown.join(entry.file_name()), error)
                }
            })?;
        }
        sync_directory(real).map_err(failed)?;
        fs::remove_file(&marker).map_err(failed)?;
        sync_directory(real).map_err(failed)?;
        fs::remove_dir(&self.staging).map_err(failed)
    }
}

impl Drop for OutputDirectory {
    fn drop(&mut self) {
        if self.registration.is_some() {
            unfinished::remove_path(&self.staging);
        }
    }
}

/// Makes every file written on `path`'s file system durable (`syncfs`): one call for a
/// directory of many files, where a sync each would cost a disk flush each.
fn sync_file_system(path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let directory = File::open(path)?;
    // SAFETY: the descriptor is open for the duration of the call.
    let synced = unsafe { libc::syncfs(directory.as_raw_fd()) };
    if synced == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Writes a new file inside a staging directory (which nobody else writes in): created,
/// written, not synced (`OutputDirectory::commit` syncs them all at once).
pub fn write_in_staging(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn names(directory: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(directory)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_file_appears_whole_and_nothing_else_stays() {
        let directory = scratch();
        let path = directory.path().join("out.txt");
        let mut output = OutputFile::create(OutputPath::check(&path, false).unwrap()).unwrap();
        output.write_all(b"whole").unwrap();
        assert!(!path.exists(), "not in place before the commit");
        output.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"whole");
        assert_eq!(names(directory.path()), ["out.txt"]);
    }

    #[test]
    fn an_output_dropped_unfinished_leaves_nothing() {
        let directory = scratch();
        let path = directory.path().join("out.txt");
        let mut output = OutputFile::create(OutputPath::check(&path, false).unwrap()).unwrap();
        output.write_all(b"half").unwrap();
        drop(output);
        assert!(names(directory.path()).is_empty());
    }

    #[test]
    fn an_existing_file_is_kept_without_force_even_if_it_appears_after_the_check() {
        let directory = scratch();
        let path = directory.path().join("out.txt");
        fs::write(&path, b"mine").unwrap();
        assert!(matches!(
            OutputPath::check(&path, false),
            Err(OutputError::Exists { .. })
        ));
        let late = directory.path().join("late.txt");
        let mut output = OutputFile::create(OutputPath::check(&late, false).unwrap()).unwrap();
        output.write_all(b"accord's").unwrap();
        fs::write(&late, b"someone's").unwrap();
        assert!(matches!(output.commit(), Err(OutputError::Exists { .. })));
        assert_eq!(fs::read(&late).unwrap(), b"someone's");
        assert_eq!(names(directory.path()), ["late.txt", "out.txt"]);
    }

    #[test]
    fn force_replaces_a_regular_file_and_the_file_a_link_names() {
        let directory = scratch();
        let path = directory.path().join("out.txt");
        fs::write(&path, b"old").unwrap();
        write_new(&path, b"new", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let link = directory.path().join("link.txt");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(matches!(
            OutputPath::check(&link, false),
            Err(OutputError::Exists { .. })
        ));
        write_new(&link, b"through the link", true).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&path).unwrap(), b"through the link");
    }

    #[test]
    fn anything_but_a_regular_file_is_refused_even_with_force() {
        let directory = scratch();
        let inner = directory.path().join("inner");
        fs::create_dir(&inner).unwrap();
        let to_directory = directory.path().join("to-directory");
        std::os::unix::fs::symlink(&inner, &to_directory).unwrap();
        let dangling = directory.path().join("dangling");
        std::os::unix::fs::symlink(directory.path().join("nothing"), &dangling).unwrap();
        for (path, said) in [
            (inner.as_path(), "a directory"),
            (to_directory.as_path(), "a symbolic link to a directory"),
            (dangling.as_path(), "a symbolic link to nothing"),
            (Path::new("/dev/null"), "a character device"),
        ] {
            for force in [false, true] {
                let error = OutputPath::check(path, force).unwrap_err().to_string();
                assert!(error.contains(said), "{error}");
            }
        }
    }

    #[test]
    fn a_pair_is_put_in_place_all_or_none() {
        let directory = scratch();
        let first = directory.path().join("key");
        let second = directory.path().join("key.pub");
        fs::write(&first, b"old private").unwrap();
        let mut one = OutputFile::create(OutputPath::check(&first, true).unwrap()).unwrap();
        one.write_all(b"new private").unwrap();
        let mut two = OutputFile::create(OutputPath::check(&second, false).unwrap()).unwrap();
        two.write_all(b"new public").unwrap();
        // The second place is taken after the check: the first is restored.
        fs::write(&second, b"someone's").unwrap();
        assert!(commit_all(vec![one, two]).is_err());
        assert_eq!(fs::read(&first).unwrap(), b"old private");
        assert_eq!(fs::read(&second).unwrap(), b"someone's");
        assert_eq!(names(directory.path()), ["key", "key.pub"]);
    }

    #[test]
    fn a_directory_appears_whole_or_its_files_join_one_that_stood() {
        let directory = scratch();
        let runs = directory.path().join("runs");
        let writes = |name: &OsStr| name.to_string_lossy().starts_with("run-");
        let output =
            OutputDirectory::create(OutputDirectoryPath::check(&runs, false, &writes).unwrap())
                .unwrap();
        write_in_staging(&output.staging().join("run-1"), b"1").unwrap();
        assert!(!runs.exists());
        output.commit().unwrap();
        assert_eq!(names(&runs), ["run-1"]);
        let error = OutputDirectoryPath::check(&runs, false, &writes).unwrap_err();
        assert!(error.to_string().contains("run-1: exists"), "{error}");
        fs::write(runs.join("notes.txt"), b"mine").unwrap();
        let output =
            OutputDirectory::create(OutputDirectoryPath::check(&runs, true, &writes).unwrap())
                .unwrap();
        write_in_staging(&output.staging().join("run-1"), b"new").unwrap();
        write_in_staging(&output.staging().join("run-2"), b"2").unwrap();
        output.commit().unwrap();
        assert_eq!(names(&runs), ["notes.txt", "run-1", "run-2"]);
        assert_eq!(fs::read(runs.join("run-1")).unwrap(), b"new");
        assert_eq!(names(directory.path()), ["runs"]);
        // Something that is not a regular file in the way is refused, even with force.
        fs::create_dir(runs.join("run-3")).unwrap();
        let error = OutputDirectoryPath::check(&runs, true, &writes).unwrap_err();
        assert!(error.to_string().contains("run-3: a directory"), "{error}");
        // Dropped unfinished: the staging directory goes.
        let output = OutputDirectory::create(
            OutputDirectoryPath::check(&directory.path().join("other"), false, &writes).unwrap(),
        )
        .unwrap();
        write_in_staging(&output.staging().join("run-1"), b"1").unwrap();
        drop(output);
        assert_eq!(names(directory.path()), ["runs"]);
    }
}
