#!/usr/bin/env python3
"""The NegMAS side of the simulation benchmark (docs/benchmarks.md).

Two parties, 3 issues of 10 options each, random linear additive utilities drawn afresh for
every negotiation, Boulware against Conceder (NegMAS's time-based negotiators), a deadline of
100 steps, 1000 negotiations. Prints negotiations per second, the agreement rate and the mean
utilities as JSON.

Run: pip install negmas && python3 benches/negmas_bench.py [NEGOTIATIONS] [--curves accord]

The two tools name different curves Boulware and Conceder: NegMAS's aspiration is
1 - t^4 and 1 - t^0.25, accord's 1 - t^(1/e) with e = 0.2 and e = 2, that is 1 - t^5 and
1 - t^0.5. `--curves negmas` (the default) runs NegMAS's own `BoulwareTBNegotiator` and
`ConcederTBNegotiator` (accord's side of that comparison is
events/scenarios/random-3x10-negmas-curves.json, e = 0.25 against e = 4); `--curves accord`
runs the same time-based negotiators with accord's exponents (accord's side:
events/scenarios/random-3x10.json). Either way both tools play the same negotiation.
Not part of the Rust build or of CI.
"""
import argparse
import json
import random
import sys
import time

from negmas import PolyAspiration, SAOMechanism, make_issue
from negmas.preferences import LinearAdditiveUtilityFunction
from negmas.sao import (
    BoulwareTBNegotiator,
    ConcederTBNegotiator,
    TimeBasedConcedingNegotiator,
)


def random_preferences(issues):
    """GENIUS-style, like accord's `random` preferences: weights that sum to 1 and
    evaluations in [0, 1) divided by the issue's largest, so the best outcome is worth 1."""
    weights = [random.random() for _ in issues]
    total = sum(weights)
    values = []
    for issue in issues:
        raw = [random.random() for _ in range(issue.cardinality)]
        largest = max(raw)
        values.append({option: raw[option] / largest for option in range(issue.cardinality)})
    return LinearAdditiveUtilityFunction(
        values=values, weights=[weight / total for weight in weights], issues=issues, reserved_value=0.0
    )


def negotiators(curves):
    """Boulware and Conceder with NegMAS's curves or with accord's exponents."""
    if curves == "negmas":
        return BoulwareTBNegotiator(name="boulware"), ConcederTBNegotiator(name="conceder")
    return (
        TimeBasedConcedingNegotiator(
            name="boulware", offering_curve=PolyAspiration(1.0, 5.0), stochastic=False
        ),
        TimeBasedConcedingNegotiator(
            name="conceder", offering_curve=PolyAspiration(1.0, 0.5), stochastic=False
        ),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("negotiations", nargs="?", type=int, default=1000)
    parser.add_argument("--curves", choices=["negmas", "accord"], default="negmas")
    arguments = parser.parse_args()
    negotiations = arguments.negotiations
    random.seed(7)
    issues = [make_issue(10, f"issue{index}") for index in range(3)]
    agreements = 0
    utilities = [0.0, 0.0]
    rounds = []
    started = time.perf_counter()
    for _ in range(negotiations):
        mechanism = SAOMechanism(issues=issues, n_steps=100)
        boulware = random_preferences(issues)
        conceder = random_preferences(issues)
        boulware_negotiator, conceder_negotiator = negotiators(arguments.curves)
        mechanism.add(boulware_negotiator, preferences=boulware)
        mechanism.add(conceder_negotiator, preferences=conceder)
        state = mechanism.run()
        if state.agreement is not None:
            agreements += 1
            rounds.append(state.step)
            utilities[0] += float(boulware(state.agreement))
            utilities[1] += float(conceder(state.agreement))
    elapsed = time.perf_counter() - started
    print(json.dumps({
        "negotiations": negotiations,
        "curves": arguments.curves,
        "seconds": round(elapsed, 3),
        "negotiations_per_second": round(negotiations / elapsed, 1),
        "agreement_rate": agreements / negotiations,
        "mean_rounds": sum(rounds) / len(rounds) if rounds else None,
        "mean_utilities": [round(total / negotiations, 4) for total in utilities],
    }))


if __name__ == "__main__":
    main()
