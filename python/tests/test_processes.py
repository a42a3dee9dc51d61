"""Strategies written in Python enter tournaments beside the built-in strategies and the
baseline agents, and batches and tournaments with them are shared among worker processes
with the same result at any number of processes."""

import random

import pytest

import accord
from conftest import ROOT

SCENARIOS = ROOT / "events" / "scenarios"
KARABAKH = SCENARIOS / "karabakh-talks.json"
ENGLAND_ZIMBABWE = SCENARIOS / "england-zimbabwe.json"

# The strategies live at the top of this module so that worker processes, which import
# them by name, find them.


class PythonBoulware:
    """The built-in Boulware (e = 0.2), written in Python."""

    def start(self, state):
        self.state = state

    def next_offer(self, state):
        target = 1 - state.time ** (1 / 0.2)
        return state.nearest(max(target, state.reservation), floor=state.reservation)

    def propose(self, state):
        return self.next_offer(state)

    def respond(self, offer):
        state = self.state
        worth = state.utility(offer)
        return worth >= state.utility(self.next_offer(state)) and worth >= state.reservation


class SeededWalker:
    """Offers at random from a generator seeded by the run; accepts what is worth 0.7."""

    def start(self, state):
        self.rng = random.Random(state.seed * 1_000_003 + state.run)
        self.state = state

    def propose(self, state):
        return {issue: self.rng.choice(options) for issue, options in state.issues.items()}

    def respond(self, offer):
        return self.state.utility(offer) >= 0.7


def test_a_python_strategy_in_a_tournament_ranks_as_the_built_in_it_copies():
    built_in = accord.tournament([ENGLAND_ZIMBABWE], ["conceder", "boulware"], runs=3, seed=4)
    in_python = accord.tournament(
        [ENGLAND_ZIMBABWE], ["conceder", ("boulware", PythonBoulware)], runs=3, seed=4
    )
    assert in_python == built_in


def test_python_strategies_play_beside_the_agents_at_any_number_of_processes():
    strategies = ["boulware", "hardheaded", "atlas3", SeededWalker, ("walker-2", SeededWalker)]
    one = accord.tournament([ENGLAND_ZIMBABWE], strategies, runs=2, seed=8)
    names = [row["strategy"] for row in one["ranking"]]
    assert sorted(names) == sorted(["boulware", "hardheaded", "atlas3", "SeededWalker", "walker-2"])
    assert one["total_runs"] == 5 * 5 * 2
    for processes in (2, 3):
        assert accord.tournament(
            [ENGLAND_ZIMBABWE], strategies, runs=2, seed=8, processes=processes
        ) == one


def test_a_batch_with_players_gives_the_same_bytes_at_any_number_of_processes(tmp_path):
    def batch(processes):
        directory = tmp_path / f"logs-{processes}"
        summary = accord.simulate(
            KARABAKH, seed=6, runs=7, per_run=True, players={"AZE": SeededWalker},
            log_dir=directory, processes=processes,
        )
        logs = {path.name: path.read_bytes() for path in sorted(directory.iterdir())}
        return summary, logs

    one = batch(1)
    assert len(one[1]) == 7
    assert batch(2) == one
    assert batch(3) == one


def test_what_processes_cannot_share_is_refused():
    with pytest.raises(TypeError, match="a class"):
        accord.simulate(KARABAKH, runs=2, players={"AZE": SeededWalker()}, processes=2)
    with pytest.raises(ValueError, match="processes must be"):
        accord.simulate(KARABAKH, runs=2, players={"AZE": SeededWalker}, processes=0)
    with pytest.raises(TypeError, match="a SeededWalker object is not"):
        accord.tournament([ENGLAND_ZIMBABWE], ["boulware", SeededWalker()])
    with pytest.raises(TypeError, match="not an object"):
        accord.tournament([ENGLAND_ZIMBABWE], ["boulware", ("walker", SeededWalker())])
    with pytest.raises(TypeError, match="no `propose` method"):
        accord.tournament([ENGLAND_ZIMBABWE], ["boulware", int])
