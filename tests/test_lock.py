"""The lock as maintainers meet it: hand-edited, merged, damaged or lost. Each problem is an
error at its line that says what to do, with nothing written; a merge of two branches that
both added facts builds, and a learner who had one branch's package keeps every review."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Callable

import pytest
from conftest import FIXTURES, T0, build_at, copy_source, edit, run
from engine import import_package, open_collection, review
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cardgen import lock as lockfile
from cardgen import lockcheck
from cardgen.errors import Problem
from cardgen.unpack import contents


def _built(small: Path, tmp_path: Path) -> Path:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    return out


def _line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def _entry(text: str, key: str, change: Callable[[dict], None]) -> str:
    """The lock text with one entry's line changed as a hand edit would."""
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if line.startswith(f"  {json.dumps(key)}: "):
            head, body = line.split(": ", 1)
            comma = body.endswith(",")
            entry = json.loads(body.rstrip(","))
            change(entry)
            lines[n] = f"{head}: {json.dumps(entry)}{',' * comma}"
            return "\n".join(lines)
    raise AssertionError(key)


NOTE = "concept:bones-protect"
GONE = '  "risk_factor:gone": {"cards": {"0": 17}, "deck": "bones", "hash": "%s", "id": 16, "mod": 1767225600, "retired": "2026-01-01"}' % (
    "9" * 32
)


def _retired(text: str, **change: object) -> str:
    """The lock text with one retired note in it (as a later build files one), changed as a hand edit would."""
    return _entry(text.replace(' "retired": {}', ' "retired": {\n' + GONE + "\n }", 1), "risk_factor:gone", lambda e: e.update(change))


