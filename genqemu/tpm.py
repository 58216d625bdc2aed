"""The `[tpm]` table: a TPM 2.0 for the guest, from swtpm or the host's own.

Which device model the guest gets (tpm-crb, tpm-tis, ...) is a fact of the
arch and machine (the profile's `tpm`), so the config names only where the
TPM lives. An emulator with a `state` folder is started by the launch itself
(genqemu/prestart.py), so the script and `genqemu run` need nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from genqemu.checks import PATH, SOCKET_MAX
from genqemu.schema import Model, Problems, key
from genqemu.values import Text

if TYPE_CHECKING:
    from genqemu.ids import Ids
    from genqemu.profiles import MachineProfile
    from genqemu.resolve import Vm

# swtpm splits its option values at every comma, with no escape.
_SWTPM_PATH = Text(
    pattern=r"[^,]+\Z",
    hint="a path without ',' (swtpm splits its options at commas)",
)


class Tpm(Model):
    """`-tpmdev BACKEND` and the machine's TPM device."""

    id_prefix: ClassVar[str] = "tpm"
    backend: ClassVar[str] = ""


class EmulatorTpm(Tpm):
    """A software TPM 2.0 (swtpm) on a unix socket: the launch starts it when
    `state` is set (ending with QEMU: --terminate), else the user does."""

    backend = "emulator"
    state: str | None = key(
        _SWTPM_PATH,
        default=None,
        doc="folder of the TPM's persistent state: the launch script (and genqemu run) "
        "creates it and starts swtpm on it before QEMU; without it, run swtpm yourself",
    )
    socket: str | None = key(
        _SWTPM_PATH,
        default=None,
        doc="swtpm's control socket (swtpm --ctrl type=unixio,path=); default with "
        "state: STATE/swtpm.sock",
    )

    @property
    def socket_path(self) -> str:
        """Where QEMU connects (validation guarantees one of the two keys)."""
        return self.socket or f"{self.state}/swtpm.sock"

    def validate(self, problems: Problems) -> None:
        if self.state is None and self.socket is None:
            problems.add(
                self.toml_path,
                "set state (the launch starts swtpm) or socket (a swtpm you start yourself)",
            )
        elif len(self.socket_path.encode()) > SOCKET_MAX:
            where = "socket" if self.socket else "state"
            problems.add(
                f"{self.toml_path}.{where}",
                f"the socket path {self.socket_path!r} is longer than the {SOCKET_MAX} bytes "
                "a unix socket path holds: "
                + ("shorten it" if self.socket else "shorten state, or set a short socket"),
            )


class PassthroughTpm(Tpm):
    """The host's own TPM (/dev/tpmN), given to this one guest."""

    backend = "passthrough"
    path: str = key(PATH, default="/dev/tpm0", doc="the host's TPM character device")
    cancel_path: str | None = key(
        PATH,
        default=None,
        doc="sysfs file that cancels a TPM command, e.g. /sys/class/tpm/tpm0/device/cancel; "
        "default: QEMU finds it",
    )


def resolve_tpm(vm: Vm, machine: MachineProfile | None, ids: Ids, problems: Problems) -> None:
    """The TPM's device model from the machine, and the ids of its backend and chardev."""
    if vm.tpm is None:
        return
    if machine is not None and machine.tpm is None:
        problems.add(
            "tpm",
            f"machine {vm.machine_type} on {vm.arch} has no TPM device in QEMU: remove [tpm] "
            "for this arch" + (f" (or use machine {_with_tpm(vm)})" if _with_tpm(vm) else ""),
        )
        return
    vm.tpm_driver = machine.tpm if machine is not None else None
    for prefix in ("tpmdev-", "chr-"):
        ids.claim(prefix + vm.tpm.id, "backend", vm.tpm.config.toml_path, what="its backend id")


def _with_tpm(vm: Vm) -> str:
    """The first machine of the arch that has a TPM, for the message."""
    return next((name for name, m in vm.profile.machines.items() if m.tpm), "")
