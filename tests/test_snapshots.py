"""Golden launch scripts: every example for every arch, one .sh file each.

The files under tests/__snapshots__/test_snapshots/ are the review surface:
a change to a template or profile shows up there as a diff of QEMU options.
Update them with `pytest --snapshot-update` and read the diff before committing.
"""

from __future__ import annotations

import pytest
from conftest import EXAMPLE_CASES, REPO
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from genqemu.cli import app


@pytest.mark.parametrize(("example", "arch"), EXAMPLE_CASES)
def test_launch_script(
    example: str, arch: str, sh_snapshot: SnapshotAssertion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(app, ["--arch", arch, f"examples/{example}.toml"])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == sh_snapshot
