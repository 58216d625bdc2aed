"""USB: controllers, the ports their devices get, hubs, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from genqemu.build import build
from genqemu.errors import ConfigError
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
        (usb(*["usb-kbd"] * 5), "device[5]", "every port of 'usb0' is taken: add a [[device]]"),
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
