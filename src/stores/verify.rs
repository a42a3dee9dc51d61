//! A log verified against what is kept beside it, for every store: every line read and
//! folded afresh from a `Source`, a pinned head looked for, and each snapshot compared with
//! the fold at its seq.

use crate::fold::Folded;
use crate::fold::state::State;
use crate::format::ids::Hash;
use std::path::PathBuf;

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
pub(crate) fn pinned_at_start(pinned: Option<Hash>) -> Option<u64> {
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

/// How a snapshot's fold differs from the log's fold of its first `seq` lines, if it does.
pub(crate) fn disagreement(seq: u64, fresh: &Folded, cached: &Folded) -> Option<String> {
    debug_assert_eq!(
        fresh.events + fresh.state.lines_folding_nothing(),
        seq,
        "the fold covers lines 1 to {seq}"
    );
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

pub(crate) fn shown(time: &Option<crate::format::world_time::WorldTime>) -> String {
    time.as_ref()
        .map_or("never".to_string(), |time| time.to_string())
}

/// The first entity (`party:ARM`, ...) whose view differs between two states.
pub(crate) fn first_difference(fresh: &State, cached: &State) -> String {
    match crate::views::diff::diff(fresh, cached).first() {
        Some(change) => format!("first at {}", change.entity),
        None => "in a field no entity shows".to_string(),
    }
}
