"""Deterministic synthetic sources for the benchmark, spread over every fact pattern."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (
    "bone calcium vitamin density mineral protein collagen enzyme balance gait fracture marrow "
    "osteoblast homocysteine magnesium zinc copper iron manganese folate kale spinach sardines "
    "yogurt lentils tofu walking jogging tennis dancing yoga weights cofactor absorption matrix"
).split()


# For the realistic source: words as a curated deck has them, accents and other scripts too.
WIDE = (*WORDS, "crème", "fraîche", "Müller", "São", "œuf", "naïve", "β-carotene", "ψ", "菠菜", "шпинат", "Ωmega")


def _phrase(rng: random.Random, n: int, words: tuple[str, ...] = WORDS) -> str:
    return " ".join(rng.choice(words) for _ in range(n))


SENTENCES = 200  # the document's: each fact quotes one, as a real source's facts share a document


def document(seed: int = 1) -> str:
    """The document every synthetic fact cites, one paragraph of two sentences a line."""
    rng = random.Random(seed)
    return "\n\n".join(f"Sentence {k}: {_phrase(rng, 12)}. And {_phrase(rng, 8)}." for k in range(SENTENCES)) + "\n"


def _preamble(namespace: str) -> list[str]:
    """A source's first lines, up to its decks: the format, the namespace and doc.txt."""
    return [
        "format: 2",
        f"namespace: {namespace}",
        "documents:",
        "  doc:",
        '    title: "A synthetic document"',
        '    short: "synthetic"',
        '    file: "doc.txt"',
        "decks:",
    ]


def _one_deck(deck_id: str, name: str, topics: int) -> list[str]:
    return [
        f"  - id: {deck_id}",
        f'    name: "{name}"',
        f"    tag: {deck_id}",
        '    description: "Generated for the benchmark."',
        "    topics:",
        *[f'      - {{id: t{t}, name: "Topic {t}"}}' for t in range(topics)],
    ]


def _cited(i: int, topic: int, sentences: list[str]) -> list[str]:
    """A fact's id, topic and citation: the same sentence of doc.txt for every fact i mod SENTENCES."""
    return [
        f"  - id: f{i}",
        f"    topic: t{topic}",
        "    sources:",
        "      - document: doc",
        f'        quote: "{sentences[i % SENTENCES]}"',
    ]


