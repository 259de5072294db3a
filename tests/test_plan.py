"""The rules of `identity.plan`, one by one, with the clock passed in: what a learner's
collection sees of each note and note type from one build to the next."""

from __future__ import annotations

import time

import pytest

from cardgen.errors import CardgenError
from cardgen.identity import Clock, FutureError, Wanted, plan
from cardgen.lock import Lock, Note, NoteType, Retired, Schema

T = 1_767_225_600
HASH_A, HASH_B = "a" * 32, "b" * 32


def at(now: int) -> Clock:
    return Clock(now=now, real=now)


def note(key: str, content: str = HASH_A, ords: tuple[int, ...] = (0,)) -> Wanted:
    return Wanted(key, content, ords)


def model(key: str, content: str = HASH_A, new_id: int = 1_735_689_600_001, version: int = 1) -> Wanted:
    return Wanted(key, content, new_id=new_id, version=version, schema=Schema((1, 2), (3,)))


@pytest.fixture(autouse=True)
def never_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(seconds: float) -> None:
        raise AssertionError(f"the plan waited {seconds} s for the clock")

    monkeypatch.setattr(time, "sleep", refuse)


def test_new_notes_take_unused_ids_below_the_build_time_in_source_order() -> None:
    p = plan(Lock(), [note("c:a", ords=(0, 1)), note("c:b")], [], at(T))
    ids = [p.notes["c:a"].id, *p.notes["c:a"].card_ids.values(), p.notes["c:b"].id, *p.notes["c:b"].card_ids.values()]
    assert ids == sorted(ids) and len(set(ids)) == 5 and ids[-1] == T * 1000 - 1
    assert {a.mod for a in p.notes.values()} == {T}
    assert p.status == {"c:a": "added", "c:b": "added"}


def test_a_notes_new_card_ids_ascend_with_the_ordinal_and_its_cards_are_in_ordinal_order() -> None:
    """Whatever order genanki lists the ordinals in, and with a card kept from the lock among them."""
    p = plan(Lock(), [note("c:a", ords=(2, 0, 1))], [], at(T))
    first = T * 1000 - 4
    assert (p.notes["c:a"].id, p.notes["c:a"].card_ids) == (first, {0: first + 1, 1: first + 2, 2: first + 3})
    assert list(p.notes["c:a"].card_ids) == [0, 1, 2]
    kept = plan(Lock(notes={"c:a": Note(5, HASH_A, T - 500, {1: 6})}), [note("c:a", ords=(2, 1, 0))], [], at(T))
    assert kept.notes["c:a"].card_ids == {0: T * 1000 - 2, 1: 6, 2: T * 1000 - 1}
    assert list(kept.notes["c:a"].card_ids) == [0, 1, 2] and list(kept.lock.notes["c:a"].cards) == [0, 1, 2]


def test_ids_already_at_the_build_time_are_stepped_around_without_waiting() -> None:
    """A lock whose ids fill the last 5,000 milliseconds before now (a big build a moment
    ago): 5,000 more new notes still get ids in the past, none reused."""
    taken = {f"c:{n}": Note(T * 1000 - 1 - 2 * n, HASH_A, T, {0: T * 1000 - 2 - 2 * n}) for n in range(2500)}
    wanted = [note(k) for k in taken] + [note(f"c:new{n}") for n in range(2500)]
    p = plan(Lock(notes=taken), wanted, [], at(T))
    every = [i for a in p.notes.values() for i in (a.id, *a.card_ids.values())]
    assert len(every) == len(set(every)) == 10_000
    assert max(every) < T * 1000
    assert all(p.notes[k].id == e.id for k, e in taken.items())


def test_an_unchanged_note_keeps_id_cards_and_mod_whatever_the_clock() -> None:
    lock = Lock(notes={"c:a": Note(5, HASH_A, T - 500, {0: 6})})
    p = plan(lock, [note("c:a")], [], at(T))
    assert (p.notes["c:a"].id, p.notes["c:a"].mod, dict(p.notes["c:a"].card_ids)) == (5, T - 500, {0: 6})
    assert p.status["c:a"] == "unchanged"


def test_a_changed_note_moves_its_mod_to_now_or_one_past_the_last() -> None:
    lock = Lock(notes={"c:a": Note(5, HASH_A, T - 500, {0: 6})})
    assert plan(lock, [note("c:a", HASH_B)], [], at(T)).notes["c:a"].mod == T
    again = Lock(notes={"c:a": Note(5, HASH_A, T, {0: 6})})  # changed twice within one second
    p = plan(again, [note("c:a", HASH_B)], [], at(T))
    assert (p.notes["c:a"].id, p.notes["c:a"].mod, p.status["c:a"]) == (5, T + 1, "updated")


def test_a_card_type_added_to_a_note_gets_a_new_card_and_keeps_the_old_one() -> None:
    lock = Lock(notes={"c:a": Note(5, HASH_A, T - 9, {0: 6})})
    p = plan(lock, [note("c:a", HASH_B, ords=(0, 1))], [], at(T))
    assert p.notes["c:a"].card_ids[0] == 6 and p.notes["c:a"].card_ids[1] not in (5, 6)
    assert plan(lock, [note("c:a", HASH_B, ords=())], [], at(T)).notes["c:a"].card_ids == {}


