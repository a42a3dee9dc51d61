#!/usr/bin/env python3
"""NegMAS's side of the tournament comparison (docs/benchmarks.md).

NegMAS's `cartesian_tournament` on the shipped GENIUS domains Travel and CameraB, with its
time-based Boulware, Conceder and Linear negotiators and its naive tit-for-tat: every
ordered pair of competitors (self-play included) on both rotations of the profiles, 100
steps, on one process. Prints the time, NegMAS's final scores, and each strategy's mean and
standard deviation of utility. accord's side:

    accord tournament events/scenarios/genius/Travel events/scenarios/genius/CameraB \\
        --strategies e=0.25,e=4,linear,tit_for_tat --runs 4 --seed 7 --threads 1

(NegMAS's Boulware and Conceder curves are accord's e = 0.25 and e = 4.)

Run: pip install negmas && python3 benches/negmas_tournament.py [REPETITIONS]
Not part of the Rust build or of CI.
"""
import sys
import tempfile
import time
from pathlib import Path

from negmas.inout import Scenario
from negmas.sao import (
    BoulwareTBNegotiator,
    ConcederTBNegotiator,
    LinearTBNegotiator,
    NaiveTitForTatNegotiator,
)
from negmas.tournaments.neg import cartesian_tournament

ROOT = Path(__file__).resolve().parent.parent / "events" / "scenarios" / "genius"


def main():
    repetitions = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    scenarios = [
        Scenario.from_genius_folder(ROOT / name, ignore_reserved=False, ignore_discount=True)
        for name in ["Travel", "CameraB"]
    ]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        results = cartesian_tournament(
            competitors=[
                BoulwareTBNegotiator,
                ConcederTBNegotiator,
                LinearTBNegotiator,
                NaiveTitForTatNegotiator,
            ],
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
    scores = results.scores
    print(f"{len(scores) // 2} negotiations in {elapsed:.2f} s")
    print(results.final_scores)
    print(scores.groupby("strategy")["utility"].agg(["mean", "std"]))


if __name__ == "__main__":
    main()
