"""The benchmark: cardgen against its floor, side by side, in one run.

    python bench/run.py            # 1,000, 10,000 and 50,000 facts
    python bench/run.py --quick    # 1,000 and 10,000 only

Not a test: it measures wall time and peak memory (each command in its own process) and
prints a Markdown table with the ratios and the targets of issues 8, 13 and 14, on two sources:
the synthetic one and a realistic one (text sizes of a curated deck, non-Latin words, three
decks); `lint` and `preview` on sources of alike fronts (near-duplicates, templated prompts). The floor runs with the cycle collector off, as cardgen's build does. A build and
its floors run in turns, best of five (of three at 50,000 facts), so that a busy spell of the
machine slows them alike; beside the wall-time ratio, the ratio of CPU time (user + system,
every thread: cardgen zips its packages on a second thread). Everything it writes goes to a
scratch folder inside bench/ and is removed at the end.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


PY = sys.executable
# The entry point beside this Python: a shim on PATH (pyenv's is a shell script) would be
# timed too, and the baseline runs this Python directly.
CARDGEN = (
    str(Path(sys.executable).with_name("cardgen"))
    if Path(sys.executable).with_name("cardgen").exists()
    else (shutil.which("cardgen") or "cardgen")
)


@dataclass
class Run:
    seconds: float  # wall time
    peak_mib: float
    cpu: float = float("inf")  # user + system time, every thread of the process


def measure(command: list[str], env: dict[str, str] | None = None, repeat: int = 1, allowed: tuple[int, ...] = (0,)) -> Run:
    """The best wall time and CPU time of `repeat` runs, and the process's peak resident memory;
    an exit code not `allowed` stops the benchmark."""
    best = Run(float("inf"), 0.0)
    for _ in range(repeat):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in allowed:
            raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode() if process.stderr else ''}")
        cpu = usage.ru_utime + usage.ru_stime
        best = Run(min(best.seconds, elapsed), max(best.peak_mib, usage.ru_maxrss / 1024), min(best.cpu, cpu))
    return best


def interleaved(commands: dict[str, tuple[list[str], Path | None]], env: dict[str, str], repeat: int) -> dict[str, Run]:
    """The best of `repeat` runs of each command, taken in turns (one of each, then again), so
    that a busy spell of the machine slows each command alike rather than one alone; each
    command's folder (if any) is removed before each of its runs: a build from nothing."""
    best = {name: Run(float("inf"), 0.0) for name in commands}
    for _ in range(repeat):
        for name, (command, fresh) in commands.items():
            if fresh is not None:
                shutil.rmtree(fresh, ignore_errors=True)
            once = measure(command, env)
            was = best[name]
            best[name] = Run(min(was.seconds, once.seconds), max(was.peak_mib, once.peak_mib), min(was.cpu, once.cpu))
    return best


def notes_in(source: Path) -> int:
    """Counted in a child process: a parent that loaded the YAML would be forked with that
    memory, and every later child's peak (ru_maxrss counts the forked image) would show it."""
    code = (
        "import sys, yaml; data = yaml.load(open(sys.argv[1], encoding='utf-8'), Loader=yaml.CSafeLoader);"
        "print(sum(len(f.get('foods') or f.get('examples') or [None]) for f in data['facts']))"
    )
    return int(subprocess.run([PY, "-c", code, str(source)], capture_output=True, text=True, check=True).stdout)


def row(
    what: str, ours: float, base: float, target: str = "-", ok: bool = False, unit: str = "s", cpu: tuple[float, float] | None = None
) -> str:
    """A table row; one without a target says '-' under "met", never "yes". `cpu`: both sides'
    CPU time, for the ratio of the work done (cardgen zips its packages on a second thread)."""
    met = "-" if target == "-" else "yes" if ok else "**no**"
    work = f"{cpu[0] / cpu[1]:.2f}x" if cpu else "-"
    return f"| {what} | {ours:.2f} {unit} | {base:.2f} {unit} | {ours / base:.2f}x | {work} | {target} | {met} |"


def write(path: Path, facts: int, realistic: bool = False, kind: str = "synthetic") -> Path:
    """The synthetic source, written by a child process: a parent that built it would be
    forked with that memory, and every later child's peak (ru_maxrss counts the forked image
    until exec) would show it."""
    code = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); from synth import write; from pathlib import Path; "
        f"write(Path({str(path)!r}), {facts}, {realistic}, {kind!r})"
    )
    subprocess.run([PY, "-c", code], check=True)
    return path


