"""What every fact pattern shares: its declaration, escaping, the card style and tags."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Iterator, Literal, Protocol, Sequence

from cardgen.records import Fact, Item, NoteSpec

KeyKind = Literal["text", "list", "bool"]


@dataclass(frozen=True)
class Key:
    """A key a fact of this pattern may carry in source.yaml."""

    name: str
    kind: KeyKind
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class Field:
    """An Anki field; `key` is its identity (ids derive from it), `name` what Anki shows."""

    key: str
    name: str


@dataclass(frozen=True)
class Template:
    """An Anki card type; `key` is its identity, `name` what Anki shows."""

    key: str
    name: str
    front: str
    back: str
    reverse: bool = False  # asks for the fact's subject from its attribute: the answer must be unique


class Pattern(Protocol):
    """A fact pattern: the keys its facts carry and the note type its notes use."""

    @property
    def key(self) -> str:
        """Stable forever: the `pattern:` value in the source and part of every id."""
        ...

    @property
    def model_id(self) -> int:
        """The note type's id, fixed forever: learners' collections know it by this number (a
        project's own namespace derives its ids from it). A new pattern takes a number no other
        pattern has; the registry refuses a second one."""
        ...

    @property
    def name(self) -> str:
        """The note type's name in Anki; may change, the id keeps it in place."""
        ...

    @property
    def help(self) -> str: ...

    @property
    def keys(self) -> tuple[Key, ...]: ...

    @property
    def fields(self) -> tuple[Field, ...]: ...

    @property
    def templates(self) -> tuple[Template, ...]: ...

    @property
    def cloze(self) -> bool: ...

    def check(self, facts: Sequence[Fact]) -> Iterable[tuple[Fact, str, str]]:
        """Problems no key type can express, as (fact, key, message)."""
        ...

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        """The notes of all this pattern's facts (all at once: uniqueness spans facts)."""
        ...


EXTRA = Field("extra", "Extra")
SOURCE = Field("source", "Source")
REVERSE = Field("reverse", "Reverse")

CSS = """\
.card {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: 1.25rem;
  line-height: 1.5;
  text-align: left;
  color: #1d1d1f;
  background-color: #fdfdfd;
  max-width: 40em;
  margin: 0 auto;
  padding: 0.5em 1em;
  word-wrap: break-word;
  overflow-wrap: break-word;
}
.cue { font-size: 0.8em; color: #555; margin-bottom: 0.4em; }
.prompt { font-weight: 600; }
.answer { font-weight: 600; color: #0b5394; }
.blank, .cloze { font-weight: 700; color: #0b5394; }
.extra { margin-top: 0.8em; }
.members { margin-top: 0.3em; }
.source { margin-top: 1em; font-size: 0.75em; color: #555; }
.cite { margin-top: 0.3em; }
.cite .quote { font-style: italic; }
img { max-width: 100%; height: auto; }
hr#answer { border: none; border-top: 1px solid #ccc; margin: 0.8em 0; }
.mobile .card { font-size: 1.15rem; padding: 0.25em 0.5em; }
.nightMode.card, .night_mode.card, .nightMode .card, .night_mode .card {
  color: #e8e8e8;
  background-color: #1e1e1e;
}
.nightMode .cue, .night_mode .cue, .nightMode .source, .night_mode .source { color: #b0b0b0; }
.nightMode .answer, .night_mode .answer, .nightMode .blank, .night_mode .blank,
.nightMode .cloze, .night_mode .cloze { color: #8cc4ff; }
"""

BACK_TAIL = (
    '{{#Extra}}<div class="extra">{{Extra}}</div>{{/Extra}}\n'
    '<div class="source">Source: {{Source}}</div>'
)


def back(answer_html: str) -> str:
    """A back template: the front again, the answer, then explanation and source."""
    return f'{{{{FrontSide}}}}\n<hr id=answer>\n<div class="answer">{answer_html}</div>\n{BACK_TAIL}'


def spoken(template: Template, language: str) -> tuple[str, str]:
    """The card type's front and back with Anki's text-to-speech, which a learner replays with
    a button (or hears at once, unless the deck's options say not to): the front as shown,
    and on the back the answer (between the rule and the explanation), or for a cloze the
    whole filled-in text."""
    def say(part: str) -> str:
        return f"[anki:tts lang={language}]{part}[/anki:tts]"

    before, _, after = template.back.partition("<hr id=answer>")
    answer = after.split(BACK_TAIL, 1)[0].strip() or before.replace("{{FrontSide}}", "").strip()
    return template.front + say(template.front), template.back.replace(answer, answer + say(answer), 1)


def text(value: str) -> str:
    """Plain source text as field HTML: markup and template syntax stay literal."""
    escaped = html.escape(value, quote=True).replace("{", "&#123;").replace("}", "&#125;")
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def cite(fact: Fact) -> str:
    """Where a fact comes from, as shown on the back: each document's words, then the document."""
    result = []
    for citation in fact.sources:
        doc = citation.document
        who = f"<i>{text(doc.title)}</i>"
        if doc.author:
            who += f", {text(doc.author)}"
        if citation.ref is not None:
            who += f"; citing {text(doc.references[citation.ref])}"
        result.append(f'<div class="cite"><span class="quote">“{text(citation.quote)}”</span> — {who}</div>')
    return "".join(result)


def common(fact: Fact) -> tuple[str, str]:
    """The Extra and Source fields every note type ends with."""
    return (text(fact.extra) if fact.extra else "", cite(fact))


def slug(value: str) -> str:
    """A tag- and id-safe form of a name: 'Vitamin B12' -> 'vitamin-b12'.

    A name with no a-z or 0-9 at all (another script: '菠菜', 'шпинат') gets one from its
    letters' digest, so two such names are two ids, not one 'x' listed twice."""
    ascii_form = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    if ascii_form:
        return ascii_form
    letters = unicodedata.normalize("NFC", value).casefold().strip()
    return "u-" + hashlib.sha256(letters.encode()).hexdigest()[:10] if letters else "x"


def tags(fact: Fact, pattern: str, *subjects: str) -> tuple[str, ...]:
    """Hierarchical tags under the deck's root: by pattern, topic, source and subject."""
    root = fact.topic.deck_tag
    result = {f"{root}::pattern::{pattern}", f"{root}::topic::{fact.topic.id}"}
    result.update(f"{root}::source::{c.document.key}" for c in fact.sources)
    result.update(f"{root}::subject::{slug(s)}" for s in subjects)
    return tuple(sorted(result))


def norm(value: str) -> str:
    """How two answers are compared for uniqueness: case, spacing and punctuation folded."""
    return " ".join(re.sub(r"[^\w\s]", " ", value.lower()).split())


# Words that say nothing about which food or exercise is meant.
_FILLER = frozenset("a an and or of the in with to for on especially products product".split())


def _stem(word: str) -> str:
    """Crude, but the same on both sides: 'walking' and 'walk', 'oats' and 'oat' meet."""
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 3 and word.endswith("s"):
        return word[:-1]
    return word


def words(value: str) -> frozenset[str]:
    """The content words of a list member: 'Cooked Spinach' -> cooked, spinach."""
    return frozenset(_stem(w) for w in norm(value).split() if w not in _FILLER)


def items(fact: Fact, key: str) -> list[Item]:
    result: list[Item] = fact.data[key]
    return result
