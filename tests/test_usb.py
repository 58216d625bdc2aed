"""USB: controllers, the ports their devices get, hubs, and what is refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import QEMU_VERSIONS, TEST_SETTINGS, qemu_binary
from support.qmp import paused_qemu
from syrupy.assertion import SnapshotAssertion

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.explain import explain
from genqemu.launch import plan
from genqemu.render import render

ARCHES = ["amd64", "arm64", "ppc64le", "riscv64"]


def devices(raw: dict[str, Any], arch: str = "amd64") -> list[str]:
    found = [tuple(o) for o in render(build(raw, arch))]
    return [o[1] for o in found if len(o) == 2 and o[0] == "-device"]


def problems(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


def usb(*kinds: str | dict[str, Any], controller: str = "qemu-xhci") -> dict[str, Any]:
    listed = [k if isinstance(k, dict) else {"kind": k} for k in kinds]
    return {"device": [{"kind": controller}, *listed]}


@pytest.mark.parametrize("arch", ARCHES)
def test_devices_get_the_first_free_ports_of_the_only_controller(arch: str) -> None:
    found = devices(usb("usb-tablet", "usb-kbd", {"kind": "usb-mouse", "port": 1}), arch)
    assert found == [
        "qemu-xhci,id=usb0",
        "usb-tablet,id=tablet0,bus=usb0.0,port=2",
        "usb-kbd,id=kbd0,bus=usb0.0,port=3",
        "usb-mouse,id=mouse0,bus=usb0.0,port=1",
    ]


def test_a_hub_takes_the_last_port_and_the_devices_the_controller_has_no_room_for() -> None:
    found = devices(usb("usb-hub", *["usb-tablet"] * 5, controller="pci-ohci"))
    assert found == [
        "pci-ohci,id=usb0",
        "usb-hub,id=hub0,bus=usb0.0,port=3",
        "usb-tablet,id=tablet0,bus=usb0.0,port=1",
        "usb-tablet,id=tablet1,bus=usb0.0,port=2",
        "usb-tablet,id=tablet2,bus=usb0.0,port=3.1",
        "usb-tablet,id=tablet3,bus=usb0.0,port=3.2",
        "usb-tablet,id=tablet4,bus=usb0.0,port=3.3",
    ]


def test_hubs_chain_into_a_dotted_port_path() -> None:
    raw = usb(
        {"kind": "usb-hub", "id": "a"},
        {"kind": "usb-hub", "id": "b", "bus": "a", "port": 5},
        {"kind": "usb-kbd", "bus": "b"},
    )
    assert devices(raw)[1:] == [
        "usb-hub,id=a,bus=usb0.0,port=4",
        "usb-hub,id=b,bus=usb0.0,port=4.5",
        "usb-kbd,id=kbd0,bus=usb0.0,port=4.5.1",
    ]


def test_a_hub_is_added_for_the_devices_the_controller_has_no_port_for() -> None:
    raw = usb("usb-tablet", {"kind": "usb-kbd", "port": 4}, *["usb-mouse"] * 3)
    assert devices(raw)[1:] == [
        "usb-tablet,id=tablet0,bus=usb0.0,port=1",
        "usb-kbd,id=kbd0,bus=usb0.0,port=4",
        "usb-mouse,id=mouse0,bus=usb0.0,port=2",
        "usb-hub,id=hub0,bus=usb0.0,port=3",  # before the device it displaced
        "usb-mouse,id=mouse1,bus=usb0.0,port=3.1",
        "usb-mouse,id=mouse2,bus=usb0.0,port=3.2",
    ]
    (hub,) = [d for d in build(raw, "amd64").devices if d.kind == "usb-hub"]
    assert hub.notes == [
        "every port of 'usb0' was taken: genqemu added this hub in port 3, for mouse1 "
        "(moved behind it) and the USB devices after it (device[4] on)"
    ]


def test_added_hubs_chain_depth_first_up_to_five_tiers() -> None:
    raw = usb(*["usb-kbd"] * 60, controller="pci-ohci")
    found = devices(raw)
    hubs = [d for d in found if d.startswith("usb-hub")]
    assert hubs[:3] == [
        "usb-hub,id=hub0,bus=usb0.0,port=3",
        "usb-hub,id=hub1,bus=usb0.0,port=3.8",
        "usb-hub,id=hub2,bus=usb0.0,port=3.8.8",
    ]
    ports = [d.rpartition("port=")[2] for d in found[1:]]
    assert len(set(ports)) == len(ports) == 60 + len(hubs)
    assert max(p.count(".") for p in ports) == 5  # QEMU refuses a sixth hub
    assert "3.8.8.8.8.1" in ports


def test_no_hub_deeper_than_five_tiers() -> None:
    chain = [{"kind": "usb-hub", "id": "h1"}]
    chain += [{"kind": "usb-hub", "id": f"h{n}", "bus": f"h{n - 1}"} for n in range(2, 6)]
    full = [{"kind": "usb-kbd", "bus": "h5"}] * 9
    found = problems(usb(*chain, *full))
    assert found == [
        (
            "device[14]",
            "every port of 'h5' is taken by devices with a port key or 5 hubs deep: "
            "leave port out of one of them, or add another controller and name it in bus",
        )
    ]


def test_a_hub_goes_behind_a_user_hub_when_bus_names_it() -> None:
    raw = usb({"kind": "usb-hub", "id": "h"}, *[{"kind": "usb-kbd", "bus": "h"}] * 9)
    found = devices(raw)
    assert "usb-hub,id=hub0,bus=usb0.0,port=4.8" in found
    assert found[-1] == "usb-kbd,id=kbd8,bus=usb0.0,port=4.8.2"


def test_usb_cdrom_is_a_usb_bot_with_a_scsi_cd_on_the_iso() -> None:
    raw = usb({"kind": "usb-cdrom", "file": "/i.iso", "serial": "CD1", "bootindex": 1})
    found = [tuple(o) for o in render(build(raw, "amd64"))]
    node = "driver=raw,node-name=drive-usbcd0,file.driver=file,file.filename=/i.iso,read-only=on"
    assert found[-3:] == [
        ("-blockdev", node),
        ("-device", "usb-bot,id=usbcd0,bus=usb0.0,port=1"),
        ("-device", "scsi-cd,bus=usbcd0.0,drive=drive-usbcd0,serial=CD1,bootindex=1"),
    ]
    refused = problems(usb({"kind": "usb-cdrom", "file": "/i.iso", "read_only": False}))
    assert refused == [
        (
            "device[1].read_only",
            "a CD-ROM is read-only: remove read_only, or use usb-storage for a writable image",
        )
    ]
    assert problems(usb({"kind": "usb-cdrom"}))[0][0] == "device[1].file"


def test_usb_storage_is_a_disk_on_its_blockdev_node() -> None:
    raw = usb({"kind": "usb-storage", "file": "/s.img", "serial": "S1", "removable": True})
    found = [tuple(o) for o in render(build(raw, "amd64"))]
    node = "driver=raw,node-name=drive-usbdisk0,file.driver=file,file.filename=/s.img"
    assert ("-blockdev", node) in found
    assert (
        "-device",
        "usb-storage,id=usbdisk0,bus=usb0.0,port=1,drive=drive-usbdisk0,serial=S1,removable=on",
    ) in found


def test_usb_host_by_ids_or_by_bus_and_address_and_usb_redir_on_a_chardev() -> None:
    raw = usb(
        {"kind": "usb-host", "vendorid": 0x046D, "productid": 0xC52B},
        {"kind": "usb-host", "hostbus": 3, "hostaddr": 7},
        {"kind": "usb-redir", "chardev": "r"},
    )
    raw["chardev"] = [{"id": "r", "backend": "socket", "path": "/r", "server": True}]
    assert devices(raw)[1:] == [
        "usb-host,id=usbhost0,bus=usb0.0,port=1,vendorid=1133,productid=50475",
        "usb-host,id=usbhost1,bus=usb0.0,port=2,hostbus=3,hostaddr=7",
        "usb-redir,id=redir0,bus=usb0.0,port=3,chardev=r",
    ]


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        (
            usb(*[{"kind": "usb-kbd", "port": p} for p in range(1, 5)], "usb-kbd"),
            "device[5]",
            "every port of 'usb0' is taken by devices with a port key",
        ),
        ({"device": [{"kind": "usb-kbd"}]}, "device[0].bus", "kind = 'qemu-xhci'"),
        (usb("usb-kbd", controller="pci-ohci") | {}, "", ""),
        (usb({"kind": "usb-kbd", "port": 5}), "device[1].port", "'usb0' has ports 1 to 4"),
        (
            usb({"kind": "usb-kbd", "port": 2}, {"kind": "usb-mouse", "port": 2}),
            "device[2].port",
            "port 2 of 'usb0' is already used by device[1]",
        ),
        (
            usb({"kind": "usb-kbd", "bus": "h"}, {"kind": "usb-hub", "id": "h"}),
            "device[1].bus",
            "'h' comes after it in the config",
        ),
        (
            usb(
                {"kind": "usb-hub", "id": "a", "bus": "b", "port": 1},
                {"kind": "usb-hub", "id": "b", "bus": "a", "port": 1},
            ),
            "device[1].bus",
            "'b' comes after it in the config",
        ),
        (usb({"kind": "usb-host", "vendorid": 0x46D}), "device[1].productid", "set productid"),
        (usb({"kind": "usb-host"}), "device[1]", "set vendorid and productid"),
        (usb({"kind": "usb-host", "vendorid": 0x10000, "productid": 1}), "device[1].vendorid", ""),
    ],
)
def test_refusals(raw: dict[str, Any], path: str, message: str) -> None:
    if not path:  # a controller of another kind is found the same way
        assert devices(raw)[1] == "usb-kbd,id=kbd0,bus=usb0.0,port=1"
        return
    found = [(p, m) for p, m in problems(raw) if p == path]
    assert found, problems(raw)
    assert message in found[0][1]


def test_two_controllers_need_bus() -> None:
    raw = usb("usb-kbd")
    raw["device"].insert(0, {"kind": "ich9-usb-ehci1", "id": "e"})
    assert problems(raw) == [
        (
            "device[2].bus",
            "usb-kbd needs a USB controller: there are several (e, usb0): say which in bus",
        ),
    ]


def test_s390x_has_no_usb() -> None:
    found = problems(usb("usb-tablet"), "s390x")
    assert [p for p, _ in found] == ["device[0].kind", "device[1].kind"]
    assert found[0][1].startswith("qemu-xhci does not exist on s390x")


def test_hotplug_adds_a_hub_before_new_devices_but_never_moves_a_running_one(
    tmp_path: Path,
) -> None:
    from genqemu.hotplug import hotplug_commands

    kinds = ["qemu-xhci", "usb-tablet", "usb-kbd", "usb-mouse"]
    config = tmp_path / "vm.toml"
    config.write_text("".join(f'[[device]]\nkind = "{k}"\n' for k in kinds))
    new = tmp_path / "new.toml"
    new.write_text('[[device]]\nkind = "usb-kbd"\n[[device]]\nkind = "usb-mouse"\n')
    added = [c["arguments"] for c in hotplug_commands(config, new, "amd64")]
    assert [(a["driver"], a["port"]) for a in added] == [
        ("usb-hub", "4"),
        ("usb-kbd", "4.1"),
        ("usb-mouse", "4.2"),
    ]
    config.write_text(config.read_text() + '[[device]]\nkind = "usb-mouse"\n')
    with pytest.raises(ConfigError) as error:
        hotplug_commands(config, new, "amd64")
    assert error.value.problems[0] == (
        "device[0]",
        "every USB port of the running VM's usb0.0 is taken, and a usb-hub there would move "
        "mouse1: put a usb-hub in CONFIG, or name a controller or hub with free ports in bus",
    )


def test_explain_shows_ports_and_the_hub_genqemu_added(text_snapshot: SnapshotAssertion) -> None:
    raw = usb(
        "usb-tablet",
        {"kind": "usb-kbd", "port": 4},
        {"kind": "usb-storage", "file": "/stick.img"},
        {"kind": "usb-cdrom", "file": "/installer.iso"},
        "usb-mouse",
    )
    vm = build(raw, "amd64", "usb.toml")
    assert explain(vm, plan(vm), "usb.toml") == text_snapshot


@pytest.mark.qemu
@pytest.mark.parametrize("qemu", QEMU_VERSIONS, ids=lambda v: f"qemu{v}")
def test_qemu_builds_the_tree_with_the_added_hubs(qemu: str, tmp_path: Path) -> None:
    """QEMU's `info usb`: each device on the port genqemu gave it, hubs two deep."""
    for name in ("d.img", "cd.iso"):
        (tmp_path / name).write_bytes(bytes(1 << 20))
    raw = usb(
        {"kind": "usb-storage", "file": str(tmp_path / "d.img")},
        {"kind": "usb-cdrom", "file": str(tmp_path / "cd.iso")},
        *["usb-kbd"] * 11,
    )
    vm = build(raw, "amd64", "usb.toml", TEST_SETTINGS._replace(qemu_version=qemu))
    argv = [qemu_binary(vm.binary, qemu), *plan(vm).argv[1:]]
    with paused_qemu(argv) as qmp:
        text = qmp.execute("human-monitor-command", **{"command-line": "info usb"})
    found = dict(re.findall(r"Port (\S+), .*ID: (\S+)", text))
    assert found == {d.usb_port: d.id for d in vm.devices if d.usb_port}
    assert found["4"] == "hub0" and found["4.8"] == "hub1" and found["4.8.3"] == "kbd10"