def best_build(source: Path, out: Path, env: dict[str, str], repeat: int) -> Run:
    """The best of `repeat` full builds, each from nothing."""
    best = Run(float("inf"), 0.0)
    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        once = measure([CARDGEN, "build", "--quiet", "--source", str(source), "--out", str(out)], env)
        best = Run(min(best.seconds, once.seconds), max(best.peak_mib, once.peak_mib))
    return best


def lint_rows(scratch: Path, env: dict[str, str]) -> list[str]:
    """lint on 4,000 facts whose fronts are alike (issue 13: 103 s, quadratic), against a build
    of them; preview of 2,000, which lints too, where the Anki engine is installed."""
    env = {**env, "PYTHONPATH": str(ROOT)}  # this checkout's cardgen, whichever one is installed
    lines = []
    for kind in ("similar", "templated"):
        (scratch / kind).mkdir(exist_ok=True)
        source = write(scratch / kind / "s4000.yaml", 4_000, kind=kind)
        # lint exits 1 on findings, and these sources are made to have them: time it, not its verdict.
        linted = measure([CARDGEN, "lint", "--source", str(source)], env, 2, allowed=(0, 1))
        built = best_build(source, scratch / kind / "out", env, 2)
        lines.append(row(f"{kind}: `lint`, 4,000 facts, vs build of them", linted.seconds, built.seconds, "<= 5 s", linted.seconds <= 5))
    if subprocess.run([PY, "-c", "import anki"], capture_output=True).returncode == 0:
        source = write(scratch / "similar" / "s2000.yaml", 2_000, kind="similar")
        shown = measure([CARDGEN, "preview", "--source", str(source), "--out", str(scratch / "preview")], env, 2)
        built = best_build(source, scratch / "similar" / "out2000", env, 2)
        lines.append(row("similar: `preview`, 2,000 facts, vs build of them", shown.seconds, built.seconds))
    return lines


