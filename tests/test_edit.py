"""An edit rebuilt from the last build (`cardgen/edit.py`) writes every byte a full build of
the edited source writes, and reports what it reports; what it cannot rebuild so gets the
full build, errors and all. Each case builds twice from the same last build: once as
`cardgen build` does (the edit path where it can) and once in full (`cached=False`)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Callable

import pytest
from conftest import FIXTURES, ROOT, copy_source, documents_beside, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_faults import files

from cardgen import identity
from cardgen.assemble import Result
from cardgen.build import build
from cardgen.edit import NAME
from cardgen.errors import CardgenError
from cardgen.identity import Clock, FutureError

FIRST = 1_900_000_000  # 2030: past every mod the committed lock holds
LATER = Clock(now=FIRST + 3600, real=FIRST + 3600)


def _replace(old: str, new: str, last: bool = False) -> Callable[[str], str]:
    """Replace the first `old` (or the last) in a source's text, which must hold it."""

    def change(text: str) -> str:
        assert old in text, old
        at = text.rindex(old) if last else text.index(old)
        return text[:at] + new + text[at + len(old) :]

    return change


def _at(source: Path, tmp_path: Path, clock: Clock, change: Callable[[str], str]) -> bool | str:
    """One change built both ways at `clock` from the last build in `out`: as `cardgen build`
    does, and in full; assert the two agree in every byte written and in what they report;
    whether the edit path made it, or the error both gave."""
    out, full = tmp_path / "out", tmp_path / "full"
    shutil.rmtree(full, ignore_errors=True)
    shutil.copytree(out, full)
    source.write_text(change(source.read_text()))
    outcomes = []
    for folder, cached in ((out, True), (full, False)):
        try:
            outcomes.append(build(source, folder, clock=clock, cached=cached))
        except CardgenError as error:
            outcomes.append(str(error))
    assert files(out) == files(full)
    quick, whole = outcomes
    if isinstance(whole, str):
        assert quick == whole
        return whole
    assert isinstance(quick, Result) and not whole.incremental
    assert (quick.decks, quick.note_types, quick.notices) == (whole.decks, whole.note_types, whole.notices)
    return quick.incremental


def _both(source: Path, tmp_path: Path, *changes: Callable[[str], str]) -> list[bool]:
    """Build the source, then each change in turn both ways from the same last build (`_at`,
    at LATER), and say which steps the edit path made."""
    build(source, tmp_path / "out", clock=Clock(now=FIRST, real=FIRST))  # into the decks `out` holds, if any
    assert (tmp_path / "out" / NAME).exists()
    return [_at(source, tmp_path, LATER, change) is True for change in changes]


REBUILT = {
    "a concept's answer": _replace('answer: "Our vital organs"', 'answer: "Our vital organs and more"'),
    "a cloze's text": _replace("with reduction in [[bone mass]]", "with less [[bone mass]]"),
    "a food in a list, its id kept": _replace("Sesame Seeds, Kale, Cashews]", "Sesame Seeds, Kale, {id: cashews, text: Cashew nuts}]"),
    "an extra": _replace("They also anchor our muscles", "They anchor our muscles"),
    "a reverse card no longer asked for": _replace('collagen synthesis"\n    reverse: true\n', 'collagen synthesis"\n'),
    "a cloze deletion more (a new card)": _replace("a [[thinning of the bones]], with", "a [[thinning of the bones]], [[with]]"),
    "a comment inside a fact": _replace('    factor: "Age"\n', '    factor: "Age"  # not modifiable\n'),
    "two facts of two patterns": lambda text: _replace("[[osteoblasts]]", "[[osteoblast cells]]")(
        _replace('action: "Kick the smoking habit"', 'action: "Kick the smoking habit for good"')(text)
    ),
    "the last fact, before the end of the file": _replace(
        'responsible for building new bone."\n', 'responsible for new bone."\n', last=True
    ),
}


@pytest.mark.parametrize("change", REBUILT.values(), ids=REBUILT.keys())
def test_an_edit_inside_facts_is_rebuilt_from_the_last_build_as_a_full_build_writes_it(
    small: Path, tmp_path: Path, change: Callable[[str], str]
) -> None:
    assert _both(small, tmp_path, change) == [True]


