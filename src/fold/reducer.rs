//! The reducer: the one place where the state changes.
//!
//! `apply` takes the state, the seq of an event and its data, checks every domain rule of
//! the format against the state, and only then changes it. It does no I/O, reads no clock,
//! draws no random number and iterates no hash map: the same events in the same order give
//! the same state on every machine. A refused event leaves the state exactly as it was.

use std::collections::BTreeMap;

use crate::fold::state::{
    Agreement, AgreementStatus, Allegation, Claim, ClaimKind, Counts, Issue, Meeting, Party,
    Proposal, ProposalStatus, Provision, Remark, State,
};
use crate::format::count::{CountRange, CustodyError};
use crate::format::event::{
    AgreementSigned, AgreementTerminated, Category, DetentionReported, EventData, IssueRaised,
    MAX_COUNT, MeetingHeld, PartyJoined, ProposalAct, ProposalMade, ProposalRejected,
    ProvisionStatus, ProvisionUpdated, ReleaseMade, StatementKind, StatementMade,
};
use crate::format::ids::Slug;
use crate::format::rules::{Rule, Violation};

/// Applies one event to the state, or says which rule it breaks and leaves the state alone.
///
/// Any `EventData` may be given, however it was built: data that parsing would refuse (an
/// empty list, a count of 0 or past `MAX_COUNT`) is refused here under `envelope.shape`,
/// never a panic. `state` is one that `apply` made (from `State::default()`); the state JSON
/// of a checked snapshot is one.
pub fn apply(state: &mut State, seq: u64, data: &EventData) -> Result<(), Violation> {
    data.check_shape().map_err(|detail| {
        Violation::new(
            Rule::EnvelopeShape,
            format!("data of {}: {detail}", data.type_name()),
        )
    })?;
    match data {
        EventData::PartyJoined(joined) => party_joined(state, joined),
        EventData::IssueRaised(raised) => issue_raised(state, raised),
        EventData::ProposalMade(made) => proposal_made(state, made),
        EventData::ProposalAccepted(act) => proposal_accepted(state, act),
        EventData::ProposalRejected(rejected) => proposal_rejected(state, rejected),
        EventData::ProposalWithdrawn(act) => proposal_withdrawn(state, act),
        EventData::StatementMade(statement) => statement_made(state, seq, statement),
        EventData::AgreementSigned(signed) => agreement_signed(state, signed),
        EventData::ProvisionUpdated(updated) => provision_updated(state, updated),
        EventData::AgreementTerminated(terminated) => agreement_terminated(state, terminated),
        EventData::DetentionReported(reported) => detention_reported(state, reported),
        EventData::ReleaseMade(release) => release_made(state, release),
        EventData::MeetingHeld(meeting) => meeting_held(state, seq, meeting),
        // A correction or retraction changes which events are folded, not the state: the
        // fold applies the effective events (`crate::fold::effective`) and never hands
        // these to the reducer.
        EventData::EventRetracted(_) | EventData::EventCorrected(_) => Ok(()),
    }
}

fn violation(rule: Rule, detail: String) -> Result<(), Violation> {
    Err(Violation::new(rule, detail))
}

fn require_party(state: &State, party: &Slug, field: &str) -> Result<(), Violation> {
    if state.parties.contains_key(party) {
        return Ok(());
    }
    Err(Violation::unknown(
        "party",
        party,
        format!("`{field}` names party {party}, which has not joined"),
    ))
}

fn require_parties(state: &State, parties: &[Slug], field: &str) -> Result<(), Violation> {
    parties
        .iter()
        .try_for_each(|party| require_party(state, party, field))
}

fn require_issue(state: &State, issue: &Slug, field: &str) -> Result<(), Violation> {
    if state.issues.contains_key(issue) {
        return Ok(());
    }
    Err(Violation::unknown(
        "issue",
        issue,
        format!("`{field}` names issue {issue}, which has not been raised"),
    ))
}

fn require_proposal<'s>(
    state: &'s State,
    proposal: &Slug,
    field: &str,
) -> Result<&'s Proposal, Violation> {
    state.proposals.get(proposal).ok_or_else(|| {
        Violation::unknown(
            "proposal",
            proposal,
            format!("`{field}` names proposal {proposal}, which has not been made"),
        )
    })
}

fn require_agreement<'s>(state: &'s State, agreement: &Slug) -> Result<&'s Agreement, Violation> {
    state.agreements.get(agreement).ok_or_else(|| {
        Violation::unknown(
            "agreement",
            agreement,
            format!("agreement {agreement} has not been signed"),
        )
    })
}

fn require_provision<'s>(
    state: &'s State,
    agreement: &Slug,
    provision: &Slug,
) -> Result<&'s Provision, Violation> {
    require_agreement(state, agreement)?
        .provisions
        .get(provision)
        .ok_or_else(|| {
            Violation::new(
                Rule::RefUnknown,
                format!("agreement {agreement} has no provision {provision}"),
            )
        })
}

