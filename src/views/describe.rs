//! Events and entities in words, for people reading a terminal.

use crate::format::event::{EventData, StatementKind};
use crate::format::ids::Slug;

fn list(names: &[Slug]) -> String {
    match names {
        [] => "nobody".to_string(),
        [only] => only.to_string(),
        [init @ .., last] => {
            let head: Vec<&str> = init.iter().map(Slug::as_str).collect();
            format!("{} and {last}", head.join(", "))
        }
    }
}

/// Text in typographic quotes, whole: the history view wraps it for the terminal.
pub fn quote(text: &str) -> String {
    format!("\u{201c}{text}\u{201d}")
}

fn statement_verb(kind: StatementKind) -> &'static str {
    match kind {
        StatementKind::Position => "states its position",
        StatementKind::Commitment => "commits",
        StatementKind::Demand => "demands",
        StatementKind::Appeal => "appeals",
        StatementKind::Accusation => "accuses",
        StatementKind::Denial => "denies",
        StatementKind::Claim => "claims",
        StatementKind::Remark => "remarks",
        StatementKind::Threat => "threatens",
    }
}

/// One sentence saying what an event records.
pub fn describe(data: &EventData) -> String {
    match data {
        EventData::PartyJoined(joined) => party_joined(joined),
        EventData::IssueRaised(raised) => {
            format!("issue {} raised: {}", raised.issue, raised.title)
        }
        EventData::ProposalMade(made) => proposal_made(made),
        EventData::ProposalAccepted(act) => format!("{} accepts proposal {}", act.by, act.proposal),
        EventData::ProposalRejected(rejected) => match &rejected.reason {
            Some(reason) => format!(
                "{} rejects proposal {}: {}",
                rejected.by,
                rejected.proposal,
                quote(reason)
            ),
            None => format!("{} rejects proposal {}", rejected.by, rejected.proposal),
        },
        EventData::ProposalWithdrawn(act) => {
            format!("{} withdraws proposal {}", act.by, act.proposal)
        }
        EventData::StatementMade(statement) => statement_made(statement),
        EventData::AgreementSigned(signed) => agreement_signed(signed),
        EventData::ProvisionUpdated(updated) => {
            let status = serde_json::to_value(updated.status).expect("a status serialises");
            let note = updated
                .note
                .as_ref()
                .map(|note| format!(": {}", quote(note)))
                .unwrap_or_default();
            format!(
                "provision {}/{} is now {}{note}",
                updated.agreement,
                updated.provision,
                status.as_str().unwrap_or_default()
            )
        }
        EventData::AgreementTerminated(terminated) => {
            let by = terminated
                .by
                .as_ref()
                .map(|by| format!(" by {by}"))
                .unwrap_or_default();
            format!(
                "agreement {} terminated{by}: {}",
                terminated.agreement,
                quote(&terminated.reason)
            )
        }
        EventData::DetentionReported(reported) => format!(
            "{} holds {} of {}",
            reported.holder,
            reported.category.persons_of(&reported.count),
            reported.of
        ),
        EventData::ReleaseMade(release) => {
            let under = match (&release.agreement, &release.provision) {
                (Some(agreement), Some(provision)) => format!(" under {agreement}/{provision}"),
                (Some(agreement), None) => format!(" under {agreement}"),
                _ => String::new(),
            };
            format!(
                "{} releases {} of {}{under}",
                release.by,
                release.category.persons_of(&release.count),
                release.of
            )
        }
        EventData::MeetingHeld(meeting) => meeting_held(meeting),
        EventData::EventRetracted(retracted) => format!(
            "line {} retracted: {}",
            retracted.target,
            quote(&retracted.reason)
        ),
        EventData::EventCorrected(corrected) => format!(
            "line {} corrected: {}; it now says, at {}: {}",
            corrected.target,
            quote(&corrected.reason),
            corrected.replacement.occurred.for_people(),
            describe(&corrected.replacement.data)
        ),
    }
}

/// Who met, where, hosted and mediated by whom, on what.
fn meeting_held(meeting: &crate::format::event::MeetingHeld) -> String {
    let mut text = format!("{} meet", list(&meeting.parties));
    if let Some(title) = &meeting.title {
        text.push_str(&format!(" ({title})"));
    }
    text.push_str(&format!(" as meeting {}", meeting.meeting));
    if let Some(place) = &meeting.place {
        text.push_str(&format!(" in {place}"));
    }
    if let Some(host) = &meeting.hosted_by {
        text.push_str(&format!(", hosted by {host}"));
    }
    match meeting.mediators.as_deref() {
        Some(mediators) if !mediators.is_empty() => {
            text.push_str(&format!(", mediated by {}", list(mediators)));
        }
        _ => {}
    }
    match meeting.issues.as_deref() {
        Some(issues) if !issues.is_empty() => {
            text.push_str(&format!(", on {}", list(issues)));
        }
        _ => {}
    }
    text
}

