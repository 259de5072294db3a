"""The identity design: what a learner's collection matches on must never drift."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from anki.collection import Collection
from conftest import FIXTURES, T0, build, build_at, copy_source
from hypothesis import given, settings
from hypothesis import strategies as st

from cardgen import identity, package, unpack
from cardgen.lock import NAME as LOCK_NAME
from cardgen.patterns import PATTERNS


def lock_of(out: Path) -> dict:
    return json.loads((out / LOCK_NAME).read_text())


def test_note_type_ids_are_the_published_ones() -> None:
    # Changing one of these forks every learner's note type: this list only ever grows.
    assert {key: p.model_id for key, p in PATTERNS.items()} == {
        "concept": 1_735_689_600_001,
        "cloze": 1_735_689_600_002,
        "nutrient_role": 1_735_689_600_003,
        "deficiency": 1_735_689_600_004,
        "food_source": 1_735_689_600_005,
        "exercise": 1_735_689_600_006,
        "risk_factor": 1_735_689_600_007,
        "ms_factor": 1_735_689_600_008,
        "food_set": 1_735_689_600_009,
        "exercise_set": 1_735_689_600_010,
    }


def test_field_and_template_ids_are_fixed_distinct_and_independent_of_names() -> None:
    ids = []
    for pattern in PATTERNS.values():
        m = package.model(pattern)
        ids += [f["id"] for f in m.fields] + [t["id"] for t in m.templates]
    assert len(ids) == len(set(ids))
    assert all(0 < i < 2**53 for i in ids)
    assert identity.field_id(PATTERNS["concept"].model_id, "prompt") == 1838195239881191
    assert identity.template_id(PATTERNS["concept"].model_id, "card") == 3507300303080205


def test_guid_comes_from_pattern_and_fact_id_not_text(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build(small, out)
    before = unpack.contents((out / "bones.apkg").read_bytes())["notes"]
    small.write_text(small.read_text().replace("Our vital organs", "Our vital organs, as the article says"))
    build(small, out)
    after = unpack.contents((out / "bones.apkg").read_bytes())["notes"]
    assert [n[:3] for n in before] == [n[:3] for n in after]  # guid, note id, note type
    changed = [(b, a) for b, a in zip(before, after) if b != a]
    assert len(changed) == 1
    assert changed[0][0][0] == identity.note_guid("concept", "bones-protect", "test-small")


def test_mods_move_only_with_content_strictly_forward_and_never_to_the_future(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    first = lock_of(out)
    entries = [*first["notes"].values(), *first["note_types"].values()]
    assert {e["mod"] for e in entries} == {T0}
    ids = [e["id"] for e in first["notes"].values()] + [c for e in first["notes"].values() for c in e["cards"].values()]
    assert len(ids) == len(set(ids)) and all(0 < i < T0 * 1000 for i in ids)

    build_at(small, out, T0 + 100)  # the same source, later, really built: nothing moves
    assert lock_of(out) == first

    small.write_text(small.read_text().replace("Our vital organs", "Our vital organs!"))
    build_at(small, out, T0 + 200)
    second = lock_of(out)
    key = "concept:bones-protect"
    assert second["notes"][key]["mod"] == T0 + 200
    assert second["notes"][key]["id"] == first["notes"][key]["id"]
    assert {k: v for k, v in second["notes"].items() if k != key} == {k: v for k, v in first["notes"].items() if k != key}

    # Changed again within the same second: strictly past the last mod, one second ahead at
    # most, and nothing waits for the clock.
    small.write_text(small.read_text().replace("Our vital organs!", "Our vital organs."))
    build_at(small, out, T0 + 200)
    assert lock_of(out)["notes"][key]["mod"] == T0 + 201


def test_every_card_ships_with_its_notes_mod_never_genankis_build_time(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    small.write_text(small.read_text().replace("Our vital organs", "Our vital organs!"))
    build_at(small, out, T0 + 200)
    held = unpack.contents((out / "bones.apkg").read_bytes())
    note_mods = {note_id: mod for _guid, note_id, _mid, mod, _tags, _flds in held["notes"]}
    assert sorted(set(note_mods.values())) == [T0, T0 + 200]  # the edited note moved, the others kept theirs
    assert all(mod == note_mods[nid] for _cid, nid, _deck, _ord, mod in held["cards"])


def test_a_lock_written_when_the_hash_held_the_subdeck_moves_no_mod(small: Path, tmp_path: Path) -> None:
    # Locks from before 236374b hashed a note's subdeck too. Those hashes must still count
    # as unchanged, or the first build after an upgrade stamps every note anew and each
    # import overwrites learners' own edits for nothing.
    from cardgen.assemble import notes_of
    from cardgen.validate import read_source

    out = tmp_path / "decks"
    build_at(small, out, T0)
    old = lock_of(out)
    for spec in notes_of(read_source(small)):
        entry = old["notes"][f"{spec.pattern}:{spec.key}"]
        entry["hash"] = identity.content_hash(spec.fields, spec.tags, spec.fact.topic.subdeck)
    (out / LOCK_NAME).write_text(json.dumps(old))

    build_at(small, out, T0 + 100)
    new = lock_of(out)
    assert {k: e["mod"] for k, e in new["notes"].items()} == {k: e["mod"] for k, e in old["notes"].items()}
    assert {e["mod"] for e in new["notes"].values()} == {T0}
    assert all(new["notes"][k]["hash"] != e["hash"] for k, e in old["notes"].items())  # the new form is written


def test_source_date_epoch_stamps_new_notes(small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    out = tmp_path / "decks"
    build(small, out)
    lock = lock_of(out)
    assert {e["mod"] for e in lock["notes"].values()} == {1767225600}
    assert max(c for e in lock["notes"].values() for c in [e["id"], *e["cards"].values()]) <= 1767225600 * 1000


def test_a_damaged_lock_is_refused_not_replaced(small: Path, tmp_path: Path) -> None:
    from conftest import run

    out = tmp_path / "decks"
    build(small, out)
    (out / LOCK_NAME).write_text("{ not json")
    result = run("build", "--source", small, "--out", out)
    assert result.exit_code == 1
    assert "cardgen.lock.json:1:3: the lock is not valid JSON" in result.output and "restore it from version control" in result.output
    assert (out / LOCK_NAME).read_text() == "{ not json"


def test_two_projects_sharing_fact_ids_and_patterns_never_touch_each_others_notes(tmp_path: Path, col: Collection) -> None:
    """Two sources with the same fact ids and patterns but their own namespaces, built in the
    same second (so their fresh note and card ids are the same numbers), in one collection."""
    from engine import import_package

    sources = {}
    for name, namespace in (("one", "test-small"), ("two", "other-project")):
        (tmp_path / name).mkdir()
        source = copy_source(FIXTURES / "small.yaml", tmp_path / name)
        text = source.read_text().replace("namespace: test-small", f"namespace: {namespace}")
        source.write_text(
            text.replace('name: "Test Bones"', f'name: "Test Bones {name}"').replace("Our vital organs", f"Our vital organs ({name})")
        )
        build_at(source, tmp_path / name / "decks", T0)
        sources[name] = source
    first = import_package(col, tmp_path / "one" / "decks" / "bones.apkg")
    before = {n: col.get_note(n).fields for n in col.find_notes("")}
    types_one = {m["id"] for m in col.models.all()}
    second = import_package(col, tmp_path / "two" / "decks" / "bones.apkg")
    assert (second.new, second.updated, second.duplicate, second.conflicting) == (first.new, 0, 0, 0)
    assert col.note_count() == 2 * first.new
    assert {n: col.get_note(n).fields for n in before} == before  # the first project's notes untouched
    types = {m["id"]: m["name"] for m in col.models.all()}
    ours = types.keys() - types_one
    assert len(ours) == len(types_one & {identity.model_id(p.key, p.model_id, 1, "test-small") for p in PATTERNS.values()}) > 0
    assert not [name for name in types.values() if name.endswith("+")]
    per_note = col.db.scalar("select count() from cards") / col.note_count()
    assert col.db.scalar("select count(distinct nid) from cards") == col.note_count() and per_note >= 1


def test_the_guid_is_the_one_every_shipped_note_has() -> None:
    """cardgen computes GUIDs itself; they must stay genanki's guid_for, byte for byte."""
    import genanki

    assert identity.note_guid("concept", "zinc-role") == "h,gWWLcD@?"
    assert identity.note_guid("food_set", "calcium-foods", "test-small") == genanki.guid_for("test-small", "food_set", "calcium-foods")
    for n in range(2000):
        key = f"fact-{n}/member-{n * 7919 % 1000}-é"
        assert identity.note_guid("exercise", key) == genanki.guid_for("cardgen", "exercise", key)


