"""Backing chains: a qcow2 or qed overlay's read-only images, as -blockdev nodes."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import QEMU_VERSIONS, TEST_SETTINGS, qemu_binary
from support.qmp import paused_qemu

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.importer import import_text
from genqemu.launch import plan
from genqemu.output import to_json
from genqemu.render import render


def blockdevs(raw: dict[str, Any], arch: str = "amd64") -> list[str]:
    return [o[1] for o in render(build(raw, arch)) if o[0] == "-blockdev"]


def problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, "amd64")
    return error.value.problems


def disk(**keys: Any) -> dict[str, Any]:
    return {"device": [{"kind": "virtio-blk", "file": "/o", "format": "qcow2", **keys}]}


def test_a_chain_is_file_and_format_nodes_deepest_first() -> None:
    chain = [{"file": "/mid", "format": "qcow2"}, {"file": "/base", "format": "raw"}]
    assert blockdevs(disk(backing=chain)) == [
        "driver=file,node-name=drive-disk0-base2-file,filename=/base,read-only=on",
        "driver=raw,node-name=drive-disk0-base2,file=drive-disk0-base2-file,read-only=on",
        "driver=file,node-name=drive-disk0-base1-file,filename=/mid,read-only=on",
        "driver=qcow2,node-name=drive-disk0-base1,file=drive-disk0-base1-file,read-only=on,"
        "backing=drive-disk0-base2",
        "driver=qcow2,node-name=drive-disk0,file.driver=file,file.filename=/o,"
        "backing=drive-disk0-base1",
    ]


@pytest.mark.parametrize(
    "device",
    [
        {"kind": "scsi-hd"},
        {"kind": "nvme-ns"},
    ],
)
def test_every_disk_kind_gets_the_chain(device: dict[str, Any]) -> None:
    controller = {"scsi-hd": "virtio-scsi", "nvme-ns": "nvme"}[device["kind"]]
    backing = [{"file": "/base", "format": "raw"}]
    raw = {
        "device": [
            {"kind": controller},
            {**device, "id": "d", "file": "/o", "format": "qed", "backing": backing},
        ]
    }
    assert blockdevs(raw)[-1] == (
        "driver=qed,node-name=drive-d,file.driver=file,file.filename=/o,backing=drive-d-base1"
    )


def test_only_an_overlay_has_a_backing_file() -> None:
    raw = disk(backing=[{"file": "/b", "format": "raw"}])
    raw["device"][0]["format"] = "raw"
    assert problems(raw) == [
        (
            "device[0].backing",
            "a raw image has no backing file: only qcow2 and qed overlays have one; set "
            "format to the overlay's or leave backing out",
        )
    ]


def test_an_image_in_the_middle_must_be_an_overlay_too() -> None:
    chain = [{"file": "/m", "format": "raw"}, {"file": "/b", "format": "raw"}]
    assert [p for p, _ in problems(disk(backing=chain))] == ["device[0].backing[0].format"]


@pytest.mark.parametrize(
    ("backing", "path"),
    [
        ([], "device[0].backing"),
        ([{"file": "/b", "format": "luks"}], "device[0].backing[0].format"),
        ([{"file": "/b"}], "device[0].backing[0].format"),
        ([{"file": "", "format": "raw"}], "device[0].backing[0].file"),
        ([{"file": "/b", "format": "raw", "read_only": False}], "device[0].backing[0].read_only"),
    ],
)
def test_bad_chain_entries_are_refused(backing: list[dict[str, Any]], path: str) -> None:
    assert [p for p, _ in problems(disk(backing=backing))] == [path]


def test_node_names_past_qemus_limit_are_refused() -> None:
    ((path, message),) = problems(
        disk(id="a-rather-long-disk-id", backing=[{"file": "/b", "format": "raw"}])
    )
    assert path == "device[0].backing"
    assert "'drive-a-rather-long-disk-id-base1-file' is longer than the 31" in message
    assert message.endswith("set a shorter backend_id (or id)")


@pytest.fixture
def images() -> Iterator[Path]:
    """base.raw (a 0x5a sector at 0), mid.qcow2 over it (a 0xa5 sector at 512),
    top1.qcow2 and top2.qcow2 over mid: the data is only in the backing images."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        base = path / "base.raw"
        base.write_bytes(b"\x5a" * 512 + bytes(8 * 1024 * 1024 - 512))
        img = ["qemu-img", "create", "-q", "-f", "qcow2"]
        subprocess.run([*img, "-b", str(base), "-F", "raw", str(path / "mid.qcow2")], check=True)
        subprocess.run(
            ["qemu-io", "-c", "write -P 0xa5 512 512", str(path / "mid.qcow2")],
            check=True,
            capture_output=True,
        )
        for top in (path / "top1.qcow2", path / "top2.qcow2"):
            mid = str(path / "mid.qcow2")
            subprocess.run([*img, "-b", mid, "-F", "qcow2", str(top)], check=True)
            # The header names no real file: the chain QEMU opens is the declared one.
            rebase = ["qemu-img", "rebase", "-u", "-b", "/nonexistent", "-F", "raw", str(top)]
            subprocess.run(rebase, check=True)
        yield path


