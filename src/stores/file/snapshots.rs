//! The file store's snapshots (`LOG.snapshots/`), its tail checkpoint (`LOG.tail`) and the
//! Merkle tree kept in them: written whole, read only when their checksums hold, and compared
//! with a fresh fold by `verify_with_snapshots`.

use crate::stores::file::store::FileStore;
use crate::stores::snapshot::{
    MAX_HEADER_BYTES, Snapshot, SnapshotDamage, SnapshotHeader, SnapshotPlace, parse_header_line,
    parse_snapshot_text, snapshot_text,
};
use crate::stores::verify::{SnapshotMismatch, Verified, disagreement, pinned_at_start};

use crate::files::output::{OutputFile, OutputPath};
use crate::fold::Folded;
use crate::format::ids::Hash;
use crate::proofs::merkle::CompactRange;
use crate::stores::error::StoreError;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

impl FileStore {
    /// `LOG.snapshots/`.
    pub fn snapshot_directory(&self) -> PathBuf {
        let mut name = self.path().as_os_str().to_owned();
        name.push(".snapshots");
        PathBuf::from(name)
    }

    pub fn snapshot_path(&self, seq: u64) -> PathBuf {
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

    /// The header of a snapshot, its checksum checked: its first line only.
    pub fn read_snapshot_header(&self, seq: u64) -> Result<SnapshotHeader, SnapshotDamage> {
        let unreadable = |error: std::io::Error| SnapshotDamage::Unreadable(error.to_string());
        let file = File::open(self.snapshot_path(seq)).map_err(unreadable)?;
        let mut line = String::new();
        BufReader::new(file)
            .take(MAX_HEADER_BYTES)
            .read_line(&mut line)
            .map_err(unreadable)?;
        let Some(line) = line.strip_suffix('\n') else {
            return Err(SnapshotDamage::HeaderCutShort);
        };
        parse_header_line(line, Some(seq))
    }

    /// A whole snapshot, both checksums checked.
    pub fn read_snapshot(&self, seq: u64) -> Result<Snapshot, SnapshotDamage> {
        read_snapshot_file(&self.snapshot_path(seq), Some(seq))
    }

    /// `LOG.tail`: the checkpoint appends keep of the fold at the log's tail, in the format
    /// of a snapshot and checked like one before it is believed.
    pub fn tail_checkpoint_path(&self) -> PathBuf {
        let mut name = self.path().as_os_str().to_owned();
        name.push(".tail");
        PathBuf::from(name)
    }

    /// The tail checkpoint, both checksums checked (its place in the log is not).
    pub fn read_tail_checkpoint(&self) -> Result<Snapshot, SnapshotDamage> {
        read_snapshot_file(&self.tail_checkpoint_path(), None)
    }

    /// `LOG.tail.previous`: the tail checkpoint an append replaced when it wrote one at its
    /// cadence, kept so that a correction of a recent line replays the lines after it, not
    /// the log from a snapshot. A cache like the others: checked before it is believed.
    pub fn previous_tail_checkpoint_path(&self) -> PathBuf {
        let mut name = self.tail_checkpoint_path().into_os_string();
        name.push(".previous");
        PathBuf::from(name)
    }

    /// The previous tail checkpoint, both checksums checked (its place in the log is not).
    pub fn read_previous_tail_checkpoint(&self) -> Result<Snapshot, SnapshotDamage> {
        read_snapshot_file(&self.previous_tail_checkpoint_path(), None)
    }

    /// Keeps the tail checkpoint as the previous one, by a rename, before a new one is
    /// written. Failing costs a later correction a longer replay, nothing more.
    pub(crate) fn keep_tail_checkpoint_as_previous(&self) {
        let tail = self.tail_checkpoint_path();
        let is_regular = std::fs::symlink_metadata(&tail).is_ok_and(|meta| meta.is_file());
        let previous = self.previous_tail_checkpoint_path();
        let previous_is_ours =
            std::fs::symlink_metadata(&previous).map_or(true, |meta| meta.is_file());
        if is_regular && previous_is_ours {
            let _ = std::fs::rename(&tail, &previous);
        }
    }

    /// Replaces the tail checkpoint, through a temporary file and a rename.
    pub fn write_tail_checkpoint(
        &self,
        place: SnapshotPlace,
        folded: &Folded,
    ) -> Result<(), StoreError> {
        self.check_regular()?;
        self.write_snapshot_file(&self.tail_checkpoint_path(), place, folded)
    }
}

impl FileStore {
    /// Whether line `header.seq` of the log, read from `file`, still hashes to the header's head.
    pub(crate) fn snapshot_matches(&self, file: &mut File, header: &SnapshotHeader) -> bool {
        self.line_hashes_to(file, header.line_start, header.end_offset, &header.head)
    }

