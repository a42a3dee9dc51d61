//! The reducer called from Rust with event data built in code, not parsed: any value of the
//! types, including those parsing refuses (empty lists, counts of 0 or past the limit, both
//! `supersedes` and `counters`), must be applied or refused, never panic, and a refused
//! event must leave the state exactly as it was.

use accord::format::count::Count;
use std::sync::Arc;

use proptest::prelude::*;

use accord::fold::reducer::apply;
use accord::fold::state::State;
use accord::format::event::{
    AgreementSigned, AgreementTerminated, Category, DetentionReported, EventData, IssueRaised,
    MAX_COUNT, PartyJoined, ProposalAct, ProposalMade, ProposalRejected, ProvisionStatus,
    ProvisionTerms, ProvisionUpdated, ReleaseMade, Role, StatementKind, StatementMade, Term,
};
use accord::format::ids::Slug;
use accord::format::rules::Rule;

/// Few names, so that events often name what earlier ones introduced.
fn slug() -> impl Strategy<Value = Slug> {
    prop::sample::select(vec!["a", "b", "c", "d", "x"]).prop_map(|name| Slug::parse(name).unwrap())
}

fn slugs() -> impl Strategy<Value = Vec<Slug>> {
    prop::collection::vec(slug(), 0..5)
}

fn maybe_slugs() -> impl Strategy<Value = Option<Vec<Slug>>> {
    prop::option::of(slugs())
}

/// Counts at the edges as well as small ones.
fn number() -> impl Strategy<Value = u64> {
    prop_oneof![
        Just(0),
        1u64..6,
        Just(MAX_COUNT),
        Just(MAX_COUNT + 1),
        Just(u64::MAX),
        any::<u64>()
    ]
}

/// Exact counts, and bounds (version 2's) of every kind, in range or not.
fn count() -> impl Strategy<Value = Count> {
    prop_oneof![
        3 => number().prop_map(Count::Exact),
        1 => (prop::option::of(number()), prop::option::of(number()))
            .prop_map(|(at_least, at_most)| Count::Bounds { at_least, at_most }),
    ]
}

fn category() -> impl Strategy<Value = Category> {
    prop::sample::select(vec![
        Category::Combatant,
        Category::Civilian,
        Category::Remains,
    ])
}

fn text() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", "t", "\u{1b}[2J", "\u{202e}evil"]).prop_map(String::from)
}

fn event() -> impl Strategy<Value = EventData> {
    let role = prop::sample::select(vec![Role::Party, Role::Mediator, Role::Observer]);
    let kind = prop::sample::select(StatementKind::ALL.to_vec());
    let status = prop::sample::select(vec![
        ProvisionStatus::Pending,
        ProvisionStatus::InProgress,
        ProvisionStatus::Fulfilled,
        ProvisionStatus::Breached,
    ]);
    let terms = prop::collection::vec(
        (slug(), text()).prop_map(|(issue, text)| Term {
            issue,
            text: Arc::from(text),
        }),
        0..3,
    );
    let provisions = prop::collection::vec(
        (slug(), text(), slugs()).prop_map(|(provision, text, obligated)| ProvisionTerms {
            provision,
            text,
            obligated,
        }),
        0..3,
    );
    prop_oneof![
        (slug(), text(), role, maybe_slugs()).prop_map(|(party, name, role, members)| {
            EventData::PartyJoined(PartyJoined {
                party,
                name,
                role,
                members,
            })
        }),
        (slug(), text())
            .prop_map(|(issue, title)| EventData::IssueRaised(IssueRaised { issue, title })),
        (
            slug(),
            slug(),
            slugs(),
            terms,
            prop::option::of(slug()),
            prop::option::of(slug())
        )
            .prop_map(|(proposal, by, to, terms, supersedes, counters)| {
                EventData::ProposalMade(ProposalMade {
                    proposal,
                    by,
                    to: Arc::from(to),
                    terms: Arc::from(terms),
                    supersedes,
                    counters,
                })
            }),
        (slug(), slug()).prop_map(|(proposal, by)| {
            EventData::ProposalAccepted(ProposalAct { proposal, by })
        }),
        (slug(), slug(), prop::option::of(text())).prop_map(|(proposal, by, reason)| {
            EventData::ProposalRejected(ProposalRejected {
                proposal,
                by,
                reason,
            })
        }),
        (slug(), slug()).prop_map(|(proposal, by)| {
            EventData::ProposalWithdrawn(ProposalAct { proposal, by })
        }),
        (
            slug(),
            kind,
            text(),
            maybe_slugs(),
            prop::option::of(slug()),
            prop::option::of(slug()),
            prop::option::of(slug()),
            maybe_slugs()
        )
            .prop_map(
                |(by, kind, text, to, issue, agreement, provision, against)| {
                    EventData::StatementMade(StatementMade {
                        by,
                        speaker: None,
                        kind,
                        text,
                        to,
                        issue,
                        agreement,
                        provision,
                        against,
                    })
                }
            ),
        (
            slug(),
            text(),
            slugs(),
            maybe_slugs(),
            prop::option::of(slug()),
            provisions
        )
            .prop_map(
                |(agreement, title, signatories, witnesses, proposal, provisions)| {
                    EventData::AgreementSigned(AgreementSigned {
                        agreement,
                        title,
                        signatories,
                        witnesses,
                        proposal,
                        provisions,
                    })
                }
            ),
        (slug(), slug(), status).prop_map(|(agreement, provision, status)| {
            EventData::ProvisionUpdated(ProvisionUpdated {
                agreement,
                provision,
                status,
                note: None,
            })
        }),
        (slug(), prop::option::of(slug()), text()).prop_map(|(agreement, by, reason)| {
            EventData::AgreementTerminated(AgreementTerminated {
                agreement,
                by,
                reason,
            })
        }),
        (slug(), slug(), category(), count()).prop_map(|(holder, of, category, count)| {
            EventData::DetentionReported(DetentionReported {
                holder,
                of,
                category,
                count,
            })
        }),
        (
            slug(),
            slug(),
            category(),
            count(),
            prop::option::of(slug()),
            prop::option::of(slug())
        )
            .prop_map(|(by, of, category, count, agreement, provision)| {
                EventData::ReleaseMade(ReleaseMade {
                    by,
                    of,
                    category,
                    count,
                    agreement,
                    provision,
                })
            }),
    ]
}

