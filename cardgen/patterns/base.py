"""What every fact pattern shares: its declaration, escaping, the card style and tags."""

from __future__ import annotations

import functools
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
    """A fact pattern: the keys its facts carry and the note type its notes use.

    A pattern may also say `per_fact = True`: the notes it makes of a fact, and the problems
    it finds in one, come of that fact alone, in the facts' order. A build of an edit then
    reads only the edited facts of it (`edit`); without it, all of the pattern's facts.
    """

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

# Written for learners with blurred or double vision and fatigue (tests/test_a11y.py holds
# it to WCAG 2.2 AA with axe-core, plus: text at 7:1 contrast in both modes, none under
# 16 px, a blank and an answer marked by shape as well as colour, nothing that moves).
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
.cue { font-size: max(16px, 0.85em); color: #555; margin-bottom: 0.4em; }
.prompt { font-weight: 600; }
.answer {
  font-weight: 700; color: #0b5394;
  border-left: 0.25em solid currentColor; padding-left: 0.5em;
}
.cloze {
  font-weight: 700; color: #0b5394;
  text-decoration: underline 0.1em; text-underline-offset: 0.2em;
}
.blank, .cloze[data-cloze] {
  font-weight: 700; color: #0b5394; text-decoration: none;
  border: 2px dashed currentColor; border-radius: 0.25em; padding: 0 0.25em;
}
.extra { margin-top: 0.8em; }
.members { margin-top: 0.3em; }
.source { margin-top: 1em; font-size: max(16px, 0.85em); color: #555; }
.cite { margin-top: 0.3em; }
.cite .quote { font-style: italic; }
img { max-width: 100%; height: auto; }
hr#answer { border: none; border-top: 1px solid #767676; margin: 0.8em 0; }
.sr-only {  /* heard, not seen: the usual 1 px box, in em as every width here */
  position: absolute; width: 0.05em; height: 0.05em; margin: 0; padding: 0; border: 0;
  overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
}
/* AnkiDroid and AnkiMobile mark the page .mobile: on the html element or on the card's own. */
.mobile.card, .mobile .card { font-size: 1.15rem; padding: 0.25em 0.5em; }
.nightMode.card, .night_mode.card, .nightMode .card, .night_mode .card {
  color: #e8e8e8;
  background-color: #1e1e1e;
}
.nightMode .cue, .night_mode .cue, .nightMode .source, .night_mode .source { color: #b0b0b0; }
.nightMode .answer, .night_mode .answer, .nightMode .blank, .night_mode .blank,
.nightMode .cloze, .night_mode .cloze { color: #8cc4ff; }
.nightMode hr#answer, .night_mode hr#answer { border-top-color: #8a8a8a; }
/* Nothing on a card moves or blinks, whatever a field's HTML brings, and with or without
   the learner's "reduce motion" setting. */
.card, .card * { animation: none !important; transition: none !important; scroll-behavior: auto !important; }
"""

# Anki writes a cloze blank as "[...]", which a screen reader reads as "left bracket dot dot
# dot", and no template can reach inside it; so the reviewer's own script relabels it: the
# brackets hidden from the reader, a "blank" only the reader hears. An answer is announced as
# one. Each element is labelled once (the back repeats the front's script via FrontSide).
# Without scripts (some clients) the card looks the same and reads as before. No "{{" or "}}":
# Anki's template engine would read them.
LABELS = """<script>
(function () {
  function said(words) {
    var s = document.createElement("span");
    s.className = "sr-only";
    s.textContent = words;
    return s;
  }
  document.querySelectorAll(".cloze[data-cloze]:not([data-said]), .blank:not([data-said])").forEach(function (blank) {
    var shown = document.createElement("span");
    shown.setAttribute("aria-hidden", "true");
    while (blank.firstChild) shown.appendChild(blank.firstChild);
    var hint = shown.textContent.replace(/^\\s*\\[|\\]\\s*$/g, "");
    blank.appendChild(shown);
    blank.appendChild(said(/^(\\.\\.\\.|…)$/.test(hint) ? "blank" : "blank, hint: " + hint));
    blank.setAttribute("data-said", "");
  });
  document.querySelectorAll(".answer:not([data-said]), .cloze:not([data-cloze]):not([data-said])").forEach(function (answer) {
    answer.insertBefore(said("Answer: "), answer.firstChild);
    answer.setAttribute("data-said", "");
  });
})();
</script>"""

BACK_TAIL = '{{#Extra}}<div class="extra">{{Extra}}</div>{{/Extra}}\n<div class="source">Source: {{Source}}</div>\n' + LABELS


def back(answer_html: str) -> str:
    """A back template: the front again, the answer, then explanation and source."""
    return f'{{{{FrontSide}}}}\n<hr id=answer>\n<div class="answer">{answer_html}</div>\n{BACK_TAIL}'


def spoken(template: Template, language: str) -> tuple[str, str]:
    """The card type's front and back with Anki's text-to-speech, which a learner replays with
    a button (or hears at once, unless the deck's options say not to): the front as shown,
    and on the back the answer (between the rule and the explanation), or for a cloze the
    whole filled-in text."""

    def say(part: str) -> str:  # a script (LABELS) is for screen readers, not to be spoken twice
        return f"[anki:tts lang={language}]{re.sub(r'<script>.*?</script>', '', part, flags=re.S)}[/anki:tts]"

    before, _, after = template.back.partition("<hr id=answer>")
    answer = after.split(BACK_TAIL, 1)[0].strip() or before.replace("{{FrontSide}}", "").strip()
    return template.front + say(template.front), template.back.replace(answer, answer + say(answer), 1)


_MARKUP = re.compile(r"[&<>\"'{}\r\n]")  # what text() changes: most values hold none of it


def text(value: str) -> str:
    """Plain source text as field HTML: markup and template syntax stay literal."""
    if _MARKUP.search(value) is None:
        return value
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


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(value: str) -> str:
    """A tag- and id-safe form of a name: 'Vitamin B12' -> 'vitamin-b12'.

    A name with no a-z or 0-9 at all (another script: '菠菜', 'шпинат') gets one from its
    letters' digest, so two such names are two ids, not one 'x' listed twice."""
    ascii_form = _NOT_SLUG.sub("-", value.lower()).strip("-")
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


_PUNCTUATION = re.compile(r"[^\w\s]")


def norm(value: str) -> str:
    """How two answers are compared for uniqueness: case, spacing and punctuation folded."""
    return " ".join(_PUNCTUATION.sub(" ", value.lower()).split())


# Words that say nothing about which food or exercise is meant.
_FILLER = frozenset("a an and or of the in with to for on especially products product".split())


@functools.lru_cache(maxsize=65536)  # a deck's words repeat: a large build asks for the same stems again and again
def _stem(word: str) -> str:
    """Crude, but the same on both sides: 'walking' and 'walk', 'oats' and 'oat' meet."""
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 3 and word.endswith("s"):
        return word[:-1]
    return word


def words(value: str) -> frozenset[str]:
    """The content words of a list member: 'Cooked Spinach' -> cooked, spinach (the words of
    its `norm`, without joining them to split them again)."""
    return frozenset(_stem(w) for w in _PUNCTUATION.sub(" ", value.lower()).split() if w not in _FILLER)


def items(fact: Fact, key: str) -> list[Item]:
    result: list[Item] = fact.data[key]
    return result
