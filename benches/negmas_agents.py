#!/usr/bin/env python3
"""The baseline agents side by side: accord's (docs/agents.md) against the Python
reimplementations of `negmas-genius-agents` (PyPI), on the same domains and utilities
(docs/benchmarks.md, "The baseline agents against negmas-genius-agents").

Both sides play every ordered pair of the eleven agents (self-play included) on every
two-party domain below, each agent in both roles, 100 rounds, one thread:

- NegMAS 0.16: `cartesian_tournament` with `rotate_ufuns`, one repetition (`--repetitions
  N` for N), `njobs=-1` (serial), on GENIUS's utilities (weight x evaluation / the issue's
  largest evaluation, as accord reads the files; `normalize_ufuns=False`);
- accord: `accord tournament` of the same directories, two runs per assignment and
  repetition (NegMAS's two rotations), `--threads 1`.

`--agents a,b,...` (accord's names) plays a subset of the eleven.

Prints each agent's mean utility and agreement rate on both sides, the rank correlation
(Spearman) of the mean utilities, and every difference over 0.05. With `--genius-time`,
NegMAS's agents are shown GENIUS's discrete time, round / deadline (1 in the last round),
instead of NegMAS's (step + 1) / (n_steps + 1), which never reaches 1: every other rule of
theirs is left as it is (docs/benchmarks.md).

With `--against-curves`, each agent instead meets the same three opponents on both sides:
accord's time-dependent Boulware (e = 0.25), Linear (e = 1) and Conceder (e = 4), which
`negmas_aligned.AccordRules` plays in NegMAS identically to accord, negotiation by
negotiation. Each agent plays each in both roles on each domain, RUNS times. The
opponents being the same, what differs is the agent alone; NegMAS's agents see GENIUS's
time here.

Run: cargo build --release && pip install negmas==0.16.0 negmas-genius-agents pandas scipy &&
     python3 benches/negmas_agents.py [--genius-time] [--repetitions 3] [--against-curves]
The figures in docs/benchmarks.md: `--against-curves`; no flag; `--genius-time
--repetitions 3`; and `--genius-time --repetitions 3 --agents agentk,hardheaded,agentm,
atlas3,ponpokoagent,agreeableagent2018,agentgg,nice_tit_for_tat`.
Not part of the Rust build or of CI.
"""
import copy
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
from negmas_aligned import (  # noqa: E402
    ACCORD, CURVES, DEADLINE, GENIUS, AccordRules, Profile, Ranked, genius_ufun, slugify)
from negmas.sao import SAOMechanism  # noqa: E402

RUNS = 5
REPETITIONS = 1

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


def shown_genius_time(agent_class):
    """`agent_class` seeing GENIUS's time, round / deadline, in every state it is given."""

    def genius_state(state):
        shown = copy.copy(state)
        try:
            object.__setattr__(shown, "relative_time", (state.step + 1) / DEADLINE)
        except (AttributeError, TypeError):
            shown.__dict__["relative_time"] = (state.step + 1) / DEADLINE
        return shown

    class GeniusTime(agent_class):
        def propose(self, state, *args, **kwargs):
            return super().propose(genius_state(state), *args, **kwargs)

        def respond(self, state, *args, **kwargs):
            return super().respond(genius_state(state), *args, **kwargs)

    GeniusTime.__name__ = GeniusTime.__qualname__ = agent_class.__name__
    GeniusTime.__module__ = __name__
    return GeniusTime


def negmas_side(genius_time=False):
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
            competitors=[shown_genius_time(agent) if genius_time else agent
                         for agent in (getattr(genius_agents, name) for name in AGENTS.values())],
            scenarios=scenarios, n_repetitions=REPETITIONS, n_steps=DEADLINE, njobs=-1, verbosity=0,
            path=Path(out), self_play=True, rotate_ufuns=True, normalize_ufuns=False,
            save_scenario_figs=False, plot_fraction=0.0, raise_exceptions=False)
    elapsed = time.perf_counter() - started
    scores = results.scores
    table = scores.groupby("strategy").agg(
        utility=("utility", "mean"), agreement_rate=("session_agreement_reached", "mean"),
        negotiations=("utility", "size"), errors=("has_error", "sum"))
    table.index = [name.rsplit(".", 1)[-1] for name in table.index]
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
               "--runs", str(2 * REPETITIONS), "--seed", "7", "--threads", "1", "--deadline", str(DEADLINE),
               "--json"]
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