FULL = {
    "a deck's description": _replace("A second test deck.", "The second test deck."),
    "a fact added": lambda text: (
        text + text[text.index("  - id: b12-usda") : text.index("  - id: b12-osteoblasts")].replace("b12-usda", "b12-usda-2")
    ),
    "a fact removed": lambda text: text[: text.index("  - id: smoking")] + text[text.index("  - id: age") :],
    "a fact's id": _replace("id: copper-foods", "id: copper-food"),
    "a fact's topic": _replace(
        "id: high-impact\n    pattern: exercise\n    topic: basics", "id: high-impact\n    pattern: exercise\n    topic: foods"
    ),
    "a fact's pattern": _replace("pattern: concept\n    topic: b12-topic", "pattern: ms_factor\n    topic: b12-topic"),
    "a food renamed (its text is its id)": _replace("Sesame Seeds, Kale, Cashews]", "Sesame Seeds, Kale, Cashew nuts]"),
    "foods reordered (their cards' order moves)": _replace("Sesame Seeds, Kale, Cashews]", "Kale, Sesame Seeds, Cashews]"),
    "a food added to a list": _replace("Sesame Seeds, Kale, Cashews]", "Sesame Seeds, Kale, Cashews, Almonds]"),
    "a YAML error": _replace('answer: "Our vital organs"', 'answer: "Our vital organs'),
    "a quote the document does not hold": _replace('quote: "Kick the smoking habit"', 'quote: "Kick the habit"'),
    "a fact's text left empty": _replace('factor: "Smoking"', 'factor: ""'),
    "a second fact on the same line count, one dash too many": _replace("  - id: age\n", "  - id: age\n  - id: age2\n"),
}


@pytest.mark.parametrize("change", FULL.values(), ids=FULL.keys())
def test_what_the_edit_path_cannot_rebuild_gets_the_full_build(small: Path, tmp_path: Path, change: Callable[[str], str]) -> None:
    assert _both(small, tmp_path, change) == [False]


def test_edits_one_after_another_each_rebuilt_from_the_last(small: Path, tmp_path: Path) -> None:
    """Each build's memo serves the next: three edits, the second undoing the first."""
    first = _replace('answer: "Our vital organs"', 'answer: "Organs"')
    undo = _replace('answer: "Organs"', 'answer: "Our vital organs"')
    assert _both(small, tmp_path, first, undo, REBUILT["a food in a list, its id kept"]) == [True, True, True]


def test_the_bundled_deck_with_its_retired_notes_is_rebuilt_from_its_committed_decks(tmp_path: Path) -> None:
    """The project's own source: a `skip:` after its facts, retired notes in older versions."""
    source = copy_source(ROOT / "source.yaml", tmp_path)
    shutil.copytree(ROOT / "decks", tmp_path / "out")
    text = source.read_text()
    answer = text[text.index("    answer: ", text.index("pattern: concept")) :].split("\n", 1)[0]
    assert _both(source, tmp_path, _replace(answer, answer.replace('answer: "', 'answer: "Edited: ', 1))) == [True]


@pytest.mark.parametrize(
    "facts",
    [
        "facts: [{id: a, pattern: concept, topic: basics, sources: [{document: ms-bone, quote: protect our vital organs}], prompt: 'Bones: what do they protect?', answer: organs}]\n",
        "facts:\n  -\n    id: a\n    pattern: concept\n    topic: basics\n    sources: [{document: ms-bone, quote: protect our vital organs}]\n"
        "    prompt: 'Bones: what do they protect?'\n    answer: organs\n",
        "facts:\n  - id: a\n    pattern: concept\n    topic: basics\n    sources: [{document: ms-bone, quote: protect our vital organs}]\n"
        "    prompt: 'Bones: what do they protect?'\n    answer: \"organs,\n  - id: b\"\n",
        "facts:\n  - id: a\n    pattern: concept\n    topic: basics\n    sources: [{document: ms-bone, quote: protect our vital organs}]\n"
        "    prompt: 'Bones: what do they protect?'\n    answer: \"organs,\n  - id: b\"\n  -\n    id: c\n    pattern: concept\n"
        "    topic: basics\n    sources: [{document: ms-bone, quote: protect our vital organs}]\n    prompt: 'Bones: what else?'\n    answer: more\n",
    ],
    ids=["a list in flow style", "a dash alone on its line", "a dash inside a text", "a dash inside a text, then one alone"],
)
def test_a_source_not_cut_at_its_facts_first_lines_leaves_no_memo(tmp_path: Path, facts: str) -> None:
    text = (FIXTURES / "small.yaml").read_text()
    source = tmp_path / "source.yaml"
    documents_beside(tmp_path)
    head = text[: text.index("facts:")].replace('      - id: foods\n        name: "Foods"\n', "")
    source.write_text(head.replace(text[text.index("  - id: b12\n") : text.index("facts:")], "") + facts)
    build(source, tmp_path / "out", clock=Clock(now=FIRST, real=FIRST))
    assert (tmp_path / "out" / "bones.apkg").exists() and not (tmp_path / "out" / NAME).exists()


