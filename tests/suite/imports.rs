//! Dataset records imported as events, against real records: PLOVER's gold-standard file
//! (`tests/fixtures/import/plover/`, with its source and licence).

use std::collections::BTreeSet;
use std::fs;

use accord::format::event::{Event, EventData};
use accord::format::time::Timestamp;
use accord::import::{Held, ImportPlan, Planner, plover};
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
    let mut planner = Planner::new(
        plover::DATASET,
        filters,
        parties.clone(),
        Held::new(plover::DATASET),
        now(),
    );
    planner.add_batch(records.iter().map(plover::source_record).collect());
    planner.finish()
}

fn now() -> Timestamp {
    Timestamp::parse("2026-12-07T00:00:00Z").unwrap()
}

/// The plan of importing `inputs` into the log at `path`, through the front door (which
/// reads what the log holds).
fn plan_into(
    path: &std::path::Path,
    dataset: accord::front::import::Dataset,
    inputs: &[(&str, Vec<u8>)],
) -> ImportPlan {
    plan_filtered_into(path, dataset, inputs, &accord::import::Filters::default())
}

fn plan_filtered_into(
    path: &std::path::Path,
    dataset: accord::front::import::Dataset,
    inputs: &[(&str, Vec<u8>)],
    filters: &accord::import::Filters,
) -> ImportPlan {
    let inputs: Vec<accord::front::import::Input> = inputs
        .iter()
        .map(|(name, bytes)| accord::front::import::Input::Bytes {
            name: name.to_string(),
            bytes: bytes.clone(),
        })
        .collect();
    accord::front::import::plan(
        &accord::front::target::Target::File(path.to_path_buf()),
        dataset,
        &inputs,
        filters,
        &now(),
    )
    .unwrap()
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

    // Importing the file again adds nothing: every record is there, unchanged.
    let again = plan_into(
        store.path(),
        accord::front::import::Dataset::Plover,
        &[("gold standard", gold_standard())],
    );
    assert!(again.drafts.is_empty(), "{again:?}");
    assert_eq!(again.unchanged, plan.imported);
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
    // PLOVER codes a signed agreement as SUPPORT: the file's two "signed" records.
    let expected: std::collections::BTreeMap<&str, i32> = [
        ("agreement.signed", 2),
        ("meeting.held", 11),
        ("party.joined", 174),
        ("statement.made", 163),
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
    assert_eq!(outcome["drafts"], 0);
    assert_eq!(outcome["unchanged"], 176);
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

/// A row of a delimited export, as its header line and its texts, in the file's order.
fn rows_of(file: &str, bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let (delimiter, quoting) = if file.ends_with(".tab") {
        (b'\t', false)
    } else {
        (b',', true)
    };
    let table = accord::import::table::read(bytes, delimiter, quoting).unwrap();
    (table.headers, table.rows)
}

/// A JSON object's keys and texts in the order its text gives them.
fn ordered_fields(text: &str) -> Vec<(String, String)> {
    struct Ordered;
    impl<'de> serde::de::Visitor<'de> for Ordered {
        type Value = Vec<(String, String)>;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("an object of texts")
        }
        fn visit_map<M: serde::de::MapAccess<'de>>(
            self,
            mut map: M,
        ) -> Result<Self::Value, M::Error> {
            let mut pairs = Vec::new();
            while let Some(pair) = map.next_entry::<String, String>()? {
                pairs.push(pair);
            }
            Ok(pairs)
        }
    }
    serde::Deserializer::deserialize_map(&mut serde_json::Deserializer::from_str(text), Ordered)
        .unwrap()
}

