"""Deterministic synthetic sources for the benchmark, spread over every fact pattern."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (
    "bone calcium vitamin density mineral protein collagen enzyme balance gait fracture marrow "
    "osteoblast homocysteine magnesium zinc copper iron manganese folate kale spinach sardines "
    "yogurt lentils tofu walking jogging tennis dancing yoga weights cofactor absorption matrix"
).split()


def _phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


SENTENCES = 200  # the document's: each fact quotes one, as a real source's facts share a document


def document(seed: int = 1) -> str:
    """The document every synthetic fact cites, one paragraph of two sentences a line."""
    rng = random.Random(seed)
    return "\n\n".join(f"Sentence {k}: {_phrase(rng, 12)}. And {_phrase(rng, 8)}." for k in range(SENTENCES)) + "\n"


def source(facts: int, seed: int = 1) -> str:
    """A valid source of `facts` facts in `max(1, facts // 500)` topics, one deck, citing doc.txt."""
    rng = random.Random(seed)
    topics = max(1, facts // 500)
    sentences = [line.split(". And ")[0] for line in document(seed).split("\n\n")]
    lines = [
        "format: 2",
        "namespace: bench-synth",
        "documents:",
        "  doc:",
        '    title: "A synthetic document"',
        '    short: "synthetic"',
        '    file: "doc.txt"',
        "decks:",
        "  - id: synthetic",
        '    name: "Synthetic"',
        "    tag: synthetic",
        '    description: "Generated for the benchmark."',
        "    topics:",
    ]
    lines += [f"      - {{id: t{t}, name: \"Topic {t}\"}}" for t in range(topics)]
    lines.append("facts:")
    for i in range(facts):
        quote = sentences[i % SENTENCES]
        head = [f"  - id: f{i}", f"    topic: t{i % topics}", "    sources:", "      - document: doc", f'        quote: "{quote}"']
        kind = i % 8
        uid = f"n{i}"  # keeps every answer and list member unique
        if kind == 0:
            body = ["    pattern: concept", f'    prompt: "Q{i}: {_phrase(rng, 8)}?"', f'    answer: "{uid} {_phrase(rng, 3)}"']
        elif kind == 1:
            body = ["    pattern: cloze", f'    text: "C{i}: {_phrase(rng, 6)} [[{uid} {_phrase(rng, 2)}]] {_phrase(rng, 4)}."']
        elif kind == 2:
            body = ["    pattern: nutrient_role", f'    nutrient: "N{i}"', f'    role: "{uid} {_phrase(rng, 6)}"']
        elif kind == 3:
            body = ["    pattern: deficiency", f'    nutrient: "N{i}"', f'    effect: "{uid} {_phrase(rng, 5)}"']
        elif kind == 4:
            body = ["    pattern: food_source", f'    nutrient: "N{i}"', "    foods:"] + [f'      - "{uid}x{j} {rng.choice(WORDS)}"' for j in range(3)]
        elif kind == 5:
            body = ["    pattern: exercise", f'    kind: "K{i}"', "    examples:"] + [f'      - "{uid}x{j} {rng.choice(WORDS)}"' for j in range(2)]
        elif kind == 6:
            body = ["    pattern: risk_factor", f'    factor: "R{i} {_phrase(rng, 2)}"', "    modifiable: true", f'    action: "{uid} {_phrase(rng, 4)}"']
        else:
            body = ["    pattern: ms_factor", f'    factor: "M{i} {_phrase(rng, 2)}"', f'    explanation: "{uid} {_phrase(rng, 6)}"']
        lines += head + body + [f'    extra: "{_phrase(rng, 10)}"']
    return "\n".join(lines) + "\n"


def write(path: Path, facts: int) -> Path:
    """The source at `path` and the document it cites beside it."""
    path.write_text(source(facts))
    (path.parent / "doc.txt").write_text(document())
    return path
