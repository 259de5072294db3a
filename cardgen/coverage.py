"""What the documents say that no card carries: every sentence, quoted, skipped or neither.

A sentence is accounted for when a fact's quote (or one part of it) overlaps it, or when
a `skip` entry of the source covers it with a reason. A sentence with no letters (a
lone number, an emoji) says nothing to card and is not counted. A skip that covers only
sentences facts already quote is reported: it no longer says anything true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from cardgen.errors import CardgenError
from cardgen.evidence import DocumentError, Sentence, Text
from cardgen.records import Document, Skip, Source


@dataclass(frozen=True)
class Account:
    """One sentence of a document and what accounts for it."""

    sentence: Sentence
    facts: tuple[str, ...]  # the facts whose quotes touch it
    skips: tuple[str, ...]  # the reasons of the skips that cover it

    @property
    def substantive(self) -> bool:
        return any(ch.isalpha() for ch in self.sentence.text)

    @property
    def status(self) -> str:
        if self.facts:
            return "quoted"
        if not self.substantive:
            return "no words"
        return "skipped" if self.skips else "unaccounted"


@dataclass(frozen=True)
class Coverage:
    """A document's sentences, each accounted for or not, and the skips that cover nothing new."""

    document: Document
    accounts: tuple[Account, ...]
    redundant: tuple[Skip, ...]

    def count(self, status: str) -> int:
        return sum(1 for a in self.accounts if a.status == status)

    @property
    def total(self) -> int:
        return sum(1 for a in self.accounts if a.substantive)

    def reasons(self) -> dict[str, int]:
        """Skipped sentences per skip reason."""
        result: dict[str, int] = {}
        for account in self.accounts:
            if account.status == "skipped":
                result[account.skips[0]] = result.get(account.skips[0], 0) + 1
        return dict(sorted(result.items(), key=lambda kv: (-kv[1], kv[0])))


def coverage(source: Source) -> list[Coverage]:
    """Every document's sentences with the facts that quote them and the skips that cover them."""
    result = []
    for doc in source.documents.values():
        if doc.file is None:  # validation requires a file; a Source made by hand may lack one
            continue
        try:
            text = Text.read(doc.key, doc.file)
        except DocumentError as error:  # validation read it a moment ago
            raise CardgenError(str(error)) from None
        facts: dict[Sentence, list[str]] = {}
        for fact in source.facts:
            for citation in fact.sources:
                if citation.document.key == doc.key:
                    for sentence in _touched(text, citation.quote):
                        facts.setdefault(sentence, []).append(fact.id)
        skipped: dict[Sentence, list[str]] = {}
        redundant = []
        for skip in (s for s in source.skips if s.document.key == doc.key):
            covered = _touched(text, skip.quote)
            if covered and all(s in facts for s in covered):
                redundant.append(skip)
            for sentence in covered:
                skipped.setdefault(sentence, []).append(skip.reason)
        accounts = tuple(Account(s, tuple(dict.fromkeys(facts.get(s, ()))), tuple(skipped.get(s, ()))) for s in text.sentences)
        result.append(Coverage(doc, accounts, tuple(redundant)))
    return result


def _touched(text: Text, quote: str) -> tuple[Sentence, ...]:
    found = text.find(quote)
    return text.touched(found) if found is not None else ()


def as_json(coverages: Iterable[Coverage]) -> list[dict[str, Any]]:
    return [
        {
            "document": c.document.key,
            "title": c.document.title,
            "file": str(c.document.file),
            "sentences": c.total,
            "quoted": c.count("quoted"),
            "skipped": c.count("skipped"),
            "unaccounted": c.count("unaccounted"),
            "skip_reasons": c.reasons(),
            "redundant_skips": [{"quote": s.quote, "line": s.mark[0]} for s in c.redundant],
            "lines": [
                {"line": a.sentence.line, "text": a.sentence.text, "status": a.status, "facts": list(a.facts), "skips": list(a.skips)}
                for a in c.accounts
            ],
        }
        for c in coverages
    ]