def test_a_retired_note_that_comes_back_takes_up_its_old_ids() -> None:
    lock = Lock(retired={"c:a": Retired(5, HASH_A, T - 9, {0: 6}, deck="d", retired="2026-01-01", version=2)})
    p = plan(lock, [note("c:a")], [], at(T))
    assert (p.notes["c:a"].id, dict(p.notes["c:a"].card_ids), p.status["c:a"]) == (5, {0: 6}, "unchanged")


def test_ids_two_entries_share_stay_with_the_first_key_and_are_new_for_the_other() -> None:
    lock = Lock(notes={"c:a": Note(5, HASH_A, T - 9, {0: 6}), "c:b": Note(5, HASH_A, T - 9, {0: 6})})
    p = plan(lock, [note("c:a"), note("c:b")], [], at(T))
    assert (p.notes["c:a"].id, p.notes["c:a"].card_ids[0]) == (5, 6)
    assert p.notes["c:b"].id not in (5, 6) and p.notes["c:b"].card_ids[0] not in (5, 6)
    assert [(c.key, c.kept_by, c.card) for c in p.reallocated] == [("c:b", "c:a", False), ("c:b", "c:a", True)]


def test_note_types_keep_their_id_and_every_one_ever_shipped_stays_in_the_lock() -> None:
    old = NoteType(1_735_689_600_001, HASH_A, T - 9, 1, Schema((1, 2), (3,)))
    unused = NoteType(1_735_689_600_002, HASH_A, T - 9, 1, Schema((4,), (5,)))
    p = plan(Lock(note_types={"concept": old, "cloze": unused}), [], [model("concept", HASH_B)], at(T))
    assert p.models["concept"].mod == T and p.status["concept"] == "updated"
    assert p.lock.note_types["cloze"] == unused
    v2 = plan(Lock(note_types={"concept": old}), [], [model("concept", new_id=77, version=2)], at(T))
    assert p.lock.note_types["concept"].id == old.id and v2.status["concept"] == "added"
    assert (v2.lock.note_types["concept"].id, v2.lock.note_types["concept"].version) == (77, 2)


def test_a_lock_from_a_clock_that_ran_fast_is_an_error_naming_the_note() -> None:
    lock = Lock(notes={"c:a": Note(5, HASH_A, T + 3600, {0: 6}), "c:b": Note(7, HASH_A, T - 9, {0: 8})})
    with pytest.raises(FutureError, match="'c:a' has mod 1767229200 .* later than this machine's clock"):
        plan(lock, [note("c:a"), note("c:b")], [], at(T))
    plan(Lock(notes={"c:a": Note(5, HASH_A, T + 1, {0: 6})}), [note("c:a")], [], at(T))  # a second ahead: see above
    plan(Lock(notes={"c:a": Note(5, HASH_A, T + 2, {0: 6})}), [note("c:a")], [], at(T))  # two, identity.SLACK, still builds
    with pytest.raises(FutureError, match="'c:a' has mod 1767225603 "):
        plan(Lock(notes={"c:a": Note(5, HASH_A, T + 3, {0: 6})}), [note("c:a")], [], at(T))


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("0", "before 2000"),
        ("1.5", "not a whole number"),
        ("-3", "not a whole number"),
        ("tomorrow", "not a whole number"),
        (str(T + 86_400), "later than this machine's clock"),
        ("9" * 40, "later than this machine's clock"),
    ],
)
def test_a_source_date_epoch_that_cannot_be_honoured_is_an_error(value: str, says: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(CardgenError, match=says):
        Clock(real=T)


def test_source_date_epoch_in_the_past_is_the_build_time_and_empty_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T - 60))
    assert Clock(real=T).now() == T - 60
    monkeypatch.setenv("SOURCE_DATE_EPOCH", " ")
    assert Clock(real=T).now() == T


def test_new_ids_are_the_highest_unused_milliseconds_below_the_build_time() -> None:
    """Anki shows a note's id as its creation time: a build's new notes and cards take the
    milliseconds just before it, stepping over the lock's, with none left unused between."""
    lock = Lock(notes={"c:old": Note(T * 1000 - 2, HASH_A, T - 9, {0: T * 1000 - 4})})
    p = plan(lock, [note("c:old"), note("c:a"), note("c:b")], [], at(T))
    new = sorted(i for k in ("c:a", "c:b") for i in (p.notes[k].id, *p.notes[k].card_ids.values()))
    assert new == [T * 1000 - n for n in (6, 5, 3, 1)]


