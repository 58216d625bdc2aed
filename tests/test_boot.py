"""Boot a real Debian kernel with every example on every arch, and ask the guest.

For each example x arch: the example is pointed at files that exist here
(tests/support/localize.py; devices that cannot start in a sandbox are taken
out), its kernel and initrd at the Debian kernel and the test initramfs
(tests/support/boot_initramfs.py), and its kernel command line at the arch's
console. QEMU runs the launch plan's argv under TCG, plus test-only options
appended as "$@" would be. The guest's init prints the devices its kernel
sees and powers off; the test asserts that they are the devices the config
declares (tests/support/boot_view.py), no more and no fewer.

The kernel (Debian 12; Debian 13 for riscv64) and busybox are downloaded on
the first run and cached (tests/support/boot_debian.py). A download that
fails fails the tests, unless GENQEMU_SKIP_BOOT=1 says to skip them.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    ARCHES,
    BOOT_TIMES,
    EXAMPLE_CASES,
    QEMU_VERSIONS,
    RETRIED,
    TEST_SETTINGS,
    example_path,
    oldest_qemu,
    qemu_binary,
    runs_on,
)
from support import boot_hotplug
from support.boot_docs import DOC, DOCUMENTED_EXAMPLE, check_doc, sections
from support.boot_initramfs import BootKit
from support.boot_run import APPEND, ARCH_APPEND, BOOT_TIMEOUT
from support.boot_screen import (
    SCREEN_APPEND,
    SCREEN_EXAMPLE,
    check_screens,
    keep_screen,
    screen_boot,
)
from support.boot_view import (
    CONSOLE,
    Guest,
    expected_view,
    guest_block,
    guest_view,
    numa_view,
    uefi_boot,
    unmatched,
)
from support.localize import localize
from support.swtpm import prestarted

from genqemu.build import build
from genqemu.launch import Launch, plan
from genqemu.run import copy_templates
from genqemu.tomlfile import read_toml

# What would keep the guest from booting to its init and back, taken out:
# an incoming migration or -S (QEMU waits), -no-shutdown (QEMU stays after
# power-off), -daemonize, and a privilege drop (to a user who cannot read
# the test's files; tests/test_run.py checks the prefix).
NOT_BOOTING = ("incoming", "stopped", "no_shutdown", "daemonize", "run_as")
# Example x arch pairs that cannot boot, each with why (a strict xfail, so an
# entry cannot outlive the reason). Empty: s390x/passthrough's loader moved off
# the kernel's load address (0x10000), which had stopped that guest.
CANNOT_BOOT: dict[tuple[object, ...], str] = {}


def boot_config(
    raw: dict[str, Any], arch: str, kit: BootKit, folder: Path
) -> tuple[dict[str, Any], Path, list[str]]:
    """The localized config booting the kit: (config, console log, options to append).

    A [firmware] config boots the firmware of the test's descriptors (Debian's,
    tests/fixtures/firmware), its variable store in `folder` (localize), created
    from the firmware's template as the script would (copy_templates).
    The guest's console is the machine's first serial port. When the config
    has a `serial` device, its chardev becomes a file the test reads; else the
    test appends `-serial file:...`, as a user would append it to the script.
    """
    config, _ = localize(raw, arch, folder)
    for key in NOT_BOOTING:
        config.pop(key, None)
    config["kernel"] = {
        "path": str(kit.kernel),
        "initrd": str(kit.initrd),
        "append": f"console={CONSOLE[arch]} {APPEND}{ARCH_APPEND.get(arch, '')}",
    }
    log = folder / "console.log"
    serials = [d for d in config.get("device", []) if d.get("kind") == "serial"]
    extra = ["-no-reboot"]  # the script says -display none itself
    if serials:
        chardevs = config["chardev"]
        index = next(i for i, c in enumerate(chardevs) if c["id"] == serials[0]["chardev"])
        chardevs[index] = {"id": chardevs[index]["id"], "backend": "file", "path": str(log)}
    else:
        extra += ["-serial", f"file:{log}"]
    return config, log, extra


# Every example boots on the system's QEMU (the first of QEMU_VERSIONS), or the
# oldest it is for (its qemu_version: conftest.runs_on); on the others, one boot
# per arch, of the example that has every device kind: each costs a boot's time
# (see the boot times the run prints).
ON_EVERY_VERSION = DOCUMENTED_EXAMPLE


# The guest kernel's panic banner. Under TCG on a loaded host, the s390x guest
# of QEMU 7.2 has panicked once in several hundred boots ("Corrupt kernel
# stack" in insmod; the same boot passed 25 times in a row alone): an emulation
# flake, not a config defect. A boot that panics is run once more; a panic that
# repeats fails the test, and every retry is named in the boot-time report.
PANIC = "Kernel panic - not syncing"


def boot(
    argv: list[str], cwd: Path, log: Path, label: str, launch: Launch | None = None
) -> tuple[str, str, str]:
    """Run QEMU to the guest's power-off: its exit status, the guest's console,
    and both with QEMU's stderr as the text a failure shows. A guest kernel
    panic is retried once (see PANIC). Each run starts what the `launch`'s
    script starts before QEMU (swtpm), and ends it if QEMU did not."""
    status, console, context = _boot_once(argv, cwd, log, launch)
    if PANIC in console:
        RETRIED.append(f"{label}: {console[console.index(PANIC) :].splitlines()[0]}")
        log.unlink(missing_ok=True)
        status, console, context = _boot_once(argv, cwd, log, launch)
    return status, console, context


def _boot_once(
    argv: list[str], cwd: Path, log: Path, launch: Launch | None = None
) -> tuple[str, str, str]:
    with prestarted(launch) if launch else contextlib.nullcontext():
        return _run_qemu(argv, cwd, log)


def _run_qemu(argv: list[str], cwd: Path, log: Path) -> tuple[str, str, str]:
    try:
        result = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=BOOT_TIMEOUT,
            cwd=cwd,
            check=False,
        )
        status, stderr = str(result.returncode), result.stderr
    except subprocess.TimeoutExpired as expired:
        status, stderr = f"none: killed after {BOOT_TIMEOUT} s", str(expired.stderr or "")
    console = log.read_text(errors="replace") if log.exists() else ""
    return status, console, f"QEMU exit status {status}, stderr:\n{stderr}\nconsole:\n{console}"


@pytest.mark.boot
@pytest.mark.qemu
@pytest.mark.parametrize(
    ("qemu", "example", "arch"),
    [
        pytest.param(
            qemu,
            *case.values,
            id=f"qemu{qemu}-{case.id}",
            marks=[pytest.mark.xfail(reason=CANNOT_BOOT[case.values], strict=True)]
            if case.values in CANNOT_BOOT
            else [],
        )
        for qemu in QEMU_VERSIONS
        for case in EXAMPLE_CASES
        if qemu == oldest_qemu(str(case.values[0]))
        or (
            case.values[0] in (ON_EVERY_VERSION, *boot_hotplug.NAMES)
            and runs_on(str(case.values[0]), qemu)
        )
    ],
)
def test_guest_sees_the_declared_devices(
    qemu: str,
    example: str,
    arch: str,
    kits: Callable[[str], BootKit],
    short_tmp: Path,
    request: pytest.FixtureRequest,
) -> None:
    kit = kits(arch)
    raw = read_toml(example_path(example))
    config, log, extra = boot_config(raw, arch, kit, short_tmp)
    screens = Path(example).name == SCREEN_EXAMPLE  # its console pictured (boot_screen.py)
    config["kernel"]["append"] += SCREEN_APPEND if screens else ""
    hotplugs = boot_hotplug.EXAMPLES.get(arch) == example  # a disk and NIC come and go
    config["kernel"]["append"] += boot_hotplug.APPEND if hotplugs else ""
    settings = TEST_SETTINGS._replace(qemu_version=qemu)
    vm = build(config, arch, example, settings)
    launch = plan(vm)
    copy_templates(launch)
    assert not launch.fds and not launch.prefix, "boot tests do not open fds or drop privileges"
    binary = qemu_binary(vm.binary, qemu)
    argv = [*launch.argv, *extra]
    if qemu != QEMU_VERSIONS[0]:
        argv[0] = binary  # not on PATH: unpacked by tests/support/qemu_debian.py

    started = time.monotonic()
    if screens:
        status, console, context, pictures = screen_boot(argv, short_tmp, log, BOOT_TIMEOUT)
    elif hotplugs:  # each step's seconds and the guest's lines shown with -rA
        status, console, context, hp = boot_hotplug.boot(argv, short_tmp, log, config, vm, settings)
        boot_hotplug.check(hp, context)
    else:
        status, console, context = boot(argv, short_tmp, log, f"{example} {qemu} {arch}", launch)
    BOOT_TIMES.append((f"{example} {qemu}", arch, time.monotonic() - started))
    assert status == "0", context
    try:
        block = guest_block(console)
    except ValueError as error:
        pytest.fail(f"{error}; {context}", pytrace=False)
    assert block[0].startswith("kernel "), block

    serial_ports = max(1, sum(1 for d in vm.devices if d.kind == "serial"))
    uefi, secure_boot = uefi_boot(config)
    guest = Guest(arch, vm.machine_type, uefi, kit.has, secure_boot, vm.config)
    expected = expected_view(
        vm.devices,
        guest,
        serial_ports,
        config.get("extra_args", []),
        config.get("smbios"),
        vm.tpm_driver,
    )
    expected = sorted([*expected, *numa_view(vm.config, guest)])
    missing, unexpected = unmatched(expected, guest_view(block))
    assert (missing, unexpected) == ([], []), "\n".join(
        ["(declared but not seen, seen but not declared)", *block]
    )

    if screens:
        check_screens(pictures, context)
        if request.config.getoption("--update-boot-docs") and qemu == QEMU_VERSIONS[0]:
            keep_screen(arch, pictures)
    if example == DOCUMENTED_EXAMPLE and qemu == QEMU_VERSIONS[0]:
        update = bool(request.config.getoption("--update-boot-docs"))
        check_doc(arch, kit, argv, console, short_tmp, update, ARCHES)


def test_boot_doc_has_one_section_per_arch() -> None:
    """Fast: a section per arch, in order (the boot tests check their contents)."""
    assert sections(DOC.read_text()) == ARCHES


VHOST_USER_EXAMPLE = "vhost-user"
# A sector the guest reads back from the backend's image.
SECTOR = b"genqemu vhost-user-blk\n".ljust(512, b"\0")


@pytest.fixture
def storage_daemon(short_tmp: Path) -> Iterator[Callable[[int], Path]]:
    """Start qemu-storage-daemon exporting a raw image as vhost-user-blk; yields a
    function (number of queues -> the socket), and stops the daemon afterwards."""
    binary = shutil.which("qemu-storage-daemon")
    if binary is None:
        pytest.fail("qemu-storage-daemon is missing: qemu-system-common ships it", pytrace=False)
    started: list[subprocess.Popen[bytes]] = []

    def start(queues: int) -> Path:
        image = short_tmp / "vhost.img"
        image.write_bytes(SECTOR * 2048)  # 1 MiB
        socket = short_tmp / "vhost-blk.sock"
        export = f"addr.type=unix,addr.path={socket},writable=on,num-queues={queues}"
        blockdev = f"driver=file,node-name=disk,filename={image}"
        export = f"type=vhost-user-blk,id=export,node-name=disk,{export}"
        daemon = subprocess.Popen(
            [binary, "--blockdev", blockdev, "--export", export],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(daemon)
        deadline = time.monotonic() + 30
        while not socket.exists():
            if daemon.poll() is not None or time.monotonic() > deadline:
                error = daemon.stderr.read().decode() if daemon.stderr else ""
                pytest.fail(f"qemu-storage-daemon did not listen: {error}", pytrace=False)
            time.sleep(0.05)
        return socket

    yield start
    for daemon in started:
        daemon.terminate()
        daemon.wait(timeout=30)


@pytest.mark.boot
@pytest.mark.qemu
@pytest.mark.parametrize("arch", ARCHES)
def test_guest_reads_a_vhost_user_blk_disk_through_shared_memfd_ram(
    arch: str,
    kits: Callable[[str], BootKit],
    short_tmp: Path,
    storage_daemon: Callable[[int], Path],
) -> None:
    """The vhost-user example's disk, served by qemu-storage-daemon: the guest sees
    it and reads a sector. RAM is `share = true` with no mem_path, which genqemu
    renders as memory-backend-memfd: the backend maps guest RAM from its fd (an
    anonymous memory-backend-ram,share=on has none, and vhost fails to start)."""
    kit = kits(arch)
    raw = read_toml(example_path(VHOST_USER_EXAMPLE))
    disks = [d for d in raw["device"] if d["kind"] == "vhost-user-blk"]
    raw["device"] = [d for d in raw["device"] if d["kind"] != "vhost-user-blk"]
    raw["memory"] = {"size": raw["memory"]["size"], "share": True}
    config, log, extra = boot_config(raw, arch, kit, short_tmp)
    disk = dict(disks[0], socket=str(storage_daemon(disks[0].get("num_queues", 1))))
    config["device"].append(disk)
    vm = build(config, arch, VHOST_USER_EXAMPLE, TEST_SETTINGS)
    argv = [*plan(vm).argv, *extra]
    assert any(a.startswith("memory-backend-memfd,") and "share=on" in a for a in argv), argv
    qemu_binary(vm.binary)
    status, console, context = boot(argv, short_tmp, log, f"vhost-user-blk {arch}")
    assert status == "0", context
    block = guest_block(console)
    uefi, secure_boot = uefi_boot(config)
    guest = Guest(arch, vm.machine_type, uefi, kit.has, secure_boot)
    expected = expected_view(vm.devices, guest, 1, config.get("extra_args", []))
    missing, unexpected = unmatched(expected, guest_view(block))
    assert (missing, unexpected) == ([], []), "\n".join(
        ["(declared but not seen, seen but not declared)", *block]
    )
    assert [d.kind for d in vm.devices if d.kind == "vhost-user-blk"] == ["vhost-user-blk"]


# Written into the base image only: the guest reads it through the overlays.
BACKING_LABEL = "genqemu-backing-chain"


@pytest.mark.boot
@pytest.mark.qemu
@pytest.mark.parametrize("qemu", QEMU_VERSIONS, ids=lambda v: f"qemu{v}")
def test_guest_reads_through_a_backing_chain(
    qemu: str, kits: Callable[[str], BootKit], short_tmp: Path
) -> None:
    """A virtio-blk qcow2 overlay over a qcow2 over a raw base (made here with
    qemu-img), the chain declared in `backing`: the guest reads the label that
    only the base holds. The overlays' headers name no real file, so the data
    can only come through the declared nodes."""
    arch = "amd64"
    kit = kits(arch)
    base = short_tmp / "base.raw"
    base.write_bytes(BACKING_LABEL.encode().ljust(8 * 1024 * 1024, b"\0"))
    images = [short_tmp / "mid.qcow2", short_tmp / "top.qcow2"]
    for image, below, fmt in ((images[0], base, "raw"), (images[1], images[0], "qcow2")):
        create = ["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(below), "-F", fmt]
        subprocess.run([*create, str(image)], check=True)
    for image in images:
        rebase = ["qemu-img", "rebase", "-u", "-b", "/nonexistent", "-F", "raw", str(image)]
        subprocess.run(rebase, check=True)
    config, log, extra = boot_config(read_toml(example_path("minimal")), arch, kit, short_tmp)
    chain = [{"file": str(images[0]), "format": "qcow2"}, {"file": str(base), "format": "raw"}]
    disk = {"kind": "virtio-blk", "file": str(images[1]), "format": "qcow2", "backing": chain}
    config["device"].append({**disk, "serial": "backed"})
    vm = build(config, arch, "backing", TEST_SETTINGS._replace(qemu_version=qemu))
    argv = [qemu_binary(vm.binary, qemu), *plan(vm).argv[1:], *extra]
    status, console, context = boot(argv, short_tmp, log, f"backing chain {qemu}")
    assert status == "0", context
    block = guest_block(console)
    uefi, secure_boot = uefi_boot(config)
    guest = Guest(arch, vm.machine_type, uefi, kit.has, secure_boot, vm.config)
    expected = expected_view(vm.devices, guest, 1, config.get("extra_args", []))
    expected.append(f"data label={BACKING_LABEL}")
    missing, unexpected = unmatched(expected, guest_view(block))
    assert (missing, unexpected) == ([], []), "\n".join(
        ["(declared but not seen, seen but not declared)", *block]
    )
