from os import PathLike
from typing import Any, Iterable, Iterator, Optional, Union

class AccordError(Exception):
    """A log or input refused under one of the format's rules."""

    rule: str
    line: Optional[int]
    seq: Optional[int]
    detail: str

class Log:
    """A log file; nothing is read until asked."""

    @staticmethod
    def open(path: Union[str, "PathLike[str]"]) -> "Log": ...
    @property
    def path(self) -> str: ...
    def verify(self) -> dict[str, Any]:
        """Checks every line and the snapshots beside the log."""
    def state(
        self,
        at: Optional[int] = None,
        known_at: Optional[str] = None,
        as_of: Optional[str] = None,
    ) -> dict[str, Any]:
        """The state JSON of the format as Python objects."""
    def history(self, entity: str) -> list[dict[str, Any]]:
        """Every event that touched an entity, with the entity before and after it."""
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
    def events(self) -> "Events":
        """The log's events in file order, a batch at a time."""
    def to_pandas(self) -> Any:
        """One typed row per event (needs pandas)."""

class Events(Iterator[dict[str, Any]]):
    def __iter__(self) -> "Events": ...
    def __next__(self) -> dict[str, Any]: ...

def simulate(
    scenario_path: Union[str, "PathLike[str]"],
    seed: int = 0,
    runs: int = 1,
    threads: Optional[int] = None,
    per_run: bool = False,
) -> dict[str, Any]:
    """A seeded batch of a scenario: the summary, and `per_run` rows when asked."""

def analyze(
    scenario_path: Union[str, "PathLike[str]"], seed: int = 0, frontier: bool = False
) -> dict[str, Any]:
    """The outcome space: Pareto frontier, Nash, Kalai-Smorodinsky, maximum welfare."""

def tournament(
    scenario_paths: list[Union[str, "PathLike[str]"]],
    strategies: list[str],
    runs: int = 10,
    seed: int = 0,
    threads: Optional[int] = None,
) -> dict[str, Any]:
    """Every assignment of the strategies to every scenario's roles, ranked."""
