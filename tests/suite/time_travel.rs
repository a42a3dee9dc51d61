//! Properties of queries over time: snapshots, bitemporal reads, diff and history, on
//! generated logs that include backfilled events.

use crate::common;

use accord::fold;
use accord::fold::state::StateDocument;
use accord::format::event::{Draft, Event, EventData};
use accord::format::time::Timestamp;
use accord::stores::file::FileStore;
use accord::stores::query::{self, Query};
use accord::views::diff;
use accord::views::history::{EntityRef, history_each};
use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::Value;

use common::{Generator, Step, step_strategy};

/// A log built by appending generated drafts in a shuffled order (a draft the log cannot
/// take yet waits), one append per second of record time, with snapshots taken after some
/// appends.
fn build_log(
    directory: &std::path::Path,
    steps: &[Step],
    seed: u64,
    snapshot_every: u64,
) -> FileStore {
    let mut generator = Generator::new(1, true);
    generator.run(steps);
    let mut pending: Vec<Draft> = generator.drafts;
    let mut random = seed | 1;
    let mut next = move || {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        random
    };
    // Mostly world order, with some drafts moved later: backfills.
    for index in 0..pending.len() {
        if next() % 4 == 0 {
            let later = index + (next() as usize % (pending.len() - index));
            pending.swap(index, later);
        }
    }
    let store = FileStore::new(directory.join("log.jsonl"));
    let clock = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut appends = 0;
    let mut progress = true;
    while progress && !pending.is_empty() {
        progress = false;
        let mut waiting = Vec::new();
        for draft in pending {
            let now = clock + Duration::seconds(appends);
            if store.append(&[(1, draft.clone())], None, now).is_ok() {
                appends += 1;
                progress = true;
                if next() % snapshot_every == 0 {
                    accord::stores::file::queries::snapshot(&store).unwrap();
                }
            } else {
                waiting.push(draft);
            }
        }
        pending = waiting;
    }
    store
}

fn events_of(store: &FileStore) -> Vec<Event> {
    if !store.path().exists() {
        return Vec::new();
    }
    store.verify().unwrap().0.events
}

fn query_strategy() -> impl Strategy<
    Value = (
        Option<prop::sample::Index>,
        Option<prop::sample::Index>,
        Option<prop::sample::Index>,
    ),
> {
    (
        any::<Option<prop::sample::Index>>(),
        any::<Option<prop::sample::Index>>(),
        any::<Option<prop::sample::Index>>(),
    )
}

/// A query from indexes into the log's lines: a prefix length, a recorded time, an occurred time.
fn make_query(
    events: &[Event],
    (at, known_at, as_of): (
        Option<prop::sample::Index>,
        Option<prop::sample::Index>,
        Option<prop::sample::Index>,
    ),
) -> Query {
    let pick = |index: &prop::sample::Index| &events[index.index(events.len())];
    Query {
        at: at.map(|index| index.index(events.len() + 1) as u64),
        known_at: known_at.map(|index| pick(&index).recorded.clone()),
        as_of: as_of.map(|index| pick(&index).occurred.as_point().expect("a point").clone()),
        without_snapshots: false,
    }
}

