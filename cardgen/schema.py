"""The JSON Schema of the source format, made from the pattern registry.

One contract for two readers: editors (through the yaml-language-server comment) and
`validate`, which checks structure with it before the checks a schema cannot express.
"""

from __future__ import annotations

from typing import Any

from cardgen.lock import NAMESPACE
from cardgen.patterns import PATTERNS, Registry
from cardgen.patterns.base import Key, Pattern
from cardgen.quality import CHECKS

FORMAT = 2  # 2: documents have files, facts cite them with verified quotes
ID_PATTERN = r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$"
TAG_PATTERN = r"^[A-Za-z0-9_-]+(::[A-Za-z0-9_-]+)*$"
MAX_TEXT = 2000  # characters in one value: a card, not a chapter
SCHEMA_ID = "https://cardgen.invalid/source.schema.json"


def text(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": r"\S", "maxLength": MAX_TEXT, "description": description}


def ident(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": ID_PATTERN, "description": description}


ITEM = {
    "description": "a list member: its text, or {id, text} to keep a renamed member's identity",
    "oneOf": [
        text("the member as the document writes it"),
        {
            "type": "object",
            "properties": {
                "id": ident("the member's identity; keep it when fixing the text"),
                "text": text("the member as the document writes it"),
                "reverse": {"type": "boolean", "description": "false: never ask for the group from this member"},
            },
            "required": ["id", "text"],
            "additionalProperties": False,
        },
    ],
}

CITATION = {
    "type": "object",
    "description": "a document the fact rests on, with the document's own words",
    "properties": {
        "document": ident("a key of documents"),
        "quote": text("the words of the document this fact rests on, verbatim; '...' joins parts of one paragraph"),
        "ref": ident("a key of that document's references"),
    },
    "required": ["document", "quote"],
    "additionalProperties": False,
}

SKIP = {
    "type": "object",
    "description": "a passage of a document that no card carries, on purpose",
    "properties": {
        "document": ident("a key of documents"),
        "quote": text("the passage, verbatim, as in a fact's quote"),
        "reason": text("why no card carries it, e.g. 'page residue', 'heading'"),
    },
    "required": ["document", "quote", "reason"],
    "additionalProperties": False,
}

FACT_COMMON: dict[str, Any] = {
    "id": ident("stable forever: the identity of the fact's notes in every learner's collection"),
    "pattern": {"enum": [], "description": "which note type the fact becomes"},  # the registry's keys
    "topic": ident("a topic id from decks[].topics"),
    "sources": {"type": "array", "minItems": 1, "items": CITATION, "description": "the documents the fact rests on, each quoted"},
    "extra": text("an explanation shown on the back"),
    "accept": {
        "type": "object",
        "description": "lint findings accepted on this fact, each with the reason (cardgen lint)",
        "propertyNames": {"enum": sorted(CHECKS)},
        "additionalProperties": text("why this finding is right for this fact"),
    },
}


def _key(key: Key) -> dict[str, Any]:
    if key.kind == "text":
        return text(key.help)
    if key.kind == "bool":
        return {"type": "boolean", "description": key.help}
    return {"type": "array", "minItems": 1, "items": ITEM, "description": key.help}


def _pattern_branch(pattern: Pattern) -> dict[str, Any]:
    return {
        "if": {"properties": {"pattern": {"const": pattern.key}}, "required": ["pattern"]},
        "then": {
            "description": pattern.help,
            "properties": {k.name: _key(k) for k in pattern.keys},
            "required": [k.name for k in pattern.keys if k.required],
            # Unknown keys are judged per pattern: a typo in one pattern's key is another's.
            "propertyNames": {"enum": sorted([*FACT_COMMON, *(k.name for k in pattern.keys)])},
        },
    }


def source_schema(patterns: Registry = PATTERNS) -> dict[str, Any]:
    """The whole schema, as `cardgen schema` prints it, for the patterns given."""
    result: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-07/schema#",  # what editors read best
        "$id": SCHEMA_ID,
        "title": "cardgen source",
        "description": "A knowledge base that cardgen turns into Anki decks.",
        "type": "object",
        "properties": {
            "format": {"const": FORMAT, "description": "the version of this format"},
            "documents": {
                "type": "object",
                "description": "the documents facts cite, by key",
                "minProperties": 1,
                "propertyNames": {"pattern": ID_PATTERN},
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "title": text("the document's title"),
                        "short": text("a short name shown on cards as a context cue"),
                        "author": text("who wrote it"),
                        "file": text("the document's text (UTF-8), relative to this file: quotes are checked against it"),
                        "origin": text("where the document came from"),
                        "references": {
                            "type": "object",
                            "description": "what the document itself cites, by key",
                            "propertyNames": {"pattern": ID_PATTERN},
                            "additionalProperties": text("the citation"),
                        },
                    },
                    "required": ["title", "short", "file"],
                    "additionalProperties": False,
                },
            },
            "decks": {
                "type": "array",
                "minItems": 1,
                "description": "one .apkg package each",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": ident("the package's file name, decks/<id>.apkg; never change it"),
                        "name": text("the deck's name in Anki"),
                        "tag": {"type": "string", "pattern": TAG_PATTERN, "description": "the root of every note's tags"},
                        "description": text("shown in Anki's deck overview; carries the disclaimer"),
                        "topics": {
                            "type": "array",
                            "minItems": 1,
                            "description": "subdecks",
                            "items": {
                                "type": "object",
                                "properties": {"id": ident("the topic facts name"), "name": text("the subdeck's name")},
                                "required": ["id", "name"],
                                "additionalProperties": False,
                            },
                        },
                    },
                    "required": ["id", "name", "tag", "description", "topics"],
                    "additionalProperties": False,
                },
            },
            "facts": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {**FACT_COMMON, "pattern": {**FACT_COMMON["pattern"], "enum": sorted(patterns)}},
                    "required": ["id", "pattern", "topic", "sources"],
                    "allOf": [_pattern_branch(patterns[name]) for name in sorted(patterns)],
                },
            },
        },
        "required": ["format", "documents", "decks", "facts"],
        "additionalProperties": False,
    }
    result["properties"]["namespace"] = {
        "type": "string",
        "pattern": f"^{NAMESPACE}$",
        "description": "this project's identity in learners' collections, declared once and never changed: "
        "notes and note types of two projects with different namespaces never overwrite each other",
    }
    result["properties"]["read_aloud"] = {
        "type": "string",
        "pattern": "^[a-z]{2,3}(_[A-Z]{2})?$",
        "description": "a language such as en_US: every card's front and answer carry Anki's text-to-speech, with a "
        "replay button; learners can turn automatic playback off in the deck's options",
    }
    result["properties"]["skip"] = {
        "type": "array",
        "description": "passages of the documents deliberately carded by no fact (cardgen sources)",
        "items": SKIP,
    }
    result["properties"]["note_types"] = {
        "type": "object",
        "description": "declared schema changes: a pattern's note type in a new version, with a migration note",
        "propertyNames": {"enum": sorted(patterns)},
        "additionalProperties": {
            "type": "object",
            "properties": {
                "version": {"type": "integer", "minimum": 1, "description": "raise it with every schema change"},
                "migration": text("what changed, for the learners who must move their notes"),
            },
            "required": ["version", "migration"],
            "additionalProperties": False,
        },
    }
    return result
