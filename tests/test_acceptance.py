"""Acceptance: every example on every arch, started by the real QEMU binary.

Each example is pointed at files that exist here (tests/support/localize.py), started
paused under TCG, and asked over QMP what it built: every configured device
must be there with its id and the expected QEMU type, every backend too.
What cannot start in a sandbox (host devices, vhost-user backends,
confidential-guest objects) is checked against QEMU's own list of its
properties instead, as is every -device, -object and -netdev of every example.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_SETTINGS, VERSION_CASES, example_path, qemu_binary
from support.localize import localize
from support.qemu_help import (
    GENERIC_DEVICE_KEYS,
    device_drivers,
    device_properties,
    device_property_kinds,
    netdev_member_kinds,
    netdev_members,
    object_properties,
    object_property_kinds,
)
from support.qemuopts import parse_dict
from support.qmp import Qmp, paused_qemu
from support.swtpm import prestarted

from genqemu.build import build
from genqemu.devices.console import Serial
from genqemu.launch import plan
from genqemu.run import copy_templates
from genqemu.tomlfile import read_toml

pytestmark = pytest.mark.qemu
# Every test runs against each QEMU version an example is for (conftest.runs_on),
# each example rendered for that version (--qemu-version); its id names the
# version (qemu10.0-...).

# Object types built only where QEMU has KVM for the target (see test_profiles).
KVM_ONLY_OBJECTS = {"s390-pv-guest"}


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


@pytest.mark.parametrize("syntax", ["qemuopts", "json"])
@pytest.mark.parametrize(("qemu", "example", "arch"), VERSION_CASES)
def test_example_starts_with_every_device(
    qemu: str, example: str, arch: str, syntax: str, short_tmp: Path
) -> None:
    raw, _ = localize(read_toml(example_path(example)), arch, short_tmp)
    vm = build(raw, arch, example, TEST_SETTINGS._replace(qemu_version=qemu))
    launch = plan(vm, syntax)
    copy_templates(launch)
    binary = qemu_binary(vm.binary, qemu)
    fds = [(fd.number, fd.path, fd.mode) for fd in launch.fds]
    # A migration stream read from a FIFO: hold it open for writing, so the
    # script's read-only open does not block and QEMU waits for data.
    writers = [os.open(path, os.O_RDWR) for _, path, _ in fds if Path(path).is_fifo()]
    try:
        with prestarted(launch), paused_qemu([binary, *launch.argv[1:]], fds=fds) as qmp:
            found = qmp.devices()
            chardevs = {entry["label"] for entry in qmp.execute("query-chardev")}
            nodes = {entry["node-name"] for entry in qmp.execute("query-named-block-nodes")}
            objects = {entry["name"] for entry in qmp.execute("qom-list", path="/objects")}
            status = qmp.execute("query-status")["status"]
            serials = (
                _serial_chardevs(qmp)
                if any(isinstance(d.config, Serial) for d in vm.devices)
                else set()
            )
    finally:
        for writer in writers:
            os.close(writer)

    if vm.tpm is not None:
        assert found.get(vm.tpm.id) == vm.tpm_driver, (vm.tpm.id, found)
        assert f"chr-{vm.tpm.id}" in chardevs
    for device in vm.devices:
        if isinstance(device.config, Serial):
            chardev = device.refs["chardev"]
            assert chardev in serials, f"no serial device carries {chardev}"
        else:
            assert found.get(device.id) == device.driver, (device.id, found)
        if device.config.backend_prefix == "drive-" and device.backend_id is not None:
            assert device.backend_id in nodes  # (an empty CD-ROM tray has no node)
        if device.config.backend_prefix in ("rng-", "mem-"):
            assert device.backend_id in objects
    assert {c.id for c in vm.chardevs} <= chardevs
    assert {q.id for q in vm.qmp} <= chardevs
    assert {t.id for t in vm.iothreads} <= objects
    if vm.ram_backend:
        assert vm.ram_backend in objects
    assert status == ("inmigrate" if vm.config.incoming else "prelaunch")
    passed_through = {parse_dict(arg, implied="driver").get("id") for arg in vm.config.extra_args}
    tpm = {vm.tpm.id} if vm.tpm else set()
    assert set(found) - {d.id for d in vm.devices} - tpm <= passed_through


@pytest.mark.parametrize(("qemu", "example", "arch"), VERSION_CASES)
def test_every_emitted_property_exists(qemu: str, example: str, arch: str) -> None:
    """Every example as it ships, devices that cannot start here included."""
    vm = build(
        read_toml(example_path(example)), arch, example, TEST_SETTINGS._replace(qemu_version=qemu)
    )
    binary = qemu_binary(vm.binary, qemu)
    options = plan(vm).options
    for option in options:
        if option[0] == "-device":
            items = parse_dict(option[1], implied="driver")
            driver = items["driver"] or ""
            assert driver in device_drivers(binary), driver
            unknown = set(items) - GENERIC_DEVICE_KEYS - device_properties(binary, driver)
            assert not unknown, f"{driver} has no {sorted(unknown)} in {binary}"
        elif option[0] == "-netdev":
            items = parse_dict(option[1], implied="type")
            netdev_type = items["type"] or ""
            members = {name.split(".")[0] for name in items}  # addr.type: a member addr
            unknown = members - netdev_members(binary, netdev_type)
            assert not unknown, f"-netdev {netdev_type} has no {sorted(unknown)}"
        elif option[0] == "-object":
            items = parse_dict(option[1], implied="qom-type")
            qom_type = items.pop("qom-type") or ""
            if qom_type in KVM_ONLY_OBJECTS:
                continue  # absent from a cross-arch binary; test_profiles says why
            unknown = set(items) - {"id"} - object_properties(binary, qom_type)
            assert not unknown, f"-object {qom_type} has no {sorted(unknown)}"
    checked = {o[0] for o in options} & {"-device", "-netdev", "-object"}
    assert checked or not vm.devices


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    return "int" if isinstance(value, int) else "other"


@pytest.mark.parametrize(("qemu", "example", "arch"), VERSION_CASES)
def test_json_values_have_qemus_types(qemu: str, example: str, arch: str) -> None:
    """In JSON syntax QEMU takes `true`, not "on", and numbers as numbers: every
    value genqemu writes has the kind of QEMU's property (devices that cannot
    start here included)."""
    vm = build(
        read_toml(example_path(example)), arch, example, TEST_SETTINGS._replace(qemu_version=qemu)
    )
    binary = qemu_binary(vm.binary, qemu)
    for option, argument in (o for o in plan(vm, "json").options if len(o) == 2):
        if option not in ("-device", "-object", "-netdev") or not argument.startswith("{"):
            continue
        document = json.loads(argument)
        if option == "-device":
            kinds = device_property_kinds(binary, document.pop("driver"))
            document.pop("bus", None)
        elif option == "-object":
            qom_type = document.pop("qom-type")
            if qom_type in KVM_ONLY_OBJECTS:
                continue
            kinds = object_property_kinds(binary, qom_type)
        else:
            kinds = netdev_member_kinds(binary, document["type"])
        document.pop("id", None)
        for name, value in document.items():
            expected = kinds.get(name)
            if name == "addr" and isinstance(value, str):
                expected = "other"  # a PCI address: QEMU takes "SLOT.FN" or a number
            assert expected == _kind(value), (option, name, value, kinds.get(name))