fn document(answer: &query::Answer) -> String {
    StateDocument::new(&answer.folded, answer.seq, answer.head).to_json()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn snapshot_plus_the_rest_equals_the_full_fold(
        steps in prop::collection::vec(step_strategy(), 1..80),
        seed in any::<u64>(),
        queries in prop::collection::vec(query_strategy(), 1..8),
    ) {
        let directory = tempfile::tempdir().unwrap();
        let store = build_log(directory.path(), &steps, seed, 3);
        let events = events_of(&store);
        prop_assume!(!events.is_empty());
        for choice in queries {
            let query = make_query(&events, choice);
            let with = accord::stores::file::queries::answer(&store, &query).unwrap();
            let without = accord::stores::file::queries::answer(&store, &Query { without_snapshots: true, ..query.clone() }).unwrap();
            prop_assert!(with.warnings.is_empty(), "{:?}", with.warnings);
            prop_assert_eq!(document(&with), document(&without), "{:?} from snapshot {:?}", query, with.snapshot);
        }
    }

    #[test]
    fn known_at_and_as_of_fold_exactly_the_events_recorded_and_occurred_by_then(
        steps in prop::collection::vec(step_strategy(), 1..80),
        seed in any::<u64>(),
        queries in prop::collection::vec(query_strategy(), 1..8),
    ) {
        let directory = tempfile::tempdir().unwrap();
        let store = build_log(directory.path(), &steps, seed, 4);
        let events = events_of(&store);
        prop_assume!(!events.is_empty());
        for choice in queries {
            let query = make_query(&events, (None, choice.1, choice.2));
            let answer = accord::stores::file::queries::answer(&store, &query).unwrap();
            let chosen: Vec<Event> = events
                .iter()
                .filter(|event| query.known_at.as_ref().is_none_or(|known_at| event.recorded <= *known_at))
                .filter(|event| query.as_of.as_ref().is_none_or(|as_of| event.occurred.start() <= as_of.instant()))
                .cloned()
                .collect();
            let fresh = fold::fold(&chosen, None).unwrap();
            prop_assert_eq!(&answer.folded, &fresh);
        }
    }

    #[test]
    fn a_diff_applied_to_the_state_at_a_gives_the_state_at_b(
        steps in prop::collection::vec(step_strategy(), 1..80),
        seed in any::<u64>(),
        a in query_strategy(),
        b in query_strategy(),
    ) {
        let directory = tempfile::tempdir().unwrap();
        let store = build_log(directory.path(), &steps, seed, 5);
        let events = events_of(&store);
        prop_assume!(!events.is_empty());
        let state_a = accord::stores::file::queries::answer(&store, &make_query(&events, a)).unwrap().folded.state;
        let state_b = accord::stores::file::queries::answer(&store, &make_query(&events, b)).unwrap().folded.state;
        let changes = diff::diff(&state_a, &state_b);
        prop_assert_eq!(diff::apply(&state_a, &changes).unwrap(), state_b);
    }

    #[test]
    fn history_lists_exactly_the_events_whose_data_names_the_entity(
        steps in prop::collection::vec(step_strategy(), 1..80),
        seed in any::<u64>(),
    ) {
        let directory = tempfile::tempdir().unwrap();
        let store = build_log(directory.path(), &steps, seed, 1_000_000);
        prop_assume!(store.path().exists());
        let bytes = store.read_bytes().unwrap();
        let (log, folded) = accord::fold::verify_log(&bytes).unwrap();
        let order = fold::application_order(&log.events);
        for entity in entities(&folded.state) {
            let mut listed: Vec<u64> = Vec::new();
            history_each(&log.events, &entity, |entry| {
                listed.push(entry.event.seq);
                true
            })
            .unwrap();
            let expected: Vec<u64> = order
                .iter()
                .map(|index| &log.events[*index])
                .filter(|event| names(&event.data, &entity))
                .map(|event| event.seq)
                .collect();
            prop_assert_eq!(listed, expected, "{}", entity);
        }
    }
}

fn entities(state: &accord::fold::state::State) -> Vec<EntityRef> {
    let mut all = Vec::new();
    all.extend(state.parties.keys().cloned().map(EntityRef::Party));
    all.extend(state.issues.keys().cloned().map(EntityRef::Issue));
    all.extend(state.proposals.keys().cloned().map(EntityRef::Proposal));
    for (id, agreement) in &state.agreements {
        all.push(EntityRef::Agreement(id.clone()));
        all.extend(
            agreement
                .provisions
                .keys()
                .map(|provision| EntityRef::Provision(id.clone(), provision.clone())),
        );
    }
    all
}

/// An oracle written apart from `EntityRef::is_named_by`: whether the event's data, as JSON,
/// holds the entity's id under a field that refers to that kind of entity.
fn names(data: &EventData, entity: &EntityRef) -> bool {
    let json = serde_json::to_value(data).unwrap();
    fn holds(value: Option<&Value>, id: &str) -> bool {
        match value {
            Some(Value::String(text)) => text == id,
            Some(Value::Array(items)) => items.iter().any(|item| item.as_str() == Some(id)),
            _ => false,
        }
    }
    fn anywhere(json: &Value, keys: &[&str], id: &str) -> bool {
        match json {
            Value::Object(object) => object.iter().any(|(key, value)| {
                (keys.contains(&key.as_str()) && holds(Some(value), id))
                    || anywhere(value, keys, id)
            }),
            Value::Array(items) => items.iter().any(|item| anywhere(item, keys, id)),
            _ => false,
        }
    }
    const PARTY_FIELDS: [&str; 10] = [
        "party",
        "by",
        "to",
        "members",
        "signatories",
        "witnesses",
        "obligated",
        "holder",
        "of",
        "against",
    ];
    match entity {
        EntityRef::Party(id) => anywhere(&json, &PARTY_FIELDS, id.as_str()),
        EntityRef::Issue(id) => anywhere(&json, &["issue"], id.as_str()),
        EntityRef::Proposal(id) => {
            anywhere(&json, &["proposal", "supersedes", "counters"], id.as_str())
        }
        EntityRef::Agreement(id) => holds(json.get("agreement"), id.as_str()),
        EntityRef::Provision(agreement, provision) => {
            holds(json.get("agreement"), agreement.as_str())
                && (holds(json.get("provision"), provision.as_str())
                    || anywhere(
                        json.get("provisions").unwrap_or(&Value::Null),
                        &["provision"],
                        provision.as_str(),
                    ))
        }
    }
}

