"""A kind of exercise for bone and the examples a document gives, one note per example."""

from cardgen.patterns.base import Field, Key
from cardgen.patterns.shapes import ListPattern

PATTERN = ListPattern(
    key="exercise",
    model_id=1_735_689_600_006,
    name="cardgen: exercise",
    help="a kind of exercise and every example the document gives of it",
    group=Key("kind", "text", help="the kind, e.g. 'High-impact weight-bearing exercise'"),
    members=Key("examples", "list", help="the examples, in the document's order"),
    member_field=Field("example", "Example"),
    list_cue="Bone health, {group} ({document}): examples",
    reverse="Bone health: {member} is an example of which kind of exercise?",
)
