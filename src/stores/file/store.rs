//! The file store's log on disk: where it is, opened under a shared lock, read and folded;
//! and the intent file an append in progress leaves beside it, which every reader heeds.

use crate::files::output::{OutputFile, OutputPath};
use crate::fold::Folded;
use crate::format::rules::Rule;
use crate::reading::log::{Log, LogError, Prefix, ReadError};
use crate::stores::error::StoreError;
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// A log file on disk.
pub struct FileStore {
    pub(crate) path: PathBuf,
}

/// The announcement of a batch, written before it and removed after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Intent {
    pub(crate) length_before: u64,
    pub(crate) lines_before: u64,
    pub(crate) length_after: u64,
}

impl Intent {
    /// Whether a log of this length holds part, but not all, of the announced batch.
    pub(crate) fn is_unfinished_at(&self, length: u64) -> bool {
        length > self.length_before && length < self.length_after
    }
}

impl FileStore {
    pub fn new(path: impl Into<PathBuf>) -> FileStore {
        FileStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps a signed checkpoint note of this log, of a tree of `size` lines signed by the
    /// key `key_id_hex`, in `LOG.checkpoints/`: the path it was written to, or `None` when
    /// the same note is already kept (signing is deterministic: the same head and key make
    /// the same note). Another note of that size and key is never written over.
    pub fn keep_checkpoint(
        &self,
        size: u64,
        key_id_hex: &str,
        note: &str,
    ) -> Result<Option<PathBuf>, StoreError> {
        self.check_regular()?;
        let mut directory = self.path.as_os_str().to_owned();
        directory.push(".checkpoints");
        let directory = PathBuf::from(directory);
        let failed = |path: &Path, source: io::Error| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        let created = !directory.exists();
        std::fs::create_dir_all(&directory).map_err(|error| failed(&directory, error))?;
        let kept = directory.join(format!("{size:020}-{key_id_hex}.txt"));
        // A directory made for this checkpoint goes with it if it cannot be kept.
        let forget_directory = |error: StoreError| {
            if created {
                let _ = std::fs::remove_dir(&directory);
            }
            error
        };
        match std::fs::read_to_string(&kept) {
            Ok(existing) if existing == note => return Ok(None),
            Ok(_) => {
                return Err(failed(
                    &kept,
                    io::Error::other(
                        "holds another checkpoint of this size by this key; accord does not overwrite it",
                    ),
                ));
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(failed(&kept, error)),
        }
        let written = OutputPath::check(&kept, false)
            .and_then(OutputFile::create)
            .map_err(StoreError::from)
            .and_then(|mut file| {
                file.write_all(note.as_bytes())
                    .map_err(|error| failed(&kept, error))?;
                Ok(file.commit()?)
            });
        written.map_err(forget_directory)?;
        Ok(Some(kept))
    }

    /// Refuses a log that is not a regular file (a device, a FIFO, a directory): nothing is
    /// written to it or beside it.
    pub fn check_regular(&self) -> Result<(), StoreError> {
        let metadata = fs::metadata(&self.path).map_err(|error| self.io_error(error))?;
        if metadata.is_file() {
            return Ok(());
        }
        Err(self.io_error(io::Error::other(format!(
            "{}; accord writes only to and beside a regular log file",
            crate::files::output::kind_of(&metadata)
        ))))
    }

    pub(crate) fn io_error(&self, source: io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    pub(crate) fn log_error(&self, error: LogError) -> StoreError {
        StoreError::Log {
            path: self.path.clone(),
            error,
        }
    }

    pub fn read_error(&self, error: ReadError) -> StoreError {
        match error {
            ReadError::Rule(error) => self.log_error(error),
            ReadError::Io(error) => self.io_error(error),
        }
    }

    /// Where the intent of an append in progress is kept: `LOG.intent`.
    pub fn intent_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".intent");
        PathBuf::from(name)
    }

    /// The intent beside the log, if a readable one is there. One that cannot be read was
    /// cut short while being written, before the batch it announces was started: it
    /// announces nothing.
    pub(crate) fn read_intent(&self) -> Option<Intent> {
        let text = fs::read_to_string(self.intent_path()).ok()?;
        let line = text.strip_suffix('\n')?;
        serde_json::from_str(line).ok()
    }

    /// Refuses a log whose last batch was cut short, naming its first line.
    pub(crate) fn check_no_unfinished_append(&self, length: u64) -> Result<(), StoreError> {
        match self.read_intent() {
            Some(intent) if intent.is_unfinished_at(length) => Err(self.log_error(LogError {
                line: intent.lines_before + 1,
                rule: Rule::LogTorn,
                detail: format!(
                    "an append was cut short: the log ends inside the batch that starts at line {} ({} of its {} bytes written); `accord repair` cuts it",
                    intent.lines_before + 1,
                    length - intent.length_before,
                    intent.length_after - intent.length_before
                ),
            })),
            _ => Ok(()),
        }
    }

    /// Opens the log for reading under a shared lock: appends wait until the read is done.
    pub fn open_shared(&self) -> Result<File, StoreError> {
        let file = File::open(&self.path).map_err(|error| self.io_error(error))?;
        file.lock_shared().map_err(|error| self.io_error(error))?;
        let length = file.metadata().map_err(|error| self.io_error(error))?.len();
        self.check_no_unfinished_append(length)?;
        Ok(file)
    }

    /// The log, or the prefix asked for, envelope-checked.
    pub fn read(&self, prefix: &Prefix) -> Result<Log, StoreError> {
        let file = self.open_shared()?;
        Log::read_from(BufReader::new(&file), prefix).map_err(|error| self.read_error(error))
    }

    /// The whole log, checked and folded: what `accord verify` reports on.
    pub fn verify(&self) -> Result<(Log, Folded), StoreError> {
        let file = self.open_shared()?;
        crate::fold::verify_log_from(BufReader::new(&file)).map_err(|error| self.read_error(error))
    }

    /// The bytes of the log, whole.
    pub fn read_bytes(&self) -> Result<Vec<u8>, StoreError> {
        let mut file = self.open_shared()?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|error| self.io_error(error))?;
        Ok(bytes)
    }

    /// The directory that holds the log, for fsyncs of names created or removed in it.
    fn directory(&self) -> PathBuf {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    pub(crate) fn sync_directory(&self) -> Result<(), StoreError> {
        File::open(self.directory())
            .and_then(|directory| directory.sync_all())
            .map_err(|error| self.io_error(error))
    }
}
