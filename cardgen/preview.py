"""A self-contained HTML gallery of every card, rendered by the real Anki engine.

The source is built as `build` would, imported into a throwaway collection, and each
card's question and answer HTML (with its note type's CSS) taken from the engine: what
the gallery shows is what Anki shows. The gallery needs no network: one HTML file.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from cardgen import atomic, identity
from cardgen.assemble import compile_source, notes_of
from cardgen.errors import CardgenError
from cardgen.identity import Clock
from cardgen.lint import lint
from cardgen.lock import Lock
from cardgen.patterns import PATTERNS, Registry
from cardgen.render import visible
from cardgen.validate import read_source

GALLERY = Path(__file__).with_name("gallery.html")
# Where a card's text-to-speech stands, Anki's reviewer shows a replay button; so does the
# gallery (which does not speak), instead of the engine's "[anki:play:q:0]".
PLAY = re.compile(r"\[anki:play:[qa]:\d+\]")
REPLAY = '<span class="replay-button" role="img" aria-label="replay button: read aloud">&#9654;</span>'
PLACEHOLDER = "/*CARDS*/[]"


class EngineMissing(CardgenError):
    """The optional Anki engine is not installed."""


@dataclass(frozen=True)
class PreviewCard:
    deck: str
    note_type: str
    template: str
    ord: int  # the card's number in its note, from 0: the reviewer's body class is card{ord+1}
    fact: str
    tags: list[str]
    source: str
    question: str
    answer: str
    findings: list[str]
    text: str  # what the filter searches


def render_cards(source_path: Path, patterns: Registry = PATTERNS) -> list[PreviewCard]:
    """Every card of every deck as the Anki engine renders it."""
    try:
        from anki.collection import Collection, ImportAnkiPackageRequest
    except ImportError:
        raise EngineMissing(
            "cardgen preview renders cards with the Anki engine, which is not installed; install it with: pip install 'cardgen[preview]'"
        ) from None
    source = read_source(source_path, patterns=patterns)
    namespace = source.namespace or identity.LEGACY
    compiled = compile_source(source, Lock(namespace=namespace), Clock())
    specs = {identity.note_guid(s.pattern, s.key, namespace): s for s in notes_of(source)}
    findings: dict[str, list[str]] = {}
    for finding in lint(source).findings:
        findings.setdefault(finding.fact or "", []).append(f"{finding.severity}: [{finding.check}] {finding.message}")
    cards: list[PreviewCard] = []
    with tempfile.TemporaryDirectory(prefix="cardgen-preview-") as scratch:
        col = Collection(str(Path(scratch) / "collection.anki2"))
        try:
            options = col._backend.get_import_anki_package_presets()
            for name, data in compiled.files.items():
                if name.endswith(".apkg"):
                    package = Path(scratch) / name
                    package.write_bytes(data)
                    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package), options=options))
            for card_id in sorted(col.find_cards("")):
                card = col.get_card(card_id)
                note = card.note()
                spec = specs[note.guid]
                note_type = note.note_type()
                assert note_type is not None
                template = note_type["tmpls"][0 if source.patterns[spec.pattern].cloze else card.ord]["name"]
                question, answer = (PLAY.sub(REPLAY, side) for side in (card.question(), card.answer()))
                cards.append(
                    PreviewCard(
                        deck=col.decks.name(card.did),
                        note_type=note_type["name"],
                        template=template,
                        ord=card.ord,
                        fact=spec.fact.id,
                        tags=sorted(note.tags),
                        source=visible(spec.fields[-1]),
                        question=question,
                        answer=answer,
                        findings=findings.get(spec.fact.id, []),
                        text=" ".join([spec.fact.id, visible(question), visible(answer)]).lower(),
                    )
                )
        finally:
            col.close()
    return sorted(cards, key=lambda c: (c.deck, c.note_type, c.fact, c.template))


def write_gallery(cards: list[PreviewCard], out: Path) -> Path:
    """Write out/index.html; the previous gallery is replaced whole or not at all."""
    # No "<" at all in the script's data: "</script", and "<!--" followed by "<script", each
    # change how a browser reads a script element (the second showed a gallery of 0 cards).
    data = json.dumps([asdict(c) for c in cards], ensure_ascii=False).replace("<", "\\u003c")
    page = GALLERY.read_text(encoding="utf-8").replace(PLACEHOLDER, data)
    target = out / "index.html"
    atomic.write_all(out, {"index.html": page.encode("utf-8")})
    return target
