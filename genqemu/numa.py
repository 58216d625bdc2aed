"""NUMA nodes (`[[numa]]`): each node's vCPUs, its share of guest RAM and its distances.

A node's RAM is a backend object of its own with the options of [memory]
(file or huge pages, share, prealloc), so the nodes together replace the one
RAM backend a VM without nodes gets. Nodes are numbered in the order written.
The checks here are QEMU's own, made before QEMU runs so that each names its
TOML path: the node sizes add up to memory.size, and once one node lists CPUs
every vCPU is in exactly one node (QEMU only warns about the others, and calls
starting with them obsolete).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from genqemu.schema import Model, Problems, key
from genqemu.values import Integer, MapOf, Size, Text, format_size

if TYPE_CHECKING:
    from genqemu.config import Config
    from genqemu.profiles import MachineProfile, Profile

MIB = 1 << 20
# QEMU's MAX_NODES.
MAX_NODES = 128
_CPUS = Text(
    pattern=r"\d+(-\d+)?(,\d+(-\d+)?)*\Z",
    hint="write vCPU indexes and ranges, e.g. '0-3' or '0,2,4-5'",
)
_DISTANCE = MapOf(
    Integer(min=10, max=255),
    key_pattern=r"(0|[1-9][0-9]{0,2})\Z",
    key_hint="a key is the number of another node, e.g. distance = { 1 = 20 }",
)


class NumaNode(Model):
    """`-numa node,nodeid=N,cpus=...,memdev=...` (its RAM: a memory backend object)."""

    cpus: str | None = key(
        _CPUS,
        default=None,
        doc="the node's vCPUs, e.g. '0-1' (`cpus=`); once a node lists CPUs, every vCPU "
        "up to smp.maxcpus must be in exactly one node; in no node: QEMU's default placement",
    )
    memory: int | None = key(
        Size(min=MIB, multiple=MIB),
        default=None,
        doc='the node\'s share of memory.size, e.g. "1G" (the sizes add up to it); '
        "without it the node has CPUs only",
    )
    distance: Mapping[str, int] = key(
        _DISTANCE,
        default={},
        doc="distance to other nodes by node number (`-numa dist`), 10 being local, e.g. "
        "{ 1 = 20 }; given at all, every pair of nodes needs one (the other way is the same)",
    )

    initiator: int | None = key(
        Integer(min=0, max=MAX_NODES - 1),
        default=None,
        doc="for a node without vCPUs, the node whose vCPUs access its memory best "
        "(`initiator=`; QEMU then builds ACPI's HMAT table: `-machine hmat=on`); a node "
        "with vCPUs is its own",
    )

    @property
    def cpu_ranges(self) -> tuple[tuple[int, int], ...]:
        """The cpus key as (first, last) pairs, as QEMU takes them (`cpus=0-1,cpus=4`)."""
        ranges = []
        for part in self.cpus.split(",") if self.cpus else ():
            first, _, last = part.partition("-")
            ranges.append((int(first), int(last or first)))
        return tuple(ranges)


def check_numa(
    config: Config, profile: Profile, machine: MachineProfile | None, problems: Problems
) -> None:
    """What QEMU would refuse (or only warn about) in the [[numa]] tables as a whole."""
    nodes = config.numa
    if not nodes:
        return
    if not profile.numa:
        problems.add(
            "numa",
            f"{profile.arch} machines have no NUMA (QEMU: 'NUMA is not supported by this "
            "machine-type'): remove the [[numa]] tables for this arch",
        )
        return
    if len(nodes) > MAX_NODES:
        problems.add("numa", f"QEMU takes at most {MAX_NODES} nodes, got {len(nodes)}")
        return
    _check_memory(config, problems)
    _check_cpus(config, problems)
    _check_cpuless(nodes, profile, problems)
    _check_distances(nodes, problems)
    _check_initiators(nodes, machine, problems)


def _check_memory(config: Config, problems: Problems) -> None:
    nodes = config.numa
    if config.memory is None:
        problems.add("numa", "NUMA nodes divide guest RAM: set memory.size as well")
        return
    total = sum(n.memory or 0 for n in nodes)
    if total != config.memory.size:
        sizes = " + ".join(format_size(n.memory or 0) for n in nodes)
        problems.add(
            "numa",
            f"the nodes' memory adds up to {format_size(total)} ({sizes}), "
            f"memory.size is {format_size(config.memory.size)}: make them equal",
        )


def _check_cpus(config: Config, problems: Problems) -> None:
    """Ranges, not single vCPUs, are compared: smp.maxcpus may be in the thousands."""
    nodes = config.numa
    count = (config.smp.maxcpus or config.smp.cpus) if config.smp else 1
    taken: list[tuple[int, int, int]] = []  # (first, last, node), each range once
    for index, node in enumerate(nodes):
        path = f"{node.toml_path}.cpus"
        for first, last in node.cpu_ranges:
            if first > last:
                problems.add(path, f"range {first}-{last} runs backwards: write {last}-{first}")
                continue
            if last >= count:
                problems.add(
                    path,
                    f"vCPU {last} does not exist: the VM has {count} (0-{count - 1}, "
                    "smp.maxcpus or smp.cpus)",
                )
                continue
            for other_first, other_last, other in taken:
                if first <= other_last and other_first <= last:
                    problems.add(
                        path,
                        f"vCPU {max(first, other_first)} is in numa[{other}] too: "
                        "a vCPU belongs to one node",
                    )
                    break
            taken.append((first, last, index))
    if not taken:
        return
    missing: list[str] = []
    expected = 0
    for first, last, _ in sorted(taken):
        if first > expected:
            missing.append(_range_text(expected, first - 1))
        expected = max(expected, last + 1)
    if expected < count:
        missing.append(_range_text(expected, count - 1))
    if missing:
        problems.add(
            "numa",
            f"vCPU(s) {','.join(missing)} are in no node: add them to one "
            "(QEMU calls a partial NUMA mapping obsolete)",
        )


def _check_cpuless(nodes: tuple[NumaNode, ...], profile: Profile, problems: Problems) -> None:
    """Where each node is a socket (riscv64 virt), a node with vCPUs makes every node need some."""
    if profile.numa_cpuless or not any(node.cpus for node in nodes):
        return
    for node in nodes:
        if not node.cpus:
            problems.add(
                f"{node.toml_path}.cpus",
                f"{profile.arch} makes each NUMA node a socket of vCPUs, and QEMU refuses one "
                "without any ('discontinuous hartids'): give this node vCPUs, or list "
                "vCPUs in no node",
            )


def _check_distances(nodes: tuple[NumaNode, ...], problems: Problems) -> None:
    given: set[tuple[int, int]] = set()
    for index, node in enumerate(nodes):
        for name in node.distance:
            other = int(name)
            path = f"{node.toml_path}.distance.{name}"
            if other == index:
                problems.add(path, "a node's distance to itself is 10 by definition: remove it")
            elif other >= len(nodes):
                problems.add(path, f"there is no node {other}: nodes are 0-{len(nodes) - 1}")
            else:
                given.add((min(index, other), max(index, other)))
    if not given:
        return
    for a in range(len(nodes)):
        for b in range(a + 1, len(nodes)):
            if (a, b) not in given:
                problems.add(
                    "numa",
                    f"no distance between node {a} and node {b}: QEMU needs one for every "
                    f"pair once any is given: set numa[{a}].distance.{b} or "
                    f"numa[{b}].distance.{a}",
                )


def _check_initiators(
    nodes: tuple[NumaNode, ...], machine: MachineProfile | None, problems: Problems
) -> None:
    """QEMU's rules for `initiator=`, and the machines that build the HMAT table it
    goes into (elsewhere QEMU takes hmat=on and builds nothing)."""
    for index, node in enumerate(nodes):
        initiator = node.initiator
        if initiator is None:
            continue
        path = f"{node.toml_path}.initiator"
        if machine is not None and not machine.hmat:
            problems.add(
                path,
                "this machine builds no ACPI HMAT table, where an initiator is told to the "
                "guest: remove initiator",
            )
        elif node.cpus and initiator != index:
            problems.add(
                path,
                f"a node with vCPUs is its own initiator (QEMU: 'should be itself'): "
                f"remove initiator or make it {index}",
            )
        elif initiator >= len(nodes):
            problems.add(path, f"there is no node {initiator}: nodes are 0-{len(nodes) - 1}")
        elif not nodes[initiator].cpus:
            problems.add(
                path,
                f"numa[{initiator}] has no vCPUs to access memory with: name a node whose "
                "cpus are set",
            )


def uses_hmat(nodes: tuple[NumaNode, ...]) -> bool:
    """Whether the machine must build the HMAT table: some node names an initiator."""
    return any(node.initiator is not None for node in nodes)


def _range_text(first: int, last: int) -> str:
    """(2, 3) -> '2-3', (5, 5) -> '5', as QEMU and Linux write CPU lists."""
    return f"{first}-{last}" if last != first else str(first)
