//! Proofs a third party can check without the log: the RFC 9162 Merkle tree over its lines
//! (`merkle`), inclusion proofs of one line and consistency proofs between two sizes of the
//! tree, as small JSON documents.
//!
//! **The tree is over the lines' bytes, as stored**: the leaf is a line without its newline,
//! so the format does not change and any RFC 9162 implementation agrees on the root. The
//! lines are read once, a line at a time, in memory of one line plus O(log n) hashes; the
//! tree does not check what the lines say (`verify` does).

pub mod checkpoint;
pub mod merkle;

use std::io::{BufRead, Read};

use serde::{Deserialize, Serialize};

use crate::format::ids::Hash;
use crate::format::rules::Rule;
use crate::reading::log::{LogError, MAX_LINE_BYTES, ReadError};
use crate::replay::Source;
use merkle::{CompactRange, RangeHashes, leaf_hash};

/// The most hashes a proof holds: a tree of 2^64 leaves needs 64 for an inclusion proof
/// and 128 would bound any consistency proof.
pub const MAX_PATH_HASHES: usize = 128;

/// The largest proof file `check-proof` reads: its line and its hashes, with room to spare.
pub const MAX_PROOF_BYTES: u64 = 8 * MAX_LINE_BYTES as u64;

/// What the `proof` field of an inclusion proof says.
pub const INCLUSION_KIND: &str = "accord.inclusion.v1";

/// What the `proof` field of a consistency proof says.
pub const CONSISTENCY_KIND: &str = "accord.consistency.v1";

/// Reads the lines of the log in `source`, up to line `at` (all without), handing each to
/// `visit` with its number (from 1) and its bytes without the newline. A last line without
/// its newline is torn (`log.torn`), as every reader of a log says; a line over the limit
/// is refused. Returns the lines read.
pub fn each_line(
    source: &dyn Source,
    at: Option<u64>,
    visit: impl FnMut(u64, &[u8]),
) -> Result<u64, ReadError> {
    each_line_from(source, 0, 0, at, visit).map(|(lines, _)| lines)
}

/// `each_line` from byte `offset`, where line `after + 1` starts: the number of the last
/// line read (`after` if none) and the offset just past it.
pub fn each_line_from(
    source: &dyn Source,
    offset: u64,
    after: u64,
    at: Option<u64>,
    mut visit: impl FnMut(u64, &[u8]),
) -> Result<(u64, u64), ReadError> {
    let mut reader = source.read_at(offset).map_err(ReadError::Io)?;
    let mut line = Vec::new();
    let (mut number, mut offset) = (after, offset);
    while at.is_none_or(|at| number < at) {
        line.clear();
        let read = reader
            .by_ref()
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(ReadError::Io)?;
        if read == 0 {
            break;
        }
        number += 1;
        if line.last() != Some(&b'\n') {
            let error = if line.len() > MAX_LINE_BYTES {
                LogError {
                    line: number,
                    rule: Rule::EnvelopeShape,
                    detail: format!("the line is longer than the limit of {MAX_LINE_BYTES} bytes"),
                }
            } else {
                LogError {
                    line: number,
                    rule: Rule::LogTorn,
                    detail: "the last line has no newline: a write was cut short".into(),
                }
            };
            return Err(ReadError::Rule(error));
        }
        offset += read as u64;
        line.pop();
        visit(number, &line);
    }
    Ok((number, offset))
}

/// The tree of `tree.size()` lines, which end at byte `offset`, grown by the lines after
/// them up to line `at` (all without): the tree and the offset just past its last line.
/// What lets a snapshot that keeps its tree give the root of a longer log reading only the
/// lines after it.
pub fn extend_tree(
    source: &dyn Source,
    offset: u64,
    mut tree: CompactRange,
    at: Option<u64>,
) -> Result<(CompactRange, u64), ReadError> {
    let after = tree.size();
    let (lines, end) = each_line_from(source, offset, after, at, |_, line| {
        tree.push(leaf_hash(line))
    })?;
    debug_assert_eq!(lines, tree.size());
    Ok((tree, end))
}