def test_import_types_a_usb_bot_and_its_scsi_cd_as_usb_cdrom() -> None:
    from support.argv_equivalence import differences

    from genqemu.importer import import_text
    from genqemu.importer.source import read_invocation
    from genqemu.profiles import load_profile

    line = (
        "qemu-system-x86_64 -machine q35 -m 1G -device qemu-xhci,id=x"
        " -blockdev driver=raw,node-name=iso,file.driver=file,file.filename=/i.iso,read-only=on"
        " -device usb-bot,id=cd,bus=x.0,port=2 -device scsi-cd,bus=cd.0,drive=iso,bootindex=1"
    )
    result = import_text(line, None, TEST_SETTINGS)
    assert "extra_args" not in result.config
    assert result.config["device"][1] == {
        "kind": "usb-cdrom",
        "id": "cd",
        "backend_id": "iso",
        "file": "/i.iso",
        "read_only": True,
        "bootindex": 1,
        "port": 2,
        "bus": "x",
    }
    again = plan(build(result.config, "amd64", settings=TEST_SETTINGS))
    invocation = read_invocation(line)
    before = [invocation.binary, *invocation.args]
    assert differences(before, {}, again.argv, {}, load_profile("amd64")) == []
    # A scsi-cd with an id of its own is not genqemu's shape: both pass through.
    other = import_text(line.replace("bus=cd.0", "id=s,bus=cd.0"), None, TEST_SETTINGS)
    assert [d["kind"] for d in other.config["device"]] == ["qemu-xhci"]
