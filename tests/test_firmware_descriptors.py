"""Firmware descriptors: the spec's search rules, the match, and why not.

Fixture descriptors are written into tmp_path; tests/fixtures/firmware holds
Debian 12's six, read as they ship."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from genqemu.firmware import (
    Descriptor,
    Wanted,
    no_match_message,
    read_descriptors,
    select,
    why_not,
)

DEBIAN = Path(__file__).parent / "fixtures" / "firmware"
SB, KEYS = "secure-boot", "enrolled-keys"


def descriptor(
    arch: str = "x86_64",
    machines: tuple[str, ...] = ("pc-q35-*",),
    features: tuple[str, ...] = (),
    code: str = "/fw/CODE.fd",
    **changes: Any,
) -> dict[str, Any]:
    """A valid flash descriptor; `changes` replace top-level keys."""
    doc: dict[str, Any] = {
        "description": "test firmware",
        "interface-types": ["uefi"],
        "mapping": {
            "device": "flash",
            "executable": {"filename": code, "format": "raw"},
            "nvram-template": {"filename": "/fw/VARS.fd", "format": "raw"},
        },
        "targets": [{"architecture": arch, "machines": list(machines)}],
        "features": list(features),
        "tags": [],
    }
    doc.update(changes)
    return doc


def write(folder: Path, name: str, doc: object) -> Path:
    """`doc` as JSON in folder/name (a str is written as it is)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def wanted(
    arch: str = "x86_64",
    machine: str = "pc-q35-7.2",
    required: tuple[str, ...] = (),
    excluded: tuple[str, ...] = (),
    devices: tuple[str, ...] = ("flash",),
) -> Wanted:
    return Wanted(arch, machine, "uefi", devices, frozenset(required), frozenset(excluded))


def names(found: list[Descriptor]) -> list[str]:
    return [d.name for d in found]


def read_one(tmp_path: Path, doc: object) -> tuple[list[Descriptor], list[tuple[str, str]]]:
    write(tmp_path, "50-test.json", doc)
    return read_descriptors([tmp_path])


# --- reading: the spec's search rules ---------------------------------------


def test_a_descriptor_is_read_into_typed_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "50-ovmf.json", descriptor(features=(SB, "requires-smm")))
    [d], skipped = read_descriptors([tmp_path])
    assert skipped == []
    assert d == Descriptor(
        name="50-ovmf.json",
        path=path,
        description="test firmware",
        interfaces=("uefi",),
        device="flash",
        mode="split",
        executable="/fw/CODE.fd",
        executable_format="raw",
        nvram_template="/fw/VARS.fd",
        nvram_format="raw",
        targets=(("x86_64", ("pc-q35-*",)),),
        features=frozenset({SB, "requires-smm"}),
    )


def test_memory_and_template_less_flash_descriptors(tmp_path: Path) -> None:
    write(tmp_path, "10-bios.json", descriptor(mapping={"device": "memory", "filename": "/b.bin"}))
    write(
        tmp_path,
        "20-flash.json",
        descriptor(
            mapping={"device": "flash", "executable": {"filename": "/c.qcow2", "format": "qcow2"}}
        ),
    )
    (bios, flash), skipped = read_descriptors([tmp_path])
    assert skipped == []
    assert (bios.device, bios.mode, bios.executable, bios.executable_format) == (
        "memory",
        "",
        "/b.bin",
        "raw",
    )
    assert (flash.mode, flash.executable_format, flash.nvram_template) == ("split", "qcow2", None)


def test_first_folder_wins_a_file_name(tmp_path: Path) -> None:
    etc, share = tmp_path / "etc", tmp_path / "share"
    write(share, "50-ovmf.json", descriptor(code="/share/CODE.fd"))
    write(etc, "50-ovmf.json", descriptor(code="/etc/CODE.fd"))
    [d], _ = read_descriptors([etc, share])
    assert (d.executable, d.path) == ("/etc/CODE.fd", etc / "50-ovmf.json")
    [d], _ = read_descriptors([share, etc])
    assert d.executable == "/share/CODE.fd"


