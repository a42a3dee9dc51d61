//! Snapshots: the state at a point of a log, kept beside it so that queries need not fold
//! the whole log again.
//!
//! `LOG.snapshots/` holds one file per snapshot, named by its seq (20 digits) + `.json`. A
//! file has two lines: a header (where in the log it stands: seq, the hash and byte range of
//! that line, the last `recorded`, the fold's counters, the SHA-256 of the state line),
//! wrapped with the SHA-256 of its own bytes, and the state. A snapshot is a cache, never a
//! source of truth: it is used only when both checksums hold, while line `seq` of the log
//! still hashes to its `head`, and only for queries whose events it can stand for (see
//! `query`). The checksums catch a damaged or edited cache, not a forger who recomputes
//! them: only `verify`, which folds the log afresh and compares, settles that.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::files::output::{OutputFile, OutputPath};
use crate::fold::Folded;
use crate::fold::state::State;
use crate::format::ids::Hash;
use crate::format::time::Timestamp;
use crate::proofs::merkle::CompactRange;
use crate::stores::file::{FileStore, StoreError};

/// The version of the snapshot file layout. Format 1 had no checksums; its files are not
/// used. Format 2 had no tree head; its files are read as format 3 without one.
const SNAPSHOT_FORMAT: u64 = 3;

/// The format before the tree head, still read.
const SNAPSHOT_FORMAT_WITHOUT_TREE: u64 = 2;

/// The longest header line read.
const MAX_HEADER_BYTES: u64 = 64 * 1024;

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
    /// The SHA-256 of the state line's bytes (without its newline).
    pub state_sha256: Hash,
    /// The RFC 9162 tree head of the log's first `seq` lines. Snapshots written by `accord
    /// snapshot` have one; tail checkpoints, whose lines the next append reads anyway, and
    /// format-2 snapshots do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tree: Option<TreeHead>,
}

/// The Merkle tree of a log's first `size` lines, as a snapshot keeps it: its root, and its
/// perfect subtrees (largest first), from which the tree of a longer log grows by reading
/// only the lines after them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeHead {
    pub size: u64,
    pub root: Hash,
    pub subtrees: Vec<Hash>,
}

impl TreeHead {
    pub fn of(tree: &CompactRange) -> TreeHead {
        TreeHead {
            size: tree.size(),
            root: tree.root(),
            subtrees: tree.subtree_hashes(),
        }
    }

    /// The tree it describes, if its subtrees are those of its size and join to its root.
    pub fn tree(&self) -> Option<CompactRange> {
        CompactRange::from_subtrees(self.size, &self.subtrees)
            .filter(|tree| tree.root() == self.root)
    }
}

/// The first line of a snapshot file: the header's JSON and the SHA-256 of exactly those
/// bytes.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderLine<'a> {
    #[serde(borrow)]
    header: &'a RawValue,
    header_sha256: Hash,
}

/// A header line's header, once its checksum holds.
fn parse_header_line(line: &str, seq: Option<u64>) -> Result<SnapshotHeader, String> {
    let wrapped: HeaderLine<'_> = serde_json::from_str(line).map_err(|error| {
        // A format-1 header is a bare header: say so rather than quote serde.
        if line.contains("\"format\":1,") {
            "it is in format 1, which has no checksums (`accord snapshot` writes a new one)"
                .to_string()
        } else {
            format!("its header line is not a snapshot header ({error})")
        }
    })?;
    let header_bytes = wrapped.header.get().as_bytes();
    if Hash::of(header_bytes) != wrapped.header_sha256 {
        return Err(format!(
            "its header does not match its checksum (SHA-256 {} recorded, {} found)",
            wrapped.header_sha256,
            Hash::of(header_bytes)
        ));
    }
    let header: SnapshotHeader =
        serde_json::from_str(wrapped.header.get()).map_err(|error| error.to_string())?;
    let known_format = header.format == SNAPSHOT_FORMAT
        || (header.format == SNAPSHOT_FORMAT_WITHOUT_TREE && header.tree.is_none());
    if !known_format || seq.is_some_and(|seq| header.seq != seq) || header.events != header.seq {
        return Err("its header does not describe it".into());
    }
    if let Some(tree) = &header.tree
        && (tree.size != header.seq || tree.tree().is_none())
    {
        return Err(format!(
            "its tree head does not describe the tree of {} lines (its subtrees do not join to its root)",
            header.seq
        ));
    }
    Ok(header)
}

