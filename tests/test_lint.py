"""cardgen lint: each check fires on a fixture that breaks its rule and stays quiet on one that keeps it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT, copy_source, documents_beside, run

from cardgen.interference import _uncited, citation_pattern
from cardgen.lint import Card, _per_card, cards_of, lint, template_problems
from cardgen.patterns import PATTERNS
from cardgen.patterns.base import CSS
from cardgen.quality import CHECKS
from cardgen.validate import read_source

CLEAN = FIXTURES / "lint" / "clean.yaml"
ANSWER = '    answer: "Our vital organs"'
PROMPT = '    prompt: "Bone health: what do bones protect?"'
EXTRA_FACT = """
  - id: {id}
    pattern: concept
    topic: {topic}
    sources:
      - document: ms-bone
        quote: "protect our vital organs"
    prompt: "{prompt}"
    answer: "{answer}"
"""

# check -> (severity, edits to the clean source that break the rule)
BREAKS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "items-per-card": ("error", [(ANSWER, '    answer: "Organs, muscles, minerals and nerves"')]),
    "answer-length": ("error", [(ANSWER, '    answer: "' + " ".join(["organs"] * 21) + '"')]),
    "prompt-length": ("warning", [(PROMPT, '    prompt: "Bone health: ' + " ".join(["what"] * 28) + '?"')]),
    "identical-fronts": (
        "error",
        [
            (
                "facts:\n",
                "facts:\n" + EXTRA_FACT.format(id="twin", topic="basics", prompt="Bone health: what do bones protect?", answer="Our brain"),
            )
        ],
    ),
    "near-identical-fronts": (
        "warning",
        [
            (
                "facts:\n",
                "facts:\n"
                + EXTRA_FACT.format(id="twin", topic="basics", prompt="Bone health: what do bones protect, then?", answer="Our brain"),
            )
        ],
    ),
    "reverse-not-unique": (
        "error",
        [
            (
                '    role: "is involved in enzyme reactions and collagen synthesis"\n',
                '    role: "is involved in enzyme reactions and collagen synthesis"\n'
                '  - id: copper-role\n    pattern: nutrient_role\n    topic: basics\n    sources:\n      - document: ms-bone\n        quote: "Copper is involved in enzyme reactions"\n'
                '    nutrient: "Copper"\n    role: "is involved in enzyme reactions and in collagen synthesis"\n',
            ),
        ],
    ),
    "answer-in-prompt": ("error", [(PROMPT, '    prompt: "Bone health: what do bones protect, our vital organs?"')]),
    "yes-no": ("error", [(ANSWER, '    answer: "Yes, our vital organs"')]),
    "enumeration-blank": ("error", [("[Milk, Yogurt, Cheese, Kale", "[Milk, Yogurt, Cheese, Sardines, Kale")]),
    "source-only-difference": (
        "error",
        [
            (
                '    role: "is an enzyme reaction cofactor"\n  - id: vitamin-c-role',
                '    role: "is an enzyme reaction cofactor"\n  - id: vitamin-k-role-b12\n    pattern: nutrient_role\n    topic: basics\n'
                '    sources:\n      - document: b12\n        quote: "Vitamin K Activates proteins involved in bone formation"\n'
                '    nutrient: "Vitamin K"\n    role: "Activates proteins involved in bone formation"\n'
                '    cue: "B12 article\'s comparison table"\n  - id: vitamin-c-role',
            ),
        ],
    ),
    "give-away": (
        "warning",
        [
            (
                "facts:\n",
                "facts:\n"
                + EXTRA_FACT.format(
                    id="shield", topic="basics", prompt="Bone health: besides our vital organs, what do bones anchor?", answer="Our muscles"
                ),
            )
        ],
    ),
    "front-length": (
        "warning",
        [
            (
                PROMPT,
                "    prompt: \"Bone health, as the dietitian's article on multiple sclerosis explains in the opening paragraphs of its section on the skeleton's many functions: what do bones protect?\"",
            )
        ],
    ),
    "single-card-topic": (
        "warning",
        [
            (
                '      - id: foods\n        name: "Foods"\n',
                '      - id: foods\n        name: "Foods"\n      - id: lonely\n        name: "Lonely"\n',
            ),
            (
                "facts:\n",
                "facts:\n"
                + EXTRA_FACT.format(id="alone", topic="lonely", prompt="Bone health: what does the skeleton store?", answer="Calcium"),
            ),
        ],
    ),
}


def facts_found(report: dict[str, Any], check: str) -> list[str]:
    """The facts a check finds something on (not a stale acceptance of it)."""
    return [f["fact"] for f in report["findings"] if f["check"] == check and "no longer finds" not in f["message"]]


def lint_json(path: Path, *flags: str) -> tuple[int, dict]:
    result = run("lint", "--source", path, "--format", "json", *flags)
    return result.exit_code, json.loads(result.output)


def broken(tmp_path: Path, edits: list[tuple[str, str]]) -> Path:
    text = CLEAN.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "source.yaml"
    path.write_text(text)
    documents_beside(tmp_path)
    return path


def test_the_clean_fixture_passes_strict() -> None:
    result = run("lint", "--strict", "--source", CLEAN)
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings" in result.output
    # The list note types show every member on its siblings' fronts; the fixture says so.
    accepted = lint(read_source(CLEAN)).accepted
    assert {(f.fact, f.check) for f in accepted} == {(fact, "give-away") for fact in ("calcium-foods", "copper-foods", "high-impact")}


@pytest.mark.parametrize("check", sorted(BREAKS))
def test_each_check_fires_where_its_rule_is_broken(check: str, tmp_path: Path) -> None:
    severity, edits = BREAKS[check]
    path = broken(tmp_path, edits)
    code, report = lint_json(path)
    hits = [f for f in report["findings"] if f["check"] == check and "no longer finds" not in f["message"]]
    assert hits, report["findings"]
    assert hits[0]["severity"] == severity
    assert hits[0]["file"] == str(path) and hits[0]["line"] > 1
    assert code == (1 if severity == "error" else 0)
    assert run("lint", "--strict", "--source", path).exit_code == 1
    text = run("lint", "--source", path).output
    group = text.split(f"{severity}s:\n", 1)[1].split("s:\n", 1)[0]
    assert f"{path}:{hits[0]['line']}:{hits[0]['column']}: [{check}] " in group


def _card(**changes: object) -> Card:
    card = cards_of(read_source(CLEAN))[0]
    return dataclasses.replace(card, **changes)


@pytest.mark.parametrize(
    ("check", "changes"),
    [
        ("missing-source", {"back": "Our vital organs Source:"}),
        ("empty-render", {"front": ""}),
        ("unsafe-markup", {"fields_html": ("<script>alert(1)</script>",)}),
        ("unsafe-markup", {"fields_html": ('<img src=x onerror="x()">',)}),
        ("unsafe-markup", {"fields_html": ('<a href="javascript:x()">more</a>',)}),
    ],
)
def test_checks_no_source_can_trigger_still_guard_the_cards(check: str, changes: dict) -> None:
    """The generator escapes text and demands a source, so these fire only if it regresses."""
    assert check not in {c for c, _, _ in _per_card(_card())}
    assert check in {c for c, _, _ in _per_card(_card(**changes))}


@pytest.mark.parametrize("text", ["one = one", "Done = finished", "javascript: a language", "the onset = the start"])
def test_text_that_only_looks_like_markup_is_not_unsafe(text: str) -> None:
    assert "unsafe-markup" not in {c for c, _, _ in _per_card(_card(fields_html=(text,)))}


CLOZE_FACT = """
  - id: calcium-cloze
    pattern: cloze
    topic: foods
    sources:
      - document: ms-bone
        quote: "Foods rich in calcium include"
    text: "{text}"