/// Parties and issues first, so that the moves after them are often legal.
fn stage() -> Vec<EventData> {
    ["a", "b", "c", "d"]
        .iter()
        .map(|party| {
            EventData::PartyJoined(PartyJoined {
                party: Slug::parse(party).unwrap(),
                name: party.to_string(),
                role: Role::Party,
                members: None,
            })
        })
        .chain(["a", "b"].iter().map(|issue| {
            EventData::IssueRaised(IssueRaised {
                issue: Slug::parse(issue).unwrap(),
                title: issue.to_string(),
            })
        }))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_typed_events_are_applied_or_refused_without_a_panic(
        staged in any::<bool>(),
        events in prop::collection::vec(event(), 1..40),
    ) {
        let mut state = State::default();
        let mut all = if staged { stage() } else { Vec::new() };
        all.extend(events);
        for (index, data) in all.iter().enumerate() {
            let before = state.clone();
            match apply(&mut state, index as u64 + 1, data) {
                Ok(()) => {
                    // Whatever was applied is within the limits the format promises.
                    for counts in state.custody.values().chain(state.released.values()).flat_map(|sides| sides.values()) {
                        for range in [counts.combatant, counts.civilian, counts.remains] {
                            prop_assert!(range.low <= MAX_COUNT && range.high.is_none_or(|high| range.low <= high && high <= MAX_COUNT));
                        }
                    }
                }
                Err(violation) => {
                    prop_assert_eq!(&state, &before, "a refused {} changed the state", data.type_name());
                    if data.check_shape().is_err() {
                        prop_assert_eq!(violation.rule, Rule::EnvelopeShape);
                    }
                }
            }
        }
    }
}

// Post-mortem: a release of 0 persons, built in code, reached `expect("a positive holding
// exists")` and panicked; parsing refused it, `apply` did not check.
#[test]
fn a_release_of_no_one_built_in_code_is_a_violation() {
    let mut state = State::default();
    for data in stage() {
        apply(&mut state, 1, &data).unwrap();
    }
    let release = EventData::ReleaseMade(ReleaseMade {
        by: Slug::parse("a").unwrap(),
        of: Slug::parse("b").unwrap(),
        category: Category::Combatant,
        count: Count::Exact(0),
        agreement: None,
        provision: None,
    });
    let before = state.clone();
    let refused = apply(&mut state, 7, &release).unwrap_err();
    assert_eq!(refused.rule, Rule::EnvelopeShape);
    assert!(refused.detail.contains("`count`"), "{}", refused.detail);
    assert_eq!(state, before);
}
