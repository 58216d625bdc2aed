#!/usr/bin/env python3
"""genqemu's benchmark: start-up against the Python floor, and scaling in devices.

    .venv/bin/python benchmarks/run.py           # full run, a few minutes
    .venv/bin/python benchmarks/run.py --quick   # smallest sizes, few runs: does it run?

Every command runs as its own process, started by this script with the same
interpreter, so the numbers are whole-process times. Commands measured
against each other run interleaved, round after round in a shuffled order, so
a noisy neighbour slows them alike. The floor is `python -c 'import jinja2'`:
genqemu cannot start faster than its template engine imports.

Start-up: `genqemu --arch s390x examples/minimal.toml -o /dev/null` and
`genqemu --help`, each against the floor. Scaling: generated configs
(benchmarks/configs.py) with 0, 10, 100, 1,000 and 10,000 devices for each
arch; the marginal cost per device is (t(N) - t(0)) / N and linearity is
(t(10,000) - t(0)) / (t(1,000) - t(0)) / 10.

Prints medians, min/max and ratios, and writes them (and every sample) as
JSON to benchmarks/results/latest.json. The targets of issue #5 are reported
as met or missed; the exit status does not depend on them. A quick run (make
test's smoke run) reports times only: its few samples and small sizes cannot
judge a target or a cost per device.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from configs import config

REPO = Path(__file__).resolve().parent.parent
ARCHES = ("amd64", "arm64", "ppc64le", "s390x")
SIZES = (0, 10, 100, 1000, 10000)
QUICK_SIZES = (0, 10)
TYPER = "import jinja2, typer"
FROZEN = "import jinja2, gc; gc.freeze()"


class Case:
    """One command line, and its samples: wall and CPU seconds, peak RSS in KiB."""

    def __init__(self, name: str, argv: list[str], repeat: int = 1) -> None:
        self.name = name
        self.argv = argv
        self.repeat = repeat  # samples per round
        self.times: list[float] = []
        self.cpu: list[float] = []
        self.rss: list[int] = []

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def summary(self) -> dict[str, Any]:
        return {
            "command": self.argv,
            "median_ms": round(self.median * 1e3, 2),
            "min_ms": round(min(self.times) * 1e3, 2),
            "max_ms": round(max(self.times) * 1e3, 2),
            "cpu_median_ms": round(self.cpu_median * 1e3, 2),
            "peak_rss_mib": round(max(self.rss) / 1024, 1),
            "samples_ms": [round(t * 1e3, 2) for t in self.times],
        }


def child_env() -> dict[str, str]:
    """This environment, with bytecode caches on: an installed genqemu has them (pip
    compiles every module), and a checkout writes them on its first run."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def spawn(argv: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Run `argv` with stdout on /dev/null: wall and CPU seconds, peak RSS (KiB)."""
    actions = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"benchmark: {' '.join(argv)} exited with status {code}")
    rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
    return elapsed, usage.ru_utime + usage.ru_stime, rss


def measure(cases: Iterable[Case], runs: int, env: dict[str, str], seed: int) -> None:
    """One untimed warm-up each, then `runs` rounds of every case (`repeat` times)
    in shuffled order."""
    cases = list(cases)
    for case in cases:
        spawn(case.argv, env)
    check_dev_null()
    shuffle = random.Random(seed)
    for _ in range(runs):
        order = [case for case in cases for _ in range(case.repeat)]
        shuffle.shuffle(order)
        for case in order:
            elapsed, cpu, rss = spawn(case.argv, env)
            case.times.append(elapsed)
            case.cpu.append(cpu)
            case.rss.append(rss)


def check_dev_null() -> None:
    """Stop if a command replaced /dev/null with a file (older genqemu did, as root)."""
    import stat

    if not stat.S_ISCHR(Path(os.devnull).stat().st_mode):
        sys.exit(f"benchmark: {os.devnull} is no longer a device; restore it: mknod -m 666 ...")


