"""genqemu unplug --plugged: removing the devices an earlier genqemu hotplug added."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ARCHES, REPO
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from genqemu.cli import app
from genqemu.errors import ConfigError
from genqemu.hotplug import dumps, hotplug_commands, unplug_commands

FIXTURES = REPO / "tests" / "fixtures" / "hotplug"
NEW = FIXTURES / "new.toml"
AUTO = FIXTURES / "new-auto.toml"
NO_PORTS = {"ppc64le", "s390x"}


def vm_for(arch: str) -> Path:
    return FIXTURES / ("vm-noport.toml" if arch in NO_PORTS else "vm.toml")


def added_ids(commands: list[dict[str, object]]) -> set[tuple[str, str]]:
    """(command, id) of what a hot-plug adds, as its deletes name it."""
    deletes = {
        "device_add": ("device_del", "id"),
        "blockdev-add": ("blockdev-del", "node-name"),
        "netdev_add": ("netdev_del", "id"),
        "chardev-add": ("chardev-remove", "id"),
    }
    found = set()
    for command in commands:
        name, key = deletes[str(command["execute"])]
        arguments = command["arguments"]
        assert isinstance(arguments, dict)
        found.add((name, str(arguments[key])))
    return found


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("new", [NEW, AUTO], ids=["ids", "automatic-ids"])
def test_unplug_removes_what_hotplug_added(arch: str, new: Path) -> None:
    """Every device, backend and chardev a hot-plug adds (automatic ids too),
    unplug --plugged deletes: the device_dels first."""
    added = hotplug_commands(vm_for(arch), new, arch)
    ids = [
        str(c["arguments"]["id"]) for c in added if c["execute"] in ("device_add", "chardev-add")
    ]
    removed = unplug_commands(vm_for(arch), ids, arch, plugged=[new])
    assert {(c["execute"], next(iter(c["arguments"].values()))) for c in removed} == added_ids(
        added
    )
    names = [c["execute"] for c in removed]
    assert names == sorted(names, key=lambda name: name != "device_del")


def test_two_plugged_files_each_resolved_as_its_hotplug_was() -> None:
    """Each file is resolved with CONFIG alone, as each hot-plug was; CONFIG's
    own devices stay unpluggable beside them."""
    commands = unplug_commands(vm_for("amd64"), ["disk0", "data", "nic1"], "amd64", plugged=[NEW])
    assert dumps(commands) == (
        '{"execute":"device_del","arguments":{"id":"disk0"}}\n'
        '{"execute":"device_del","arguments":{"id":"data"}}\n'
        '{"execute":"device_del","arguments":{"id":"nic1"}}\n'
        '{"execute":"blockdev-del","arguments":{"node-name":"drive-disk0"}}\n'
        '{"execute":"blockdev-del","arguments":{"node-name":"drive-data"}}\n'
        '{"execute":"netdev_del","arguments":{"id":"netdev-nic1"}}\n'
    )


@pytest.mark.parametrize("arch", ["amd64", "s390x"])
def test_cli_unplug_plugged(arch: str, text_snapshot: SnapshotAssertion) -> None:
    ids = ("data", "nic1", "agentport", "agent")
    args = ["unplug", "--arch", arch, str(vm_for(arch)), *ids, "--plugged", str(NEW)]
    result = CliRunner().invoke(app, args)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == text_snapshot


def test_unknown_id_names_the_ids_there_are() -> None:
    result = CliRunner().invoke(
        app, ["unplug", "--arch", "amd64", str(vm_for("amd64")), "zzz", "--plugged", str(NEW)]
    )
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        "zzz: no device or chardev of CONFIG or a --plugged file has this id; valid: agent, "
        "agentport, data, disk0, nic1, spare1, spare2, vser0"
    ) in result.stderr


def test_without_plugged_a_hotplugged_id_is_unknown() -> None:
    with pytest.raises(ConfigError) as error:
        unplug_commands(vm_for("amd64"), ["data"], "amd64")
    assert error.value.problems[0][0] == "data"
    assert "no device or chardev of CONFIG has this id" in error.value.problems[0][1]


def test_an_id_two_plugged_files_give_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        unplug_commands(vm_for("amd64"), ["data"], "amd64", plugged=[NEW, NEW])
    paths = [path for path, _ in error.value.problems]
    assert paths == ["agent", "agentport", "data", "nic1"]
    assert f"is an id in {NEW} and in {NEW}" in error.value.problems[0][1]


def test_a_plugged_files_mistakes_name_its_own_paths(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[device]]\nkind = "virtio-blk"\nfiel = "a.img"\n')
    with pytest.raises(ConfigError) as error:
        unplug_commands(vm_for("amd64"), ["x"], "amd64", plugged=[bad])
    assert error.value.source == str(bad)
    assert [path for path, _ in error.value.problems] == ["name"]
