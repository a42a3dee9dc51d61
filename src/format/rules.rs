//! The named rules of the log. Every refusal accord prints carries one of these names.

use std::fmt;

/// Declares `Rule` from one list of (variant, name, doc): the enum, `Rule::ALL` and
/// `Rule::name` come from the same lines, so a new rule cannot be missed by any of them (or
/// by the fixture test that walks `ALL`).
macro_rules! rules {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// A rule of the format (`event-format.md`) or of the store around it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in the order declared.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The name errors print, as the format names it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Rule::$variant => $name,)*
                }
            }
        }
    };
}

rules! {
    /// `v` is 1 or 2, and no version-1 line follows a version-2 one. (Envelope rules are
    /// checked on every line in file order.)
    EnvelopeVersion => "envelope.version",
    /// `seq` is the line number.
    EnvelopeSeq => "envelope.seq",
    /// `id` is unique in the log.
    EnvelopeId => "envelope.id",
    /// `recorded` is not earlier than the previous line's.
    EnvelopeRecorded => "envelope.recorded",
    /// `prev` is the hash of the previous line.
    EnvelopeChain => "envelope.chain",
    /// The line has exactly the fields of the format, of their types.
    EnvelopeShape => "envelope.shape",
    /// What an event names exists. (Domain rules are checked when an event is folded, in
    /// application order.)
    RefUnknown => "ref.unknown",
    /// An id is introduced once.
    IdDuplicate => "id.duplicate",
    ProposalClosed => "proposal.closed",
    ProposalAddressee => "proposal.addressee",
    ProposalAuthor => "proposal.author",
    AgreementBasis => "agreement.basis",
    AgreementParties => "agreement.parties",
    AgreementTerminated => "agreement.terminated",
    StatementShape => "statement.shape",
    CustodyNegative => "custody.negative",
    /// A count of persons in custody would pass the largest exact JSON integer (2^53 - 1).
    CustodyOverflow => "custody.overflow",
    ReleaseProvision => "release.provision",
    /// A meeting names each party, mediator and issue once, its mediators apart from its
    /// parties, and its host among them (version 2).
    MeetingParties => "meeting.parties",
    /// A correction or retraction names an earlier line that is not itself one (version 2;
    /// an envelope rule, checked as the line is read).
    CorrectionTarget => "correction.target",
    /// The last line has no newline: a write was cut short. (Rules of the file and of the
    /// store follow.)
    LogTorn => "log.torn",
    /// `append --expect-seq N` and the log does not have exactly N events.
    AppendExpectSeq => "append.expect_seq",
    /// An append lost a seq to a writer that did not wait its turn (the PostgreSQL store's
    /// unique (stream, seq) key caught it): nothing was written, and a retry reads anew.
    AppendConflict => "append.conflict",
    /// `verify --head HEX` and no line of the log hashes to HEX.
    HeadUnknown => "head.unknown",
    /// `verify`: a snapshot beside the log is damaged or disagrees with a fresh fold.
    SnapshotMismatch => "snapshot.mismatch",
    /// `check-proof`: an inclusion proof does not lead from its line to the root.
    ProofInclusion => "proof.inclusion",
    /// `check-proof`: a consistency proof does not lead from the old root to the new one.
    ProofConsistency => "proof.consistency",
    /// A signed checkpoint's signature does not hold for the key given.
    CheckpointSignature => "checkpoint.signature",
    /// `verify --checkpoint`: the log's tree of the checkpoint's size has another root.
    CheckpointRoot => "checkpoint.root",
    /// `verify` of a database stream: a row's columns beside its line (seq, id, type,
    /// occurred, recorded, which queries and appends use) say other than the line.
    StoreIndex => "store.index",
}

impl fmt::Display for Rule {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// A rule broken by one event, with what a person needs to see why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub rule: Rule,
    pub detail: String,
    /// For `ref.unknown`: what was named and not found, so that a fold that knows the rest
    /// of the log can say when it does appear.
    pub unknown: Option<Unknown>,
}

/// An entity named before it exists: its kind (`party`, `issue`, `proposal`, `agreement`)
/// and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    pub kind: &'static str,
    pub id: crate::format::ids::Slug,
}

impl Violation {
    pub fn new(rule: Rule, detail: impl Into<String>) -> Violation {
        Violation {
            rule,
            detail: detail.into(),
            unknown: None,
        }
    }

    /// A `ref.unknown` violation naming what was not found.
    pub fn unknown(kind: &'static str, id: &crate::format::ids::Slug, detail: String) -> Violation {
        Violation {
            rule: Rule::RefUnknown,
            detail,
            unknown: Some(Unknown {
                kind,
                id: id.clone(),
            }),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.rule, self.detail)
    }
}
