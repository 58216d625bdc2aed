"""The launch plan: everything needed to start QEMU for a resolved VM.

The sh script, the JSON document and `genqemu run` are three renderings of
the same plan, so they cannot disagree: the same argv, the same inherited
file descriptors, the same privilege drop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.prestart import Step, steps
from genqemu.settings import SHIPPED, Settings

if TYPE_CHECKING:
    from genqemu.render import OptionWords
    from genqemu.resolve import Vm


class InheritedFd:
    """A file QEMU inherits, open on descriptor `number` (3, 4, ...)."""

    def __init__(self, number: int, path: str, mode: str) -> None:
        self.number = number
        self.path = path
        self.mode = mode  # "rw" or "r"

    def as_json(self) -> dict[str, object]:
        return {"fd": self.number, "path": self.path, "mode": self.mode}


class Launch:
    """What to exec: an optional privilege-drop prefix, the binary, its options."""

    def __init__(self, vm: Vm, options: list[OptionWords]) -> None:
        self.arch = vm.arch
        self.profile = vm.profile.arch
        self.machine = vm.machine_type
        self.binary = vm.binary
        self.options = options
        self.argv = [vm.binary, *(part for option in options for part in option)]
        self.fds: list[InheritedFd] = list(vm.fds)
        self.prefix: list[str] = list(vm.privilege_drop)
        # Files created from a template when missing (a UEFI variable store), as
        # (template, file), owned by the user QEMU runs as ("USER:GROUP"), if any.
        self.copies: list[tuple[str, str]] = list(vm.copies)
        run_as = vm.config.run_as
        self.owner = f"{run_as.user}:{run_as.group}" if run_as else None
        # Commands run before QEMU (swtpm, a tap put on its bridge): genqemu/prestart.py.
        self.prestart: list[Step] = steps(vm, self.prefix, self.owner)
        # Descriptors the caller must pass (listening QMP sockets), by TOML path.
        self.passed = {q.toml_path: q.fd for q in vm.config.qmp if q.fd is not None}


def plan(vm: Vm, syntax: str = "qemuopts", settings: Settings = SHIPPED) -> Launch:
    """Render `vm` (in QEMU's key=value syntax, or "json") with the templates of
    `settings` and gather what its launch needs."""
    from genqemu.render import render

    if syntax == "json":
        from genqemu.qemu_facts import lacks

        needed = lacks(vm.qemu_version, "--syntax json")
        if needed:
            from genqemu.errors import UsageError

            raise UsageError(
                f"--syntax json needs QEMU {needed} (JSON -netdev); the target is QEMU "
                f"{vm.qemu_version} ({vm.qemu_version_source})"
            )
    launch = Launch(vm, render(vm, syntax, settings))
    from genqemu.argmax import problems

    too_long = problems([*launch.prefix, *launch.argv])
    if too_long:
        from genqemu.errors import ConfigError

        raise ConfigError(vm.source, [("", message) for message in too_long])
    return launch
