from os import PathLike
from typing import Any, Optional, Union

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