EDITS: dict[str, tuple[Callable[[str], str], str, str]] = {
    # name: (edit, the key whose line is named (or "" for line 1), what the message says)
    "version as text": (
        lambda t: _entry(t, "concept", lambda e: e.update(version="1")),
        '"concept":',
        'version is "1", expected a whole number',
    ),
    "version 2.0": (lambda t: _entry(t, "concept", lambda e: e.update(version=2.0)), '"concept":', "expected a whole number (2, not 2.0)"),
    "id as text": (lambda t: _entry(t, NOTE, lambda e: e.update(id="12")), f'"{NOTE}":', 'id is "12", expected a whole number'),
    "negative mod": (lambda t: _entry(t, NOTE, lambda e: e.update(mod=-5)), f'"{NOTE}":', "mod is -5, expected 1 to"),
    "mod 0": (lambda t: _entry(t, NOTE, lambda e: e.update(mod=0)), f'"{NOTE}":', "mod is 0, expected 1 to"),
    "huge id": (lambda t: _entry(t, NOTE, lambda e: e.update(id=2**70)), f'"{NOTE}":', f"id is {2**70}, expected 1 to"),
    "mod true": (lambda t: _entry(t, NOTE, lambda e: e.update(mod=True)), f'"{NOTE}":', "mod is true, expected a whole number"),
    "mod null": (lambda t: _entry(t, NOTE, lambda e: e.update(mod=None)), f'"{NOTE}":', "mod is null, expected a whole number"),
    "cards a list": (lambda t: _entry(t, NOTE, lambda e: e.update(cards=[1])), f'"{NOTE}":', "cards is a list, expected an object"),
    "ordinals x and y": (  # each bad ordinal is named, not only the first
        lambda t: _entry(t, NOTE, lambda e: e.update(cards={"x": 5, "y": 6})),
        f'"{NOTE}":',
        f'notes."{NOTE}".cards has the ordinal "y", expected 0, 1, 2',
    ),
    "no hash or mod": (
        lambda t: _entry(t, NOTE, lambda e: (e.pop("hash"), e.pop("mod"))),
        f'"{NOTE}":',
        f'notes."{NOTE}" has no hash, mod;',
    ),
    "hash not hex": (
        lambda t: _entry(t, NOTE, lambda e: e.update(hash="zz")),
        f'"{NOTE}":',
        'hash is "zz", expected a content hash of 32 hex digits',
    ),
    "unknown keys": (
        lambda t: _entry(t, NOTE, lambda e: e.update(colour=1, size=2)),
        f'"{NOTE}":',
        f'notes."{NOTE}" has colour, size, which a lock entry does not hold',
    ),
    "schema a list": (lambda t: _entry(t, "concept", lambda e: e.update(schema=[])), '"concept":', 'schema expected {"fields"'),
    "changelog text": (lambda t: _entry(t, "bones", lambda e: e.update(changelog="v1")), '"bones":', "changelog is text, expected a list"),
    "bad date": (
        lambda t: _entry(t, "bones", lambda e: e["changelog"][0].update(date="yesterday")),
        '"bones":',
        'date is "yesterday", expected a date',
    ),
    "format as text": (lambda t: t.replace('"format": 1', '"format": "1"'), '"format":', 'format" is "1"; this cardgen reads format 1'),
    "format 2": (lambda t: t.replace('"format": 1', '"format": 2'), '"format":', 'format" is 2; this cardgen reads format 1'),
    "notes a list": (lambda t: re.sub(r'"notes": \{.*?\n \}', '"notes": []', t, flags=re.S), '"notes":', '"notes" is a list'),
    "not JSON": (lambda t: t.replace(f'"{NOTE}": ', f'"{NOTE}": {{', 1), f'"{NOTE}":', "the lock is not valid JSON"),
    "a list": (lambda t: "[]", "", "the lock is a list, expected an object with note_types, notes, retired, decks"),
    "empty": (lambda t: "", "", "the lock is not valid JSON"),
    "duplicate key": (
        lambda t: t.replace(f'  "{NOTE}": ', f'  "{NOTE}": {{}},\n  "{NOTE}": ', 1),
        f'"{NOTE}":',
        f'the key "{NOTE}" appears 2 times; keep one of its lines',
    ),
    "entry a number": (
        lambda t: _entry(t, NOTE, lambda e: (e.clear(), e.update(x=1))).replace('{"x": 1}', "5"),
        f'"{NOTE}":',
        f'notes."{NOTE}" is a number, expected an object',
    ),
    "ordinal 1000": (
        lambda t: _entry(t, NOTE, lambda e: e.update(cards={"1000": 5})),
        f'"{NOTE}":',
        'has the ordinal "1000", expected 0, 1, 2',
    ),
    "ordinal a superscript digit": (  # str.isdigit() says yes to "²", int() says no
        lambda t: _entry(t, NOTE, lambda e: e.update(cards={"²": 5})),
        f'"{NOTE}":',
        'has the ordinal "\\u00b2", expected 0, 1, 2',
    ),
    "ordinal with a leading zero": (  # "00" beside "0" would read as the same card, and lose an id
        lambda t: _entry(t, NOTE, lambda e: e["cards"].update({"0" + next(iter(e["cards"])): 5})),
        f'"{NOTE}":',
        'has the ordinal "00", expected 0, 1, 2',
    ),
    "card id text": (
        lambda t: _entry(t, NOTE, lambda e: e.update(cards={"0": "5"})),
        f'"{NOTE}":',
        f'notes."{NOTE}".cards.0 is "5", expected a whole number',
    ),
    "guid a number": (lambda t: _entry(t, NOTE, lambda e: e.update(guid=5)), f'"{NOTE}":', f'notes."{NOTE}".guid is 5, expected text'),
    "retired bad date": (
        lambda t: _retired(t, retired="soon"),
        '"risk_factor:gone":',
        'retired."risk_factor:gone".retired is "soon", expected a date',
    ),
    "retired deck a number": (lambda t: _retired(t, deck=3), '"risk_factor:gone":', 'retired."risk_factor:gone".deck is 3, expected text'),
    "retired version text": (
        lambda t: _retired(t, version="2"),
        '"risk_factor:gone":',
        'retired."risk_factor:gone".version is "2", expected a whole number',
    ),
    "retired id text": (
        lambda t: _retired(t, id="16"),
        '"risk_factor:gone":',
        'retired."risk_factor:gone".id is "16", expected a whole number',
    ),
    "retired no deck": (
        lambda t: _entry(_retired(t), "risk_factor:gone", lambda e: e.pop("deck")),
        '"risk_factor:gone":',
        'retired."risk_factor:gone" has no deck',
    ),
    "deck version text": (
        lambda t: _entry(t, "bones", lambda e: e.update(version="1")),
        '"bones":',
        'decks."bones".version is "1", expected a whole number',
    ),
    "note type hash": (lambda t: _entry(t, "concept", lambda e: e.update(hash="zz")), '"concept":', 'note_types."concept".hash is "zz"'),
    "note type mod": (lambda t: _entry(t, "concept", lambda e: e.update(mod="x")), '"concept":', 'note_types."concept".mod is "x"'),
    "note type schema ids": (
        lambda t: _entry(t, "concept", lambda e: e.update(schema={"fields": ["a"], "templates": []})),
        '"concept":',
        'note_types."concept".schema',
    ),
    "schema fields a number": (
        lambda t: _entry(t, "concept", lambda e: e["schema"].update(fields=5)),
        '"concept":',
        'note_types."concept".schema.fields is a number, expected a list of ids',
    ),
    "changelog note types text": (
        lambda t: _entry(t, "bones", lambda e: e["changelog"][0].update(note_types="cardgen: concept")),
        '"bones":',
        'decks."bones".changelog[0].note_types is text, expected a list',
    ),
    "entry true": (
        lambda t: _entry(t, NOTE, lambda e: (e.clear(), e.update(x=1))).replace('{"x": 1}', "true"),
        f'"{NOTE}":',
        f'notes."{NOTE}" is true/false, expected an object',
    ),
    "notes null": (
        lambda t: re.sub(r'"notes": \{.*?\n \}', '"notes": null', t, flags=re.S),
        '"notes":',
        '"notes" is null, expected an object',
    ),
    "mod 1.5": (
        lambda t: _entry(t, NOTE, lambda e: e.update(mod=1.5)),
        f'"{NOTE}":',
        f'notes."{NOTE}".mod is 1.5, expected a whole number;',
    ),
    "note type no schema": (lambda t: _entry(t, "concept", lambda e: e.pop("schema")), '"concept":', 'note_types."concept" has no schema'),
    "note type id text": (
        lambda t: _entry(t, "concept", lambda e: e.update(id="x")),
        '"concept":',
        'note_types."concept".id is "x", expected a whole number',
    ),
    "schema without templates": (
        lambda t: _entry(t, "concept", lambda e: e["schema"].pop("templates")),
        '"concept":',
        'note_types."concept".schema expected {"fields": [ids], "templates": [ids]}',
    ),
    "changelog an object": (
        lambda t: _entry(t, "bones", lambda e: e.update(changelog={})),
        '"bones":',
        'decks."bones".changelog is an object, expected a list',
    ),
    "a key written with an escape": (  # \u0062 is "b": the same key to JSON, found at its own line
        lambda t: _entry(t, "bones", lambda e: e.update(changelog={})).replace('  "bones": ', '  "\\u0062ones": ', 1),
        '"\\u0062ones":',
        'decks."bones".changelog is an object, expected a list',
    ),
    "deck no changelog": (lambda t: _entry(t, "bones", lambda e: e.pop("changelog")), '"bones":', 'decks."bones" has no changelog'),
    "changelog entry no notes": (
        lambda t: _entry(t, "bones", lambda e: e["changelog"][0].pop("notes")),
        '"bones":',
        'decks."bones".changelog[0] has no notes',
    ),
    "changelog version text": (
        lambda t: _entry(t, "bones", lambda e: e["changelog"][0].update(version="1")),
        '"bones":',
        'decks."bones".changelog[0].version is "1", expected a whole number',
    ),
    "changelog notes a number": (
        lambda t: _entry(t, "bones", lambda e: e["changelog"][0].update(notes=5)),
        '"bones":',
        'decks."bones".changelog[0].notes is 5, expected text',
    ),
    "changelog note types a number": (
        lambda t: _entry(t, "bones", lambda e: e["changelog"][0].update(note_types=5)),
        '"bones":',
        'decks."bones".changelog[0].note_types is a number, expected a list',
    ),
    "changelog note type a number": (
        lambda t: _entry(t, "bones", lambda e: e["changelog"][0].update(note_types=[5])),
        '"bones":',
        'decks."bones".changelog[0].note_types is 5, expected text',
    ),
    "on one line": (  # as a JSON formatter may leave it: every key is on line 1
        lambda t: json.dumps(json.loads(_entry(t, NOTE, lambda e: e.update(mod="x")))),
        "",
        f'notes."{NOTE}".mod is "x", expected a whole number',
    ),
    "a blank first line": (
        lambda t: "\n" + _entry(t, NOTE, lambda e: e.update(mod="x")),
        f'"{NOTE}":',
        f'notes."{NOTE}".mod is "x", expected a whole number',
    ),
    "no format": (lambda t: t.replace(' "format": 1,\n', "", 1), "", 'the lock has no "format"; expected "format": 1'),
    "namespace a number": (
        lambda t: t.replace('"namespace": "test-small"', '"namespace": 5', 1),
        '"namespace":',
        '"namespace" is 5, expected the source\'s namespace',
    ),
    "unknown section": (
        lambda t: t.replace(' "format": 1,\n', ' "format": 1,\n "extras": {},\n', 1),
        '"extras":',
        '"extras" is not part of a lock (it holds note_types, notes, retired, decks)',
    ),
    "merge markers": (
        lambda t: t.replace(f'  "{NOTE}": ', f'<<<<<<< HEAD\n  "{NOTE}": ', 1).replace("\n }", "\n=======\n>>>>>>> other\n }", 1),
        "<<<<<<<",
        "an unresolved merge conflict",
    ),
}