def genqemu_command() -> list[str]:
    """The console script beside this interpreter, as users run it; else -m genqemu."""
    script = Path(sys.executable).parent / "genqemu"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "genqemu"]


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in ("genqemu", "jinja2", "typer", "tomli"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def ms(seconds: float, width: int = 9) -> str:
    return f"{seconds * 1e3:{width}.1f}"


def verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "n/a"
    return "met" if value <= limit else "MISSED"


def startup(
    genqemu: list[str], runs: int, env: dict[str, str], seed: int, quick: bool = False
) -> dict[str, Any]:
    floor = Case("floor: python -c 'import jinja2'", [sys.executable, "-c", "import jinja2"])
    render = Case(
        "genqemu --arch s390x examples/minimal.toml -o /dev/null",
        [*genqemu, "--arch", "s390x", str(REPO / "examples" / "minimal.toml"), "-o", os.devnull],
    )
    help_ = Case("genqemu --help", [*genqemu, "--help"])
    # For reference: what the interpreter, typer and the shutdown cost alone.
    python = sys.executable
    bare = Case("  bare interpreter: python -c pass", [python, "-c", "pass"])
    typer = Case("  floor + typer: python -c 'import jinja2, typer'", [python, "-c", TYPER])
    frozen = Case("  floor, no GC at exit: ... gc.freeze()", [python, "-c", FROZEN])
    cases = {"floor": floor, "render": render, "help": help_}
    cases.update({"bare": bare, "floor_typer": typer, "floor_frozen": frozen})
    measure(cases.values(), runs, env, seed)
    print(f"\nStart-up, {runs} interleaved runs (wall ms; CPU = user + system ms)")
    print(
        f"  {'command':<57}{'median':>7}{'min':>7}{'max':>7}{'CPU':>7}  ratio to floor (wall, CPU)"
    )
    rows: dict[str, Any] = {}
    limits = {"render": 1.5, "help": 1.2}
    floor_cpu = statistics.median(floor.cpu)
    for key, case in cases.items():
        ratio = case.median / floor.median
        cpu = statistics.median(case.cpu)
        limit = limits.get(key)
        # A quick run's few samples cannot judge a target: make bench does.
        target = f"  target <= {limit}: {verdict(ratio, limit)}" if limit and not quick else ""
        print(
            f"  {case.name:<57}{ms(case.median, 7)}{ms(min(case.times), 7)}"
            f"{ms(max(case.times), 7)}{ms(cpu, 7)}  {ratio:5.2f} {cpu / floor_cpu:5.2f}{target}"
        )
        rows[key] = {
            **case.summary(),
            "ratio_to_floor": round(ratio, 3),
            "cpu_ratio_to_floor": round(cpu / floor_cpu, 3),
        }
    return rows


def scaling(
    genqemu: list[str],
    arches: list[str],
    sizes: list[int],
    runs: int,
    env: dict[str, str],
    seed: int,
    quick: bool = False,
) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="genqemu-bench-") as tmp:
        cases: dict[tuple[str, int], Case] = {}
        for size in sizes:
            path = Path(tmp, f"devices-{size}.toml")
            path.write_text(config(size), encoding="utf-8")
            for arch in arches:
                argv = [*genqemu, "--arch", arch, str(path), "-o", os.devnull]
                # The marginal parts are differences of medians: the sizes that are
                # cheap to run get more samples, so that t(0) and t(1,000) are steady.
                repeat = 3 if size <= 1000 else 1
                cases[arch, size] = Case(f"{arch} {size}", argv, repeat)
        measure(cases.values(), runs, env, seed)
    print(
        f"\nScaling, {runs} interleaved rounds, 3 runs per round below 10,000 devices"
        " (whole process; ms, MiB)"
    )
    print(
        f"  {'arch':<8}{'devices':>8}{'median':>9}{'min':>9}{'max':>9}{'CPU':>9}"
        f"{'us/device':>11}{'(CPU)':>7}{'peak RSS':>10}"
    )
    rows = []
    for arch in arches:
        base = cases[arch, sizes[0]]
        for size in sizes:
            case = cases[arch, size]
            # A quick run's sizes are too small for the devices to outweigh the
            # noise of starting a process: no cost per device there.
            per_device = size > 0 and not quick
            wall = (case.median - base.median) / size * 1e6 if per_device else None
            cpu = (case.cpu_median - base.cpu_median) / size * 1e6 if per_device else None
            print(
                f"  {arch:<8}{size:>8}{ms(case.median)}{ms(min(case.times))}"
                f"{ms(max(case.times))}{ms(case.cpu_median)}{number(wall, 11)}"
                f"{number(cpu, 7)}{max(case.rss) / 1024:10.1f}"
            )
            rows.append(
                {
                    "arch": arch,
                    "devices": size,
                    **case.summary(),
                    "marginal_us_per_device": None if wall is None else round(wall, 2),
                    "cpu_marginal_us_per_device": None if cpu is None else round(cpu, 2),
                }
            )
    return rows


def number(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.1f}"


