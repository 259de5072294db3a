"""Bad input: a clear FILE:LINE:COL message for each problem, exit 1, nothing written."""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from anki.collection import Collection
from conftest import FIXTURES, build, run

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
LOCATED = re.compile(r"^(?:Error: )?(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<message>.+)$", re.M)


def expectations(path: Path) -> list[str]:
    head = path.read_bytes().split(b"\n")
    return [line[len(b"# expect: ") :].decode() for line in head if line.startswith(b"# expect: ")]


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_each_invalid_source_is_reported_at_its_line_and_column(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} says nothing about what it expects"
    result = run("validate", "--source", path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    located = [m.groupdict() for m in LOCATED.finditer(result.output)]
    assert located, result.output
    for want in expected:
        hits = [m for m in located if want in m["message"]]
        assert hits, f"no message says {want!r}:\n{result.output}"
        assert all(m["file"] == str(path) and int(m["line"]) >= 1 and int(m["col"]) >= 1 for m in hits)


@pytest.mark.parametrize(
    ("defect", "line", "column", "words"),
    [
        ("unknown-key", 41, 5, "did you mean 'prompt'?"),
        ("duplicate-key", 43, 5, "(first at line 42); keep one"),
        ("control-character", 42, 13, "control character U+001F; delete it"),
        ("not-utf8", 42, 24, "byte 0xe9 is not UTF-8"),
        ("python-tag", 42, 13, "is not allowed"),
        ("quote-near-miss", 56, 16, 'closest passage (line 69): "Zinc– is involved in enzyme reactions and collagen synthesis."'),
        ("document-file-missing", 14, 11, "b12-missing.txt does not exist"),
        ("document-not-utf8", 14, 11, "latin1.txt:1: byte 0xe9 is not UTF-8; save the document as UTF-8"),
        ("skip-stale", 36, 12, "quote of skip 1 (line 35) is not in document 'b12'; closest passage (line 1): \"Skip to content\""),
        ("unknown-topic", 37, 12, "names a topic that does not exist: 'basic'; did you mean 'basics'?"),
        ("unknown-document", 140, 19, "names a document that does not exist: 'b-12'; did you mean 'b12'?"),
        ("unknown-ref", 131, 14, "names a ref that document 'ms-bone' does not list: 'zikan-2012'"),
    ],
)
def test_messages_point_at_the_exact_place(defect: str, line: int, column: int, words: str) -> None:
    path = FIXTURES / "invalid" / f"{defect}.yaml"
    result = run("validate", "--source", path)
    assert result.exit_code == 1
    assert f"{path}:{line}:{column}: " in result.output
    assert words in result.output


def test_all_problems_are_reported_in_one_run(small: Path) -> None:
    text = small.read_text()
    text = text.replace('    answer: "Our vital organs"', '    answr: "Our vital organs"')
    text = text.replace("  - id: vitamin-k-role", "  - id: zinc-role")
    text = text.replace("    modifiable: false", "    modifiable: 0")
    small.write_text(text)
    result = run("validate", "--source", small)
    assert result.exit_code == 1
    assert "did you mean 'answer'?" in result.output
    assert "fact id 'zinc-role' is used twice" in result.output
    assert "must be true or false, not a number" in result.output
    assert "4 problems found" in result.output  # the missing 'answer' is reported too


@pytest.mark.parametrize("kind", ["missing", "directory", "empty"])
def test_unreadable_sources_are_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "source.yaml"
    if kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_text("")
    result = run("validate", "--source", path)
    assert result.exit_code == 1
    assert f"{path}:1:1: " in result.output
    assert {"missing": "no such file", "directory": "is a directory", "empty": "the file is empty"}[kind] in result.output


@pytest.mark.parametrize("defect", ["duplicate-id", "quote-not-in-document", "document-file-missing", "document-not-utf8"])
def test_a_bad_source_writes_nothing_and_leaves_the_previous_decks(small: Path, tmp_path: Path, defect: str) -> None:
    out = tmp_path / "decks"
    build(small, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    shutil.copy(FIXTURES / "invalid" / f"{defect}.yaml", small)
    shutil.copy(FIXTURES / "invalid" / "latin1.txt", tmp_path)
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 1
    assert "nothing was written" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_markup_in_facts_reaches_the_card_as_literal_text(small: Path, tmp_path: Path, col: Collection) -> None:
    from engine import import_package

    from cardgen.patterns.base import LABELS

    text = small.read_text().replace('answer: "Our vital organs"', 'answer: "<script>x()</script> <b>b</b> & {{Front}} {{c1::x}}"')
    small.write_text(text)
    out = tmp_path / "decks"
    build(small, out)
    import_package(col, out / "bones.apkg")
    (note_id,) = col.find_notes('"prompt:Bone health: what do bones protect?"')
    answer = col.get_note(note_id).cards()[0].answer()
    assert "&lt;script&gt;x()&lt;/script&gt; &lt;b&gt;b&lt;/b&gt; &amp; &#123;&#123;Front&#125;&#125;" in answer
    assert "<script>" not in answer.replace(LABELS, "") and "<b>b</b>" not in answer  # only the template's own script


def test_the_published_schema_is_the_one_validate_uses() -> None:
    import json

    import jsonschema
    from conftest import ROOT

    from cardgen.load import load
    from cardgen.schema import source_schema

    published = json.loads((ROOT / "docs" / "source.schema.json").read_text())
    assert published == source_schema(), "run: cardgen schema > docs/source.schema.json"
    assert run("schema").output.strip() == (ROOT / "docs" / "source.schema.json").read_text().strip()
    jsonschema.Draft7Validator.check_schema(published)
    validator = jsonschema.Draft7Validator(published)
    assert list(validator.iter_errors(load(ROOT / "source.yaml"))) == []
    assert list(validator.iter_errors(load(FIXTURES / "small.yaml"))) == []
    assert (ROOT / "source.yaml").read_text().startswith("# yaml-language-server: $schema=docs/source.schema.json\n")


def test_problems_in_a_deck_do_not_hide_the_problems_of_facts(small: Path) -> None:
    text = small.read_text()
    text = text.replace('description: "A small test deck. This content is for informational purposes only."', 'description: ""')
    text = text.replace(
        '    topic: basics\n    sources:\n      - document: ms-bone\n        quote: "protect',
        '    topic: basic\n    sources:\n      - document: ms-bone\n        quote: "protect',
        1,
    )
    text = text.replace("[[thinning of the bones]], with reduction in [[bone mass]]", "thinning of the bones")
    text = text.replace('    answer: "Our vital organs"', '    answer: ""')
    small.write_text(text)
    result = run("validate", "--source", small)
    assert result.exit_code == 1
    for words in (
        "'description' of deck 'bones' is empty",
        "names a topic that does not exist: 'basic'",
        "no [[deletion]]",
        "'answer' of fact 'bones-protect' is empty",
    ):
        assert words in result.output, words
    assert "4 problems found" in result.output


def test_the_same_word_saved_decomposed_keeps_its_note(small: Path, tmp_path: Path) -> None:
    """NFC and NFD spell "dancé" with different code points; a learner's note must not care."""
    nfc, nfd = "danc\u00e9", "dance\u0301"
    small.write_text(small.read_text().replace("examples: [hiking, dancing,", f"examples: [hiking, {nfc},"), encoding="utf-8")
    out = tmp_path / "decks"
    build(small, out)
    small.write_text(small.read_text(encoding="utf-8").replace(nfc, nfd), encoding="utf-8")
    assert nfd in small.read_text(encoding="utf-8")
    shown = run("diff", "--source", small, "--out", out)
    assert shown.exit_code == 0 and shown.output.count("unchanged since v1") == 2, shown.output  # both decks


def test_list_members_in_other_scripts_are_each_their_own(small: Path) -> None:
    small.write_text(
        small.read_text().replace("examples: [hiking, dancing,", "examples: [hiking, 菠菜, шпинат, Σπανάκι,"), encoding="utf-8"
    )
    result = run("validate", "--source", small)
    assert result.exit_code == 0, result.output


def test_a_source_that_never_ends_or_is_huge_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    result = run("validate", "--source", "/dev/zero")
    assert result.exit_code == 1 and "holds more than 67,108,864 bytes" in result.output
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(3 * 1024**3)  # 3 GiB, sparse: nothing to read but its size
    import tracemalloc

    tracemalloc.start()
    try:
        for command in ("validate", "build"):
            result = run(command, "--source", huge, "--out", tmp_path / "decks") if command == "build" else run(command, "--source", huge)
            assert result.exit_code == 1 and "is 3,221,225,472 bytes; a source may hold at most" in result.output
        assert tracemalloc.get_traced_memory()[1] < 64 * 1024 * 1024
    finally:
        tracemalloc.stop()


def test_a_source_from_a_pipe_is_read_once_and_built(small: Path, tmp_path: Path) -> None:
    """`cardgen build --source <(cat source.yaml)`: a pipe can be read only once."""
    fifo = small.parent / "piped.yaml"
    os.mkfifo(fifo)
    data = small.read_bytes()
    writer = threading.Thread(target=fifo.write_bytes, args=(data,))
    writer.start()
    try:
        result = run("build", "--source", fifo, "--out", tmp_path / "decks")
    finally:
        writer.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "decks" / "bones.apkg").exists()


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('answer: "Our vital organs"', 'answer: "\u2800"', "holds only invisible characters"),
        ('answer: "Our vital organs"', 'answer: "Our vital \u0091organs"', "control character U+0091"),
        ('answer: "Our vital organs"', "answer: No", 'put the text in double quotes, e.g. "No"'),
        ('answer: "Our vital organs"', "answer: 2024-01-31", "'2024-01-31' is read by YAML as a date; put it in double quotes"),
        ('answer: "Our vital organs"', "answer: =", "'=' is read by YAML as YAML's '=' value; put it in double quotes"),
        ("[[osteoblasts]]", "[[\u200b\u2800]]", "one of invisible characters only"),
        ("[[osteoblasts]]", "[[[osteoblasts]]]", "unbalanced or nested [[ ]]"),
        # deck names as Anki matches them (test_a_deck_name_is_matched_ignoring_case_and_blank_parts_show_as_blank)
        ('name: "Test B12"', 'name: "test bones"', "'test bones', the same deck to Anki as 'Test Bones' at line 19"),
        ('name: "Foods"', 'name: "BASICS"', "'BASICS', the same deck to Anki as 'Basics' at line 24"),
        ('name: "Foods"', 'name: "Foods::"', "'Foods::', with an empty part around '::' that Anki shows as a deck named 'blank'"),
        ('name: "Test B12"', 'name: "  "', "Anki shows as a deck named 'blank'"),
    ],
)
def test_values_a_learner_could_not_see_or_yaml_would_misread_are_refused_with_the_fix(old: str, new: str, says: str, small: Path) -> None:
    text = small.read_text(encoding="utf-8")
    assert old in text
    small.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = run("validate", "--source", small)
    assert result.exit_code == 1 and says in result.output, result.output


