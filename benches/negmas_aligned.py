#!/usr/bin/env python3
"""NegMAS and accord aligned: the time-based strategies run in NegMAS under accord's rules,
negotiation by negotiation against accord (docs/benchmarks.md, "Aligned with NegMAS").

`benches/negmas_tournament.py` compares each tool's own time-based negotiators and finds
gaps up to 0.21 (CameraB's Boulware). This script takes those gaps apart. It plays the same
negotiations (every ordered pair of the curves Boulware e = 0.25, Linear e = 1 and Conceder
e = 4, on the two-party shipped GENIUS domains, 100 rounds) four ways, all measured in
GENIUS's utility (weight x evaluation / the issue's largest evaluation, undiscounted):

1. accord (`accord simulate --genius ... --per-run`);
2. NegMAS's mechanism with `AccordRules` negotiators: accord's target, time, offer and
   acceptance rules, on GENIUS's utilities, written here in Python;
3. NegMAS's own `*TBNegotiator`s on GENIUS's utilities (only the negotiators differ);
4. NegMAS's own negotiators on NegMAS's own utilities (its GENIUS loader keeps the raw
   evaluations; what `negmas_tournament.py` compares).

1 against 2 must agree negotiation by negotiation (same round, same agreement): then the
protocol is the same, and every gap between 1 and 4 comes from the negotiators (2 against
3) and the utilities (3 against 4).

Run: cargo build --release && pip install negmas==0.16.0 pandas &&
     python3 benches/negmas_aligned.py
Not part of the Rust build or of CI.
"""
import itertools
import json
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pandas as pd
from negmas.inout import Scenario
from negmas.outcomes import make_issue, make_os
from negmas.preferences import LinearAdditiveUtilityFunction
from negmas.preferences.value_fun import TableFun
from negmas.sao import (
    BoulwareTBNegotiator,
    ConcederTBNegotiator,
    LinearTBNegotiator,
    ResponseType,
    SAOMechanism,
    SAONegotiator,
)

REPO = Path(__file__).resolve().parent.parent
GENIUS = REPO / "events" / "scenarios" / "genius"
ACCORD = REPO / "target" / "release" / "accord"
DEADLINE = 100
DOMAINS = [
    ("Travel", "travel_domain.xml", ["travel_chox.xml", "travel_fanny.xml"]),
    ("CameraB", "Camera-B-domain.xml", ["Camera-B-prof1.xml", "Camera-B-prof2.xml"]),
    ("ItexvsCypress", "ItexvsCypress_domain.xml",
     ["ItexvsCypress_Itex.xml", "ItexvsCypress_Cypress.xml"]),
    ("EnglandZimbabwe", "EnglandZimbabwe_domain.xml", ["England.xml", "Zimbabwe.xml"]),
]
# accord's e, NegMAS's negotiator of the same curve 1 - t^(1/e).
CURVES = {"Boulware": (0.25, BoulwareTBNegotiator), "Linear": (1.0, LinearTBNegotiator),
          "Conceder": (4.0, ConcederTBNegotiator)}


def slugify(name, taken=()):
    """accord's issue ids (`preferences::slugify`)."""
    text = ""
    for character in name:
        if (character.isascii() and character.isalnum()) or character in "._":
            text += character
        elif not text.endswith("-"):
            text += "-"
    base = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", text)[:56] or "issue"
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate


class Profile:
    """A GENIUS profile read as GENIUS defines it: per issue (in file order) the weight and
    each option's evaluation divided by the issue's largest."""

    def __init__(self, path):
        root = ElementTree.parse(path).getroot()
        self.reservation = 0.0
        for element in root.iter("reservation"):
            self.reservation = float(element.get("value"))
        weights = {element.get("index"): float(element.get("value"))
                   for element in root.iter("weight")}
        self.issues, self.weights, self.values = [], [], []
        for issue in root.iter("issue"):
            items = [(item.get("value"), float(item.get("evaluation")))
                     for item in issue.iter("item")]
            largest = max(evaluation for _, evaluation in items)
            self.issues.append((issue.get("name"), [value for value, _ in items]))
            self.weights.append(weights[issue.get("index")])
            self.values.append({value: (evaluation / largest if largest > 0 else 0.0)
                                for value, evaluation in items})

    def utility(self, outcome):
        total = 0.0
        for weight, values, option in zip(self.weights, self.values, outcome):
            total += weight * values[option]
        return min(max(total, 0.0), 1.0)


