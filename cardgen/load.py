"""Read the YAML source safely into plain data that remembers where each value stood.

Only plain YAML is accepted: mappings with string keys, sequences and scalars. Aliases
and tags beyond YAML's own are refused before anything is built, so no code is
constructed and no alias bomb can expand; nesting is bounded before the (recursive)
composer runs.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, Callable

import yaml
from yaml.resolver import BaseResolver

from cardgen.errors import Problem, SourceError

try:  # libyaml is several times faster; both report the same line and column
    from yaml import CSafeLoader as _Safe
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Safe  # type: ignore[assignment]

MAX_DEPTH = 32
MAX_BYTES = 64 * 1024 * 1024
# C0 controls other than tab, newline and carriage return, and DEL. \x1f in a field breaks
# Anki's import of the whole package.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C1 too: invisible, and some terminals obey them
# Characters that show nothing: a value made of them alone is an empty card.
INVISIBLE = re.compile(
    r"[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
# Any of the characters the checks below look for, tab and backslash too: most sources hold
# none, and then one pass over the text answers them all.
_RARE = re.compile("[\t\\\\" + CONTROL_CHARS.pattern[1:-1] + INVISIBLE.pattern[1:-1] + "]")
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:float",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_ALLOWED_TAGS = _SCALAR_TAGS | {_MAP_TAG, _SEQ_TAG}
_STR_TAG = "tag:yaml.org,2002:str"

Mark = tuple[int, int]


def _resolver(resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]]) -> Callable[[type, Any, Any], str | None]:
    """BaseResolver.resolve for these implicit resolvers and no path resolvers, as one plain
    function: the composer calls it for every node, and the method (a list built, two
    lookups and a path check per call) was a third of the parse. Same lookup by first
    character, same regexes in the same order, so the same tag for every scalar."""
    wildcard = [(tag, regexp.match) for tag, regexp in resolvers.get(None, [])]
    by_first = {
        first: tuple([(tag, regexp.match) for tag, regexp in found] + wildcard) for first, found in resolvers.items() if first is not None
    }
    default = tuple(wildcard)
    scalar, sequence, mapping = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
    str_tag, seq_tag, map_tag = BaseResolver.DEFAULT_SCALAR_TAG, BaseResolver.DEFAULT_SEQUENCE_TAG, BaseResolver.DEFAULT_MAPPING_TAG

    def resolve(kind: type, value: Any, implicit: Any) -> str | None:
        if kind is scalar:
            if implicit[0]:
                for tag, match in by_first.get(value[:1], default):  # value[:1]: "" for "", the key BaseResolver uses for it
                    if match(value):
                        return tag
            return str_tag
        if kind is sequence:
            return seq_tag
        return map_tag if kind is mapping else None

    return resolve


assert not _Safe.yaml_path_resolvers, "the fast resolver ignores path resolvers"


def _descend(current_node: Any, current_index: Any) -> None:
    """The path resolvers' bookkeeping, which SafeLoader has none of. Two named parameters,
    not *args: the composer calls it for every node, and a tuple per call is 20 ns more."""


def _ascend() -> None:
    """As _descend, on the way back up."""


class _Loader(_Safe):
    """SafeLoader's composer with a faster resolver that gives the same tags."""

    resolve = staticmethod(_resolver(_Safe.yaml_implicit_resolvers))
    descend_resolver = staticmethod(_descend)
    ascend_resolver = staticmethod(_ascend)


# What the parser's words usually mean in a hand-edited source.
_SYNTAX_HINTS = (
    ("mapping values are not allowed", "a ':' inside a value; put the whole value in double quotes"),
    ("did not find expected key", "check this line's indentation against the line above, or a quote left open above"),
    ("did not find expected '-' indicator", "the items of one list start at the same column; check the indentation"),
    ("found unexpected end of stream", "a quote or bracket is never closed"),
    ("but found another document", "a second '---'; keep one document per file"),
    ("found character that cannot start any token", "a tab or a stray character; indent with spaces, quote the value"),
)


# Where each key, value and item starts, as the parser marked it (a yaml.Mark, or libyaml's
# own), made a (line, column) only when asked for: most are never asked for, and a tuple for
# each was a third of the walk from nodes to values.
ParserMark = Any


