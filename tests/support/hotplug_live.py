"""A config's VM started paused on QEMU, given hot-plug commands over QMP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genqemu.build import build_file
from genqemu.launch import plan
from genqemu.run import copy_templates

from .qmp import paused_qemu
from .swtpm import prestarted


def devices_after(
    config: Path, arch: str, binary_of: Any, settings: Any, commands: list[dict[str, Any]]
) -> dict[str, str]:
    """Start `config`'s VM paused (with what its script starts first, and the
    files it inherits), send `commands`, and return its devices (id -> type).
    `binary_of` maps the profile's binary name to the QEMU to run."""
    vm = build_file(config, arch, settings)
    launch = plan(vm, "qemuopts")
    copy_templates(launch)
    fds = [(fd.number, fd.path, fd.mode) for fd in launch.fds]
    binary = binary_of(vm.binary)
    with prestarted(launch), paused_qemu([binary, *launch.argv[1:]], fds=fds) as qmp:
        for command in commands:
            qmp.execute(command["execute"], **command["arguments"])
        return qmp.devices()
