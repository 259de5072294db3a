"""Check the loaded source and turn it into typed records.

Structure (keys, types, required values) is checked against the published JSON Schema;
what a schema cannot say is checked here: ids unique, references that resolve, control
characters, each pattern's own rules. Every problem is collected, never just the first,
each at the line and column of the value or key at fault, with what to do about it.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import jsonschema_rs

from cardgen.errors import Problem, SourceError
from cardgen.evidence import DocumentError, Text, excerpt
from cardgen.load import CONTROL_CHARS, INVISIBLE, Map, Seq, load
from cardgen.patterns import PATTERNS, Registry
from cardgen.patterns.base import slug
from cardgen.records import Citation, Deck, Document, Fact, Item, Mark, NoteTypeVersion, Skip, Source, Topic

if TYPE_CHECKING:
    import jsonschema

from cardgen.schema import FORMAT, ID_PATTERN, MAX_TEXT, TAG_PATTERN, source_schema

Path_ = tuple[str | int, ...]


@lru_cache(maxsize=4)
def _validator(patterns: Registry) -> jsonschema.Draft7Validator:
    """Every error, with its path and keyword: for the messages of an invalid source."""
    import jsonschema  # only an invalid source needs it

    return jsonschema.Draft7Validator(source_schema(patterns))


@lru_cache(maxsize=4)
def _fast(patterns: Registry) -> jsonschema_rs.Draft7Validator:
    """The same schema in Rust: a valid source, the common case, passes in milliseconds."""
    return jsonschema_rs.Draft7Validator(source_schema(patterns))


def _hint(value: str, options: Any) -> str:
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


class _Places:
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
            return parent.value_marks.get(str(path[-1]), parent.mark)
        if isinstance(parent, Seq):
            return parent.item_marks[int(path[-1])]
        return (1, 1)

    def key_mark(self, path: Path_, key: str) -> Mark:
        node = self.node(path)
        return node.key_marks.get(key, node.mark) if isinstance(node, Map) else self.mark(path)

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


def _explain(error: jsonschema.ValidationError, places: _Places, file: str) -> Problem:
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
        message = f"unknown key '{value}' in {what}; {_hint(str(value), error.validator_value)}"
    elif kind == "additionalProperties":
        allowed = schema.get("properties", {})
        extra = [k for k in value if k not in allowed]
        key = extra[0] if extra else "?"
        at = places.key_mark(path, key)
        message = f"unknown key '{key}' in {what}; {_hint(key, allowed)}"
    elif kind == "enum":
        message = f"{what} is '{value}', which does not exist; {_hint(str(value), error.validator_value)}"
    elif kind == "type":
        message = f"{what} must be {_EXPECTED.get(str(error.validator_value), error.validator_value)}, not {_kind(value)}"
        if isinstance(value, (bool, int, float)) and "string" in str(error.validator_value):
            read = {True: "true", False: "false"}.get(value, str(value)) if isinstance(value, bool) else str(value)
            message += f" (YAML reads the plain word as {read}); put the text in double quotes, e.g. \"No\""
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


def _strings(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    if isinstance(node, Map):
        for key, value in node.items():
            yield from _strings(value, (*path, key))
    elif isinstance(node, Seq):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, index))
    elif isinstance(node, str):
        yield path, node


class _Builder:
    """Records from a structurally valid tree, and the problems only meaning can show."""

    def __init__(self, root: Map, places: _Places, file: str, broken: set[Path_], patterns: Registry) -> None:
        self.root, self.places, self.file, self.broken, self.patterns = root, places, file, broken, patterns
        self.problems: list[Problem] = []
        self.texts: dict[str, Text | None] = {}  # document key -> its text, None if unreadable

    def at(self, path: Path_, message: str) -> None:
        line, col = self.places.mark(path)
        self.problems.append(Problem(self.file, line, col, message))

    # A document or deck with a problem of its own still lends its keys and topics to the
    # checks of the facts that name them: every problem is reported in one run.

    def documents(self, folder: Path) -> dict[str, Document]:
        result = {}
        for key, doc in self.root["documents"].items():
            if isinstance(doc, Map):
                refs = doc.get("references")
                references = {k: _text(v) for k, v in refs.items()} if isinstance(refs, Map) else {}
                file = folder / _text(doc.get("file")) if _text(doc.get("file")) else None
                result[key] = Document(key, _text(doc.get("title")), _text(doc.get("short")), _text(doc.get("author")), references, file)
        return result

    def text(self, doc: Document) -> Text | None:
        """The document's text, read once; an unreadable file is one problem, at its 'file'."""
        if doc.key not in self.texts:
            self.texts[doc.key] = None
            if doc.file is not None:
                try:
                    self.texts[doc.key] = Text.read(doc.key, doc.file)
                except DocumentError as error:
                    self.at(("documents", doc.key, "file"), f"document '{doc.key}': {error}")
        return self.texts[doc.key]

    def verify(self, path: Path_, doc: Document, quote: str, whose: str) -> None:
        """The quote stands in the document, or a problem that names the closest passage."""
        text = self.text(doc)
        if text is None or text.find(quote) is not None:
            return
        near = text.closest(quote)
        self.at(
            (*path, "quote"),
            f"quote of {whose} is not in document '{doc.key}'; closest passage (line {near.line}): \"{excerpt(near.text)}\"",
        )

    def citations(self, path: Path_, node: Map, documents: dict[str, Document]) -> list[Citation] | None:
        """The fact's sources, each resolved and quoted; None when one does not resolve."""
        result: list[Citation] = []
        entries = node.get("sources")
        if not isinstance(entries, Seq):
            return None  # the schema's message says what is wrong
        for index, entry in enumerate(entries):
            where: Path_ = (*path, "sources", index)
            key, quote, ref = (entry.get(k) if isinstance(entry, Map) else None for k in ("document", "quote", "ref"))
            if not isinstance(key, str) or not self.resolve((*where, "document"), key, documents, "a document that does not exist:"):
                return None
            doc = documents[key]
            if isinstance(ref, str) and not self.resolve((*where, "ref"), ref, dict(doc.references), f"a ref that document '{key}' does not list:"):
                return None
            if not isinstance(quote, str) or not quote.strip():
                return None
            self.verify(where, doc, quote, f"fact '{node.get('id')}'")
            result.append(Citation(doc, quote.strip(), ref if isinstance(ref, str) else None, entries.item_marks[index]))
        return result

    def skips(self, documents: dict[str, Document]) -> list[Skip]:
        result: list[Skip] = []
        entries = self.root.get("skip")
        if not isinstance(entries, Seq):
            return result
        for index, entry in enumerate(entries):
            path: Path_ = ("skip", index)
            if not isinstance(entry, Map) or not all(isinstance(entry.get(k), str) for k in ("document", "quote", "reason")):
                continue  # the schema's message says what is wrong
            if not self.resolve((*path, "document"), entry["document"], documents, "a document that does not exist:"):
                continue
            doc = documents[entry["document"]]
            self.verify(path, doc, entry["quote"], f"skip {index + 1} (line {entries.item_marks[index][0]})")
            result.append(Skip(doc, entry["quote"].strip(), entry["reason"].strip(), entries.item_marks[index]))
        return result

    def decks(self) -> tuple[list[Deck], dict[str, Topic], dict[str, Path_]]:
        decks: list[Deck] = []
        topics: dict[str, Topic] = {}
        where: dict[str, Path_] = {}
        first: dict[str, int] = {}
        names: dict[str, tuple[Path_, str]] = {}  # each deck and subdeck name as Anki matches it -> where, as written
        for index, deck in enumerate(self.root["decks"]):
            if not isinstance(deck, Map) or not isinstance(deck.get("topics"), Seq):
                continue
            deck_id, name, tag = _text(deck.get("id")), _text(deck.get("name")), _text(deck.get("tag"))
            if ("decks", index) not in self.broken and deck_id in first:
                line = self.places.mark(("decks", first[deck_id], "id"))[0]
                self.at(("decks", index, "id"), f"deck id '{deck_id}' is used twice (first at line {line}); rename one")
                continue
            first.setdefault(deck_id, index)
            self.deck_name(("decks", index, "name"), name, names)
            own = []
            for t_index, topic in enumerate(deck["topics"]):
                topic_id = _text(topic.get("id")) if isinstance(topic, Map) else ""
                if not topic_id:
                    continue
                path: Path_ = ("decks", index, "topics", t_index)
                if topic_id in topics:
                    line = self.places.mark((*where[topic_id], "id"))[0]
                    self.at((*path, "id"), f"topic id '{topic_id}' is used twice (first at line {line}); topic ids are unique across decks")
                    continue
                t = Topic(topic_id, _text(topic.get("name")), deck_id, name, tag)
                self.deck_name((*path, "name"), t.subdeck, names, t.name)
                topics[t.id], where[t.id] = t, path
                own.append(t)
            if ("decks", index) not in self.broken:
                decks.append(Deck(deck_id, name, tag, _text(deck.get("description")), tuple(own)))
        return decks, topics, where

    def deck_name(self, path: Path_, full: str, names: dict[str, tuple[Path_, str]], shown: str | None = None) -> None:
        """A deck name Anki keeps as written: no part it would show as 'blank', and none that
        it would merge with another deck's (it matches deck names ignoring case and the spaces
        around each '::' part)."""
        if not full:
            return  # a missing name: the schema has said so
        shown = shown or full
        parts = [part.strip() for part in full.split("::")]
        if not all(parts):
            self.at(path, f"{self.places.name(path)} is '{shown}', with an empty part around '::' that Anki shows as "
                    "a deck named 'blank'; write a name there or remove the '::'")
            return
        key = "::".join(part.casefold() for part in parts)
        if key in names:
            where, other = names[key]
            self.at(path, f"{self.places.name(path)} is '{shown}', the same deck to Anki as '{other}' at line "
                    f"{self.places.mark(where)[0]} (Anki matches deck names ignoring case and the spaces around '::'), "
                    "so their cards would land in one deck; rename one")
            return
        names[key] = (path, shown)

    def resolve(self, path: Path_, value: str, options: dict[str, Any], what: str) -> bool:
        if value in options:
            return True
        self.at(path, f"{self.places.name(path[:2])} names {what} '{value}'; {_hint(value, options)}")
        return False

    def items(self, path: Path_, values: Seq) -> list[Item]:
        result: list[Item] = []
        first: dict[str, int] = {}
        for index, value in enumerate(values):
            if isinstance(value, Map):
                item = Item(value["id"], value["text"].strip(), values.item_marks[index], value.get("reverse", True))
            else:
                item = Item(slug(value), value.strip(), values.item_marks[index])
            if item.id in first:
                self.at((*path, index), f"'{item.text}' is listed twice in {self.places.name(path)} (first at line {first[item.id]}); remove one, or give each an id")
                continue
            first[item.id] = item.mark[0]
            result.append(item)
        return result

    def facts(self, documents: dict[str, Document], topics: dict[str, Topic]) -> tuple[list[Fact], dict[str, Path_]]:
        facts: list[Fact] = []
        where: dict[str, Path_] = {}
        for index, node in enumerate(self.root["facts"]):
            path: Path_ = ("facts", index)
            if not isinstance(node, Map):
                continue
            # References and ids are checked even on a fact with problems of its own.
            ok = path not in self.broken
            if isinstance(node.get("topic"), str):
                ok = self.resolve((*path, "topic"), node["topic"], topics, "a topic that does not exist:") and ok
            citations = self.citations(path, node, documents)
            ok = citations is not None and ok
            fact_id = node.get("id")
            if isinstance(fact_id, str) and fact_id in where:
                line = self.places.mark((*where[fact_id], "id"))[0]
                self.at((*path, "id"), f"fact id '{fact_id}' is used twice (first at line {line}); ids are unique, rename one")
                continue
            if isinstance(fact_id, str):
                where[fact_id] = path
            if not ok:
                continue
            pattern = self.patterns[node["pattern"]]
            data: dict[str, Any] = {}
            for key in pattern.keys:
                if key.name in node:
                    value = node[key.name]
                    data[key.name] = self.items((*path, key.name), value) if key.kind == "list" else (
                        value.strip() if isinstance(value, str) else value
                    )
            extra = node["extra"].strip() if "extra" in node else None
            accept = {check: reason.strip() for check, reason in node.get("accept", {}).items()}
            facts.append(
                Fact(node["id"], pattern.key, topics[node["topic"]], tuple(citations or ()), extra, data, node.mark, accept)
            )
        return facts, where


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _format_1(root: Map, places: _Places, file: str) -> list[Problem]:
    """What a format-1 source must add to be read: said once, then at every place to edit."""
    line, col = places.mark(("format",))
    problems = [
        Problem(file, line, col, (
            f"format 1 is older than this cardgen, which reads format {FORMAT}: give each document a 'file' "
            "(its text), and cite documents on each fact as 'sources:', a list of {document, quote, ref} "
            "quoting the document's words; then write 'format: 2' (docs/source-format.md, 'From format 1')"
        ))
    ]
    documents = root.get("documents")
    for key, doc in documents.items() if isinstance(documents, Map) else ():
        if isinstance(doc, Map) and "file" not in doc:
            line, col = places.key_mark(("documents", key), "title")
            problems.append(Problem(file, line, col, f"document '{key}' has no 'file'; add the path of its text, e.g. 'file: sources/{key}.txt'"))
    facts = root.get("facts")
    for index, fact in enumerate(facts if isinstance(facts, Seq) else ()):
        if isinstance(fact, Map) and isinstance(fact.get("source"), str):
            line, col = places.key_mark(("facts", index), "source")
            ref = f", ref: {fact['ref']}" if isinstance(fact.get("ref"), str) else ""
            problems.append(Problem(file, line, col, (
                f"{places.name(('facts', index))}: replace 'source: {fact['source']}' with "
                f"'sources: [{{document: {fact['source']}, quote: \"...\"{ref}}}]', quoting the words this fact rests on"
            )))
    return problems


