"""A schema error or an old format, in the maintainer's words: each at the line and column
of the value or key at fault, naming it as the maintainer wrote it, with what to do."""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any

from cardgen.errors import Problem
from cardgen.load import Map, Seq
from cardgen.patterns.base import slug
from cardgen.records import Mark
from cardgen.schema import FORMAT, ID_PATTERN, MAX_TEXT, TAG_PATTERN

if TYPE_CHECKING:
    import jsonschema

Path_ = tuple[str | int, ...]


def hint(value: str, options: Any) -> str:
    options = sorted(str(o) for o in options)
    close = difflib.get_close_matches(value, options, n=1)
    return f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(options)}"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    return "text"


_EXPECTED = {"string": "text", "boolean": "true or false", "array": "a list ('- ' items)", "object": "a mapping (key: value lines)"}


class Places:
    """Where each value of the loaded tree stands, and what to call it in a message."""

    def __init__(self, root: Map) -> None:
        self.root = root

    def node(self, path: Path_) -> Any:
        node: Any = self.root
        for step in path:
            node = node[step]
        return node

    def mark(self, path: Path_) -> Mark:
        if not path:
            return self.root.mark
        parent = self.node(path[:-1])
        if isinstance(parent, Map):
            return parent.value_mark(str(path[-1]))
        if isinstance(parent, Seq):
            return parent.item_mark(int(path[-1]))
        return (1, 1)

    def key_mark(self, path: Path_, key: str) -> Mark:
        node = self.node(path)
        return node.key_mark(key) if isinstance(node, Map) else self.mark(path)

    def name(self, path: Path_) -> str:
        """'fact 'zinc-role'', ''role' of fact 'zinc-role'', 'a topic of deck 'x''."""
        if not path:
            return "the source"
        head = path[0]
        if head in ("facts", "decks") and len(path) >= 2:
            node = self.node(path[:2])
            raw = node.get("id") if isinstance(node, Map) else None
            noun = "fact" if head == "facts" else "deck"
            owner = f"{noun} '{raw}'" if isinstance(raw, str) and re.match(ID_PATTERN, raw) else f"a {noun}"
            rest = path[2:]
        elif head == "documents" and len(path) >= 2:
            owner, rest = f"document '{path[1]}'", path[2:]
        else:
            return f"'{head}'" + "".join(f"[{p}]" for p in path[1:])
        if not rest:
            return owner
        if rest[0] == "topics" and len(rest) >= 2:
            owner = f"a topic of {owner}"
            rest = rest[2:]
            return f"'{rest[0]}' of {owner}" if rest else owner
        if len(rest) >= 2 and isinstance(rest[1], int):
            return f"an item of '{rest[0]}' of {owner}" + (f" ('{rest[2]}')" if len(rest) > 2 else "")
        return f"'{rest[0]}' of {owner}"


def explain(error: jsonschema.ValidationError, places: Places, file: str) -> Problem:
    path: Path_ = tuple(error.absolute_path)
    what, kind = places.name(path), error.validator
    value: Any = error.instance
    schema: Any = error.schema
    at = places.mark(path)
    if kind == "required":
        missing = re.match(r"'(.+)' is a required property", error.message)
        key = missing.group(1) if missing else "?"
        message = f"{what} has no '{key}'; add it"
    elif kind == "enum" and "propertyNames" in error.schema_path:
        at = places.key_mark(path, str(value))
        message = f"unknown key '{value}' in {what}; {hint(str(value), error.validator_value)}"
    elif kind == "additionalProperties":
        allowed = schema.get("properties", {})
        extra = [k for k in value if k not in allowed]
        key = extra[0] if extra else "?"
        at = places.key_mark(path, key)
        message = f"unknown key '{key}' in {what}; {hint(key, allowed)}"
    elif kind == "enum":
        message = f"{what} is '{value}', which does not exist; {hint(str(value), error.validator_value)}"
    elif kind == "type":
        message = f"{what} must be {_EXPECTED.get(str(error.validator_value), error.validator_value)}, not {_kind(value)}"
        if isinstance(value, (bool, int, float)) and "string" in str(error.validator_value):
            read = {True: "true", False: "false"}.get(value, str(value)) if isinstance(value, bool) else str(value)
            message += f' (YAML reads the plain word as {read}); put the text in double quotes, e.g. "No"'
    elif kind == "pattern" and error.validator_value == ID_PATTERN:
        message = f"{what} is '{value}'; use a-z, 0-9, '-' and '.', e.g. '{slug(str(value))}'"
    elif kind == "pattern" and error.validator_value == TAG_PATTERN:
        message = f"{what} is '{value}'; use letters, digits, '_' and '-', levels joined by '::', no spaces"
    elif kind == "pattern":
        message = f"{what} is empty; write the text, or remove the key where it is optional"
    elif kind == "maxLength":
        message = f"{what} is {len(value)} characters; a card value holds at most {MAX_TEXT}, split it"
    elif kind in ("minItems", "minProperties"):
        message = f"{what} is empty; add at least one"
    elif kind == "const":
        message = f"format is {value!r}; this cardgen reads format {FORMAT}"
    elif kind == "oneOf":
        message = f"{what} must be text, or a mapping with 'id' and 'text' (and optionally 'reverse')"
    else:  # pragma: no cover - a schema keyword this function does not phrase yet
        message = f"{what}: {error.message}"
    return Problem(file, at[0], at[1], message)


def format_1(root: Map, places: Places, file: str) -> list[Problem]:
    """What a format-1 source must add to be read: said once, then at every place to edit."""
    line, col = places.mark(("format",))
    problems = [
        Problem(
            file,
            line,
            col,
            (
                f"format 1 is older than this cardgen, which reads format {FORMAT}: give each document a 'file' "
                "(its text), and cite documents on each fact as 'sources:', a list of {document, quote, ref} "
                "quoting the document's words; then write 'format: 2' (docs/source-format.md, 'From format 1')"
            ),
        )
    ]
    documents = root.get("documents")
    for key, doc in documents.items() if isinstance(documents, Map) else ():
        if isinstance(doc, Map) and "file" not in doc:
            line, col = places.key_mark(("documents", key), "title")
            problems.append(
                Problem(file, line, col, f"document '{key}' has no 'file'; add the path of its text, e.g. 'file: sources/{key}.txt'")
            )
    facts = root.get("facts")
    for index, fact in enumerate(facts if isinstance(facts, Seq) else ()):
        if isinstance(fact, Map) and isinstance(fact.get("source"), str):
            line, col = places.key_mark(("facts", index), "source")
            ref = f", ref: {fact['ref']}" if isinstance(fact.get("ref"), str) else ""
            problems.append(
                Problem(
                    file,
                    line,
                    col,
                    (
                        f"{places.name(('facts', index))}: replace 'source: {fact['source']}' with "
                        f"'sources: [{{document: {fact['source']}, quote: \"...\"{ref}}}]', quoting the words this fact rests on"
                    ),
                )
            )
    return problems
