"""The registry of fact patterns: adding a pattern is one module and one line here."""

from __future__ import annotations

from typing import Iterator, Mapping

from cardgen.patterns import (
    cloze,
    concept,
    deficiency,
    exercise,
    exercise_set,
    food_set,
    food_source,
    ms_factor,
    nutrient_role,
    risk_factor,
)
from cardgen.patterns.base import CSS, Pattern


class Registry(Mapping[str, Pattern]):
    """Patterns by key, and the card style their note types share, fixed once made. Two
    patterns with one key, or one note type id, would be one note type to Anki, so they are
    refused here, before anything is built. A registry is itself by identity, so what is
    derived from it (its schema) is made once."""

    def __init__(self, *patterns: Pattern, css: str = CSS) -> None:
        self.css = css
        found: dict[str, Pattern] = {}
        ids: dict[int, str] = {}
        for p in patterns:
            if p.key in found or p.model_id in ids:
                raise ValueError(f"pattern '{p.key}' has the key or model_id of pattern '{ids.get(p.model_id, p.key)}'; give it its own")
            found[p.key], ids[p.model_id] = p, p.key
        self._patterns = found

    def __getitem__(self, key: str) -> Pattern:
        return self._patterns[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._patterns)

    def __len__(self) -> int:
        return len(self._patterns)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


PATTERNS = Registry(
    concept.PATTERN,
    cloze.PATTERN,
    nutrient_role.PATTERN,
    deficiency.PATTERN,
    food_source.PATTERN,
    exercise.PATTERN,
    risk_factor.PATTERN,
    ms_factor.PATTERN,
    food_set.PATTERN,
    exercise_set.PATTERN,
)
