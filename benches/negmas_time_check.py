#!/usr/bin/env python3
"""PonPokoAgent of negmas-genius-agents in self-play on EnglandZimbabwe, 400 negotiations,
seeing NegMAS's time ((step + 1) / (n_steps + 1)) and GENIUS's (round / deadline), against
accord's agreement count (docs/benchmarks.md, "The baseline agents against
negmas-genius-agents"). Run after `pip install negmas==0.16.0 negmas-genius-agents`;
accord's side: `accord simulate --genius .../EnglandZimbabwe_domain.xml England.xml
Zimbabwe.xml --strategies ponpokoagent,ponpokoagent --deadline 100 --runs 400 --json`.
Not part of the Rust build or of CI.
"""
import random
import sys
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from negmas_aligned import Profile, genius_ufun, GENIUS
from negmas.outcomes import make_issue, make_os
from negmas.sao import SAOMechanism
import negmas_genius_agents as g

class GeniusTime(g.PonPokoAgent):
    """PonPokoAgent seeing GENIUS's discrete time, round / deadline (1 in the last round)."""
    def _genius(self, state):
        import copy
        shown = copy.copy(state)
        try:
            object.__setattr__(shown, "relative_time", (state.step + 1) / 100)
        except Exception:
            shown.__dict__["relative_time"] = (state.step + 1) / 100
        return shown
    def propose(self, state, dest=None):
        return super().propose(self._genius(state), dest)
    def respond(self, state, source=None):
        return super().respond(self._genius(state), source)

d = GENIUS / "EnglandZimbabwe"
profiles = [Profile(d / f) for f in ["England.xml", "Zimbabwe.xml"]]
space = make_os([make_issue(o, n) for n, o in profiles[0].issues])
ufuns = [genius_ufun(p, space) for p in profiles]
for cls in (g.PonPokoAgent, GeniusTime):
    random.seed(1)
    agreed = 0
    for run in range(400):
        m = SAOMechanism(outcome_space=space, n_steps=100)
        m.add(cls(), ufun=ufuns[0]); m.add(cls(), ufun=ufuns[1])
        agreed += m.run().agreement is not None
    print(cls.__name__, agreed, "of 400")