def _genanki_base91(number: int) -> str:  # genanki 0.13's guid_for, after its hash
    import genanki.util

    digits = []
    while number > 0:
        digits.append(genanki.util.BASE91_TABLE[number % 91])
        number //= 91
    return "".join(reversed(digits))


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.integers(0, 2**64 - 1), st.sampled_from([0, 1, 90, 91, 92, 8280, 8281, 8282, 91**3 - 1, 91**3, 91**4, 2**64 - 1])))
def test_base91_is_genankis_for_every_64_bit_number(number: int) -> None:
    assert identity.base91(number) == _genanki_base91(number)


def test_a_first_build_asks_for_a_namespace_and_a_shipped_one_never_changes(small: Path, tmp_path: Path) -> None:
    import re

    from conftest import run

    text = small.read_text()
    out = tmp_path / "decks"
    small.write_text(text.replace("namespace: test-small\n", ""))
    first = run("build", "--source", small, "--out", out)
    assert first.exit_code == 1 and "a first build needs a namespace" in first.output
    assert re.search(r"never change it: namespace: bones-[0-9a-f]{6}\n", first.output), first.output
    assert not out.exists()

    small.write_text(text)
    build(small, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix != ".json" or p.name == LOCK_NAME}
    small.write_text(text.replace("namespace: test-small", "namespace: another-one"))
    changed = run("build", "--source", small, "--out", out)
    assert changed.exit_code == 1
    assert "the decks were shipped under 'test-small'" in changed.output and "Put back: namespace: test-small" in changed.output
    small.write_text(text.replace("namespace: test-small\n", ""))  # undeclared later: the lock remembers it
    again = run("build", "--source", small, "--out", out)
    assert again.exit_code == 0 and "unchanged since v1" in again.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name in before} == before


def test_a_decks_id_is_the_one_every_shipped_package_has() -> None:
    """Anki matches decks by name, but the id is in every package's bytes: a new one would
    make `build --check` call every committed deck stale after a cardgen upgrade."""
    assert [identity.deck_id(n) for n in ("Test Bones", "Test B12", "a")] == [
        4_978_525_258_207_405,
        8_645_775_081_861_100,
        3_634_579_339_605_545,
    ]
    assert all(identity.deck_id(n) >> 40 for n in ("a", "b", "c"))  # never Anki's Default deck (1)
