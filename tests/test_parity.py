"""Parity with govmm: every device kind covered, its allocations, and its
known defects absent (listed in docs/config.md, "Go defects deliberately fixed")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import ARCHES, EXAMPLE_CASES, QEMU_VERSIONS, TEST_SETTINGS, example_path
from support.qemuopts import parse, parse_dict

from genqemu.build import build
from genqemu.config import CONFIDENTIAL
from genqemu.errors import ConfigError
from genqemu.launch import plan
from genqemu.output import to_json, to_sh
from genqemu.profiles import load_profile
from genqemu.qemu_facts import SINCE, lacks
from genqemu.render import OptionWords, render
from genqemu.tomlfile import read_toml

KERNEL = {"path": "/k"}


def options(raw: dict[str, Any], arch: str) -> list[OptionWords]:
    return render(build(raw, arch))


def problems(raw: dict[str, Any], arch: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


def device_option(raw: dict[str, Any], arch: str, driver: str) -> dict[str, str | None]:
    for option in options(raw, arch):
        if option[0] == "-device" and option[1].split(",")[0] == driver:
            return parse_dict(option[1], implied="driver")
    raise AssertionError(f"no -device {driver}")


@pytest.mark.parametrize("arch", ARCHES)
def test_every_kind_is_in_an_example_for_every_arch_that_has_it(arch: str) -> None:
    seen: set[str] = set()
    for param in EXAMPLE_CASES:
        name, case_arch = param.values
        if case_arch == arch:
            raw = read_toml(example_path(str(name)))
            seen |= {d["kind"] for d in raw.get("device", [])}
            seen |= {raw["confidential"]["type"]} if "confidential" in raw else set()
    # A kind newer than the newest QEMU tested cannot be in an example, which the
    # acceptance tests start: tests/test_qemu_version.py covers it.
    untested = {kind for kind in SINCE if lacks(QEMU_VERSIONS[-1], kind)}
    assert set(load_profile(arch).devices) - seen - untested == set()


@pytest.mark.parametrize(("example", "arch"), EXAMPLE_CASES)
def test_no_option_uses_a_bare_flag(example: str, arch: str) -> None:
    """QEMU 7.2 warns on `readonly` without `=on`: every property has a value."""
    vm = build(read_toml(example_path(example)), arch, settings=TEST_SETTINGS)
    for option in render(vm):
        if len(option) == 2 and option[0] in (
            "-device",
            "-object",
            "-netdev",
            "-blockdev",
            "-chardev",
            "-fsdev",
            "-drive",
            "-machine",
        ):
            flags = [name for name, value in parse(option[1])[1:] if value is None]
            assert not flags, (option, flags)


def test_every_netdev_type_renders_and_none_is_dropped() -> None:
    """govmm dropped ipvtap, vethtap, vfio and vhost-user networks silently."""
    netdevs = [
        {"type": "user"},
        {"type": "tap", "ifname": "t0"},
        {"type": "macvtap", "device": "/dev/tap3"},
        {"type": "ipvtap", "device": "/dev/tap4"},
        {"type": "vhost-user", "socket": "/s"},
    ]
    raw = {
        "memory": {"size": "1G", "share": True},
        "device": [{"kind": "virtio-net", "netdev": n} for n in netdevs],
    }
    rendered = options(raw, "amd64")
    assert [parse_dict(o[1], "type")["type"] for o in rendered if o[0] == "-netdev"] == [
        "user",
        "tap",
        "tap",
        "tap",
        "vhost-user",
    ]
    assert sum(o[0] == "-device" for o in rendered) == 5


def test_multiqueue_vectors_only_on_pci() -> None:
    raw = {"device": [{"kind": "virtio-net", "netdev": {"type": "tap", "queues": 3}}]}
    assert device_option(raw, "amd64", "virtio-net-pci")["vectors"] == "8"
    ccw = device_option(raw, "s390x", "virtio-net-ccw")
    assert ccw["mq"] == "on" and "vectors" not in ccw


def test_9p_on_ccw_keeps_iommu_platform_a_property() -> None:
    """govmm wrote `,,iommu_platform=on`, which became part of mount_tag."""
    raw = {
        "iommu_platform": True,
        "device": [
            {"kind": "virtio-9p", "path": "/srv", "mount_tag": "tag", "security_model": "none"}
        ],
    }
    device = device_option(raw, "s390x", "virtio-9p-ccw")
    assert device["mount_tag"] == "tag"
    assert device["iommu_platform"] == "on"


def test_fw_cfg_entries_appear_once_each() -> None:
    """govmm emitted the whole list once per entry."""
    raw = {"fw_cfg": [{"name": "opt/a", "string": "1"}, {"name": "opt/b", "file": "/f"}]}
    rendered = [o[1] for o in options(raw, "arm64") if o[0] == "-fw_cfg"]
    assert rendered == ["name=opt/a,string=1", "name=opt/b,file=/f"]


def test_fw_cfg_needs_exactly_one_source_and_an_arch_with_fw_cfg() -> None:
    assert problems({"fw_cfg": [{"name": "opt/a", "string": "1", "file": "/f"}]}, "amd64") == [
        ("fw_cfg[0]", "set exactly one of file and string")
    ]
    assert problems({"fw_cfg": [{"name": "opt/a", "string": "1"}]}, "s390x") == [
        (
            "fw_cfg",
            "s390x machines have no fw_cfg device: remove the [[fw_cfg]] entries for this arch",
        )
    ]


def test_virtio_serial_max_ports_without_romfile() -> None:
    """govmm emitted max_ports only when a romfile was set."""
    raw = {"device": [{"kind": "virtio-serial", "max_ports": 4}]}
    assert device_option(raw, "arm64", "virtio-serial-pci")["max_ports"] == "4"


def test_bridge_romfile_and_addresses_are_kept_as_written() -> None:
    """govmm checked the bridge's romfile against an empty transport and printed a
    decimal addr as hex; genqemu passes both as written."""
    raw = {
        "device": [
            {"kind": "pci-bridge", "romfile": "", "addr": "0x10"},
            {"kind": "virtio-rng", "addr": "12"},
        ]
    }
    bridge = device_option(raw, "amd64", "pci-bridge")
    assert (bridge["romfile"], bridge["addr"], bridge["chassis_nr"]) == ("", "0x10", "1")
    assert device_option(raw, "amd64", "virtio-rng-pci")["addr"] == "12"


def test_chassis_numbers_are_unique_and_allocated_around_fixed_ones() -> None:
    raw = {
        "device": [
            {"kind": "pcie-root-port"},
            {"kind": "pcie-root-port", "chassis": 2},
            {"kind": "pci-bridge"},
            {"kind": "pcie-root-port", "chassis": 2, "slot": 1},
        ]
    }
    vm = build(raw, "amd64")
    assert [d.chassis for d in vm.devices] == [
        1,
        2,
        3,
        2,
    ]
    clash = {
        "device": [
            {"kind": "pcie-root-port", "chassis": 4},
            {"kind": "pcie-root-port", "chassis": 4},
        ]
    }
    assert problems(clash, "arm64") == [
        (
            "device[1].chassis",
            "chassis 4 slot 0 is already used by device[0]: change chassis "
            "or slot, or leave them out",
        )
    ]


def test_root_port_chassis_0_is_kept_and_allocation_stays_unique() -> None:
    """QEMU 7.2 accepts chassis=0 on a pcie-root-port (not chassis_nr=0 on a
    pci-bridge); allocated numbers still start at 1 and pairs stay unique."""
    raw = {
        "device": [
            {"kind": "pcie-root-port", "chassis": 0},
            {"kind": "pcie-root-port"},
            {"kind": "pcie-root-port", "chassis": 0, "slot": 1},
            {"kind": "pci-bridge"},
        ]
    }
    assert [d.chassis for d in build(raw, "amd64").devices] == [0, 1, 0, 2]
    clash = {"device": [{"kind": "pcie-root-port", "chassis": 0}] * 2}
    assert problems(clash, "amd64")[0][0] == "device[1].chassis"
    bridge = {"device": [{"kind": "pci-bridge", "chassis_nr": 0}]}
    assert problems(bridge, "amd64")[0][0] == "device[0].chassis_nr"


def test_virtio_blk_config_wce_is_govmms_wce() -> None:
    """govmm writes config-wce=off so the guest cannot switch the write cache."""
    raw = {"device": [{"kind": "virtio-blk", "file": "/d", "config_wce": False}]}
    assert device_option(raw, "s390x", "virtio-blk-ccw")["config-wce"] == "off"


def test_pref32_and_pref64_reserves_are_exclusive() -> None:
    raw = {"device": [{"kind": "pcie-root-port", "pref32_reserve": "1M", "pref64_reserve": "1G"}]}
    assert problems(raw, "amd64") == [
        (
            "device[0].pref64_reserve",
            "cannot be set together with pref32_reserve (one prefetchable window): remove one",
        )
    ]


def test_inherited_files_are_numbered_from_3_in_argv_order() -> None:
    raw = read_toml(example_path("fds"))
    launch = plan(build(raw, "s390x"))
    assert [(fd.number, fd.path, fd.mode) for fd in launch.fds] == [
        (3, "/dev/tap12", "rw"),
        (4, "/dev/tap12", "rw"),
        (5, "/dev/vhost-net", "rw"),
        (6, "/dev/vhost-net", "rw"),
        (7, "/dev/tap13", "rw"),
        (8, "/dev/vhost-vsock", "rw"),
        (9, "/var/lib/genqemu/fds.migration", "r"),
    ]
    script = to_sh(launch, "fds.toml").splitlines()
    assert script[4:11] == [
        "exec 3<>/dev/tap12",
        "exec 4<>/dev/tap12",
        "exec 5<>/dev/vhost-net",
        "exec 6<>/dev/vhost-net",
        "exec 7<>/dev/tap13",
        "exec 8<>/dev/vhost-vsock",
        "exec 9</var/lib/genqemu/fds.migration",
    ]
    document = json.loads(to_json(launch))
    assert document["fds"][0] == {"fd": 3, "path": "/dev/tap12", "mode": "rw"}
    argv = document["argv"]
    assert "fd:9" in argv
    assert "tap,id=netdev-net0,fds=3:4,vhost=on,vhostfds=5:6" in argv


def test_run_as_drops_privileges_with_setpriv() -> None:
    raw = {"run_as": {"user": "qemu", "group": 107}}
    launch = plan(build(raw, "amd64"))
    assert launch.prefix == ["setpriv", "--reuid=qemu", "--regid=107", "--clear-groups", "--"]
    assert "exec setpriv --reuid=qemu --regid=107 --clear-groups -- qemu-system-x86_64 \\" in to_sh(
        launch, "x.toml"
    )
    assert json.loads(to_json(launch))["prefix"] == launch.prefix


def test_vhost_user_needs_shared_ram() -> None:
    raw = {
        "memory": {"size": "1G"},
        "device": [{"kind": "vhost-user-fs", "socket": "/s", "tag": "t"}],
    }
    assert problems(raw, "amd64") == [
        (
            "device[0]",
            "vhost-user-fs maps guest RAM into its backend: set memory.share = true "
            "(and memory.size)",
        )
    ]


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize(
    ("memory", "backend"),
    [
        ({"share": True}, "memory-backend-memfd"),
        ({"share": False, "prealloc": True}, "memory-backend-ram"),
        ({"prealloc": True}, "memory-backend-ram"),
        ({"share": True, "mem_path": "/dev/shm"}, "memory-backend-file"),
    ],
)
def test_shared_ram_without_a_file_is_a_memfd(
    memory: dict[str, Any], backend: str, arch: str
) -> None:
    """govmm wrote memory-backend-ram,share=on, an anonymous mapping with no fd that a
    vhost-user backend could map (tests/test_boot.py boots one with memfd RAM)."""
    raw = {"memory": {"size": "1G", **memory}}
    objects = [parse_dict(o[1], "qom-type") for o in options(raw, arch) if o[0] == "-object"]
    assert [o["qom-type"] for o in objects] == [backend]
    assert objects[0].get("share") == {True: "on", False: "off", None: None}[memory.get("share")]


@pytest.mark.parametrize("kind", sorted(CONFIDENTIAL.models))
def test_confidential_objects_exist_only_where_the_profile_says(kind: str) -> None:
    fields = {"sev-guest": {"cbitpos": 47, "reduced_phys_bits": 1}}.get(kind, {})
    for arch in ARCHES:
        # A target QEMU new enough for it (genqemu/qemu_facts.py SINCE).
        since = {"qemu_version": SINCE[kind]} if kind in SINCE else {}
        raw = {"confidential": {"type": kind, **fields}, **since}
        if kind in load_profile(arch).devices:
            machine = dict(parse(next(o[1] for o in options(raw, arch) if o[0] == "-machine")))
            assert machine["confidential-guest-support"] == "cgs0"
        else:
            assert problems(raw, arch) == [
                ("confidential.type", f"{kind} does not exist on {arch} with this profile")
            ]


def test_nvdimm_rules_per_arch() -> None:
    nvdimm = {"kind": "nvdimm", "file": "/p", "size": "1G"}
    room = {"size": "1G", "slots": 1, "maxmem": "4G"}
    assert problems({"device": [nvdimm]}, "amd64") == [
        ("device[0]", "an NVDIMM is hotpluggable memory: set memory.slots and memory.maxmem")
    ]
    assert problems({"memory": {**room, "maxmem": "1536M"}, "device": [nvdimm]}, "amd64") == [
        (
            "device[0].size",
            "1G does not fit between memory.size and memory.maxmem (512M "
            "free): raise memory.maxmem",
        )
    ]
    assert problems({"memory": room, "device": [nvdimm]}, "arm64") == [
        (
            "device[0]",
            "nvdimm on arm64 needs UEFI firmware (ACPI): add [firmware] type = 'uefi' "
            "(or set bios or pflash)",
        )
    ]
    assert problems({"memory": room, "device": [nvdimm]}, "ppc64le") == [
        ("device[0].label_size", "nvdimm on ppc64le needs label_size: set it"),
        ("device[0].uuid", "nvdimm on ppc64le needs uuid: set it"),
    ]
    assert problems({"memory": room, "device": [nvdimm]}, "s390x") == [
        ("device[0].kind", "nvdimm does not exist on s390x; it exists on amd64, arm64, ppc64le")
    ]
    machine = next(
        o[1] for o in options({"memory": room, "device": [nvdimm]}, "amd64") if o[0] == "-machine"
    )
    assert parse_dict(machine)["nvdimm"] == "on"


def test_machine_limits_on_kinds_and_transports() -> None:
    assert problems({"machine": {"type": "pc"}, "device": [{"kind": "intel-iommu"}]}, "amd64") == [
        ("device[0].kind", "intel-iommu does not exist on amd64 machine pc")
    ]
    assert problems(
        {"machine": {"type": "microvm"}, "device": [{"kind": "vfio-pci", "host": "00:01.0"}]},
        "amd64",
    ) == [("device[0].kind", "vfio-pci needs pci, which amd64 machine microvm does not have")]
    assert problems({"device": [{"kind": "vfio-pci"}]}, "amd64") == [
        ("device[0]", "set exactly one of host and sysfsdev")
    ]


def test_intremap_brings_kernel_irqchip_split_unless_the_user_says() -> None:
    raw: dict[str, Any] = {"device": [{"kind": "intel-iommu", "intremap": True}]}
    machine = next(o[1] for o in options(raw, "amd64") if o[0] == "-machine")
    assert parse_dict(machine)["kernel-irqchip"] == "split"
    raw["machine"] = {"options": {"kernel-irqchip": "off"}}
    machine = next(o[1] for o in options(raw, "amd64") if o[0] == "-machine")
    assert parse_dict(machine)["kernel-irqchip"] == "off"


def test_pvpanic_driver_comes_from_the_profile() -> None:
    raw = {"device": [{"kind": "pvpanic"}]}
    drivers = {
        arch: [o[1].split(",")[0] for o in options(raw, arch) if o[0] == "-device"]
        for arch in ("amd64", "arm64", "ppc64le")
    }
    assert drivers == {"amd64": ["pvpanic"], "arm64": ["pvpanic-pci"], "ppc64le": ["pvpanic-pci"]}
    assert problems(raw, "s390x")[0][1].startswith("pvpanic does not exist on s390x")


@pytest.mark.parametrize(("arch", "via"), [("amd64", "machine"), ("s390x", "machine")])
def test_guest_ram_backend_is_attached_as_the_profile_says(arch: str, via: str) -> None:
    raw = {"memory": {"size": "2G", "hugepages": True, "prealloc": True}}
    rendered = dict((o[0], o[-1]) for o in options(raw, arch))
    backend = parse_dict(rendered["-object"], implied="qom-type")
    assert backend == {
        "qom-type": "memory-backend-file",
        "id": "ram0",
        "size": "2G",
        "mem-path": "/dev/hugepages",
        "prealloc": "on",
    }
    if via == "numa":
        assert rendered["-numa"] == "node,memdev=ram0"
    else:
        assert parse_dict(rendered["-machine"])["memory-backend"] == "ram0"
        assert "-numa" not in rendered
