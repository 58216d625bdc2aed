"""The spicevmc chardev: a SPICE channel (usbredir for a usb-redir device),
refused without a SPICE display, as the spice-agent kind is (genqemu/spice.py)."""

from __future__ import annotations

from typing import Any

import pytest

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.render import render

SPICE = {"type": "spice", "unix": "/run/s.sock"}
REDIR = {
    "chardev": [{"id": "ur", "backend": "spicevmc"}],
    "device": [{"kind": "qemu-xhci"}, {"kind": "usb-redir", "chardev": "ur"}],
}


def problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, "amd64")
    return error.value.problems


def test_usb_redir_over_spices_usbredir_channel() -> None:
    found = [tuple(o) for o in render(build({"display": SPICE, **REDIR}, "amd64"))]
    assert ("-chardev", "spicevmc,id=ur,name=usbredir") in found
    assert ("-device", "usb-redir,id=redir0,bus=usb0.0,port=1,chardev=ur") in found


def test_without_a_spice_display_it_is_refused_like_the_spice_agent() -> None:
    raw = {**REDIR, "device": [*REDIR["device"], {"kind": "virtio-serial"}]}
    raw["device"].append({"kind": "spice-agent"})
    assert problems(raw) == [
        (
            "device[3]",
            'the SPICE agent talks to a SPICE client: set [display] type = "spice", '
            "or remove this device",
        ),
        (
            "chardev[0].backend",
            'a spicevmc chardev talks to a SPICE client: set [display] type = "spice", '
            "or use another backend",
        ),
    ]


def test_only_the_channels_qemu_allows_are_taken() -> None:
    """QEMU 7.2 and 10.0: "allowed spice char type names: vdagent, smartcard, usbredir"."""
    raw = {"display": SPICE, "chardev": [{"id": "c", "backend": "spicevmc", "name": "port"}]}
    assert [path for path, _ in problems(raw)] == ["chardev[0].name"]


def test_import_types_the_spicevmc_chardev_and_its_usb_redir() -> None:
    from genqemu.importer import import_text

    result = import_text(
        "qemu-system-x86_64 -M q35 -spice unix=on,addr=/run/s.sock,disable-ticketing=on "
        "-chardev spicevmc,id=ur,name=usbredir -device qemu-xhci,id=x "
        "-device usb-redir,bus=x.0,port=1,chardev=ur"
    )
    assert result.passthrough == []
    assert result.config["chardev"] == [{"id": "ur", "backend": "spicevmc", "name": "usbredir"}]
    assert result.config["device"][-1]["kind"] == "usb-redir"


def test_import_leaves_a_spicevmc_chardev_without_spice_as_written() -> None:
    from genqemu.importer import import_text

    result = import_text("qemu-system-x86_64 -M q35 -chardev spicevmc,id=ur,name=usbredir")
    assert result.passthrough == ["-chardev spicevmc"]