impl SnapshotHeader {
    /// Where reading goes on after the snapshot: just after its line.
    pub fn position(&self) -> crate::reading::log::Position {
        crate::reading::log::Position {
            seq: self.seq,
            head: self.head,
            line_start: self.line_start,
            end_offset: self.end_offset,
            last_recorded: Some(self.last_recorded.clone()),
        }
    }

    pub(crate) fn new(place: SnapshotPlace, folded: &Folded, state_sha256: Hash) -> SnapshotHeader {
        let SnapshotPlace {
            seq,
            head,
            line_start,
            end_offset,
            last_recorded,
            tree,
        } = place;
        debug_assert!(tree.as_ref().is_none_or(|tree| tree.size() == seq));
        SnapshotHeader {
            format: SNAPSHOT_FORMAT,
            seq,
            head,
            line_start,
            end_offset,
            last_recorded,
            events: folded.events,
            occurred: folded.occurred.clone(),
            state_sha256,
            tree: tree.as_ref().map(TreeHead::of),
        }
    }

    /// The tree of the log's first `seq` lines it keeps, if it keeps one.
    pub fn tree(&self) -> Option<CompactRange> {
        self.tree.as_ref().and_then(TreeHead::tree)
    }
}

/// Where in the log a snapshot stands: line `seq`, its hash, where it starts and ends, and
/// its `recorded`.
pub struct SnapshotPlace {
    pub seq: u64,
    pub head: Hash,
    pub line_start: u64,
    pub end_offset: u64,
    pub last_recorded: Timestamp,
    /// The Merkle tree of the lines up to `seq`, for a snapshot that keeps it.
    pub tree: Option<CompactRange>,
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
    pub fn read_snapshot_header(&self, seq: u64) -> Result<SnapshotHeader, String> {
        let file = File::open(self.snapshot_path(seq)).map_err(|error| error.to_string())?;
        let mut line = String::new();
        BufReader::new(file)
            .take(MAX_HEADER_BYTES)
            .read_line(&mut line)
            .map_err(|error| error.to_string())?;
        let Some(line) = line.strip_suffix('\n') else {
            return Err("its header line is cut short or too long".into());
        };
        parse_header_line(line, Some(seq))
    }

