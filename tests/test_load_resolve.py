"""The loader's own resolver gives every node the tag CSafeLoader gives it, so what is read
as text, a number, a date or a refusal is what it was before the faster resolver."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cardgen import load
from cardgen.errors import Problem, SourceError

SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None)

# Every first character YAML 1.1's implicit resolvers look at, and values each one takes or
# narrowly misses.
WORDS = [
    *("yes", "Yes", "YES", "yEs", "No", "no", "NO", "on", "On", "Off", "OFF", "y", "Y", "n", "N", "true", "True", "FALSE", "fAlse"),
    *("~", "null", "Null", "NULL", "nULL", "=", "==", "<<", "<", "!", "&", "*", ""),
    *("0", "00", "1_000", "0x1F", "0x_1f", "0o17", "017", "08", "0b101", "+1", "-1", "1:20", "190:20:30", "-1:20", "1:60"),
    *(".inf", "-.Inf", "+.INF", ".NaN", ".nan", ".", "1.5", "1.", "1e3", "1.0e+3", "6.8523015e+5", "-.5", "1_0.5", "1,5"),
    *("2026-01-01", "2026-1-1", "2026-01-01 10:00:00", "2026-1-1T1:00:00Z", "2026-01-01t10:00:00.5+01:00", "2026-13-45"),
    *("a", "é", "topic", "note", "- x", "#", "a: b", "a #b", " a", "a "),
]
CHARS = "0123456789_:.,-+eExXoObB~=<!&*# aTtFfNnYyé"
values = st.one_of(
    st.sampled_from(WORDS),
    st.lists(st.sampled_from([*WORDS, *CHARS]), max_size=5).map("".join),
    st.text(alphabet=CHARS, max_size=10),
    st.text(max_size=6),
)
# How a value can stand in a document: each form composed on its own, so one that is not
# valid YAML hides nothing of the others.
FORMS = [
    "{v}",
    "- {v}\n- [{v}, x]\n",
    "{v}: x\n? {v}\n",
    "{{{v}: {v}}}",
    "! {v}",
    "- ! {v}\n- !\n- !!str {v}\n",
    "! [{v}]",
    "! {{{v}: !}}",
    "!!map {{{v}: x}}",
    "k: |\n  {v}\n",
]


def _render(value: str, style: str) -> str:
    if style == "double":
        return json.dumps(value)  # a double-quoted YAML scalar too
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    return value


def _shape(node: Any) -> list[tuple[str, str, Any]]:
    """Every node's class, tag and (for a scalar) value, depth first."""
    found: list[tuple[str, str, Any]] = []
    stack = [node]
    while stack:
        at = stack.pop()
        if at is None:
            continue
        found.append((type(at).__name__, at.tag, at.value if isinstance(at, yaml.ScalarNode) else None))
        if isinstance(at, yaml.MappingNode):
            stack.extend(part for pair in reversed(at.value) for part in reversed(pair))
        elif isinstance(at, yaml.SequenceNode):
            stack.extend(reversed(at.value))
    return found


def _composed(text: str, loader: Any) -> Any:
    try:
        return _shape(yaml.compose(text, Loader=loader))
    except yaml.YAMLError as exc:
        return f"{type(exc).__name__}: {exc}"


@given(values, st.sampled_from(["plain", "double", "single"]), st.sampled_from(FORMS))
@SETTINGS
def test_every_node_gets_the_tag_csafeloader_gives(value: str, style: str, form: str) -> None:
    text = form.format(v=_render(value, style))
    assert _composed(text, load._Loader) == _composed(text, yaml.CSafeLoader)


@pytest.mark.parametrize("value", WORDS)
@pytest.mark.parametrize("prefix", ["", "! ", "!!str ", '"', "'"])
def test_each_listed_value_gets_the_same_tag(value: str, prefix: str) -> None:
    text = f"- {prefix}{value}{prefix.strip(' !str')}\n"
    assert _composed(text, load._Loader) == _composed(text, yaml.CSafeLoader)


def test_the_resolver_is_consulted_for_each_kind() -> None:
    """The plain function answers for sequences and mappings too, and nothing for an
    unknown kind, as BaseResolver.resolve does."""
    resolve = load._Loader.resolve
    assert resolve(yaml.SequenceNode, None, True) == "tag:yaml.org,2002:seq"
    assert resolve(yaml.MappingNode, None, True) == "tag:yaml.org,2002:map"
    assert resolve(yaml.ScalarNode, "", (True, False)) == "tag:yaml.org,2002:null"
    assert resolve(yaml.ScalarNode, "", (False, False)) == "tag:yaml.org,2002:str"
    assert resolve(yaml.Node, "1", (True, False)) is None


@given(st.lists(st.tuples(values, st.sampled_from(["plain", "double", "single"])), min_size=1, max_size=6))
@SETTINGS
def test_loaded_values_are_what_csafeloader_constructs(items: list[tuple[str, str]]) -> None:
    """Strings taken in the loops, numbers, booleans and nulls by SafeConstructor's own
    functions: the same values yaml.load gives, wherever the source is accepted."""
    lines = [f"k{i}: {_render(v, s)}" for i, (v, s) in enumerate(items)]
    text = "\n".join([*lines, "list:", *(f"  - {_render(v, s)}" for v, s in items)]) + "\n"
    try:
        expected = yaml.load(text, Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, ValueError):  # ValueError: a date past the calendar (2026-13-45)
        return
    source = Path("source.yaml")
    try:
        got = load.load(source, text.encode("utf-8"))
    except SourceError:
        return  # a date, a tab, a control character...: refused, as test_validate pins
    assert repr(got) == repr(expected)