/// The size and root of the tree of the log's first `at` lines (all of them without).
pub fn root(source: &dyn Source, at: Option<u64>) -> Result<(u64, Hash), ReadError> {
    let mut tree = CompactRange::default();
    let size = each_line(source, at, |_, line| tree.push(leaf_hash(line)))?;
    debug_assert_eq!(size, tree.size());
    Ok((size, tree.root()))
}

/// The roots of the trees of the log's first `sizes[i]` lines (sizes ascending), in one
/// pass that stops at the largest; a size past the log's end has none.
pub fn roots_at(source: &dyn Source, sizes: &[u64]) -> Result<Vec<(u64, Hash)>, ReadError> {
    debug_assert!(sizes.windows(2).all(|pair| pair[0] < pair[1]));
    let mut roots = Vec::with_capacity(sizes.len());
    let Some(&last) = sizes.last() else {
        return Ok(roots);
    };
    let mut tree = CompactRange::default();
    let mut wanted = sizes.iter().copied().peekable();
    while wanted.next_if_eq(&0).is_some() {
        roots.push((0, tree.root()));
    }
    each_line(source, Some(last), |number, line| {
        tree.push(leaf_hash(line));
        if wanted.next_if_eq(&number).is_some() {
            roots.push((number, tree.root()));
        }
    })?;
    Ok(roots)
}

/// An inclusion proof: line `seq` is leaf `seq - 1` of the tree of size `tree_size` with
/// root `root`, by the hashes of `path` (the leaf's sibling first). It carries the line,
/// so the proof shows what it proves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    pub proof: String,
    pub seq: u64,
    pub tree_size: u64,
    pub root: Hash,
    pub path: Vec<Hash>,
    /// The line, exactly as the log holds it, without its newline.
    pub line: String,
}

/// A consistency proof: the tree of size `to_size` with root `to_root` extends the tree of
/// size `from_size` with root `from_root`, by the hashes of `path`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    pub proof: String,
    pub from_size: u64,
    pub to_size: u64,
    pub from_root: Hash,
    pub to_root: Hash,
    pub path: Vec<Hash>,
}

/// Either proof, as a file holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Proof {
    Inclusion(InclusionProof),
    Consistency(ConsistencyProof),
}

/// Why a proof could not be made.
#[derive(Debug)]
pub enum ProveError {
    /// The log could not be read, or breaks a rule of its lines.
    Read(ReadError),
    /// The sizes or the line asked for do not fit the log: a usage error.
    Asked(String),
}

impl From<ReadError> for ProveError {
    fn from(error: ReadError) -> ProveError {
        ProveError::Read(error)
    }
}

/// The size a proof is for: `size`, or the whole log; refused past the log's end.
fn tree_size(source: &dyn Source, size: Option<u64>) -> Result<u64, ProveError> {
    let lines = each_line(source, size, |_, _| {})?;
    match size {
        Some(size) if size > lines => Err(ProveError::Asked(format!(
            "--size {size}: the log has {lines} lines"
        ))),
        _ => Ok(lines),
    }
}

/// What one pass over the first `size` lines gives a proof: the hashes of `ranges` (in
/// proof order), the tree's root, and line `mark` with the root of the tree up to it.
struct Pass {
    path: Vec<Hash>,
    root: Hash,
    marked_line: Vec<u8>,
    marked_root: Hash,
}

fn proof_pass(
    source: &dyn Source,
    size: u64,
    ranges: &[merkle::LeafRange],
    mark: u64,
) -> Result<Pass, ProveError> {
    let mut hashes = RangeHashes::new(ranges);
    let mut tree = CompactRange::default();
    let mut marked = None;
    each_line(source, Some(size), |number, line| {
        let leaf = leaf_hash(line);
        hashes.push(leaf);
        tree.push(leaf);
        if number == mark {
            marked = Some((line.to_vec(), tree.root()));
        }
    })?;
    // Fewer lines than the count before: the log was cut between the two readings.
    let (Some(path), Some((marked_line, marked_root))) = (hashes.finish(), marked) else {
        return Err(ProveError::Asked(
            "the log changed while it was read".into(),
        ));
    };
    Ok(Pass {
        path,
        root: tree.root(),
        marked_line,
        marked_root,
    })
}

