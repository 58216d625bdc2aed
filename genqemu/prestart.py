"""Commands the launch runs before QEMU: swtpm for `[tpm]`, a tap put on its bridge.

Each step is described once (a Step: the argv, a condition, what it waits
for) and rendered four ways: as sh for the launch script, run by `genqemu
run`, listed by `--format json` and told by `genqemu explain`, so they cannot
disagree. Steps run in order, after the variable-store copies and before the
script opens the files QEMU inherits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genqemu.resolve import Vm

# How long the launch waits for a socket a step's daemon creates, in tenths of a second.
WAIT_TENTHS = 100


class Step:
    """One command, or (with `argv` empty) a wait for a unix socket to appear."""

    __slots__ = ("argv", "unless_exists", "wait_for_socket", "why")

    def __init__(
        self,
        why: str,
        argv: list[str],
        unless_exists: str | None = None,
        wait_for_socket: str | None = None,
    ) -> None:
        self.why = why  # the TOML path it is for, and what it does
        self.argv = argv
        self.unless_exists = unless_exists  # skip the command when this path exists
        self.wait_for_socket = wait_for_socket

    def as_json(self) -> dict[str, object]:
        return {
            "why": self.why,
            "argv": self.argv,
            "unless_exists": self.unless_exists,
            "wait_for_socket": self.wait_for_socket,
            "timeout_seconds": WAIT_TENTHS / 10 if self.wait_for_socket else None,
        }


def steps(vm: Vm, prefix: list[str], owner: str | None) -> list[Step]:
    """The steps for `vm`; `prefix` is the privilege drop swtpm runs under (as
    QEMU does), `owner` USER:GROUP of the files it makes."""
    from genqemu.netdevs import TapNetdev

    found: list[Step] = []
    for device in vm.devices:
        netdev = getattr(device.config, "netdev", None)
        if isinstance(netdev, TapNetdev) and netdev.bridge and netdev.ifname:
            path = f"{device.toml_path}.netdev"
            queues = netdev.queue_count
            found += _tap_on_bridge(path, netdev.ifname, netdev.bridge, queues, owner)
    tpm = vm.config.tpm
    if tpm is not None:
        from genqemu.tpm import EmulatorTpm

        if isinstance(tpm, EmulatorTpm) and tpm.state is not None:
            found += _swtpm(tpm.toml_path, tpm.state, tpm.socket_path, prefix, owner)
    return found


def _tap_on_bridge(path: str, tap: str, bridge: str, queues: int, owner: str | None) -> list[Step]:
    """Create the tap when missing (owned by the user QEMU runs as, if any), put
    it on the bridge and bring it up: what libvirt does for a bridged NIC."""
    add = ["ip", "tuntap", "add", "dev", tap, "mode", "tap"]
    if queues > 1:
        add.append("multi_queue")
    if owner:
        user, _, group = owner.partition(":")
        add += ["user", user, "group", group]
    link = ["ip", "link", "set", "dev", tap]
    return [
        Step(f"{path}: create tap {tap} when missing", add, unless_exists=f"/sys/class/net/{tap}"),
        Step(f"{path}: put {tap} on bridge {bridge}", [*link, "master", bridge]),
        Step(f"{path}: bring {tap} up", [*link, "up"]),
    ]


def _swtpm(path: str, state: str, socket: str, prefix: list[str], owner: str | None) -> list[Step]:
    made = [Step(f"{path}.state: create the state folder", ["mkdir", "-p", "--", state])]
    if owner:
        made.append(Step(f"{path}.state: owned by {owner}", ["chown", "--", owner, state]))
    swtpm = [
        *prefix,
        "swtpm",
        "socket",
        "--tpm2",
        "--tpmstate",
        f"dir={state}",
        "--ctrl",
        f"type=unixio,path={socket}",
        "--terminate",
        "--daemon",
        "--pid",
        f"file={state}/swtpm.pid",
    ]
    return [
        *made,
        Step(f"{path}.socket: remove a stale socket", ["rm", "-f", "--", socket]),
        Step(f"{path}: start swtpm (it ends when QEMU disconnects)", swtpm),
        Step(f"{path}.socket: wait for swtpm", [], wait_for_socket=socket),
    ]


def sh_lines(launch_steps: list[Step]) -> list[str]:
    """The steps as POSIX sh; `set -e` ends the script when one fails."""
    from shlex import quote

    lines = []
    for step in launch_steps:
        if step.wait_for_socket is not None:
            socket = quote(step.wait_for_socket)
            lines += [
                "i=0",
                f"while [ ! -S {socket} ]; do",
                f"    if [ $i -ge {WAIT_TENTHS} ]; then",
                f"        echo {quote('genqemu: no socket ' + step.wait_for_socket)} >&2",
                "        exit 1",
                "    fi",
                "    i=$((i + 1))",
                "    sleep 0.1",
                "done",
            ]
            continue
        command = " ".join(quote(word) for word in step.argv)
        if step.unless_exists is not None:
            command = f"[ -e {quote(step.unless_exists)} ] || {command}"
        lines.append(command)
    return lines


def run(launch_steps: list[Step]) -> None:
    """Run the steps here, as the script would (for `genqemu run`)."""
    import os
    import stat
    import subprocess
    import time
    from pathlib import Path

    from genqemu.errors import GenqemuError

    for step in launch_steps:
        if step.wait_for_socket is not None:
            for _ in range(WAIT_TENTHS):
                try:
                    if stat.S_ISSOCK(Path(step.wait_for_socket).stat().st_mode):
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                raise GenqemuError(f"genqemu: {step.why}: no socket {step.wait_for_socket}")
            continue
        if step.unless_exists is not None and os.path.lexists(step.unless_exists):
            continue
        try:
            done = subprocess.run(step.argv, check=False)
        except OSError as error:
            raise GenqemuError(
                f"genqemu: {step.why}: cannot run {step.argv[0]}: {error.strerror}"
            ) from None
        if done.returncode != 0:
            raise GenqemuError(
                f"genqemu: {step.why}: {step.argv[0]} failed (exit status {done.returncode})"
            )