@pytest.mark.parametrize("name", EDITS)
def test_a_hand_edited_lock_is_an_error_at_its_line_and_nothing_is_written(name: str, small: Path, tmp_path: Path) -> None:
    out = _built(small, tmp_path)
    edit, at, says = EDITS[name]
    count = {"ordinals x and y": 2, "merge markers": 3}.get(name, 1)  # each problem once, and no other
    path = out / lockfile.NAME
    text = edit(path.read_text())
    path.write_text(text)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for command in (["build"], ["build", "--check"], ["diff"]):
        result = run(*command, "--source", small, "--out", out)
        assert result.exit_code == 1, (command, result.output)
        assert "Traceback" not in result.output
        line = _line_of(text, at) if at else 1
        assert f"{path}:{line}" in result.output, result.output
        assert says in result.output, result.output
        assert f"\n{count} problem{'s' * (count != 1)} found" in result.output, result.output
        assert f"restore it from version control (git checkout -- {path}), or mend that line" in result.output or "keep" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_every_problem_of_a_lock_is_reported_at_once(small: Path, tmp_path: Path) -> None:
    out = _built(small, tmp_path)
    path = out / lockfile.NAME
    text = _entry(path.read_text(), NOTE, lambda e: e.update(mod="x"))
    text = _entry(text, "concept", lambda e: e.update(version=2.0))
    path.write_text(text)
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 1
    for key in ("concept", NOTE):
        assert f"{path}:{_line_of(text, json.dumps(key) + ':')}: " in result.output


