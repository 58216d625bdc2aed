"""docs/boot.md: one real boot transcript per arch, written by the boot tests.

Each arch has a section between `<!-- boot ARCH -->` and `<!-- end boot ARCH -->`:
the packages booted, the exact command, and the guest's console from power-on
to power-off. The boot test of the documented example renders its section
from the run it just did and asserts that the file holds exactly that; with
`pytest -m boot --update-boot-docs` it writes the section instead.

The kernel runs with loglevel=1 and printk.time=0, so only firmware, the
init and the power-off print, and the console is the same from run to run
but for one thing: device probing is asynchronous on some machines (CCW on
s390x), so instance names (virtio3, vdb) and the order of the guest's device
lines can change. The comparison therefore reads the guest's device lines as
the device check does (names left out, sorted); every other line of the
section, the command included, must be identical.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .boot_view import BEGIN, END, normalize

if TYPE_CHECKING:
    from .boot_initramfs import BootKit

DOC = Path(__file__).resolve().parents[2] / "docs" / "boot.md"
DOCUMENTED_EXAMPLE = "full"
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def begin(arch: str) -> str:
    return f"<!-- boot {arch} -->"


def end(arch: str) -> str:
    return f"<!-- end boot {arch} -->"


def render_section(
    arch: str,
    packages: Sequence[str],
    argv: Sequence[str],
    console: str,
    replacements: dict[str, str],
) -> str:
    """The section of one arch. `replacements` turn machine paths into names ($KIT)."""

    def shorten(text: str) -> str:
        for path, name in replacements.items():
            text = text.replace(path, name)
        return text

    options = _options(argv[1:])
    command = " \\\n    ".join([shlex.quote(argv[0]), *(shorten(o) for o in options)])
    transcript = _ESCAPE.sub("", console.replace("\r", "")).rstrip("\n")
    return "\n".join(
        [
            begin(arch),
            f"## {arch}",
            "",
            "Packages: " + ", ".join(f"`{p}`" for p in packages) + ".",
            "",
            "```sh",
            command,
            "```",
            "",
            "```text",
            transcript,
            "```",
            end(arch),
        ]
    )


def _options(arguments: Sequence[str]) -> list[str]:
    """The arguments grouped as options: `-name value` on one line, shell-quoted."""
    options: list[list[str]] = []
    for argument in arguments:
        if argument.startswith("-") or not options:
            options.append([argument])
        else:
            options[-1].append(argument)
    return [" ".join(shlex.quote(part) for part in option) for option in options]


def comparable(text: str) -> str:
    """The section with the guest's device lines normalized and sorted (see above)."""
    lines = text.splitlines()
    if BEGIN in lines and END in lines:
        start, stop = lines.index(BEGIN), lines.index(END)
        lines[start + 1 : stop] = sorted(normalize(line) for line in lines[start + 1 : stop])
    return "\n".join(lines)


def section(text: str, arch: str) -> str | None:
    """The arch's section in `text`, markers included, or None."""
    start = text.find(begin(arch))
    stop = text.find(end(arch))
    if start < 0 or stop < start:
        return None
    return text[start : stop + len(end(arch))]


def sections(text: str) -> list[str]:
    """The arches that have a section, in file order."""
    return re.findall(r"<!-- boot (\S+) -->", text)


def write_section(arch: str, new: str, arches: Sequence[str]) -> None:
    """Put the arch's section into docs/boot.md: in place, or in `arches` order."""
    text = DOC.read_text()
    old = section(text, arch)
    if old is not None:
        text = text.replace(old, new)
    else:
        later = [a for a in arches if a > arch and section(text, a) is not None]
        if later:
            anchor = begin(later[0])
            text = text.replace(anchor, f"{new}\n\n{anchor}")
        else:
            text = text.rstrip("\n") + f"\n\n{new}\n"
    DOC.write_text(text)


def check_doc(
    arch: str,
    kit: BootKit,
    argv: list[str],
    console: str,
    folder: Path,
    update: bool,
    arches: Sequence[str],
) -> None:
    """docs/boot.md's section for `arch` is what this boot shows (or, with
    `update`, becomes it)."""
    packages = [
        f"{kit.kernel_package.name} {kit.kernel_package.version}",
        f"{kit.busybox_package.name} {kit.busybox_package.version}",
    ]
    replacements = {str(kit.kernel.parent): "$KIT", str(folder): "$TMP"}
    new = render_section(arch, packages, argv, console, replacements)
    if update:
        write_section(arch, new, arches)
        return
    old = section(DOC.read_text(), arch) or ""
    assert comparable(old) == comparable(new), (
        f"docs/boot.md is out of date for {arch}: run "
        "`.venv/bin/pytest -m boot --update-boot-docs` and review `git diff docs/boot.md`"
    )
