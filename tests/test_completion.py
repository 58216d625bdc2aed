"""Shell completion: arch names complete, and --show-completion prints a script."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from genqemu.cli import _complete_arch, app


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_shell_completion() -> None:
    assert _complete_arch("s3") == ["s390", "s390x"]
    assert "aarch64" in _complete_arch("a")
    script = run("--show-completion", "bash")
    assert script.exit_code == 0
    assert "_genqemu_completion" in script.stdout or "complete" in script.stdout