def test_priority_is_the_file_name_across_folders(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write(first, "60-b.json", descriptor())
    write(first, "20-a.json", descriptor())
    write(second, "10-c.json", descriptor())
    write(second, "99-d.json", descriptor())
    found, _ = read_descriptors([first, second])
    assert names(found) == ["10-c.json", "20-a.json", "60-b.json", "99-d.json"]


def test_an_empty_file_masks_the_name(tmp_path: Path) -> None:
    etc, share = tmp_path / "etc", tmp_path / "share"
    write(share, "50-ovmf.json", descriptor())
    write(share, "60-other.json", descriptor())
    write(etc, "50-ovmf.json", "")
    found, skipped = read_descriptors([etc, share])
    assert names(found) == ["60-other.json"]
    assert skipped == [("50-ovmf.json", f"masked by the empty {etc / '50-ovmf.json'}")]


def test_a_link_to_dev_null_masks_the_name(tmp_path: Path) -> None:
    etc, share = tmp_path / "etc", tmp_path / "share"
    write(share, "50-ovmf.json", descriptor())
    etc.mkdir()
    (etc / "50-ovmf.json").symlink_to(os.devnull)
    found, skipped = read_descriptors([etc, share])
    assert (found, [name for name, _ in skipped]) == ([], ["50-ovmf.json"])


def test_only_json_files_and_existing_folders_count(tmp_path: Path) -> None:
    write(tmp_path, "50-ovmf.json", descriptor())
    write(tmp_path, "50-ovmf.json.dpkg-old", "not json")
    write(tmp_path, "README", "not json")
    found, skipped = read_descriptors([tmp_path / "missing", tmp_path])
    assert (names(found), skipped) == (["50-ovmf.json"], [])


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ("{not json", "is not JSON: Expecting property name"),
        ("[]", "is not a JSON object"),
        (descriptor(mapping=None), "mapping is not an object"),
        ({k: v for k, v in descriptor().items() if k != "mapping"}, "mapping is missing"),
        (descriptor(mapping={"device": "flash"}), "mapping.executable is missing"),
        (descriptor(mapping={"device": "rom", "filename": "/x"}), "mapping.device 'rom' is not"),
        (
            descriptor(mapping={"device": "memory", "filename": 7}),
            "mapping.filename is not a string",
        ),
        (
            descriptor(
                mapping={"device": "flash", "mode": "wide", "executable": {"filename": "/c"}}
            ),
            "mapping.mode 'wide' is not one of",
        ),
        (
            descriptor(mapping={"device": "flash", "executable": {"filename": "/c"}}),
            "mapping.executable.format is missing",
        ),
        ({**descriptor(), "interface-types": "uefi"}, "interface-types is not a list"),
        ({**descriptor(), "interface-types": []}, "interface-types is empty"),
        ({**descriptor(), "features": [SB, 1]}, "features has an entry that is not"),
        (descriptor(targets=[]), "targets is empty"),
        (descriptor(targets=["x86_64"]), "targets has an entry that is not an object"),
        (descriptor(targets=[{"architecture": "x86_64"}]), "targets[].machines is missing"),
        (descriptor(description=None), "description is not a string"),
        (descriptor(code=""), "mapping.executable.filename is empty"),
        (descriptor(code="/fw/a\0b"), "mapping.executable.filename has a NUL character"),
    ],
)
def test_a_malformed_descriptor_is_reported_not_raised(
    tmp_path: Path, doc: object, why: str
) -> None:
    found, [(name, reason)] = read_one(tmp_path, doc)
    assert (found, name) == ([], "50-test.json")
    assert reason.startswith(why)


def test_unreadable_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "10-dir.json").mkdir()
    (tmp_path / "20-dangling.json").symlink_to(tmp_path / "nowhere")
    write(tmp_path, "30-latin1.json", "")
    (tmp_path / "30-latin1.json").write_bytes(b'{"description": "\xe9"}')
    write(tmp_path, "40-deep.json", "[" * 100_000 + "]" * 100_000)
    found, skipped = read_descriptors([tmp_path])
    assert found == []
    assert [(name, why.split(":")[0]) for name, why in skipped] == [
        ("10-dir.json", "cannot be read"),
        ("20-dangling.json", "cannot be read"),
        ("30-latin1.json", "cannot be read"),
        ("40-deep.json", "is not JSON"),
    ]


def test_an_unlistable_folder_is_reported(tmp_path: Path) -> None:
    not_a_folder = write(tmp_path, "file", "x")
    assert read_descriptors([not_a_folder]) == (
        [],
        [(str(not_a_folder), "folder cannot be listed: Not a directory")],
    )


def test_a_combined_flash_mode_ignores_a_template(tmp_path: Path) -> None:
    mapping = {
        "device": "flash",
        "mode": "combined",
        "executable": {"filename": "/c", "format": "raw"},
    }
    [d], _ = read_one(tmp_path, descriptor(mapping=mapping))
    assert (d.mode, d.nvram_template) == ("combined", None)