    /// Whether the bytes of `file` from `line_start` to `end_offset` are one line and its
    /// newline, and the line hashes to `head`.
    pub(crate) fn line_hashes_to(
        &self,
        mut file: &File,
        line_start: u64,
        end_offset: u64,
        head: &Hash,
    ) -> bool {
        let Some(length) = end_offset.checked_sub(line_start) else {
            return false;
        };
        if length == 0 || length > crate::reading::log::MAX_LINE_BYTES as u64 + 1 {
            return false;
        }
        let mut line = vec![0; length as usize];
        let read = file
            .seek(SeekFrom::Start(line_start))
            .and_then(|_| file.read_exact(&mut line));
        read.is_ok() && line.pop() == Some(b'\n') && Hash::of(&line) == *head
    }

    /// Writes a snapshot of `folded` at a place in the log: to a temporary name, fsynced,
    /// then renamed into place, so a crash never leaves a half-written snapshot under a
    /// snapshot's name.
    pub fn write_snapshot(
        &self,
        place: SnapshotPlace,
        folded: &Folded,
    ) -> Result<PathBuf, StoreError> {
        self.check_regular()?;
        let directory = self.snapshot_directory();
        let created = !directory.exists();
        fs::create_dir_all(&directory).map_err(|error| self.io_error(error))?;
        if created {
            self.sync_directory()?;
        }
        let path = self.snapshot_path(place.seq);
        if let Err(error) = self.write_snapshot_file(&path, place, folded) {
            // A directory made for this snapshot goes with it.
            if created {
                let _ = fs::remove_dir(&directory);
            }
            return Err(error);
        }
        Ok(path)
    }

