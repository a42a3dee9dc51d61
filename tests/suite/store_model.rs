//! Model-based test of the file store: random sequences of appends (valid batches, invalid
//! batches, resent batches, batches without ids, optimistic-concurrency checks) run against
//! the store and against a reference model, a plain list of accepted drafts folded by the
//! generator. After every operation the file must verify and hold exactly the model's events.

use crate::common;

use accord::format::event::{Draft, EventData, StatementKind, StatementMade};
use accord::format::ids::Slug;
use accord::stores::file::{DraftOutcome, FileStore, StoreError};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use common::{Generator, Step, step_strategy};

#[derive(Clone, Debug)]
enum Operation {
    Append(Vec<Step>),
    AppendWithoutIds(Vec<Step>),
    AppendWithExpectSeq { steps: Vec<Step>, right: bool },
    AppendInvalidAfterValid(Vec<Step>),
    Resend(prop::sample::Index),
}

fn operation() -> impl Strategy<Value = Operation> {
    let steps = || prop::collection::vec(step_strategy(), 1..12);
    prop_oneof![
        4 => steps().prop_map(Operation::Append),
        1 => steps().prop_map(Operation::AppendWithoutIds),
        1 => (steps(), any::<bool>()).prop_map(|(steps, right)| Operation::AppendWithExpectSeq { steps, right }),
        1 => steps().prop_map(Operation::AppendInvalidAfterValid),
        1 => any::<prop::sample::Index>().prop_map(Operation::Resend),
    ]
}

/// A statement by a party that never joined: always refused with `ref.unknown`.
fn unknown_party_statement(occurred: &accord::format::world_time::WorldTime) -> Draft {
    Draft {
        id: None,
        occurred: occurred.clone(),
        data: EventData::StatementMade(StatementMade {
            by: Slug::parse("NOBODY").unwrap(),
            speaker: None,
            kind: StatementKind::Claim,
            text: "never joined".into(),
            to: None,
            issue: None,
            agreement: None,
            provision: None,
            against: None,
        }),
        sources: None,
        origin: None,
    }
}

fn numbered(drafts: &[Draft]) -> Vec<(usize, Draft)> {
    drafts
        .iter()
        .cloned()
        .enumerate()
        .map(|(index, draft)| (index + 1, draft))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_store_agrees_with_the_model(operations in prop::collection::vec(operation(), 1..25)) {
        let directory = tempfile::tempdir().unwrap();
        let store = FileStore::new(directory.path().join("log.jsonl"));
        let clock = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut model = Generator::new(1, true);
        let mut batches: Vec<Vec<Draft>> = Vec::new();

        for operation in operations {
            let before_bytes = store.read_bytes().unwrap_or_default();
            let saved = model.clone();
            let start = model.drafts.len();
            match operation {
                Operation::Append(steps) => {
                    model.run(&steps);
                    let batch = model.drafts[start..].to_vec();
                    let outcome = store.append(&numbered(&batch), None, clock);
                    prop_assert!(outcome.is_ok(), "{:?}", outcome);
                    batches.push(batch);
                }
                Operation::AppendWithoutIds(steps) => {
                    model.run(&steps);
                    let mut batch = model.drafts[start..].to_vec();
                    batch.iter_mut().for_each(|draft| draft.id = None);
                    let outcome = store.append(&numbered(&batch), None, clock).unwrap();
                    // The store gave them ids: the model learns them.
                    for (draft, result) in model.drafts[start..].iter_mut().zip(&outcome.drafts) {
                        let DraftOutcome::Appended { id, .. } = result else { panic!("fresh drafts are appended") };
                        draft.id = Some(*id);
                    }
                }
                Operation::AppendWithExpectSeq { steps, right } => {
                    model.run(&steps);
                    let batch = model.drafts[start..].to_vec();
                    let expected = if right { start as u64 } else { start as u64 + 1 };
                    let outcome = store.append(&numbered(&batch), Some(expected), clock);
                    if right {
                        prop_assert!(outcome.is_ok(), "{:?}", outcome);
                        batches.push(batch);
                    } else {
                        let refused_for_seq = matches!(outcome, Err(StoreError::ExpectSeq { .. }));
                        prop_assert!(refused_for_seq, "{:?}", outcome);
                        model = saved;
                    }
                }
                Operation::AppendInvalidAfterValid(steps) => {
                    model.run(&steps);
                    let mut batch = model.drafts[start..].to_vec();
                    let occurred = batch.last().map(|draft| draft.occurred.clone())
                        .unwrap_or_else(|| accord::format::world_time::WorldTime::parse("2020-01-01T00:00:00Z").unwrap());
                    batch.push(unknown_party_statement(&occurred));
                    let outcome = store.append(&numbered(&batch), None, clock);
                    let refused = matches!(&outcome, Err(StoreError::Draft { draft, rule, .. })
                        if *draft == batch.len() && rule.name() == "ref.unknown");
                    prop_assert!(refused, "{:?}", outcome);
                    model = saved;
                }
                Operation::Resend(index) => {
                    if batches.is_empty() {
                        continue;
                    }
                    let batch = &batches[index.index(batches.len())];
                    let outcome = store.append(&numbered(batch), None, clock).unwrap();
                    let all_duplicates = outcome.drafts.iter().all(|result| matches!(result, DraftOutcome::Duplicate { .. }));
                    prop_assert!(all_duplicates);
                }
            }

            let bytes = store.read_bytes().unwrap_or_default();
            if model.drafts.len() == start {
                prop_assert_eq!(&bytes, &before_bytes, "nothing may change when nothing is accepted");
            }
            let (log, folded) = accord::fold::verify_log(&bytes).map_err(|error| TestCaseError::fail(error.to_string()))?;
            prop_assert_eq!(log.events.len(), model.drafts.len());
            for (event, draft) in log.events.iter().zip(&model.drafts) {
                prop_assert_eq!(Some(event.id), draft.id);
                prop_assert_eq!(&event.data, &draft.data);
                prop_assert_eq!(event.occurred.as_str(), draft.occurred.as_str());
                prop_assert_eq!(&*event.sources(), draft.sources.as_deref().unwrap_or_default());
            }
            prop_assert_eq!(&folded.state, &model.state);
        }
    }
}
