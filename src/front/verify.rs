//! `verify`: every line of a log checked (shape, chain, rules), the snapshots beside it
//! compared with its fold, a database stream's index columns with its lines, and, when
//! asked, a pinned head and a signed checkpoint the log must extend.

use crate::format::ids::Hash;
use crate::format::rules::Rule;
use crate::front::checkpoint::extends_checkpoint;
use crate::front::refusal::{Refusal, Where};
use crate::front::target::Target;
use crate::proofs::checkpoint::Checkpoint;
use crate::stores::file::FileStore;

/// A log that passed: what was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    pub events: u64,
    pub head: Hash,
    /// Snapshots beside the log, each compared with the fold and found to agree.
    pub snapshots: usize,
    /// The line whose hash is the pinned head, when one was given (0: the empty log's).
    pub pinned_seq: Option<u64>,
    /// The signed checkpoint the log extends, when one was given.
    pub checkpoint: Option<CheckpointCovered>,
}

/// A signed checkpoint a log extends, and the snapshots that stand on its signed lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointCovered {
    pub size: u64,
    pub covered_snapshots: Vec<u64>,
}

/// Verifies the log at `target`. A refusal names the first thing wrong; when several
/// snapshots disagree with the fold, each after the first is handed to `also` before the
/// refusal is returned, so that a person sees them all.
pub fn verify(
    target: &Target,
    pinned: Option<Hash>,
    signed: Option<&Checkpoint>,
    also: &mut dyn FnMut(Refusal),
) -> Result<VerifyReport, Refusal> {
    let verified = match target {
        Target::File(path) => FileStore::new(path).verify_with_snapshots(pinned)?,
        _ => target.read(|source| crate::stores::verify::verify_source(source, pinned))?,
    };
    let name = &target.name();
    if let Some((seq, detail)) = index_mismatch(target)? {
        return Err(Refusal::under_rule(
            format!("{}: store.index: {detail}", name.display()),
            Rule::StoreIndex,
            Where::Seq(seq),
            detail,
        ));
    }
    if let Some(pinned) = pinned
        && verified.pinned_seq.is_none()
    {
        let detail = format!(
            "no line of the log hashes to the pinned head {pinned}: the log does not extend it"
        );
        return Err(Refusal::under_rule(
            format!("{}: head.unknown: {detail}", name.display()),
            Rule::HeadUnknown,
            Where::Nowhere,
            detail,
        ));
    }
    // The log extends a signed checkpoint when its tree of that size has that root.
    if let Some(signed) = signed {
        let (lines, root) = target.read(|source| crate::proofs::root(source, Some(signed.size)))?;
        extends_checkpoint(name, lines, root, signed)?;
    }
    // A snapshot that disagrees with the fold is a cache that would make queries lie: each
    // is reported, and the log does not pass.
    let mismatch_refusal = |mismatch: &crate::stores::verify::SnapshotMismatch| {
        let detail = format!("{}: {}", mismatch.path.display(), mismatch.detail);
        Refusal::under_rule(
            format!("{}: snapshot.mismatch: {detail}", name.display()),
            Rule::SnapshotMismatch,
            Where::Seq(mismatch.seq),
            detail,
        )
    };
    if let Some(first) = verified.mismatches.first() {
        for mismatch in &verified.mismatches[1..] {
            also(mismatch_refusal(mismatch));
        }
        return Err(mismatch_refusal(first));
    }
    Ok(VerifyReport {
        events: verified.events,
        head: verified.head,
        snapshots: verified.snapshots,
        pinned_seq: verified.pinned_seq,
        checkpoint: signed.map(|signed| CheckpointCovered {
            size: signed.size,
            covered_snapshots: verified.snapshots_covered_by(signed),
        }),
    })
}

/// The first row of a database stream whose index columns disagree with its line.
#[cfg(feature = "postgres")]
fn index_mismatch(target: &Target) -> Result<Option<(u64, String)>, Refusal> {
    match target {
        Target::Stream(stream) => Ok(stream.store()?.index_mismatch()?),
        _ => Ok(None),
    }
}

#[cfg(not(feature = "postgres"))]
fn index_mismatch(target: &Target) -> Result<Option<(u64, String)>, Refusal> {
    if let Target::Stream(_) = target {
        target.store()?;
    }
    Ok(None)
}
