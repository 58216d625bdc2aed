"""virtio-mem and virtio-pmem: their backends, the hotplug room they need, and
the checks made before QEMU would refuse them."""

from __future__ import annotations

from typing import Any

import pytest
from support.qemuopts import parse_dict

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.render import render

ROOM = {"size": "1G", "maxmem": "4G"}


def problems(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


def objects_and_devices(raw: dict[str, Any], arch: str = "amd64") -> list[dict[str, Any]]:
    return [
        parse_dict(words[1], implied="qom-type" if words[0] == "-object" else "driver")
        for words in render(build(raw, arch))
        if words[0] in ("-object", "-device")
    ]


def test_virtio_mem_has_its_own_ram_backend() -> None:
    vmem = {"kind": "virtio-mem", "size": "1G", "requested_size": "256M", "block_size": "4M"}
    backend, device = objects_and_devices({"memory": ROOM, "device": [vmem]})[-2:]
    assert backend == {"qom-type": "memory-backend-ram", "id": "mem-vmem0", "size": "1G"}
    assert device["driver"] == "virtio-mem-pci"
    assert device["memdev"] == "mem-vmem0"
    assert (device["requested-size"], device["block-size"]) == ("256M", "4M")


def test_virtio_pmem_shares_its_file_by_default() -> None:
    pmem = {"kind": "virtio-pmem", "file": "/p", "size": "256M"}
    backend, device = objects_and_devices({"memory": ROOM, "device": [pmem]})[-2:]
    assert backend["qom-type"] == "memory-backend-file"
    assert (backend["mem-path"], backend["share"]) == ("/p", "on")
    assert device == {"driver": "virtio-pmem-pci", "id": "vpmem0", "memdev": "mem-vpmem0"}


def test_they_need_maxmem_not_slots() -> None:
    pmem = {"kind": "virtio-pmem", "file": "/p", "size": "256M"}
    assert problems({"device": [pmem]}) == [
        ("device[0]", "virtio-pmem is hotpluggable memory: set memory.maxmem")
    ]
    vmem = {"kind": "virtio-mem", "size": "4G"}
    assert problems({"memory": ROOM, "device": [vmem]}) == [
        (
            "device[0].size",
            "4G does not fit between memory.size and memory.maxmem (3G free): raise memory.maxmem",
        )
    ]


@pytest.mark.parametrize(
    ("keys", "path", "message"),
    [
        ({"size": "3M"}, "size", "3M is not a multiple of the block size (2M): e.g. 2M"),
        (
            {"requested_size": "2G"},
            "requested_size",
            "2G is more than size (1G): lower it or raise size",
        ),
        ({"block_size": "3M"}, "block_size", "3M is not a power of two: e.g. 2M"),
        ({"node": 1}, "node", "node 1 does not exist: the VM has 1 "),
        ({"share": True}, "share", "shares a file: set file as well"),
    ],
)
def test_virtio_mem_checks(keys: dict[str, Any], path: str, message: str) -> None:
    vmem = {"kind": "virtio-mem", "size": "1G", **keys}
    found = problems({"memory": ROOM, "device": [vmem]})
    assert found[0][0] == f"device[0].{path}"
    assert found[0][1].startswith(message)


@pytest.mark.parametrize("arch", ["s390x", "ppc64le", "riscv64"])
def test_virtio_mem_exists_on_amd64_and_arm64_only(arch: str) -> None:
    vmem = {"kind": "virtio-mem", "size": "1G"}
    assert problems({"memory": ROOM, "device": [vmem]}, arch)[0] == (
        "device[0].kind",
        f"virtio-mem does not exist on {arch}; it exists on amd64, arm64",
    )


def test_virtio_pmem_is_amd64_only() -> None:
    pmem = {"kind": "virtio-pmem", "file": "/p", "size": "256M"}
    assert problems({"memory": ROOM, "device": [pmem]}, "arm64")[0][0] == "device[0].kind"