class Map(dict[str, Any]):
    """A mapping that knows where it, each key and each value start (1-based)."""

    __slots__ = ("mark", "key_marks", "value_marks", "unusual")  # no __dict__: one dict fewer per mapping

    def __init__(self, mark: Mark = (1, 1)) -> None:
        self.mark = mark
        self.key_marks: dict[str, ParserMark] = {}
        self.value_marks: dict[str, ParserMark] = {}
        self.unusual = True  # on the root: the file may hold an escape ("\x1f") or an invisible character

    def key_mark(self, key: str) -> Mark:
        """Where `key` stands, or the mapping if it holds no such key."""
        return _mark(self.key_marks[key]) if key in self.key_marks else self.mark

    def value_mark(self, key: str) -> Mark:
        """Where the value of `key` starts, or the mapping if it holds no such key."""
        return _mark(self.value_marks[key]) if key in self.value_marks else self.mark


class Seq(list[Any]):
    """A sequence that knows where it and each item start (1-based)."""

    __slots__ = ("mark", "item_marks")

    def __init__(self, mark: Mark = (1, 1)) -> None:
        self.mark = mark
        self.item_marks: list[ParserMark] = []

    def item_mark(self, index: int) -> Mark:
        return _mark(self.item_marks[index])


def _mark(m: Any) -> Mark:  # yaml.Mark, or libyaml's own
    return (m.line + 1, m.column + 1) if m is not None else (1, 1)


def _position(text: str, index: int) -> Mark:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def read_bytes(path: Path) -> bytes:
    """The file's bytes, read once and at most MAX_BYTES of them: a device that never ends
    (/dev/zero) or a huge file is refused without reading it whole, and a pipe (<(cat f))
    is read only once, so what is checked is what is built."""
    name = str(path)
    if path.is_dir():
        raise SourceError([Problem(name, 1, 1, "is a directory; give the path of a .yaml file")])
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SourceError([Problem(name, 1, 1, f"is {size:,} bytes; a source may hold at most {MAX_BYTES:,}")])
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SourceError([Problem(name, 1, 1, "no such file; check the path or pass --source")]) from None
    except OSError as exc:
        raise SourceError([Problem(name, 1, 1, f"cannot be read ({exc.strerror}); check its permissions")]) from None
    if len(data) > MAX_BYTES:
        raise SourceError([Problem(name, 1, 1, f"holds more than {MAX_BYTES:,} bytes; a source may hold at most {MAX_BYTES:,}")])
    return data


