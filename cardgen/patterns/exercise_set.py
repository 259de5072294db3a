"""A kind of exercise for bone and the examples the documents give, taught as a set."""

from cardgen.patterns.base import Field, Key
from cardgen.patterns.shapes import SetPattern

PATTERN = SetPattern(
    key="exercise_set",
    model_id=1_735_689_600_010,
    name="cardgen: exercises",
    help="a kind of exercise and every example the documents give: 'name two', and distinctive example -> kind",
    group=Key("kind", "text", help="the kind, e.g. 'High-impact weight-bearing exercise'"),
    members=Key("examples", "list", help="the examples, in the documents' order"),
    member_field=Field("example", "Example"),
    cue="Exercise for bone",
    set_prompt="Name two examples of {group}.",
    member_prompt="{member}: an example of which kind of exercise?",
)
