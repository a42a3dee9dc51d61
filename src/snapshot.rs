//! Snapshots: the state at a point of a log, kept beside it so that queries need not fold
//! the whole log again.
//!
//! `LOG.snapshots/` holds one file per snapshot, named by its seq (20 digits) + `.json`. A
//! file has two lines: a header (where in the log it stands: seq, the hash and byte range of
//! that line, the last `recorded`, the fold's counters) and the state. A snapshot is a cache,
//! never a source of truth: it is used only while line `seq` of the log still hashes to its
//! `head`, and only for queries whose events it can stand for (see `query`).

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::fold::Folded;
use crate::ids::Hash;
use crate::state::State;
use crate::store::{FileStore, StoreError};
use crate::time::Timestamp;

/// The version of the snapshot file layout.
const SNAPSHOT_FORMAT: u64 = 1;

/// Where a snapshot stands in its log, and what the fold up to there counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotHeader {
    pub format: u64,
    /// The log's first `seq` lines are folded into the snapshot.
    pub seq: u64,
    /// The hash of line `seq`.
    pub head: Hash,
    /// Byte offset where line `seq` starts.
    pub line_start: u64,
    /// Byte offset just past line `seq` and its newline: where reading goes on.
    pub end_offset: u64,
    /// `recorded` of line `seq`.
    pub last_recorded: Timestamp,
    /// Events applied (all `seq` of them).
    pub events: u64,
    /// The latest `occurred` among them: no later line may have occurred earlier for the
    /// snapshot to stand for it.
    pub occurred: Option<Timestamp>,
}

impl SnapshotHeader {
    pub(crate) fn new(
        seq: u64,
        head: Hash,
        line_start: u64,
        end_offset: u64,
        last_recorded: Timestamp,
        folded: &Folded,
    ) -> SnapshotHeader {
        SnapshotHeader {
            format: SNAPSHOT_FORMAT,
            seq,
            head,
            line_start,
            end_offset,
            last_recorded,
            events: folded.events,
            occurred: folded.occurred.clone(),
        }
    }
}

/// A snapshot loaded whole.
pub struct Snapshot {
    pub header: SnapshotHeader,
    pub folded: Folded,
}

impl FileStore {
    /// `LOG.snapshots/`.
    pub fn snapshot_directory(&self) -> PathBuf {
        let mut name = self.path().as_os_str().to_owned();
        name.push(".snapshots");
        PathBuf::from(name)
    }

    fn snapshot_path(&self, seq: u64) -> PathBuf {
        self.snapshot_directory().join(format!("{seq:020}.json"))
    }

    /// The seqs of the snapshots beside the log, newest first.
    pub fn snapshot_seqs(&self) -> Vec<u64> {
        let Ok(entries) = fs::read_dir(self.snapshot_directory()) else {
            return Vec::new();
        };
        let mut seqs: Vec<u64> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let digits = name.strip_suffix(".json")?;
                (digits.len() == 20 && digits.bytes().all(|byte| byte.is_ascii_digit()))
                    .then(|| digits.parse().ok())?
            })
            .collect();
        seqs.sort_unstable_by(|a, b| b.cmp(a));
        seqs
    }

    /// The header of a snapshot: its first line only.
    pub fn read_snapshot_header(&self, seq: u64) -> Result<SnapshotHeader, String> {
        let file = File::open(self.snapshot_path(seq)).map_err(|error| error.to_string())?;
        let mut line = String::new();
        BufReader::new(file)
            .take(64 * 1024)
            .read_line(&mut line)
            .map_err(|error| error.to_string())?;
        let header: SnapshotHeader =
            serde_json::from_str(line.trim_end()).map_err(|error| error.to_string())?;
        if header.format != SNAPSHOT_FORMAT || header.seq != seq || header.events != seq {
            return Err("its header does not describe it".into());
        }
        Ok(header)
    }

    /// A whole snapshot.
    pub fn read_snapshot(&self, seq: u64) -> Result<Snapshot, String> {
        let text =
            fs::read_to_string(self.snapshot_path(seq)).map_err(|error| error.to_string())?;
        let (header_line, state_line) = text
            .split_once('\n')
            .ok_or_else(|| "it has no state line".to_string())?;
        let header: SnapshotHeader =
            serde_json::from_str(header_line).map_err(|error| error.to_string())?;
        let state: State =
            serde_json::from_str(state_line.trim_end()).map_err(|error| error.to_string())?;
        if header.seq != seq || header.events != seq {
            return Err("its header does not describe it".into());
        }
        Ok(Snapshot {
            folded: Folded {
                state,
                events: header.events,
                occurred: header.occurred.clone(),
            },
            header,
        })
    }

    /// Whether line `header.seq` of the log, read from `file`, still hashes to the header's head.
    pub(crate) fn snapshot_matches(&self, file: &mut File, header: &SnapshotHeader) -> bool {
        let Some(length) = header.end_offset.checked_sub(header.line_start) else {
            return false;
        };
        if length == 0 || length > crate::log::MAX_LINE_BYTES as u64 + 1 {
            return false;
        }
        let mut line = vec![0; length as usize];
        let read = file
            .seek(SeekFrom::Start(header.line_start))
            .and_then(|_| file.read_exact(&mut line));
        read.is_ok() && line.pop() == Some(b'\n') && Hash::of(&line) == header.head
    }

    /// Writes a snapshot: to a temporary name, fsynced, then renamed into place, so a crash
    /// never leaves a half-written snapshot under a snapshot's name.
    pub fn write_snapshot(
        &self,
        header: &SnapshotHeader,
        state: &State,
    ) -> Result<PathBuf, StoreError> {
        let directory = self.snapshot_directory();
        let created = !directory.exists();
        fs::create_dir_all(&directory).map_err(|error| self.io_error(error))?;
        if created {
            self.sync_directory()?;
        }
        let mut text = serde_json::to_string(header).expect("a header serialises");
        text.push('\n');
        text.push_str(&serde_json::to_string(state).expect("a state serialises"));
        text.push('\n');
        let path = self.snapshot_path(header.seq);
        let temporary = directory.join(format!(".{:020}.json.tmp", header.seq));
        let written = File::create(&temporary).and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        });
        written
            .and_then(|()| fs::rename(&temporary, &path))
            .and_then(|()| File::open(&directory)?.sync_all())
            .map_err(|error| self.io_error(error))?;
        Ok(path)
    }
}
