"""What a strategy written in Python costs per call, next to the built-in it copies.

Run with a release build of the package, from the repository's root:

    (cd python && maturin develop --release)      # in a virtual environment
    python benches/python_strategy.py [RUNS] [SCENARIO]

Plays the same batch three ways on one thread: every party built in; the first party played
by `Boulware` below, a Python copy of the built-in Boulware (the same moves, so the same
summary, which is checked); and by `Null`, a Python strategy that does as little as a
strategy can (it always offers the same outcome and never accepts), which measures the
simulator's side of a call. Prints the median of five timings of each, the number of calls
made to Python (`start`, `respond`, `propose`, and the simulator's own bookkeeping of each
offer for the `Negotiation` object), and the cost of a call: the extra time over the
built-in run divided by the calls.
"""

import pathlib
import statistics
import sys
import time

import accord

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
SCENARIO = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "events/scenarios/karabakh-talks.json"
CALLS = {"calls": 0}


class Boulware:
    """The built-in time-dependent strategy with e = 0.2, in Python."""

    e = 0.2

    def start(self, state):
        CALLS["calls"] += 1
        self.state = state

    def next_offer(self, state):
        target = 1 - state.time ** (1 / self.e)
        return state.nearest(max(target, state.reservation), floor=state.reservation)

    def propose(self, state):
        CALLS["calls"] += 1
        return self.next_offer(state)

    def respond(self, offer):
        CALLS["calls"] += 1
        state = self.state
        worth = state.utility(offer)
        return worth >= state.utility(self.next_offer(state)) and worth >= state.reservation


class Null:
    """Offers its best outcome, found once, and never accepts."""

    def start(self, state):
        CALLS["calls"] += 1
        self.best = state.best()

    def propose(self, state):
        CALLS["calls"] += 1
        return self.best

    def respond(self, offer):
        CALLS["calls"] += 1
        return False


def timed(players):
    timings = []
    for _ in range(5):
        CALLS["calls"] = 0
        started = time.perf_counter()
        summary = accord.simulate(SCENARIO, seed=1, runs=RUNS, threads=1, players=players)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), CALLS["calls"], summary


def main():
    first = accord.simulate(SCENARIO, seed=0, runs=1)["parties"][0]
    built_in, _, expected = timed(None)
    print(f"{RUNS} runs of {SCENARIO.name}, one thread; party `{first}` played in Python")
    print(f"built in:          {built_in:.3f} s")
    for name, strategy in [("Boulware", Boulware), ("Null", Null)]:
        seconds, calls, summary = timed({first: strategy})
        if strategy is Boulware:
            assert summary == expected, "the Python Boulware makes the built-in's moves"
        # The simulator also appends each offer to the Negotiation's `offers`: one more
        # crossing per offer, counted by the per-run rows' rounds times the parties.
        per_call = (seconds - built_in) / calls * 1e6
        print(f"{name + ':':<18} {seconds:.3f} s, {calls} strategy calls, "
              f"{per_call:.1f} µs per call over the built-in")


if __name__ == "__main__":
    main()
