#!/usr/bin/env python3
"""The baseline agents side by side: accord's (docs/agents.md) against the Python
reimplementations of `negmas-genius-agents` (PyPI), on the same domains and utilities
(docs/benchmarks.md, "The baseline agents against negmas-genius-agents").

Both sides play every ordered pair of the eleven agents (self-play included) on every
two-party domain below, each agent in both roles, 100 rounds, one thread:

- NegMAS 0.16: `cartesian_tournament` with `rotate_ufuns`, one repetition, `njobs=-1`
  (serial), on GENIUS's utilities (weight x evaluation / the issue's largest evaluation,
  as accord reads the files; `normalize_ufuns=False`);
- accord: `accord tournament` of the same directories, two runs per assignment (NegMAS's
  two rotations), `--threads 1`.

Prints each agent's mean utility and agreement rate on both sides, the rank correlation
(Spearman) of the mean utilities, and every difference over 0.05.

Run: cargo build --release && pip install negmas==0.16.0 negmas-genius-agents pandas scipy &&
     python3 benches/negmas_agents.py
Not part of the Rust build or of CI.
"""
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import negmas_genius_agents as genius_agents
import pandas as pd
from negmas.inout import Scenario
from negmas.outcomes import make_issue, make_os
from negmas.tournaments.neg import cartesian_tournament

sys.path.insert(0, str(Path(__file__).resolve().parent))
from negmas_aligned import ACCORD, GENIUS, Profile, genius_ufun  # noqa: E402

DOMAINS = [
    ("EnglandZimbabwe", "EnglandZimbabwe_domain.xml", ["England.xml", "Zimbabwe.xml"]),
    ("ItexvsCypress", "ItexvsCypress_domain.xml",
     ["ItexvsCypress_Itex.xml", "ItexvsCypress_Cypress.xml"]),
]
# accord's name, negmas-genius-agents' class.
AGENTS = {
    "agentk": "AgentK", "hardheaded": "HardHeaded", "cuhkagent": "CUHKAgent",
    "thefawkes": "TheFawkes", "agentm": "AgentM", "atlas3": "Atlas3",
    "caduceus": "Caduceus", "ponpokoagent": "PonPokoAgent",
    "agreeableagent2018": "AgreeableAgent2018", "agentgg": "AgentGG",
    "nice_tit_for_tat": "NiceTitForTat",
}


def negmas_side():
    scenarios = []
    for name, _, files in DOMAINS:
        profiles = [Profile(GENIUS / name / file) for file in files]
        space = make_os([make_issue(options, issue) for issue, options in profiles[0].issues],
                        name=name)
        ufuns = []
        for profile, file in zip(profiles, files):
            ufun = genius_ufun(profile, space)
            ufun.name = Path(file).stem
            ufuns.append(ufun)
        scenarios.append(Scenario(outcome_space=space, ufuns=tuple(ufuns)))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        results = cartesian_tournament(
            competitors=[getattr(genius_agents, name) for name in AGENTS.values()],
            scenarios=scenarios, n_repetitions=1, n_steps=100, njobs=-1, verbosity=0,
            path=Path(out), self_play=True, rotate_ufuns=True, normalize_ufuns=False,
            save_scenario_figs=False, plot_fraction=0.0, raise_exceptions=False)
    elapsed = time.perf_counter() - started
    scores = results.scores
    table = scores.groupby("strategy").agg(
        utility=("utility", "mean"), agreement_rate=("session_agreement_reached", "mean"),
        negotiations=("utility", "size"), errors=("has_error", "sum"))
    return elapsed, len(results.details), table


def accord_side(root):
    rows, elapsed, negotiations = {}, 0.0, 0
    directories = []
    for name, domain, files in DOMAINS:
        directory = root / name
        directory.mkdir()
        for file in [domain, *files]:
            shutil.copy(GENIUS / name / file, directory / file)
        directories.append(str(directory))
    command = [str(ACCORD), "tournament", *directories, "--strategies", ",".join(AGENTS),
               "--runs", "2", "--seed", "7", "--threads", "1", "--json"]
    started = time.perf_counter()
    result = json.loads(subprocess.run(command, check=True, capture_output=True,
                                       text=True).stdout)
    elapsed = time.perf_counter() - started
    negotiations = result["total_runs"]
    for row in result["ranking"]:
        rows[AGENTS[row["strategy"]]] = {"utility": row["utility_mean"],
                                         "agreement_rate": row["agreement_rate"],
                                         "negotiations": row["runs"]}
    return elapsed, negotiations, pd.DataFrame(rows).T


def main():
    with tempfile.TemporaryDirectory() as root:
        accord_time, accord_count, accord = accord_side(Path(root))
    negmas_time, negmas_count, negmas = negmas_side()
    print(f"NegMAS + negmas-genius-agents: {negmas_count} negotiations in {negmas_time:.1f} s")
    print(f"accord: {accord_count} negotiations in {accord_time:.2f} s (one thread)")
    table = pd.DataFrame({
        "NegMAS utility": negmas["utility"], "accord utility": accord["utility"],
        "NegMAS agreed": negmas["agreement_rate"], "accord agreed": accord["agreement_rate"],
        "NegMAS errors": negmas["errors"],
    }).astype(float)
    table["utility gap"] = table["accord utility"] - table["NegMAS utility"]
    table = table.sort_values("accord utility", ascending=False)
    print(table.round(3).to_string())
    rho = table["NegMAS utility"].corr(table["accord utility"], method="spearman")
    print(f"\nSpearman rank correlation of the mean utilities: {rho:.3f}")
    print("differences over 0.05 (utility or agreement rate):")
    for agent, row in table.iterrows():
        if abs(row["utility gap"]) > 0.05 or \
                abs(row["accord agreed"] - row["NegMAS agreed"]) > 0.05:
            print(f"  {agent}: utility {row['utility gap']:+.3f}, agreement "
                  f"{row['accord agreed'] - row['NegMAS agreed']:+.3f}")


if __name__ == "__main__":
    main()