def test_the_committed_lock_reads_and_writes_back_byte_for_byte() -> None:
    path = Path(__file__).resolve().parent.parent / "decks" / lockfile.NAME
    raw = path.read_bytes()
    assert lockcheck.parse(raw, path).dump() == raw


def test_a_retired_note_that_never_shipped_reads_back_from_the_lock_as_written(tmp_path: Path) -> None:
    """A note retired with no package left to ship it from has no deck version; the next
    build must read that lock, not refuse it."""
    locked = lockfile.Lock(
        namespace="test-small",
        retired={
            "concept:gone": lockfile.Retired(5, "a" * 32, T0, {0: 6}, deck="bones", retired="2026-01-01"),
            "concept:shipped": lockfile.Retired(7, "b" * 32, T0, {0: 8}, "h,gWWLcD@?", deck="bones", retired="2026-01-01", version=2),
        },
    )
    raw = locked.dump()
    assert lockcheck.parse(raw, tmp_path / lockfile.NAME) == locked
    assert lockcheck.parse(raw, tmp_path / lockfile.NAME).dump() == raw


def test_a_lock_that_is_a_directory_is_an_error_naming_it_and_nothing_is_written(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    (out / lockfile.NAME).mkdir(parents=True)
    for command in (["build"], ["build", "--check"], ["diff"]):
        result = run(*command, "--source", small, "--out", out)
        assert result.exit_code == 1, (command, result.output)
        assert "Traceback" not in result.output
        assert f"{out / lockfile.NAME}: the lock is a directory, not a file; move it away" in result.output, result.output
    assert [p.name for p in out.iterdir()] == [lockfile.NAME] and not any((out / lockfile.NAME).iterdir())


def _merge(ours: str, theirs: str) -> str:
    """What a maintainer's resolution of the conflict gives: both sides' lines, one each."""

    def entries(text: str) -> dict[str, dict[str, str]]:
        data = json.loads(text)
        return {s: {k: json.dumps(v, sort_keys=True) for k, v in data[s].items()} for s in lockfile.SECTIONS}

    a, b = entries(ours), entries(theirs)
    merged = {s: {**b[s], **a[s]} for s in lockfile.SECTIONS}
    body = ",\n".join(
        f' "{s}": {{\n' + ",\n".join(f"  {json.dumps(k)}: {merged[s][k]}" for k in sorted(merged[s])) + "\n }" for s in lockfile.SECTIONS
    )
    return '{\n "format": 1,\n "namespace": ' + json.dumps(json.loads(ours)["namespace"]) + ",\n" + body + "\n}\n"


def test_two_branches_that_both_add_facts_merge_and_no_learner_loses_a_review(tmp_path: Path) -> None:
    """Both branches allocate the same ids at the same second; the merged lock keeps each id
    with one note and gives the other a new one, and a learner of either branch's package
    keeps every review through the merged build."""
    (tmp_path / "base").mkdir()
    base = copy_source(FIXTURES / "small.yaml", tmp_path / "base")
    out = tmp_path / "base" / "decks"
    build_at(base, out, T0)
    text = base.read_text()
    fact = '\n  - id: {id}\n    pattern: concept\n    topic: basics\n    sources:\n      - document: ms-bone\n        quote: "{quote}"\n    prompt: "{prompt}"\n    answer: "{answer}"\n'
    sides = {}
    for side, (quote, prompt, answer) in {
        "ours": ("The skeleton is our body's major storage bank for calcium", "Our body's major storage bank for calcium?", "The skeleton"),
        "theirs": ("Being underweight raises the risk of bone loss.", "Being underweight raises the risk of what?", "Bone loss"),
    }.items():
        folder = tmp_path / side
        shutil.copytree(tmp_path / "base", folder)
        source = folder / "source.yaml"
        source.write_text(text.rstrip("\n") + "\n" + fact.format(id=f"{side}-fact", quote=quote, prompt=prompt, answer=answer))
        build_at(source, folder / "decks", T0 + 60)
        sides[side] = folder
    ours, theirs = (json.loads((sides[s] / "decks" / lockfile.NAME).read_text()) for s in ("ours", "theirs"))
    assert ours["notes"]["concept:ours-fact"]["id"] == theirs["notes"]["concept:theirs-fact"]["id"]  # the collision

    learners = {}
    for side, folder in sides.items():
        col = open_collection(tmp_path / f"learner-{side}")
        import_package(col, folder / "decks" / "bones.apkg")
        learners[side] = (col, review(col, "Test Bones", 40))

    merged = tmp_path / "merged"
    shutil.copytree(sides["ours"], merged)
    (merged / "decks" / lockfile.NAME).write_text(
        _merge((sides["ours"] / "decks" / lockfile.NAME).read_text(), (sides["theirs"] / "decks" / lockfile.NAME).read_text())
    )
    (merged / "source.yaml").write_text(
        (sides["ours"] / "source.yaml").read_text()
        + fact.format(
            id="theirs-fact",
            quote="Being underweight raises the risk of bone loss.",
            prompt="Being underweight raises the risk of what?",
            answer="Bone loss",
        )
    )
    result = run("build", "--source", merged / "source.yaml", "--out", merged / "decks")
    assert result.exit_code == 0, result.output
    assert "concept:theirs-fact" in result.output and "new id" in result.output  # said, not silent
    lock = json.loads((merged / "decks" / lockfile.NAME).read_text())
    ids = [e["id"] for e in lock["notes"].values()]
    cards = [c for e in lock["notes"].values() for c in e["cards"].values()]
    assert len(ids) == len(set(ids)) and len(cards) == len(set(cards))
    assert lock["notes"]["concept:ours-fact"] == ours["notes"]["concept:ours-fact"]  # the first key keeps its ids

    for side, (col, reviewed) in learners.items():
        try:
            state = {c: (col.get_card(c).ivl, col.get_card(c).reps) for c in reviewed}
            log = import_package(col, merged / "decks" / "bones.apkg")
            assert log.new == 1 and log.conflicting == 0, side  # the other branch's fact
            assert col.db.scalar("select count() - count(distinct guid) from notes") == 0
            assert {c: (col.get_card(c).ivl, col.get_card(c).reps) for c in reviewed} == state
        finally:
            col.close()


def test_a_missing_lock_beside_its_packages_is_refused_not_a_first_build(small: Path, tmp_path: Path) -> None:
    out = _built(small, tmp_path)
    (out / lockfile.NAME).unlink()
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for command in (["build"], ["build", "--check"], ["diff"]):
        result = run(*command, "--source", small, "--out", out)
        assert result.exit_code == 1, result.output
        assert f"{out / lockfile.NAME} is missing" in result.output and "cardgen build --recover-lock" in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_lost_lock_is_rebuilt_from_the_packages_and_a_learner_sees_nothing_change(tmp_path: Path) -> None:
    """The bundled deck (live, retired and old note types): the recovered lock holds every
    identity the lost one did, and the build after it changes nothing a learner has."""
    root = Path(__file__).resolve().parent.parent
    source = copy_source(root / "source.yaml", tmp_path)
    out = tmp_path / "decks"
    shutil.copytree(root / "decks", out)
    lost = json.loads((out / lockfile.NAME).read_text())
    (out / lockfile.NAME).unlink()
    (out / ".cardgen-build.json").unlink(missing_ok=True)

    col = open_collection(tmp_path / "learner")
    try:
        import_package(col, out / "bone-health-ms.apkg")
        held = contents((out / "bone-health-ms.apkg").read_bytes())
        result = run("build", "--recover-lock", "--source", source, "--out", out)
        assert result.exit_code == 0, result.output
        shipped = [e for e in lost["retired"].values() if e["version"] == lost["decks"]["bone-health-ms"]["version"]]
        assert f"recovered {len(lost['notes'])} notes, {len(shipped)} retired notes" in result.output
        assert f"unchanged since v{lost['decks']['bone-health-ms']['version']}" in result.output
        assert contents((out / "bone-health-ms.apkg").read_bytes()) == held  # in another order: retired notes are keyed anew
        found = json.loads((out / lockfile.NAME).read_text())
        assert found["notes"] == lost["notes"]
        assert found["decks"] == lost["decks"]
        # every note type the package holds; one that no package holds now cannot be recovered
        assert len(found["note_types"]) == len(held["models"])
        assert {k: lost["note_types"][k] for k in found["note_types"]} == found["note_types"]
        assert "note types no package holds now" in result.output
        # The retired notes this version ships, keyed by GUID now (their facts are gone); the
        # lock's memory of notes retired before, which no package holds, is not recoverable.
        by_id = lambda entries: {e["id"]: {k: v for k, v in e.items() if k != "guid"} for e in entries}  # noqa: E731
        assert by_id(found["retired"].values()) == by_id(shipped)
        log = import_package(col, out / "bone-health-ms.apkg")
        assert (log.new, log.updated) == (0, 0)
    finally:
        col.close()
    again = run("build", "--recover-lock", "--source", source, "--out", out)
    assert again.exit_code == 1 and "only rebuilds a missing lock" in again.output


def test_a_lock_that_is_not_utf8_is_an_error_at_its_line_and_nothing_is_written(small: Path, tmp_path: Path) -> None:
    out = _built(small, tmp_path)
    path = out / lockfile.NAME
    raw = path.read_bytes()
    at = raw.index(b"\n", raw.index(b"\n") + 1) + 3  # on line 3
    path.write_bytes(raw[:at] + b"\xff" + raw[at:])
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{path}:3: the lock is not UTF-8 text (byte {at}); restore it from version control (git checkout -- {path})" in result.output, (
        result.output
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_merge_markers_are_named_at_each_marker_and_a_doubled_key_at_its_line(small: Path, tmp_path: Path) -> None:
    out = _built(small, tmp_path)
    path = out / lockfile.NAME
    text = path.read_text()
    marked = text.replace(f'  "{NOTE}": ', f'<<<<<<< HEAD\n  "{NOTE}": ', 1).replace("\n }", "\n=======\n>>>>>>> other\n }", 1)
    path.write_text(marked)
    result = run("build", "--source", small, "--out", out)
    advice = (
        "an unresolved merge conflict; each entry is one line, so keep the lines of both sides (and one of any key both sides "
        "changed), delete the markers, and build: ids both branches allocated are given new ones"
    )
    lines = sorted(_line_of(marked, marker) for marker in ("<<<<<<<", "=======", ">>>>>>>"))
    assert result.output.splitlines()[:3] == [f"Error: {path}:{lines[0]}:1: {advice}", *(f"{path}:{n}:1: {advice}" for n in lines[1:])]

    doubled = text.replace(f'  "{NOTE}": ', f'  "{NOTE}": {{}},\n  "{NOTE}": ', 1)
    path.write_text(doubled)
    result = run("build", "--source", small, "--out", out)
    assert f"Error: {path}:{_line_of(doubled, NOTE)}: the key {json.dumps(NOTE)} appears 2 times; keep one of its lines\n" in result.output


def test_a_problem_is_named_at_its_own_sections_line_when_a_deck_has_a_note_types_key(small: Path, tmp_path: Path) -> None:
    """A deck whose id is "concept", like the note type: a problem of the deck's entry is at the deck's line."""
    edit(small, "  - id: b12\n", "  - id: concept\n")
    out = _built(small, tmp_path)
    path = out / lockfile.NAME
    text = path.read_text()
    decks = text.index('"decks"')
    text = text[:decks] + _entry(text[decks:], "concept", lambda e: e.update(version="1"))
    path.write_text(text)
    result = run("build", "--source", small, "--out", out)
    line = text[: text.index('  "concept": ', decks)].count("\n") + 1
    assert line > _line_of(text, '  "concept": ')  # the note type's line comes first
    assert f'Error: {path}:{line}: decks."concept".version is "1", expected a whole number' in result.output, result.output


def test_a_lock_without_sections_reads_as_one_with_nothing_in_them(tmp_path: Path) -> None:
    assert lockcheck.parse(b'{"format": 1}', tmp_path / lockfile.NAME) == lockfile.Lock()


def test_the_largest_ids_and_a_cloze_of_over_a_hundred_cards_read_back(tmp_path: Path) -> None:
    """Ordinals up to 999 read back, in a note as cardgen writes most of them (the quick read)
    and in the ones the checker reads: a recovered note with its GUID and a retired note."""
    cards = {0: 6, 100: lockfile.MAX_ID, 999: 7}
    locked = lockfile.Lock(
        namespace="test-small",
        notes={
            "cloze:long": lockfile.Note(lockfile.MAX_ID, "a" * 32, lockfile.MAX_ID, cards),
            "cloze:recovered": lockfile.Note(8, "b" * 32, T0, cards, "h,gWWLcD@?"),
        },
        retired={"cloze:gone": lockfile.Retired(9, "c" * 32, T0, cards, deck="bones", retired="2026-01-01", version=2)},
    )
    assert lockcheck.parse(locked.dump(), tmp_path / lockfile.NAME) == locked


def test_a_lock_over_64_mib_is_refused_and_one_of_64_mib_is_read(small: Path, tmp_path: Path) -> None:
    out = _built(small, tmp_path)
    path = out / lockfile.NAME
    raw = path.read_bytes()
    path.write_bytes(raw + b" " * (lockcheck.MAX_BYTES - len(raw)))
    assert run("diff", "--source", small, "--out", out).exit_code == 0
    path.write_bytes(raw + b" " * (lockcheck.MAX_BYTES + 1 - len(raw)))
    result = run("diff", "--source", small, "--out", out)
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: {path}: the lock is over 64 MiB, far larger than any lock cardgen writes; "
        f"restore it from version control (git checkout -- {path}), or mend that line\n"
    ), result.output