    /// A whole snapshot, both checksums checked.
    pub fn read_snapshot(&self, seq: u64) -> Result<Snapshot, String> {
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
    pub fn read_tail_checkpoint(&self) -> Result<Snapshot, String> {
        read_snapshot_file(&self.tail_checkpoint_path(), None)
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

/// A snapshot file, both checksums checked; `seq` is the one its name gives, if it has one.
fn read_snapshot_file(path: &std::path::Path, seq: Option<u64>) -> Result<Snapshot, String> {
    let text = fs::read_to_string(path).map_err(|error| error.to_string())?;
    parse_snapshot_text(&text, seq)
}

/// A snapshot's text (header line and state line), both checksums checked; `seq` is the
/// one its name gives, if it has one. The file store keeps such texts in files, the
/// PostgreSQL store its tail checkpoints in a column.
pub(crate) fn parse_snapshot_text(text: &str, seq: Option<u64>) -> Result<Snapshot, String> {
    let (header_line, state_line) = text
        .split_once('\n')
        .ok_or_else(|| "it has no state line".to_string())?;
    let header = parse_header_line(header_line, seq)?;
    let Some(state_line) = state_line.strip_suffix('\n') else {
        return Err("its state line is cut short".into());
    };
    if Hash::of(state_line.as_bytes()) != header.state_sha256 {
        return Err(format!(
            "its state does not match the checksum in its header (SHA-256 {} recorded, {} found)",
            header.state_sha256,
            Hash::of(state_line.as_bytes())
        ));
    }
    let state: State = serde_json::from_str(state_line).map_err(|error| error.to_string())?;
    Ok(Snapshot {
        folded: Folded {
            state,
            events: header.events,
            occurred: header.occurred.clone(),
        },
        header,
    })
}

/// The text of a snapshot of `folded` at `place`: its header line, checksummed, and its
/// state line, each with its newline.
pub(crate) fn snapshot_text(place: SnapshotPlace, folded: &Folded) -> String {
    let state_line = serde_json::to_string(&folded.state).expect("a state serialises");
    let header = SnapshotHeader::new(place, folded, Hash::of(state_line.as_bytes()));
    let header_json = serde_json::to_string(&header).expect("a header serialises");
    let header_line = HeaderLine {
        header: &RawValue::from_string(header_json.clone()).expect("a header is JSON"),
        header_sha256: Hash::of(header_json.as_bytes()),
    };
    let mut text = serde_json::to_string(&header_line).expect("a header line serialises");
    debug_assert_eq!(
        parse_header_line(&text, Some(header.seq)).as_ref(),
        Ok(&header),
        "a written header reads back"
    );
    text.push('\n');
    text.push_str(&state_line);
    text.push('\n');
    text
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
        file: &mut File,
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

/// The Merkle tree of a log's first lines, and where it was grown from.
pub struct TreeAt {
    pub tree: CompactRange,
    /// Just past the tree's last line.
    pub end_offset: u64,
    /// The snapshot whose tree it grew from; `None` when every line was read.
    pub from_snapshot: Option<u64>,
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

/// A snapshot beside a log that disagrees with the log's own fold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotMismatch {
    pub path: PathBuf,
    pub seq: u64,
    pub detail: String,
}

/// What `verify` found: the whole log checked and folded, and the snapshots beside it.
#[derive(Clone, Debug)]
pub struct Verified {
    pub folded: Folded,
    /// Lines in the log.
    pub events: u64,
    /// The hash of the last line.
    pub head: Hash,
    /// The first line whose hash is the pinned head, if one was given and found.
    pub pinned_seq: Option<u64>,
    /// Snapshots that disagree with the log's fold, in seq order; empty when they all agree.
    pub mismatches: Vec<SnapshotMismatch>,
    /// Snapshots beside the log, compared.
    pub snapshots: usize,
    /// Late lines the replay held (backfills).
    pub late_lines: u64,
    /// The snapshots whose tree head was compared with the log's lines and holds, in seq
    /// order.
    pub rooted_snapshots: Vec<u64>,
}

impl Verified {
    /// The rooted snapshots that stand within a signed checkpoint the log extends: each is
    /// a prefix of the signed tree.
    pub fn snapshots_covered_by(&self, signed: &crate::proofs::checkpoint::Checkpoint) -> Vec<u64> {
        self.rooted_snapshots
            .iter()
            .copied()
            .filter(|seq| *seq <= signed.size)
            .collect()
    }
}

/// Seq 0 when the pinned head is the empty log's (64 zeros): every log extends it, since
/// every first line's `prev` names it.
fn pinned_at_start(pinned: Option<Hash>) -> Option<u64> {
    (pinned == Some(Hash::ZERO)).then_some(0)
}

/// Verifies a log read from `source`, with no snapshots beside it (stdin).
pub fn verify_source(
    source: &dyn crate::replay::Source,
    pinned: Option<Hash>,
) -> Result<Verified, crate::reading::log::ReadError> {
    let mut pinned_seq = pinned_at_start(pinned);
    let replay = crate::replay::replay_whole(source, &Default::default(), &mut |seen| {
        if pinned_seq.is_none() && Some(seen.position.head) == pinned {
            pinned_seq = Some(seen.position.seq);
        }
    })?;
    Ok(Verified {
        events: replay.position.seq,
        head: replay.position.head,
        folded: replay.folded,
        pinned_seq,
        mismatches: Vec::new(),
        snapshots: 0,
        late_lines: replay.late_lines,
        rooted_snapshots: Vec::new(),
    })
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
                    Err(detail) => return problems.push(problem(detail)),
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
            let path = self.snapshot_path(seq);
            let scope = crate::replay::Scope {
                prefix: crate::reading::log::Prefix {
                    at: Some(seq),
                    known_at: None,
                },
                as_of: None,
            };
            let detail = match crate::replay::replay_whole(
                &crate::replay::FileSource(&file),
                &scope,
                &mut |_| {},
            ) {
                Err(error) => Some(format!(
                    "the log's first {seq} lines do not fold: {}",
                    match error {
                        crate::reading::log::ReadError::Rule(error) => error.to_string(),
                        crate::reading::log::ReadError::Io(error) => error.to_string(),
                    }
                )),
                Ok(prefix) => match self.read_snapshot(seq) {
                    Ok(snapshot) => disagreement(seq, &prefix.folded, &snapshot.folded),
                    Err(detail) => Some(detail),
                },
            };
            if let Some(detail) = detail {
                problems.push(SnapshotMismatch { path, seq, detail });
            }
        }
        // Each tree head a snapshot keeps is compared with the tree of the log's lines.
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
        let roots = crate::proofs::roots_at(&crate::replay::FileSource(&file), &sizes)
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
}

/// How a snapshot's fold differs from the log's fold of its first `seq` lines, if it does.
fn disagreement(seq: u64, fresh: &Folded, cached: &Folded) -> Option<String> {
    debug_assert_eq!(fresh.events, seq, "the fold covers lines 1 to {seq}");
    if fresh.occurred != cached.occurred {
        Some(format!(
            "its latest event occurred {}; the fold of lines 1 to {seq} says {}",
            shown(&cached.occurred),
            shown(&fresh.occurred)
        ))
    } else if fresh.state != cached.state {
        Some(format!(
            "its state differs from the fold of lines 1 to {seq} ({})",
            first_difference(&fresh.state, &cached.state)
        ))
    } else {
        None
    }
}

fn shown(time: &Option<Timestamp>) -> String {
    time.as_ref()
        .map_or("never".to_string(), |time| time.to_string())
}

/// The first entity (`party:ARM`, ...) whose view differs between two states.
fn first_difference(fresh: &State, cached: &State) -> String {
    match crate::views::diff::diff(fresh, cached).first() {
        Some(change) => format!("first at {}", change.entity),
        None => "in a field no entity shows".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proofs::merkle::leaf_hash;

    fn place(seq: u64, tree: Option<CompactRange>) -> SnapshotPlace {
        SnapshotPlace {
            seq,
            head: Hash::of(b"line"),
            line_start: 0,
            end_offset: 5,
            last_recorded: Timestamp::parse("2020-11-09T20:00:00Z").unwrap(),
            tree,
        }
    }

    fn tree_of(size: u8) -> CompactRange {
        let mut tree = CompactRange::default();
        (0..size).for_each(|leaf| tree.push(leaf_hash(&[leaf])));
        tree
    }

    fn folded(events: u64) -> Folded {
        Folded {
            events,
            ..Folded::default()
        }
    }

    /// The text with its header rewritten by `edit`, the checksum made again.
    fn with_header(text: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
        let (header_line, state_line) = text.split_once('\n').unwrap();
        let wrapped: serde_json::Value = serde_json::from_str(header_line).unwrap();
        let mut header = wrapped["header"].clone();
        edit(&mut header);
        let json = serde_json::to_string(&header).unwrap();
        format!(
            "{{\"header\":{json},\"header_sha256\":\"{}\"}}\n{state_line}",
            Hash::of(json.as_bytes())
        )
    }

    #[test]
    fn a_tree_head_is_kept_and_read_back() {
        let text = snapshot_text(place(5, Some(tree_of(5))), &folded(5));
        let read = parse_snapshot_text(&text, Some(5)).unwrap();
        assert_eq!(read.header.tree().unwrap().root(), tree_of(5).root());
        let without = snapshot_text(place(5, None), &folded(5));
        assert!(
            parse_snapshot_text(&without, Some(5))
                .unwrap()
                .header
                .tree
                .is_none()
        );
    }

    #[test]
    fn a_format_2_snapshot_is_read_without_a_tree_and_no_other_tree_is_believed() {
        let text = snapshot_text(place(5, Some(tree_of(5))), &folded(5));
        let format_2 = with_header(&text, |header| {
            header["format"] = 2.into();
            header.as_object_mut().unwrap().remove("tree");
        });
        assert!(
            parse_snapshot_text(&format_2, Some(5))
                .unwrap()
                .header
                .tree
                .is_none()
        );
        let format_2_with_tree = with_header(&text, |header| header["format"] = 2.into());
        assert!(parse_snapshot_text(&format_2_with_tree, Some(5)).is_err());
        // The tree of another size, and subtrees that do not join to the root, are refused.
        let other_size = with_header(&text, |header| {
            header["tree"] = serde_json::to_value(TreeHead::of(&tree_of(6))).unwrap();
        });
        assert!(parse_snapshot_text(&other_size, Some(5)).is_err());
        let other_root = with_header(&text, |header| {
            header["tree"]["root"] = serde_json::to_value(tree_of(4).root()).unwrap();
        });
        let refused = parse_snapshot_text(&other_root, Some(5)).err().unwrap();
        assert!(refused.contains("tree head"), "{refused}");
    }
}
