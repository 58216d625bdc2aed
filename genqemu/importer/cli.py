"""`genqemu import`: read the input, import it, write the TOML and its summary."""

from __future__ import annotations

import sys
from pathlib import Path

from genqemu.errors import GenqemuError, unreadable
from genqemu.importer.source import MAX_INPUT
from genqemu.settings import SHIPPED, Settings


def read_source(source: str) -> str:
    """The text of a file, or of stdin for `-`; at most MAX_INPUT bytes are read."""
    name = "stdin" if source == "-" else source
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_INPUT + 1)
        else:
            with Path(source).open("rb") as stream:
                data = stream.read(MAX_INPUT + 1)
    except OSError as error:
        raise unreadable(name, error) from None
    if len(data) > MAX_INPUT:
        raise GenqemuError(
            f"{name}: more than {MAX_INPUT} bytes; genqemu import reads at most that much "
            "(a QEMU command line is a few kilobytes)"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise GenqemuError(f"{name}: not UTF-8 text (byte {error.start})") from None


def run_import(source: str, arch: str | None, settings: Settings = SHIPPED) -> tuple[str, str]:
    """The TOML text and the summary for the input at `source`."""
    from genqemu.importer import import_text
    from genqemu.importer.tomlwrite import to_toml

    name = "stdin" if source == "-" else source
    text = read_source(source)
    try:
        result = import_text(text, arch, settings)
    except GenqemuError as error:
        raise GenqemuError(f"{name}: {error}") from None
    header = [
        f"Imported by genqemu import from {name} (arch {result.arch}).",
        *result.summary().splitlines(),
    ]
    return to_toml(result.config, header), result.summary()
