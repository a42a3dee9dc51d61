"""Log's functions give what the command line prints with --json."""

import json
import shutil

import pytest

import accord
from conftest import ROOT, cli_json_lines

KARABAKH = ROOT / "tests" / "fixtures" / "karabakh-v1.jsonl"


cli = cli_json_lines


def test_history_is_what_accord_history_prints():
    entity = "provision:trilateral-2020-11-09/exchange"
    history = accord.Log.open(KARABAKH).history(entity)
    expected = cli("history", str(KARABAKH), entity, "--json")
    assert len(history) == len(expected) > 0
    for entry, line in zip(history, expected):
        for key in ["seq", "type", "data", "before", "after", "occurred", "source"]:
            assert entry[key] == line[key]
    with pytest.raises(ValueError):
        accord.Log.open(KARABAKH).history("nothing")


def test_history_tells_a_changed_line_as_written_then_each_word_on_it():
    corrected = ROOT / "tests" / "fixtures" / "valid" / "corrections-and-meetings.jsonl"
    history = accord.Log.open(corrected).history("party:ARM")
    assert history == cli("history", str(corrected), "party:ARM", "--json")
    assert [entry["seq"] for entry in history] == [1, 9, 4, 7, 10, 5, 8, 6, 11]
    # Line 4 as written, then its two corrections; line 5 as written, then its retraction.
    assert history[2]["changed_by"] == 10 and "changed_by" not in history[3]
    assert history[5]["changed_by"] == 8 and history[6]["type"] == "event.retracted"
    assert history[6]["before"] == history[5]["after"]


def test_an_entity_index_answers_as_the_log_does(tmp_path):
    corrected = ROOT / "tests" / "fixtures" / "valid" / "corrections-and-meetings.jsonl"
    copy = tmp_path / "log.jsonl"
    shutil.copy(corrected, copy)
    log = accord.Log.open(copy)
    from_log = log.history("party:ARM")
    written = log.index()
    assert written["path"] == str(copy) + ".index"
    assert written["seq"] == len(corrected.read_text().splitlines())
    assert written["entities"] > 0 and written["entries"] >= len(from_log)
    assert log.history("party:ARM") == from_log
    assert log.entity("party:ARM") == log.state()["parties"]["ARM"] | {
        key: value for key, value in from_log[-1]["after"].items() if key.startswith(("custody", "released"))
    }
    assert log.entity("party:NOBODY") is None
    assert log.entity("party:ARM") == from_log[-1]["after"]


def test_diff_between_a_seq_and_a_date_is_what_accord_diff_prints():
    diff = accord.Log.open(KARABAKH).diff(30, "2021-05-05")
    assert diff == cli("diff", str(KARABAKH), "30", "2021-05-05", "--json")[0]
    assert diff["changes"]


def test_events_come_in_file_order_with_their_chain(tmp_path):
    events = list(accord.Log.open(KARABAKH).events())
    assert [event["seq"] for event in events] == list(range(1, 39))
    assert events[0]["type"] == "party.joined"
    broken = tmp_path / "broken.jsonl"
    lines = KARABAKH.read_text(encoding="utf-8").splitlines(keepends=True)
    broken.write_text("".join(lines[:5] + lines[6:]), encoding="utf-8")
    with pytest.raises(accord.AccordError) as refused:
        list(accord.Log.open(broken).events())
    assert refused.value.line == 6


def test_append_all_or_none_with_expect_seq(tmp_path):
    log_path = tmp_path / "k.jsonl"
    shutil.copy(KARABAKH, log_path)
    log = accord.Log.open(log_path)
    draft = {
        "type": "statement.made",
        "occurred": "2021-05-10T09:00:00Z",
        "data": {"by": "AZE", "kind": "claim", "issue": "prisoners", "text": "More."},
    }
    with pytest.raises(accord.AccordError) as refused:
        log.append([draft], expect_seq=37)
    assert refused.value.rule == "append.expect_seq"
    bad = dict(draft, data=dict(draft["data"], issue="prisonners"))
    with pytest.raises(accord.AccordError) as refused:
        log.append([draft, bad])
    assert (refused.value.rule, refused.value.line) == ("ref.unknown", 2)
    # Post-mortem: a draft's refusal carried its line as `seq` too; a draft has no seq yet.
    assert refused.value.seq is None
    assert log.verify()["events"] == 38, "nothing was written"
    outcome = log.append([draft], expect_seq=38)
    assert outcome["events"] == 39 and outcome["drafts"][0]["result"] == "appended"
    assert log.state()["seq"] == 39
    again = log.append(json.dumps(dict(draft, id=outcome["drafts"][0]["id"])) + "\n")
    assert again["drafts"][0]["result"] == "duplicate"


