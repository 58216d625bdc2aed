"""Every device kind of the examples that QEMU can hot-plug, hot-plugged into its
own example's VM on QEMU (7.2, or the oldest QEMU the example is for).

Each example on each arch is started paused without the devices that nothing
else refers to, which come back as NEW.toml through genqemu hotplug's
commands; QEMU must take every command and then have a device of each one's
start-up driver. A device genqemu refuses to hot-plug must be refused with
a reason (cold-plug only, a transport without hot-plug, a backend QMP
cannot add), never silently.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE_CASES, TEST_SETTINGS, example_path, oldest_qemu, qemu_binary
from support import tomlwriter
from support.hotplug_live import devices_after
from support.localize import localize

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.hotplug import hotplug_commands
from genqemu.qemu_facts import COLD_PLUG_ONLY
from genqemu.tomlfile import read_toml

# What genqemu says when it refuses to hot-plug a device, each with its reason.
REFUSALS = re.compile(
    r"cannot be hot-plugged|cannot hot-plug|cannot add over QMP|inherit|"
    r"a usb-hub there would move|no free|has no hot-plug"
)


def _leaves(raw: dict[str, Any], arch: str) -> list[int]:
    """The [[device]] tables no other entry refers to (by id)."""
    vm = build(raw, arch, "example", TEST_SETTINGS)
    referenced = {ref for d in vm.devices for ref in d.refs.values() if isinstance(ref, str)}
    leaves = []
    for device in vm.devices:
        number = device.toml_path.removeprefix("device[").partition("]")[0]
        if not device.toml_path.startswith("device[") or not number.isdigit():
            continue
        table = raw["device"][int(number)]
        if table.get("kind") != device.kind or device.id in referenced:
            continue  # a usb-hub genqemu added, or a device others need
        if device.kind in COLD_PLUG_ONLY:
            continue  # refused, and test_hotplug.py says why
        if "lun" in table or "scsi_id" in table:
            continue  # its SCSI address is free only while QEMU picks the others' after it
        leaves.append(int(number))
    return sorted(set(leaves))


@pytest.mark.qemu
@pytest.mark.parametrize(("example", "arch"), EXAMPLE_CASES)
def test_each_examples_devices_hot_plug_into_it(example: str, arch: str, short_tmp: Path) -> None:
    raw, _ = localize(read_toml(example_path(example)), arch, short_tmp)
    raw.pop("incoming", None)  # a VM waiting for a migration stream is another test's
    started = build(raw, arch, example, TEST_SETTINGS)
    machine = started.profile.machine(started.machine_type)
    assert machine is not None
    if not started.profile.transports[machine.transports[0]].hotplug or not raw.get("device"):
        return  # microvm: test_hotplug.py checks the refusal
    drivers = {d.toml_path: d.driver for d in started.devices}
    moving = _leaves(raw, arch)
    refused: dict[int, str] = {}
    while True:
        plugged = [i for i in moving if i not in refused]
        config = dict(raw)
        config["device"] = [t for i, t in enumerate(raw["device"]) if i not in plugged]
        config.setdefault("machine", {})
        if machine.hotplug_port:
            config["machine"] = {**config["machine"], "spare_root_ports": min(16, len(plugged) + 1)}
        config_file = short_tmp / "vm.toml"
        config_file.write_text(tomlwriter.dumps(config))
        new_file = short_tmp / "new.toml"
        new_file.write_text(tomlwriter.dumps({"device": [raw["device"][i] for i in plugged]}))
        if not plugged:
            return
        try:
            commands = hotplug_commands(config_file, new_file, arch, TEST_SETTINGS)
            break
        except ConfigError as error:
            for path, message in error.problems:
                number = path.removeprefix("device[").partition("]")[0]
                assert error.source == str(new_file) and number.isdigit(), error
                assert REFUSALS.search(message), f"refused without a reason: {error}"
                refused[plugged[int(number)]] = message
    binary_of = partial(qemu_binary, version=oldest_qemu(example))
    found = devices_after(config_file, arch, binary_of, TEST_SETTINGS, commands)
    adds = [c["arguments"] for c in commands if c["execute"] == "device_add"]
    named = {a["id"]: a["driver"] for a in adds if "id" in a}
    assert {name: found.get(name) for name in named} == named, refused
    wanted = Counter(drivers[f"device[{i}]"] for i in plugged)
    assert not wanted - Counter(named.values()), (wanted, named)  # each start-up driver
