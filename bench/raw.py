"""The raw limit: the same rows inserted with sqlite3 and zipped, no YAML, no genanki.

Usage: python bench/raw.py NOTES OUT.apkg   (NOTES: how many notes; one card each)
"""

from __future__ import annotations

import sqlite3
import sys
import zipfile


def main(count: int, out: str) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, guid TEXT, mid INTEGER, mod INTEGER, usn INTEGER,"
        " tags TEXT, flds TEXT, sfld TEXT, csum INTEGER, flags INTEGER, data TEXT)"
    )
    conn.execute(
        "CREATE TABLE cards (id INTEGER PRIMARY KEY, nid INTEGER, did INTEGER, ord INTEGER, mod INTEGER,"
        " usn INTEGER, type INTEGER, queue INTEGER, due INTEGER, ivl INTEGER, factor INTEGER, reps INTEGER,"
        " lapses INTEGER, left INTEGER, odue INTEGER, odid INTEGER, flags INTEGER, data TEXT)"
    )
    field = "x" * 60
    conn.executemany(
        "INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        ((i, f"g{i}", 1, 1, -1, " t ", f"{field}\x1f{field}", field, 0, 0, "") for i in range(count)),
    )
    conn.executemany(
        "INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        ((i, i, 1, 0, 1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "") for i in range(count)),
    )
    conn.commit()
    data = conn.serialize()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("collection.anki2", data, compresslevel=1)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