def _outcome(make: Any) -> str:
    try:
        return repr(make())
    except Exception as exc:  # the same failure, as much as the same value
        return f"{type(exc).__name__}: {exc}"


@given(values, st.sampled_from(["int", "bool", "null", "float", "str", "map", "seq"]), st.sampled_from(["plain", "double"]))
@SETTINGS
def test_an_explicitly_tagged_scalar_is_constructed_as_safeloader_does(value: str, tag: str, style: str) -> None:
    """'!!int 0x1F', '!!bool yes', '!!map x' (an empty mapping: its generator is run)...; a
    value its tag cannot read ('!!int yes') is one problem at its place, never an exception."""
    try:
        node = yaml.compose(f"!!{tag} {_render(value, style)}", Loader=load._Loader)
    except yaml.YAMLError:
        return
    if not isinstance(node, yaml.ScalarNode):  # '!!int :' is a mapping with a tagged key
        return
    problems: list[Problem] = []
    expected = _outcome(lambda: yaml.SafeLoader("").construct_object(node))
    if expected.startswith(("ValueError", "KeyError", "IndexError")):
        assert load._convert("s", node, problems, None) is None
        assert [(p.line, p.column) for p in problems] == [(1, 1)] and f"remove the tag '!!{tag}'" in problems[0].message
    else:
        assert _outcome(lambda: load._convert("s", node, problems, None)) == expected and not problems


def _flow_before(text: str) -> int:
    depth = flow = 0
    for m in re.finditer(r"[\[\]{}]", text):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        flow = max(flow, depth)
    return flow


def _maybe_deep_before(text: str) -> bool:
    """The bound as it was computed before: one regex pass for brackets, '^' in MULTILINE."""
    flow = _flow_before(text)
    if 2 + flow > load.MAX_DEPTH:
        return True
    lead = (load.MAX_DEPTH - flow) // 2
    return re.search(rf"^[ -]{{{lead}}}", text, re.M) is not None


line = st.tuples(st.text(alphabet=" -", max_size=40), st.text(alphabet="[]{}ab: -\t\r", max_size=40)).map("".join)
sources = st.tuples(st.lists(line, max_size=12), st.sampled_from(["\n", "\r\n", "\r"])).map(lambda t: t[1].join(t[0]))


@given(sources, st.sampled_from([0, 1, 130]))
@SETTINGS
def test_the_depth_bound_is_what_it_was(text: str, pad: int) -> None:
    """Brackets few among much text or many, counted in the text's UTF-8 bytes (given, or
    encoded), a line's lead found after a literal newline: the same bound, so the same
    sources are walked."""
    padded = text + "é" * (pad * len(text))  # not ASCII: the bytes' places are not the text's
    assert load._flow_depth(padded) == _flow_before(padded)
    assert load._flow_depth(padded, padded.encode()) == _flow_before(padded)
    assert load._maybe_deep(padded) == _maybe_deep_before(padded)


rare_text = st.text(alphabet="ab é\\\t\x1f\x7f\x85\u00ad\u200b\u2800\ufeff\n", max_size=12)


@given(rare_text, rare_text, st.sampled_from(["", " ", "\t", " \t"]))
@SETTINGS
def test_one_pass_for_rare_characters_decides_as_the_separate_checks_did(comment: str, value: str, indent: str) -> None:
    """A tab, control, backslash or invisible character anywhere, or none: the same problems
    as _scan finds and the same 'unusual' flag as searching for each kind on its own."""
    data = f"# {comment}\n{indent}k: {json.dumps(value)}\n{indent}v: {value!r}\n".encode()
    text = load.read_text(Path("s.yaml"), data)
    scanned = load._scan("s.yaml", text)
    try:
        root = load.load(Path("s.yaml"), data)
    except SourceError as exc:
        if scanned:
            assert exc.problems == sorted(scanned)
        return
    assert scanned == []
    assert root.unusual == ("\\" in text or load.INVISIBLE.search(text) is not None)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x text\nb: *x\n",
        "a: &x [1, 2]\nb: *x\n",
        "a: &x {k: v}\nb: [*x]\n",
        "a: [&x t, *x]\nnote: 'R&D, 2 * 3'\n",
        "a: &x k\n*x : v\n",  # an alias as a key
        "&x k: v\nb: {*x : w}\n",
    ],
)
def test_an_alias_is_refused_wherever_it_stands(text: str) -> None:
    """Strings are taken without a walk only where no node can be shared: an alias of a
    string is refused as one of a mapping is."""
    with pytest.raises(SourceError) as refused:
        load.load(Path("s.yaml"), text.encode())
    assert any("alias '*x'" in p.message for p in refused.value.problems), refused.value.problems


def test_an_ampersand_without_an_alias_is_plain_text() -> None:
    root = load.load(Path("s.yaml"), b"a: 'R&D'\nb: [Q&A, '&x']\n")
    assert root == {"a": "R&D", "b": ["Q&A", "&x"]}
