"""The boot tests' hot-plug phase (tests/support/boot_hotplug.py), without booting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import TEST_SETTINGS, example_path
from support.boot_hotplug import EXAMPLES, NEW_IDS, STEPS, write_files

from genqemu.hotplug import hotplug_commands, unplug_commands
from genqemu.tomlfile import read_toml


@pytest.mark.parametrize("arch", sorted(EXAMPLES))
def test_each_hotplug_example_takes_the_disk_and_nic(arch: str, tmp_path: Path) -> None:
    """The example has a place for both (free root ports on q35 and virt), and
    unplug --plugged removes what hot-plug added."""
    config, new = write_files(tmp_path, read_toml(example_path(EXAMPLES[arch])))
    added = hotplug_commands(config, new, arch, TEST_SETTINGS)
    adds = [c["arguments"] for c in added if c["execute"] == "device_add"]
    assert [a["id"] for a in adds] == NEW_IDS
    if arch != "s390x":
        assert len({a["bus"] for a in adds}) == 2, adds
    removed = unplug_commands(config, NEW_IDS, arch, TEST_SETTINGS, plugged=[new])
    assert [c["execute"] for c in removed] == [
        "device_del",
        "device_del",
        "blockdev-del",
        "netdev_del",
    ]


@pytest.mark.parametrize("arch", sorted(EXAMPLES))
def test_a_vcpu_is_hot_plugged_where_the_arch_can(arch: str, tmp_path: Path) -> None:
    """amd64 q35 and s390x hot-plug vCPUs and their examples leave room for one;
    arm64 virt cannot (docs/hotplug.md), and its example asks for none."""
    config, _ = write_files(tmp_path, read_toml(example_path(EXAMPLES[arch])))
    if arch == "arm64":
        assert "smp" not in read_toml(config)
        return
    (added,) = hotplug_commands(config, None, arch, TEST_SETTINGS, cpus=1)
    assert added["execute"] == "device_add"
    assert added["arguments"]["core-id"] == 1
    cpu = STEPS[0]
    assert cpu.name == "cpu"
    assert re.search(cpu.expect("")[0], "hotplug cpus online=0-1", re.MULTILINE)
    assert not re.search(cpu.expect("")[0], "hotplug cpus online=0", re.MULTILINE)


def test_the_unplug_step_waits_for_the_names_the_guest_gave() -> None:
    _, plug, unplug = STEPS
    console = (
        "hotplug + block vdb serial=genqemu-hotplug readable=yes\n"
        "hotplug + net eth4 mac=52:54:00:67:71:70 driver=virtio_net\n"
    )
    assert all(re.search(pattern, console) for pattern in plug.expect(console))
    assert unplug.expect(console) == [r"hotplug - block vdb$", r"hotplug - net eth4$"]
