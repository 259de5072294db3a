"""The real Anki engine (the `anki` package), driven as a learner's client drives it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from pathlib import Path

from anki import import_export_pb2
from anki.collection import Collection, ImportAnkiPackageRequest

TEMPLATE_ERROR = re.compile(r"Found '\{\{|there is no field called|template-error|No cloze \d+ found", re.I)


@dataclass(frozen=True)
class Imported:
    new: int
    updated: int
    duplicate: int
    conflicting: int


def open_collection(folder: Path) -> Collection:
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_package(col: Collection, path: Path, always: bool = False) -> Imported:
    """Import with the options a learner gets by default (the engine's own presets), or
    with 'Update notes: Always', as a learner moving notes to a new note type is told to."""
    options = col._backend.get_import_anki_package_presets()
    if always:
        options.update_notes = import_export_pb2.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS
    log = col.import_anki_package(ImportAnkiPackageRequest(package_path=str(path), options=options)).log
    col.models._clear_cache()  # the Python layer caches note types; the import went past it
    return Imported(len(log.new), len(log.updated), len(log.duplicate), len(log.conflicting))


def visible_text(html: str) -> str:
    """What a learner would read: tags, styles, scripts, entities and read-aloud markers (the
    client shows a replay button there) stripped."""
    html = re.sub(r"<(style|script)>.*?</\1>|\[anki:play:[qa]:\d+\]", "", html, flags=re.S)
    html = re.sub(r"</?(div|br|hr|p)\b[^>]*>", " ", html)  # block tags part words, inline ones do not
    html = re.sub(r"<[^>]+>", "", html)
    return " ".join(unescape(html).replace("\xa0", " ").split())


def render_problems(col: Collection) -> list[str]:
    """Every card whose front or back renders empty or with a template error."""
    problems = []
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        question, answer = card.question(), card.answer()
        note = card.note()
        where = f"{note.note_type()['name']} card {card.ord} of note {note.guid}"
        if not visible_text(question):
            problems.append(f"{where}: empty front")
        if not visible_text(answer) or visible_text(answer) == visible_text(question):
            problems.append(f"{where}: empty back")
        if TEMPLATE_ERROR.search(question + answer):
            problems.append(f"{where}: template error: {visible_text(question + answer)[:200]}")
    return problems


def review(col: Collection, deck: str, limit: int) -> list[int]:
    """Study `deck` as a learner does: answer up to `limit` cards 'Good'; their ids."""
    deck_id = col.decks.id_for_name(deck)
    assert deck_id is not None, deck
    col.decks.select(deck_id)
    reviewed = []
    for _ in range(limit):
        card = col.sched.getCard()
        if card is None:
            break
        col.sched.answerCard(card, 3)
        reviewed.append(card.id)
    return reviewed
