//! Dataset records imported as events, against real records: PLOVER's gold-standard file
//! (`tests/fixtures/import/plover/`, with its source and licence).

use std::collections::BTreeSet;
use std::fs;

use accord::format::event::{Event, EventData};
use accord::import::{ImportPlan, plover};
use accord::stores::file::FileStore;
use chrono::{TimeZone, Utc};

fn gold_standard() -> Vec<u8> {
    fs::read(crate::binary::root().join("tests/fixtures/import/plover/PLOVER_GSR_CAMEO.json"))
        .unwrap()
}

fn plan_of(
    records: &[plover::Record],
    parties: &mut BTreeSet<accord::format::ids::Slug>,
) -> ImportPlan {
    plan_filtered(records, &accord::import::Filters::default(), parties)
}

fn plan_filtered(
    records: &[plover::Record],
    filters: &accord::import::Filters,
    parties: &mut BTreeSet<accord::format::ids::Slug>,
) -> ImportPlan {
    let mut plan = ImportPlan::default();
    for record in records {
        plan.add(
            (plover::DATASET, &record.key, &record.text),
            plover::map(record),
            filters,
            parties,
        );
    }
    plan
}

fn append(store: &FileStore, plan: &ImportPlan) -> accord::stores::file::AppendOutcome {
    let drafts: Vec<_> = plan.drafts.iter().cloned().enumerate().collect();
    let clock = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
    store.append(&drafts, None, clock).unwrap()
}

#[test]
fn the_plover_gold_standard_imports_whole_folds_and_gives_each_record_back() {
    let records = plover::records(&gold_standard()).unwrap();
    assert_eq!(records.len(), 323);
    let plan = plan_of(&records, &mut BTreeSet::new());
    // Every record is imported or counted as skipped, with its reason.
    let skipped: u64 = plan.skipped.values().sum();
    assert_eq!(plan.imported + skipped, 323, "{:?}", plan.skipped);
    assert!(
        plan.imported >= 150,
        "{} imported, {:?}",
        plan.imported,
        plan.skipped
    );
    assert_eq!(
        plan.skipped.get("documentation record, not an event"),
        Some(&1)
    );

    // All or none, under every rule.
    let directory = tempfile::tempdir().unwrap();
    let store = FileStore::new(directory.path().join("plover.jsonl"));
    let landed = append(&store, &plan);
    assert_eq!(landed.events as usize, plan.drafts.len());
    let bytes = fs::read(store.path()).unwrap();
    let (log, folded) = accord::fold::verify_log(&bytes).unwrap();
    let meetings = folded.state.meetings.len();
    assert!(meetings >= 5, "{meetings} meetings");
    // States by their ISO codes, as the curated logs name them.
    // Another actor of a state is its code and sector, never the state: the Azerbaijani
    // opposition of the file is not Azerbaijan.
    assert!(
        folded
            .state
            .parties
            .keys()
            .any(|party| party.as_str() == "AZE.OPP")
    );
    for state in ["HUN", "ROU", "LBY", "GBR"] {
        assert!(
            folded
                .state
                .parties
                .keys()
                .any(|party| party.as_str() == state),
            "{state}"
        );
    }

    // Each imported line gives its record back.
    let by_key: std::collections::HashMap<&str, &plover::Record> = records
        .iter()
        .map(|record| (record.key.as_str(), record))
        .collect();
    let imported: Vec<&Event> = log
        .events
        .iter()
        .filter(|event| event.origin.is_some())
        .collect();
    assert_eq!(imported.len() as u64, plan.imported);
    for event in &imported {
        let origin = event.origin.as_ref().unwrap();
        assert_eq!(origin.dataset, "plover");
        let record = by_key[origin.id.as_str()];
        let kept: serde_json::Value =
            serde_json::from_str(origin.fields.as_ref().unwrap().as_str()).unwrap();
        let given: serde_json::Value = serde_json::from_str(&record.text).unwrap();
        assert_eq!(kept, given, "{}", origin.id);
        assert!(!matches!(event.data, EventData::PartyJoined(_)));
    }

    // Importing the file again appends nothing: the same ids, and the parties exist.
    let mut parties = folded.state.parties.keys().cloned().collect();
    let again = plan_of(&plover::records(&gold_standard()).unwrap(), &mut parties);
    assert!(again.drafts.iter().all(|draft| draft.origin.is_some()));
    let before = fs::read(store.path()).unwrap();
    let outcome = append(&store, &again);
    assert_eq!(outcome.events, landed.events);
    assert_eq!(fs::read(store.path()).unwrap(), before);
}

// What the 323 records become, pinned: a change of the mapping shows here first.
#[test]
fn what_the_gold_standard_becomes_is_counted_by_class() {
    let records = plover::records(&gold_standard()).unwrap();
    let plan = plan_of(&records, &mut BTreeSet::new());
    let mut types = std::collections::BTreeMap::new();
    for draft in &plan.drafts {
        *types.entry(draft.data.type_name()).or_insert(0) += 1;
    }
    let expected: std::collections::BTreeMap<&str, i32> = [
        ("meeting.held", 11),
        ("party.joined", 174),
        ("statement.made", 165),
    ]
    .into();
    assert_eq!(types, expected);
    let skipped: std::collections::BTreeMap<&str, u64> = [
        ("RETREAT other than a release of persons", 14),
        ("documentation record, not an event", 1),
        ("event class outside negotiation (see docs/import.md)", 132),
    ]
    .into();
    assert_eq!(plan.skipped, skipped);
    assert_eq!(plan.imported, 176);
}

