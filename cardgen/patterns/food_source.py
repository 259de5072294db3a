"""The foods a document lists as rich in a nutrient, one note per food."""

from cardgen.patterns.base import Field, Key
from cardgen.patterns.shapes import ListPattern

PATTERN = ListPattern(
    key="food_source",
    model_id=1_735_689_600_005,
    name="cardgen: food source",
    help="a document's list of foods rich in a nutrient, in full and in its order",
    group=Key("nutrient", "text", help="the nutrient, e.g. 'Calcium'"),
    members=Key("foods", "list", help="every food the document lists, in its order"),
    member_field=Field("food", "Food"),
    list_cue="Sources of {group} ({document})",
    reverse="{member}: listed as a source of which bone nutrient?",
)
