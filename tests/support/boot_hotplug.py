"""Hot-plug in a booted guest: the guest sees a disk and a NIC come and go.

The boot test of one example per arch (EXAMPLES) runs QEMU with a QMP
socket of its own and tells the guest's init `genqemu.hotplug` on the kernel
command line. After its device view, the init says it is ready on the serial
console and watches sysfs (tests/support/boot_init.sh), printing each disk
and NIC as it appears ("hotplug + block vdb serial=... readable=yes") and as
it goes ("hotplug - block vdb"), and the online vCPUs whenever they change
("hotplug cpus online=0-1"). The test then runs STEPS, each an action over
QMP through genqemu's own library (hotplug_commands, unplug_commands with
--plugged, qmpsend: the unplug waits for DEVICE_DELETED, then deletes the
backends) and the guest lines it waits for. Where CONFIG leaves room for a
vCPU (smp.maxcpus), a vCPU is hot-plugged first and the guest brings it online.
The init, its devices back as they were, says it is done and powers off;
QEMU stays (-no-shutdown), so the test can check over QMP that the devices
and their block nodes are gone, whatever the race with the guest, and quits it.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genqemu.errors import GenqemuError

from . import tomlwriter
from .boot_run import BOOT_TIMEOUT
from .qmp import QemuFailed, Qmp, _connect
from .swtpm import prestarted

if TYPE_CHECKING:
    from genqemu.resolve import Vm

# The example whose boot also hot-plugs, per arch: each has spare PCIe root
# ports where the root bus has no hot-plug (q35, virt). ppc64le's pseries is
# left out: a Linux guest handles PAPR's CPU and memory hot-plug events in the
# kernel but PCI ones through user space (rtas_errd and drmgr, which load
# rpaphp, a module in Debian's kernel), which the test's busybox guest has not.
EXAMPLES = {
    "amd64": "amd64/pci-topology",
    "arm64": "arm64/pci-topology",
    "s390x": "s390x/passthrough",
}
NAMES = tuple(EXAMPLES.values())  # each names its arch: amd64/...
APPEND = " genqemu.hotplug"
READY = "genqemu-init: hotplug ready"
DONE = "genqemu-init: hotplug done"
DISK_SERIAL = "genqemu-hotplug"
NIC_MAC = "52:54:00:67:71:70"
STEP_TIMEOUT = 120.0  # seconds for the guest to see one step (TCG, a loaded host)
NEW = f"""# Hot-plugged into the booted example (tests/support/boot_hotplug.py).
[[device]]
kind = "virtio-blk"
id = "hotdisk"
file = "hotplug.img"
format = "raw"
serial = "{DISK_SERIAL}"

[[device]]
kind = "virtio-net"
id = "hotnic"
mac = "{NIC_MAC}"
[device.netdev]
type = "user"
"""
NEW_IDS = ["hotdisk", "hotnic"]


@dataclass(frozen=True)
class Context:
    """What a step acts with: the QMP socket, CONFIG and NEW as files, the target,
    and whether CONFIG leaves room for a vCPU (smp.maxcpus above smp.cpus)."""

    socket: Path
    config: Path
    new: Path
    arch: str
    settings: Any
    spare_cpus: bool


@dataclass(frozen=True)
class Step:
    """One action over QMP and the guest lines it must bring (regexes)."""

    name: str
    act: Callable[[Context], None]
    expect: Callable[[str], list[str]]  # the console so far -> the patterns to wait for
    wanted: Callable[[Context], bool] = lambda _: True


def _plug_cpu(context: Context) -> None:
    from genqemu.hotplug import hotplug_commands
    from genqemu.qmpsend import send_hotplug

    commands = hotplug_commands(context.config, None, context.arch, context.settings, cpus=1)
    send_hotplug(str(context.socket), commands, STEP_TIMEOUT)


def _cpu_online(_: str) -> list[str]:
    return [r"^hotplug cpus online=0-1$"]


def _plug(context: Context) -> None:
    from genqemu.hotplug import hotplug_commands
    from genqemu.qmpsend import send_hotplug

    commands = hotplug_commands(context.config, context.new, context.arch, context.settings)
    send_hotplug(str(context.socket), commands, STEP_TIMEOUT)


def _unplug(context: Context) -> None:
    from genqemu.hotplug import unplug_commands
    from genqemu.qmpsend import send_unplug

    commands = unplug_commands(
        context.config, NEW_IDS, context.arch, context.settings, plugged=[context.new]
    )
    send_unplug(str(context.socket), commands, STEP_TIMEOUT)


def _appeared(_: str) -> list[str]:
    return [
        rf"hotplug \+ block (\w+) serial={DISK_SERIAL} readable=yes",
        rf"hotplug \+ net (\w+) mac={NIC_MAC} driver=virtio_net",
    ]


def _gone(console: str) -> list[str]:
    names = [re.search(pattern, console) for pattern in _appeared(console)]
    return [
        rf"hotplug - {kind} {match.group(1)}$"
        for kind, match in zip(("block", "net"), names, strict=True)
        if match
    ]


STEPS = [
    Step("cpu", _plug_cpu, _cpu_online, wanted=lambda context: context.spare_cpus),
    Step("plug", _plug, _appeared),
    Step("unplug", _unplug, _gone),
]


@dataclass
class Hotplugged:
    """What the hot-plug phase did: seconds per step, the QMP view after, or why not."""

    planned: list[str] = field(default_factory=list)  # the steps this boot runs
    seconds: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    devices_after: set[str] = field(default_factory=set)
    nodes_after: set[str] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)  # the guest's hot-plug lines


def write_files(folder: Path, config: dict[str, Any]) -> tuple[Path, Path]:
    """CONFIG (the booted config) and NEW as files, and NEW's disk image (1 MiB)."""
    (folder / "hotplug.img").write_bytes(b"\0" * (1 << 20))
    config_file = folder / "hotplug-vm.toml"
    config_file.write_text(tomlwriter.dumps(config))
    new = folder / "hotplug-new.toml"
    new.write_text(NEW.replace('"hotplug.img"', tomlwriter.string(str(folder / "hotplug.img"))))
    return config_file, new


