"""What maintainers and learners read of an upgrade: the committed CHANGELOG.md and the lines
`cardgen build` and `cardgen diff` print, word for word where a word carries a count."""

from __future__ import annotations

from pathlib import Path

from conftest import T0, build_at

from cardgen.upgrade import DeckDiff, report


def test_the_changelog_is_markdown_with_each_decks_versions_newest_first_and_only_what_changed(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "decks"
    build_at(small, out, T0)
    text = small.read_text()
    start, end = text.index("  - id: age\n"), text.index("  - id: ms-glucocorticoids\n")
    small.write_text(text[:start] + text[end:])
    build_at(small, out, T0 + 86_400)
    assert (out / "CHANGELOG.md").read_text() == (
        "# Changelog\n"
        "\n"
        "Written by `cardgen build` from `cardgen.lock.json`; do not edit by hand.\n"
        "\n"
        "## Test Bones (`bones.apkg`)\n"
        "\n"
        "### Version 2, 2026-01-02\n"
        "\n"
        "- notes: 1 retired\n"
        "\n"
        "### Version 1, 2026-01-01\n"
        "\n"
        "- notes: 25 added\n"
        "\n"
        "## Test B12 (`b12.apkg`)\n"
        "\n"
        "### Version 1, 2026-01-01\n"
        "\n"
        "- notes: 2 added\n"
    )


def test_the_report_counts_every_retired_note_whether_or_not_a_package_ships_it() -> None:
    d = DeckDiff("bones", "Test Bones", "bones.apkg", 1, 2, notes=3, cards=3, unchanged=3, retired=["c:a"], retired_unshipped=["c:b", "c:c"])
    assert report([d]).splitlines()[1] == "    since v1: 0 added, 0 updated, 3 unchanged, 3 retired, 0 to a new note type"