EDITS = st.sampled_from(
    [
        ("append", " more"),
        ("append", '"'),
        ("append", ":"),
        ("prepend", "#"),
        ("prepend", "  - "),
        ("prepend", "  "),
        ("delete", ""),
        ("double", ""),
        ("insert", "    reverse: true"),
        ("insert", "    # a comment"),
        ("insert", ""),
    ]
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.tuples(st.integers(0, 10_000), EDITS), min_size=1, max_size=2))
def test_any_edit_of_lines_among_the_facts_builds_as_a_full_build(tmp_path_factory: pytest.TempPathFactory, lines: list) -> None:
    """Edits of random lines among the facts: whether the edit path takes them or not, the
    build writes what a full build writes, or fails with the same problems."""
    tmp_path = tmp_path_factory.mktemp("edit")
    source = copy_source(FIXTURES / "small.yaml", tmp_path)

    def change(text: str) -> str:
        rows = text.split("\n")
        first = rows.index("facts:") + 1
        for at, (how, what) in lines:
            i = first + at % (len(rows) - first - 1)
            rows[i : i + 1] = {
                "append": [rows[i] + what],
                "prepend": [what + rows[i]],
                "delete": [],
                "double": [rows[i], rows[i]],
                "insert": [rows[i], what],
            }[how]
        return "\n".join(rows)

    _both(source, tmp_path, change)


def test_an_edit_while_a_retired_note_still_ships_gets_the_full_build(small: Path, tmp_path: Path) -> None:
    """A fact removed: its note ships retired in the new version, and the version an edit
    makes must leave it out, which only the full build does."""
    removed = FULL["a fact removed"]
    assert _both(small, tmp_path, removed, REBUILT["a concept's answer"], REBUILT["an extra"]) == [False, False, True]


def _without_deck_b12(text: str) -> str:
    return text[: text.index("  - id: b12\n")] + text[text.index("facts:") :]


def test_edits_after_a_deck_was_removed_build_as_a_full_build(small: Path, tmp_path: Path) -> None:
    """A removed deck's package ships its notes retired in its last version, and so again on
    every build: the edit path leaves them all to the full build."""
    removed = lambda text: _without_deck_b12(text[: text.index("  - id: b12-usda")])  # noqa: E731
    assert _both(small, tmp_path, removed, REBUILT["a concept's answer"], REBUILT["an extra"]) == [False, False, False]


def test_edits_after_a_deck_was_merged_into_another_are_rebuilt(small: Path, tmp_path: Path) -> None:
    """The removed deck's facts live on in another: its package is removed, its history stays
    in the lock and the changelog, and the edits after are rebuilt from the last build."""
    merged = lambda text: _without_deck_b12(text).replace("topic: b12-topic", "topic: basics")  # noqa: E731
    assert _both(small, tmp_path, merged, REBUILT["a concept's answer"], REBUILT["an extra"]) == [False, True, True]


def test_an_edit_built_by_a_clock_behind_the_locks_latest_mod_is_refused_as_a_full_build_refuses_it(small: Path, tmp_path: Path) -> None:
    """The latest mod is an earlier edit's, of a fact this edit does not touch: the edit path
    does not read that note, yet must see that the lock is ahead of the clock."""
    out, full = tmp_path / "out", tmp_path / "full"
    build(small, out, clock=Clock(now=FIRST, real=FIRST))
    small.write_text(REBUILT["a concept's answer"](small.read_text()))
    assert build(small, out, clock=Clock(now=FIRST + 1000, real=FIRST + 1000)).incremental
    small.write_text(REBUILT["a cloze's text"](small.read_text()))
    shutil.copytree(out, full)
    behind = Clock(now=FIRST + 500, real=FIRST + 500)
    with pytest.raises(FutureError) as quick:
        build(small, out, clock=behind)
    with pytest.raises(FutureError) as whole:
        build(small, full, clock=behind, cached=False)
    assert str(quick.value) == str(whole.value) and files(out) == files(full)


