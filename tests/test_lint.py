"""cardgen lint: each check fires on a fixture that breaks its rule and stays quiet on one that keeps it."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from cardgen.lint import Card, _per_card, cards_of, template_problems
from cardgen.patterns import PATTERNS
from cardgen.patterns.base import CSS
from cardgen.quality import CHECKS
from cardgen.validate import read_source
from conftest import FIXTURES, ROOT, copy_source, documents_beside, run

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
    "identical-fronts": ("error", [("facts:\n", "facts:\n" + EXTRA_FACT.format(id="twin", topic="basics", prompt="Bone health: what do bones protect?", answer="Our brain"))]),
    "near-identical-fronts": ("warning", [("facts:\n", "facts:\n" + EXTRA_FACT.format(id="twin", topic="basics", prompt="Bone health: what do bones protect, then?", answer="Our brain"))]),
    "reverse-not-unique": ("error", [
        ('    role: "is involved in enzyme reactions and collagen synthesis"\n',
         '    role: "is involved in enzyme reactions and collagen synthesis"\n'
         '  - id: copper-role\n    pattern: nutrient_role\n    topic: basics\n    sources:\n      - document: ms-bone\n        quote: "Copper is involved in enzyme reactions"\n'
         '    nutrient: "Copper"\n    role: "is involved in enzyme reactions and in collagen synthesis"\n'),
    ]),
    "answer-in-prompt": ("error", [(PROMPT, '    prompt: "Bone health: what do bones protect, our vital organs?"')]),
    "yes-no": ("error", [(ANSWER, '    answer: "Yes, our vital organs"')]),
    "single-card-topic": ("warning", [
        ('      - id: foods\n', '      - id: foods\n        name: "Foods"\n      - id: lonely\n'),
        ("facts:\n", "facts:\n" + EXTRA_FACT.format(id="alone", topic="lonely", prompt="Bone health: what does the skeleton store?", answer="Calcium")),
    ]),
}


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


@pytest.mark.parametrize("check", sorted(BREAKS))
def test_each_check_fires_where_its_rule_is_broken(check: str, tmp_path: Path) -> None:
    severity, edits = BREAKS[check]
    path = broken(tmp_path, edits)
    code, report = lint_json(path)
    hits = [f for f in report["findings"] if f["check"] == check]
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
    ],
)
def test_checks_no_source_can_trigger_still_guard_the_cards(check: str, changes: dict) -> None:
    """The generator escapes text and demands a source, so these fire only if it regresses."""
    assert check not in {c for c, _, _ in _per_card(_card())}
    assert check in {c for c, _, _ in _per_card(_card(**changes))}


def test_template_check_fires_on_a_bad_note_type() -> None:
    concept = PATTERNS["concept"]
    assert list(template_problems(concept)) == []
    bad_back = dataclasses.replace(concept, templates=(dataclasses.replace(concept.templates[0], back="{{Answer}}"),))
    problems = list(template_problems(bad_back))
    assert any("<hr id=answer>" in p for p in problems) and any("FrontSide" in p for p in problems)
    remote = dataclasses.replace(concept, templates=(dataclasses.replace(concept.templates[0], front='<img src="https://x.org/a.png">{{Prompt}}'),))
    assert any("network" in p for p in template_problems(remote))
    assert any("night" in p for p in template_problems(concept, CSS.replace(".night_mode", ".other")))
    assert any("px" in p for p in template_problems(concept, CSS + "\n.card { width: 600px; }"))
    assert all(list(template_problems(p)) == [] for p in PATTERNS.values())


def test_every_check_is_tested() -> None:
    tested = set(BREAKS) | {"missing-source", "empty-render", "unsafe-markup", "template"}
    assert tested == set(CHECKS)


def test_an_accepted_finding_passes_strict_and_a_stale_acceptance_warns(tmp_path: Path) -> None:
    reason = "the pair is what the article names"
    path = broken(tmp_path, [
        (ANSWER, '    answer: "Organs and muscles"'),
        ("  - id: bones-protect\n    pattern: concept\n    topic: basics\n",
         f'  - id: bones-protect\n    pattern: concept\n    topic: basics\n    accept:\n      items-per-card: "{reason}"\n'),
    ])
    code, report = lint_json(path, "--strict")
    assert code == 0, report
    assert [f["check"] for f in report["accepted"]] == ["items-per-card"]
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
    assert [c.strip() for c in row.strip("|").split("|")][2:4] == ["10", "18"]  # 7 + 3 foods, and a reverse card for all but Kale (in both lists)
    total = next(line for line in lines if line.startswith("| total"))
    assert [c.strip() for c in total.strip("|").split("|")][2:4] == ["26", "43"]
    assert any(line.startswith("| ms-bone") and line.rstrip(" |").endswith(" 11") for line in lines)