#[test]
fn a_snapshot_that_does_not_match_the_log_is_not_used_and_the_user_is_told() {
    let directory = tempfile::tempdir().unwrap();
    let steps: Vec<Step> = (0..60u32)
        .map(|index| ((index % 13) as u8, index * 7, index * 3, index, 1))
        .collect();
    let store = build_log(directory.path(), &steps, 7, 1_000_000);
    accord::stores::file::queries::snapshot(&store)
        .unwrap()
        .unwrap();
    let honest = accord::stores::file::queries::answer(&store, &Query::default()).unwrap();
    assert!(honest.snapshot.is_some());
    // Rewrite the log with one line changed (and the chain re-sealed after it): the
    // snapshot's head no longer matches its line.
    let bytes = store.read_bytes().unwrap();
    let (log, _) = accord::fold::verify_log(&bytes).unwrap();
    let drafts: Vec<(usize, Draft)> = log
        .events
        .iter()
        .enumerate()
        .map(|(index, event)| {
            let mut draft = Draft {
                id: Some(event.id),
                occurred: event.occurred.clone(),
                data: event.data.clone(),
                sources: Some(event.sources().into_owned()).filter(|sources| !sources.is_empty()),
                origin: None,
            };
            if index == 0 {
                draft.sources = Some(vec![accord::format::provenance::Source::citing("changed")]);
            }
            (index + 1, draft)
        })
        .collect();
    std::fs::remove_file(store.path()).unwrap();
    store.append(&drafts, None, Utc::now()).unwrap();
    let answer = accord::stores::file::queries::answer(&store, &Query::default()).unwrap();
    assert_eq!(answer.snapshot, None);
    assert_eq!(answer.warnings.len(), 1);
    assert!(
        answer.warnings[0].contains("does not match"),
        "{:?}",
        answer.warnings
    );
}

fn issue_draft(number: u32, occurred: &str) -> (usize, Draft) {
    let data = EventData::IssueRaised(accord::format::event::IssueRaised {
        issue: accord::format::ids::Slug::parse(&format!("i{number}")).unwrap(),
        title: format!("Issue {number}"),
    });
    (
        1,
        Draft {
            id: None,
            occurred: accord::format::world_time::WorldTime::parse(occurred).unwrap(),
            data,
            sources: None,
            origin: None,
        },
    )
}

#[test]
fn a_snapshot_serves_later_events_and_steps_aside_for_a_backfill() {
    let directory = tempfile::tempdir().unwrap();
    let store = FileStore::new(directory.path().join("log.jsonl"));
    for day in 1..=9 {
        store
            .append(
                &[issue_draft(day, &format!("2020-01-0{day}T00:00:00Z"))],
                None,
                Utc::now(),
            )
            .unwrap();
    }
    accord::stores::file::queries::snapshot(&store)
        .unwrap()
        .unwrap();
    store
        .append(&[issue_draft(10, "2020-01-10T00:00:00Z")], None, Utc::now())
        .unwrap();

    let answer = accord::stores::file::queries::answer(&store, &Query::default()).unwrap();
    assert_eq!(
        (answer.snapshot, answer.lines_read, answer.events_folded),
        (Some(9), 1, 1)
    );
    // A query before the snapshot's latest event cannot use it.
    let early = Query {
        as_of: Some(Timestamp::parse("2020-01-05T00:00:00Z").unwrap()),
        ..Query::default()
    };
    assert_eq!(
        accord::stores::file::queries::answer(&store, &early)
            .unwrap()
            .snapshot,
        None
    );
    // A backfill into the snapshot's past: the snapshot steps aside, the answer is the same.
    store
        .append(&[issue_draft(11, "2020-01-04T12:00:00Z")], None, Utc::now())
        .unwrap();
    let answer = accord::stores::file::queries::answer(&store, &Query::default()).unwrap();
    let without = accord::stores::file::queries::answer(
        &store,
        &Query {
            without_snapshots: true,
            ..Query::default()
        },
    )
    .unwrap();
    assert_eq!(answer.snapshot, None);
    assert_eq!(document(&answer), document(&without));
    // A query that stops before the backfill can still use it.
    let before_backfill = Query {
        at: Some(10),
        ..Query::default()
    };
    assert_eq!(
        accord::stores::file::queries::answer(&store, &before_backfill)
            .unwrap()
            .snapshot,
        Some(9)
    );
}