/// The inclusion proof of line `seq` in the tree of the first `size` lines (default: all).
pub fn prove_inclusion(
    source: &dyn Source,
    seq: u64,
    size: Option<u64>,
) -> Result<InclusionProof, ProveError> {
    let size = tree_size(source, size)?;
    if seq == 0 || seq > size {
        return Err(ProveError::Asked(format!(
            "--seq {seq}: the tree has lines 1 to {size}"
        )));
    }
    let pass = proof_pass(source, size, &merkle::inclusion_ranges(seq - 1, size), seq)?;
    let line = String::from_utf8(pass.marked_line).map_err(|_| {
        ProveError::Read(ReadError::Rule(LogError {
            line: seq,
            rule: Rule::EnvelopeShape,
            detail: "the line is not UTF-8".into(),
        }))
    })?;
    let proof = InclusionProof {
        proof: INCLUSION_KIND.into(),
        seq,
        tree_size: size,
        root: pass.root,
        path: pass.path,
        line,
    };
    debug_assert!(check_inclusion(&proof, proof.line.as_bytes(), &proof.root));
    Ok(proof)
}

/// The consistency proof between the trees of the first `from` lines and of the first
/// `size` lines (default: all).
pub fn prove_consistency(
    source: &dyn Source,
    from: u64,
    size: Option<u64>,
) -> Result<ConsistencyProof, ProveError> {
    let size = tree_size(source, size)?;
    if from == 0 || from > size {
        return Err(ProveError::Asked(format!(
            "--from {from}: a consistency proof starts from a tree of 1 to {size} lines"
        )));
    }
    let pass = proof_pass(source, size, &merkle::consistency_ranges(from, size), from)?;
    let proof = ConsistencyProof {
        proof: CONSISTENCY_KIND.into(),
        from_size: from,
        to_size: size,
        from_root: pass.marked_root,
        to_root: pass.root,
        path: pass.path,
    };
    debug_assert!(check_consistency(&proof, &proof.from_root));
    Ok(proof)
}

/// Whether `proof` shows that `line` is line `proof.seq` of the tree with root `root`.
pub fn check_inclusion(proof: &InclusionProof, line: &[u8], root: &Hash) -> bool {
    proof.seq >= 1
        && merkle::verify_inclusion(
            proof.seq - 1,
            proof.tree_size,
            &leaf_hash(line),
            &proof.path,
            root,
        )
}

/// Whether `proof` shows that its new tree extends the old tree whose root is `from_root`.
pub fn check_consistency(proof: &ConsistencyProof, from_root: &Hash) -> bool {
    merkle::verify_consistency(
        proof.from_size,
        proof.to_size,
        from_root,
        &proof.to_root,
        &proof.path,
    )
}

/// The root a proof is checked against: one the checker trusts, or none (then the proof's
/// own root, which shows only that the proof is consistent with itself).
pub enum TrustedRoot {
    Nothing,
    Root(Hash),
    /// A signed checkpoint, its signature already checked: its root, for a tree of its size.
    Checkpoint(checkpoint::Checkpoint),
}

/// A proof that holds: the root it was checked against (an inclusion proof's tree root, a
/// consistency proof's old root), whether that root was a trusted one, and the
/// `check-proof --json` document.
pub struct CheckedProof {
    pub root: Hash,
    pub root_trusted: bool,
    pub document: serde_json::Value,
}

/// Why a proof does not hold: the rule (`proof.inclusion`, `proof.consistency`) and the
/// detail.
#[derive(Debug, PartialEq, Eq)]
pub struct ProofRefusal {
    pub rule: Rule,
    pub detail: String,
}