    /// Writes a snapshot of `folded` to `path` through a temporary file beside it (synced,
    /// then renamed, the directory synced), so a crash never leaves a half-written one under
    /// its name, and a failure leaves no temporary.
    fn write_snapshot_file(
        &self,
        path: &std::path::Path,
        place: SnapshotPlace,
        folded: &Folded,
    ) -> Result<(), StoreError> {
        let text = snapshot_text(place, folded);
        let mut file = OutputFile::create(OutputPath::check(path, true)?)?;
        file.write_all(text.as_bytes())
            .map_err(|error| self.io_error(error))?;
        Ok(file.commit()?)
    }
}

impl FileStore {
    /// The Merkle tree of the log's first `size` lines, read under the lock held on `file`:
    /// grown from the tree kept by the snapshot `prefer` or else by the newest snapshot at or
    /// before `size` that keeps one, reading only the lines after it, or from the first
    /// line. A snapshot's tree is believed as its state is: when its checksums hold and its
    /// line still hashes to its head (`verify` compares it with the lines). A log of fewer
    /// than `size` lines gives the tree of all of them.
    pub fn tree_at(
        &self,
        file: &mut File,
        size: u64,
        prefer: Option<u64>,
    ) -> Result<TreeAt, StoreError> {
        let mut start = (0, CompactRange::default(), None);
        let candidates = prefer.into_iter().chain(self.snapshot_seqs());
        for seq in candidates.filter(|seq| (1..=size).contains(seq)) {
            let Ok(header) = self.read_snapshot_header(seq) else {
                continue;
            };
            if let Some(tree) = header.tree()
                && self.snapshot_matches(file, &header)
            {
                start = (header.end_offset, tree, Some(seq));
                break;
            }
        }
        let (offset, tree, from_snapshot) = start;
        let (tree, end_offset) =
            crate::proofs::extend_tree(&crate::replay::FileSource(file), offset, tree, Some(size))
                .map_err(|error| self.read_error(error))?;
        Ok(TreeAt {
            tree,
            end_offset,
            from_snapshot,
        })
    }
}

impl FileStore {
    /// Verifies the log in one streaming replay (two after a backfill) and checks every
    /// snapshot beside it against the fold of the log's first `seq` lines: its checksums,
    /// its place in the log, its counters and its state. What `verify` reports as
    /// `snapshot.mismatch`. While no line has come late, the replay's own fold is that of
    /// the lines read so far, and each snapshot is compared with it as the replay passes its
    /// seq; a snapshot after a backfill costs a replay of its prefix.
    pub fn verify_with_snapshots(&self, pinned: Option<Hash>) -> Result<Verified, StoreError> {
        let file = self.open_shared()?;
        let mut seqs = self.snapshot_seqs();
        seqs.reverse();
        let snapshots = seqs.len();
        let mut problems = Vec::new();
        let mut afresh = Vec::new();
        let mut own_file = File::open(self.path()).ok();
        let mut next = seqs.iter().copied().filter(|seq| *seq > 0).peekable();
        let mut pinned_seq = pinned_at_start(pinned);
        let replay = crate::replay::replay_whole(
            &crate::replay::FileSource(&file),
            &Default::default(),
            &mut |seen| {
                let position = seen.position;
                if pinned_seq.is_none() && Some(position.head) == pinned {
                    pinned_seq = Some(position.seq);
                }
                if next.peek() != Some(&position.seq) {
                    return;
                }
                next.next();
                let problem = |detail: String| SnapshotMismatch {
                    path: self.snapshot_path(position.seq),
                    seq: position.seq,
                    detail,
                };
                let snapshot = match self.read_snapshot(position.seq) {
                    Ok(snapshot) => snapshot,
                    Err(damage) => return problems.push(problem(damage.to_string())),
                };
                let header = &snapshot.header;
                if header.head != position.head {
                    return problems.push(problem(format!(
                        "its head {} is not the hash of line {} ({})",
                        header.head, position.seq, position.head
                    )));
                }
                let in_place = own_file
                    .as_mut()
                    .is_some_and(|file| self.snapshot_matches(file, header));
                if !in_place || header.last_recorded != seen.event.recorded {
                    return problems.push(problem(format!(
                        "its byte range or `recorded` does not describe line {} of the log",
                        position.seq
                    )));
                }
                match seen.exact_fold {
                    Some(fresh) => {
                        if let Some(detail) = disagreement(position.seq, fresh, &snapshot.folded) {
                            problems.push(problem(detail));
                        }
                    }
                    None => afresh.push(position.seq),
                }
            },
        )
        .map_err(|error| self.read_error(error))?;
        let events = replay.position.seq;
        for seq in seqs
            .iter()
            .copied()
            .filter(|seq| *seq == 0 || *seq > events)
        {
            problems.push(SnapshotMismatch {
                path: self.snapshot_path(seq),
                seq,
                detail: format!("it stands at seq {seq}, and the log has {events} lines"),
            });
        }
        for seq in afresh {
            if let Some(detail) = self.prefix_disagreement(&file, seq) {
                let path = self.snapshot_path(seq);
                problems.push(SnapshotMismatch { path, seq, detail });
            }
        }
        let rooted = self.compare_trees(&file, &seqs, events, &mut problems)?;
        problems.sort_by_key(|problem| problem.seq);
        Ok(Verified {
            rooted_snapshots: rooted,
            events,
            head: replay.position.head,
            folded: replay.folded,
            pinned_seq,
            mismatches: problems,
            snapshots,
            late_lines: replay.late_lines,
        })
    }

