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