/// Who joins, in what role, with which members.
fn party_joined(joined: &crate::format::event::PartyJoined) -> String {
    let role = match joined.role {
        crate::format::event::Role::Party => "a party",
        crate::format::event::Role::Mediator => "a mediator",
        crate::format::event::Role::Observer => "an observer",
    };
    let members = match joined.members.as_deref() {
        Some(members) if !members.is_empty() => format!(" (members {})", list(members)),
        _ => String::new(),
    };
    format!(
        "{} ({}) joins as {role}{members}",
        joined.party, joined.name
    )
}

/// Who proposes what to whom, and on which issues.
fn proposal_made(made: &crate::format::event::ProposalMade) -> String {
    let relation = match (&made.supersedes, &made.counters) {
        (Some(old), _) => format!(", superseding {old}"),
        (_, Some(old)) => format!(", countering {old}"),
        _ => String::new(),
    };
    let issues: Vec<&str> = made.terms.iter().map(|term| term.issue.as_str()).collect();
    format!(
        "{} proposes {} to {}{relation} (terms on {})",
        made.by,
        made.proposal,
        list(&made.to),
        issues.join(", ")
    )
}

/// Who said what, of whom, to whom, about what.
fn statement_made(statement: &crate::format::event::StatementMade) -> String {
    let speaker = statement
        .speaker
        .as_ref()
        .map(|speaker| format!(" ({speaker})"))
        .unwrap_or_default();
    let against = match statement.against.as_deref() {
        Some(against) if !against.is_empty() => format!(" {}", list(against)),
        _ => String::new(),
    };
    let to = match statement.to.as_deref() {
        Some(to) if !to.is_empty() => format!(", to {}", list(to)),
        _ => String::new(),
    };
    let mut about = Vec::new();
    if let Some(issue) = &statement.issue {
        about.push(format!("issue {issue}"));
    }
    match (&statement.agreement, &statement.provision) {
        (Some(agreement), Some(provision)) => {
            about.push(format!("provision {agreement}/{provision}"))
        }
        (Some(agreement), None) => about.push(format!("agreement {agreement}")),
        _ => {}
    }
    let about = if about.is_empty() {
        String::new()
    } else {
        format!(" [{}]", about.join("; "))
    };
    format!(
        "{}{speaker} {}{against}{to}{about}: {}",
        statement.by,
        statement_verb(statement.kind),
        quote(&statement.text)
    )
}

/// Who signed what, with how many provisions, before whom.
fn agreement_signed(signed: &crate::format::event::AgreementSigned) -> String {
    let witnesses = match signed.witnesses.as_deref() {
        Some(witnesses) if !witnesses.is_empty() => {
            format!(", witnessed by {}", list(witnesses))
        }
        _ => String::new(),
    };
    let provisions = match signed.provisions.len() {
        // A signing reported without its text (version 2).
        0 => "its provisions not known".to_string(),
        1 => "1 provision".to_string(),
        count => format!("{count} provisions"),
    };
    format!(
        "{} sign {} ({}), {provisions}{witnesses}",
        list(&signed.signatories),
        signed.agreement,
        signed.title,
    )
}

/// A line as programs read it (`history --json`, Python's events): every field of its
/// envelope as written, absent ones `null`; a version-1 line keeps its `source`, a
/// version-2 one has `sources` and `origin`.
pub fn event_json(event: &crate::format::event::Event) -> serde_json::Value {
    serde_json::json!({
        "v": event.version.number(),
        "seq": event.seq,
        "id": event.id,
        "occurred": event.occurred,
        "recorded": event.recorded,
        "type": event.data.type_name(),
        "data": event.data,
        "source": event.source,
        "sources": event.sources,
        "origin": event.origin,
        "prev": event.prev,
    })
}

/// What a line cites, in one cell: each source's citation, `; ` between them (a version-1
/// `source` as written).
pub fn citations(event: &crate::format::event::Event) -> String {
    let sources = event.sources();
    let cites: Vec<&str> = sources.iter().map(|source| source.cite.as_str()).collect();
    cites.join("; ")
}
