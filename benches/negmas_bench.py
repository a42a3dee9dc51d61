#!/usr/bin/env python3
"""The NegMAS side of the simulation benchmark (docs/benchmarks.md).

Two parties, 3 issues of 10 options each, random linear additive utilities drawn afresh for
every negotiation, Boulware against Conceder (NegMAS's time-based negotiators), a deadline of
100 steps, 1000 negotiations. Prints negotiations per second, the agreement rate and the mean
utilities as JSON.

Run: pip install negmas && python3 benches/negmas_bench.py [NEGOTIATIONS]
Not part of the Rust build or of CI.
"""
import json
import random
import sys
import time

from negmas import SAOMechanism, make_issue
from negmas.preferences import LinearAdditiveUtilityFunction
from negmas.sao import BoulwareTBNegotiator, ConcederTBNegotiator


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


def main():
    negotiations = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
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
        mechanism.add(BoulwareTBNegotiator(name="boulware"), preferences=boulware)
        mechanism.add(ConcederTBNegotiator(name="conceder"), preferences=conceder)
        state = mechanism.run()
        if state.agreement is not None:
            agreements += 1
            rounds.append(state.step)
            utilities[0] += float(boulware(state.agreement))
            utilities[1] += float(conceder(state.agreement))
    elapsed = time.perf_counter() - started
    print(json.dumps({
        "negotiations": negotiations,
        "seconds": round(elapsed, 3),
        "negotiations_per_second": round(negotiations / elapsed, 1),
        "agreement_rate": agreements / negotiations,
        "mean_rounds": sum(rounds) / len(rounds) if rounds else None,
        "mean_utilities": [round(total / negotiations, 4) for total in utilities],
    }))


if __name__ == "__main__":
    main()
