"""The profile's `[machines.NAME.hotplug]` table: what `genqemu hotplug --cpus`
and `--memory` may add on that machine (genqemu/hotplug_cpumem.py). Apart from
profiles.py so that the machine model stays small; the facts are data here too."""

from __future__ import annotations

from collections.abc import Mapping

from genqemu.checks import NAME
from genqemu.qemu_facts import VERSION_PATTERN
from genqemu.schema import Model, Table, key
from genqemu.values import Boolean, MapOf, Size, Text

_SLOT_IDS = MapOf(
    Text(choices=("socket", "core", "thread", "index")),
    key_pattern=r"[a-z][a-z-]*\Z",
    key_hint="a QEMU property such as core-id",
)


class CpuHotplug(Model):
    """How QEMU names a vCPU slot here (query-hotpluggable-cpus)."""

    type: str = key(
        Text(pattern=r".*\{model\}", hint="a pattern with {model}, e.g. '{model}-x86_64-cpu'"),
        doc="the QOM type device_add takes, {model} being the running VM's CPU model",
    )
    ids: Mapping[str, str] = key(
        _SLOT_IDS,
        doc="the properties that name a slot, each with the number it holds, computed from "
        "[smp]: socket, core (within the socket), thread (within the core), or index (of "
        "the slot's first vCPU)",
    )
    whole_cores: bool = key(
        Boolean(),
        default=False,
        doc="a slot is a whole core of smp.threads vCPUs, its core-id the index of its "
        "first vCPU (pseries' spapr-cpu-core)",
    )
    default_models: Mapping[str, str] = key(
        MapOf(NAME, key_pattern=VERSION_PATTERN, key_hint="a QEMU version MAJOR.MINOR"),
        default={},
        doc="the CPU model QEMU picks on this machine when the config names none, by QEMU "
        "version (another version needs cpu.model)",
    )
    kvm_default_model: str | None = key(
        NAME,
        default=None,
        doc="the model QEMU picks instead under KVM, where it differs (s390x: host)",
    )
    models: Mapping[str, str] = key(
        MapOf(NAME, key_pattern=r"[A-Za-z0-9_.+-]+\Z", key_hint="a CPU model alias"),
        default={},
        doc="CPU model aliases whose type is named after the model they stand for: "
        'power9 = "power9_v2.0"',
    )


class MachineHotplug(Model):
    """CPU and memory hot-plug on one machine; a missing part is refused."""

    cpus: CpuHotplug | None = key(
        Table(CpuHotplug),
        default=None,
        doc="vCPU hot-plug (--cpus); none: QEMU has no CPU hot-plug on this machine",
    )
    dimms: bool = key(
        Boolean(),
        default=False,
        doc="DIMM hot-plug (--memory: a RAM backend and a pc-dimm); false: QEMU has none here",
    )
    dimms_need_firmware: bool = key(
        Boolean(),
        default=False,
        doc="DIMM hot-plug needs [firmware] (arm64 virt builds its ACPI memory hot-plug "
        "device, acpi-ged, only when it boots firmware)",
    )
    dimm_multiple: int | None = key(
        Size(min=1),
        default=None,
        doc="a hot-plugged DIMM's size must be a multiple of this (pseries: 256M)",
    )
    why_not: str | None = key(
        Text(pattern=r"."),
        default=None,
        doc="QEMU's own words where it cannot hot-plug CPUs or memory here, said in the error",
    )