    /// How the snapshot at `seq` disagrees with a replay of the log's first `seq` lines (for
    /// a snapshot the verifying replay passed after a late line, whose fold there is not the
    /// prefix's); `None` when it agrees.
    fn prefix_disagreement(&self, file: &File, seq: u64) -> Option<String> {
        let scope = crate::replay::Scope {
            prefix: crate::reading::log::Prefix {
                at: Some(seq),
                known_at: None,
            },
            as_of: None,
        };
        match crate::replay::replay_whole(&crate::replay::FileSource(file), &scope, &mut |_| {}) {
            Err(error) => Some(format!(
                "the log's first {seq} lines do not fold: {}",
                match error {
                    crate::reading::log::ReadError::Rule(error) => error.to_string(),
                    crate::reading::log::ReadError::Io(error) => error.to_string(),
                }
            )),
            Ok(prefix) => match self.read_snapshot(seq) {
                Ok(snapshot) => disagreement(seq, &prefix.folded, &snapshot.folded),
                Err(damage) => Some(damage.to_string()),
            },
        }
    }

    /// Each tree head a snapshot keeps (of those with no problem yet) compared with the tree
    /// of the log's lines, in one pass: the seqs whose tree holds; a problem for each other.
    fn compare_trees(
        &self,
        file: &File,
        seqs: &[u64],
        events: u64,
        problems: &mut Vec<SnapshotMismatch>,
    ) -> Result<Vec<u64>, StoreError> {
        let mut trees = Vec::new();
        for &seq in seqs.iter().filter(|seq| (1..=events).contains(*seq)) {
            if problems.iter().any(|problem| problem.seq == seq) {
                continue;
            }
            if let Some(tree) = self.read_snapshot_header(seq).ok().and_then(|h| h.tree) {
                trees.push((seq, tree));
            }
        }
        let sizes: Vec<u64> = trees.iter().map(|(seq, _)| *seq).collect();
        let roots = crate::proofs::roots_at(&crate::replay::FileSource(file), &sizes)
            .map_err(|error| self.read_error(error))?;
        let mut rooted = Vec::new();
        for ((seq, kept), (size, root)) in trees.into_iter().zip(roots) {
            debug_assert_eq!(seq, size);
            if kept.root == root {
                rooted.push(seq);
            } else {
                problems.push(SnapshotMismatch {
                    path: self.snapshot_path(seq),
                    seq,
                    detail: format!(
                        "its tree root {} is not the root of the log's first {seq} lines ({root})",
                        kept.root
                    ),
                });
            }
        }
        Ok(rooted)
    }
}

/// A snapshot file, both checksums checked; `seq` is the one its name gives, if it has one.
fn read_snapshot_file(
    path: &std::path::Path,
    seq: Option<u64>,
) -> Result<Snapshot, SnapshotDamage> {
    // A FIFO or a device in a cache's place would block or never end: only a file is read.
    let is_file = fs::metadata(path)
        .map_err(|error| SnapshotDamage::Unreadable(error.to_string()))?
        .is_file();
    if !is_file {
        return Err(SnapshotDamage::Unreadable("not a regular file".into()));
    }
    let text =
        fs::read_to_string(path).map_err(|error| SnapshotDamage::Unreadable(error.to_string()))?;
    parse_snapshot_text(&text, seq)
}

/// The Merkle tree of a log's first lines, and where it was grown from.
pub struct TreeAt {
    pub tree: CompactRange,
    /// Just past the tree's last line.
    pub end_offset: u64,
    /// The snapshot whose tree it grew from; `None` when every line was read.
    pub from_snapshot: Option<u64>,
}