@pytest.mark.qemu
@pytest.mark.parametrize("qemu", QEMU_VERSIONS, ids=lambda v: f"qemu{v}")
@pytest.mark.parametrize("syntax", ["qemuopts", "json"])
def test_qemu_opens_the_declared_chain_and_reads_through_it(
    qemu: str, syntax: str, images: Path
) -> None:
    chain = [
        {"file": str(images / "mid.qcow2"), "format": "qcow2"},
        {"file": str(images / "base.raw"), "format": "raw"},
    ]
    overlay: dict[str, Any] = {"format": "qcow2", "backing": chain}
    raw = {
        "machine": {"accel": "tcg"},
        "device": [
            {"kind": "virtio-blk", "id": "vd", "file": str(images / "top1.qcow2"), **overlay},
            {"kind": "nvme"},
            {"kind": "nvme-ns", "id": "ns", "file": str(images / "top2.qcow2"), **overlay},
        ],
    }
    vm = build(raw, "amd64", settings=TEST_SETTINGS._replace(qemu_version=qemu))
    argv = [qemu_binary(vm.binary, qemu), *plan(vm, syntax).argv[1:]]
    with paused_qemu(argv) as qmp:
        nodes = {n["node-name"]: n for n in qmp.execute("query-named-block-nodes")}
        for disk_node in ("drive-vd", "drive-ns"):
            image = nodes[disk_node]["image"]
            assert image["backing-image"]["filename"] == str(images / "mid.qcow2")
            assert image["backing-image"]["backing-image"]["filename"] == str(images / "base.raw")
            assert nodes[f"{disk_node}-base1"]["ro"] and nodes[f"{disk_node}-base2"]["ro"]
            assert not nodes[disk_node]["ro"]
            # What the disk reads: a full backup of its node into a raw file.
            copy = images / f"copy-{disk_node}.raw"
            copy.write_bytes(bytes(8 * 1024 * 1024))
            qmp.execute(
                "blockdev-add",
                driver="raw",
                file={"driver": "file", "filename": str(copy)},
                **{"node-name": f"copy-{disk_node}"},
            )
            qmp.execute(
                "blockdev-backup",
                device=disk_node,
                target=f"copy-{disk_node}",
                sync="full",
                **{"job-id": f"job-{disk_node}"},
            )
            for _ in range(100):
                if not qmp.execute("query-block-jobs"):
                    break
                time.sleep(0.1)
            assert copy.read_bytes()[:1024] == b"\x5a" * 512 + b"\xa5" * 512


def test_import_types_a_chain_genqemu_wrote() -> None:
    chain = [{"file": "/mid", "format": "qcow2"}, {"file": "/base", "format": "raw"}]
    raw = {
        "device": [
            {"kind": "virtio-blk", "file": "/o", "format": "qcow2", "backing": chain},
            {"kind": "nvme"},
            {"kind": "nvme-ns", "file": "/n", "format": "qed", "backing": chain[1:]},
        ]
    }
    result = import_text(to_json(plan(build(raw, "amd64"))), None, TEST_SETTINGS)
    assert not result.passthrough
    devices = result.config["device"]
    assert [d.get("backing") for d in devices] == [chain, None, chain[1:]]


def test_import_passes_a_chain_with_other_node_names_through() -> None:
    text = (
        "qemu-system-x86_64 -machine q35 "
        "-blockdev driver=file,node-name=bf,filename=/b,read-only=on "
        "-blockdev driver=raw,node-name=b,file=bf,read-only=on "
        "-blockdev driver=qcow2,node-name=top,file.driver=file,file.filename=/t,backing=b "
        "-device virtio-blk-pci,id=vd,drive=top"
    )
    result = import_text(text, "amd64", TEST_SETTINGS)
    assert "device" not in result.config
    assert len(result.passthrough) == 4
