//! The named rules of the log. Every refusal accord prints carries one of these names.

use std::fmt;

/// A rule of the format (`event-format.md`) or of the store around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    // Envelope rules, checked on every line in file order.
    EnvelopeVersion,
    EnvelopeSeq,
    EnvelopeId,
    EnvelopeRecorded,
    EnvelopeChain,
    EnvelopeShape,
    // Domain rules, checked when an event is folded in application order.
    RefUnknown,
    IdDuplicate,
    ProposalClosed,
    ProposalAddressee,
    ProposalAuthor,
    AgreementBasis,
    AgreementParties,
    AgreementTerminated,
    StatementShape,
    CustodyNegative,
    /// A count of persons in custody would pass the largest exact JSON integer (2^53 - 1).
    CustodyOverflow,
    ReleaseProvision,
    // Rules of the file and of the store.
    /// The last line has no newline: a write was cut short.
    LogTorn,
    /// `append --expect-seq N` and the log does not have exactly N events.
    AppendExpectSeq,
    /// `verify --head HEX` and no line of the log hashes to HEX.
    HeadUnknown,
    /// `verify`: a snapshot beside the log is damaged or disagrees with a fresh fold.
    SnapshotMismatch,
}

impl Rule {
    pub const ALL: [Rule; 22] = [
        Rule::EnvelopeVersion,
        Rule::EnvelopeSeq,
        Rule::EnvelopeId,
        Rule::EnvelopeRecorded,
        Rule::EnvelopeChain,
        Rule::EnvelopeShape,
        Rule::RefUnknown,
        Rule::IdDuplicate,
        Rule::ProposalClosed,
        Rule::ProposalAddressee,
        Rule::ProposalAuthor,
        Rule::AgreementBasis,
        Rule::AgreementParties,
        Rule::AgreementTerminated,
        Rule::StatementShape,
        Rule::CustodyNegative,
        Rule::CustodyOverflow,
        Rule::ReleaseProvision,
        Rule::LogTorn,
        Rule::AppendExpectSeq,
        Rule::HeadUnknown,
        Rule::SnapshotMismatch,
    ];

    /// The name errors print, as the format names it.
    pub fn name(self) -> &'static str {
        match self {
            Rule::EnvelopeVersion => "envelope.version",
            Rule::EnvelopeSeq => "envelope.seq",
            Rule::EnvelopeId => "envelope.id",
            Rule::EnvelopeRecorded => "envelope.recorded",
            Rule::EnvelopeChain => "envelope.chain",
            Rule::EnvelopeShape => "envelope.shape",
            Rule::RefUnknown => "ref.unknown",
            Rule::IdDuplicate => "id.duplicate",
            Rule::ProposalClosed => "proposal.closed",
            Rule::ProposalAddressee => "proposal.addressee",
            Rule::ProposalAuthor => "proposal.author",
            Rule::AgreementBasis => "agreement.basis",
            Rule::AgreementParties => "agreement.parties",
            Rule::AgreementTerminated => "agreement.terminated",
            Rule::StatementShape => "statement.shape",
            Rule::CustodyNegative => "custody.negative",
            Rule::CustodyOverflow => "custody.overflow",
            Rule::ReleaseProvision => "release.provision",
            Rule::LogTorn => "log.torn",
            Rule::AppendExpectSeq => "append.expect_seq",
            Rule::HeadUnknown => "head.unknown",
            Rule::SnapshotMismatch => "snapshot.mismatch",
        }
    }
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
    pub id: crate::ids::Slug,
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
    pub fn unknown(kind: &'static str, id: &crate::ids::Slug, detail: String) -> Violation {
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