def read_text(path: Path, data: bytes | None = None) -> str:
    """The file's text in NFC, or a SourceError that says why it cannot be read as UTF-8 YAML.

    NFC, because the same word saved decomposed (NFD) by another editor must be the same
    id and the same text, not a new note beside the learner's reviewed one."""
    name = str(path)
    if data is None:
        data = read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _position(data[: exc.start].decode("utf-8", "replace"), exc.start)
        raise SourceError([Problem(name, line, col, f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8")]) from None
    if not text.strip():
        raise SourceError([Problem(name, 1, 1, "the file is empty; a source needs 'format', 'documents', 'decks' and 'facts'")])
    return text if text.isascii() else unicodedata.normalize("NFC", text)  # ASCII is NFC as it stands


def _scan(name: str, text: str) -> list[Problem]:
    """Problems a YAML parser reports badly or not at all: tabs and control characters."""
    if "\t" not in text and CONTROL_CHARS.search(text) is None:  # the common case: one pass, in C
        return []
    problems = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        indent = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:indent]:
            problems.append(Problem(name, lineno, line.index("\t") + 1, "tab in indentation; indent with spaces"))
        for m in CONTROL_CHARS.finditer(line):
            problems.append(Problem(name, lineno, m.start() + 1, f"control character U+{ord(m.group()):04X}; delete it"))
    return problems


def _check_events(name: str, text: str) -> list[Problem]:
    """Walk the event stream (iterative, cheap) to refuse aliases, tags and deep nesting."""
    problems: list[Problem] = []
    try:
        _walk(name, text, problems)
    except yaml.MarkedYAMLError as exc:  # libyaml 0.2.5 and later may stop deep nesting first
        if "nesting depth" not in (exc.problem or ""):
            raise
        line, col = _mark(exc.problem_mark or exc.context_mark)
        problems.append(Problem(name, line, col, f"nesting deeper than {MAX_DEPTH} levels; flatten the structure"))
    return problems


def _walk(name: str, text: str, problems: list[Problem]) -> None:
    depth = 0
    documents = 0
    for event in yaml.parse(text, Loader=_Loader):
        line, col = _mark(event.start_mark)
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                problems.append(Problem(name, line, col, "a second YAML document ('---'); keep one document per file"))
        elif isinstance(event, yaml.AliasEvent):
            problems.append(Problem(name, line, col, f"alias '*{event.anchor}'; aliases are not supported, write the value out"))
        elif isinstance(event, yaml.NodeEvent):
            tag = getattr(event, "tag", None)
            if tag is not None and tag != "!" and tag not in _ALLOWED_TAGS:
                problems.append(Problem(name, line, col, f"tag '{tag}' is not allowed; remove it, values are plain text"))
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    problems.append(Problem(name, line, col, f"nesting deeper than {MAX_DEPTH} levels; flatten the structure"))
                    return
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _flow_depth(text: str, data: bytes | None = None) -> int:
    """The most brackets open at once, a stray closing one never taking the count below 0.

    Counted in the text's UTF-8 bytes (`data`, when they are at hand): a bracket is one ASCII
    byte there, in the same order, and one `bytes.translate` in C keeps only them. Counted in
    a str that is not ASCII, four passes took 0.16 s of a 50,000-fact build, 0.02 s this way."""
    brackets = (text.encode("utf-8", "surrogatepass") if data is None else data).translate(None, _NOT_BRACKETS)
    depth = flow = 0
    for bracket in brackets:
        depth = depth + 1 if bracket in b"[{" else max(0, depth - 1)
        flow = max(flow, depth)
    return flow


def _maybe_deep(text: str, data: bytes | None = None) -> bool:
    """Whether an upper bound of the nesting depth passes MAX_DEPTH, cheap enough for every load.

    Block nesting needs more indentation (or a "- ") per level, about; flow nesting is at
    most the running count of open brackets, those in quoted text included. Only a source
    whose bound is high pays for the exact walk over the parser's events. The bound is
    2 * (lead + 1) + flow, where lead is the longest run of spaces and dashes starting a line.
    """
    flow = _flow_depth(text, data)
    if 2 + flow > MAX_DEPTH:
        return True
    lead = (MAX_DEPTH - flow) // 2  # the shortest lead that takes the bound past MAX_DEPTH
    # "^" in MULTILINE is the start or just after a "\n": searched for as the literal "\n",
    # the regex skips ahead in C instead of trying every position as a line start
    return re.match(rf"[ -]{{{lead}}}", text) is not None or re.search(rf"\n[ -]{{{lead}}}", text) is not None


class _Repeated(Exception):
    """The composed tree shares a node: the document uses an alias."""


_Scalar = yaml.ScalarNode
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_PLAIN_TAGS = _SCALAR_TAGS - {_STR_TAG}  # whose constructors return the value itself


def _convert(name: str, node: yaml.Node, problems: list[Problem], seen: set[int] | None) -> Any:
    """The node as Map, Seq and plain values. `seen` holds the nodes walked, when the text
    may have an anchor ('&') and an alias ('*'); without both, no node can be shared.

    A plain string item is taken in the loops without a call (most nodes are one), and the
    marks are made in line: the two calls per node were most of this walk's time."""
    if seen is not None:
        if id(node) in seen:  # an alias: never walk a node twice (that is how a bomb goes off)
            raise _Repeated
        seen.add(id(node))
    tag = node.tag
    if tag == _STR_TAG and type(node) is _Scalar:  # most nodes: one test
        return node.value
    if tag not in _ALLOWED_TAGS:
        line, col = _mark(node.start_mark)
        if isinstance(node, yaml.ScalarNode) and not node.style:  # a plain value YAML reads as a date, '=' or '<<'
            read = {"timestamp": "a date", "value": "YAML's '=' value", "merge": "a merge key"}.get(tag.rsplit(":", 1)[-1], tag)
            problems.append(
                Problem(name, line, col, f"'{node.value}' is read by YAML as {read}; put it in double quotes to keep it as text")
            )
        else:
            problems.append(Problem(name, line, col, f"tag '{tag}' is not allowed; remove it, values are plain text"))
        return None
    walk = seen is None  # a string may be taken in line only when no node can be shared
    if isinstance(node, yaml.MappingNode):
        m = node.start_mark
        result = Map(mark=(m.line + 1, m.column + 1))
        key_marks, value_marks = result.key_marks, result.value_marks
        for key_node, value_node in node.value:
            kmark = key_node.start_mark
            if seen is not None:  # a key can be an alias too ('*x : v')
                if id(key_node) in seen:
                    raise _Repeated
                seen.add(id(key_node))
            if key_node.tag != _STR_TAG or type(key_node) is not _Scalar:
                problems.append(Problem(name, *_mark(kmark), "a key must be plain text; quote it or rename it"))
                continue
            key = key_node.value
            if key in result:
                first = result.key_mark(key)
                problems.append(
                    Problem(name, *_mark(kmark), f"key '{key}' is given twice in this mapping (first at line {first[0]}); keep one")
                )
                continue
            if walk and value_node.tag == _STR_TAG and type(value_node) is _Scalar:
                result[key] = value_node.value
            else:
                result[key] = _convert(name, value_node, problems, seen)
            key_marks[key] = kmark
            value_marks[key] = value_node.start_mark
        return result
    if isinstance(node, yaml.SequenceNode):
        m = node.start_mark
        seq = Seq(mark=(m.line + 1, m.column + 1))
        append, marks = seq.append, seq.item_marks.append
        for item in node.value:
            if walk and item.tag == _STR_TAG and type(item) is _Scalar:
                append(item.value)
            else:
                append(_convert(name, item, problems, seen))
            marks(item.start_mark)
        return seq
    assert isinstance(node, yaml.ScalarNode)
    if tag == _STR_TAG:
        return node.value
    try:
        if tag in _PLAIN_TAGS:  # by SafeConstructor's own function, without a new loader each time
            return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)  # no code runs; nothing kept
        return yaml.SafeLoader("").construct_object(node)  # '!!map x': its generators are run
    except (ValueError, KeyError, IndexError):  # a value its explicit tag cannot read: '!!int x', '!!bool maybe', '!!int'
        kind = tag.rsplit(":", 1)[-1]
        m = node.start_mark
        problems.append(Problem(name, m.line + 1, m.column + 1, f"'{node.value}' is not YAML's {kind}; remove the tag '!!{kind}'"))
        return None


def load(path: Path, data: bytes | None = None, text: str | None = None) -> Map:
    """Parse `path` (or `data`, its bytes already read, or `text`, as `read_text` read them)
    into a Map, or raise SourceError listing every problem found."""
    name = str(path)
    text = read_text(path, data) if text is None else text
    rare = _RARE.search(text)
    problems = _scan(name, text) if rare else []
    if problems and CONTROL_CHARS.search(text):  # the YAML reader refuses them too, less helpfully; _scan found any
        raise SourceError(problems)
    try:
        # libyaml's composer recurses in C: deep nesting must be refused before it runs.
        if _maybe_deep(text, data):
            problems += _check_events(name, text)
        if problems:
            raise SourceError(problems)
        node = yaml.compose(text, Loader=_Loader)
        if node is None:
            raise SourceError([Problem(name, 1, 1, "the file holds no data; a source needs 'format', 'documents', 'decks' and 'facts'")])
        data = _convert(name, node, problems, set() if "&" in text and "*" in text else None)
    except _Repeated:  # the exact walk names each alias where it stands
        raise SourceError(_check_events(name, text)) from None
    except yaml.MarkedYAMLError as exc:
        line, col = _mark(exc.problem_mark or exc.context_mark)
        what = exc.problem or "not valid YAML"
        hint = next((h for start, h in _SYNTAX_HINTS if what.startswith(start)), "fix the syntax near here")
        problems.append(Problem(name, line, col, f"YAML syntax: {what}; {hint}"))
        raise SourceError(problems) from None
    except yaml.YAMLError as exc:  # the reader's errors carry no mark
        problems.append(Problem(name, 1, 1, f"not readable as YAML ({exc}); fix the file"))
        raise SourceError(problems) from None
    if problems:
        raise SourceError(problems)
    if not isinstance(data, Map):
        line, col = _mark(node.start_mark)
        raise SourceError([Problem(name, line, col, "the top level must be a mapping with 'format', 'documents', 'decks' and 'facts'")])
    data.unusual = rare is not None and ("\\" in text or INVISIBLE.search(text, rare.start()) is not None)  # none before it
    return data
