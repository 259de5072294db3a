"""Check the loaded source against the format and turn it into typed records.

Every problem is collected, never just the first, each at the line and column of the
value (or key) at fault and with what to do about it.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Iterable

from cardgen.errors import Problem, SourceError
from cardgen.load import CONTROL_CHARS, Map, Seq, load
from cardgen.patterns import PATTERNS
from cardgen.patterns.base import Key, slug
from cardgen.records import Deck, Document, Fact, Item, Mark, Source, Topic

FORMAT = 1
ID = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$")
TAG = re.compile(r"^[A-Za-z0-9_-]+(::[A-Za-z0-9_-]+)*$")
MAX_TEXT = 2000  # characters in one value: a card, not a chapter

TOP_KEYS = ("format", "documents", "decks", "facts")
DOCUMENT_KEYS = {"title": True, "short": True, "author": False, "file": False, "references": False}
DECK_KEYS = {"id": True, "name": True, "tag": True, "description": True, "topics": True}
TOPIC_KEYS = {"id": True, "name": True}
FACT_KEYS = {"id": True, "pattern": True, "topic": True, "source": True, "ref": False, "extra": False}
ITEM_KEYS = {"id": True, "text": True, "reverse": False}


class _Checker:
    def __init__(self, path: Path) -> None:
        self.file = str(path)
        self.problems: list[Problem] = []

    def at(self, mark: Mark, message: str) -> None:
        self.problems.append(Problem(self.file, mark[0], mark[1], message))

    def keys(self, node: Map, allowed: dict[str, bool], what: str, unknown: bool = True) -> bool:
        """Report unknown and missing keys; True when every required key is there."""
        for key in node:
            if unknown and key not in allowed:
                close = difflib.get_close_matches(key, list(allowed), n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
                self.at(node.key_marks[key], f"unknown key '{key}' in {what}; {hint}")
        missing = [k for k, required in allowed.items() if required and k not in node]
        for key in missing:
            self.at(node.mark, f"{what} has no '{key}'; add it")
        return not missing

    def mapping(self, value: Any, mark: Mark, what: str) -> Map | None:
        if isinstance(value, Map):
            return value
        self.at(mark, f"{what} must be a mapping (key: value lines), not {_kind(value)}")
        return None

    def sequence(self, value: Any, mark: Mark, what: str) -> Seq | None:
        if isinstance(value, Seq):
            return value
        self.at(mark, f"{what} must be a list ('- ' items), not {_kind(value)}")
        return None

    def text(self, node: Map, key: str, what: str) -> str | None:
        if key not in node:
            return None
        return self.text_value(node[key], node.value_marks[key], f"'{key}' of {what}")

    def text_value(self, raw: Any, mark: Mark, what: str) -> str | None:
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            self.at(mark, f"{what} must be text, not {_kind(raw)}; write it as a plain or quoted string")
            return None
        value = str(raw)  # a number where text is expected is still the maintainer's text
        if not value.strip():
            self.at(mark, f"{what} is empty; write the text or remove the key")
            return None
        if len(value) > MAX_TEXT:
            self.at(mark, f"{what} is {len(value)} characters; a card value holds at most {MAX_TEXT}, split it")
            return None
        bad = CONTROL_CHARS.search(value)
        if bad:
            self.at(mark, f"{what} holds control character U+{ord(bad.group()):04X}; delete it")
            return None
        return value.strip()

    def ident(self, node: Map, key: str, what: str) -> str | None:
        value = self.text(node, key, what)
        if value is not None and not ID.match(value):
            self.at(node.value_marks[key], f"'{key}' of {what} is '{value}'; use a-z, 0-9, '-' and '.', e.g. '{slug(value)}'")
            return None
        return value

    def choice(self, node: Map, key: str, options: Iterable[str], what: str) -> str | None:
        value = self.text(node, key, what)
        if value is None:
            return None
        options = list(options)
        if value not in options:
            close = difflib.get_close_matches(value, options, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(options)}"
            self.at(node.value_marks[key], f"{what} names {key} '{value}', which does not exist; {hint}")
            return None
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, Map):
        return "a mapping"
    if isinstance(value, Seq):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    return "text"


def _documents(c: _Checker, root: Map) -> dict[str, Document]:
    node = c.mapping(root.get("documents"), root.value_marks.get("documents", root.mark), "'documents'")
    result: dict[str, Document] = {}
    if node is None:
        return result
    for key, value in node.items():
        what = f"document '{key}'"
        if not ID.match(key):
            c.at(node.key_marks[key], f"document key '{key}'; use a-z, 0-9, '-' and '.'")
        doc = c.mapping(value, node.value_marks[key], what)
        if doc is None or not c.keys(doc, DOCUMENT_KEYS, what):
            continue
        title, short = c.text(doc, "title", what), c.text(doc, "short", what)
        author = c.text(doc, "author", what) if "author" in doc else ""
        c.text(doc, "file", what)
        references: dict[str, str] = {}
        if "references" in doc:
            refs = c.mapping(doc["references"], doc.value_marks["references"], f"'references' of {what}")
            for ref, ref_text in (refs or {}).items():
                checked = c.text_value(ref_text, refs.value_marks[ref], f"reference '{ref}'") if refs else None
                if checked is not None:
                    references[ref] = checked
        if title is not None and short is not None and author is not None:
            result[key] = Document(key, title, short, author, references)
    return result


def _decks(c: _Checker, root: Map) -> tuple[list[Deck], dict[str, Topic]]:
    decks: list[Deck] = []
    topics: dict[str, Topic] = {}
    seen: dict[str, Mark] = {}
    node = c.sequence(root.get("decks"), root.value_marks.get("decks", root.mark), "'decks'")
    for value, mark in zip(node or [], node.item_marks if node else []):
        deck = c.mapping(value, mark, "a deck")
        if deck is None or not c.keys(deck, DECK_KEYS, "a deck"):
            continue
        deck_id = c.ident(deck, "id", "a deck")
        what = f"deck '{deck_id}'"
        name, tag = c.text(deck, "name", what), c.text(deck, "tag", what)
        description = c.text(deck, "description", what)
        if tag is not None and not TAG.match(tag):
            c.at(deck.value_marks["tag"], f"tag '{tag}' of {what}; use letters, digits, '_' and '-' (no spaces)")
            tag = None
        if deck_id is not None and deck_id in seen:
            c.at(deck.value_marks["id"], f"deck id '{deck_id}' is used twice (first at line {seen[deck_id][0]}); rename one")
            deck_id = None
        if deck_id is not None:
            seen[deck_id] = deck.value_marks["id"]
        deck_topics: list[Topic] = []
        topic_list = c.sequence(deck["topics"], deck.value_marks["topics"], f"'topics' of {what}")
        for tvalue, tmark in zip(topic_list or [], topic_list.item_marks if topic_list else []):
            topic = c.mapping(tvalue, tmark, "a topic")
            if topic is None or not c.keys(topic, TOPIC_KEYS, "a topic"):
                continue
            topic_id, topic_name = c.ident(topic, "id", "a topic"), c.text(topic, "name", "a topic")
            if topic_id is not None and topic_id in topics:
                c.at(topic.value_marks["id"], f"topic id '{topic_id}' is used twice; topic ids are unique across decks")
            elif None not in (topic_id, topic_name, deck_id, name, tag):
                t = Topic(topic_id, topic_name, deck_id, name, tag)  # type: ignore[arg-type]
                topics[t.id] = t
                deck_topics.append(t)
        if topic_list is not None and not topic_list:
            c.at(deck.value_marks["topics"], f"{what} has no topics; add at least one")
        if None not in (deck_id, name, tag, description):
            decks.append(Deck(deck_id, name, tag, description, tuple(deck_topics)))  # type: ignore[arg-type]
    if node is not None and not node:
        c.at(node.mark, "'decks' is empty; declare at least one deck")
    return decks, topics


def _items(c: _Checker, value: Any, mark: Mark, what: str) -> list[Item] | None:
    seq = c.sequence(value, mark, what)
    if seq is None:
        return None
    if not seq:
        c.at(mark, f"{what} is empty; list at least one item")
        return None
    result: list[Item] = []
    ids: dict[str, Mark] = {}
    for item, item_mark in zip(seq, seq.item_marks):
        reverse = True
        if isinstance(item, Map):  # {id, text}: a renamed item keeps its old id
            if not c.keys(item, ITEM_KEYS, f"an item of {what}"):
                continue
            item_id, item_text = c.ident(item, "id", f"an item of {what}"), c.text(item, "text", f"an item of {what}")
            if "reverse" in item:
                reverse = item["reverse"]
                if not isinstance(reverse, bool):
                    c.at(item.value_marks["reverse"], f"'reverse' of an item of {what} must be true or false")
                    continue
        else:
            item_text = c.text_value(item, item_mark, f"an item of {what}")
            item_id = slug(item_text) if item_text is not None else None
        if item_id is None or item_text is None:
            continue
        if item_id in ids:
            c.at(item_mark, f"'{item_text}' is listed twice in {what} (first at line {ids[item_id][0]}); remove one, or give each an id")
            continue
        ids[item_id] = item_mark
        result.append(Item(item_id, item_text, item_mark, reverse))
    return result


def _fact(c: _Checker, node: Map, documents: dict[str, Document], topics: dict[str, Topic]) -> Fact | None:
    raw_id = node.get("id")
    what = f"fact '{raw_id}'" if isinstance(raw_id, str) and ID.match(raw_id) else "a fact"
    pattern_name = c.choice(node, "pattern", PATTERNS, what) if "pattern" in node else None
    pattern = PATTERNS.get(pattern_name or "")
    allowed = dict(FACT_KEYS)
    if pattern is not None:
        allowed.update({k.name: k.required for k in pattern.keys})
    # With an unknown pattern, its own keys cannot be told from typos: report only what is missing.
    complete = c.keys(node, allowed, what, unknown=pattern is not None) and pattern is not None
    fact_id = c.ident(node, "id", what)
    topic = c.choice(node, "topic", topics, what) if "topic" in node else None
    doc = c.choice(node, "source", documents, what) if "source" in node else None
    ref = None
    if "ref" in node and doc is not None:
        ref = c.choice(node, "ref", documents[doc].references, f"{what} (document '{doc}')")
        if ref is None:
            return None
    extra = c.text(node, "extra", what)
    if pattern is None or not complete or None in (fact_id, topic, doc) or ("extra" in node and extra is None):
        return None
    data: dict[str, Any] = {}
    ok = True
    for key in pattern.keys:
        if key.name not in node:
            continue
        data[key.name] = _value(c, node, key, what)
        ok = ok and data[key.name] is not None
    if not ok:
        return None
    return Fact(fact_id, pattern.key, topics[topic], documents[doc], ref, extra, data, node.mark)  # type: ignore[arg-type,index]


def _value(c: _Checker, node: Map, key: Key, what: str) -> Any:
    value, mark = node[key.name], node.value_marks[key.name]
    if key.kind == "text":
        return c.text(node, key.name, what)
    if key.kind == "bool":
        if not isinstance(value, bool):
            c.at(mark, f"'{key.name}' of {what} must be true or false, not {_kind(value)}")
            return None
        return value
    return _items(c, value, mark, f"'{key.name}' of {what}")


def check(root: Map, path: Path) -> Source:
    """The source as records, or SourceError with every problem in it."""
    c = _Checker(path)
    c.keys(root, dict.fromkeys(TOP_KEYS, True), "the source")
    if "format" in root and root["format"] != FORMAT:
        c.at(root.value_marks["format"], f"format is {root['format']!r}; this cardgen reads format {FORMAT}")
    documents = _documents(c, root) if "documents" in root else {}
    decks, topics = _decks(c, root) if "decks" in root else ([], {})
    facts: list[Fact] = []
    nodes: dict[str, Map] = {}
    seen: dict[str, Mark] = {}
    node = c.sequence(root.get("facts"), root.value_marks.get("facts", root.mark), "'facts'") if "facts" in root else None
    for value, mark in zip(node or [], node.item_marks if node else []):
        fact_node = c.mapping(value, mark, "a fact")
        if fact_node is None:
            continue
        fact = _fact(c, fact_node, documents, topics)
        if fact is None:
            continue
        if fact.id in seen:
            c.at(fact_node.value_marks["id"], f"fact id '{fact.id}' is used twice (first at line {seen[fact.id][0]}); ids are unique, rename one")
            continue
        seen[fact.id] = fact_node.value_marks["id"]
        nodes[fact.id] = fact_node
        facts.append(fact)
    for key, pattern in PATTERNS.items():
        for fact, key_name, message in pattern.check([f for f in facts if f.pattern == key]):
            node_of = nodes[fact.id]
            c.at(node_of.value_marks.get(key_name, node_of.mark), f"fact '{fact.id}': {message}")
    used = {f.topic.deck for f in facts}
    for deck in decks:
        if deck.id not in used and not c.problems:
            c.at(root.value_marks["decks"], f"deck '{deck.id}' has no facts; add facts to its topics or remove it")
    if node is not None and not node:
        c.at(node.mark, "'facts' is empty; add at least one fact")
    if c.problems:
        raise SourceError(c.problems)
    return Source(path, documents, tuple(decks), tuple(facts))


def read_source(path: Path) -> Source:
    """Load and check `path`: the one entry point from a file to records."""
    return check(load(path), path)
