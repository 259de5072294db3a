"""The card-quality checks of ../shared/card-quality.md: names, severities, thresholds.

Kept apart from lint.py so the schema can name the checks a fact may accept without
importing anything heavy.
"""

from __future__ import annotations

from typing import Literal

Severity = Literal["error", "warning"]

# name -> (severity, what it guards against); a check that can find both (an item count
# of 2-3 warns, above 3 errs) is listed with its worst severity.
CHECKS: dict[str, tuple[Severity, str]] = {
    "items-per-card": ("error", "one fact per card: warn at 2-3 items to recall, error above 3 or 'list all'"),
    "answer-length": ("error", "minimum information: warn above 10 words, error above 20 (the explanation is exempt)"),
    "prompt-length": ("warning", "wordy prompts: warn above 25 words (a cloze text above 40)"),
    "identical-fronts": ("error", "interference: two cards with the same front and different answers"),
    "near-identical-fronts": ("warning", "interference: fronts with token similarity of 0.8 or more and different answers"),
    "reverse-not-unique": ("error", "a reverse card whose answer is not the only right one"),
    "answer-in-prompt": ("error", "retrieval, not recognition: the answer stands in its own prompt"),
    "yes-no": ("error", "yes/no and true/false answers teach little"),
    "missing-source": ("error", "every health fact cites its source"),
    "empty-render": ("error", "a card whose front or back renders to nothing"),
    "unsafe-markup": ("error", "no script, style, iframe, on*= or javascript: in a field"),
    "source-only-difference": ("error", "organise by knowledge: fronts that differ only by the document they cite, with different answers"),
    "enumeration-blank": ("error", "sets: a blank among a shown unordered list of 6 or more members"),
    "give-away": (
        "warning",
        "a card's answer stands on the front of another note's card in the same deck (not the deck's vocabulary: an answer shown by 3 or more other facts)",
    ),
    "front-length": ("warning", "phone first: a front over 160 characters (at most 5% of cards)"),
    "single-card-topic": ("warning", "no orphans: a topic needs two or more cards"),
    "template": ("error", "FrontSide and <hr id=answer>, both night-mode classes, no fixed px width, nothing remote"),
}

ANSWER_WARN, ANSWER_ERROR = 10, 20
PROMPT_WARN, CLOZE_PROMPT_WARN = 25, 40
ITEMS_WARN, ITEMS_ERROR = 2, 3
NEAR_IDENTICAL = 0.8
ENUMERATION_BLANK = 6  # members of a shown list, the blanked one included
FRONT_CHARS, FRONT_SHARE = 160, 0.05  # visible characters of a front; share of cards allowed over it
VOCABULARY = 3  # other facts showing an answer on their fronts: past this it is the deck's vocabulary
