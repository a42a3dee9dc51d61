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

use crate::fold::Folded;
use crate::fold::state::State;
use crate::format::ids::Hash;
use crate::format::time::Timestamp;
use crate::proofs::merkle::CompactRange;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The version of the snapshot file layout. Format 1 had no checksums; its files are not
/// used. Format 2 had no tree head; its files are read as format 3 without one.
const SNAPSHOT_FORMAT: u64 = 3;

/// The format before the tree head, still read.
const SNAPSHOT_FORMAT_WITHOUT_TREE: u64 = 2;

/// The longest header line read.
pub(crate) const MAX_HEADER_BYTES: u64 = 64 * 1024;

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
    /// Events applied: all `seq` of them, but for the lines that corrections and
    /// retractions took out (version 2).
    pub events: u64,
    /// The latest `occurred` among them: no later line may have occurred earlier for the
    /// snapshot to stand for it.
    pub occurred: Option<crate::format::world_time::WorldTime>,
    /// The latest end of their world times, when it is later than `occurred`'s end (a
    /// period folded earlier that lasts longer): an `--as-of` before it cannot start here,
    /// as an event of the snapshot may lie after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_end: Option<Timestamp>,
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

/// Why a snapshot (or a tail checkpoint, in a snapshot's format) is not believed. Each says
/// what "it", the snapshot, is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SnapshotDamage {
    #[error("{0}")]
    Unreadable(String),
    #[error("its header line is cut short or too long")]
    HeaderCutShort,
    #[error("it is in format 1, which has no checksums (`accord snapshot` writes a new one)")]
    FormatOne,
    #[error("its header line is not a snapshot header ({0})")]
    NotAHeader(String),
    #[error("its header does not match its checksum (SHA-256 {recorded} recorded, {found} found)")]
    HeaderChecksum { recorded: Hash, found: Hash },
    /// The header's checksum holds, but its fields are not a header's.
    #[error("{0}")]
    HeaderFields(String),
    #[error("its header does not describe it")]
    HeaderMisplaced,
    #[error(
        "its tree head does not describe the tree of {seq} lines (its subtrees do not join to its root)"
    )]
    TreeDoesNotJoin { seq: u64 },
    #[error("it has no state line")]
    NoStateLine,
    #[error("its state line is cut short")]
    StateCutShort,
    #[error(
        "its state does not match the checksum in its header (SHA-256 {recorded} recorded, {found} found)"
    )]
    StateChecksum { recorded: Hash, found: Hash },
    /// The state's checksum holds, but it is not a state.
    #[error("{0}")]
    StateFields(String),
}

/// A header line's header, once its checksum holds.
pub(crate) fn parse_header_line(
    line: &str,
    seq: Option<u64>,
) -> Result<SnapshotHeader, SnapshotDamage> {
    let wrapped: HeaderLine<'_> = serde_json::from_str(line).map_err(|error| {
        // A format-1 header is a bare header: say so rather than quote serde.
        if line.contains("\"format\":1,") {
            SnapshotDamage::FormatOne
        } else {
            SnapshotDamage::NotAHeader(error.to_string())
        }
    })?;
    let header_bytes = wrapped.header.get().as_bytes();
    if Hash::of(header_bytes) != wrapped.header_sha256 {
        return Err(SnapshotDamage::HeaderChecksum {
            recorded: wrapped.header_sha256,
            found: Hash::of(header_bytes),
        });
    }
    let header: SnapshotHeader = serde_json::from_str(wrapped.header.get())
        .map_err(|error| SnapshotDamage::HeaderFields(error.to_string()))?;
    let known_format = header.format == SNAPSHOT_FORMAT
        || (header.format == SNAPSHOT_FORMAT_WITHOUT_TREE && header.tree.is_none());
    if !known_format || seq.is_some_and(|seq| header.seq != seq) || header.events > header.seq {
        return Err(SnapshotDamage::HeaderMisplaced);
    }
    if let Some(tree) = &header.tree
        && (tree.size != header.seq || tree.tree().is_none())
    {
        return Err(SnapshotDamage::TreeDoesNotJoin { seq: header.seq });
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
            latest_end: folded
                .latest_end
                .filter(|end| {
                    folded
                        .occurred
                        .as_ref()
                        .is_none_or(|occurred| *end > occurred.end())
                })
                .map(Timestamp::from_instant),
            state_sha256,
            tree: tree.as_ref().map(TreeHead::of),
        }
    }

    /// The latest end of the world times folded into the snapshot.
    pub fn latest_end(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        match &self.latest_end {
            Some(end) => Some(end.instant()),
            None => self.occurred.as_ref().map(|occurred| occurred.end()),
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

/// A snapshot's text (header line and state line), both checksums checked; `seq` is the
/// one its name gives, if it has one. The file store keeps such texts in files, the
/// PostgreSQL store its tail checkpoints in a column.
pub(crate) fn parse_snapshot_text(
    text: &str,
    seq: Option<u64>,
) -> Result<Snapshot, SnapshotDamage> {
    let (header_line, state_line) = text.split_once('\n').ok_or(SnapshotDamage::NoStateLine)?;
    let header = parse_header_line(header_line, seq)?;
    let Some(state_line) = state_line.strip_suffix('\n') else {
        return Err(SnapshotDamage::StateCutShort);
    };
    if Hash::of(state_line.as_bytes()) != header.state_sha256 {
        return Err(SnapshotDamage::StateChecksum {
            recorded: header.state_sha256,
            found: Hash::of(state_line.as_bytes()),
        });
    }
    let state: State = serde_json::from_str(state_line)
        .map_err(|error| SnapshotDamage::StateFields(error.to_string()))?;
    Ok(Snapshot {
        folded: Folded {
            state,
            events: header.events,
            occurred: header.occurred.clone(),
            latest_end: header.latest_end(),
            uncertain: Vec::new(),
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
    // Guards a file a reader will believe: on in release builds.
    assert_eq!(
        parse_header_line(&text, Some(header.seq)).as_ref(),
        Ok(&header),
        "a written header reads back"
    );
    text.push('\n');
    text.push_str(&state_line);
    text.push('\n');
    text
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
        assert_eq!(
            refused,
            SnapshotDamage::TreeDoesNotJoin { seq: 5 },
            "{refused}"
        );
    }
}