class Ranked:
    """accord's `Ranking::nearest` over every outcome, in mixed-radix order."""

    def __init__(self, profile):
        self.outcomes = list(itertools.product(*[options for _, options in profile.issues]))
        self.utilities = [profile.utility(outcome) for outcome in self.outcomes]
        self.levels = sorted(set(self.utilities))
        self.first_of = {}
        for index, utility in enumerate(self.utilities):
            self.first_of.setdefault(utility, index)

    def nearest(self, target, floor):
        above = [level for level in self.levels if level > target]
        below = [level for level in self.levels if level <= target]
        if above and below:
            utility = below[-1] if target - below[-1] < above[0] - target else above[0]
        else:
            utility = (above or below)[0] if above else below[-1]
        if utility < floor:
            worth = [level for level in self.levels if level >= floor]
            utility = worth[0] if worth else self.levels[-1]
        return self.first_of[utility]


class AccordRules(SAONegotiator):
    """accord's time-dependent strategy in NegMAS's mechanism: round r = step + 1, time
    (r - 1) / (D + 1), target 1 - t^(1/e), the outcome nearest it (accord's tie rule),
    accepting by AC_next, never below the reservation value."""

    def __init__(self, e, profile, ranked, **kwargs):
        super().__init__(**kwargs)
        self.e, self.profile, self.ranked = e, profile, ranked

    def next_offer(self, state):
        t = state.step / (DEADLINE + 1)
        target = 1 - t ** (1 / self.e)
        floor = self.profile.reservation
        return self.ranked.outcomes[self.ranked.nearest(max(target, floor), floor)]

    def propose(self, state, dest=None):
        return self.next_offer(state)

    def respond(self, state, source=None):
        offer = state.current_offer
        worth = self.profile.utility(offer)
        accepts = (worth >= self.profile.utility(self.next_offer(state))
                   and worth >= self.profile.reservation)
        return ResponseType.ACCEPT_OFFER if accepts else ResponseType.REJECT_OFFER


class NegmasRules(AccordRules):
    """NegMAS's `*TBNegotiator` rules, as read in NegMAS 0.16's source, on the same
    utilities: time (step + 1) / (D + 1), the aspiration 1 - t^(1/e) scaled onto the range
    from the worst outcome's utility to the best's, less 1e-4; the worst outcome at or
    above that level offered; an offer accepted when it reaches the level."""

    EPS = 1e-4

    def level(self, state):
        t = (state.step + 1) / (DEADLINE + 1)
        aspiration = 1 - t ** (1 / self.e)
        low, high = self.ranked.levels[0], self.ranked.levels[-1]
        return max(low, min(high, (high - low) * aspiration + low - self.EPS))

    def next_offer(self, state):
        level = self.level(state)
        worth = [utility for utility in self.ranked.levels if utility >= level]
        return self.ranked.outcomes[self.ranked.first_of[worth[0]]]

    def respond(self, state, source=None):
        accepts = self.profile.utility(state.current_offer) >= self.level(state)
        return ResponseType.ACCEPT_OFFER if accepts else ResponseType.REJECT_OFFER


def genius_ufun(profile, outcome_space):
    """NegMAS's linear additive function with GENIUS's utilities (evaluation / largest)."""
    return LinearAdditiveUtilityFunction(
        values=[TableFun(values) for values in profile.values], weights=profile.weights,
        outcome_space=outcome_space, reserved_value=profile.reservation)


def negmas_run(negotiators, outcome_space, profiles):
    mechanism = SAOMechanism(outcome_space=outcome_space, n_steps=DEADLINE)
    for negotiator, (profile, ufun) in zip(negotiators, profiles):
        mechanism.add(negotiator, ufun=ufun)
    state = mechanism.run()
    if state.agreement is None:
        return None, None
    agreement = tuple(state.agreement)
    return state.step, [profile.utility(agreement) for profile, _ in profiles]


def accord_runs(directory, domain, files):
    rows = {}
    for first, second in itertools.product(CURVES, repeat=2):
        with tempfile.TemporaryDirectory() as scratch:
            per_run = Path(scratch) / "runs.jsonl"
            subprocess.run(
                [str(ACCORD), "simulate", "--genius", str(directory / domain),
                 *[str(directory / file) for file in files], "--strategies",
                 f"e={CURVES[first][0]},e={CURVES[second][0]}", "--deadline", str(DEADLINE),
                 "--per-run", str(per_run), "--json"],
                check=True, capture_output=True)
            rows[first, second] = json.loads(per_run.read_text().splitlines()[0])
    return rows