/// Checks a proof without the log, against `trusted`: for an inclusion proof, that
/// `line` (the proof's own line without it) is its line `seq`.
pub fn check_proof(
    proof: &Proof,
    line: Option<&[u8]>,
    trusted: &TrustedRoot,
) -> Result<CheckedProof, ProofRefusal> {
    // The root trusted for a tree of `size` lines.
    let trusted_root = |size: u64, rule: Rule| -> Result<Option<Hash>, ProofRefusal> {
        match trusted {
            TrustedRoot::Nothing => Ok(None),
            TrustedRoot::Root(root) => Ok(Some(*root)),
            TrustedRoot::Checkpoint(signed) if signed.size == size => Ok(Some(signed.root)),
            TrustedRoot::Checkpoint(signed) => Err(ProofRefusal {
                rule,
                detail: format!(
                    "the checkpoint is of a tree of {} lines, and the proof needs the root of {size}",
                    signed.size
                ),
            }),
        }
    };
    match proof {
        Proof::Inclusion(proof) => {
            let line = line.unwrap_or(proof.line.as_bytes());
            let trusted = trusted_root(proof.tree_size, Rule::ProofInclusion)?;
            let root = trusted.unwrap_or(proof.root);
            if !check_inclusion(proof, line, &root) {
                return Err(ProofRefusal {
                    rule: Rule::ProofInclusion,
                    detail: format!(
                        "the proof does not lead from that line, as line {} of a tree of {}, to the root {root}",
                        proof.seq, proof.tree_size
                    ),
                });
            }
            Ok(CheckedProof {
                root,
                root_trusted: trusted.is_some(),
                document: serde_json::json!({"ok": true, "proof": "inclusion", "seq": proof.seq,
                    "tree_size": proof.tree_size, "root": root,
                    "root_trusted": trusted.is_some()}),
            })
        }
        Proof::Consistency(proof) => {
            let trusted = trusted_root(proof.from_size, Rule::ProofConsistency)?;
            let from_root = trusted.unwrap_or(proof.from_root);
            if !check_consistency(proof, &from_root) {
                return Err(ProofRefusal {
                    rule: Rule::ProofConsistency,
                    detail: format!(
                        "the proof does not lead from the tree of {} with root {from_root} to the tree of {} with root {}",
                        proof.from_size, proof.to_size, proof.to_root
                    ),
                });
            }
            Ok(CheckedProof {
                root: from_root,
                root_trusted: trusted.is_some(),
                document: serde_json::json!({"ok": true, "proof": "consistency",
                    "from_size": proof.from_size, "to_size": proof.to_size,
                    "from_root": from_root, "to_root": proof.to_root,
                    "root_trusted": trusted.is_some()}),
            })
        }
    }
}

/// Why a proof document is not one of accord's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProofDocumentError {
    #[error("not a JSON proof: {0}")]
    NotJson(String),
    #[error("not an inclusion proof: {0}")]
    NotInclusion(String),
    #[error("not a consistency proof: {0}")]
    NotConsistency(String),
    #[error("its \"proof\" is neither {INCLUSION_KIND} nor {CONSISTENCY_KIND}")]
    UnknownKind,
    #[error("its path holds {hashes} hashes; a proof needs at most {MAX_PATH_HASHES}")]
    PathTooLong { hashes: usize },
}

/// Reads a proof document (JSON), refusing what is not one of accord's.
pub fn parse_proof(text: &str) -> Result<Proof, ProofDocumentError> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|error| ProofDocumentError::NotJson(error.to_string()))?;
    let kind = value
        .get("proof")
        .and_then(|kind| kind.as_str())
        .unwrap_or("");
    let proof = match kind {
        INCLUSION_KIND => serde_json::from_value(value)
            .map(Proof::Inclusion)
            .map_err(|error| ProofDocumentError::NotInclusion(error.to_string()))?,
        CONSISTENCY_KIND => serde_json::from_value(value)
            .map(Proof::Consistency)
            .map_err(|error| ProofDocumentError::NotConsistency(error.to_string()))?,
        _ => return Err(ProofDocumentError::UnknownKind),
    };
    let path_length = match &proof {
        Proof::Inclusion(proof) => proof.path.len(),
        Proof::Consistency(proof) => proof.path.len(),
    };
    if path_length > MAX_PATH_HASHES {
        return Err(ProofDocumentError::PathTooLong {
            hashes: path_length,
        });
    }
    Ok(proof)
}