fn require_open(proposal_id: &Slug, proposal: &Proposal, action: &str) -> Result<(), Violation> {
    if proposal.status == ProposalStatus::Open {
        return Ok(());
    }
    violation(
        Rule::ProposalClosed,
        format!(
            "cannot {action} proposal {proposal_id}: it is {}, not open",
            proposal.status.name()
        ),
    )
}

/// Lists at most this long are searched by scanning; longer ones through a sorted copy, so
/// a crafted line of many names costs `n log n`, not `n^2`.
const SCANNED_NAMES: usize = 32;

/// The first name (by position) that repeats an earlier one.
fn first_repeated(names: &[Slug]) -> Option<&Slug> {
    if names.len() <= SCANNED_NAMES {
        return names
            .iter()
            .enumerate()
            .find(|(index, name)| names[..*index].contains(name))
            .map(|(_, name)| name);
    }
    // Positions sorted by name, then position: in each run of one name, the second
    // position is where that name first repeats.
    let mut positions: Vec<usize> = (0..names.len()).collect();
    positions.sort_unstable_by(|a, b| names[*a].cmp(&names[*b]).then(a.cmp(b)));
    positions
        .windows(2)
        .filter(|pair| names[pair[0]] == names[pair[1]])
        .map(|pair| pair[1])
        .min()
        .map(|position| &names[position])
}

