"""What maintainers and learners read of an upgrade: the committed CHANGELOG.md and the lines
`cardgen build` and `cardgen diff` print, word for word where a word carries a count."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import T0, build_at

from cardgen.upgrade import type_change


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


def _content(
    name: str = "cardgen: concept",
    css: str = ".card {}",
    fields: tuple[str, ...] = ("Prompt", "Answer"),
    templates: tuple[tuple[str, str, str], ...] = (("Card 1", "{{Prompt}}", "{{Answer}}"),),
) -> dict[str, object]:
    """A note type's contents as package.model_content gives them: names, ids, templates."""
    return {
        "name": name,
        "type": 0,
        "css": css,
        "fields": [[f, n] for n, f in enumerate(fields)],
        "templates": [[t, n, q, a] for n, (t, q, a) in enumerate(templates)],
    }


@pytest.mark.parametrize(
    ("new", "says"),
    [
        (_content(), "updated in place"),
        (_content(name="cardgen: idea"), "renamed 'cardgen: concept' -> 'cardgen: idea'; updated in place, reviews kept"),
        (_content(css=".card { color: red }"), "restyled (CSS); updated in place, reviews kept"),
        (_content(fields=("Question", "Answer")), "fields renamed; updated in place, reviews kept"),
        (_content(templates=(("Forward", "{{Prompt}}", "{{Answer}}"),)), "card types renamed; updated in place, reviews kept"),
        (_content(templates=(("Card 1", "{{Prompt}}?", "{{Answer}}"),)), "card templates changed; updated in place, reviews kept"),
        (
            _content(name="x", css="", fields=("A", "B"), templates=(("T", "q", "a"),)),
            "renamed 'cardgen: concept' -> 'x', restyled (CSS), fields renamed, card types renamed, card templates changed; "
            "updated in place, reviews kept",
        ),
    ],
)
def test_a_note_type_changed_in_place_says_what_a_learner_sees_change(new: dict[str, object], says: str) -> None:
    assert type_change(_content(), new) == says


def test_a_note_type_no_package_shows_is_said_to_change_in_place() -> None:
    assert type_change(None, _content()) == "changed in place"
