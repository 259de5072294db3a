"""The bundled deck teaches what the two documents say: checked in the real Anki engine.

The food lists are read from the documents themselves (sources/, part of the project, so
these tests run on any clone) and compared, item by item and in order, with the notes Anki
imported.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Iterator

import pytest
from anki.collection import Collection
from conftest import ROOT
from engine import import_package, open_collection, visible_text

from cardgen.assemble import notes_of
from cardgen.patterns import PATTERNS
from cardgen.validate import read_source

MS_ARTICLE = ROOT / "sources" / "ms-bone.txt"
B12_ARTICLE = ROOT / "sources" / "b12.txt"
DECK = "Bone Health and MS"
# The MS article's names for its nutrients -> the deck's.
NUTRIENTS = {
    "calcium": "Calcium",
    "vitamin d": "Vitamin D",
    "protein": "Protein",
    "zinc": "Zinc",
    "copper": "Copper",
    "manganese": "Manganese",
    "iron": "Iron",
    "vitamin k": "Vitamin K",
    "vitamin c": "Vitamin C",
    "vitamin a": "Vitamin A",
    "vitamin b6": "Vitamin B6 (pyridoxine)",
    "folic acid": "Vitamin B9 (folic acid)",
    "vitamin b12": "Vitamin B12",
}


@pytest.fixture(scope="module")
def col(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collection]:
    collection = open_collection(tmp_path_factory.mktemp("anki"))
    try:
        facts = len(read_source(ROOT / "source.yaml").facts)
        assert import_package(collection, ROOT / "decks" / "bone-health-ms.apkg").new >= facts  # a note or more each
        yield collection
    finally:
        collection.close()


LIVE = "-tag:bone-health::retired"  # the notes this version teaches; retired ones ship once more


def notes(col: Collection, note_type: str) -> list[dict[str, str]]:
    return [dict(col.get_note(n).items()) for n in sorted(col.find_notes(f'"note:{note_type}" {LIVE}'))]


def all_text(col: Collection) -> str:
    return " ".join(visible_text(col.get_card(c).answer()) for c in col.find_cards(LIVE))


def food_sets(col: Collection) -> dict[str, tuple[str, str]]:
    """Nutrient -> (its set's members as the back lists them, the whole back of its set card)."""
    result = {}
    for n in col.find_notes(f'"note:cardgen: foods" Set:y {LIVE}'):
        note = col.get_note(n)
        (card,) = note.cards()
        result[visible_text(note["Nutrient"])] = (visible_text(note["Members"]), visible_text(card.answer()))
    return result


def test_every_food_list_of_the_ms_article_is_complete_and_in_order(col: Collection) -> None:
    text = MS_ARTICLE.read_text()
    found = re.findall(r"^(?:Foods rich in (.+?)|(\w+) rich foods) include:? ?(.+)$", text, re.M)
    assert len(found) == 13
    sets = food_sets(col)
    for rich_in, rich, foods in found:
        name = re.sub(r"\s*\(.*\)", "", rich_in or rich).strip().lower()
        expected = ", ".join(f.strip() for f in foods.split(","))
        members, _ = sets[NUTRIENTS[name]]
        assert members.startswith(expected), name  # the document's list first, in its order; the other's after


def test_every_source_list_of_the_b12_article_is_on_a_card(col: Collection) -> None:
    text = B12_ARTICLE.read_text()
    sets = food_sets(col)
    comparison = text.split("Comparison of Nutrients for Bone Health", 1)[1].split("Conclusion", 1)[0]
    rows = re.findall(r"^(Vitamin B12|Vitamin D|Calcium|Vitamin K|Magnesium) .+\. (.+)\.$", comparison, re.M)
    assert len(rows) == 5
    for nutrient, sources in rows:
        if nutrient in sets:
            _, back = sets[nutrient]
        else:  # only the table lists its sources, as "recommended", not as foods rich in it: one card asks them in those words
            (note,) = [n for n in notes(col, "cardgen: concept") if "recommends" in n["Prompt"] and nutrient.lower() in n["Prompt"].lower()]
            back = visible_text(" ".join(note.values()))
            assert nutrient == "Magnesium" and "Any two" in back
        missing = [s.strip() for s in sources.split(",") if s.strip().lower() not in back.lower()]
        assert missing == [], nutrient
    section = text.split("Sources of B12 for Bone Health", 1)[1].split("Is Vitamin B12 Good", 1)[0]
    items = re.findall(r"•\s+(.+)", section)
    assert len(items) == 10
    words = [w for item in items for w in re.findall(r"[A-Za-z-]+", item.lower()) if len(w) > 3 and w not in {"especially", "severe"}]
    deck = all_text(col).lower()
    assert [w for w in words if w.rstrip("s") not in deck] == []
    assert "liver" in deck and "clams" in deck and "mussels" in deck


def test_every_nutrient_has_its_role_from_each_document(col: Collection) -> None:
    """Each document's role statement for every nutrient stands on some card; a role both
    documents state is one note citing both."""
    roles = Counter(visible_text(n["Nutrient"]) for n in notes(col, "cardgen: nutrient role"))
    assert set(roles.values()) == {1}  # one note per nutrient's role, whatever the documents that state it
    both = {
        visible_text(n["Nutrient"])
        for n in notes(col, "cardgen: nutrient role")
        if "Bone Health With MS" in n["Source"] and "Understanding the Link" in n["Source"]
    }
    # The three roles both documents state. Vitamin B12's roles differ by document (MS article: bone
    # building proteins, iron metabolism; B12 article: homocysteine, osteoblasts): each is asked on
    # its own card, and the statements below check that both documents' words stand on a card.
    assert both == {"Calcium", "Vitamin D", "Vitamin K"}
    deck = " ".join(all_text(col).split()).lower()
    ms = MS_ARTICLE.read_text().split("But did you know", 1)[1]
    statements = re.findall(r"^((?:Protein|Zinc|Copper|Manganese|Iron|Vitamin \w+)\W.*?(?:is|provides) .+?\.)\s*$", ms, re.M)
    assert len(statements) == 11  # protein, zinc, copper, manganese, iron, K, C, A, B6, B9, B12
    comparison = B12_ARTICLE.read_text().split("Comparison of Nutrients for Bone Health", 1)[1].split("Conclusion", 1)[0]
    rows = re.findall(r"^(Vitamin B12|Vitamin D|Calcium|Vitamin K|Magnesium) (.+?\.) ", comparison, re.M)
    assert len(rows) == 5
    statements += [f"{nutrient} {role}" for nutrient, role in rows]
    assert [s for s in statements if " ".join(s.split()).lower() not in deck] == []
    comparison_effects = re.findall(r"^(Vitamin B12|Vitamin D|Calcium|Vitamin K|Magnesium) (.+?)\. (.+?)\. (.+)\.$", comparison, re.M)
    missing = [(n, part) for n, _, effect, _ in comparison_effects for part in re.split(r"[,;] ", effect) if part.lower() not in deck]
    assert missing == []  # every effect of deficiency the table gives is on some card


@pytest.mark.parametrize(
    ("category", "phrases"),
    [
        ("what bones do", ["protect our vital organs", "anchor our muscles", "Normal heart rhythm, muscle contraction, nerve function"]),
        (
            "risk factors",
            [
                "age",
                "gender",
                "family history",
                "Kick the smoking habit",
                "Don't consume alcohol in excess",
                "being underweight raises the risk of what? Bone loss",
                "have a higher risk of what accident? Falling",
                "certain medications",
                "underlying medical conditions",
            ],
        ),
        (
            "MS and bone",
            [
                "pro-inflammatory cytokines",
                "greater than 3-4 months",
                "anti-depressants",
                "not as low as osteoporosis",
                "more progressive the disease",
                "prevention is more effective",
            ],
        ),
        (
            "exercise",
            ["mechanical stress", "climbing stairs", "using an elliptical trainer", "elastic exercise bands", "tai chi", "Consult your MD"],
        ),
        (
            "vitamin B12",
            [
                "hyperhomocysteinemia",
                "cross-linking of collagen",
                "osteoblasts",
                "2005 USDA study",
                "mixed results",
                "Crohn's",
                "pernicious anemia",
                "tingling in the hands and feet",
                "B6",
                "remodeling",
                "Calcium and vitamin D",
            ],
        ),
    ],
)
def test_each_category_of_the_documents_is_taught(col: Collection, category: str, phrases: list[str]) -> None:
    text = all_text(col)
    missing = [p for p in phrases if p.lower() not in text.lower()]
    assert missing == [], f"{category}: {missing}"


def test_counts_per_note_type_match_the_source_and_every_card_names_its_source(col: Collection) -> None:
    source = read_source(ROOT / "source.yaml")
    expected = Counter(PATTERNS[spec.pattern].name for spec in notes_of(source))
    imported = Counter(col.get_note(n).note_type()["name"] for n in col.find_notes(LIVE))  # type: ignore[index]
    assert imported == expected
    assert set(imported) == {PATTERNS[f.pattern].name for f in source.facts}  # no note type without notes
    assert all("Source:" in visible_text(col.get_card(c).answer()) for c in col.find_cards(LIVE))
    subdecks = {col.decks.name(col.get_card(c).did) for c in col.find_cards(LIVE)}
    assert len(subdecks) == len(source.decks[0].topics) and all(d.startswith(f"{DECK}::") for d in subdecks)
    description = col.decks.get(col.decks.id_for_name(DECK))["desc"]  # type: ignore[index]
    assert "This content is for informational purposes only and should not replace professional medical advice." in description
    tags = {t for n in col.find_notes("") for t in col.get_note(n).tags}
    assert all(t.startswith("bone-health::") for t in tags)