def main():
    records = []
    for name, domain, files in DOMAINS:
        directory = GENIUS / name
        profiles = [Profile(directory / file) for file in files]
        issues = profiles[0].issues
        outcome_space = make_os([make_issue(options, issue) for issue, options in issues])
        genius = [(profile, genius_ufun(profile, outcome_space)) for profile in profiles]
        scenario = Scenario.from_genius_folder(directory, ignore_reserved=False,
                                               ignore_discount=True)
        # NegMAS names each function by its file's stem and lists them in name order.
        own = {str(ufun.name): ufun for ufun in scenario.ufuns}
        raw = [(profile, own[Path(file).stem]) for profile, file in zip(profiles, files)]
        ranked = [Ranked(profile) for profile in profiles]
        accord = accord_runs(directory, domain, files)
        ids = []
        for issue, _ in issues:
            ids.append(slugify(issue, ids))
        for first, second in itertools.product(CURVES, repeat=2):
            pair = (first, second)
            row = accord[pair]
            accord_utilities = None
            if row["agreement"]:
                outcome = tuple(row["outcome"][issue_id] for issue_id in ids)
                accord_utilities = [profile.utility(outcome) for profile in profiles]
            aligned = negmas_run(
                [AccordRules(CURVES[curve][0], profile, rank)
                 for curve, profile, rank in zip(pair, profiles, ranked)],
                outcome_space, genius)
            own_on_genius = negmas_run([CURVES[curve][1]() for curve in pair], outcome_space,
                                       genius)
            negmas_rules = negmas_run(
                [NegmasRules(CURVES[curve][0], profile, rank)
                 for curve, profile, rank in zip(pair, profiles, ranked)],
                outcome_space, genius)
            own_on_raw = negmas_run([CURVES[curve][1]() for curve in pair],
                                    scenario.outcome_space, raw)
            for role, curve in enumerate(pair):
                records.append({
                    "domain": name, "strategy": curve, "pair": f"{first}-{second}",
                    "accord": accord_utilities[role] if accord_utilities else 0.0,
                    "accord_round": row["round"] if row["agreement"] else None,
                    "aligned": aligned[1][role] if aligned[1] else 0.0,
                    # NegMAS's last state counts the steps done: the agreement's round.
                    "aligned_round": aligned[0] if aligned[1] else None,
                    "negmas_on_genius": own_on_genius[1][role] if own_on_genius[1] else 0.0,
                    "negmas_on_genius_round": own_on_genius[0] if own_on_genius[1] else None,
                    "negmas_rules": negmas_rules[1][role] if negmas_rules[1] else 0.0,
                    "negmas_rules_round": negmas_rules[0] if negmas_rules[1] else None,
                    "negmas_own": own_on_raw[1][role] if own_on_raw[1] else 0.0,
                })
    frame = pd.DataFrame(records)
    same = ((frame["accord"] - frame["aligned"]).abs() < 1e-12) & \
        (frame["accord_round"].fillna(-1) == frame["aligned_round"].fillna(-1))
    print(f"accord against NegMAS under accord's rules: {same.sum()} of {len(frame)} "
          "negotiation-roles the same (round and utility)")
    print("round differences (NegMAS - accord):",
          (frame["aligned_round"] - frame["accord_round"]).value_counts().to_dict())
    rules = ((frame["negmas_on_genius"] - frame["negmas_rules"]).abs() < 1e-12) & \
        (frame["negmas_on_genius_round"].fillna(-1) == frame["negmas_rules_round"].fillna(-1))
    print(f"NegMAS's own negotiators against its rules written out here: {rules.sum()} of "
          f"{len(frame)} negotiation-roles the same")
    print(frame.loc[~rules, ["domain", "pair", "strategy", "negmas_on_genius",
                             "negmas_on_genius_round", "negmas_rules",
                             "negmas_rules_round"]].round(4).to_string())
    table = frame.groupby(["domain", "strategy"])[
        ["accord", "aligned", "negmas_on_genius", "negmas_own"]].mean()
    table["|accord - aligned|"] = (table["accord"] - table["aligned"]).abs()
    print(table.round(3).to_string())
    print("\nlargest gap per domain, accord against each NegMAS column:")
    for column in ["aligned", "negmas_on_genius", "negmas_own"]:
        gaps = (table["accord"] - table[column]).abs().groupby(level=0).max()
        print(column, gaps.round(3).to_dict())


if __name__ == "__main__":
    main()