"""


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("Calcium-rich foods include [[milk]], yogurt, cheese, sardines, tofu and kale.", True),
        ("Calcium-rich foods: milk, yogurt, [[cheese]], sardines, tofu, kale.", True),
        ("Calcium-rich foods include [[milk]], yogurt, cheese and kale.", False),
        ("Calcium-rich foods include [[milk]], which also brings protein, vitamin D, phosphorus and more.", False),
    ],
    ids=["six-with-and", "six-after-colon", "four", "prose"],
)
def test_a_blank_in_a_shown_list_of_six_is_caught_in_any_note_type(text: str, fires: bool, tmp_path: Path) -> None:
    """Read from the rendered front, not the pattern: a cloze that blanks a list member counts too."""
    path = broken(tmp_path, [("facts:\n", "facts:\n" + CLOZE_FACT.format(text=text))])
    _, report = lint_json(path)
    assert facts_found(report, "enumeration-blank") == (["calcium-cloze"] if fires else [])


@pytest.mark.parametrize(
    ("front", "fires"),
    [
        ("Sources of Zinc (MS bone-health article) […], Cashews, Quinoa, Beef, Lamb, Turkey", True),
        ("Sources of Zinc (MS bone-health article) […], Cashews, Quinoa, Beef, Lamb", False),
        ("Zinc foods (1 of 6). Name one besides Cashews: […]", False),
    ],
)
def test_the_list_is_counted_around_the_blank(front: str, fires: bool) -> None:
    assert ("enumeration-blank" in {c for c, _, _ in _per_card(_card(front=front))}) == fires


def test_source_only_difference_needs_different_answers_and_knows_the_cues(tmp_path: Path) -> None:
    same_answer = BREAKS["source-only-difference"][1][0]
    path = broken(
        tmp_path,
        [
            (
                same_answer[0],
                same_answer[1].replace('role: "Activates proteins involved in bone formation"', 'role: "is an enzyme reaction cofactor"'),
            )
        ],
    )
    _, report = lint_json(path)
    assert facts_found(report, "source-only-difference") == []
    citations = citation_pattern(["MS bone-health article", "B12 article", "B12 article's comparison table"])
    fronts = [
        "What can a deficiency of Vitamin K lead to, per the B12 article's comparison table?",
        "What can a deficiency of Vitamin K lead to, per the MS bone-health article?",
        "MS bone-health article: what can a deficiency of Vitamin K lead to",
    ]
    assert {_uncited(f, citations) for f in fronts} == {"what can a deficiency of vitamin k lead to"}
    assert _uncited("B12 article: what do B12 levels do?", citations) == "what do b12 levels do"


@pytest.mark.parametrize(("topic", "found"), [("basics", ["bones-protect"]), ("b12-topic", [])], ids=["same-deck", "other-deck"])
def test_give_away_names_the_answer_shown_elsewhere_in_its_deck(topic: str, found: list[str], tmp_path: Path) -> None:
    """Only across notes here; two deletions of one cloze are tested below."""
    prompt = "Bone health: besides our vital organs, what do bones anchor?"
    path = broken(tmp_path, [("facts:\n", "facts:\n" + EXTRA_FACT.format(id="shield", topic=topic, prompt=prompt, answer="Our muscles"))])
    _, report = lint_json(path)
    assert facts_found(report, "give-away") == found
    assert len(report["accepted"]) == 3  # the list siblings still give each other away


@pytest.mark.parametrize("showing", [0, 3], ids=["alone", "also-vocabulary"])
def test_two_deletions_of_one_cloze_give_each_other_away(showing: int, tmp_path: Path) -> None:
    """However many other facts also show the answer: the sibling shows it on this card's text."""
    extra = "".join(
        EXTRA_FACT.format(id=f"mass-{n}", topic="basics", prompt=f"Bone health, case {n}: what does bone mass measure?", answer=f"Mass {n}")
        for n in range(showing)
    )
    path = broken(tmp_path, [("reduction in bone mass.", "reduction in [[bone mass]]."), ("facts:\n", "facts:\n" + extra)])
    _, report = lint_json(path)
    assert facts_found(report, "give-away") == ["osteoporosis-definition"]
    (finding,) = [f for f in report["findings"] if f["check"] == "give-away"]
    assert "a sibling card of its own note" in finding["message"]
    assert finding["cards"] == 2  # both deletions, 'bone mass' too