def test_a_card_id_two_entries_share_moves_only_that_card_and_the_note_keeps_its_id() -> None:
    """Two branches whose notes got different ids but one shared card id: the later key's
    card gets a new id, and its note (whose reviews Anki keeps by note id too) stays."""
    lock = Lock(notes={"c:a": Note(5, HASH_A, T - 9, {0: 6}), "c:b": Note(7, HASH_A, T - 9, {0: 6})})
    p = plan(lock, [note("c:a"), note("c:b")], [], at(T))
    assert (p.notes["c:a"].id, p.notes["c:a"].card_ids[0]) == (5, 6)
    assert p.notes["c:b"].id == 7 and p.notes["c:b"].card_ids[0] not in (5, 6, 7)
    assert [(c.key, c.kept_by, c.id, c.card) for c in p.reallocated] == [("c:b", "c:a", 6, True)]


def test_a_note_id_two_entries_share_moves_only_that_note_and_its_cards_stay() -> None:
    lock = Lock(notes={"c:a": Note(5, HASH_A, T - 9, {0: 6}), "c:b": Note(5, HASH_A, T - 9, {0: 8})})
    p = plan(lock, [note("c:a"), note("c:b")], [], at(T))
    assert p.notes["c:a"].id == 5 and p.notes["c:b"].id not in (5, 6, 8)
    assert dict(p.notes["c:b"].card_ids) == {0: 8}
    assert [(c.key, c.kept_by, c.id, c.card) for c in p.reallocated] == [("c:b", "c:a", 5, False)]


def test_a_key_both_live_and_retired_holds_its_live_ids_and_shares_none_with_the_retired_entry() -> None:
    """A merge can leave a key in both sections (one branch retired the fact, the other kept
    it): the live entry is the one learners have, so only its ids count, as the plan takes
    them; the retired entry's ids, another note's now, are no collision to reallocate."""
    lock = Lock(
        notes={"c:a": Note(5, HASH_A, T - 9, {0: 6}), "c:b": Note(7, HASH_A, T - 9, {0: 8})},
        retired={"c:b": Retired(5, HASH_A, T - 9, {0: 6}, deck="d", retired="2026-01-01")},
    )
    p = plan(lock, [note("c:a"), note("c:b")], [], at(T))
    assert p.reallocated == ()
    assert [(p.notes[k].id, dict(p.notes[k].card_ids)) for k in ("c:a", "c:b")] == [(5, {0: 6}), (7, {0: 8})]


def test_a_recovered_notes_guid_stays_in_the_lock_when_its_fact_comes_back() -> None:
    """A note recovered from a package keeps the GUID learners have (it may be of another
    namespace); the lock must keep it for the day the fact is retired again."""
    lock = Lock(notes={"c:a": Note(5, HASH_A, T - 9, {0: 6}, guid="h,gWWLcD@?")})
    p = plan(lock, [note("c:a"), note("c:b")], [], at(T))
    assert p.lock.notes["c:a"].guid == "h,gWWLcD@?" and p.lock.notes["c:b"].guid == ""


def test_a_note_types_id_is_the_one_its_pattern_declares_and_the_plan_ships() -> None:
    p = plan(Lock(), [], [model("concept", new_id=77)], at(T))
    assert p.models["concept"].id == 77 == p.lock.note_types["concept"].id


def test_a_declared_new_note_type_version_has_the_id_learners_already_have() -> None:
    """A note type's id is what Anki matches on import: the id of a version 2 must be the
    same in every cardgen release, or learners who imported it get a second note type."""
    from cardgen.identity import model_id
    from cardgen.patterns import PATTERNS

    published = PATTERNS["concept"].model_id
    assert model_id("concept", published) == published == 1_735_689_600_001
    assert model_id("concept", published, 2) == 792_005_515_561_492
    assert model_id("concept", published, 1, "test-small") == 8_113_321_461_685_906
    assert model_id("concept", published, 2, "test-small") == 2_415_173_889_014_025


def test_a_source_date_epoch_in_the_future_is_named_with_both_times(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T + 3661))
    with pytest.raises(CardgenError) as refused:
        Clock(real=T)
    assert f"SOURCE_DATE_EPOCH='{T + 3661}' (2026-01-01 01:01:01 UTC) is later than this machine's clock (2026-01-01 00:00:00 UTC)" in str(
        refused.value
    )


def test_a_source_date_epoch_of_this_very_second_is_the_build_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """`git log -1 --format=%ct` right after a commit can be the clock's own second."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(T))
    assert Clock(real=T).now() == T


def test_a_lock_from_a_clock_that_ran_fast_says_both_times_and_what_to_do() -> None:
    lock = Lock(notes={"c:a": Note(5, HASH_A, T + 3600, {0: 6})})
    with pytest.raises(FutureError) as refused:
        plan(lock, [note("c:a")], [], at(T))
    assert str(refused.value) == (
        "cardgen.lock.json: 'c:a' has mod 1767229200 (2026-01-01 01:00:00 UTC), later than this machine's clock "
        "(2026-01-01 00:00:00 UTC). The build that wrote it ran with a clock ahead of time; a rebuild now would stamp "
        "notes in the future, and learners' own edits made before then would be overwritten on every import. Set this "
        "machine's clock right, or restore the lock from before that build; cardgen does not wait for the clock"
    )


def test_a_source_date_epoch_of_the_first_second_of_2000_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "946684800")
    assert Clock(real=T).now() == 946_684_800