def against_curves():
    """Each agent against accord's three curves on both sides, in both roles."""
    records = []
    negmas_elapsed = accord_elapsed = 0.0
    for name, domain, files in DOMAINS:
        directory = GENIUS / name
        profiles = [Profile(directory / file) for file in files]
        space = make_os([make_issue(options, issue) for issue, options in profiles[0].issues])
        ufuns = [genius_ufun(profile, space) for profile in profiles]
        ranked = [Ranked(profile) for profile in profiles]
        ids = []
        for issue, _ in profiles[0].issues:
            ids.append(slugify(issue, ids))
        for agent, class_name in AGENTS.items():
            agent_class = shown_genius_time(getattr(genius_agents, class_name))
            for curve, (e, _) in CURVES.items():
                for agent_role in (0, 1):
                    strategies = [agent, f"e={e}"] if agent_role == 0 else [f"e={e}", agent]
                    started = time.perf_counter()
                    with tempfile.TemporaryDirectory() as scratch:
                        per_run = Path(scratch) / "runs.jsonl"
                        subprocess.run(
                            [str(ACCORD), "simulate", "--genius", str(directory / domain),
                             *[str(directory / file) for file in files], "--strategies",
                             ",".join(strategies), "--deadline", str(DEADLINE), "--runs",
                             str(RUNS), "--seed", "7", "--per-run", str(per_run), "--json"],
                            check=True, capture_output=True)
                        rows = [json.loads(line) for line in per_run.read_text().splitlines()]
                    accord_elapsed += time.perf_counter() - started
                    for row in rows:
                        utility = 0.0
                        if row["agreement"]:
                            outcome = tuple(row["outcome"][issue_id] for issue_id in ids)
                            utility = profiles[agent_role].utility(outcome)
                        records.append({"agent": class_name, "curve": curve, "side": "accord",
                                        "utility": utility, "agreed": bool(row["agreement"])})
                    started = time.perf_counter()
                    for _ in range(RUNS):
                        mechanism = SAOMechanism(outcome_space=space, n_steps=DEADLINE)
                        for role in (0, 1):
                            negotiator = agent_class() if role == agent_role else AccordRules(
                                e, profiles[role], ranked[role])
                            mechanism.add(negotiator, ufun=ufuns[role])
                        state = mechanism.run()
                        utility = 0.0
                        if state.agreement is not None:
                            utility = profiles[agent_role].utility(tuple(state.agreement))
                        records.append({"agent": class_name, "curve": curve, "side": "NegMAS",
                                        "utility": utility,
                                        "agreed": state.agreement is not None})
                    negmas_elapsed += time.perf_counter() - started
    frame = pd.DataFrame(records)
    print(f"{len(frame) // 2} negotiations a side: NegMAS {negmas_elapsed:.1f} s, accord "
          f"{accord_elapsed:.2f} s (one process per configuration)")
    table = frame.pivot_table(index="agent", columns="side", values=["utility", "agreed"],
                              aggfunc="mean")
    table.columns = [f"{side} {value}" for value, side in table.columns]
    table["utility gap"] = table["accord utility"] - table["NegMAS utility"]
    table = table.sort_values("accord utility", ascending=False)
    print(table.round(3).to_string())
    rho = table["NegMAS utility"].corr(table["accord utility"], method="spearman")
    print(f"\nSpearman rank correlation of the mean utilities: {rho:.3f}")
    by_curve = frame.pivot_table(index=["agent", "curve"], columns="side",
                                 values=["utility", "agreed"], aggfunc="mean")
    by_curve.columns = [f"{side} {value}" for value, side in by_curve.columns]
    print(by_curve.round(3).to_string())


def main():
    global REPETITIONS
    # `--repetitions N` plays every round-robin pairing N times on each side (NegMAS's
    # agents are unseeded; averaging narrows their run-to-run spread).
    if "--repetitions" in sys.argv[1:]:
        REPETITIONS = int(sys.argv[sys.argv.index("--repetitions") + 1])
    # `--agents a,b,...` (accord's names) plays a subset of the eleven.
    if "--agents" in sys.argv[1:]:
        chosen = sys.argv[sys.argv.index("--agents") + 1].split(",")
        for agent in list(AGENTS):
            if agent not in chosen:
                del AGENTS[agent]
    if "--against-curves" in sys.argv[1:]:
        against_curves()
        return
    with tempfile.TemporaryDirectory() as root:
        accord_time, accord_count, accord = accord_side(Path(root))
    genius_time = "--genius-time" in sys.argv[1:]
    negmas_time, negmas_count, negmas = negmas_side(genius_time)
    shown = "GENIUS's time" if genius_time else "NegMAS's time"
    print(f"NegMAS + negmas-genius-agents ({shown}): {negmas_count} negotiations in "
          f"{negmas_time:.1f} s")
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