/// Membership in a list of names: scanned when short, through a sorted copy when long.
enum NameSet<'a> {
    Scanned(&'a [Slug]),
    Sorted(Vec<&'a Slug>),
}

impl<'a> NameSet<'a> {
    fn new(names: &'a [Slug]) -> NameSet<'a> {
        if names.len() <= SCANNED_NAMES {
            return NameSet::Scanned(names);
        }
        let mut sorted: Vec<&Slug> = names.iter().collect();
        sorted.sort_unstable();
        NameSet::Sorted(sorted)
    }

    fn contains(&self, name: &Slug) -> bool {
        match self {
            NameSet::Scanned(names) => names.contains(name),
            NameSet::Sorted(sorted) => sorted.binary_search(&name).is_ok(),
        }
    }
}

fn party_joined(state: &mut State, joined: &PartyJoined) -> Result<(), Violation> {
    if state.parties.contains_key(&joined.party) {
        return violation(
            Rule::IdDuplicate,
            format!("party {} has already joined", joined.party),
        );
    }
    let members = joined.members.clone().unwrap_or_default();
    require_parties(state, &members, "members")?;
    state.parties.insert(
        joined.party.clone(),
        Party {
            commitments: Vec::new(),
            members,
            name: joined.name.clone(),
            positions: BTreeMap::new(),
            role: joined.role,
        },
    );
    Ok(())
}

/// A meeting: a new id, known parties and issues, each named once, mediators apart from the
/// parties, a host among those present.
fn meeting_held(state: &mut State, seq: u64, meeting: &MeetingHeld) -> Result<(), Violation> {
    if state.meetings.contains_key(&meeting.meeting) {
        return violation(
            Rule::IdDuplicate,
            format!("meeting {} has already been held", meeting.meeting),
        );
    }
    let mediators = meeting.mediators.as_deref().unwrap_or_default();
    let issues = meeting.issues.as_deref().unwrap_or_default();
    require_parties(state, &meeting.parties, "parties")?;
    require_parties(state, mediators, "mediators")?;
    if let Some(host) = &meeting.hosted_by {
        require_party(state, host, "hosted_by")?;
    }
    for issue in issues {
        require_issue(state, issue, "issues")?;
    }
    let twice = |names: &[Slug]| {
        names
            .iter()
            .enumerate()
            .find(|(at, name)| names[..*at].contains(name))
            .map(|(_, name)| name.clone())
    };
    let parties_named = |detail: String| violation(Rule::MeetingParties, detail);
    if let Some(party) = twice(&meeting.parties).or_else(|| twice(mediators)) {
        return parties_named(format!("meeting {} names {party} twice", meeting.meeting));
    }
    if let Some(issue) = twice(issues) {
        return parties_named(format!(
            "meeting {} names issue {issue} twice",
            meeting.meeting
        ));
    }
    if let Some(both) = mediators
        .iter()
        .find(|mediator| meeting.parties.contains(mediator))
    {
        return parties_named(format!(
            "{both} is named both among the parties and the mediators of meeting {}",
            meeting.meeting
        ));
    }
    if let Some(host) = &meeting.hosted_by
        && !meeting.parties.contains(host)
        && !mediators.contains(host)
    {
        return parties_named(format!(
            "meeting {} is hosted by {host}, who is neither among its parties nor its mediators",
            meeting.meeting
        ));
    }
    state.meetings.insert(
        meeting.meeting.clone(),
        Meeting {
            hosted_by: meeting.hosted_by.clone(),
            issues: issues.to_vec(),
            mediators: mediators.to_vec(),
            parties: meeting.parties.clone(),
            place: meeting.place.clone(),
            seq,
            title: meeting.title.clone(),
        },
    );
    Ok(())
}

fn issue_raised(state: &mut State, raised: &IssueRaised) -> Result<(), Violation> {
    if state.issues.contains_key(&raised.issue) {
        return violation(
            Rule::IdDuplicate,
            format!("issue {} has already been raised", raised.issue),
        );
    }
    state.issues.insert(
        raised.issue.clone(),
        Issue {
            claims: Vec::new(),
            title: raised.title.clone(),
        },
    );
    Ok(())
}

fn proposal_made(state: &mut State, made: &ProposalMade) -> Result<(), Violation> {
    let duplicate = || {
        violation(
            Rule::IdDuplicate,
            format!("proposal {} was already made", made.proposal),
        )
    };
    if let Err(refused) = check_proposal_made(state, made) {
        // A reused id is reported before anything else wrong with the proposal.
        if state.proposals.contains_key(&made.proposal) {
            return duplicate();
        }
        return Err(refused);
    }
    // Every other check has passed. The id is claimed (one search for the duplicate check
    // and the insert) before anything changes, so a duplicate leaves the state untouched.
    match state.proposals.entry(made.proposal.clone()) {
        std::collections::btree_map::Entry::Occupied(_) => return duplicate(),
        std::collections::btree_map::Entry::Vacant(slot) => {
            slot.insert(Proposal {
                accepted_by: Vec::new(),
                by: made.by.clone(),
                counters: made.counters.clone(),
                status: ProposalStatus::Open,
                supersedes: made.supersedes.clone(),
                terms: made.terms.clone(),
                to: made.to.clone(),
            });
        }
    }
    if let Some(superseded_id) = &made.supersedes {
        set_proposal_status(state, superseded_id, ProposalStatus::Superseded);
    }
    if let Some(countered_id) = &made.counters {
        set_proposal_status(state, countered_id, ProposalStatus::Countered);
    }
    Ok(())
}

/// Every rule of `proposal.made` but the one on reused ids.
fn check_proposal_made(state: &State, made: &ProposalMade) -> Result<(), Violation> {
    require_party(state, &made.by, "by")?;
    require_parties(state, &made.to, "to")?;
    for term in made.terms.iter() {
        require_issue(state, &term.issue, "terms")?;
    }
    let superseded = match &made.supersedes {
        Some(id) => Some((id, require_proposal(state, id, "supersedes")?)),
        None => None,
    };
    let countered = match &made.counters {
        Some(id) => Some((id, require_proposal(state, id, "counters")?)),
        None => None,
    };
    if made.to.contains(&made.by) {
        return violation(
            Rule::ProposalAddressee,
            format!(
                "proposal {} is addressed to its own proposer {}",
                made.proposal, made.by
            ),
        );
    }
    if let Some(repeated) = first_repeated(&made.to) {
        return violation(
            Rule::ProposalAddressee,
            format!("`to` names {repeated} twice"),
        );
    }
    if let Some((superseded_id, superseded)) = superseded {
        require_open(superseded_id, superseded, "supersede")?;
        if superseded.by != made.by {
            return violation(
                Rule::ProposalAuthor,
                format!(
                    "{} cannot supersede proposal {superseded_id}: only its proposer {} can",
                    made.by, superseded.by
                ),
            );
        }
    }
    if let Some((countered_id, countered)) = countered {
        require_open(countered_id, countered, "counter")?;
        if !countered.to.contains(&made.by) {
            return violation(
                Rule::ProposalAddressee,
                format!(
                    "{} cannot counter proposal {countered_id}: it is addressed to {}",
                    made.by,
                    join(&countered.to)
                ),
            );
        }
    }
    Ok(())
}

fn set_proposal_status(state: &mut State, proposal: &Slug, status: ProposalStatus) {
    let entry = state.proposals.get_mut(proposal);
    debug_assert!(
        entry.is_some(),
        "a proposal is checked to exist before its status changes"
    );
    if let Some(entry) = entry {
        entry.status = status;
    }
}

/// The checks shared by accepting and rejecting: the proposal is open and `by` is an
/// addressee who has not answered yet.
fn check_answer(state: &State, act: &ProposalAct, action: &str) -> Result<(), Violation> {
    let proposal = require_proposal(state, &act.proposal, "proposal")?;
    require_party(state, &act.by, "by")?;
    require_open(&act.proposal, proposal, action)?;
    if !proposal.to.contains(&act.by) {
        return violation(
            Rule::ProposalAddressee,
            format!(
                "{} cannot {action} proposal {}: it is addressed to {}",
                act.by,
                act.proposal,
                join(&proposal.to)
            ),
        );
    }
    if proposal.accepted_by.contains(&act.by) {
        return violation(
            Rule::ProposalAddressee,
            format!("{} has already accepted proposal {}", act.by, act.proposal),
        );
    }
    Ok(())
}

fn proposal_accepted(state: &mut State, act: &ProposalAct) -> Result<(), Violation> {
    check_answer(state, act, "accept")?;
    let proposal = state
        .proposals
        .get_mut(&act.proposal)
        .expect("checked to exist");
    proposal.accepted_by.push(act.by.clone());
    // Every addressee has accepted when as many have as there are addressees: `to` names
    // no one twice, and only an addressee who has not yet answered may accept. (Comparing
    // lists instead would cost `to` times `accepted_by` on every acceptance.)
    debug_assert!(
        proposal.to.len() > SCANNED_NAMES
            || (proposal.accepted_by.len() == proposal.to.len())
                == proposal
                    .to
                    .iter()
                    .all(|addressee| proposal.accepted_by.contains(addressee))
    );
    if proposal.accepted_by.len() == proposal.to.len() {
        proposal.status = ProposalStatus::Accepted;
    }
    Ok(())
}

fn proposal_rejected(state: &mut State, rejected: &ProposalRejected) -> Result<(), Violation> {
    let act = ProposalAct {
        proposal: rejected.proposal.clone(),
        by: rejected.by.clone(),
    };
    check_answer(state, &act, "reject")?;
    set_proposal_status(state, &rejected.proposal, ProposalStatus::Rejected);
    Ok(())
}

fn proposal_withdrawn(state: &mut State, act: &ProposalAct) -> Result<(), Violation> {
    let proposal = require_proposal(state, &act.proposal, "proposal")?;
    require_party(state, &act.by, "by")?;
    require_open(&act.proposal, proposal, "withdraw")?;
    if proposal.by != act.by {
        return violation(
            Rule::ProposalAuthor,
            format!(
                "{} cannot withdraw proposal {}: only its proposer {} can",
                act.by, act.proposal, proposal.by
            ),
        );
    }
    set_proposal_status(state, &act.proposal, ProposalStatus::Withdrawn);
    Ok(())
}

fn statement_made(state: &mut State, seq: u64, statement: &StatementMade) -> Result<(), Violation> {
    check_statement(state, statement)?;
    let against = statement.against.as_deref().unwrap_or_default();
    // Every check has passed: change the state.
    let remark = Remark {
        seq,
        text: statement.text.clone(),
    };
    match statement.kind {
        StatementKind::Position => {
            let issue = statement.issue.clone().expect("checked above");
            let party = state
                .parties
                .get_mut(&statement.by)
                .expect("checked to exist");
            party.positions.insert(issue, remark);
        }
        StatementKind::Commitment => {
            let party = state
                .parties
                .get_mut(&statement.by)
                .expect("checked to exist");
            party.commitments.push(remark);
        }
        StatementKind::Accusation => {
            if let (Some(agreement), Some(provision)) = (&statement.agreement, &statement.provision)
            {
                let provision = state
                    .agreements
                    .get_mut(agreement)
                    .and_then(|agreement| agreement.provisions.get_mut(provision))
                    .expect("checked to exist");
                provision.allegations.push(Allegation {
                    against: against.to_vec(),
                    by: statement.by.clone(),
                    seq,
                });
            }
        }
        StatementKind::Claim | StatementKind::Denial => {
            let claim = Claim {
                by: statement.by.clone(),
                kind: if statement.kind == StatementKind::Claim {
                    ClaimKind::Claim
                } else {
                    ClaimKind::Denial
                },
                seq,
                text: statement.text.clone(),
            };
            // The provision it names, or else the issue; naming neither, it stays in the log.
            if let (Some(agreement), Some(provision)) = (&statement.agreement, &statement.provision)
            {
                state
                    .agreements
                    .get_mut(agreement)
                    .and_then(|agreement| agreement.provisions.get_mut(provision))
                    .expect("checked to exist")
                    .claims
                    .push(claim);
            } else if let Some(issue) = &statement.issue {
                state
                    .issues
                    .get_mut(issue)
                    .expect("checked to exist")
                    .claims
                    .push(claim);
            }
        }
        // Remarks and threats change nothing in the state: they stay in the log.
        StatementKind::Demand
        | StatementKind::Appeal
        | StatementKind::Remark
        | StatementKind::Threat => {}
    }
    Ok(())
}

/// A statement has the fields its kind needs, and everything it names exists.
fn check_statement(state: &State, statement: &StatementMade) -> Result<(), Violation> {
    let against = statement.against.as_deref().unwrap_or_default();
    match statement.kind {
        StatementKind::Accusation if against.is_empty() => {
            return violation(
                Rule::StatementShape,
                "an accusation needs a non-empty `against`".into(),
            );
        }
        StatementKind::Position if statement.issue.is_none() => {
            return violation(Rule::StatementShape, "a position needs an `issue`".into());
        }
        _ => {}
    }
    if statement.provision.is_some() && statement.agreement.is_none() {
        return violation(
            Rule::StatementShape,
            "a statement that names a `provision` needs its `agreement`".into(),
        );
    }
    require_party(state, &statement.by, "by")?;
    require_parties(state, statement.to.as_deref().unwrap_or_default(), "to")?;
    require_parties(state, against, "against")?;
    if let Some(issue) = &statement.issue {
        require_issue(state, issue, "issue")?;
    }
    if let Some(agreement) = &statement.agreement {
        require_agreement(state, agreement)?;
        if let Some(provision) = &statement.provision {
            require_provision(state, agreement, provision)?;
        }
    }
    Ok(())
}

fn agreement_signed(state: &mut State, signed: &AgreementSigned) -> Result<(), Violation> {
    check_agreement_ids(state, signed)?;
    let witnesses = signed.witnesses.clone().unwrap_or_default();
    check_agreement_parties(state, signed, &witnesses)?;
    check_agreement_basis(state, signed, &witnesses)?;
    // Every check has passed: change the state.
    let provisions = signed
        .provisions
        .iter()
        .map(|terms| {
            let provision = Provision {
                allegations: Vec::new(),
                claims: Vec::new(),
                obligated: terms.obligated.clone(),
                status: ProvisionStatus::Pending,
                text: terms.text.clone(),
            };
            (terms.provision.clone(), provision)
        })
        .collect();
    state.agreements.insert(
        signed.agreement.clone(),
        Agreement {
            proposal: signed.proposal.clone(),
            provisions,
            signatories: signed.signatories.clone(),
            status: AgreementStatus::InForce,
            title: signed.title.clone(),
            witnesses,
        },
    );
    Ok(())
}

/// An agreement's id is new, and its provisions' ids are distinct.
fn check_agreement_ids(state: &State, signed: &AgreementSigned) -> Result<(), Violation> {
    if state.agreements.contains_key(&signed.agreement) {
        return violation(
            Rule::IdDuplicate,
            format!("agreement {} was already signed", signed.agreement),
        );
    }
    let provision_ids: Vec<Slug> = signed
        .provisions
        .iter()
        .map(|p| p.provision.clone())
        .collect();
    if let Some(repeated) = first_repeated(&provision_ids) {
        return violation(
            Rule::IdDuplicate,
            format!(
                "provision {repeated} appears twice in agreement {}",
                signed.agreement
            ),
        );
    }
    Ok(())
}

/// Every party an agreement names has joined and is named once; no signatory witnesses;
/// every obligated party signs.
fn check_agreement_parties(
    state: &State,
    signed: &AgreementSigned,
    witnesses: &[Slug],
) -> Result<(), Violation> {
    require_parties(state, &signed.signatories, "signatories")?;
    require_parties(state, witnesses, "witnesses")?;
    for provision in &signed.provisions {
        require_parties(state, &provision.obligated, "obligated")?;
    }
    if let Some(proposal) = &signed.proposal {
        require_proposal(state, proposal, "proposal")?;
    }
    if let Some(repeated) = first_repeated(&signed.signatories) {
        return violation(
            Rule::AgreementParties,
            format!("{repeated} is named twice among the signatories"),
        );
    }
    if let Some(repeated) = first_repeated(witnesses) {
        return violation(
            Rule::AgreementParties,
            format!("{repeated} is named twice among the witnesses"),
        );
    }
    let signatories = NameSet::new(&signed.signatories);
    if let Some(both) = witnesses
        .iter()
        .find(|witness| signatories.contains(witness))
    {
        return violation(
            Rule::AgreementParties,
            format!("{both} is both a signatory and a witness"),
        );
    }
    for provision in &signed.provisions {
        if let Some(outsider) = provision
            .obligated
            .iter()
            .find(|party| !signatories.contains(party))
        {
            return violation(
                Rule::AgreementParties,
                format!(
                    "provision {} obligates {outsider}, who is not a signatory",
                    provision.provision
                ),
            );
        }
    }
    Ok(())
}

/// An agreement signed on a proposal stands on an accepted one, signed by every addressee,
/// and signed or witnessed by its maker.
fn check_agreement_basis(
    state: &State,
    signed: &AgreementSigned,
    witnesses: &[Slug],
) -> Result<(), Violation> {
    let signatories = NameSet::new(&signed.signatories);
    if let Some(proposal_id) = &signed.proposal {
        let proposal = &state.proposals[proposal_id];
        if proposal.status != ProposalStatus::Accepted {
            return violation(
                Rule::AgreementBasis,
                format!(
                    "proposal {proposal_id} is {}, not accepted",
                    proposal.status.name()
                ),
            );
        }
        if let Some(missing) = proposal
            .to
            .iter()
            .find(|addressee| !signatories.contains(addressee))
        {
            return violation(
                Rule::AgreementBasis,
                format!("{missing}, an addressee of proposal {proposal_id}, does not sign"),
            );
        }
        if !signatories.contains(&proposal.by) && !witnesses.contains(&proposal.by) {
            return violation(
                Rule::AgreementBasis,
                format!(
                    "{}, who made proposal {proposal_id}, neither signs nor witnesses",
                    proposal.by
                ),
            );
        }
    }
    Ok(())
}

fn provision_updated(state: &mut State, updated: &ProvisionUpdated) -> Result<(), Violation> {
    require_provision(state, &updated.agreement, &updated.provision)?;
    if state.agreements[&updated.agreement].status == AgreementStatus::Terminated {
        return violation(
            Rule::AgreementTerminated,
            format!(
                "agreement {} is terminated; its provisions no longer change",
                updated.agreement
            ),
        );
    }
    let agreement = state
        .agreements
        .get_mut(&updated.agreement)
        .expect("checked to exist");
    let provision = agreement
        .provisions
        .get_mut(&updated.provision)
        .expect("checked to exist");
    provision.status = updated.status;
    Ok(())
}

fn agreement_terminated(
    state: &mut State,
    terminated: &AgreementTerminated,
) -> Result<(), Violation> {
    require_agreement(state, &terminated.agreement)?;
    if let Some(by) = &terminated.by {
        require_party(state, by, "by")?;
    }
    if state.agreements[&terminated.agreement].status == AgreementStatus::Terminated {
        return violation(
            Rule::AgreementTerminated,
            format!("agreement {} is already terminated", terminated.agreement),
        );
    }
    let agreement = state
        .agreements
        .get_mut(&terminated.agreement)
        .expect("checked to exist");
    agreement.status = AgreementStatus::Terminated;
    Ok(())
}

fn held(
    table: &BTreeMap<Slug, BTreeMap<Slug, Counts>>,
    holder: &Slug,
    of: &Slug,
    category: Category,
) -> CountRange {
    table
        .get(holder)
        .and_then(|by_side| by_side.get(of))
        .map_or(CountRange::exact(0), |counts| counts.get(category))
}

/// `custody.overflow`: what `holder` would hold (or have released) of `of` past `MAX_COUNT`.
fn overflow(holder: &Slug, what: &str, bound: u64, category: Category, of: &Slug) -> Violation {
    Violation::new(
        Rule::CustodyOverflow,
        format!(
            "{holder} would {what} {bound} {} of {of}, more than the largest count {MAX_COUNT}",
            category.name()
        ),
    )
}

fn detention_reported(state: &mut State, reported: &DetentionReported) -> Result<(), Violation> {
    require_party(state, &reported.holder, "holder")?;
    require_party(state, &reported.of, "of")?;
    let before = held(
        &state.custody,
        &reported.holder,
        &reported.of,
        reported.category,
    );
    let after = before
        .add(reported.count.range())
        .map_err(|error| match error {
            CustodyError::Overflow(bound) | CustodyError::MoreThanHeld { held: bound, .. } => {
                overflow(
                    &reported.holder,
                    "hold",
                    bound,
                    reported.category,
                    &reported.of,
                )
            }
        })?;
    set_counts(
        &mut state.custody,
        &reported.holder,
        &reported.of,
        reported.category,
        after,
    );
    Ok(())
}

fn release_made(state: &mut State, release: &ReleaseMade) -> Result<(), Violation> {
    if release.provision.is_some() && release.agreement.is_none() {
        return violation(
            Rule::ReleaseProvision,
            "a release that names a `provision` must name its `agreement`".into(),
        );
    }
    require_party(state, &release.by, "by")?;
    require_party(state, &release.of, "of")?;
    if let Some(agreement) = &release.agreement {
        require_agreement(state, agreement)?;
        if let Some(provision) = &release.provision {
            require_provision(state, agreement, provision)?;
        }
    }
    // Checks first: the holding it frees from, and the tally of the released it adds to.
    let released = release.count.range();
    let holding = held(&state.custody, &release.by, &release.of, release.category);
    let held_after = holding.release(released).map_err(|_| {
        Violation::new(
            Rule::CustodyNegative,
            format!(
                "{} releases {} of {} but holds {}",
                release.by,
                release.category.persons_in(released),
                release.of,
                holding.high.map_or(holding.to_string(), |most| {
                    if holding.is_exact() {
                        most.to_string()
                    } else {
                        format!("at most {most}")
                    }
                })
            ),
        )
    })?;
    let released_before = held(&state.released, &release.by, &release.of, release.category);
    let released_after = released_before.add(released).map_err(|error| match error {
        CustodyError::Overflow(bound) | CustodyError::MoreThanHeld { held: bound, .. } => overflow(
            &release.by,
            "have released",
            bound,
            release.category,
            &release.of,
        ),
    })?;
    // Then the change.
    set_counts(
        &mut state.custody,
        &release.by,
        &release.of,
        release.category,
        held_after,
    );
    set_counts(
        &mut state.released,
        &release.by,
        &release.of,
        release.category,
        released_after,
    );
    Ok(())
}

fn set_counts(
    table: &mut BTreeMap<Slug, BTreeMap<Slug, Counts>>,
    holder: &Slug,
    of: &Slug,
    category: Category,
    count: CountRange,
) {
    let counts = table
        .entry(holder.clone())
        .or_default()
        .entry(of.clone())
        .or_default();
    *counts.get_mut(category) = count;
}

fn join(names: &[Slug]) -> String {
    names
        .iter()
        .map(Slug::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod name_list_tests {
    use super::{NameSet, first_repeated};
    use crate::format::ids::Slug;
    use proptest::prelude::*;

    /// Lists short and long (past the scanned length), over few names so repeats are common.
    fn names() -> impl Strategy<Value = Vec<Slug>> {
        prop::collection::vec(
            (0u32..60).prop_map(|number| Slug::parse(&format!("p{number}")).unwrap()),
            0..120,
        )
    }

    proptest! {
        #[test]
        fn first_repeated_is_the_first_name_seen_before(names in names()) {
            let expected = names
                .iter()
                .enumerate()
                .find(|(index, name)| names[..*index].contains(name))
                .map(|(_, name)| name);
            prop_assert_eq!(first_repeated(&names), expected);
        }

        #[test]
        fn name_sets_hold_their_names(names in names(), probe in 0u32..70) {
            let probe = Slug::parse(&format!("p{probe}")).unwrap();
            prop_assert_eq!(NameSet::new(&names).contains(&probe), names.contains(&probe));
        }
    }
}

#[cfg(test)]
mod long_name_list_tests {
    use std::sync::Arc;

    use super::apply;
    use crate::fold::state::{AgreementStatus, ProposalStatus, State};
    use crate::format::event::{
        AgreementSigned, EventData, IssueRaised, PartyJoined, ProposalAct, ProposalMade,
        ProvisionTerms, Role, Term,
    };
    use crate::format::ids::Slug;
    use crate::format::rules::Rule;

    fn slug(text: &str) -> Slug {
        Slug::parse(text).unwrap()
    }

    /// Forty parties, a proposal from the first to the other 39, and every acceptance.
    fn accepted_by_many() -> (State, Vec<Slug>) {
        let parties: Vec<Slug> = (0..40).map(|number| slug(&format!("p{number}"))).collect();
        let mut events: Vec<EventData> = parties
            .iter()
            .map(|party| {
                EventData::PartyJoined(PartyJoined {
                    party: party.clone(),
                    name: party.to_string(),
                    role: Role::Party,
                    members: None,
                })
            })
            .collect();
        events.push(EventData::IssueRaised(IssueRaised {
            issue: slug("i"),
            title: "I".into(),
        }));
        events.push(EventData::ProposalMade(ProposalMade {
            proposal: slug("big"),
            by: parties[0].clone(),
            to: parties[1..].iter().cloned().collect::<Arc<[Slug]>>(),
            terms: Arc::from(vec![Term {
                issue: slug("i"),
                text: Arc::from("t"),
            }]),
            supersedes: None,
            counters: None,
        }));
        events.extend(parties[1..].iter().map(|party| {
            EventData::ProposalAccepted(ProposalAct {
                proposal: slug("big"),
                by: party.clone(),
            })
        }));
        let mut state = State::default();
        let last = events.len();
        for (seq, event) in events.iter().enumerate() {
            apply(&mut state, seq as u64 + 1, event).unwrap();
            if seq + 1 < last
                && let Some(proposal) = state.proposals.get("big")
            {
                assert_eq!(
                    proposal.status,
                    ProposalStatus::Open,
                    "before the last acceptance"
                );
            }
        }
        (state, parties)
    }

    fn signed_by(signatories: Vec<Slug>, obligated: Vec<Slug>) -> EventData {
        EventData::AgreementSigned(AgreementSigned {
            agreement: slug("a"),
            title: "A".into(),
            signatories,
            witnesses: None,
            proposal: Some(slug("big")),
            provisions: vec![ProvisionTerms {
                provision: slug("x"),
                text: "X".into(),
                obligated,
            }],
        })
    }

    // Post-mortem: name lists were checked pairwise, so a crafted log of 10,000 parties, one
    // proposal to all and every acceptance took 92 s to verify (cubic); it now takes 0.1 s.
    #[test]
    fn long_lists_of_names_are_checked_as_short_ones() {
        let (mut state, parties) = accepted_by_many();
        assert_eq!(state.proposals["big"].status, ProposalStatus::Accepted);
        let mut repeated = parties.clone();
        repeated.push(parties[7].clone());
        let refused = apply(&mut state, 200, &signed_by(repeated, parties.clone())).unwrap_err();
        assert_eq!(refused.rule, Rule::AgreementParties);
        assert_eq!(refused.detail, "p7 is named twice among the signatories");
        let refused = apply(
            &mut state,
            200,
            &signed_by(parties[1..].to_vec(), parties.clone()),
        )
        .unwrap_err();
        assert_eq!(refused.rule, Rule::AgreementParties);
        assert_eq!(
            refused.detail,
            "provision x obligates p0, who is not a signatory"
        );
        apply(&mut state, 200, &signed_by(parties.clone(), parties)).unwrap();
        assert_eq!(state.agreements["a"].status, AgreementStatus::InForce);
    }
}

#[cfg(test)]
mod bounded_count_tests {
    use super::apply;
    use crate::fold::state::State;
    use crate::format::count::Count;
    use crate::format::event::{
        Category, DetentionReported, EventData, PartyJoined, ReleaseMade, Role,
    };
    use crate::format::ids::Slug;
    use crate::format::rules::Rule;

    fn slug(text: &str) -> Slug {
        Slug::parse(text).unwrap()
    }

    fn two_parties() -> State {
        let mut state = State::default();
        for (seq, party) in [(1, "A"), (2, "B")] {
            let joined = EventData::PartyJoined(PartyJoined {
                party: slug(party),
                name: party.into(),
                role: Role::Party,
                members: None,
            });
            apply(&mut state, seq, &joined).unwrap();
        }
        state
    }

    fn detention(count: Count) -> EventData {
        EventData::DetentionReported(DetentionReported {
            holder: slug("A"),
            of: slug("B"),
            category: Category::Civilian,
            count,
        })
    }

    fn release(count: Count) -> EventData {
        EventData::ReleaseMade(ReleaseMade {
            by: slug("A"),
            of: slug("B"),
            category: Category::Civilian,
            count,
            agreement: None,
            provision: None,
        })
    }

    fn civilians(state: &State, table: &str) -> String {
        let table = if table == "custody" {
            &state.custody
        } else {
            &state.released
        };
        serde_json::to_string(&table[&slug("A")][&slug("B")].civilian).unwrap()
    }

    #[test]
    fn more_than_100_held_and_some_released_stay_bounds() {
        let mut state = two_parties();
        apply(
            &mut state,
            3,
            &detention(Count::Bounds {
                at_least: Some(101),
                at_most: None,
            }),
        )
        .unwrap();
        assert_eq!(civilians(&state, "custody"), r#"{"at_least":101}"#);
        apply(&mut state, 4, &release(Count::Exact(3))).unwrap();
        assert_eq!(civilians(&state, "custody"), r#"{"at_least":98}"#);
        assert_eq!(civilians(&state, "released"), "3");
        apply(
            &mut state,
            5,
            &release(Count::Bounds {
                at_least: None,
                at_most: Some(5),
            }),
        )
        .unwrap();
        assert_eq!(civilians(&state, "custody"), r#"{"at_least":93}"#);
        assert_eq!(
            civilians(&state, "released"),
            r#"{"at_least":4,"at_most":8}"#
        );
    }

    #[test]
    fn a_release_needs_its_least_within_what_may_be_held() {
        let mut state = two_parties();
        apply(&mut state, 3, &detention(Count::Exact(3))).unwrap();
        // At most 5 (so at least 1) of 3: possible; what is left lies between 0 and 2.
        apply(
            &mut state,
            4,
            &release(Count::Bounds {
                at_least: None,
                at_most: Some(5),
            }),
        )
        .unwrap();
        assert_eq!(
            civilians(&state, "custody"),
            r#"{"at_least":0,"at_most":2}"#
        );
        let before = state.clone();
        let refused = apply(&mut state, 5, &release(Count::Exact(3))).unwrap_err();
        assert_eq!(refused.rule, Rule::CustodyNegative);
        assert_eq!(
            refused.detail,
            "A releases 3 civilians of B but holds at most 2"
        );
        assert_eq!(state, before);
    }

    #[test]
    fn exact_counts_keep_their_version_1_message() {
        let mut state = two_parties();
        apply(&mut state, 3, &detention(Count::Exact(2))).unwrap();
        let refused = apply(&mut state, 4, &release(Count::Exact(3))).unwrap_err();
        assert_eq!(refused.detail, "A releases 3 civilians of B but holds 2");
    }
}

#[cfg(test)]
mod version_2_data_tests {
    use super::apply;
    use crate::fold::state::State;
    use crate::format::event::{AgreementSigned, EventData, PartyJoined, Role, StatementKind};
    use crate::format::ids::Slug;

    fn slug(text: &str) -> Slug {
        Slug::parse(text).unwrap()
    }

    fn two_parties() -> State {
        let mut state = State::default();
        for (seq, party) in [(1, "A"), (2, "B")] {
            let joined = EventData::PartyJoined(PartyJoined {
                party: slug(party),
                name: party.into(),
                role: Role::Party,
                members: None,
            });
            apply(&mut state, seq, &joined).unwrap();
        }
        state
    }

    #[test]
    fn every_kind_is_named_as_serde_names_it() {
        for kind in StatementKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.name());
        }
    }

    #[test]
    fn remarks_and_threats_change_nothing() {
        for kind in [StatementKind::Remark, StatementKind::Threat] {
            let mut state = two_parties();
            let before = state.clone();
            let built = crate::format::event::StatementMade {
                by: slug("A"),
                speaker: None,
                kind,
                text: "words".into(),
                to: None,
                issue: None,
                agreement: None,
                provision: None,
                against: None,
            };
            apply(&mut state, 3, &EventData::StatementMade(built)).unwrap();
            assert_eq!(state, before, "{kind:?}");
        }
    }

    #[test]
    fn a_signing_whose_text_is_not_known_has_no_provisions() {
        let mut state = two_parties();
        let signed = EventData::AgreementSigned(AgreementSigned {
            agreement: slug("reported"),
            title: "A signing reported without its text".into(),
            signatories: vec![slug("A"), slug("B")],
            witnesses: None,
            proposal: None,
            provisions: Vec::new(),
        });
        apply(&mut state, 3, &signed).unwrap();
        assert!(state.agreements[&slug("reported")].provisions.is_empty());
    }
}