// Data-driven: tests/fixtures/import/cases.json lists each case's steps and what each plans.
#[test]
fn dataset_exports_import_correct_and_retract_as_their_cases_say() {
    let fixtures = crate::binary::root().join("tests/fixtures/import");
    let cases: serde_json::Value =
        serde_json::from_slice(&fs::read(fixtures.join("cases.json")).unwrap()).unwrap();
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let dataset_name = case["dataset"].as_str().unwrap();
        let dataset = accord::front::import::dataset(dataset_name).unwrap();
        let directory = tempfile::tempdir().unwrap();
        let store = FileStore::new(directory.path().join("log.jsonl"));
        if let Some(start) = case["start"].as_str() {
            fs::copy(crate::binary::root().join(start), store.path()).unwrap();
        }
        let text = |key: &str| case["filters"][key].as_str();
        let filters =
            accord::front::import::filters(text("actors"), text("from"), text("to")).unwrap();
        let mut rows: Vec<(Vec<String>, Vec<String>)> = Vec::new();
        for (step_index, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let inputs: Vec<(&str, Vec<u8>)> = step["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|file| {
                    let file = file.as_str().unwrap();
                    (file, fs::read(fixtures.join(file)).unwrap())
                })
                .collect();
            for (file, bytes) in &inputs {
                let (headers, file_rows) = rows_of(file, bytes);
                rows.extend(file_rows.into_iter().map(|row| (headers.clone(), row)));
            }
            let plan = plan_filtered_into(store.path(), dataset, &inputs, &filters);
            let context = format!("{name}, step {}", step_index + 1);
            let expect = &step["expect"];
            let counted = serde_json::json!({
                "imported": plan.imported,
                "corrected": plan.corrected,
                "retracted": plan.retracted,
                "unchanged": plan.unchanged,
                "skipped": plan.skipped,
            });
            assert_eq!(&counted, expect, "{context}");
            let mut types = serde_json::Map::new();
            for draft in &plan.drafts {
                let count = types
                    .entry(draft.data.type_name())
                    .or_insert(serde_json::json!(0));
                *count = serde_json::json!(count.as_u64().unwrap() + 1);
            }
            assert_eq!(serde_json::Value::Object(types), step["types"], "{context}");
            if !plan.drafts.is_empty() {
                append(&store, &plan);
            }
            let (log, _) = accord::fold::verify_log(&fs::read(store.path()).unwrap())
                .unwrap_or_else(|error| panic!("{context}: {error}"));
            // Every imported line (and each correction) gives a row of the inputs back,
            // column by column.
            for event in &log.events {
                let Some(origin) = event.origin.as_deref() else {
                    continue;
                };
                let fields = ordered_fields(origin.fields.as_ref().unwrap().as_str());
                let (headers, texts): (Vec<String>, Vec<String>) = fields.into_iter().unzip();
                assert!(
                    rows.iter()
                        .any(|row| row == &(headers.clone(), texts.clone())),
                    "{context}: line {} ({}) gives back no input row",
                    event.seq,
                    origin.id
                );
            }
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 100, ..Default::default() })]

    /// Any bytes are an ICEWS or ACLED table or a refusal, never a panic; any rows of the
    /// right columns plan into events, corrections and retractions that every rule
    /// accepts, twice over (the second a later release of the same keys).
    #[test]
    fn any_table_imports_under_every_rule_or_is_refused(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        rows in proptest::collection::vec(
            (
                "[0-9]{1,3}",
                "2020-1[0-2]-[0-3][0-9]|2021-0[1-5]-1[0-9]|x",
                "Armenia|Azerbaijan|Russian Federation|\\PC{0,12}",
                "Government|Military|",
                "[0-2][0-9]{1,3}|057|0841|036|04[0-6]",
                "[123]|4",
                "Agreement|Armed clash|Arrests",
            ),
            1..12,
        ),
        recode in proptest::prelude::any::<u64>(),
    ) {
        let _ = accord::import::icews::records(&bytes);
        let _ = accord::import::acled::read(&bytes);
        let _ = accord::import::plover::Polecat::new(&bytes[..])
            .and_then(|mut records| accord::import::RecordStream::next_batch(&mut records, 100));
        let icews_file = |rows: &[(String, String, String, String, String, String, String)]| {
            let mut text = String::from("Event ID\tEvent Date\tSource Name\tSource Sectors\tSource Country\tEvent Text\tCAMEO Code\tIntensity\tTarget Name\tTarget Sectors\tTarget Country\tStory ID\tSentence Number\tPublisher\tCity\tDistrict\tProvince\tCountry\tLatitude\tLongitude\n");
            for (id, date, country, sector, cameo, _, _) in rows {
                let name = country.replace(['\t', '\n', '\r'], " ");
                text.push_str(&format!("{id}\t{date}\t{name}\t{sector}\t{name}\tsaid\t{cameo}\t1.0\tArmenia\t\tArmenia\t1\t1\tTASS\t\t\t\t\t\t\n"));
            }
            text.into_bytes()
        };
        let acled_file = |rows: &[(String, String, String, String, String, String, String)]| {
            let mut writer = csv::Writer::from_writer(Vec::new());
            writer.write_record(["event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type", "actor1", "assoc_actor_1", "actor2", "assoc_actor_2", "notes"]).unwrap();
            for (id, date, country, _, _, precision, sub_event) in rows {
                let actor = format!("Government of {country}");
                writer.write_record([&format!("ARM{id}"), date, precision, "Strategic developments", sub_event, &actor, "", "Government of Azerbaijan (2003-)", "", "Talks."]).unwrap();
            }
            writer.into_inner().unwrap()
        };
        // A later release: every third record recoded.
        let mut later = rows.clone();
        for (index, row) in later.iter_mut().enumerate() {
            if (recode >> (index % 60)) & 1 == 1 {
                row.4 = "138".to_string();
                row.6 = "Arrests".to_string();
            }
        }
        for (dataset, first, second) in [
            ("icews", icews_file(&rows), icews_file(&later)),
            ("acled", acled_file(&rows), acled_file(&later)),
        ] {
            let directory = tempfile::tempdir().unwrap();
            let store = FileStore::new(directory.path().join("log.jsonl"));
            let dataset = accord::front::import::dataset(dataset).unwrap();
            for file in [first, second] {
                let plan = plan_into(store.path(), dataset, &[("rows", file)]);
                if !plan.drafts.is_empty() {
                    append(&store, &plan);
                }
            }
        }
    }
}

