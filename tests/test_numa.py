"""NUMA nodes and guest RAM: each node's backend, QEMU's rules checked before QEMU
runs, and RAM through -machine memory-backend= when no node is declared."""

from __future__ import annotations

from typing import Any

import pytest

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.render import render

NUMA_ARCHES = ["amd64", "arm64", "ppc64le", "riscv64"]


def options(raw: dict[str, Any], arch: str) -> list[tuple[str, ...]]:
    return [tuple(o) for o in render(build(raw, arch))]


def problems(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


def two_nodes(**memory: Any) -> dict[str, Any]:
    return {
        "smp": {"cpus": 4},
        "memory": {"size": "2G", **memory},
        "numa": [
            {"cpus": "0-1", "memory": "1G", "distance": {"1": 20}},
            {"cpus": "2,3", "memory": "1G"},
        ],
    }


@pytest.mark.parametrize("arch", NUMA_ARCHES)
def test_each_node_has_its_own_ram_backend(arch: str) -> None:
    found = options(two_nodes(), arch)
    numa = [o for o in found if o[0] == "-numa" or "ram-node" in o[-1]]
    assert numa == [
        ("-object", "memory-backend-ram,id=ram-node0,size=1G"),
        ("-numa", "node,nodeid=0,cpus=0-1,memdev=ram-node0"),
        ("-object", "memory-backend-ram,id=ram-node1,size=1G"),
        ("-numa", "node,nodeid=1,cpus=2,cpus=3,memdev=ram-node1"),
        ("-numa", "dist,src=0,dst=1,val=20"),
    ]
    machine = next(o for o in found if o[0] == "-machine")
    assert "memory-backend=" not in machine[1]


def test_the_nodes_share_the_memory_options_and_no_ram0_is_made() -> None:
    found = options(two_nodes(hugepages=True, share=True, prealloc=True), "amd64")
    objects = [o[1] for o in found if o[0] == "-object"]
    assert objects == [
        f"memory-backend-file,id=ram-node{i},size=1G,mem-path=/dev/hugepages,share=on,prealloc=on"
        for i in (0, 1)
    ]
    assert not [o for o in found if "ram0" in o[-1]]


def test_a_node_without_memory_has_no_backend() -> None:
    raw = {"memory": {"size": "1G"}, "numa": [{"memory": "1G"}, {"cpus": "0"}]}
    numa = [o[1] for o in options(raw, "amd64") if o[0] == "-numa"]
    assert numa == ["node,nodeid=0,memdev=ram-node0", "node,nodeid=1,cpus=0"]


@pytest.mark.parametrize("arch", [*NUMA_ARCHES, "s390x"])
def test_without_nodes_backed_ram_goes_through_the_machine(arch: str) -> None:
    found = options({"memory": {"size": "1G", "share": True}}, arch)
    assert ("-object", "memory-backend-memfd,id=ram0,size=1G,share=on") in found
    assert "memory-backend=ram0" in next(o[1] for o in found if o[0] == "-machine")
    assert not [o for o in found if o[0] == "-numa"]


def test_s390x_has_no_numa() -> None:
    ((path, message),) = problems(two_nodes(), "s390x")
    assert path == "numa"
    assert "NUMA is not supported by this machine-type" in message


def test_node_sizes_must_add_up_to_memory_size() -> None:
    raw = two_nodes()
    raw["memory"]["size"] = "3G"
    assert problems(raw) == [
        (
            "numa",
            "the nodes' memory adds up to 2G (1G + 1G), memory.size is 3G: make them equal",
        )
    ]
    del raw["memory"]
    assert problems(raw) == [("numa", "NUMA nodes divide guest RAM: set memory.size as well")]


def test_every_vcpu_is_in_exactly_one_node() -> None:
    raw = two_nodes()
    raw["smp"] = {"cpus": 4, "maxcpus": 6}
    raw["numa"][1]["cpus"] = "1-2,7"
    assert problems(raw) == [
        ("numa[1].cpus", "vCPU 1 is in numa[0] too: a vCPU belongs to one node"),
        (
            "numa[1].cpus",
            "vCPU 7 does not exist: the VM has 6 (0-5, smp.maxcpus or smp.cpus)",
        ),
        (
            "numa",
            "vCPU(s) 3-5 are in no node: add them to one "
            "(QEMU calls a partial NUMA mapping obsolete)",
        ),
    ]


def test_nodes_without_cpus_leave_placement_to_qemu() -> None:
    raw = {"smp": {"cpus": 2}, "memory": {"size": "1G"}, "numa": [{"memory": "1G"}, {}]}
    assert [o[1] for o in options(raw, "amd64") if o[0] == "-numa"] == [
        "node,nodeid=0,memdev=ram-node0",
        "node,nodeid=1",
    ]


def test_a_backwards_range_and_a_bad_list_are_refused() -> None:
    raw: dict[str, Any] = {"memory": {"size": "1G"}, "numa": [{"cpus": "1-0", "memory": "1G"}]}
    assert ("numa[0].cpus", "range 1-0 runs backwards: write 0-1") in problems(raw)
    raw["numa"][0]["cpus"] = "0-"
    ((path, message),) = problems(raw)
    assert path == "numa[0].cpus"
    assert "e.g. '0-3' or '0,2,4-5'" in message


def test_distances_need_every_pair_and_real_nodes() -> None:
    raw = {
        "smp": {"cpus": 3},
        "memory": {"size": "3G"},
        "numa": [
            {"cpus": "0", "memory": "1G", "distance": {"1": 20, "0": 10, "5": 30}},
            {"cpus": "1", "memory": "1G"},
            {"cpus": "2", "memory": "1G"},
        ],
    }
    found = problems(raw)
    assert ("numa[0].distance.0", "a node's distance to itself is 10 by definition: remove it") in (
        found
    )
    assert ("numa[0].distance.5", "there is no node 5: nodes are 0-2") in found
    assert (
        "numa",
        "no distance between node 0 and node 2: QEMU needs one for every pair once any is "
        "given: set numa[0].distance.2 or numa[2].distance.0",
    ) in found


def test_a_distance_below_local_is_refused() -> None:
    raw = {"memory": {"size": "1G"}, "numa": [{"memory": "1G", "distance": {"1": 9}}, {}]}
    assert problems(raw) == [("numa[0].distance.1", "must be >= 10, got 9")]


def pxb(**keys: Any) -> dict[str, Any]:
    return {
        **two_nodes(),
        "device": [
            {"kind": "pxb-pcie", "bus_nr": 128, **keys},
            {"kind": "pcie-root-port", "bus": "pxb0"},
        ],
    }


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_an_expander_bus_takes_root_ports_and_a_numa_node(arch: str) -> None:
    found = options(pxb(numa_node=1), arch)
    devices = [o[1] for o in found if o[0] == "-device"]
    assert devices == [
        "pxb-pcie,id=pxb0,bus_nr=128,numa_node=1",
        "pcie-root-port,id=rp0,chassis=1,bus=pxb0",
    ]


def test_an_expander_bus_names_a_numa_node_that_exists() -> None:
    assert problems(pxb(numa_node=2)) == [
        ("device[0].numa_node", "there is no NUMA node 2 (nodes: 0-1)")
    ]
    raw = {"device": [{"kind": "pxb-pcie", "bus_nr": 1, "numa_node": 0}]}
    assert problems(raw) == [
        ("device[0].numa_node", "there is no NUMA node 0 (nodes: none: add [[numa]] tables)")
    ]


@pytest.mark.parametrize(("arch", "machine"), [("amd64", "pc"), ("ppc64le", None)])
def test_an_expander_bus_needs_pcie(arch: str, machine: str | None) -> None:
    raw: dict[str, Any] = {"device": [{"kind": "pxb-pcie", "bus_nr": 1}]}
    if machine:
        raw["machine"] = {"type": machine}
    ((path, message),) = problems(raw, arch)
    assert path == "device[0].kind"
    assert "pxb-pcie" in message


def test_import_types_the_nodes_genqemu_writes() -> None:
    from genqemu.importer import import_text

    line = " ".join(
        [
            "qemu-system-x86_64 -M q35 -smp 4 -m 2G",
            "-object memory-backend-ram,id=ram-node0,size=1G",
            "-numa node,nodeid=0,cpus=0-1,memdev=ram-node0",
            "-object memory-backend-ram,id=ram-node1,size=1G",
            "-numa node,nodeid=1,cpus=2,cpus=3,memdev=ram-node1",
            "-numa dist,src=0,dst=1,val=20",
        ]
    )
    result = import_text(line)
    assert result.passthrough == []
    assert result.config["numa"] == [
        {"cpus": "0-1", "memory": "1G", "distance": {"1": 20}},
        {"cpus": "2,3", "memory": "1G"},
    ]
    # Another backend than genqemu's: every node passes through, as written.
    other = import_text(
        line.replace("memory-backend-ram,id=ram-node1", "memory-backend-memfd,id=ram-node1")
    )
    assert "numa" not in other.config
    assert other.passthrough.count("-numa node") == 2


def initiator_nodes(**second: Any) -> dict[str, Any]:
    return {
        "smp": {"cpus": 2},
        "memory": {"size": "2G"},
        "numa": [{"cpus": "0-1", "memory": "1G"}, {"memory": "1G", **second}],
    }


@pytest.mark.parametrize(("arch", "machine"), [("amd64", "q35"), ("amd64", "pc"), ("arm64", None)])
def test_an_initiator_turns_the_hmat_table_on(arch: str, machine: str | None) -> None:
    raw = initiator_nodes(initiator=0)
    if machine:
        raw["machine"] = {"type": machine}
    found = options(raw, arch)
    assert ("-numa", "node,nodeid=1,memdev=ram-node1,initiator=0") in found
    assert next(o for o in found if o[0] == "-machine")[1].endswith(",hmat=on")
    # Without an initiator, no HMAT table.
    plain = options(initiator_nodes(), arch)
    assert "hmat" not in next(o for o in plain if o[0] == "-machine")[1]


@pytest.mark.parametrize("arch", ["ppc64le", "riscv64"])
def test_an_initiator_needs_a_machine_with_hmat(arch: str) -> None:
    """QEMU takes hmat=on on pseries and riscv64 virt too, and builds no table there."""
    raw = initiator_nodes(cpus="1", initiator=1)
    raw["numa"][0]["cpus"] = "0"
    assert problems(raw, arch) == [
        (
            "numa[1].initiator",
            "this machine builds no ACPI HMAT table, where an initiator is told to the "
            "guest: remove initiator",
        )
    ]


def test_an_initiator_is_a_node_with_vcpus_and_a_cpu_node_is_its_own() -> None:
    raw = initiator_nodes(initiator=1)
    raw["numa"].append({"memory": "1G", "initiator": 5})
    raw["memory"]["size"] = "3G"
    raw["numa"][0]["initiator"] = 1
    assert problems(raw) == [
        (
            "numa[0].initiator",
            "a node with vCPUs is its own initiator (QEMU: 'should be itself'): "
            "remove initiator or make it 0",
        ),
        (
            "numa[1].initiator",
            "numa[1] has no vCPUs to access memory with: name a node whose cpus are set",
        ),
        ("numa[2].initiator", "there is no node 5: nodes are 0-2"),
    ]


def test_import_types_an_initiator_with_the_hmat_table() -> None:
    from genqemu.importer import import_text

    line = " ".join(
        [
            "qemu-system-x86_64 -M q35,hmat=on -smp 2 -m 2G",
            "-object memory-backend-ram,id=ram-node0,size=1G",
            "-numa node,nodeid=0,cpus=0-1,memdev=ram-node0",
            "-object memory-backend-ram,id=ram-node1,size=1G",
            "-numa node,nodeid=1,memdev=ram-node1,initiator=0",
        ]
    )
    result = import_text(line)
    assert result.passthrough == []
    assert result.config["numa"][1] == {"memory": "1G", "initiator": 0}
    assert "options" not in result.config.get("machine", {})


def test_riscv64_nodes_are_sockets_and_none_may_be_empty_of_vcpus() -> None:
    """QEMU 7.2 and 10.0: 'discontinuous hartids in socket1' for a CPU-less node."""
    raw = initiator_nodes()
    assert problems(raw, "riscv64") == [
        (
            "numa[1].cpus",
            "riscv64 makes each NUMA node a socket of vCPUs, and QEMU refuses one without "
            "any ('discontinuous hartids'): give this node vCPUs, or list vCPUs in no node",
        )
    ]
    options(raw, "arm64")  # elsewhere a memory-only node is fine
    del raw["numa"][0]["cpus"]
    options(raw, "riscv64")  # and QEMU places the vCPUs itself when no node lists them
