"""The registry of fact patterns: adding a pattern is one module and one line here."""

from __future__ import annotations

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
from cardgen.patterns.base import Pattern

PATTERNS: dict[str, Pattern] = {
    p.key: p
    for p in (
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
}
