"""A nutrient's role in bone health."""

from cardgen.patterns.base import Key
from cardgen.patterns.shapes import AttributePattern

PATTERN = AttributePattern(
    key="nutrient_role",
    model_id=1_735_689_600_003,
    name="cardgen: nutrient role",
    help="what a nutrient does for bone; role -> nutrient only where no other nutrient shares the role",
    subject=Key("nutrient", "text", help="the nutrient, e.g. 'Zinc'"),
    attribute=Key("role", "text", help="its role as the document states it"),
    forward="What role does {subject} play in bone health{cue}?",
    reverse="Which nutrient{cue}: {attribute}?",
    cue_prefix="Bone health",
)
