"""`render.py` renders cards as Anki's template engine does (lint and stats read cards through
it, without the engine): every card of the bundled deck and of the small test source (whose
clozes have several deletions), side by side with the real engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, copy_source
from engine import import_package, open_collection, visible_text

from cardgen import identity, package
from cardgen.assemble import notes_of
from cardgen.build import build
from cardgen.render import render
from cardgen.validate import read_source


@pytest.mark.parametrize("given", [ROOT / "source.yaml", FIXTURES / "small.yaml"], ids=["bundled", "small"])
def test_every_card_renders_as_the_real_engine_renders_it(given: Path, tmp_path: Path) -> None:
    source_path = copy_source(given, tmp_path)
    if given.parent == ROOT:
        shutil.copytree(ROOT / "decks", tmp_path / "decks")  # the namespace shipped
    build(source_path, tmp_path / "decks", cached=False)
    source = read_source(source_path)
    ours: dict[tuple[str, int], tuple[str, str]] = {}
    for spec in notes_of(source):
        pattern = source.patterns[spec.pattern]
        fields = {f.name: value for f, value in zip(pattern.fields, spec.fields, strict=True)}
        for ordinal in package.card_ords(package.model(pattern), spec.fields):
            template = pattern.templates[0 if pattern.cloze else ordinal]
            front = render(template.front, fields, ordinal, question=True)
            ours[(identity.note_guid(spec.pattern, spec.key, source.namespace or identity.LEGACY), ordinal)] = (
                visible_text(front),
                visible_text(render(template.back, fields, ordinal, question=False, front=front)),
            )
    col = open_collection(tmp_path / "anki")
    try:
        for apkg in sorted((tmp_path / "decks").glob("*.apkg")):
            import_package(col, apkg)
        engine = {}
        for card_id in col.find_cards(""):
            card = col.get_card(card_id)
            engine[(card.note().guid, card.ord)] = (visible_text(card.question()), visible_text(card.answer()))
    finally:
        col.close()
    assert len(ours) == len(engine) > 40
    assert {key: sides for key, sides in ours.items() if engine.get(key) != sides} == {}
