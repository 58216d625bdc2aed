"""The console-script entry: the collector is off only while the CLI imports."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
from conftest import ARCHES
from typer.testing import CliRunner

from genqemu import cli, entry


def test_the_command_runs_with_the_collector_on_and_start_up_objects_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[bool, int, int]] = []

    def command() -> None:
        seen.append((gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()[0]))
        raise SystemExit(0)

    monkeypatch.setattr(cli, "app", command)
    assert gc.isenabled()
    threshold = gc.get_threshold()
    try:
        with pytest.raises(SystemExit):
            entry.main()
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
    ((enabled, frozen, youngest),) = seen
    assert enabled
    assert frozen > 0
    assert youngest == 10_000


HELP_PROBE = """
import contextlib, io, sys
sys.argv = ["genqemu", "--help"]
from genqemu.entry import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit:
        pass
print(" ".join(sorted(sys.modules)))
"""


def test_help_loads_nothing_but_the_cli() -> None:
    """--help stays near the floor: no template engine, TOML parser or config models
    (the commands and where the shipped profiles are, which its --arch help lists)."""
    loaded = subprocess.run(
        [sys.executable, "-c", HELP_PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    assert [name for name in loaded if name.startswith("genqemu")] == [
        "genqemu",
        "genqemu.cli",
        "genqemu.commands",
        "genqemu.commands.explain",
        "genqemu.commands.generate",
        "genqemu.commands.import_",
        "genqemu.commands.options",
        "genqemu.commands.run",
        "genqemu.commands.schema",
        "genqemu.entry",
        "genqemu.resources",
    ]
    for heavy in ("jinja2", "tomli", "tomllib", "rich"):
        assert heavy not in loaded


def test_the_arch_help_names_the_shipped_profiles() -> None:
    """The --arch help lists the profiles that ship, read from their file names."""
    text = " ".join(CliRunner().invoke(cli.app, ["--help"]).stdout.split())
    assert f"Target: {', '.join(ARCHES)}, an alias of one," in text
