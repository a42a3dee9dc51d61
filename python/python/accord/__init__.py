"""accord from Python: negotiation logs replayed, audited and queried by the Rust core.

    import accord
    log = accord.Log.open("events/karabakh.jsonl")
    log.verify()                    # {'events': 38, 'head': 'd133…', 'snapshots': 0}
    log.state(as_of="2021-05-03")   # the state JSON of the format, as dicts and lists

Every refusal of a rule raises `accord.AccordError`, with `rule`, `line` (= `seq`) and
`detail`.
"""

from ._accord import (
    AccordError,
    Events,
    Log,
    Negotiation,
    analyze,
    check_proof,
    play,
    world_time,
)
from ._processes import simulate, tournament

__all__ = [
    "AccordError",
    "Events",
    "Log",
    "Negotiation",
    "analyze",
    "check_proof",
    "play",
    "simulate",
    "tournament",
    "world_time",
]
