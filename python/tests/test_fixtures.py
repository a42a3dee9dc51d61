"""The fixtures through Python give the states and the refusals the command line gives."""

import json
import pathlib
import threading

import pytest

import accord

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
VALID = sorted((FIXTURES / "valid").glob("*.jsonl"))
INVALID = sorted((FIXTURES / "invalid").glob("*.jsonl"))


def state_bytes(state):
    """The state JSON of the format: keys sorted at every level, no spaces."""
    return json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize("log", VALID, ids=lambda path: path.stem)
def test_a_valid_fixture_folds_to_its_state(log):
    expected = log.with_name(log.stem + ".state.json").read_text(encoding="utf-8")
    assert state_bytes(accord.Log.open(log).state()) == expected.strip()


@pytest.mark.parametrize("log", INVALID, ids=lambda path: path.stem)
def test_an_invalid_fixture_is_refused_at_its_line_and_rule(log):
    line, rule = log.with_name(log.stem + ".error").read_text().split()[:2]
    with pytest.raises(accord.AccordError) as refused:
        accord.Log.open(log).verify()
    assert refused.value.rule == rule
    assert refused.value.line == int(line)
    assert refused.value.seq == int(line)
    assert refused.value.detail


def test_the_karabakh_log_as_of_two_dates():
    log = accord.Log.open(ROOT / "tests" / "fixtures" / "karabakh-v1.jsonl")
    assert log.verify()["events"] == 38
    before = log.state(as_of="2021-05-03")["custody"]["AZE"]["ARM"]["combatant"]
    after = log.state(as_of="2021-05-05")["custody"]["AZE"]["ARM"]["combatant"]
    assert before - after == 3
    assert log.state(at=20)["seq"] == 20


def test_bad_arguments_and_missing_files_raise_python_errors():
    log = accord.Log.open(ROOT / "tests" / "fixtures" / "karabakh-v1.jsonl")
    with pytest.raises(ValueError):
        log.state(as_of="not a time")
    with pytest.raises(OSError):
        accord.Log.open(ROOT / "no-such.jsonl").verify()


def test_a_seq_past_the_end_is_refused_as_the_command_line_refuses_it():
    # Post-mortem: state(at=50) of a 38-line log answered the state at line 38, where
    # `accord state --at 50` refuses; both now ask the front door (front::query::reaches).
    log = accord.Log.open(ROOT / "tests" / "fixtures" / "karabakh-v1.jsonl")
    with pytest.raises(ValueError, match=r"^at: .*karabakh-v1.jsonl has 38 lines$"):
        log.state(at=50)
    with pytest.raises(ValueError, match=r"digits alone are a seq; for the year 2021"):
        log.state(at=2021)
    assert log.state(at=38)["seq"] == 38
    # diff's points are read by the front door too: digits are a seq, as on the command line.
    with pytest.raises(ValueError, match=r"^diff's TO point 50: .*has 38 lines$"):
        log.diff(10, 50)
    assert log.diff("10", "38") == log.diff(10, 38)


def test_threads_make_progress_while_the_core_works():
    log = accord.Log.open(ROOT / "tests" / "fixtures" / "karabakh-v1.jsonl")
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(log.state()["seq"])) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [38] * 4
