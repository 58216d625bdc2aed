"""Shared fixtures: the examples, the arches, snapshots and QEMU availability."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

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
SKIP_QEMU = os.environ.get("GENQEMU_SKIP_QEMU") == "1"


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


def qemu_binary(binary: str) -> str:
    """The path of a qemu-system binary; a missing one fails the test unless
    GENQEMU_SKIP_QEMU=1 says to skip the tests that need QEMU."""
    path = shutil.which(binary)
    if path is None:
        if SKIP_QEMU:
            pytest.skip(f"{binary} is not installed and GENQEMU_SKIP_QEMU=1")
        pytest.fail(
            f"{binary} is not installed: run the README's test command, which "
            "installs it, or set GENQEMU_SKIP_QEMU=1 to skip QEMU tests"
        )
    return path


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    if SKIP_QEMU:
        skip = pytest.mark.skip(reason="GENQEMU_SKIP_QEMU=1")
        for item in items:
            if "qemu" in item.keywords:
                item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print how many hostile configs the property tests generated, if they ran."""
    import sys

    oracle = sys.modules.get("argv_oracle")
    if oracle is not None and oracle.STATS["configs"]:
        terminalreporter.write_line(oracle.summary())
