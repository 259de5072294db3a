"""Sets taught as sets: 'name two' with the whole set on the back, and distinctive member
-> group cards, never a list with one member blanked; checked in the real Anki engine."""

from __future__ import annotations

from pathlib import Path

from anki.collection import Collection
from conftest import build
from engine import import_package, render_problems, visible_text

from cardgen.assemble import notes_of
from cardgen.validate import read_source

SETS = """
  - id: calcium-set
    pattern: food_set
    topic: foods
    sources:
      - document: ms-bone
        quote: "Foods rich in calcium include: Milk, Yogurt, Cheese, Fortified Soy & Almond Milk, Sardines, Tofu, Kale, Cooked Spinach"
    nutrient: "Calcium"
    foods: [Milk, Yogurt, Cheese, Sardines, Tofu, Kale, {id: cooked-spinach, text: "Cooked Spinach", reverse: false}]
  - id: copper-set
    pattern: food_set
    topic: foods
    sources:
      - document: ms-bone
        quote: "Copper rich foods include: Sesame Seeds, Kale, Cashews"
    nutrient: "Copper"
    foods: [Sesame Seeds, Kale, Cashews]
  - id: high-impact-set
    pattern: exercise_set
    topic: basics
    sources:
      - document: ms-bone
        quote: "hiking, dancing, jogging, tennis, and climbing stairs are examples of high impact weight bearing exercises"
    kind: "High-impact weight-bearing exercise"
    examples: [hiking, dancing]
"""


def test_a_set_asks_for_any_two_and_each_distinctive_member_for_its_group(small: Path, tmp_path: Path, col: Collection) -> None:
    small.write_text(small.read_text().replace("facts:\n", "facts:\n" + SETS, 1))
    out = tmp_path / "decks"
    build(small, out)
    import_package(col, out / "bones.apkg")
    assert render_problems(col) == []
    cards = {
        visible_text(col.get_card(c).question()): visible_text(col.get_card(c).answer())
        for c in col.find_cards('"note:cardgen: foods (test-small)"')
    }
    calcium = cards["Foods for bone Name two foods rich in Calcium."]
    assert "Any two of: Milk, Yogurt, Cheese, Sardines, Tofu, Kale, Cooked Spinach" in calcium
    assert "Foods for bone Name two foods rich in Copper." in cards
    members = sorted(q.removeprefix("Foods for bone ") for q in cards if "which bone nutrient" in q)
    # Kale stands in both sets, Cooked Spinach is marked reverse: false: neither is asked.
    assert members == [
        f"{food}: rich in which bone nutrient?" for food in ("Cashews", "Cheese", "Milk", "Sardines", "Sesame Seeds", "Tofu", "Yogurt")
    ]
    assert cards["Foods for bone Tofu: rich in which bone nutrient?"].split("? ", 1)[1].startswith("Calcium Milk, Yogurt")
    assert not any("[…]" in q or "[...]" in q for q in cards)
    exercises = [visible_text(col.get_card(c).question()) for c in col.find_cards('"note:cardgen: exercises (test-small)"')]
    assert sorted(exercises) == [
        "Exercise for bone Name two examples of High-impact weight-bearing exercise.",
        "Exercise for bone dancing: an example of which kind of exercise?",
        "Exercise for bone hiking: an example of which kind of exercise?",
    ]
    message, ok = col.fix_integrity()
    assert ok and message == col.tr.database_check_rebuilt(), message


def test_new_cards_come_in_the_order_the_source_declares(small: Path, tmp_path: Path, col: Collection) -> None:
    """With default options, the scheduler hands out new cards in the source's fact order."""
    text = small.read_text()
    start = text.index("  - id: smoking\n")
    end = text.index("  - id: age\n")
    smoking = text[start:end]
    small.write_text(text[:start].replace("facts:\n", "facts:\n" + smoking, 1) + text[end:])  # a risk factor first
    out = tmp_path / "decks"
    build(small, out)
    import_package(col, out / "bones.apkg")
    col.decks.select(col.decks.id_for_name("Test Bones"))
    queued = [col.get_card(q.card.id) for q in col.sched.get_queued_cards(fetch_limit=6).cards]
    first = [visible_text(card.question()) for card in queued if card.ord == 0][:3]
    assert first[0].endswith("Smoking: can it be changed?"), first
    assert first[1] == "Bone health: what do bones protect?", first
    assert first[2].startswith("Osteoporosis is a [...]"), first


def test_a_member_card_is_given_away_only_by_a_front_that_shows_the_member(small: Path, tmp_path: Path) -> None:
    """'Name two foods rich in Calcium' names the answer of 'Tofu: rich in which nutrient?'
    but not tofu: no give-away. A front that shows tofu and calcium together is one."""
    import json

    from conftest import run

    text = small.read_text()
    lists = text[
        text.index("  - id: calcium-foods\n") : text.index("  - id: high-impact\n")
    ]  # the old lists show tofu and calcium together
    small.write_text(text.replace(lists, "").replace("facts:\n", "facts:\n" + SETS, 1))
    report = json.loads(run("lint", "--source", small, "--format", "json").stdout)
    assert [f["fact"] for f in report["findings"] if f["check"] == "give-away" and f["fact"] == "calcium-set"] == []
    hint = """
  - id: tofu-hint
    pattern: concept
    topic: foods
    sources:
      - document: ms-bone
        quote: "Foods rich in calcium include: Milk"
    prompt: "Foods for bone: tofu is rich in calcium; which dairy drink is too?"
    answer: "Milk"
"""
    small.write_text(small.read_text().replace("facts:\n", "facts:\n" + hint, 1))
    report = json.loads(run("lint", "--source", small, "--format", "json").stdout)
    assert "calcium-set" in [f["fact"] for f in report["findings"] if f["check"] == "give-away"]


def test_a_member_sharing_a_word_with_another_set_across_punctuation_asks_for_no_group(small: Path) -> None:
    """Words are compared with punctuation folded: 'Dark-green kale' and 'Dark leafy greens'
    share 'dark' and 'green', so neither may ask for its nutrient (two right answers)."""
    shared = SETS.replace("Sardines, Tofu, Kale, {id: cooked-spinach", "Sardines, Tofu, Dark-green kale, {id: cooked-spinach").replace(
        "[Sesame Seeds, Kale, Cashews]", "[Sesame Seeds, Dark leafy greens, Cashews]"
    )
    small.write_text(small.read_text().replace("facts:\n", "facts:\n" + shared, 1))
    members = {spec.key for spec in notes_of(read_source(small)) if spec.pattern == "food_set" and "/" in spec.key}
    assert "calcium-set/tofu" in members and "copper-set/cashews" in members
    assert "calcium-set/dark-green-kale" not in members and "copper-set/dark-leafy-greens" not in members
