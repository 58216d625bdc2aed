"""The launch's pre-start commands (genqemu/prestart.py) run for a test, and
what they started (swtpm) stopped afterwards even when QEMU never connected."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from genqemu.launch import Launch
from genqemu.prestart import run


def _pid_files(launch: Launch) -> list[Path]:
    return [
        Path(word.removeprefix("file="))
        for step in launch.prestart
        for word in step.argv
        if word.startswith("file=") and word.endswith("swtpm.pid")
    ]


@contextlib.contextmanager
def prestarted(launch: Launch) -> Iterator[None]:
    """Run the launch's pre-start steps, as the script would; on exit, end any
    swtpm still running (--terminate ends it only once QEMU has connected)."""
    try:
        run(launch.prestart)
        yield
    finally:
        for pid_file in _pid_files(launch):
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
