"""Shell completion: arch names complete, and --show-completion prints a script."""

from __future__ import annotations

import pytest
import typer.completion
from typer.testing import CliRunner, Result

from genqemu.cli import _complete_arch, app


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_shell_completion(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _complete_arch("s3") == ["s390", "s390x"]
    assert "aarch64" in _complete_arch("a")
    # typer finds the shell among the test's parent processes, and a run
    # detached from its shell (CI in the background) has none: say it is bash.
    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")
    script = run("--show-completion")
    assert script.exit_code == 0, script.output
    assert "_genqemu_completion" in script.stdout or "complete" in script.stdout
