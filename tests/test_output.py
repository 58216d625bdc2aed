"""Writing output files: a target that is not a regular file is written in place."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from conftest import example_path
from typer.testing import CliRunner

from genqemu.cli import app

MINIMAL = str(example_path("minimal"))


def test_output_to_a_fifo_writes_through_it_and_keeps_it(tmp_path: Path) -> None:
    """Like -o /dev/null: renaming a file over the target would replace the device."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    try:
        result = CliRunner().invoke(app, ["--arch", "s390x", "-o", str(fifo), MINIMAL])
        assert result.exit_code == 0, result.output
        received = reader.communicate(timeout=10)[0]
    finally:
        reader.kill()
        reader.wait()
    assert received == CliRunner().invoke(app, ["--arch", "s390x", MINIMAL]).stdout
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]