def test_a_lock_that_cannot_be_opened_is_an_error_saying_why(small: Path, tmp_path: Path) -> None:
    out = _built(small, tmp_path)
    path = out / lockfile.NAME
    path.unlink()
    path.symlink_to(lockfile.NAME)  # a link to itself
    result = run("diff", "--source", small, "--out", out)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {path}: the lock cannot be read (Too many levels of symbolic links)\n"), result.output


def test_a_live_note_is_written_as_json_dumps_writes_it_with_sorted_keys() -> None:
    """The lock writes a live note's line by hand (it has one for every note): the text must be
    json.dumps(sort_keys=True) of the note's value, with ordinals sorted as text ("10" before "2")
    and any text escaped as JSON escapes it."""
    notes = {
        "cloze:many": lockfile.Note(lockfile.MAX_ID, "a" * 32, T0, {2: 7, 10: 8, 0: 9, 1: 10}),
        "concept:recovered": lockfile.Note(5, "b" * 32, T0 + 1, {0: 6}, 'h"\\,gW\u00e9\u2028\x01'),
        "concept:none": lockfile.Note(1, 'odd "hash" \u00e9', 2, {}),
    }
    lines = ",\n".join(f"  {json.dumps(k)}: {json.dumps(notes[k].to_json(), sort_keys=True)}" for k in sorted(notes))
    expected = f'{{\n "format": 1,\n "note_types": {{}},\n "notes": {{\n{lines}\n }},\n "retired": {{}},\n "decks": {{}}\n}}\n'
    assert lockfile.Lock(notes=notes).dump().decode() == expected