@pytest.mark.parametrize(("showing", "found"), [(2, ["bones-protect"]), (3, [])], ids=["two-facts", "vocabulary"])
def test_an_answer_many_facts_show_is_vocabulary_not_a_give_away(showing: int, found: list[str], tmp_path: Path) -> None:
    extra = "".join(
        EXTRA_FACT.format(
            id=f"shows-{n}", topic="basics", prompt=f"Bone health, case {n}: what shields our vital organs?", answer=f"Bones {n}"
        )
        for n in range(showing)
    )
    path = broken(tmp_path, [("facts:\n", "facts:\n" + extra)])
    _, report = lint_json(path)
    assert facts_found(report, "give-away") == found


def test_front_length_counts_visible_characters(tmp_path: Path) -> None:
    prompt = "Bone health: " + "x" * (160 - len("Bone health: ") - 1) + "?"
    path = broken(tmp_path, [(PROMPT, f'    prompt: "{prompt}"')])
    _, report = lint_json(path)
    assert facts_found(report, "front-length") == []
    path = broken(tmp_path, [(PROMPT, f'    prompt: "{prompt}?"')])
    _, report = lint_json(path)
    assert facts_found(report, "front-length") == ["bones-protect"]


def test_template_check_fires_on_a_bad_note_type() -> None:
    concept = PATTERNS["concept"]
    assert list(template_problems(concept)) == []
    bad_back = dataclasses.replace(concept, templates=(dataclasses.replace(concept.templates[0], back="{{Answer}}"),))
    problems = list(template_problems(bad_back))
    assert any("<hr id=answer>" in p for p in problems) and any("FrontSide" in p for p in problems)
    remote = dataclasses.replace(
        concept, templates=(dataclasses.replace(concept.templates[0], front='<img src="https://x.org/a.png">{{Prompt}}'),)
    )
    assert any("network" in p for p in template_problems(remote))
    assert any("night" in p for p in template_problems(concept, CSS.replace(".night_mode", ".other")))
    assert any("px" in p for p in template_problems(concept, CSS + "\n.card { width: 600px; }"))
    assert all(list(template_problems(p)) == [] for p in PATTERNS.values())


