"""Shared fixtures: the examples, the arches, snapshots and QEMU availability."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from genqemu.qemu_facts import CHECKED_VERSIONS, version
from genqemu.settings import Settings

if TYPE_CHECKING:
    from support.boot_initramfs import BootKit
    from support.xserver import XServer

REPO = Path(__file__).resolve().parent.parent
# examples/*.toml are for every arch; examples/<arch>/*.toml for that arch only.
EXAMPLES = sorted(path.stem for path in (REPO / "examples").glob("*.toml"))
ARCHES = sorted(path.stem for path in (REPO / "profiles").glob("*.toml"))
EXAMPLE_CASES = [
    pytest.param(name, arch, id=f"{name.replace('/', '.')}-{arch}")
    for name, arch in sorted(
        [(name, arch) for name in EXAMPLES for arch in ARCHES]
        + [
            (f"{arch}/{path.stem}", arch)
            for arch in ARCHES
            for path in (REPO / "examples" / arch).glob("*.toml")
        ]
    )
]
# The QEMU versions every example is checked against: the system's (Debian 12)
# first, then the others, unpacked by tests/support/qemu_debian.py.
QEMU_VERSIONS = list(CHECKED_VERSIONS)


def example_needs(example: str) -> str | None:
    """The QEMU version an example's config says it needs (its qemu_version), if any."""
    import tomllib

    with (REPO / "examples" / f"{example}.toml").open("rb") as file:
        needed = tomllib.load(file).get("qemu_version")
    return str(needed) if needed is not None else None


def runs_on(example: str, qemu: str) -> bool:
    """Whether an example is started on QEMU `qemu`: one whose config says
    qemu_version = "X" only on QEMUs X and newer (the others refuse what it has)."""
    needed = example_needs(example)
    return needed is None or version(qemu) >= version(needed)


def oldest_qemu(example: str) -> str:
    """The first QEMU of QEMU_VERSIONS that an example is started on."""
    return next(qemu for qemu in QEMU_VERSIONS if runs_on(example, qemu))


# (qemu, example, arch) of every example on every QEMU version it is started on.
VERSION_CASES = [
    pytest.param(qemu, *case.values, id=f"qemu{qemu}-{case.id}")
    for qemu in QEMU_VERSIONS
    for case in EXAMPLE_CASES
    if runs_on(str(case.values[0]), qemu)
]
# The firmware descriptors every test reads: Debian 12's, copied (their files are
# in /usr/share/OVMF and /usr/share/AAVMF: `make test` installs them). The command
# line gets them through the environment; library calls through TEST_SETTINGS.
FIRMWARE_DIR = REPO / "tests" / "fixtures" / "firmware"
os.environ["GENQEMU_FIRMWARE_PATH"] = str(FIRMWARE_DIR)
TEST_SETTINGS = Settings(firmware_dirs=(FIRMWARE_DIR,))
SKIP_QEMU = os.environ.get("GENQEMU_SKIP_QEMU") == "1"
SKIP_BOOT = os.environ.get("GENQEMU_SKIP_BOOT") == "1"
# (example, arch, seconds) of each boot test, for the summary at the end.
BOOT_TIMES: list[tuple[str, str, float]] = []
# Boots run a second time after a guest kernel panic (tests/test_boot.py PANIC).
RETRIED: list[str] = []


class ShellScriptSnapshot(SingleFileSnapshotExtension):
    """One launch script per file, stored as the .sh text a reviewer reads."""

    file_extension = "sh"
    _write_mode = WriteMode.TEXT


class TextSnapshot(SingleFileSnapshotExtension):
    """Plain text, one file per case."""

    file_extension = "txt"
    _write_mode = WriteMode.TEXT


@pytest.fixture
def sh_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(ShellScriptSnapshot)


@pytest.fixture
def text_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(TextSnapshot)


def example_path(name: str) -> Path:
    return REPO / "examples" / f"{name}.toml"