_VALUES = st.one_of(
    st.integers(min_value=-2, max_value=lockfile.MAX_ID + 2),
    st.sampled_from([0, 1, lockfile.MAX_ID, True, False, None, 1.0, 2.5, "1", "a" * 32, "0" * 32, "A" * 32, "a" * 31, "", []]),
)
_ORDINALS = st.one_of(
    st.sampled_from(["0", "1", "10", "999", "1000", "-1", "x", "\u00b2", "\u0663", "\uff11", " 1", "", "00", "01", "010"]),
    st.text(max_size=4),
)
_ENTRIES = st.dictionaries(
    st.sampled_from(["id", "hash", "mod", "cards", "guid", "deck"]),
    st.one_of(_VALUES, st.dictionaries(_ORDINALS, _VALUES, max_size=3)),
    max_size=6,
)


@settings(max_examples=400, deadline=None)
@given(
    entry=st.one_of(
        _ENTRIES,
        st.fixed_dictionaries({"id": _VALUES, "hash": _VALUES, "mod": _VALUES, "cards": st.dictionaries(_ORDINALS, _VALUES, max_size=3)}),
    )
)
# every bound the checker takes, each time: drawn at random, a note at its bounds is rare
@example(entry={"id": 1, "hash": "0" * 32, "mod": 1, "cards": {"0": 1}})
@example(entry={"id": lockfile.MAX_ID, "hash": "a" * 32, "mod": lockfile.MAX_ID, "cards": {"0": lockfile.MAX_ID, "999": 1}})
def test_a_live_notes_quick_read_takes_only_what_the_checker_takes_and_gives_the_same_note(entry: dict[str, object]) -> None:
    """Most of a lock is live notes, read without the checker's bookkeeping when they are as
    cardgen writes them (`_plain_note`); anything else goes to the checker, which names it.
    The quick read must never take an entry the checker would refuse, nor make another note,
    nor leave to the checker one it takes as it is (only slower, but most of a lock is these)."""
    problems: list[Problem] = []
    checker = lockcheck._Checker(Path("lock.json"), lockcheck.Lines("{}"), problems)
    checked = checker.note(entry, "notes.x", 1)
    quick = lockcheck._plain_note(entry)
    if quick is not None:
        assert not problems and checked == quick
    elif not problems and checked is not None and set(entry) == {"id", "hash", "mod", "cards"}:
        raise AssertionError(f"the checker takes {entry!r} as it is, the quick read does not")


