"""Whatever a maintainer types, validate and build never crash, and never ship a bad deck."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner
from conftest import ROOT, documents_beside
from engine import import_package, open_collection, render_problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardgen.cli import cli

SOURCE = (ROOT / "source.yaml").read_text()
LINES = SOURCE.splitlines(keepends=True)
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TOKENS = [*"ab <>&{}[]:#-*!|'\"\t\n\\\x1f\x00é💪", "{{c1::", "]]", "[[", "<script>", "!!python/object", "&a", "*a"]
tricky_text = st.lists(st.sampled_from(TOKENS), max_size=12).map("".join)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), tricky_text)
trees = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(tricky_text, inner, max_size=4)), max_leaves=20
)


@st.composite
def mutations(draw: st.DrawFn) -> str:
    """The real source with one edit a maintainer might make by accident."""
    lines = list(LINES)
    index = draw(st.integers(0, len(lines) - 1))
    kind = draw(st.sampled_from(["delete", "duplicate", "insert", "replace-value", "indent", "swap"]))
    if kind == "delete":
        del lines[index]
    elif kind == "duplicate":
        lines.insert(index, lines[index])
    elif kind == "insert":
        line = lines[index]
        at = draw(st.integers(0, len(line)))
        lines[index] = line[:at] + draw(tricky_text) + line[at:]
    elif kind == "replace-value" and ": " in lines[index]:
        key = lines[index].split(": ", 1)[0]
        lines[index] = f"{key}: {draw(tricky_text)!r}\n".replace("'", '"') if draw(st.booleans()) else f"{key}: {draw(tricky_text)}\n"
    elif kind == "indent":
        lines[index] = draw(st.sampled_from(["  ", "", "\t", "    "])) + lines[index].lstrip()
    elif kind == "swap" and index + 1 < len(lines):
        lines[index], lines[index + 1] = lines[index + 1], lines[index]
    return "".join(lines)


def _invoke(*args: str) -> int:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)  # a traceback fails the test
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        assert result.output.startswith("Error: "), result.output
    return result.exit_code


@SETTINGS
@given(trees)
def test_random_yaml_documents_never_crash_validate(tmp_path: Path, tree: object) -> None:
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(tree, allow_unicode=True))
    _invoke("validate", "--source", str(path))


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_never_crash_validate(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "bytes.yaml"
    path.write_bytes(data)
    _invoke("validate", "--source", str(path))


@SETTINGS
@given(mutations())
def test_mutated_sources_build_a_deck_anki_accepts_or_fail_cleanly(tmp_path: Path, text: str) -> None:
    case = Path(tempfile.mkdtemp(dir=tmp_path))  # hypothesis may replay an example
    source, out = case / "source.yaml", case / "decks"
    source.write_text(text)
    documents_beside(case)
    if _invoke("build", "--source", str(source), "--out", str(out)) == 1:
        assert not out.exists(), "a failed build wrote something"
        shutil.rmtree(case)
        return
    col = open_collection(case / "anki")
    try:
        for apkg in sorted(out.glob("*.apkg")):
            import_package(col, apkg)
        assert col.card_count() > 0
        assert render_problems(col) == []
        message, ok = col.fix_integrity()
        assert ok, message
    finally:
        col.close()
        shutil.rmtree(case)
