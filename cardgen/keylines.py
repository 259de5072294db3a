"""Where each key of the lock's text stands: the line a problem is reported at.

Found in one pass, and only once a problem is reported: the committed lock has one entry
per line, a lock of 50,000 notes must not be searched once per entry, and a lock with no
problem (every build's) needs no line at all.
"""

from __future__ import annotations

import json
import re

_KEY = re.compile(r'^\s*("(?:[^"\\]|\\.)*")\s*:', re.M)


class Lines:
    """The lines of every key of a JSON text, found the first time one is asked for."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._found: dict[str, list[int]] | None = None

    @property
    def lines(self) -> dict[str, list[int]]:
        if self._found is None:
            self._found = {}
            line, last = 1, 0
            for match in _KEY.finditer(self.text):
                line += self.text.count("\n", last, match.start())
                last = match.start()
                quoted = match.group(1)
                try:  # the text parsed as JSON already: a key with no escape is what its quotes hold
                    key = quoted[1:-1] if "\\" not in quoted else json.loads(quoted)
                except ValueError:
                    continue
                self._found.setdefault(key, []).append(line)
        return self._found

    def of(self, key: str, after: int = 0) -> int:
        """The first line of `key` at or after line `after`; 1 when it is nowhere."""
        return next((n for n in self.lines.get(key, ()) if n >= after), 1)

    def section(self, name: str) -> int:
        return self.lines.get(name, [0])[0]


class At:
    """Where an entry of a section stands, as a line only when a problem there is reported."""

    __slots__ = ("lines", "key", "section")

    def __init__(self, lines: Lines, key: str, section: str) -> None:
        self.lines, self.key, self.section = lines, key, section

    def __int__(self) -> int:
        return self.lines.of(self.key, max(self.lines.section(self.section), 0))