def machine() -> str:
    cpu = (
        next(
            (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main() -> None:
    sizes = (1_000, 10_000) if "--quick" in sys.argv else (1_000, 10_000, 50_000)
    scratch = Path(tempfile.mkdtemp(prefix=".bench-", dir=HERE))
    env = {**os.environ, "TMPDIR": str(scratch)}  # anything a run leaves behind stays here, and is counted
    # cardgen's bytecode as an installed cardgen has it (genanki's and PyYAML's are, in site-packages):
    # with PYTHONDONTWRITEBYTECODE set and no __pycache__ yet, every run would compile cardgen anew.
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "cardgen")], check=True)
    lines = ["| measure | cardgen | baseline | ratio | CPU ratio | target | met |", "|---|---:|---:|---:|---:|---|---|"]
    try:
        click_import = measure([PY, "-c", "import click"], repeat=15)
        help_run = measure([CARDGEN, "--help"], repeat=15)
        lines.append(
            row(
                "`cardgen --help` vs `import click`",
                help_run.seconds,
                click_import.seconds,
                "<= 1.3x",
                help_run.seconds <= 1.3 * click_import.seconds,
            )
        )
        imports = measure([PY, "-c", "import genanki, yaml"], repeat=5)
        bundled = measure([CARDGEN, "build", "--quiet", "--source", str(ROOT / "source.yaml"), "--out", str(scratch / "bundled")], repeat=1)
        lines.append(row("bundled build vs `import genanki, yaml`", bundled.seconds, imports.seconds))
        for kind, realistic in (("synthetic", False), ("realistic", True)):
            full: dict[int, Run] = {}
            (scratch / kind).mkdir()
            for size in sizes:
                source = write(scratch / kind / f"s{size}.yaml", size, realistic)
                out = scratch / kind / f"out{size}"
                target = size >= 10_000
                floor_cmd = [PY, str(HERE / "floor.py"), str(source), str(scratch / f"floor{size}.apkg")]
                runs = interleaved(
                    {
                        "cardgen": ([CARDGEN, "build", "--quiet", "--source", str(source), "--out", str(out)], out),
                        "floor": (floor_cmd, None),
                        **({"deflated": ([*floor_cmd[:-1], str(scratch / f"floor{size}z.apkg"), "--deflate"], None)} if target else {}),
                    },
                    env,
                    5 if size <= 10_000 else 3,
                )
                full[size], floor = runs["cardgen"], runs["floor"]
                lines.append(
                    row(
                        f"{kind}: build, {size:,} facts, vs fair floor (libyaml + genanki, collector off)",
                        full[size].seconds,
                        floor.seconds,
                        "<= 1.3x" if target else "-",
                        full[size].seconds <= 1.3 * floor.seconds,
                        cpu=(full[size].cpu, floor.cpu),
                    )
                )
                if target:  # the same floor, its package deflated as cardgen deflates its own: the same kind of file
                    deflated = runs["deflated"]
                    lines.append(
                        row(
                            f"{kind}: build, {size:,} facts, vs the floor deflating as cardgen does",
                            full[size].seconds,
                            deflated.seconds,
                            cpu=(full[size].cpu, deflated.cpu),
                        )
                    )
                if not realistic:
                    raw = measure([PY, str(HERE / "raw.py"), str(notes_in(source)), str(scratch / f"raw{size}.apkg")], env, 3)
                    lines.append(
                        row(
                            f"{kind}: build, {size:,} facts, vs raw limit (sqlite3 + zip)",
                            full[size].seconds,
                            raw.seconds,
                            cpu=(full[size].cpu, raw.cpu),
                        )
                    )
                parsed = measure(  # CBaseLoader, as the floor: libyaml's least memory for the data (4% under CSafeLoader)
                    [PY, "-c", f"import yaml; yaml.load(open({str(source)!r}, encoding='utf-8').read(), Loader=yaml.CBaseLoader)"]
                )
                big = size == max(sizes)
                lines.append(
                    row(
                        f"{kind}: peak memory, {size:,} facts, vs parsed YAML alone",
                        full[size].peak_mib,
                        parsed.peak_mib,
                        "<= 2.5x" if big else "-",
                        full[size].peak_mib <= 2.5 * parsed.peak_mib,
                        "MiB",
                    )
                )
                if big and not realistic:  # the target is for 50,000 facts; at --quick's 10,000, Python's start dominates
                    noop_target = "<= 0.1x" if size >= 50_000 else "-"
                    noop = measure([CARDGEN, "build", "--quiet", "--source", str(source), "--out", str(out)], env, 3)
                    check = measure([CARDGEN, "build", "--check", "--quiet", "--source", str(source), "--out", str(out)], env, 3)
                    lines.append(
                        row(
                            f"{kind}: no-op rebuild, {size:,} facts, vs full build",
                            noop.seconds,
                            full[size].seconds,
                            noop_target,
                            noop.seconds <= 0.1 * full[size].seconds,
                        )
                    )
                    lines.append(
                        row(
                            f"{kind}: `build --check`, {size:,} facts, vs full build",
                            check.seconds,
                            full[size].seconds,
                            noop_target,
                            check.seconds <= 0.1 * full[size].seconds,
                        )
                    )
        lines += lint_rows(scratch, env)
        if "--quick" not in sys.argv:  # a one-fact edit at 20,000 facts, against a full build of it
            source = write(scratch / "edit.yaml", 20_000)
            out = scratch / "edit"
            whole = best_build(source, out, env, 2)
            edits = []
            for n in range(3):  # a question's text: its pattern makes each fact's notes alone
                before = "Q0: " if n == 0 else f"Q0 (edit {n - 1}): "
                source.write_text(source.read_text(encoding="utf-8").replace(before, f"Q0 (edit {n}): ", 1), encoding="utf-8")
                edits.append(measure([CARDGEN, "build", "--quiet", "--source", str(source), "--out", str(out)], env).seconds)
            lines.append(
                row(
                    "one-fact edit rebuilt, 20,000 facts, vs full build",
                    min(edits),
                    whole.seconds,
                    "<= 0.5x",
                    min(edits) <= 0.5 * whole.seconds,
                )
            )
            listed = []
            for n in range(3):  # a food list's nutrient: its pattern makes notes of all its facts at once, all read
                before = 'nutrient: "N4"' if n == 0 else f'nutrient: "N4 (edit {n - 1})"'
                text = source.read_text(encoding="utf-8").replace(before, f'nutrient: "N4 (edit {n})"', 1)
                source.write_text(text, encoding="utf-8")
                listed.append(measure([CARDGEN, "build", "--quiet", "--source", str(source), "--out", str(out)], env).seconds)
            lines.append(
                row("one-fact edit of a food list (a pattern read whole), 20,000 facts, vs full build", min(listed), whole.seconds)
            )
        leftovers = [p.name for p in scratch.iterdir() if p.suffix == ".tmp" or p.name.startswith("tmp")]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"Machine: {machine()}\n")
    print("\n".join(lines))
    if leftovers:
        print(f"\n(temp files left in TMPDIR during the run: {len(leftovers)})")


if __name__ == "__main__":
    main()
