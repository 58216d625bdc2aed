"""Many configs for many arches in one process: `-O DIR` and `--check`.

Every output is generated in memory first; if any config has a problem,
nothing is written. `--check` compares instead of writing, for a CI that
keeps generated launch scripts in git (like `ruff format --check`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from genqemu.errors import GenqemuError, UsageError

EXTENSIONS = {"sh": "sh", "json": "json", "args": "args"}


def plan_outputs(
    configs: Sequence[Path], arches: Sequence[str], directory: Path, output_format: str
) -> list[tuple[Path, str, Path]]:
    """(config, arch, output path) for every pair: DIR/<config-stem>.<arch>.<ext>."""
    outputs: list[tuple[Path, str, Path]] = []
    seen: dict[Path, Path] = {}
    for config in configs:
        for arch in arches:
            target = directory / f"{config.stem}.{arch}.{EXTENSIONS[output_format]}"
            if target in seen and seen[target] != config:
                raise UsageError(
                    f"{seen[target]} and {config} would both write {target}: "
                    "give the configs different names"
                )
            seen[target] = config
            outputs.append((config, arch, target))
    return outputs


def generate_all(
    outputs: list[tuple[Path, str, Path]], render: Callable[[Path, str], str]
) -> list[tuple[Path, str]]:
    """Every output's text; the first problem stops it all, before anything is written."""
    return [(target, render(config, arch)) for config, arch, target in outputs]


def write_all(texts: list[tuple[Path, str]], mode: int) -> None:
    """Write each output atomically, creating the output folder if needed."""
    from genqemu.output import write_atomic

    for folder in {target.parent for target, _ in texts}:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise GenqemuError(f"{folder}: cannot create: {error.strerror}") from None
    for target, text in texts:
        write_atomic(target, text, mode)


def check_all(texts: list[tuple[Path, str]]) -> str:
    """A unified diff of every output that differs from its file on disk ('' if none)."""
    import difflib

    diffs = []
    for target, text in texts:
        try:
            current = target.read_text(encoding="utf-8")
        except FileNotFoundError:
            current = None
        if current == text:
            continue
        before = [] if current is None else current.splitlines(keepends=True)
        diffs.append(
            "".join(
                difflib.unified_diff(
                    before,
                    text.splitlines(keepends=True),
                    fromfile=str(target) if current is not None else "/dev/null",
                    tofile=f"{target} (generated)",
                )
            )
        )
    return "".join(diffs)
