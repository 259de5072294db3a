"""Check the loaded source and turn it into typed records.

Structure (keys, types, required values) is checked against the published JSON Schema;
what a schema cannot say is checked here: ids unique, references that resolve, control
characters, each pattern's own rules. Every problem is collected, never just the first,
each at the line and column of the value or key at fault, with what to do about it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping

import jsonschema_rs

from cardgen.errors import Problem, SourceError
from cardgen.evidence import DocumentError, Text, excerpt
from cardgen.explain import Path_, Places, explain, format_1, hint
from cardgen.load import CONTROL_CHARS, INVISIBLE, Map, Seq, load
from cardgen.patterns import PATTERNS, Registry
from cardgen.patterns.base import slug
from cardgen.records import Citation, Deck, Document, Fact, Item, NoteTypeVersion, Skip, Source, Topic

if TYPE_CHECKING:
    import jsonschema

from cardgen.schema import source_schema


@lru_cache(maxsize=4)
def _validator(patterns: Registry) -> jsonschema.Draft7Validator:
    """Every error, with its path and keyword: for the messages of an invalid source."""
    import jsonschema  # only an invalid source needs it

    return jsonschema.Draft7Validator(source_schema(patterns))


@lru_cache(maxsize=4)
def _fast(patterns: Registry) -> jsonschema_rs.Draft7Validator:
    """The same schema in Rust: a valid source, the common case, passes in milliseconds."""
    return jsonschema_rs.Draft7Validator(source_schema(patterns))


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

    def __init__(self, root: Map, places: Places, file: str, broken: set[Path_], patterns: Registry) -> None:
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
            if not isinstance(entry, Map):
                return None  # the schema's message says what is wrong
            where: Path_ = (*path, "sources", index)
            key, quote, ref = entry.get("document"), entry.get("quote"), entry.get("ref")
            if not isinstance(key, str) or not self.resolve(where, "document", key, documents, "a document that does not exist:"):
                return None
            doc = documents[key]
            if isinstance(ref, str) and not self.resolve(where, "ref", ref, doc.references, f"a ref that document '{key}' does not list:"):
                return None
            if not isinstance(quote, str) or not quote.strip():
                return None
            self.verify(where, doc, quote, f"fact '{node.get('id')}'")
            result.append(Citation(doc, quote.strip(), ref if isinstance(ref, str) else None, entries.item_mark(index)))
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
            if not self.resolve(path, "document", entry["document"], documents, "a document that does not exist:"):
                continue
            doc = documents[entry["document"]]
            self.verify(path, doc, entry["quote"], f"skip {index + 1} (line {entries.item_mark(index)[0]})")
            result.append(Skip(doc, entry["quote"].strip(), entry["reason"].strip(), entries.item_mark(index)))
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
            self.at(
                path,
                f"{self.places.name(path)} is '{shown}', with an empty part around '::' that Anki shows as "
                "a deck named 'blank'; write a name there or remove the '::'",
            )
            return
        key = "::".join(part.casefold() for part in parts)
        if key in names:
            where, other = names[key]
            self.at(
                path,
                f"{self.places.name(path)} is '{shown}', the same deck to Anki as '{other}' at line "
                f"{self.places.mark(where)[0]} (Anki matches deck names ignoring case and the spaces around '::'), "
                "so their cards would land in one deck; rename one",
            )
            return
        names[key] = (path, shown)

    def resolve(self, owner: Path_, key: str, value: str, options: Mapping[str, Any], what: str) -> bool:
        """Whether `value`, at `key` of `owner`, is one of `options`; a problem there if not."""
        if value in options:
            return True
        self.at((*owner, key), f"{self.places.name(owner[:2])} names {what} '{value}'; {hint(value, options)}")
        return False

    def items(self, path: Path_, values: Seq) -> list[Item]:
        result: list[Item] = []
        first: dict[str, int] = {}
        for index, value in enumerate(values):
            if isinstance(value, Map):
                item = Item(value["id"], value["text"].strip(), values.item_mark(index), value.get("reverse", True))
            else:
                item = Item(slug(value), value.strip(), values.item_mark(index))
            if item.id in first:
                self.at(
                    (*path, index),
                    f"'{item.text}' is listed twice in {self.places.name(path)} (first at line {first[item.id]}); remove one, or give each an id",
                )
                continue
            first[item.id] = item.mark[0]
            result.append(item)
        return result

    def facts(self, documents: dict[str, Document], topics: dict[str, Topic]) -> tuple[list[Fact], dict[str, Path_]]:
        facts: list[Fact] = []
        where: dict[str, Path_] = {}
        keys = {name: pattern.keys for name, pattern in self.patterns.items()}  # a pattern may make them on each read
        for index, node in enumerate(self.root["facts"]):
            path: Path_ = ("facts", index)
            if not isinstance(node, Map):
                continue
            # References and ids are checked even on a fact with problems of its own.
            ok = path not in self.broken
            if isinstance(node.get("topic"), str):
                ok = self.resolve(path, "topic", node["topic"], topics, "a topic that does not exist:") and ok
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
            data: dict[str, Any] = {}
            for key in keys[node["pattern"]]:
                if key.name in node:
                    value = node[key.name]
                    data[key.name] = (
                        self.items((*path, key.name), value) if key.kind == "list" else (value.strip() if isinstance(value, str) else value)
                    )
            extra = node["extra"].strip() if "extra" in node else None
            accept = {check: reason.strip() for check, reason in node["accept"].items()} if "accept" in node else {}
            facts.append(Fact(node["id"], node["pattern"], topics[node["topic"]], tuple(citations or ()), extra, data, node.mark, accept))
        return facts, where


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def check(root: Map, path: Path, patterns: Registry = PATTERNS, whole: bool = True) -> Source:
    """The source as records, or SourceError with every problem in it; not `whole`: some of
    its facts only (an edit's, `edit` rebuilds), so a topic may have none here."""
    file = str(path)
    places = Places(root)
    if root.get("format") == 1:
        raise SourceError(format_1(root, places, file))
    errors = [] if _fast(patterns).is_valid(root) else list(_validator(patterns).iter_errors(root))
    problems = [explain(e, places, file) for e in errors]
    broken = {tuple(e.absolute_path)[:2] for e in errors}
    # A control character the file holds as such was refused on loading; one written as a
    # YAML escape ("\x1f"), or text of invisible characters only, needs a walk over every
    # value, which only a file with a backslash or such a character pays for.
    values = _strings(root) if root.unusual else iter(())
    for value_path, value in values:
        bad = CONTROL_CHARS.search(value)
        line, col = places.mark(value_path)
        if bad:
            problems.append(
                Problem(file, line, col, f"{places.name(value_path)} holds control character U+{ord(bad.group()):04X}; delete it")
            )
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
    by_pattern: dict[str, list[Fact]] = {key: [] for key in patterns}
    for fact in facts:
        by_pattern[fact.pattern].append(fact)
    for key, pattern in patterns.items():
        for fact, key_name, message in pattern.check(by_pattern[key]):
            builder.at((*where[fact.id], key_name), f"fact '{fact.id}': {message}")
    if whole and not (problems or builder.problems):  # with other problems, a fact may only seem missing
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
    return Source(
        path, documents, tuple(decks), tuple(facts), note_types, tuple(skips), namespace, mark, inputs, root.get("read_aloud"), patterns
    )


def read_source(path: Path, data: bytes | None = None, patterns: Registry = PATTERNS, text: str | None = None) -> Source:
    """Load and check `path` (whose bytes, or text, may be read already) against the patterns
    given: the one entry point from a file to records, which carry those patterns on."""
    return check(load(path, data, text), path, patterns)