def qemu_binary(binary: str, version: str = QEMU_VERSIONS[0]) -> str:
    """The path of a qemu-system binary of QEMU `version`: the system's for the
    first version, else one unpacked from Debian's archive (downloaded once). A
    missing one fails the test unless GENQEMU_SKIP_QEMU=1 says to skip the
    tests that need QEMU."""
    if version != QEMU_VERSIONS[0]:
        return _unpacked_qemu(binary, version)
    path = shutil.which(binary)
    if path is None:
        if SKIP_QEMU:
            pytest.skip(f"{binary} is not installed and GENQEMU_SKIP_QEMU=1")
        pytest.fail(
            f"{binary} is not installed: run the README's test command, which "
            "installs it, or set GENQEMU_SKIP_QEMU=1 to skip QEMU tests"
        )
    return path


def _unpacked_qemu(binary: str, version: str) -> str:
    from support.boot_debian import DownloadError
    from support.qemu_debian import binary_path

    try:
        path = binary_path(binary, version)
    except (DownloadError, OSError, subprocess.CalledProcessError) as error:
        if SKIP_QEMU:
            pytest.skip(f"no QEMU {version} ({error}) and GENQEMU_SKIP_QEMU=1")
        pytest.fail(
            f"no QEMU {version}: {type(error).__name__}: {error}. The tests download it once "
            "from the Debian archive; set GENQEMU_SKIP_QEMU=1 to skip QEMU tests",
            pytrace=False,
        )
    if not path.exists():
        pytest.fail(f"QEMU {version} has no {binary} ({path})", pytrace=False)
    return str(path)


@pytest.fixture(scope="session")
def x_server() -> Iterator[XServer]:
    """A private Xvfb for QEMU's gtk and sdl windows, one per run; a missing Xvfb
    fails the tests that open a window, as a missing QEMU does."""
    from support.xserver import missing_tools, xvfb

    missing = missing_tools()
    if missing:
        if SKIP_QEMU:
            pytest.skip(f"{', '.join(missing)} not installed and GENQEMU_SKIP_QEMU=1")
        pytest.fail(
            f"{', '.join(missing)} not installed: run the README's test command, which "
            "installs xvfb and x11-utils, or set GENQEMU_SKIP_QEMU=1 to skip QEMU tests",
            pytrace=False,
        )
    with xvfb() as server:
        yield server


@pytest.fixture(scope="session")
def kits() -> Callable[[str], BootKit]:
    """The arch's kernel and initramfs for the boot tests, built once per session
    (downloads once ever)."""
    from support.boot_debian import DownloadError
    from support.boot_initramfs import KernelError, boot_kit
    from support.boot_view import guest_modules

    built: dict[str, BootKit | str] = {}

    def get(arch: str) -> BootKit:
        if arch not in built:
            try:
                built[arch] = boot_kit(arch, guest_modules())
            except (DownloadError, KernelError, OSError, subprocess.CalledProcessError) as error:
                built[arch] = f"{type(error).__name__}: {error}"
        kit = built[arch]
        if isinstance(kit, str):
            pytest.fail(
                f"no Debian kernel for {arch}: {kit}. The boot tests download it once from "
                "the Debian archive; set GENQEMU_SKIP_BOOT=1 to skip them.",
                pytrace=False,
            )
        return kit

    return get


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temporary folder with a short path: unix socket paths hold 107 bytes."""
    with tempfile.TemporaryDirectory(prefix="gq-") as folder:
        yield Path(folder)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-boot-docs",
        action="store_true",
        help="boot tests write their transcripts into docs/boot.md instead of checking it",
    )


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    for item in items:
        if SKIP_QEMU and "qemu" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="GENQEMU_SKIP_QEMU=1"))
        elif SKIP_BOOT and "boot" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="GENQEMU_SKIP_BOOT=1"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Boot time per example and arch, and the total, when boot tests ran; how
    many hostile configs the property tests generated, if they ran."""
    oracle = sys.modules.get("support.argv_oracle")
    if oracle is not None and oracle.STATS["configs"]:
        terminalreporter.write_line(oracle.summary())
    if not BOOT_TIMES:
        return
    terminalreporter.section("boot times (TCG, seconds)")
    for example, arch, seconds in BOOT_TIMES:
        terminalreporter.write_line(f"{example:>12} {arch:<8} {seconds:6.1f}")
    total = sum(seconds for _, _, seconds in BOOT_TIMES)
    terminalreporter.write_line(f"{'total':>12} {'':<8} {total:6.1f}")
    for retried in RETRIED:
        terminalreporter.write_line(f"booted again after a guest kernel panic: {retried}")
