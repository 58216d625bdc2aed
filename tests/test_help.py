"""Every command's --help, as a user reads it: snapshotted, so that a change to
it is reviewed; and genqemu's own help names what users type."""

from __future__ import annotations

import pytest
from conftest import REPO
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from genqemu.cli import app
from genqemu.manpage import manpage

COMMANDS = ["", "run", "explain", "import", "schema", "hotplug", "unplug"]


def help_text(command: str) -> str:
    # COLUMNS: click wraps help to the terminal, at most 80 columns.
    args = [command, "--help"] if command else ["--help"]
    result = CliRunner().invoke(app, args, prog_name="genqemu", env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("command", COMMANDS, ids=[c or "genqemu" for c in COMMANDS])
def test_help(command: str, text_snapshot: SnapshotAssertion) -> None:
    assert help_text(command) == text_snapshot


def test_help_shows_what_users_type() -> None:
    text = help_text("")
    assert text.startswith("Usage: genqemu [OPTIONS] CONFIG...\n")
    assert "genqemu generate" not in text
    for command in COMMANDS[1:]:
        assert f"\n  {command} ..." in text


def test_usage_errors_point_to_genqemu_help() -> None:
    result = CliRunner().invoke(app, ["--bogus", "vm.toml"], prog_name="genqemu")
    assert result.exit_code == 2
    assert "Try 'genqemu -h' for help." in result.output
    assert "genqemu generate" not in result.output


def test_man_page_is_up_to_date() -> None:
    committed = (REPO / "docs" / "genqemu.1").read_text()
    assert committed == manpage(), "docs/genqemu.1 is stale: run `make man`"
