"""Render a card the way Anki's template engine does, for the subset cardgen's templates use.

Lint and stats read cards as learners will see them without the Anki engine installed;
the tests check the same cards against the real engine.
"""

from __future__ import annotations

import html
import re
from typing import Mapping

_SECTION = re.compile(r"\{\{([#^])([^}]+)\}\}(.*?)\{\{/\2\}\}", re.S)
_FIELD = re.compile(r"\{\{([^#^/}][^}]*)\}\}")
_CLOZE = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.S)
_BLOCK = re.compile(r"</?(div|br|hr|p|li|ul|ol|h\d)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")
_UNREAD = re.compile(r"<(script|style)\b.*?</\1>", re.I | re.S)  # the templates' script is never read


def _cloze(value: str, ordinal: int, question: bool) -> str:
    def one(match: re.Match[str]) -> str:
        if int(match.group(1)) != ordinal + 1:
            return match.group(2)
        if question:
            return f'<span class="cloze">[{match.group(3) or "..."}]</span>'
        return f'<span class="cloze">{match.group(2)}</span>'

    return _CLOZE.sub(one, value)


def render(template: str, fields: Mapping[str, str], ordinal: int = 0, question: bool = True, front: str = "") -> str:
    """The HTML of one side of a card; an unknown field renders Anki's own error text."""
    text = template
    while True:  # innermost sections first; ours do not nest one name in itself
        replaced = _SECTION.sub(
            lambda m: m.group(3) if bool(fields.get(m.group(2).strip(), "").strip()) == (m.group(1) == "#") else "",
            text,
        )
        if replaced == text:
            break
        text = replaced

    def field(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name == "FrontSide":
            return front
        if name.startswith("cloze:"):
            return _cloze(fields.get(name[6:], ""), ordinal, question)
        if name not in fields:
            return f"Found '{{{{{name}}}}}', but there is no field called '{name}'"
        return fields[name]

    return _FIELD.sub(field, text)


def visible(html_text: str) -> str:
    """What a learner reads: scripts, styles and tags dropped, entities decoded, white space folded."""
    return " ".join(html.unescape(_TAG.sub("", _BLOCK.sub(" ", _UNREAD.sub(" ", html_text)))).split())
