"""The console-script entry: the collector is off only while the CLI imports."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest
from conftest import ARCHES
from typer.testing import CliRunner

from genqemu import cli, entry


def test_the_command_runs_with_the_collector_off_and_ends_with_everything_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []

    def command() -> None:
        seen.append(gc.isenabled())
        raise SystemExit(0)

    monkeypatch.setattr(cli, "app_for", lambda args: command)
    assert gc.isenabled()
    try:
        with pytest.raises(SystemExit):
            entry.main()
        assert gc.isenabled()  # on again for an in-process caller
        assert gc.get_freeze_count() > 0  # what lives on is out of shutdown's collections
    finally:
        gc.unfreeze()
    assert seen == [False]


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
        "genqemu.commands.hotplug",
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


LEAN_CASES = [
    ["--arch", "s390x", "examples/minimal.toml"],
    ["--arch", "amd64", "--format", "json", "examples/full.toml"],
    ["-a", "arm64", "-f", "args", "--syntax", "json", "examples/minimal.toml"],
    ["--version"],
    ["--arch", "s390x", "missing.toml"],
    ["--arch", "nowhere", "examples/minimal.toml"],
    ["--bogus", "examples/minimal.toml"],
    ["--arch", "s390x", "--format", "xml", "examples/minimal.toml"],
    ["--arch", "s390x", "--check", "examples/minimal.toml"],
    ["examples/minimal.toml", "--arch"],
]


@pytest.mark.parametrize("argv", LEAN_CASES, ids=" ".join)
def test_the_lean_app_of_a_plain_generate_answers_as_the_whole_one(argv: list[str]) -> None:
    """A plain run gets an app of `generate` alone (cheaper to build); its output,
    errors and exit status are the whole app's, word for word."""
    from typer.testing import CliRunner

    from genqemu.cli import app, app_for

    lean = app_for(argv)
    assert lean is not app
    whole, alone = CliRunner().invoke(app, argv), CliRunner().invoke(lean, argv)
    assert (alone.exit_code, alone.stdout, alone.stderr) == (
        whole.exit_code,
        whole.stdout,
        whole.stderr,
    )


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["run", "x.toml"],
        ["explain", "x.toml"],
        ["import", "-"],
        ["schema"],
        ["generate", "x.toml"],
        ["x.toml", "--help"],
        ["-h"],
        ["--install-completion", "bash"],
        ["--show-completion"],
    ],
    ids=lambda argv: " ".join(argv) or "(none)",
)
def test_commands_help_and_completion_get_the_whole_app(argv: list[str]) -> None:
    from genqemu.cli import app, app_for

    assert app_for(argv) is app


RENDER_PROBE = HELP_PROBE.replace(
    '["genqemu", "--help"]', '["genqemu", "--arch", "s390x", "examples/minimal.toml"]'
)


def test_a_plain_run_imports_no_other_command() -> None:
    """The usual run builds the lean app: run, explain, import, schema and hotplug
    (and what they import) stay unloaded."""
    loaded = subprocess.run(
        [sys.executable, "-c", RENDER_PROBE], capture_output=True, text=True, check=True
    ).stdout.split()
    commands = [name for name in loaded if name.startswith("genqemu.commands.")]
    assert commands == ["genqemu.commands.generate", "genqemu.commands.options"]
    assert "genqemu.launch" in loaded
