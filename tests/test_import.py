"""genqemu import: every snapshot and a corpus of real command lines round-trip.

A round trip imports a command line, writes the TOML, reads it back, renders it
and checks with tests/support/argv_equivalence.py that the re-rendered argv starts the
same VM. genqemu's own output must come back 100% typed and byte-identical;
for the corpus, the TOML (with its typed/passed-through summary) is a snapshot.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import tomli
from conftest import EXAMPLE_CASES, REPO, TEST_SETTINGS, example_path
from support.argv_equivalence import differences
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from genqemu.build import build
from genqemu.errors import GenqemuError
from genqemu.importer import ImportResult, import_text
from genqemu.importer.source import read_invocation
from genqemu.importer.syntax import split_options
from genqemu.importer.tomlwrite import to_toml
from genqemu.launch import Launch, plan
from genqemu.output import to_args, to_json
from genqemu.profiles import load_profile
from genqemu.tomlfile import read_toml

CORPUS = REPO / "tests" / "import_corpus"
SNAPSHOTS = REPO / "tests" / "__snapshots__" / "test_snapshots"
ENTRIES: list[dict[str, str]] = tomli.loads((CORPUS / "index.toml").read_text())["entry"]
ARCH_OF_SUFFIX = {"x86_64": "amd64", "aarch64": "arm64", "ppc64": "ppc64le", "s390x": "s390x"}


class TomlSnapshot(SingleFileSnapshotExtension):
    """One imported config per file, as the TOML a reviewer reads."""

    file_extension = "toml"
    _write_mode = WriteMode.TEXT


@pytest.fixture
def toml_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(TomlSnapshot)


def rerender(result: ImportResult) -> tuple[str, Launch]:
    """The TOML of an import, and the launch of that TOML read back."""
    text = to_toml(result.config, [result.summary()])
    return text, plan(build(tomli.loads(text), result.arch, settings=TEST_SETTINGS))


def fds_of(launch: Launch) -> dict[int, str]:
    return {fd.number: f"{fd.mode}:{fd.path}" for fd in launch.fds}


def round_trips_or_is_refused(argv: list[str]) -> None:
    """Import `argv` (for the property tests): a clean refusal, or a config
    that starts the same VM."""
    try:
        result = import_text(json.dumps(argv))
    except GenqemuError:
        return
    again = plan(build(tomli.loads(to_toml(result.config, [])), result.arch))
    assert differences(argv, {}, again.argv, fds_of(again), load_profile(result.arch)) == []


def _snapshot_cases() -> list[Any]:
    cases = []
    for case in EXAMPLE_CASES:
        example, arch = case.values
        launch = plan(
            build(read_toml(example_path(str(example))), str(arch), settings=TEST_SETTINGS)
        )
        formats = ["sh", "json"] + ([] if launch.fds or launch.prefix else ["args"])
        cases += [pytest.param(example, arch, f, id=f"{case.id}-{f}") for f in formats]
    return cases


@pytest.mark.parametrize(("example", "arch", "syntax"), _snapshot_cases())
def test_every_snapshot_imports_typed_and_renders_identically(
    example: str, arch: str, syntax: str
) -> None:
    raw = read_toml(example_path(example))
    original = plan(build(raw, arch, settings=TEST_SETTINGS))
    if syntax == "sh":
        name = f"test_launch_script[{example.replace('/', '.')}-{arch}].sh"
        text = (SNAPSHOTS / name).read_text()
    else:
        text = to_json(original) if syntax == "json" else to_args(original)
    result = import_text(text, None, TEST_SETTINGS)
    # Typed, all but what the example itself passes through.
    own_extra = raw.get("extra_args", [])
    assert result.config.get("extra_args", []) == own_extra
    assert len(result.passthrough) == len(split_options(own_extra))
    toml_text, again = rerender(result)
    assert again.argv == original.argv
    assert fds_of(again) == fds_of(original)
    assert again.prefix == original.prefix
    assert differences(original.argv, {}, again.argv, {}, load_profile(arch)) == []
    assert "note:" not in toml_text  # genqemu's own output needs no caveat
    # UEFI from a descriptor comes back as [firmware], from the same descriptors.
    assert result.config.get("firmware") == raw.get("firmware")


@pytest.mark.parametrize("entry", ENTRIES, ids=[Path(e["file"]).stem for e in ENTRIES])
def test_corpus_command_line_round_trips(
    entry: dict[str, str], toml_snapshot: SnapshotAssertion
) -> None:
    text = (CORPUS / entry["file"]).read_text()
    result = import_text(text, entry.get("arch"))
    assert result.arch == ARCH_OF_SUFFIX[Path(entry["file"]).suffixes[0][1:]]
    toml_text, again = rerender(result)
    header = f"# source: {entry['source']}\n"
    assert header + toml_text == toml_snapshot
    invocation = read_invocation(text)
    before = [invocation.binary, *invocation.args]
    fds = {n: f"{mode}:{path}" for n, (path, mode) in invocation.fds.items()}
    profile = load_profile(result.arch)
    assert differences(before, fds, again.argv, fds_of(again), profile) == []


def test_the_corpus_covers_every_arch_and_its_counts_are_recorded(
    text_snapshot: SnapshotAssertion,
) -> None:
    """Typed and passed-through options per corpus entry, and in all (a snapshot)."""
    assert len(ENTRIES) >= 30
    assert {ARCH_OF_SUFFIX[Path(e["file"]).suffixes[0][1:]] for e in ENTRIES} == set(
        ARCH_OF_SUFFIX.values()
    )
    lines, typed, passed = [], 0, 0
    for entry in ENTRIES:
        result = import_text((CORPUS / entry["file"]).read_text(), entry.get("arch"))
        typed += len(result.typed)
        passed += len(result.passthrough)
        lines.append(
            f"{entry['file']}: {len(result.typed)} typed, {len(result.passthrough)} passed"
        )
    lines.append(f"total: {typed} typed, {passed} passed through, {len(ENTRIES)} command lines")
    assert "\n".join(lines) + "\n" == text_snapshot


def test_every_corpus_file_is_in_the_index() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.name != "index.toml"}
    assert files == {e["file"] for e in ENTRIES}


def test_json_argv_and_one_argument_per_line_read_like_a_script() -> None:
    argv = ["qemu-system-s390x", "-m", "1G", "-append", "console=ttysclp0 quiet", "-S"]
    script = "qemu-system-s390x -m 1G -append 'console=ttysclp0 quiet' -S\n"
    results = [import_text(t) for t in (json.dumps(argv), "\n".join(argv) + "\n", script)]
    assert all(r.config == results[0].config for r in results)
    assert results[0].config["memory"] == {"size": "1G"}
    assert results[0].config["stopped"] is True
    assert results[0].config["extra_args"] == ["-append", "console=ttysclp0 quiet"]