def test_every_check_is_tested() -> None:
    tested = set(BREAKS) | {"missing-source", "empty-render", "unsafe-markup", "template"}
    assert tested == set(CHECKS)


def test_an_accepted_finding_passes_strict_and_a_stale_acceptance_warns(tmp_path: Path) -> None:
    reason = "the pair is what the article names"
    path = broken(
        tmp_path,
        [
            (ANSWER, '    answer: "Organs and muscles"'),
            (
                "  - id: bones-protect\n    pattern: concept\n    topic: basics\n",
                f'  - id: bones-protect\n    pattern: concept\n    topic: basics\n    accept:\n      items-per-card: "{reason}"\n',
            ),
        ],
    )
    code, report = lint_json(path, "--strict")
    assert code == 0, report
    assert [f["fact"] for f in report["accepted"] if f["check"] == "items-per-card"] == ["bones-protect"]
    path.write_text(path.read_text().replace('"Organs and muscles"', '"Our vital organs"'))
    code, report = lint_json(path, "--strict")
    assert code == 1
    assert "no longer finds anything" in report["findings"][0]["message"]


def test_an_acceptance_needs_a_known_check_and_a_reason(tmp_path: Path) -> None:
    path = broken(tmp_path, [(PROMPT, '    accept:\n      item-per-card: ""\n' + PROMPT)])
    result = run("validate", "--source", path)
    assert result.exit_code == 1
    assert "did you mean 'items-per-card'?" in result.output


def test_the_bundled_source_passes_strict_with_every_acceptance_reasoned() -> None:
    code, report = lint_json(ROOT / "source.yaml", "--strict")
    assert code == 0, report["findings"]
    source = read_source(ROOT / "source.yaml")
    assert all(len(reason.split()) >= 5 for fact in source.facts for reason in fact.accept.values())


def test_stats_table_counts_notes_cards_and_facts_per_document(tmp_path: Path) -> None:
    result = run("stats", "--source", copy_source(CLEAN, tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    row = next(line for line in lines if "cardgen: food source" in line)
    assert [c.strip() for c in row.strip("|").split("|")][2:4] == [
        "8",
        "14",
    ]  # 5 + 3 foods, and a reverse card for all but Kale (in both lists)
    total = next(line for line in lines if line.startswith("| total"))
    assert [c.strip() for c in total.strip("|").split("|")][2:4] == ["24", "38"]
    assert any(line.startswith("| ms-bone") and line.rstrip(" |").endswith(" 11") for line in lines)
    assert lines[-1].startswith("fronts over 160 characters: 0 of 38 cards (0.0%)")


def test_stats_gives_the_share_of_long_fronts(tmp_path: Path) -> None:
    path = broken(tmp_path, BREAKS["front-length"][1])
    result = run("stats", "--source", path)
    assert result.exit_code == 0, result.output
    assert "fronts over 160 characters: 1 of 38 cards (2.6%); the card-quality guide allows at most 5%" in result.output
