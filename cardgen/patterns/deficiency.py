"""What a deficiency of a nutrient does to bone."""

from cardgen.patterns.base import Key
from cardgen.patterns.shapes import AttributePattern

PATTERN = AttributePattern(
    key="deficiency",
    model_id=1_735_689_600_004,
    name="cardgen: deficiency effect",
    help="the effect of a nutrient's deficiency; effect -> nutrient only where the effect is unique",
    subject=Key("nutrient", "text", help="the nutrient, e.g. 'Vitamin D'"),
    attribute=Key("effect", "text", help="the effect of its deficiency as the document states it"),
    forward="What can a deficiency of {subject} lead to{cue}?",
    reverse="A deficiency of which nutrient{cue} can lead to: {attribute}?",
    cue_prefix="Bone health, deficiency",
)
