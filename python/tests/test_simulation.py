"""simulate, analyze and tournament give what the command line prints with --json."""

import json

import pytest

import accord
from conftest import ROOT, cli_json_lines

SCENARIOS = ROOT / "events" / "scenarios"


def cli(*arguments):
    """The one JSON document the command line prints."""
    return cli_json_lines(*arguments)[0]


def test_a_batch_is_the_one_the_command_line_runs(tmp_path):
    scenario = SCENARIOS / "karabakh-talks.json"
    summary = accord.simulate(scenario, seed=7, runs=50, per_run=True)
    rows = summary.pop("per_run")
    per_run = tmp_path / "runs.jsonl"
    expected = cli("simulate", str(scenario), "--seed", "7", "--runs", "50", "--json",
                   "--per-run", str(per_run))
    assert summary == expected
    assert rows == [json.loads(line) for line in per_run.read_text().splitlines()]
    # The same seed, the same result, on any number of threads.
    assert accord.simulate(scenario, seed=7, runs=50, threads=1) == summary


def test_analyze_and_tournament_are_the_command_lines():
    scenario = SCENARIOS / "england-zimbabwe.json"
    assert accord.analyze(scenario, frontier=True) == cli("analyze", str(scenario), "--frontier", "--json")
    ranked = accord.tournament([scenario], ["boulware", "conceder"], runs=3)
    assert ranked == cli("tournament", str(scenario), "--strategies", "boulware,conceder",
                         "--runs", "3", "--json")
    assert [row["strategy"] for row in ranked["ranking"]]


def test_refusals_are_python_exceptions():
    with pytest.raises(OSError):
        accord.simulate(SCENARIOS / "no-such.json")
    with pytest.raises(accord.AccordError) as refused:
        accord.tournament([SCENARIOS / "england-zimbabwe.json"], ["no-such-strategy"])
    assert refused.value.rule == "simulation"
    with pytest.raises(ValueError):
        accord.simulate(SCENARIOS / "england-zimbabwe.json", threads=0)
