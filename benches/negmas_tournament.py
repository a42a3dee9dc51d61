#!/usr/bin/env python3
"""The tournament comparison with NegMAS (docs/benchmarks.md), both sides.

Five shipped GENIUS domains, each in a directory of its own holding the domain and its base
profiles only (the shipped directories also hold variant profiles, which accord would take
as more parties): Travel, CameraB, ItexvsCypress and EnglandZimbabwe (two parties) and
Party (party1 to party3). Four strategies: the time-based Boulware (1 - t^4), Conceder
(1 - t^0.25) and Linear curves, and tit for tat; 100 rounds.

- NegMAS: `cartesian_tournament`, every ordered combination of competitors (self-play
  included) on every rotation of the profiles, REPETITIONS times, on one process.
- accord: `accord tournament` on the same directories, with the same curves (NegMAS's
  Boulware and Conceder are accord's e = 0.25 and e = 4) and as many negotiations per
  strategy: every assignment, in every role order, 2 * REPETITIONS runs for two parties and
  3 * REPETITIONS for three (NegMAS's rotations), one thread.

Prints the time of each and each strategy's mean utility (standard deviation) and
agreement rate, per domain and overall.

Run: cargo build --release && pip install negmas pandas &&
     python3 benches/negmas_tournament.py [REPETITIONS]
Not part of the Rust build or of CI. `negmas_aligned.py` takes the gaps between the two
tools' time-based strategies apart; `negmas_agents.py` puts the baseline agents beside
`negmas-genius-agents`.
"""
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from negmas.inout import Scenario
from negmas.sao import (
    BoulwareTBNegotiator,
    ConcederTBNegotiator,
    LinearTBNegotiator,
    NaiveTitForTatNegotiator,
)
from negmas.tournaments.neg import cartesian_tournament

REPO = Path(__file__).resolve().parent.parent
GENIUS = REPO / "events" / "scenarios" / "genius"
ACCORD = REPO / "target" / "release" / "accord"
# Directory, domain file, base profiles.
DOMAINS = [
    ("Travel", "travel_domain.xml", ["travel_chox.xml", "travel_fanny.xml"]),
    ("CameraB", "Camera-B-domain.xml", ["Camera-B-prof1.xml", "Camera-B-prof2.xml"]),
    ("ItexvsCypress", "ItexvsCypress_domain.xml",
     ["ItexvsCypress_Itex.xml", "ItexvsCypress_Cypress.xml"]),
    ("EnglandZimbabwe", "EnglandZimbabwe_domain.xml", ["England.xml", "Zimbabwe.xml"]),
    ("Party", "party_domain.xml",
     ["party1_utility.xml", "party2_utility.xml", "party3_utility.xml"]),
]
NEGMAS_NAMES = {
    "BoulwareTBNegotiator": "Boulware",
    "ConcederTBNegotiator": "Conceder",
    "LinearTBNegotiator": "Linear",
    "NaiveTitForTatNegotiator": "tit for tat",
}
ACCORD_NAMES = {"e=0.25": "Boulware", "e=4": "Conceder", "linear": "Linear",
                "tit_for_tat": "tit for tat"}


def copy_domains(into):
    directories = []
    for name, domain, profiles in DOMAINS:
        directory = into / name
        directory.mkdir()
        for file in [domain, *profiles]:
            shutil.copy(GENIUS / name / file, directory / file)
        directories.append((directory, len(profiles)))
    return directories


def negmas_side(directories, repetitions):
    scenarios = [
        Scenario.from_genius_folder(directory, ignore_reserved=False, ignore_discount=True)
        for directory, _ in directories
    ]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        results = cartesian_tournament(
            competitors=[BoulwareTBNegotiator, ConcederTBNegotiator, LinearTBNegotiator,
                         NaiveTitForTatNegotiator],
            scenarios=scenarios,
            n_repetitions=repetitions,
            n_steps=100,
            njobs=-1,
            verbosity=0,
            path=Path(out),
            self_play=True,
            rotate_ufuns=True,
            save_scenario_figs=False,
            plot_fraction=0.0,
        )
    elapsed = time.perf_counter() - started
    scores = results.scores.copy()
    scores["strategy"] = scores["strategy"].map(lambda name: NEGMAS_NAMES.get(name, name))
    details = results.details
    return elapsed, scores, details


def accord_side(directories, repetitions):
    rows = []
    elapsed = 0.0
    negotiations = 0
    for directory, parties in directories:
        command = [str(ACCORD), "tournament", str(directory), "--strategies",
                   ",".join(ACCORD_NAMES), "--runs", str(parties * repetitions),
                   "--seed", "7", "--threads", "1", "--json"]
        started = time.perf_counter()
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        elapsed += time.perf_counter() - started
        result = json.loads(output)
        negotiations += result["total_runs"]
        for row in result["ranking"]:
            rows.append({"domain": directory.name, "strategy": ACCORD_NAMES[row["strategy"]],
                         "runs": row["runs"], "utility": row["utility_mean"],
                         "sd": row["utility_sd"], "agreement_rate": row["agreement_rate"]})
    return elapsed, negotiations, pd.DataFrame(rows)


def main():
    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    with tempfile.TemporaryDirectory() as root:
        directories = copy_domains(Path(root))
        accord_time, accord_negotiations, accord = accord_side(directories, repetitions)
        negmas_time, scores, details = negmas_side(directories, repetitions)
    print(f"NegMAS: {len(details)} negotiations in {negmas_time:.1f} s, one process")
    print(f"accord: {accord_negotiations} negotiations in {accord_time:.2f} s, "
          f"five processes (one per domain)")
    # A rotated scenario is named DOMAIN-N; the domain file's stem names the directory.
    stems = {Path(domain).stem: name for name, domain, _ in DOMAINS}
    domain_of = lambda scenario: stems[str(scenario).rsplit("-", 1)[0]] \
        if str(scenario) not in stems else stems[str(scenario)]
    scores["domain"] = scores["scenario"].map(domain_of)
    details = details.assign(domain=details["scenario"].map(domain_of))
    print("\nMean utility (sd) and strategy-runs per strategy, all domains:")
    negmas_all = scores.groupby("strategy")["utility"].agg(["mean", "std", "count"])
    accord_all = pd.DataFrame({
        strategy: {
            "mean": (group["utility"] * group["runs"]).sum() / group["runs"].sum(),
            "count": group["runs"].sum(),
        }
        for strategy, group in accord.groupby("strategy")
    }).T
    print(pd.concat({"NegMAS": negmas_all, "accord": accord_all}, axis=1).round(3))
    print("\nMean utility per domain and strategy:")
    negmas_domains = scores.groupby(["domain", "strategy"])["utility"].mean().unstack()
    accord_domains = accord.pivot(index="domain", columns="strategy", values="utility")
    print(pd.concat({"NegMAS": negmas_domains, "accord": accord_domains}, axis=1).round(3)
          .to_string())
    print("\nAgreement rate per domain:")
    negmas_rate = details.groupby("domain")["agreement"].apply(lambda a: a.notna().mean())
    accord_rate = accord.groupby("domain").apply(
        lambda group: (group["agreement_rate"] * group["runs"]).sum() / group["runs"].sum(),
        include_groups=False)
    print(pd.DataFrame({"NegMAS": negmas_rate, "accord": accord_rate}).round(3))


if __name__ == "__main__":
    main()
