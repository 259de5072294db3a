"""The exceptions cardgen raises; the CLI turns each into a message and exit code 1."""

from __future__ import annotations

from typing import NamedTuple


class Problem(NamedTuple):
    """One thing wrong with the source, at a place a maintainer can jump to. A tuple, not a
    dataclass: ordered by place the same way, and every command, `--help` too, imports it
    (a dataclass is made by generating and compiling its methods, a few milliseconds)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        """FILE:LINE:COL: message; a problem of a whole line (column 0) or file (line 0) says less."""
        where = [self.file] + [str(n) for n in (self.line, self.column)[: (self.line > 0) + (self.column > 0)]]
        return f"{':'.join(where)}: {self.message}"


class CardgenError(Exception):
    """Base of every error cardgen reports without a traceback."""


class SourceError(CardgenError):
    """The source cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class OutputError(CardgenError):
    """The decks could not be written; the previous ones are left as they were."""