def targets(
    start: dict[str, Any], arches: list[str], scale: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Issue #5's targets: the measured value (wall time, as the issue sets them;
    CPU time beside it, which a busy machine disturbs less) and whether it is met."""

    def row(arch: str, size: int) -> dict[str, Any] | None:
        return next((r for r in scale if r["arch"] == arch and r["devices"] == size), None)

    def linearity(key: str, big: Any, mid: Any, zero: Any) -> float | None:
        if not (big and mid and zero):
            return None
        ratio: float = (big[key] - zero[key]) / (mid[key] - zero[key]) / 10
        return round(ratio, 3)

    render, help_ = start["render"], start["help"]
    found: list[tuple[str, float | None, float | None, float, str]] = [
        ("render <= 1.5x floor", render["ratio_to_floor"], render["cpu_ratio_to_floor"], 1.5, "x"),
        ("--help <= 1.2x floor", help_["ratio_to_floor"], help_["cpu_ratio_to_floor"], 1.2, "x"),
    ]
    for arch in arches:
        big, mid, zero = row(arch, 10000), row(arch, 1000), row(arch, 0)
        found += [
            (
                f"{arch}: marginal <= 30 us/device (at 10,000)",
                big["marginal_us_per_device"] if big else None,
                big["cpu_marginal_us_per_device"] if big else None,
                30.0,
                "us",
            ),
            (
                f"{arch}: 10,000 devices < 1 s",
                big["median_ms"] / 1e3 if big else None,
                big["cpu_median_ms"] / 1e3 if big else None,
                1.0,
                "s",
            ),
            (
                f"{arch}: marginal(10,000) / marginal(1,000) <= 1.2",
                linearity("median_ms", big, mid, zero),
                linearity("cpu_median_ms", big, mid, zero),
                1.2,
                "x",
            ),
        ]
    print("\nTargets (issue #5; reported, not enforced)")
    print(f"  {'':<50}{'wall':>16}{'CPU':>16}")
    result = []
    for name, value, cpu, limit, unit in found:
        met, cpu_met = verdict(value, limit), verdict(cpu, limit)
        result.append(
            {"target": name, "limit": limit, "value": value, "met": met}
            | {"cpu_value": cpu, "cpu_met": cpu_met}
        )
        if value is not None and cpu is not None:
            print(f"  {name:<50}{value:9.3g} {unit:<2} {met:<6}{cpu:7.3g} {unit:<2} {cpu_met}")
    if any(entry["value"] is None for entry in result):
        print("  (the scaling targets need the sizes 0, 1,000 and 10,000: the full run)")
    for arch in arches:
        big = row(arch, 10000)
        if big:
            print(f"  {arch}: peak RSS at 10,000 devices{big['peak_rss_mib']:>30.1f} MiB")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smallest sizes, 3 runs")
    parser.add_argument("--runs", type=int, help="start-up rounds (default 31; quick 3)")
    parser.add_argument("--scale-runs", type=int, help="scaling rounds (default 7; quick 1)")
    parser.add_argument(
        "--output",
        type=Path,
        help="results file (default: benchmarks/results/latest.json, quick.json with --quick)",
    )
    parser.add_argument(
        "--sizes", help="device counts, comma-separated (default 0,10,100,1000,10000; quick 0,10)"
    )
    parser.add_argument("--arches", default=",".join(ARCHES), help="comma-separated (default: all)")
    parser.add_argument("--seed", type=int, default=5, help="seed of the run order")
    args = parser.parse_args(argv)
    results = REPO / "benchmarks" / "results"
    output = args.output or results / ("quick.json" if args.quick else "latest.json")
    runs = args.runs or (3 if args.quick else 31)
    scale_runs = args.scale_runs or (1 if args.quick else 7)
    sizes = [int(n) for n in args.sizes.split(",")] if args.sizes else None
    sizes = sorted(set(sizes or (QUICK_SIZES if args.quick else SIZES)) | {0})
    arches = args.arches.split(",")
    env = child_env()
    genqemu = genqemu_command()
    info = {
        "versions": versions(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "interpreter": sys.executable,
        "genqemu": genqemu,
        "quick": args.quick,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }
    print("genqemu benchmark:", ", ".join(f"{k} {v}" for k, v in info["versions"].items()))
    print(f"  {info['machine']}; {' '.join(genqemu)}")
    start = startup(genqemu, runs, env, args.seed, args.quick)
    scale = scaling(genqemu, arches, sizes, scale_runs, env, args.seed, args.quick)
    if args.quick:
        goals: list[dict[str, Any]] = []
        print("\nQuick run: every command ran. The targets are judged by the full run: make bench")
    else:
        goals = targets(start, arches, scale)
    output.parent.mkdir(parents=True, exist_ok=True)
    document = {"info": info, "startup": start, "scaling": scale, "targets": goals}
    output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {output}")


if __name__ == "__main__":
    main()