# --- matching ---------------------------------------------------------------


def parsed(tmp_path: Path, **kwargs: Any) -> Descriptor:
    [d], skipped = read_one(tmp_path, descriptor(**kwargs))
    assert skipped == []
    return d


@pytest.mark.parametrize(
    ("machine", "fits"),
    [("pc-q35-7.2", True), ("pc-q35-10.0", True), ("pc-i440fx-7.2", False), ("q35", False)],
)
def test_machine_globs(tmp_path: Path, machine: str, fits: bool) -> None:
    d = parsed(tmp_path)
    reason = why_not(d, wanted(machine=machine))
    assert (reason is None) == fits
    if not fits:
        assert reason == f"does not list machine {machine} (it has pc-q35-*)"


def test_only_the_wanted_architectures_globs_count(tmp_path: Path) -> None:
    targets = [
        {"architecture": "aarch64", "machines": ["virt-*"]},
        {"architecture": "x86_64", "machines": ["pc-i440fx-*"]},
    ]
    d = parsed(tmp_path, targets=targets)
    assert why_not(d, wanted(arch="aarch64", machine="virt-7.2")) is None
    assert why_not(d, wanted(machine="virt-7.2")) == (
        "does not list machine virt-7.2 (it has pc-i440fx-*)"
    )
    assert why_not(d, wanted(arch="riscv64", machine="virt")) == (
        "is for aarch64, x86_64, not riscv64"
    )


def test_architecture(tmp_path: Path) -> None:
    d = parsed(tmp_path, arch="aarch64", machines=("virt-*",))
    assert why_not(d, wanted(machine="virt-7.2")) == "is for aarch64, not x86_64"


def test_interface(tmp_path: Path) -> None:
    d = parsed(tmp_path, **{"interface-types": ["bios"]})
    assert why_not(d, wanted()) == "interface bios, not uefi"


def test_features_required_and_excluded(tmp_path: Path) -> None:
    d = parsed(tmp_path, features=(SB, "requires-smm"))
    assert why_not(d, wanted(required=(SB,))) is None
    assert why_not(d, wanted(required=(SB, KEYS, "amd-sev"))) == "lacks amd-sev, enrolled-keys"
    assert why_not(d, wanted(excluded=(SB,))) == "has secure-boot (secure_boot = false)"
    assert why_not(d, wanted(excluded=("requires-smm",))) == "has requires-smm (not wanted)"
    assert why_not(d, wanted(excluded=(KEYS,))) is None


@pytest.mark.parametrize(
    ("mapping", "devices", "why"),
    [
        (
            {"device": "kernel", "filename": "/u-boot.bin"},
            ("flash", "memory"),
            "maps its firmware as kernel, which genqemu does not attach",
        ),
        (
            {"device": "memory", "filename": "/bios.bin"},
            ("flash",),
            "maps its firmware as memory, not flash",
        ),
        ({"device": "memory", "filename": "/bios.bin"}, ("memory",), None),
        (
            {
                "device": "flash",
                "mode": "combined",
                "executable": {"filename": "/c", "format": "raw"},
            },
            ("flash",),
            "flash mode combined is not supported",
        ),
        (
            {
                "device": "flash",
                "mode": "stateless",
                "executable": {"filename": "/c", "format": "raw"},
            },
            ("flash",),
            "flash mode stateless is not supported",
        ),
        ({"device": "flash", "executable": {"filename": "/c", "format": "raw"}}, ("flash",), None),
    ],
)
def test_devices_and_modes(
    tmp_path: Path, mapping: dict[str, Any], devices: tuple[str, ...], why: str | None
) -> None:
    assert why_not(parsed(tmp_path, mapping=mapping), wanted(devices=devices)) == why


def test_select_returns_the_first_match_and_the_reasons_before_it(tmp_path: Path) -> None:
    write(tmp_path, "10-arm.json", descriptor(arch="aarch64", machines=("virt-*",)))
    write(tmp_path, "20-secure.json", descriptor(features=(SB,)))
    write(tmp_path, "30-plain.json", descriptor())
    write(tmp_path, "40-plain-too.json", descriptor())
    found, _ = read_descriptors([tmp_path])
    chosen, rejections = select(found, wanted(excluded=(SB,)))
    assert chosen is not None and chosen.name == "30-plain.json"
    assert rejections == [
        ("10-arm.json", "is for aarch64, not x86_64"),
        ("20-secure.json", "has secure-boot (secure_boot = false)"),
    ]
    chosen, rejections = select(found, wanted(required=(KEYS,)))
    assert chosen is None
    assert [name for name, _ in rejections] == names(found)
    assert select([], wanted()) == (None, [])