// Regression: a draft built in code (not read from JSON) with one signatory reached the
// append's read-back assertion and panicked; it is that draft's refusal now.
#[test]
fn a_draft_built_in_code_that_breaks_a_reading_rule_is_refused_not_a_panic() {
    use accord::format::event::{AgreementSigned, Draft, EventData};
    let directory = tempfile::tempdir().unwrap();
    let store = FileStore::new(directory.path().join("log.jsonl"));
    let draft = Draft::new(
        accord::format::world_time::WorldTime::parse("2020-11-09").unwrap(),
        EventData::AgreementSigned(AgreementSigned {
            agreement: accord::format::ids::Slug::parse("alone").unwrap(),
            title: "one signatory".to_string(),
            signatories: vec![accord::format::ids::Slug::parse("ARM").unwrap()],
            witnesses: None,
            proposal: None,
            provisions: Vec::new(),
        }),
    );
    let clock = Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
    let refused = store.append(&[(1, draft)], None, clock).unwrap_err();
    assert!(refused.to_string().contains("two parties"), "{refused}");
    assert!(!store.path().exists() || fs::read(store.path()).unwrap().is_empty());
}

// A file read and appended in small batches lands what one batch would: a party named by
// a later batch at an earlier date has its party.joined corrected to that date.
#[test]
fn an_import_in_many_small_appends_folds_as_one() {
    use accord::front::import::{Batching, Dataset, Input, import_batched};
    let file = fs::read(
        crate::binary::root().join("tests/fixtures/import/icews/events.karabakh.2020-2021.tab"),
    )
    .unwrap();
    let text = String::from_utf8(file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    lines.reverse(); // latest first: every party is named again, earlier, by a later batch
    let reversed = format!("{header}\n{}\n", lines.join("\n"));
    let state_of = |batching: Batching| {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("log.jsonl");
        let target = accord::front::target::Target::File(path.clone());
        let inputs = [Input::Bytes {
            name: "reversed.tab".to_string(),
            bytes: reversed.clone().into_bytes(),
        }];
        let outcome = import_batched(
            &target,
            Dataset::Icews,
            &inputs,
            &accord::import::Filters::default(),
            false,
            &mut |_| {},
            batching,
        )
        .unwrap();
        let (log, folded) = accord::fold::verify_log(&fs::read(&path).unwrap()).unwrap();
        let moved = log
            .events
            .iter()
            .filter(|event| match &event.data {
                EventData::EventCorrected(corrected) => {
                    corrected.reason == "a record of the import names the party earlier"
                }
                _ => false,
            })
            .count();
        let state = serde_json::to_value(&folded.state).unwrap();
        (outcome.appended.unwrap().appends, moved, state)
    };
    let (one_append, none_moved, whole) = state_of(Batching::default());
    let (appends, moved, batched) = state_of(Batching {
        records: 2,
        drafts: 3,
    });
    assert_eq!((one_append, none_moved), (1, 0));
    assert!(appends > 3 && moved > 0, "{appends} appends, {moved} moved");
    // The same state but for the lines' seqs, which the corrections shift.
    fn without_seqs(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(fields) => fields
                .iter()
                .filter(|(key, _)| key.as_str() != "seq")
                .map(|(key, value)| (key.clone(), without_seqs(value)))
                .collect(),
            serde_json::Value::Array(values) => values.iter().map(without_seqs).collect(),
            other => other.clone(),
        }
    }
    for key in ["parties", "agreements", "meetings", "custody"] {
        assert_eq!(
            without_seqs(&batched[key]),
            without_seqs(&whole[key]),
            "{key}"
        );
    }
}
