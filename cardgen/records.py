"""The typed records that flow from the source to the packages."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple

if TYPE_CHECKING:
    from cardgen.patterns import Registry

Mark = tuple[int, int]


def _default_patterns() -> Registry:
    from cardgen.patterns import PATTERNS  # the patterns import these records

    return PATTERNS


@dataclass(frozen=True)
class Document:
    """A document that facts cite."""

    key: str
    title: str
    short: str
    author: str
    references: Mapping[str, str]
    file: Path | None = None  # the document's text, resolved against the source's folder


@dataclass(frozen=True)
class Topic:
    """A subdeck of one deck; its cards go to `<deck name>::<topic name>`."""

    id: str
    name: str
    deck: str  # the id of the deck it belongs to
    deck_name: str
    deck_tag: str  # the root of its notes' tags

    @cached_property  # asked for by every note of the topic: one string, made once
    def subdeck(self) -> str:
        return f"{self.deck_name}::{self.name}"


@dataclass(frozen=True)
class Deck:
    """One `.apkg` package."""

    id: str
    name: str
    tag: str
    description: str
    topics: tuple[Topic, ...]


# Facts, their citations and their list members are named tuples, not frozen dataclasses:
# a large source has tens of thousands of each, and a frozen dataclass costs twice the time
# to make (its __init__ goes through object.__setattr__ for each field).


class Item(NamedTuple):
    """A member of a fact's list (a food, an exercise); its id keeps its notes' identity."""

    id: str
    text: str
    mark: Mark
    reverse: bool = True  # False: never ask for the group from this member


class Citation(NamedTuple):
    """One document a fact rests on, with the document's own words (already verified)."""

    document: Document
    quote: str
    ref: str | None
    mark: Mark


@dataclass(frozen=True)
class Skip:
    """A passage of a document deliberately carded by no fact, and why."""

    document: Document
    quote: str
    reason: str
    mark: Mark


class Fact(NamedTuple):
    """One fact of the source; `data` holds its pattern's own keys, already checked."""

    id: str
    pattern: str
    topic: Topic
    sources: tuple[Citation, ...]
    extra: str | None
    data: Mapping[str, Any]
    mark: Mark
    accept: Mapping[str, str] = MappingProxyType({})  # lint check -> the maintainer's reason

    @property
    def document(self) -> Document:
        """The first document cited: the one a card names as its context cue."""
        return self.sources[0].document


@dataclass(frozen=True)
class NoteTypeVersion:
    """A maintainer's declaration that a pattern's note type changed schema, and how to move."""

    pattern: str
    version: int
    migration: str


@dataclass(frozen=True)
class Source:
    """A whole, valid source."""

    path: Path
    documents: Mapping[str, Document]
    decks: tuple[Deck, ...]
    facts: tuple[Fact, ...]
    note_types: Mapping[str, NoteTypeVersion] = field(default_factory=dict)
    skips: tuple[Skip, ...] = ()
    namespace: str | None = None  # this project's identity in learners' collections
    namespace_mark: tuple[int, int] = (1, 1)  # where it is declared, or the top of the file
    inputs: Mapping[Path, str] = field(default_factory=dict)  # each document file -> sha256 of the bytes checked
    read_aloud: str | None = None  # a language (en_US): fronts and answers carry Anki's text-to-speech
    patterns: Registry = field(default_factory=_default_patterns)  # the patterns it was checked against


class NoteSpec(NamedTuple):  # one for every note: a named tuple, as Fact
    """A note a pattern makes from a fact: field HTML keyed by field key, in model order."""

    pattern: str
    key: str  # unique within the pattern: the fact id, or `<fact id>/<item id>`
    fact: Fact
    fields: tuple[str, ...]
    tags: tuple[str, ...] = ()
