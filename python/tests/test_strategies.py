"""Strategies written in Python play against the built-in ones through the same reducer."""

import random

import pytest

import accord
from conftest import ROOT, cli_json_lines

SCENARIOS = ROOT / "events" / "scenarios"
KARABAKH = SCENARIOS / "karabakh-talks.json"


class TimeDependent:
    """The built-in time-dependent strategy, written in Python: target `1 - t^(1/e)`,
    offers nearest it above the reservation value, accepts by AC_next."""

    def __init__(self, e):
        self.e = e

    def start(self, state):
        self.state = state

    def next_offer(self, state):
        target = 1 - state.time ** (1 / self.e)
        return state.nearest(max(target, state.reservation), floor=state.reservation)

    def propose(self, state):
        return self.next_offer(state)

    def respond(self, offer):
        state = self.state
        worth = state.utility(offer)
        return worth >= state.utility(self.next_offer(state)) and worth >= state.reservation


class Boulware(TimeDependent):
    def __init__(self):
        super().__init__(0.2)


class RandomWalker:
    """Draws its offers from a generator seeded by the run: reproducible, and unlike any
    built-in strategy."""

    def start(self, state):
        self.rng = random.Random(state.seed * 1_000_003 + state.run)
        self.state = state

    def propose(self, state):
        return {issue: self.rng.choice(options) for issue, options in state.issues.items()}

    def respond(self, offer):
        return self.state.utility(offer) >= 0.8 and self.rng.random() < 0.5


def test_a_python_copy_of_a_built_in_strategy_writes_the_built_in_log_byte_for_byte():
    # ARM plays Boulware in the scenario; the Python Boulware must make the same moves.
    built_in = accord.play(KARABAKH, seed=3)
    in_python = accord.play(KARABAKH, players={"ARM": Boulware}, seed=3)
    assert in_python["log"] == built_in["log"]
    assert in_python == built_in
    # And the same batch: the summary and every run's row.
    batch = accord.simulate(KARABAKH, seed=5, runs=20, per_run=True)
    assert accord.simulate(KARABAKH, seed=5, runs=20, per_run=True,
                           players={"ARM": Boulware}) == batch


def test_a_seeded_python_strategy_plays_the_same_negotiation_every_time(tmp_path):
    first = accord.play(KARABAKH, players={"AZE": RandomWalker}, seed=11, run=4,
                        log_path=tmp_path / "run.jsonl")
    second = accord.play(KARABAKH, players={"AZE": RandomWalker}, seed=11, run=4)
    assert first == second
    assert (tmp_path / "run.jsonl").read_text() == first["log"]
    # Another run or seed is another negotiation.
    assert accord.play(KARABAKH, players={"AZE": RandomWalker}, seed=12, run=4)["log"] != first["log"]
    # Its every move is an event of an ordinary log: it verifies and folds like any other.
    log = accord.Log.open(tmp_path / "run.jsonl")
    verified = log.verify()
    assert verified["events"] == first["log"].count("\n")
    state = log.state()
    aze_offers = [p for p in state["proposals"].values() if p["by"] == "AZE"]
    assert aze_offers, "the Python party made offers"
    assert state == cli_json_lines("state", str(tmp_path / "run.jsonl"), "--json")[0]
    # A batch's log directory holds the same run's log.
    accord.simulate(KARABAKH, players={"AZE": RandomWalker}, seed=11, runs=4,
                    log_dir=tmp_path / "runs")
    assert (tmp_path / "runs" / "run-000004.jsonl").read_text() == first["log"]
    # ... and is never written over without force.
    with pytest.raises(OSError):
        accord.simulate(KARABAKH, players={"AZE": RandomWalker}, seed=11, runs=4,
                        log_dir=tmp_path / "runs")
    with pytest.raises(OSError):
        accord.play(KARABAKH, seed=11, log_path=tmp_path / "run.jsonl")


def test_the_strategy_sees_the_negotiation_as_it_stands():
    seen = []

    class Watcher(Boulware):
        def propose(self, state):
            seen.append((state.round, state.standing_by, dict(state.standing or {}),
                         len(state.offers), state.last_offer))
            return super().propose(state)

    played = accord.play(KARABAKH, players={"AZE": Watcher}, seed=3)
    assert seen, "AZE proposed"
    first_round, standing_by, standing, offers, last = seen[0]
    assert first_round == 1 and standing_by == "ARM" and offers == 1 and last is None
    assert set(standing) == {"transport-links", "prisoner-exchange", "karabakh-status"}
    assert [r for r, *_ in seen] == sorted(r for r, *_ in seen)
    assert played["run"] == 1
    # Two parties of three played in Python, a class each: instances are made per run.
    both = accord.simulate(KARABAKH, seed=3, runs=3,
                           players={"ARM": Boulware, "AZE": RandomWalker})
    assert both["runs"] == 3


def test_a_strategy_object_plays_every_run_and_a_class_is_made_afresh():
    made = []

    class Counting(Boulware):
        def __init__(self):
            super().__init__()
            made.append(self)

    accord.simulate(KARABAKH, runs=3, players={"ARM": Counting})
    assert len(made) == 3
    one = Boulware()
    accord.simulate(KARABAKH, runs=3, players={"ARM": one})
    assert one.state.run == 3


def test_bad_strategies_are_python_errors_and_the_strategys_own_exception_comes_through():
    class Raises(Boulware):
        def propose(self, state):
            raise KeyError("inside the strategy")

    with pytest.raises(KeyError, match="inside the strategy"):
        accord.play(KARABAKH, players={"ARM": Raises})

    class WrongIssue(Boulware):
        def propose(self, state):
            return {"no-such-issue": "x"}

    with pytest.raises(ValueError, match="one option of each of the 3 issues"):
        accord.play(KARABAKH, players={"ARM": WrongIssue})

    class WrongOption(Boulware):
        def propose(self, state):
            offer = state.best()
            offer["transport-links"] = "Teleportation"
            return offer

    with pytest.raises(ValueError, match="has no option \"Teleportation\""):
        accord.play(KARABAKH, players={"ARM": WrongOption})

    class NotADict(Boulware):
        def propose(self, state):
            return 42

    with pytest.raises(TypeError, match="dict of issue to option"):
        accord.play(KARABAKH, players={"ARM": NotADict})

    with pytest.raises(ValueError, match="not a negotiating party"):
        accord.play(KARABAKH, players={"NOBODY": Boulware})
    with pytest.raises(TypeError, match="no `propose` method"):
        accord.play(KARABAKH, players={"ARM": object()})

    class FailsToStart(Boulware):
        def __init__(self):
            raise RuntimeError("no start")

    with pytest.raises(RuntimeError, match="no start"):
        accord.simulate(KARABAKH, players={"ARM": FailsToStart})


def test_a_target_must_be_a_number():
    class NotANumber(Boulware):
        def propose(self, state):
            return state.nearest(float("nan"))

    with pytest.raises(ValueError, match="finite"):
        accord.play(KARABAKH, players={"ARM": NotANumber})
