"""The same simulation from Python and from the command line, timed (issue: within 10%).

Run with a release build of both, from the repository's root:

    cargo build --release
    (cd python && maturin develop --release)      # in a virtual environment
    python benches/python_vs_cli.py [RUNS] [SCENARIO]

Prints the median of seven timings of each, alternated, and their ratio. Both run the batch
on every core; the command line's time includes starting the process and printing its JSON,
Python's includes turning the summary into dicts.
"""

import json
import pathlib
import statistics
import subprocess
import sys
import time

import accord

ROOT = pathlib.Path(__file__).resolve().parents[1]
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
SCENARIO = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "events/scenarios/random-3x10.json"
BINARY = ROOT / "target" / "release" / "accord"


def cli():
    started = time.perf_counter()
    output = subprocess.run(
        [str(BINARY), "simulate", str(SCENARIO), "--runs", str(RUNS), "--json"],
        capture_output=True, check=True,
    )
    elapsed = time.perf_counter() - started
    return elapsed, json.loads(output.stdout)


def python():
    started = time.perf_counter()
    summary = accord.simulate(SCENARIO, runs=RUNS)
    return time.perf_counter() - started, summary


def main():
    cli_times, python_times = [], []
    for _ in range(7):
        elapsed, from_cli = cli()
        cli_times.append(elapsed)
        elapsed, from_python = python()
        python_times.append(elapsed)
        assert from_cli == from_python, "the same seed gives the same summary"
    cli_median, python_median = statistics.median(cli_times), statistics.median(python_times)
    print(f"| {RUNS:,} runs of `{SCENARIO.name}` | median of 7 |")
    print("|---|---|")
    print(f"| `accord simulate --json` | {cli_median:.3f} s |")
    print(f"| `accord.simulate()` | {python_median:.3f} s |")
    print(f"| Python / command line | {python_median / cli_median:.3f} |")


if __name__ == "__main__":
    main()