def boot(
    argv: list[str], cwd: Path, log: Path, config: dict[str, Any], vm: Vm, settings: Any
) -> tuple[str, str, str, Hotplugged]:
    """Boot `vm`, built from `config`, with the hot-plug steps (and what its
    script starts first: swtpm): (exit status, console, failure text, what
    happened)."""
    from genqemu.launch import plan

    smp = vm.config.smp
    spare_cpus = smp is not None and (smp.maxcpus or smp.cpus) > smp.cpus
    with prestarted(plan(vm)):
        files = write_files(cwd, config)
        context = Context(cwd / "hotplug-qmp.sock", *files, vm.arch, settings, spare_cpus)
        return _boot(argv, log, context)


def _boot(argv: list[str], log: Path, context: Context) -> tuple[str, str, str, Hotplugged]:
    sock = context.socket
    cwd = sock.parent
    full = [
        *argv,
        "-chardev",
        f"socket,id=genqemu-hotplug-qmp,path={sock},server=on,wait=off",
        "-mon",
        "chardev=genqemu-hotplug-qmp,mode=control",
        "-no-shutdown",  # QEMU stays after the guest's power-off: the test looks, then quits
    ]
    result = Hotplugged()
    with subprocess.Popen(
        full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd
    ) as qemu:
        deadline = time.monotonic() + BOOT_TIMEOUT
        try:
            _wait(qemu, log, [re.escape(READY)], deadline)
            steps = [step for step in STEPS if step.wanted(context)]
            result.planned = [step.name for step in steps]
            for step in steps:
                started = time.monotonic()
                step.act(context)
                _wait(qemu, log, step.expect(_read(log)), started + STEP_TIMEOUT)
                result.seconds[step.name] = time.monotonic() - started
            _wait(qemu, log, [re.escape(DONE)], time.monotonic() + STEP_TIMEOUT)
            _look(sock, qemu, result)
        except (TimeoutError, QemuFailed, OSError, GenqemuError) as error:
            result.error = f"{type(error).__name__}: {error}"
        _quit(sock, qemu)
        try:
            qemu.wait(timeout=30)
        except subprocess.TimeoutExpired:
            qemu.kill()
        _, stderr = qemu.communicate()
    console = _read(log)
    result.lines = [line for line in console.splitlines() if line.startswith("hotplug ")]
    status = str(qemu.returncode)
    text = f"QEMU exit status {status}, stderr:\n{stderr.decode(errors='replace')}\n"
    return status, console, text + f"console:\n{console}", result


def _read(log: Path) -> str:
    return log.read_text(errors="replace").replace("\r", "") if log.exists() else ""


def _wait(qemu: subprocess.Popen[bytes], log: Path, patterns: list[str], deadline: float) -> None:
    """Until the console has a line matching each pattern; TimeoutError names the missing."""
    while True:
        console = _read(log)
        missing = [p for p in patterns if not re.search(p, console, re.MULTILINE)]
        if not missing:
            return
        if qemu.poll() is not None or time.monotonic() > deadline:
            raise TimeoutError(f"the guest did not print {missing}")
        time.sleep(0.1)


def _quit(sock: Path, qemu: subprocess.Popen[bytes]) -> None:
    """End QEMU (-no-shutdown keeps it after the guest's power-off): QMP quit."""
    if qemu.poll() is not None:
        return
    with suppress(QemuFailed, OSError), _connect(sock, qemu, 10) as connection:
        Qmp(connection).execute("quit")


def _look(sock: Path, qemu: subprocess.Popen[bytes], result: Hotplugged) -> None:
    """After the steps, QEMU's own view: the devices and block nodes left."""
    with _connect(sock, qemu, STEP_TIMEOUT) as connection:
        qmp = Qmp(connection)
        result.devices_after = set(qmp.devices())
        result.nodes_after = {
            str(b["inserted"]["node-name"]) for b in qmp.execute("query-block") if "inserted" in b
        }


def check(result: Hotplugged, context: str) -> None:
    """Every step seen by the guest, and nothing hot-plugged left in QEMU."""
    assert result.error is None, f"hot-plug: {result.error}; {context}"
    assert {"plug", "unplug"} <= set(result.planned) == set(result.seconds), result.seconds
    assert not set(NEW_IDS) & result.devices_after, result.devices_after
    assert f"drive-{NEW_IDS[0]}" not in result.nodes_after, result.nodes_after
    # Shown with -rA: each step's seconds (part of the boot's time), the guest's lines.
    print("\n".join([f"hot-plug steps (s): {result.seconds}", *result.lines]))
