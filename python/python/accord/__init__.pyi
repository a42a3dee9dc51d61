from os import PathLike
from typing import Any, Iterable, Iterator, Mapping, Optional, Protocol, Union

class AccordError(Exception):
    """A log or input refused: under one of the format's rules, or under none (`rule` None:
    a scenario or a run that cannot be simulated)."""

    rule: Optional[str]
    #: The line refused: of the log (then `seq` is the same number) or of the drafts.
    line: Optional[int]
    #: The seq of the log line refused; None for a draft, which has none yet.
    seq: Optional[int]
    detail: str

class Log:
    """A log file; nothing is read until asked."""

    @staticmethod
    def open(
        path: Union[str, "PathLike[str]"],
        stream: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> "Log": ...
    @property
    def path(self) -> str: ...
    def verify(
        self,
        head: Optional[str] = None,
        checkpoint: Optional[Union[str, "PathLike[str]"]] = None,
        pubkey: Optional[Union[str, "PathLike[str]"]] = None,
    ) -> dict[str, Any]:
        """Checks every line and the snapshots beside the log; with `head`, that the log
        extends that pinned head; with `checkpoint` and `pubkey`, that it extends the signed
        checkpoint."""
    def root(self, at: Optional[int] = None) -> dict[str, Any]:
        """The Merkle tree of the first `at` lines (all): `size` and `root`."""
    def prove(
        self,
        seq: Optional[int] = None,
        size: Optional[int] = None,
        from_size: Optional[int] = None,
    ) -> dict[str, Any]:
        """An inclusion proof of line `seq`, or a consistency proof from `from_size` lines,
        in the tree of `size` lines (all)."""
    def checkpoint(self, key: Union[str, "PathLike[str]"], origin: str) -> dict[str, Any]:
        """Signs the log's tree head with a key file from `accord keygen`; keeps the note
        in LOG.checkpoints/: `note`, `size`, `root`, `kept`."""
    def state(
        self,
        at: Optional[int] = None,
        known_at: Optional[str] = None,
        as_of: Optional[str] = None,
    ) -> dict[str, Any]:
        """The state JSON of the format as Python objects."""
    def history(self, entity: str) -> list[dict[str, Any]]:
        """Every event that touched an entity, with the entity before and after it
        (from the entity index when it describes the log)."""
    def entity(self, entity: str) -> Optional[dict[str, Any]]:
        """The entity as it stands at the log's end, or None when it is not in the state."""
    def index(self) -> dict[str, Any]:
        """Writes the entity index beside a log file (LOG.index), as `accord index` does."""
    def diff(
        self, a: Union[int, str], b: Union[int, str], known_at: Optional[str] = None
    ) -> dict[str, Any]:
        """What changed between two points (seqs or times)."""
    def append(
        self,
        drafts: Union[str, Iterable[dict[str, Any]]],
        expect_seq: Optional[int] = None,
    ) -> dict[str, Any]:
        """Appends drafts, all or none."""
    def import_records(
        self,
        format: str,
        paths: Union[str, PathLike[str], list[Union[str, PathLike[str]]]],
        actors: Optional[list[str]] = None,
        from_: Optional[str] = None,
        to: Optional[str] = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Imports a dataset's records ("plover", "icews", "acled") as `accord import` does
        (all or none up to 100,000 drafts): new records as events, changed ones as
        corrections, deleted ones as retractions."""
    def retract(
        self,
        seq: int,
        reason: str,
        source: Optional[str] = None,
        expect_seq: Optional[int] = None,
    ) -> dict[str, Any]:
        """Appends a retraction of line `seq` (format version 2)."""
    def correct(
        self,
        seq: int,
        reason: str,
        replacement: Union[str, dict[str, Any], None] = None,
        occurred: Optional[str] = None,
        source: Optional[str] = None,
        expect_seq: Optional[int] = None,
    ) -> dict[str, Any]:
        """Appends a correction of line `seq`: a replacement, or `occurred` alone."""
    def events(self) -> "Events":
        """The log's events in file order, a batch at a time."""
    def to_pandas(self) -> Any:
        """One typed row per event (needs pandas)."""

class Events(Iterator[dict[str, Any]]):
    def __iter__(self) -> "Events": ...
    def __next__(self) -> dict[str, Any]: ...

class Strategy(Protocol):
    """A strategy written in Python: `propose` gives an offer (a dict of issue id to option)
    and `respond` whether to accept the standing offer. `start`, if there, is called once per
    run before the first move, with the run's `Negotiation`."""

    def propose(self, state: "Negotiation") -> dict[str, str]: ...
    def respond(self, offer: dict[str, str]) -> bool: ...

class Negotiation:
    """What a Python strategy is shown: one object per run, brought up to date before each
    call."""

    party: str
    parties: tuple[str, ...]
    issues: dict[str, tuple[str, ...]]
    deadline: int
    round: int
    time: float
    standing: Optional[dict[str, str]]
    standing_by: Optional[str]
    last_offer: Optional[dict[str, str]]
    offers: list[dict[str, Any]]
    reservation: float
    discount: Optional[float]
    seed: int
    run: int
    def utility(self, offer: dict[str, str]) -> float:
        """This party's (undiscounted) utility of an offer."""
    def best(self) -> dict[str, str]:
        """This party's best offer."""
    def nearest(self, target: float, floor: Optional[float] = None) -> dict[str, str]:
        """The offer nearest `target` in this party's utility, among those worth `floor`."""

Players = Mapping[str, Union[Strategy, type]]

def simulate(
    scenario_path: Union[str, "PathLike[str]"],
    seed: int = 0,
    runs: int = 1,
    threads: Optional[int] = None,
    per_run: bool = False,
    players: Optional[Players] = None,
    log_dir: Optional[Union[str, "PathLike[str]"]] = None,
    force: bool = False,
    strategies: Optional[list[str]] = None,
    deadline: Optional[int] = None,
    processes: Optional[int] = None,
) -> dict[str, Any]:
    """A seeded batch of a scenario: the summary, and `per_run` rows when asked. `players`
    maps party ids to Python strategies (a class is made afresh each run); `processes=N`
    plays a batch with players in N worker processes, the same bytes at any N (players are
    then classes importable by module name)."""

def play(
    scenario_path: Union[str, "PathLike[str]"],
    players: Optional[Players] = None,
    seed: int = 0,
    run: int = 1,
    log_path: Optional[Union[str, "PathLike[str]"]] = None,
    force: bool = False,
    strategies: Optional[list[str]] = None,
    deadline: Optional[int] = None,
) -> dict[str, Any]:
    """Run `run` of a batch from `seed`: its per-run row, with `log` the run's log text."""

def analyze(
    scenario_path: Union[str, "PathLike[str]"], seed: int = 0, frontier: bool = False
) -> dict[str, Any]:
    """The outcome space: Pareto frontier, Nash, Kalai-Smorodinsky, maximum welfare."""

def tournament(
    scenario_paths: list[Union[str, "PathLike[str]"]],
    strategies: list[Union[str, type, tuple[str, type]]],
    runs: int = 10,
    seed: int = 0,
    threads: Optional[int] = None,
    deadline: Optional[int] = None,
    processes: Optional[int] = None,
) -> dict[str, Any]:
    """Every assignment of the strategies to every scenario's roles, ranked, with each
    mean's 95% interval, Welch's tests between strategies (Holm-adjusted) and each domain's
    ranking (`ranking`, `pairwise`, `per_domain`), as `accord tournament --json`. A
    strategy is a built-in name, a Python strategy class (named by `__name__`) or a
    `(name, class)` pair; `processes=N` shares a tournament with Python strategies among N
    worker processes, the same bytes at any N."""

def check_proof(
    proof: Union[dict[str, Any], str],
    line: Optional[Union[str, bytes]] = None,
    root: Optional[str] = None,
    checkpoint: Optional[Union[str, "PathLike[str]"]] = None,
    pubkey: Optional[Union[str, "PathLike[str]"]] = None,
) -> dict[str, Any]:
    """Checks a proof without the log; AccordError when it does not hold."""

def world_time(text: str) -> tuple[str, str]:
    """A world time's start and end (RFC 3339, UTC, to the nanosecond)."""
