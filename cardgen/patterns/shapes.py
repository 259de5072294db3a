"""Shapes that several patterns share; each pattern module fills one in with its words."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from cardgen.patterns.base import (
    EXTRA,
    LABELS,
    REVERSE,
    SOURCE,
    Field,
    Key,
    Template,
    back,
    common,
    items,
    norm,
    tags,
    text,
    words,
)
from cardgen.records import Fact, Item, NoteSpec


@dataclass(frozen=True)
class AttributePattern:
    """A subject and one attribute of it (a nutrient's role, a deficiency's effect).

    The reverse card (attribute -> subject) is made only where the maintainer asks for it
    with `reverse: true`, and validation refuses it when another subject has the same
    attribute: a reverse card with several right answers is the interference the deck
    must avoid, and whether two wordings mean the same is a judgement, not a string match.
    """

    key: str
    model_id: int
    name: str
    help: str
    subject: Key
    attribute: Key
    forward: str  # front prompt; {subject}, {cue} are replaced by the fields
    reverse: str  # reverse prompt; {attribute}, {cue} are replaced by the fields
    cue_prefix: str
    cloze: bool = False

    @property
    def keys(self) -> tuple[Key, ...]:
        return (
            self.subject,
            self.attribute,
            Key("cue", "text", required=False, help="context that tells facts apart"),
            Key("reverse", "bool", required=False, help="also ask for the subject; only where no other has it"),
        )

    @property
    def fields(self) -> tuple[Field, ...]:
        return (
            Field(self.subject.name, self.subject.name.capitalize()),
            Field(self.attribute.name, self.attribute.name.capitalize()),
            Field("cue", "Cue"),
            REVERSE,
            EXTRA,
            SOURCE,
        )

    @property
    def templates(self) -> tuple[Template, ...]:
        s = "{{" + self.subject.name.capitalize() + "}}"
        a = "{{" + self.attribute.name.capitalize() + "}}"
        # The cue stands in the question itself: the same nutrient's role in two documents
        # must not look like one prompt with two answers.
        per = "{{#Cue}}, per the <i>{{Cue}}</i>{{/Cue}}"
        cue = f'<div class="cue">{self.cue_prefix}</div>\n'
        forward = cue + '<div class="prompt">' + self.forward.format(subject=f"<b>{s}</b>", cue=per) + "</div>"
        reverse = cue + '<div class="prompt">' + self.reverse.format(attribute=a, cue=per) + "</div>"
        return (
            Template("forward", self.attribute.name.capitalize(), forward, back(a)),
            Template("reverse", self.subject.name.capitalize(), "{{#Reverse}}\n" + reverse + "\n{{/Reverse}}", back(s), True),
        )

    def check(self, facts: Sequence[Fact]) -> Iterator[tuple[Fact, str, str]]:
        subjects: dict[str, set[str]] = defaultdict(set)
        for fact in facts:
            subjects[norm(fact.data[self.attribute.name])].add(norm(fact.data[self.subject.name]))
        for fact in facts:
            others = subjects[norm(fact.data[self.attribute.name])] - {norm(fact.data[self.subject.name])}
            if fact.data.get("reverse") and others:
                yield (
                    fact,
                    "reverse",
                    (
                        f"reverse card asked for, but {self.attribute.name} is the same for {', '.join(sorted(others))}; "
                        "remove 'reverse: true'"
                    ),
                )

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        for fact in facts:
            subject, attribute = fact.data[self.subject.name], fact.data[self.attribute.name]
            unique = bool(fact.data.get("reverse"))
            yield NoteSpec(
                self.key,
                fact.id,
                fact,
                (text(subject), text(attribute), text(fact.data.get("cue") or ""), "y" if unique else "") + common(fact),
                tags(fact, self.key, subject),
            )


def _distinctive(facts: Sequence[Fact], group_key: str, members_key: str) -> Callable[[Item], bool]:
    """Whether a member may ask for its group: no word of it stands in another group's
    name or members, and the maintainer did not say `reverse: false`."""
    bags: dict[str, set[str]] = defaultdict(set)  # each group's name as compared -> the words of its name and members
    member_words: dict[str, frozenset[str]] = {}  # each member's and group's words, worked out once
    for fact in facts:
        name = fact.data[group_key]
        bag = bags[norm(name)]
        for said in (name, *(item.text for item in items(fact, members_key))):
            found = member_words.get(said)
            if found is None:
                found = member_words[said] = words(said)
            bag |= found
    # A member's words are all in its own group's bag: one is another group's too exactly when
    # it is in more than one bag.
    counts = Counter(word for bag in bags.values() for word in bag)
    shared = {word for word, count in counts.items() if count > 1}

    def distinctive(item: Item) -> bool:
        return item.reverse and shared.isdisjoint(member_words[item.text])

    return distinctive


@dataclass(frozen=True)
class ListPattern:
    """A named group and its members in the document's order (foods rich in a nutrient).

    One note per member, never one card for the whole list: the front shows the list with
    that member blanked (an overlapping cloze). The reverse card (member -> group) exists
    only when no member or name of another group shares a word with it: "Cooked Spinach"
    is not unique while "Spinach" stands in another list, nor "strength training" beside
    "Exercise to improve strength". Cautious by design: a missing reverse card costs
    little, a reverse card with two right answers teaches confusion.
    """

    key: str
    model_id: int
    name: str
    help: str
    group: Key
    members: Key
    member_field: Field
    list_cue: str  # the cue above the list; {group} and {document} are replaced
    reverse: str  # reverse prompt; {member} is replaced
    cloze: bool = False

    @property
    def keys(self) -> tuple[Key, ...]:
        return (self.group, self.members, Key("cue", "text", required=False, help="context that tells lists apart"))

    @property
    def fields(self) -> tuple[Field, ...]:
        return (
            Field(self.group.name, self.group.name.capitalize()),
            self.member_field,
            Field("list", "List"),
            Field("cue", "Cue"),
            REVERSE,
            EXTRA,
            SOURCE,
        )

    @property
    def templates(self) -> tuple[Template, ...]:
        g = "{{" + self.group.name.capitalize() + "}}"
        m = "{{" + self.member_field.name + "}}"
        cue = self.list_cue.format(group=f"<b>{g}</b>", document="{{Cue}}")
        front = f'<div class="cue">{cue}</div>\n<div class="prompt">{{{{List}}}}</div>\n{LABELS}'  # the list's blank
        reverse = (
            '{{#Reverse}}\n<div class="cue">{{Cue}}</div>\n<div class="prompt">'
            + self.reverse.format(member=f"<b>{m}</b>")
            + "</div>\n{{/Reverse}}"
        )
        return (
            Template("member", self.member_field.name, front, back(m)),
            Template("group", self.group.name.capitalize(), reverse, back(g), True),
        )

    def check(self, facts: Sequence[Fact]) -> Iterator[tuple[Fact, str, str]]:
        return iter(())

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        distinctive = _distinctive(facts, self.group.name, self.members.name)
        for fact in facts:
            group = fact.data[self.group.name]
            members = items(fact, self.members.name)
            cue = text(fact.data.get("cue") or fact.document.short)
            extra, source = common(fact)
            shown = [text(other.text) for other in members]
            named, tagged = text(group), tags(fact, self.key, group)  # the same for every member
            for index, item in enumerate(members):
                listing = ", ".join([*shown[:index], '<span class="blank">[…]</span>', *shown[index + 1 :]])
                unique = distinctive(item)
                yield NoteSpec(
                    self.key,
                    f"{fact.id}/{item.id}",
                    fact,
                    (named, shown[index], listing, cue, "y" if unique else "", extra, source),
                    tagged,
                )


@dataclass(frozen=True)
class SetPattern:
    """A named set and its members (the foods rich in a nutrient), taught as a set.

    An unordered set is never a list with one member blanked: that card is answered by
    remembering the list's wording. Instead (../shared/card-quality.md, sets): one note for
    the set, whose card asks for any two members and shows them all on the back; and one
    note per distinctive member, asking for its group, only where no word of the member
    stands in another set or group name, so the answer is the only right one. A member
    marked `reverse: false` never gets that card.
    """

    key: str
    model_id: int
    name: str
    help: str
    group: Key
    members: Key
    member_field: Field
    cue: str  # the context line above every prompt, unless the fact gives its own
    set_prompt: str  # {group} is replaced
    member_prompt: str  # {member} is replaced
    cloze: bool = False

    @property
    def keys(self) -> tuple[Key, ...]:
        return (self.group, self.members, Key("cue", "text", required=False, help="context shown above the prompt"))

    @property
    def fields(self) -> tuple[Field, ...]:
        return (
            Field(self.group.name, self.group.name.capitalize()),
            self.member_field,
            Field("members", "Members"),
            Field("set", "Set"),
            Field("cue", "Cue"),
            EXTRA,
            SOURCE,
        )

    @property
    def templates(self) -> tuple[Template, ...]:
        g = "{{" + self.group.name.capitalize() + "}}"
        m = "{{" + self.member_field.name + "}}"
        members = '\n<div class="members">{{Members}}</div>'
        set_front = (
            '{{#Set}}\n<div class="cue">{{Cue}}</div>\n<div class="prompt">'
            + self.set_prompt.format(group=f"<b>{g}</b>")
            + "</div>\n{{/Set}}"
        )
        member_front = (
            "{{#"
            + self.member_field.name
            + '}}\n<div class="cue">{{Cue}}</div>\n<div class="prompt">'
            + self.member_prompt.format(member=f"<b>{m}</b>")
            + "</div>\n{{/"
            + self.member_field.name
            + "}}"
        )
        return (
            Template("set", "Any two", set_front, back("Any two of:").replace("</div>\n", "</div>" + members + "\n", 1)),
            Template("member", self.group.name.capitalize(), member_front, back(g).replace("</div>\n", "</div>" + members + "\n", 1), True),
        )

    def check(self, facts: Sequence[Fact]) -> Iterator[tuple[Fact, str, str]]:
        return iter(())

    def notes(self, facts: Sequence[Fact]) -> Iterator[NoteSpec]:
        distinctive = _distinctive(facts, self.group.name, self.members.name)
        for fact in facts:
            group = fact.data[self.group.name]
            members = items(fact, self.members.name)
            listing = ", ".join(text(m.text) for m in members)
            cue = text(fact.data.get("cue") or self.cue)
            extra, source = common(fact)
            tagged = tags(fact, self.key, group)
            yield NoteSpec(self.key, fact.id, fact, (text(group), "", listing, "y", cue, extra, source), tagged)
            for item in members:
                if distinctive(item):
                    yield NoteSpec(
                        self.key, f"{fact.id}/{item.id}", fact, (text(group), text(item.text), listing, "", cue, extra, source), tagged
                    )
