"""simulate, analyze and tournament give what the command line prints with --json."""

import json
import shutil

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


def test_nonlinear_domains_mopac_and_tournament_statistics_reach_python():
    nonlinear = SCENARIOS / "nonlinear" / "5issues"
    analysis = accord.analyze(nonlinear, frontier=True)
    assert analysis["pareto_size"] == 86 and len(analysis["frontier"]) == 9
    ranked = accord.tournament([nonlinear, SCENARIOS / "england-zimbabwe.json"],
                               ["boulware", "conceder", "hardliner"], runs=2)
    assert len(ranked["pairwise"]) == 3
    assert all(test["p_holm"] >= test["p"] for test in ranked["pairwise"])
    assert [domain["domain"] for domain in ranked["per_domain"]] == ["5issues", "england-zimbabwe"]
    low, high = ranked["ranking"][0]["utility_ci95"]
    assert low <= ranked["ranking"][0]["utility_mean"] <= high
    mopac = accord.simulate(SCENARIOS / "karabakh-mopac.json", seed=1)
    assert mopac == cli("simulate", str(SCENARIOS / "karabakh-mopac.json"), "--seed", "1", "--json")
    assert mopac["utilities"][0]["mean"] == 0.0


def test_refusals_are_python_exceptions():
    with pytest.raises(OSError):
        accord.simulate(SCENARIOS / "no-such.json")
    # A strategy's name that names none is a bad argument, as on the command line (exit 2).
    with pytest.raises(ValueError, match="unknown strategy `no-such-strategy`"):
        accord.tournament([SCENARIOS / "england-zimbabwe.json"], ["no-such-strategy"])
    with pytest.raises(accord.AccordError) as refused:
        accord.tournament([SCENARIOS / "england-zimbabwe.json"], ["boulware", "e=0.2"])
    # A simulation refused breaks none of the format's rules, which are about logs.
    assert refused.value.rule is None
    with pytest.raises(ValueError):
        accord.simulate(SCENARIOS / "england-zimbabwe.json", threads=0)


GENIUS = SCENARIOS / "genius"


def test_a_genius_directory_is_a_scenario_as_on_the_command_line(tmp_path):
    directory = tmp_path / "EnglandZimbabwe"
    directory.mkdir()
    for name in ["EnglandZimbabwe_domain.xml", "England.xml", "Zimbabwe.xml"]:
        shutil.copy(GENIUS / "EnglandZimbabwe" / name, directory / name)
    files = sorted(directory.glob("*.xml"))
    domain = [f for f in files if "domain" in f.name.lower()]
    profiles = [str(f) for f in files if f not in domain]
    summary = accord.simulate(directory, seed=2, runs=20, strategies=["boulware", "conceder"],
                              deadline=60)
    assert summary == cli("simulate", "--genius", str(domain[0]), *profiles, "--strategies",
                          "boulware,conceder", "--deadline", "60", "--seed", "2", "--runs", "20",
                          "--json")
    assert accord.analyze(directory) == cli("analyze", "--genius", str(domain[0]), *profiles,
                                            "--json")
    ranked = accord.tournament([directory, SCENARIOS / "karabakh-talks.json"],
                               ["boulware", "tit_for_tat"], runs=2, deadline=40)
    assert ranked == cli("tournament", str(directory), str(SCENARIOS / "karabakh-talks.json"),
                         "--strategies", "boulware,tit_for_tat", "--runs", "2", "--deadline",
                         "40", "--json")
    # A scenario file's strategies and deadline are replaced the same way.
    talks = SCENARIOS / "karabakh-talks.json"
    assert accord.simulate(talks, runs=5, strategies=["conceder"], deadline=10) == cli(
        "simulate", str(talks), "--runs", "5", "--strategies", "conceder", "--deadline", "10",
        "--json")
    with pytest.raises(OSError, match="exactly one .xml file"):
        accord.simulate(GENIUS)
