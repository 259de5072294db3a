"""The foods the documents list as rich in a nutrient, taught as a set."""

from cardgen.patterns.base import Field, Key
from cardgen.patterns.shapes import SetPattern

PATTERN = SetPattern(
    key="food_set",
    model_id=1_735_689_600_009,
    name="cardgen: foods",
    help="every food the documents list as rich in one nutrient: 'name two', and distinctive food -> nutrient",
    group=Key("nutrient", "text", help="the nutrient, e.g. 'Calcium'"),
    members=Key("foods", "list", help="every food the cited documents list for it, each document's list in its order"),
    member_field=Field("food", "Food"),
    cue="Foods for bone",
    set_prompt="Name two foods rich in {group}.",
    member_prompt="{member}: rich in which bone nutrient?",
)