def test_the_same_source_read_from_another_folder_is_built_in_full(small: Path, tmp_path: Path) -> None:
    """Its documents are read beside it: the last build's were others."""
    out = tmp_path / "out"
    build(small, out, clock=Clock(now=FIRST, real=FIRST))
    (tmp_path / "elsewhere").mkdir()
    elsewhere = copy_source(small, tmp_path / "elsewhere")
    elsewhere.write_text(REBUILT["a concept's answer"](elsewhere.read_text()))
    assert not build(elsewhere, out, clock=LATER).incremental


def test_cardgen_build_says_when_it_built_from_the_last_build(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert "built from the last build" not in run("build", "--source", small, "--out", out).output
    small.write_text(REBUILT["an extra"](small.read_text()))
    said = run("build", "--source", small, "--out", out).output
    assert "1 updated" in said and said.rstrip().endswith("(built from the last build: only what the edit touched was read again)")


def test_a_quote_left_open_in_an_edit_is_refused_as_a_full_build_refuses_it(small: Path, tmp_path: Path) -> None:
    """The open quote runs on through the other facts' lines, commented out in the edit
    path's reading, to a quote after the facts: read alone, the edited fact does not close."""
    small.write_text(small.read_text() + "skip: []  # none yet: see the authors'\n")
    assert _both(small, tmp_path, _replace('action: "Kick the smoking habit"', "action: 'Kick the smoking habit")) == [False]


_CITES_MS_BONE = '      - document: ms-bone\n        quote: "protect our vital organs"'
_CITES_EXTRA = '      - document: extra\n        quote: "protect our vital organs"'


def _with_extra(small: Path, tmp_path: Path, more: str = "") -> None:
    """Declare `extra`, a copy of ms-bone.txt, in the source (`more` added at its end)."""
    shutil.copy(tmp_path / "sources" / "ms-bone.txt", tmp_path / "sources" / "extra.txt")
    extra = '  extra:\n    title: "A copy"\n    short: "copy"\n    file: "sources/extra.txt"\ndecks:\n'
    small.write_text(small.read_text().replace("decks:\n", extra, 1) + more)


def test_the_documents_a_build_read_are_recorded_as_a_full_build_records_them(small: Path, tmp_path: Path) -> None:
    """An edit that cites a document no fact cited before, then one that cites it no more
    (a skip still does): the stamp names the documents cited now, each as it was read."""
    _with_extra(
        small,
        tmp_path,
        'skip:\n  - document: extra\n    quote: "Zinc"\n    reason: "a skip is the only citation of the copy, at first and at last"\n',
    )
    cite, back = _replace(_CITES_MS_BONE, _CITES_EXTRA), _replace(_CITES_EXTRA, _CITES_MS_BONE)
    assert _both(small, tmp_path, cite, back) == [True, True]


def test_an_edit_citing_a_document_the_last_build_never_read_is_rebuilt(small: Path, tmp_path: Path) -> None:
    """Nothing cited `extra` before (no skip either): its digest is the one this build read."""
    _with_extra(small, tmp_path)
    assert _both(small, tmp_path, _replace(_CITES_MS_BONE, _CITES_EXTRA)) == [True]


def test_an_edit_beside_a_fact_citing_two_documents_records_both(small: Path, tmp_path: Path) -> None:
    """A fact the edit does not read cites ms-bone and extra: the stamp names both, so that a
    later change to either is seen, as a full build's stamp does."""
    _with_extra(small, tmp_path)
    small.write_text(_replace(_CITES_MS_BONE, _CITES_MS_BONE + "\n" + _CITES_EXTRA)(small.read_text()))
    assert _both(small, tmp_path, REBUILT["a cloze's text"]) == [True]


def test_a_source_read_from_another_folder_is_checked_against_its_own_documents(small: Path, tmp_path: Path) -> None:
    """Edits that read every document the source cites, of a copy in another folder whose
    ms-bone.txt has lost the quote of a fact no edit touched: the last build checked that
    quote in the other folder's document, so the edit path must not take it as checked."""
    out, full = tmp_path / "out", tmp_path / "full"
    build(small, out, clock=Clock(now=FIRST, real=FIRST))
    shutil.copytree(out, full)
    (tmp_path / "elsewhere").mkdir()
    elsewhere = copy_source(small, tmp_path / "elsewhere")
    document = tmp_path / "elsewhere" / "sources" / "ms-bone.txt"
    document.write_text(document.read_text().replace("Kick the smoking habit", "Stop smoking"))
    edited = _replace("[[osteoblasts]]", "[[osteoblast cells]]")(REBUILT["a concept's answer"](elsewhere.read_text()))
    elsewhere.write_text(edited)  # an ms-bone fact and a b12 fact edited
    with pytest.raises(CardgenError) as quick:
        build(elsewhere, out, clock=LATER)
    with pytest.raises(CardgenError) as whole:
        build(elsewhere, full, clock=LATER, cached=False)
    assert "fact 'smoking'" in str(whole.value) and str(quick.value) == str(whole.value) and files(out) == files(full)


def test_a_new_card_after_another_edits_new_card_gets_an_id_of_its_own(small: Path, tmp_path: Path) -> None:
    """Two edits at one clock, each adding a card to another note: the second card's id must
    miss the first's, which is on a line of the lock the second edit does not otherwise read."""
    another = _replace("[[osteoblasts]], the cells", "[[osteoblasts]], the [[cells]]")
    assert _both(small, tmp_path, REBUILT["a cloze deletion more (a new card)"], another) == [True, True]


def test_an_edit_while_the_lock_holds_a_mod_past_the_clock_gets_the_full_build(small: Path, tmp_path: Path) -> None:
    """A note the last build stamped an hour after the first (a later SOURCE_DATE_EPOCH), and a
    clock behind it: the edit of another note must be refused as the full build refuses it,
    however little of the lock it reads; at exactly SLACK seconds behind both build."""
    assert _both(small, tmp_path, REBUILT["a concept's answer"]) == [True]  # bones-protect's mod is now LATER's
    behind = LATER.real - identity.SLACK
    error = _at(small, tmp_path, Clock(now=behind - 1, real=behind - 1), REBUILT["a cloze's text"])
    assert isinstance(error, str) and "later than this machine's clock" in error
    assert _at(small, tmp_path, Clock(now=behind, real=behind), REBUILT["an extra"]) is True


def test_an_edit_of_a_fact_and_of_the_header_at_once_gets_the_full_build(small: Path, tmp_path: Path) -> None:
    both = lambda text: FULL["a deck's description"](REBUILT["a concept's answer"](text))  # noqa: E731
    assert _both(small, tmp_path, both) == [False]


def test_an_edit_of_a_source_without_a_last_line_break_is_rebuilt(small: Path, tmp_path: Path) -> None:
    """The last fact's lines, blanked when it is not read, end without a line break."""
    small.write_text(small.read_text().rstrip("\n"))
    assert _both(small, tmp_path, REBUILT["a concept's answer"]) == [True]


def test_an_edit_of_a_quarter_of_the_facts_is_rebuilt_and_of_more_gets_the_full_build(small: Path, tmp_path: Path) -> None:
    """MOST: of 12 facts, 3 edited are rebuilt; every fact edited is the full build's."""
    text = small.read_text()
    text = text[: text.index("  - id: vitamin-c-role")] + text[text.index("  - id: vitamin-d-deficiency") :]
    small.write_text(text[: text.index("  - id: age")] + text[text.index("  - id: ms-glucocorticoids") :])
    three = lambda text: REBUILT["a concept's answer"](REBUILT["two facts of two patterns"](text))  # noqa: E731
    every = lambda text: text.replace("\n    pattern: ", "\n    pattern:  ")  # noqa: E731
    assert _both(small, tmp_path, three, every) == [True, False]


def test_an_edit_of_a_fact_of_a_pattern_of_ones_own_is_rebuilt_with_that_registry(small: Path, tmp_path: Path) -> None:
    """The edit path reads the facts with the registry the build was given, not the built-in one."""
    from test_new_pattern import FACT, WITH_DEFINITION

    small.write_text(small.read_text().replace("\nfacts:\n", "\nfacts:\n" + FACT.lstrip("\n"), 1))
    out, full = tmp_path / "out", tmp_path / "full"
    build(small, out, clock=Clock(now=FIRST, real=FIRST), patterns=WITH_DEFINITION)
    shutil.copytree(out, full)
    small.write_text(_replace('meaning: "A thinning', 'meaning: "Thinning')(small.read_text()))
    quick = build(small, out, clock=LATER, patterns=WITH_DEFINITION)
    whole = build(small, full, clock=LATER, cached=False, patterns=WITH_DEFINITION)
    assert files(out) == files(full) and quick.incremental and not whole.incremental
    assert (quick.decks, quick.note_types, quick.notices) == (whole.decks, whole.note_types, whole.notices)


def test_an_edit_of_a_source_with_a_blank_first_line_is_rebuilt(small: Path, tmp_path: Path) -> None:
    small.write_text("\n" + small.read_text())
    assert _both(small, tmp_path, REBUILT["a concept's answer"]) == [True]