NOTES = st.dictionaries(
    st.from_regex(r"(concept|cloze|food_source):[a-z0-9-]{1,12}(/[a-z0-9-]{1,8})?", fullmatch=True),
    st.builds(
        lockfile.Note,
        st.integers(1, lockfile.MAX_ID),
        st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
        st.integers(1, lockfile.MAX_ID),
        st.dictionaries(st.integers(0, 30), st.integers(1, lockfile.MAX_ID), max_size=3),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(notes=NOTES, data=st.data())
def test_a_lock_patched_at_some_notes_is_what_dump_writes_and_its_excerpt_reads_them_alone(notes: dict, data: st.DataObject) -> None:
    """An edit's build (`edit`) reads only its notes' lines and writes the lock by replacing
    them: byte for byte what `dump` writes of the whole, whichever lines they are (first, last,
    a run of a pattern's) and however many."""
    lock = lockfile.Lock("bench-synth", notes=notes, decks={"d": lockfile.DeckEntry(2)})
    text = lock.dump().decode()
    keys = data.draw(st.lists(st.sampled_from(sorted(notes)), min_size=1, unique=True))
    changed = {k: lockfile.Note(notes[k].id, "0" * 32, notes[k].mod + 1, notes[k].cards) for k in keys}
    decks = {"d": lockfile.DeckEntry(3, (lockfile.Change(3, "2026-12-03", "1 updated"),))}
    assert lockfile.patched(text, changed, decks) == lockfile.Lock("bench-synth", notes={**notes, **changed}, decks=decks).dump()
    part = lockcheck.parse(lockfile.excerpt(text, keys).encode(), Path(lockfile.NAME))
    assert part.notes == {k: notes[k] for k in keys} and part.decks == lock.decks and part.namespace == "bench-synth"
    assert lockfile.excerpt(text, [*keys, "concept:not-there"]) is None


def test_an_excerpt_and_a_patch_take_the_notes_section_alone_never_a_retired_line() -> None:
    """A key both live and retired (a merge), and a retired key whose pattern has no live note
    left: the excerpt and the patch read and rewrite only the notes section's lines, and a key
    it does not hold there is None, for both. With no keys the excerpt has no notes."""
    live = lockfile.Note(11, "a" * 32, 5, {0: 12})
    retired = {
        "cloze:gone": lockfile.Retired(15, "c" * 32, 7, {0: 16}, deck="d", retired="2026-01-01", version=2),
        "concept:a": lockfile.Retired(13, "b" * 32, 6, {0: 14}, deck="d", retired="2026-01-01", version=2),
    }
    lock = lockfile.Lock("bench-synth", notes={"concept:a": live}, retired=retired, decks={"d": lockfile.DeckEntry(2)})
    text = lock.dump().decode()
    part = lockcheck.parse(lockfile.excerpt(text, ["concept:a"]).encode(), Path(lockfile.NAME))
    assert part.notes == {"concept:a": live} and part.retired == retired and part.decks == lock.decks
    assert lockfile.excerpt(text, ["cloze:gone"]) is None
    none = lockcheck.parse(lockfile.excerpt(text, []).encode(), Path(lockfile.NAME))
    assert none.notes == {} and none.retired == retired and none.decks == lock.decks
    changed = {"concept:a": lockfile.Note(11, "d" * 32, 8, {0: 12})}
    decks = {"d": lockfile.DeckEntry(3, (lockfile.Change(3, "2026-12-03", "1 updated"),))}
    assert lockfile.patched(text, changed, decks) == lockfile.Lock("bench-synth", notes=changed, retired=retired, decks=decks).dump()
    assert lockfile.patched(text, {"cloze:gone": changed["concept:a"]}, decks) is None
    empty = lockfile.Lock("bench-synth", retired=retired).dump().decode()  # its notes section is "{}"
    assert lockfile.excerpt(empty, []) == empty and lockfile.excerpt(empty, ["concept:a"]) is None