def test_to_pandas_gives_one_typed_row_per_event():
    frame = accord.Log.open(KARABAKH).to_pandas()
    assert len(frame) == 38
    assert str(frame["seq"].dtype) == "int64"
    assert str(frame["type"].dtype) == "category"
    assert str(frame["occurred"].dtype).startswith("datetime64") and "UTC" in str(frame["occurred"].dtype)
    releases = frame[frame["type"] == "release.made"]
    assert list(releases["party"]) == ["AZE"]
    assert frame.loc[1, "type"] == "party.joined"


def test_a_correction_and_a_retraction_are_appended_and_rewrite_nothing(tmp_path):
    copy = tmp_path / "k.jsonl"
    shutil.copy(KARABAKH, copy)
    log = accord.Log.open(copy)
    before = log.state()
    head = log.verify()["head"]
    corrected = log.correct(38, "the day only", occurred="2021-05-06")
    assert corrected["drafts"][0]["type"] == "event.corrected"
    replacement = {"type": "issue.raised", "occurred": "2021-05~",
                   "data": {"issue": "demining", "title": "Demining of the conflict zone"}}
    log.correct(26, "about May", replacement=replacement, source="a second reading")
    retracted = log.retract(37, "no source for it", expect_seq=40)
    assert retracted["events"] == 41
    assert log.state(at=38) == before
    assert log.verify(head=head)["events"] == 41
    state = log.state()
    assert [note["target"] for note in state["corrections"]] == [26, 37, 38]
    events = list(log.events())
    assert events[-1]["v"] == 2 and events[-1]["type"] == "event.retracted"
    assert events[-2]["sources"] == [{"cite": "a second reading"}]
    with pytest.raises(accord.AccordError) as refused:
        log.retract(39, "a correction is not retracted")
    assert refused.value.rule == "correction.target"
    with pytest.raises(ValueError):
        log.correct(5, "neither")


def test_to_pandas_gives_world_times_as_start_end_and_text():
    frame = accord.Log.open(ROOT / "events" / "karabakh.jsonl").to_pandas()
    assert len(frame) == 78
    meeting = frame[frame["type"] == "meeting.held"].iloc[0]
    assert meeting["occurred_text"] == "2021-05-06"
    assert str(meeting["occurred"]) == "2021-05-06 00:00:00+00:00"
    assert str(meeting["occurred_end"]).startswith("2021-05-06 23:59:59.999999999")
    assert meeting["source"].startswith("RFE/RL Armenian Service")
    assert accord.world_time("2021-05~") == ("2021-05-01T00:00:00.000000000Z", "2021-05-31T23:59:59.999999999Z")
    with pytest.raises(ValueError):
        accord.world_time("2021-02-30")


def test_import_records_is_what_accord_import_prints(tmp_path):
    records = ROOT / "tests" / "fixtures" / "import" / "plover" / "PLOVER_GSR_CAMEO.json"
    by_python = tmp_path / "python.jsonl"
    by_cli = tmp_path / "cli.jsonl"
    shutil.copy(KARABAKH, by_python)
    shutil.copy(KARABAKH, by_cli)
    log = accord.Log.open(by_python)
    dry = log.import_records("plover", records, dry_run=True)
    assert dry["dry_run"] and "appended" not in dry
    outcome = log.import_records("plover", [records], actors=["ARM", "AZE", "RUS"])
    expected = cli("import", "plover", str(records), "--into", str(by_cli),
                   "--actors", "ARM,AZE,RUS", "--json")[0]
    assert {k: v for k, v in outcome.items() if k != "head"} == {
        k: v for k, v in expected.items() if k != "head"
    }
    assert outcome["appended"] > 0
    again = log.import_records("plover", records, actors=["ARM", "AZE", "RUS"])
    assert again["drafts"] == 0 and again["unchanged"] == outcome["imported"]
    frame = log.to_pandas()
    imported = frame[frame["origin_dataset"] == "plover"]
    assert len(imported) == outcome["imported"]
    first = imported.iloc[0]
    assert first["origin_fields"]["id"] == first["origin_id"]
    with pytest.raises(ValueError):
        log.import_records("icews", records)  # not a tab-separated ICEWS file
    with pytest.raises(ValueError):
        log.import_records("gdelt", records)


def test_import_records_corrects_and_retracts_a_newer_release(tmp_path):
    samples = ROOT / "tests" / "fixtures" / "import" / "acled"
    log = accord.Log.open(tmp_path / "acled.jsonl")
    first = log.import_records("acled", samples / "acled.karabakh.2020-2021.csv")
    assert (first["imported"], first["appended"]) == (3, 7)
    later = log.import_records(
        "acled",
        [samples / "acled.karabakh.2020-2021.updated.csv", samples / "acled.deletions.csv"],
    )
    assert (later["corrected"], later["retracted"], later["unchanged"]) == (1, 1, 2)
    frame = log.to_pandas()
    assert set(frame["origin_dataset"].dropna()) == {"acled", "acled-deletions"}
