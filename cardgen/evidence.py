"""The documents facts cite, and the quotes that tie each fact to its document's words.

A quote is verbatim: it is compared with the document after both are normalised the
same way (Unicode NFKC, case, runs of whitespace, every kind of quote mark, every kind
of dash and the spaces around it), never fuzzily. An ellipsis may join parts of one
paragraph (one line of the document: a table row is one line too), in order. When a
quote is not found, the closest sentence is named so the maintainer can see the slip.

Sentences (for `cardgen sources`) are split with pysbd, a rule-based segmenter that
knows abbreviations and decimals, one paragraph at a time.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

_QUOTES = re.compile('[\u2018\u2019\u201a\u201b\u2032\u2035\u00b4`\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb"]')
_DASHES = re.compile(r"\s*[\u2010\u2011\u2012\u2013\u2014\u2015\u2212-]\s*")
_SPACE = re.compile(r"\s+")
_ELLIPSIS = re.compile(r"\s*(?:\.\s*\.\s*\.|\u2026)\s*")
_BULLET = re.compile(r"^\s*(?:[\u2022\u25cf\u25aa*-]|\d+\.)\s+")
MAX_BYTES = 2 * 1024 * 1024  # a document, not a library


def normalise(value: str) -> str:
    """The form in which a quote and its document are compared."""
    value = unicodedata.normalize("NFKC", value).casefold()
    value = _QUOTES.sub("'", value)
    value = _DASHES.sub("-", value)
    return _SPACE.sub(" ", value).strip()


def parts(quote: str) -> list[str]:
    """A quote's parts, split at its ellipses; empty parts (a leading '...') dropped."""
    return [p for p in (normalise(x) for x in _ELLIPSIS.split(quote)) if p]


@dataclass(frozen=True)
class Sentence:
    line: int
    text: str  # as the document writes it
    norm: str


@dataclass(frozen=True)
class Found:
    """Where a quote stands: its paragraph and line, and its parts' spans in that paragraph."""

    paragraph: int
    line: int
    spans: tuple[tuple[int, int], ...]


class DocumentError(Exception):
    """A document file that cannot be read as text: says why and what to do."""


@dataclass(frozen=True)
class Text:
    """A document's text, by paragraph (line), ready for quotes and sentences."""

    key: str
    path: Path
    lines: tuple[str, ...]
    digest: str = ""  # sha256 of the bytes read: what a build's cache records it checked against
    _found: dict[str, Found | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def read(cls, key: str, path: Path) -> Text:
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise DocumentError(f"{path} is not a file; point 'file' at the document's text")
            if size > MAX_BYTES:
                raise DocumentError(f"{path} is {size:,} bytes; a document holds at most {MAX_BYTES:,}")
            data = path.read_bytes()
        except FileNotFoundError:
            raise DocumentError(f"{path} does not exist; add the document there or fix 'file'") from None
        except OSError as error:
            raise DocumentError(f"{path} cannot be read ({error.strerror}); check it") from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise DocumentError(f"{path}:{line}: byte 0x{data[error.start]:02x} is not UTF-8; save the document as UTF-8") from None
        if not text.strip():
            raise DocumentError(f"{path} is empty; a document needs its text")
        return cls(key, path, tuple(text.splitlines()), hashlib.sha256(data).hexdigest())

    @cached_property
    def paragraphs(self) -> tuple[tuple[int, str], ...]:
        """(line number, normalised text) of every non-empty line, bullet removed."""
        return tuple((n, normalise(_BULLET.sub("", line))) for n, line in enumerate(self.lines, 1) if line.strip())

    @cached_property
    def _joined(self) -> tuple[str, list[int]]:
        """Every paragraph on one string, '\\n' apart (never inside one), and where each starts."""
        starts, at = [], 0
        for _, para in self.paragraphs:
            starts.append(at)
            at += len(para) + 1
        return "\n".join(p for _, p in self.paragraphs), starts

    @cached_property
    def _by_line(self) -> dict[int, list[Sentence]]:
        result: dict[int, list[Sentence]] = {}
        for sentence in self.sentences:
            result.setdefault(sentence.line, []).append(sentence)
        return result

    @cached_property
    def sentences(self) -> tuple[Sentence, ...]:
        import pysbd  # only `cardgen sources` and a missed quote need sentences

        segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
        result = []
        for n, line in enumerate(self.lines, 1):
            para = _BULLET.sub("", line).strip()
            if para:
                for span in segmenter.segment(para):
                    text = span.sent.strip()
                    if text:
                        result.append(Sentence(n, text, normalise(text)))
        return tuple(result)

    def find(self, quote: str) -> Found | None:
        """Where the quote stands in one paragraph, its parts in order; None if nowhere."""
        if quote not in self._found:  # facts of one document often share a passage
            self._found[quote] = self._find(quote)
        return self._found[quote]

    @cached_property
    def _whole(self) -> dict[str, int]:
        """Paragraphs by their whole text (the first of equal ones): a quote that is one is there."""
        result: dict[str, int] = {}
        for index, (_, para) in enumerate(self.paragraphs):
            result.setdefault(para, index)
        return result

    def _find(self, quote: str) -> Found | None:
        wanted = parts(quote)
        if not wanted:
            return None
        # A short quote ("Eggs", a heading) may stand inside an earlier paragraph too; the
        # paragraph that is exactly the quote is the passage meant.
        whole = self._whole.get(wanted[0]) if len(wanted) == 1 else None
        if whole is not None:
            return Found(whole, self.paragraphs[whole][0], ((0, len(wanted[0])),))
        joined, starts = self._joined
        at = joined.find(wanted[0])
        while at >= 0:
            index = _paragraph_at(starts, at)
            para = self.paragraphs[index][1]
            spans, pos = [], at - starts[index]
            for part in wanted:
                hit = para.find(part, pos)
                if hit < 0:
                    break
                spans.append((hit, hit + len(part)))
                pos = hit + len(part)
            else:
                return Found(index, self.paragraphs[index][0], tuple(spans))
            at = joined.find(wanted[0], at + 1)
        return None

    def touched(self, found: Found) -> tuple[Sentence, ...]:
        """The sentences a found quote's parts overlap."""
        para = self.paragraphs[found.paragraph][1]
        touched, pos = [], 0
        for sentence in self._by_line.get(found.line, []):
            start = para.find(sentence.norm, pos)
            if start < 0:  # pysbd kept something normalising moved: fall back to word overlap
                start = pos
            end = start + len(sentence.norm)
            pos = end
            if any(a < end and b > start for a, b in found.spans):
                touched.append(sentence)
        return tuple(touched)

    def closest(self, quote: str) -> Sentence:
        """The sentence most like the quote (or its first missing part): for the error message."""
        wanted = max(parts(quote) or [normalise(quote)], key=len)
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(wanted)
        best, score = self.sentences[0], -1.0
        for sentence in self.sentences:
            matcher.set_seq1(sentence.norm)
            if matcher.real_quick_ratio() <= score or matcher.quick_ratio() <= score:
                continue
            ratio = matcher.ratio()
            if ratio > score:
                best, score = sentence, ratio
        return best


def _paragraph_at(starts: list[int], at: int) -> int:
    return bisect.bisect_right(starts, at) - 1


def excerpt(value: str, limit: int = 100) -> str:
    """A passage short enough for one line of an error message."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"