def test_a_deck_name_is_matched_ignoring_case_and_blank_parts_show_as_blank(tmp_path: Path, col: Collection) -> None:
    """The engine facts the deck-name checks above rest on."""
    first = col.decks.id("Test Bones::Basics")
    assert col.decks.id("test bones:: BASICS ") == first
    assert col.decks.name(col.decks.id("Test Bones::")) == "Test Bones::blank"
    assert col.decks.name(col.decks.id("  ")) == "blank"


def _nested(style: str, depth: int) -> str:
    if style == "block":
        return "".join(f"{'  ' * level}k:\n" for level in range(depth)) + f"{'  ' * depth}v\n"
    if style == "compact sequences":
        return "k:\n  " + "- " * (depth - 1) + "v\n"
    if style == "flow":
        return "k: " + "[" * depth + "]" * depth + "\n"
    return "".join(f"{'  ' * level}k:\n" for level in range(8)) + "  " * 8 + "k: " + "{a: " * (depth - 8) + "v" + "}" * (depth - 8) + "\n"


@pytest.mark.parametrize("style", ["block", "compact sequences", "flow", "block then flow"])
def test_nesting_one_level_past_the_limit_is_refused_in_every_style(style: str, tmp_path: Path) -> None:
    # The composer recurses in C, so depth is refused before it runs; a cheap bound decides
    # which sources pay for the exact walk, and it must never let a deep one through.
    from cardgen.errors import SourceError
    from cardgen.load import MAX_DEPTH, load

    path = tmp_path / "deep.yaml"
    path.write_text(_nested(style, MAX_DEPTH + 1))
    with pytest.raises(SourceError) as refused:
        load(path)
    assert any(f"nesting deeper than {MAX_DEPTH} levels" in p.message for p in refused.value.problems), refused.value.problems
    path.write_text(_nested(style, MAX_DEPTH - 1))
    load(path)  # within the limit: read as data


def test_a_raw_control_character_is_one_problem_even_where_the_depth_is_walked(tmp_path: Path) -> None:
    # libyaml's reader refuses the character too, with no line: the load stops before any
    # YAML reading, the walk over a deep source's events among them.
    path = tmp_path / "both.yaml"
    path.write_text("k: \x1f\nd: " + "[" * 40 + "]" * 40 + "\n")
    result = run("validate", "--source", path)
    assert result.exit_code == 1
    assert f"{path}:1:4: control character U+001F; delete it" in result.output
    assert "YAML" not in result.output and "\n1 problem found" in result.output, result.output
