"""How lint compares card texts: as sets of words, and for phrases shown whole."""

from __future__ import annotations

import re

from cardgen.patterns.base import Template, norm
from cardgen.render import visible


def contains(text: str, phrase: str) -> bool:
    """Whether `text` shows `phrase` as whole words, case and punctuation aside."""
    phrase = norm(phrase)
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", norm(text)) is not None


def tokens(text: str) -> frozenset[str]:
    return frozenset(norm(text).split())


def template_tokens(template: Template) -> frozenset[str]:
    """The words a card type puts on every front: not what tells two cards apart."""
    return tokens(visible(re.sub(r"\{\{[^}]*\}\}", " ", template.front)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0
