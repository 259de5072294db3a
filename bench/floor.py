"""The floor: parse the source with libyaml and write the same notes with genanki, nothing else.

libyaml's fastest way to the data: CBaseLoader, which resolves no implicit types (every
value a string, and the floor makes every field a string anyway). It loads about 17%
faster than CSafeLoader here, most of it in constructing values; its composer is about 8%
faster. cardgen composes with CSafeLoader and builds the values its own way (with their
lines): it needs `format: 2` and `reverse: false` typed, and dates and '=' named.

genanki at its best: its own write_to_db into a database in memory, as cardgen's build
writes, not write_to_file, which goes through a temporary file on disk; then zipped as
write_to_file zips, stored. (cardgen deflates its packages, at level 1: that costs it time
the floor does not spend, from 0.2 s at 10,000 synthetic facts to 0.6 s at 10,000
realistic ones.)
"""

from __future__ import annotations

import gc
import itertools
import sqlite3
import sys
import zipfile

import genanki
import yaml

LISTS = ("foods", "examples")
TIMESTAMP = 1_767_225_600


def main(source: str, out: str, deflate: bool = False) -> None:
    """`deflate`: the package zipped as cardgen zips its own (level 1), for a second row."""
    gc.disable()  # as cardgen's build does: the same allocator settings for both
    with open(source, encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=yaml.CBaseLoader)
    models: dict[str, genanki.Model] = {}
    deck = genanki.Deck(1_000_000_001, "floor")
    for fact in data["facts"]:
        values = [str(v) for k, v in fact.items() if k not in LISTS]
        items = next((fact[k] for k in LISTS if k in fact), [None])
        pattern = fact["pattern"]
        count = len(values) + 1
        model = models.get(pattern) or models.setdefault(
            pattern,
            genanki.Model(
                1_000_000_000 + len(models),
                pattern,
                fields=[{"name": f"F{i}"} for i in range(count)],
                templates=[{"name": "Card", "qfmt": "{{F0}}", "afmt": "{{FrontSide}}<hr id=answer>{{F1}}"}],
            ),
        )
        for item in items:
            fields = values + [str(item or "")]
            deck.add_note(genanki.Note(model=model, fields=fields + [""] * (len(model.fields) - len(fields))))
    conn = sqlite3.connect(":memory:")
    genanki.Package(deck).write_to_db(conn.cursor(), TIMESTAMP, itertools.count(TIMESTAMP * 1000))
    conn.commit()
    with zipfile.ZipFile(out, "w") as archive:  # as genanki's write_to_file zips: stored
        if deflate:
            archive.writestr("collection.anki2", conn.serialize(), zipfile.ZIP_DEFLATED, compresslevel=1)
        else:
            archive.writestr("collection.anki2", conn.serialize())
        archive.writestr("media", "{}")
    conn.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:] == ["--deflate"])