#[test]
fn accord_import_joins_a_curated_log_all_at_once_and_twice_appends_nothing() {
    use crate::binary::{accord, path_text, stderr, stdout};
    let directory = tempfile::tempdir().unwrap();
    let log = directory.path().join("karabakh.jsonl");
    fs::copy(crate::binary::shipped_karabakh(), &log).unwrap();
    let records = crate::binary::root().join("tests/fixtures/import/plover/PLOVER_GSR_CAMEO.json");
    let import = |extra: &[&str]| {
        let mut arguments = vec![
            "import",
            "plover",
            path_text(&records),
            "--into",
            path_text(&log),
        ];
        arguments.extend_from_slice(extra);
        accord(&arguments)
    };
    // A dry run appends nothing, and a log that does not exist is not created.
    let before = fs::read(&log).unwrap();
    let dry = import(&["--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("would append 345 drafts"),
        "{}",
        stdout(&dry)
    );
    assert_eq!(fs::read(&log).unwrap(), before);
    let absent = directory.path().join("absent.jsonl");
    let dry_absent = accord(&[
        "import",
        "plover",
        path_text(&records),
        "--into",
        path_text(&absent),
        "--dry-run",
    ]);
    assert!(dry_absent.status.success(), "{}", stderr(&dry_absent));
    assert!(!absent.exists());

    // Armenia, Azerbaijan and Russia are the log's own parties: they do not join again.
    let landed = import(&["--json"]);
    assert!(landed.status.success(), "{}", stderr(&landed));
    let outcome: serde_json::Value = serde_json::from_str(stdout(&landed).trim()).unwrap();
    assert_eq!(outcome["appended"], 345);
    assert_eq!(outcome["imported"], 176);
    let verified = accord(&["verify", path_text(&log)]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    let after = fs::read(&log).unwrap();
    let again = import(&["--json"]);
    let outcome: serde_json::Value = serde_json::from_str(stdout(&again).trim()).unwrap();
    assert_eq!(outcome["appended"], 0);
    assert_eq!(
        fs::read(&log).unwrap(),
        after,
        "a second import appends nothing"
    );

    // A file that is not PLOVER records is refused, and nothing is written.
    let wrong = directory.path().join("wrong.json");
    fs::write(&wrong, "[{\"no\": \"id\"}]").unwrap();
    let refused = accord(&[
        "import",
        "plover",
        path_text(&wrong),
        "--into",
        path_text(&log),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("record 1"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(fs::read(&log).unwrap(), after);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

    /// Any bytes are records or a refusal, never a panic; any record maps to an event or a
    /// reason, and a plan of them never panics.
    #[test]
    fn any_input_is_records_or_a_refusal_never_a_panic(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        event in "[A-Z]{0,10}|CONSULT|AGREE|ACCUSE|RETREAT",
        code in "[A-Za-z]{0,4}",
        sector in "[A-Za-z*]{0,6}",
        name in "\\PC{0,80}",
        date in "[0-9-~?/]{0,12}|2021-05-06",
    ) {
        let _ = plover::records(&bytes);
        let record = serde_json::json!({
            "id": name.clone(),
            "date": date,
            "source": [{"actorText": name.clone(), "code": code.clone(), "sector": sector.clone()}],
            "target": [{"actorText": format!("{name} 2"), "code": code, "sector": "GOV"}],
            "event": event,
            "mode": "release",
            "text": name,
        });
        let text = serde_json::to_string(&vec![record]).unwrap();
        if let Ok(records) = plover::records(text.as_bytes()) {
            let plan = plan_of(&records, &mut BTreeSet::new());
            proptest::prop_assert_eq!(plan.imported + plan.skipped.values().sum::<u64>(), 1);
            // What is imported holds every rule of an append.
            if !plan.drafts.is_empty() {
                let directory = tempfile::tempdir().unwrap();
                let store = FileStore::new(directory.path().join("log.jsonl"));
                append(&store, &plan);
            }
        }
    }
}

#[test]
fn filters_keep_records_of_the_named_actors_and_times_and_count_the_rest() {
    let records = plover::records(&gold_standard()).unwrap();
    let filters = accord::front::import::filters(Some("ARM,AZE,RUS"), None, None).unwrap();
    let plan = plan_filtered(&records, &filters, &mut BTreeSet::new());
    let left_out = plan.skipped["names none of --actors"];
    assert!(plan.imported > 0 && left_out > 100, "{plan:?}");
    assert_eq!(plan.imported + plan.skipped.values().sum::<u64>(), 323);
    let named = ["ARM", "AZE", "RUS"];
    for draft in plan.drafts.iter().filter(|draft| draft.origin.is_some()) {
        let text = serde_json::to_string(&draft.data).unwrap();
        assert!(
            named
                .iter()
                .any(|party| text.contains(&format!("\"{party}\""))),
            "{text}"
        );
    }
    // Times: a day before every record, and after.
    for (from, to, reason) in [
        (None, Some("1999-12"), "after --to"),
        (Some("2000-01-02"), None, "before --from"),
    ] {
        let filters = accord::front::import::filters(None, from, to).unwrap();
        let plan = plan_filtered(&records, &filters, &mut BTreeSet::new());
        assert_eq!(plan.imported, 0, "{reason}");
        assert_eq!(plan.skipped[reason], 176, "{reason}");
    }
    assert!(accord::front::import::filters(Some("not an id!"), None, None).is_err());
    assert!(accord::front::import::filters(None, Some("May 2021"), None).is_err());
}
