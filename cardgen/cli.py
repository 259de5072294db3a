"""The command line: parse options, call one library function, format the result.

Exit codes: 0 ok; 1 invalid data, a stale check or a failed build; 2 usage.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from cardgen import __version__
from cardgen.errors import CardgenError, SourceError

if TYPE_CHECKING:
    from cardgen.records import Source

SOURCE = click.option(
    "--source",
    "-s",
    type=click.Path(path_type=Path),
    default=Path("source.yaml"),
    show_default=True,
    help="The knowledge base to read.",
)


def _folder(ctx: click.Context, param: click.Parameter, value: str) -> Path:
    if not value.strip():
        raise click.BadParameter("is empty; name the folder for the decks, e.g. --out decks")
    return Path(value)


OUT = click.option(
    "--out",
    "-o",
    type=click.Path(file_okay=False),
    default="decks",
    show_default=True,
    callback=_folder,
    help="Where the .apkg packages and the lock file go (a folder of their own).",
)


# Control characters (C0 but tab and newline, DEL, C1) and bidirectional overrides: a
# hostile source could clear the terminal or print a fake "ok" through an error message.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe(text: str) -> str:
    """Text as a terminal should show it: every control character written out, none obeyed."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def echo(text: str = "") -> None:
    click.echo(safe(text))


class Failure(click.ClickException):
    """Exit 1 with a message, its control characters shown, not obeyed."""

    def format_message(self) -> str:
        return safe(self.message)


def _read(source: Path) -> Source:
    """The source as records, or exit 1 with every problem in it."""
    from cardgen.validate import read_source

    try:
        return read_source(source)
    except CardgenError as error:
        raise _fail(error) from None


def _fail(error: CardgenError, writes: bool = False) -> Failure:
    if isinstance(error, SourceError):
        count = len(error.problems)
        tail = "; nothing was written" if writes else ""
        return Failure(f"{error}\n{count} problem{'s' * (count != 1)} found{tail}")
    return Failure(str(error))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="cardgen")
def cli() -> None:
    """Turn a curated file of facts (source.yaml) into update-safe Anki decks.

    \b
    Example:
      cardgen validate
      cardgen build
      cardgen build --check    # in CI: fail when decks/ is stale

    Exit codes: 0 ok, 1 invalid data or failed build, 2 usage error.
    """