# --- Debian 12's descriptors -------------------------------------------------


@pytest.mark.parametrize(("arch", "machine"), [("x86_64", "pc-q35-7.2"), ("aarch64", "virt-7.2")])
@pytest.mark.parametrize(
    ("required", "excluded", "prefix"),
    [
        ((SB, KEYS), (), "40-edk2-{}-secure-enrolled.json"),
        ((SB,), (KEYS,), "50-edk2-{}-secure.json"),
        ((), (SB,), "60-edk2-{}.json"),
    ],
)
def test_debian_descriptors(
    arch: str,
    machine: str,
    required: tuple[str, ...],
    excluded: tuple[str, ...],
    prefix: str,
) -> None:
    found, skipped = read_descriptors([DEBIAN])
    assert (len(found), skipped) == (6, [])
    chosen, _ = select(found, wanted(arch, machine, required, excluded))
    assert chosen is not None and chosen.name == prefix.format(arch)
    assert chosen.nvram_template is not None and chosen.device == "flash"


def test_debian_has_no_secure_boot_for_i440fx() -> None:
    found, _ = read_descriptors([DEBIAN])
    assert select(found, wanted(machine="pc-i440fx-7.2", required=(SB,)))[0] is None
    chosen, _ = select(found, wanted(machine="pc-i440fx-7.2"))
    assert chosen is not None and chosen.name == "60-edk2-x86_64.json"


def test_debian_code_and_template_files() -> None:
    found, _ = read_descriptors([DEBIAN])
    by_name = {d.name: d for d in found}
    enrolled = by_name["40-edk2-x86_64-secure-enrolled.json"]
    assert (enrolled.executable, enrolled.nvram_template) == (
        "/usr/share/OVMF/OVMF_CODE_4M.ms.fd",
        "/usr/share/OVMF/OVMF_VARS_4M.ms.fd",
    )
    assert {"requires-smm", SB, KEYS} <= enrolled.features
    arm = by_name["60-edk2-aarch64.json"]
    assert (arm.executable, arm.targets) == (
        "/usr/share/AAVMF/AAVMF_CODE.fd",
        (("aarch64", ("virt-*",)),),
    )


# --- the error when nothing matches ------------------------------------------


def test_no_match_message(tmp_path: Path, text_snapshot: SnapshotAssertion) -> None:
    """Debian's six, one masked and one broken in an earlier folder: each file has its line."""
    etc = tmp_path / "etc"
    write(etc, "60-edk2-x86_64.json", "")
    write(etc, "70-broken.json", descriptor(mapping={"device": "flash"}))
    dirs = [etc, DEBIAN]
    found, skipped = read_descriptors(dirs)
    want = wanted(machine="pc-i440fx-7.2", required=(SB,), excluded=(KEYS,))
    chosen, rejections = select(found, want)
    assert chosen is None
    message = no_match_message(dirs, found, skipped, rejections, want)
    assert message.replace(str(tmp_path), "TMP").replace(str(DEBIAN), "DEBIAN") == text_snapshot


def test_no_match_message_keeps_one_line_per_file(tmp_path: Path) -> None:
    write(tmp_path, "50-a\nb.json", descriptor(machines=("pc-\n*",)))
    found, skipped = read_descriptors([tmp_path])
    want = wanted(machine="pc-i440fx-7.2")
    message = no_match_message([tmp_path], found, skipped, select(found, want)[1], want)
    assert (
        message.splitlines()[2]
        == "  50-a\\nb.json: does not list machine pc-i440fx-7.2 (it has pc-\\n*)"
    )


def test_no_match_message_for_an_architecture_without_descriptors(
    text_snapshot: SnapshotAssertion,
) -> None:
    found, skipped = read_descriptors([DEBIAN])
    want = wanted(arch="riscv64", machine="virt")
    message = no_match_message([DEBIAN], found, skipped, select(found, want)[1], want)
    assert message.replace(str(DEBIAN), "DEBIAN") == text_snapshot


def test_no_match_message_without_descriptor_files(
    tmp_path: Path, text_snapshot: SnapshotAssertion
) -> None:
    dirs = [tmp_path / "etc", tmp_path / "share"]
    found, skipped = read_descriptors(dirs)
    assert (found, skipped) == ([], [])
    message = no_match_message(dirs, found, skipped, [], wanted())
    assert message.replace(str(tmp_path), "TMP") == text_snapshot