def source(facts: int, seed: int = 1, realistic: bool = False) -> str:
    """A valid source of `facts` facts in `max(1, facts // 500)` topics, one deck, citing doc.txt.

    `realistic`: texts of the sizes a curated deck has (prompts of ~15 words, extras of ~35,
    lists of 6 to 12 members), accented and non-Latin words, three decks.
    """
    rng = random.Random(seed)
    topics = max(3, facts // 500) if realistic else max(1, facts // 500)
    words = WIDE if realistic else WORDS
    size = (
        {"prompt": 15, "answer": 4, "extra": 35, "list": (6, 12)} if realistic else {"prompt": 8, "answer": 3, "extra": 10, "list": (3, 3)}
    )
    sentences = [line.split(". And ")[0] for line in document(seed).split("\n\n")]
    lines = _preamble("bench-synth")
    decks = 3 if realistic else 1
    for d in range(decks):
        lines += [
            f"  - id: synthetic{d or ''}",
            f'    name: "Synthetic{f" {d}" if d else ""}"',
            f"    tag: synthetic{d or ''}",
            '    description: "Generated for the benchmark."',
            "    topics:",
        ]
        lines += [f'      - {{id: t{t}, name: "Topic {t}"}}' for t in range(topics) if t % decks == d]
    lines.append("facts:")
    for i in range(facts):
        head = _cited(i, i % topics, sentences)
        kind = i % 8
        uid = f"n{i}"  # keeps every answer and list member unique
        members = rng.randint(*size["list"])
        if kind == 0:
            body = [
                "    pattern: concept",
                f'    prompt: "Q{i}: {_phrase(rng, size["prompt"], words)}?"',
                f'    answer: "{uid} {_phrase(rng, size["answer"], words)}"',
            ]
        elif kind == 1:
            body = ["    pattern: cloze", f'    text: "C{i}: {_phrase(rng, 6)} [[{uid} {_phrase(rng, 2)}]] {_phrase(rng, 4)}."']
        elif kind == 2:
            body = ["    pattern: nutrient_role", f'    nutrient: "N{i}"', f'    role: "{uid} {_phrase(rng, 6)}"']
        elif kind == 3:
            body = ["    pattern: deficiency", f'    nutrient: "N{i}"', f'    effect: "{uid} {_phrase(rng, 5)}"']
        elif kind == 4:
            body = ["    pattern: food_source", f'    nutrient: "N{i}"', "    foods:"] + [
                f'      - "{uid}x{j} {rng.choice(WORDS)}"' for j in range(members)
            ]
        elif kind == 5:
            body = ["    pattern: exercise", f'    kind: "K{i}"', "    examples:"] + [
                f'      - "{uid}x{j} {rng.choice(WORDS)}"' for j in range(max(2, members - 1))
            ]
        elif kind == 6:
            body = [
                "    pattern: risk_factor",
                f'    factor: "R{i} {_phrase(rng, 2)}"',
                "    modifiable: true",
                f'    action: "{uid} {_phrase(rng, 4)}"',
            ]
        else:
            body = ["    pattern: ms_factor", f'    factor: "M{i} {_phrase(rng, 2)}"', f'    explanation: "{uid} {_phrase(rng, 6)}"']
        lines += head + body + [f'    extra: "{_phrase(rng, size["extra"], words)}"']
    return "\n".join(lines) + "\n"


def similar(facts: int, seed: int = 1) -> str:
    """A valid source of `facts` near-duplicate facts, the worst case for lint's pairwise checks.

    Fronts drawn from a few words, so most share their rarest ones and many are near-identical
    or identical; answers that other fronts show (give-aways, vocabulary); roles a word apart,
    each with a reverse card, so every reverse card has rivals.
    """
    rng = random.Random(seed)
    few = WORDS[:8]
    sentences = [line.split(". And ")[0] for line in document(seed).split("\n\n")]
    lines = [*_preamble("bench-similar"), *_one_deck("similar", "Similar", max(1, facts // 500)), "facts:"]
    for i in range(facts):
        head = _cited(i, i % max(1, facts // 500), sentences)
        kind = i % 4
        if kind == 0:
            body = [
                "    pattern: concept",
                f'    prompt: "What does bone {_phrase(rng, 6, few)} do?"',
                f'    answer: "{_phrase(rng, 2, few)}"',
            ]
        elif kind == 1:
            body = ["    pattern: cloze", f'    text: "Bone {_phrase(rng, 5, few)} [[{rng.choice(few)} n{i}]] {_phrase(rng, 2, few)}."']
        elif kind == 2:
            body = [
                "    pattern: nutrient_role",
                f'    nutrient: "N{i}"',
                f'    role: "builds bone {_phrase(rng, 8, few)} n{i}"',
                "    reverse: true",
            ]
        else:
            body = ["    pattern: deficiency", f'    nutrient: "{rng.choice(few)}"', f'    effect: "weak bone {_phrase(rng, 4, few)}"']
        lines += head + body
    return "\n".join(lines) + "\n"


def templated(facts: int, seed: int = 1) -> str:
    """A valid source of `facts` prompts that share a dozen words and differ in one or two, as a
    deck that repeats a question for many subjects has: every pair of fronts is near-identical."""
    rng = random.Random(seed)
    sentences = [line.split(". And ")[0] for line in document(seed).split("\n\n")]
    topics = max(1, facts // 500)
    lines = [*_preamble("bench-templated"), *_one_deck("templated", "Templated", topics), "facts:"]
    for i in range(facts):
        lines += [
            *_cited(i, i % topics, sentences),
            "    pattern: concept",
            f'    prompt: "In bone health, what is the daily amount of {rng.choice(WORDS)} for adults of type x{i}?"',
            f'    answer: "{i} units"',
        ]
    return "\n".join(lines) + "\n"


def write(path: Path, facts: int, realistic: bool = False, kind: str = "synthetic") -> Path:
    """The source at `path` and the document it cites beside it; `kind`: synthetic (realistic
    or not), similar or templated."""
    text = similar(facts) if kind == "similar" else templated(facts) if kind == "templated" else source(facts, realistic=realistic)
    path.write_text(text, encoding="utf-8")
    (path.parent / "doc.txt").write_text(document())
    return path
