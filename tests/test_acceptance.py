"""Acceptance: every example on every arch, started by the real QEMU binary.

Each example is pointed at files that exist here (tests/localize.py), started
paused under TCG, and asked over QMP what it built: every configured device
must be there with its id and the expected QEMU type, every backend too.
Devices that cannot start in a sandbox are checked against QEMU's own list of
their properties instead, as is every -device option of the full example.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ARCHES, EXAMPLES, example_path, qemu_binary
from localize import localize
from qemu_help import (
    GENERIC_DEVICE_KEYS,
    device_drivers,
    device_properties,
    netdev_members,
    object_properties,
)
from qemuopts import parse, parse_dict
from qmp import Qmp, paused_qemu

from genqemu.build import build
from genqemu.devices import Serial
from genqemu.render import Option, render
from genqemu.tomlfile import read_toml

pytestmark = pytest.mark.qemu


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temporary folder with a short path: unix socket paths hold 107 bytes."""
    with tempfile.TemporaryDirectory(prefix="gq-") as folder:
        yield Path(folder)


def _serial_chardevs(qmp: Qmp) -> set[str]:
    """The chardevs that the machine's own serial devices carry."""
    carried = set()
    for path, _ in qmp.walk("/machine"):
        names = {p["name"] for p in qmp.execute("qom-list", path=path)}
        if "chardev" in names:
            value = qmp.execute("qom-get", path=path, property="chardev")
            if value:
                carried.add(value)
    return carried


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("example", EXAMPLES)
def test_example_starts_with_every_device(example: str, arch: str, short_tmp: Path) -> None:
    raw, _ = localize(read_toml(example_path(example)), arch, short_tmp)
    vm = build(raw, arch, example)
    argv = [qemu_binary(vm.binary), *(part for option in render(vm) for part in option)]

    with paused_qemu(argv) as qmp:
        found = qmp.devices()
        chardevs = {entry["label"] for entry in qmp.execute("query-chardev")}
        nodes = {entry["node-name"] for entry in qmp.execute("query-named-block-nodes")}
        objects = {entry["name"] for entry in qmp.execute("qom-list", path="/objects")}
        serials = _serial_chardevs(qmp) if any(d.kind == "serial" for d in vm.devices) else set()

    for device in vm.devices:
        if isinstance(device, Serial):
            assert device.chardev in serials, f"no serial device carries {device.chardev}"
        else:
            assert found.get(device.id) == device.driver, (device.id, found)
        if device.backend_prefix == "drive-":
            assert device.backend_id in nodes
        if device.backend_prefix == "rng-":
            assert device.backend_id in objects
    assert {c.id for c in vm.chardevs} <= chardevs
    assert {q.id for q in vm.qmp} <= chardevs
    assert {t.id for t in vm.iothreads} <= objects
    assert len(found) == len([d for d in vm.devices if d.kind != "serial"])


def _options(example: str, arch: str) -> tuple[str, list[Option]]:
    """Every option of the example as it ships, devices that cannot start included."""
    vm = build(read_toml(example_path(example)), arch, example)
    return qemu_binary(vm.binary), render(vm)


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_emitted_property_exists(example: str, arch: str) -> None:
    """Including devices that cannot start here (tap, vhost-vsock)."""
    binary, options = _options(example, arch)
    checked = 0
    for option in options:
        if option[0] == "-device":
            items = parse_dict(option[1], implied="driver")
            driver = items["driver"] or ""
            assert driver in device_drivers(binary), driver
            unknown = set(items) - GENERIC_DEVICE_KEYS - device_properties(binary, driver)
            assert not unknown, f"{driver} has no {sorted(unknown)} in {binary}"
            checked += 1
        elif option[0] == "-netdev":
            items = parse_dict(option[1], implied="type")
            netdev_type = items["type"] or ""
            unknown = set(items) - netdev_members(binary, netdev_type)
            assert not unknown, f"-netdev {netdev_type} has no {sorted(unknown)}"
        elif option[0] == "-object":
            items = parse_dict(option[1], implied="qom-type")
            qom_type = items.pop("qom-type") or ""
            unknown = set(items) - {"id"} - object_properties(binary, qom_type)
            assert not unknown, f"-object {qom_type} has no {sorted(unknown)}"
    assert checked == sum(1 for o in options if o[0] == "-device")
    assert all(name for option in options for name, _ in parse(option[-1]))