class _Progress:
    """A progress bar on stderr (or `stream`) for a build that runs past `after` seconds;
    silent when the stream is not a terminal (piped, or a log)."""

    def __init__(self, enabled: bool, stream: TextIO | None = None, after: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.start, self.after = time.monotonic(), after
        self.bar: Any = None
        self.stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or time.monotonic() - self.start < self.after:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = click.progressbar(length=total, label=f"cardgen: {stage}", file=self.stream).__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


QUIET = click.option("--quiet", "-q", is_flag=True, help="No progress bar.")


@cli.command()
@SOURCE
@OUT
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and name what is stale if OUT differs from what the source builds.")
@click.option(
    "--recover-lock", is_flag=True, help="Rebuild a lost cardgen.lock.json from the packages (and CHANGELOG.md) in OUT, then build."
)
@QUIET
def build(source: Path, out: Path, check: bool, recover_lock: bool, quiet: bool) -> None:
    """Validate the source and write one .apkg per deck, and the lock, into OUT.

    Re-importing a rebuilt package updates changed notes in place, adds nothing twice and
    keeps every review: identity comes from fact ids and the lock file, not from text.

    \b
    Example:
      cardgen build
      cardgen build --source my.yaml --out dist/
      cardgen build --check
      cardgen build --recover-lock     # the lock was lost; the packages remember
    """
    from cardgen.build import build as run  # genanki loads only for the commands that need it

    progress = _Progress(not quiet)
    try:
        result = run(source, out, check=check, progress=progress, recover_lock=recover_lock)
    except CardgenError as error:
        raise _fail(error, writes=not check) from None
    finally:
        progress.close()
    from cardgen.upgrade import report

    summary = "".join(f"note: {n}\n" for n in result.notices) + (
        f"{len(result.decks)} deck{'s' * (len(result.decks) != 1)}, {result.note_types} note types, "
        f"{result.notes} notes, {result.cards} cards\n" + report(result.decks)
    )
    if check:
        if result.stale:
            raise Failure(
                "stale: "
                + "\n       ".join(result.stale)
                + f"\nsee what changed with 'cardgen diff --source {source} --out {out}', then run "
                f"'cardgen build --source {source} --out {out}' and commit {out}/"
            )
        echo(f"{summary}\n{out}/ is up to date with {source}")
        return
    if result.up_to_date:
        echo(f"{summary}\n{out}/ is up to date: source, lock and decks are as the last build left them")
        return
    written = ", ".join(result.written) if result.written else "nothing changed"
    how = "\n(built from the last build: only what the edit touched was read again)" if result.incremental else ""
    echo(f"{summary}\nwrote to {out}/: {written}{how}")


@cli.command()
@SOURCE
@OUT
def diff(source: Path, out: Path) -> None:
    """Show what importing a new build does to a collection holding the one in OUT.

    Notes added, updated (each changed field, old and new), unchanged and retired; note
    types changed in place or in a new version, with what learners must do; and the counts
    Anki's import will report. Writes nothing. Exits 1 when the build would be refused.

    \b
    Example:
      cardgen diff
      cardgen diff --out decks/ | less
    """
    from cardgen.build import diff as run
    from cardgen.upgrade import report

    try:
        result = run(source, out)
    except CardgenError as error:
        raise _fail(error) from None
    echo("".join(f"note: {n}\n" for n in result.notices) + report(result.decks, long=True))


@cli.command()
@SOURCE
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
def lint(source: Path, strict: bool, fmt: str) -> None:
    """Check every card the source builds against the card-quality rules.

    Findings point at the fact: FILE:LINE:COL: severity: [check] message. To accept a
    finding on one fact, name the check under the fact's `accept:` with the reason.

    \b
    Example:
      cardgen lint
      cardgen lint --strict            # in CI: warnings fail too
      cardgen lint --format json | jq '.findings[] | .check'
    """
    import json

    from cardgen.lint import lint_file

    try:
        report = lint_file(source)
    except CardgenError as error:
        raise _fail(error) from None
    if fmt == "json":
        findings = [f.__dict__ for f in report.findings]
        accepted = [f.__dict__ for f in report.accepted]
        echo(json.dumps({"cards": report.cards, "findings": findings, "accepted": accepted}, indent=2))
    else:
        for severity in ("error", "warning"):  # errors first, each group under its heading
            group = [f for f in report.findings if f.severity == severity]
            if group:
                echo(f"{severity}s:")
                echo("\n".join(str(f) for f in group))
        echo(
            f"{report.cards} cards: {report.errors} error{'s' * (report.errors != 1)}, "
            f"{report.warnings} warning{'s' * (report.warnings != 1)}, {len(report.accepted)} accepted"
        )
    if report.errors or (strict and report.warnings):
        raise SystemExit(1)


@cli.command()
@SOURCE
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--summary", is_flag=True, help="Only the table per document and the sentences unaccounted for.")
def sources(source: Path, fmt: str, summary: bool) -> None:
    """List every sentence of every document with the facts that quote it.

    A sentence no fact quotes is either skipped on purpose (a `skip:` entry in the source,
    with its reason) or reported as unaccounted for. Exits 1 while any substantive sentence
    is unaccounted for, or a skip covers only sentences that facts already quote.

    \b
    Example:
      cardgen sources                  # every sentence: quoted by, skipped because, or missing
      cardgen sources --summary        # in CI: the table, and what is missing
      cardgen sources --format json | jq '.[].lines[] | select(.status == "unaccounted")'
    """
    import json

    from cardgen.coverage import as_json, coverage
    from cardgen.stats import format_table

    parsed = _read(source)
    try:
        coverages = coverage(parsed)
    except CardgenError as error:
        raise _fail(error) from None
    if fmt == "json":
        echo(json.dumps(as_json(coverages), indent=2, ensure_ascii=False))
    else:
        mark = {"quoted": "quoted", "skipped": "skipped", "unaccounted": "MISSING", "no words": "-"}
        for c in coverages:
            echo(f"{c.document.key}: {c.document.title} ({c.document.file})")
            for a in c.accounts:
                if summary and a.status != "unaccounted":
                    continue
                why = ", ".join(a.facts) if a.facts else "; ".join(a.skips)
                echo(f"  {a.sentence.line:>4}  {mark[a.status]:<7}  {a.sentence.text}" + (f"  [{why}]" if why else ""))
            echo()
        rows = [[c.document.key, c.total, c.count("quoted"), c.count("skipped"), c.count("unaccounted")] for c in coverages]
        echo(format_table(["document", "sentences", "quoted", "skipped", "unaccounted"], rows))
        for c in coverages:
            reasons = ", ".join(f"{reason} {n}" for reason, n in c.reasons().items())
            if reasons:
                echo(f"skipped in {c.document.key}: {reasons}")
    problems = []
    missing = sum(c.count("unaccounted") for c in coverages)
    if missing:
        problems.append(
            f"{missing} sentence{'s' * (missing != 1)} neither quoted nor skipped; quote "
            f"{'them' if missing != 1 else 'it'} from a fact, or add a 'skip:' entry with the reason"
        )
    for c in coverages:
        for skip in c.redundant:
            problems.append(
                f"{source}:{skip.mark[0]}:{skip.mark[1]}: skip of \"{skip.quote}\" in '{c.document.key}' covers only "
                "sentences that facts quote; remove it"
            )
    if problems:
        raise Failure("\n".join(problems))


@cli.command()
@SOURCE
def stats(source: Path) -> None:
    """Show what the source builds: per deck and note type, facts per document, long fronts.

    \b
    Example:
      cardgen stats
      cardgen stats --source drafts/new-facts.yaml
    """
    from cardgen.cards import cards_of
    from cardgen.quality import FRONT_CHARS, FRONT_SHARE
    from cardgen.stats import facts_per_document, format_table, long_fronts, table

    parsed = _read(source)
    cards = cards_of(parsed)
    rows = table(cards)
    body = [[r.deck, r.note_type, r.notes, r.cards, r.tags, r.sources] for r in rows]
    totals = ["total", "", sum(r.notes for r in rows), sum(r.cards for r in rows), "", ""]
    echo(format_table(["deck", "note type", "notes", "cards", "tags", "sources"], [*body, totals]))
    echo()
    docs = facts_per_document(parsed)
    echo(format_table(["document", "title", "facts"], [list(d) for d in docs]))
    long = long_fronts(cards)
    echo()
    echo(
        f"fronts over {FRONT_CHARS} characters: {long} of {len(cards)} cards ({long / max(len(cards), 1):.1%}); "
        f"the card-quality guide allows at most {FRONT_SHARE:.0%}"
    )


@cli.command()
@SOURCE
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("preview"),
    show_default=True,
    help="Where the gallery (index.html) goes.",
)
@click.option("--open", "open_", is_flag=True, help="Open the gallery in the default browser.")
def preview(source: Path, out: Path, open_: bool) -> None:
    """Write an HTML gallery of every card, as the Anki engine renders it.

    Front and back of each card, grouped by deck and note type, with a filter by text,
    tag and note type, its fact id, source and lint findings, and toggles for night mode
    and phone or desktop width. One self-contained file: it needs no network.
    Needs the Anki engine: pip install 'cardgen[preview]'.

    \b
    Example:
      cardgen preview --open
      cardgen preview --source drafts/new.yaml --out /srv/www/cards
    """
    from cardgen.preview import render_cards, write_gallery

    try:
        cards = render_cards(source)
        page = write_gallery(cards, out)
    except CardgenError as error:
        raise _fail(error, writes=True) from None
    echo(f"{len(cards)} cards: {page}")
    if open_:
        click.launch(str(page.resolve()))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the source format.

    Point an editor at it for completion and checking as you type: the first line of
    source.yaml names it for the YAML language server (VS Code, Neovim, JetBrains).

    \b
    Example:
      cardgen schema > docs/source.schema.json
      # yaml-language-server: $schema=docs/source.schema.json
    """
    import json

    from cardgen.schema import source_schema

    echo(json.dumps(source_schema(), indent=2))


@cli.command()
@SOURCE
def validate(source: Path) -> None:
    """Check the source and report every problem found, as FILE:LINE:COL: message.

    \b
    Example:
      cardgen validate
      cardgen validate --source drafts/new-facts.yaml
    """
    parsed = _read(source)
    echo(f"{source}: ok: {len(parsed.facts)} facts in {len(parsed.decks)} deck{'s' * (len(parsed.decks) != 1)}")