def check(root: Map, path: Path, patterns: Registry = PATTERNS) -> Source:
    """The source as records, or SourceError with every problem in it."""
    file = str(path)
    places = _Places(root)
    if root.get("format") == 1:
        raise SourceError(_format_1(root, places, file))
    errors = [] if _fast(patterns).is_valid(root) else list(_validator(patterns).iter_errors(root))
    problems = [_explain(e, places, file) for e in errors]
    broken = {tuple(e.absolute_path)[:2] for e in errors}
    # A control character the file holds as such was refused on loading; one written as a
    # YAML escape ("\x1f"), or text of invisible characters only, needs a walk over every
    # value, which only a file with a backslash or such a character pays for.
    values = _strings(root) if root.unusual else iter(())
    for value_path, value in values:
        bad = CONTROL_CHARS.search(value)
        line, col = places.mark(value_path)
        if bad:
            problems.append(Problem(file, line, col, f"{places.name(value_path)} holds control character U+{ord(bad.group()):04X}; delete it"))
            broken.add(value_path[:2])
        elif value.strip() and not INVISIBLE.sub("", value).strip():
            problems.append(Problem(file, line, col, f"{places.name(value_path)} holds only invisible characters; write the text"))
            broken.add(value_path[:2])
    sections = (root.get("documents"), root.get("decks"), root.get("facts"))
    if not (isinstance(sections[0], Map) and isinstance(sections[1], Seq) and isinstance(sections[2], Seq)):
        raise SourceError(problems)  # nothing further can be checked without them
    builder = _Builder(root, places, file, broken, patterns)
    documents = builder.documents(path.parent)
    decks, topics, topic_paths = builder.decks()
    facts, where = builder.facts(documents, topics)
    skips = builder.skips(documents)
    for key, pattern in patterns.items():
        for fact, key_name, message in pattern.check([f for f in facts if f.pattern == key]):
            builder.at((*where[fact.id], key_name), f"fact '{fact.id}': {message}")
    if not (problems or builder.problems):  # with other problems, a fact may only seem missing
        used = {f.topic.id for f in facts}
        for topic_id, topic_path in topic_paths.items():
            if topic_id not in used:
                builder.at((*topic_path, "id"), f"topic '{topic_id}' has no facts; add facts to it or remove it")
    problems += builder.problems
    if problems:
        raise SourceError(problems)
    note_types = {
        key: NoteTypeVersion(key, value["version"], value["migration"].strip()) for key, value in root.get("note_types", {}).items()
    }
    namespace = root.get("namespace")
    mark = places.mark(("namespace",)) if namespace is not None else (1, 1)
    inputs = {text.path: text.digest for text in builder.texts.values() if text is not None}
    return Source(path, documents, tuple(decks), tuple(facts), note_types, tuple(skips), namespace, mark, inputs, root.get("read_aloud"), patterns)


def read_source(path: Path, data: bytes | None = None, patterns: Registry = PATTERNS) -> Source:
    """Load and check `path` (whose bytes may be read already) against the patterns given:
    the one entry point from a file to records, which carry those patterns on."""
    return check(load(path, data), path, patterns)
