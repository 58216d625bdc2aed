"""genqemu unplug --plugged: removing the devices an earlier genqemu hotplug added."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pytest
from conftest import ARCHES, REPO, qemu_binary
from support.qmp import paused_qemu
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from genqemu.build import build_file
from genqemu.cli import app
from genqemu.errors import ConfigError
from genqemu.hotplug import dumps, hotplug_commands, unplug_commands
from genqemu.render import argv

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


def test_configs_own_devices_stay_unpluggable_beside_plugged_ones() -> None:
    commands = unplug_commands(vm_for("amd64"), ["disk0", "data", "nic1"], "amd64", plugged=[NEW])
    assert dumps(commands) == (
        '{"execute":"device_del","arguments":{"id":"disk0"}}\n'
        '{"execute":"device_del","arguments":{"id":"data"}}\n'
        '{"execute":"device_del","arguments":{"id":"nic1"}}\n'
        '{"execute":"blockdev-del","arguments":{"node-name":"drive-disk0"}}\n'
        '{"execute":"blockdev-del","arguments":{"node-name":"drive-data"}}\n'
        '{"execute":"netdev_del","arguments":{"id":"netdev-nic1"}}\n'
    )


def device_adds(commands: list[dict[str, object]]) -> list[tuple[object, object]]:
    adds = [c["arguments"] for c in commands if c["execute"] == "device_add"]
    return [(a["id"], a.get("bus")) for a in adds if isinstance(a, dict)]


@pytest.mark.parametrize("arch", ARCHES)
def test_a_second_hotplug_after_plugged_ones_gets_the_next_ids_and_ports(
    arch: str, tmp_path: Path
) -> None:
    """The same automatic-id NEW plugged twice: with the first named by
    --plugged, the second gets ids (and root ports, devnos) of its own, and
    unplug with both files removes exactly what each added."""
    config = tmp_path / "vm.toml"
    more = "" if arch in NO_PORTS else "\n[machine]\nspare_root_ports = 2\n"
    config.write_text(vm_for(arch).read_text() + more)
    first = hotplug_commands(config, AUTO, arch)
    again = hotplug_commands(config, AUTO, arch)
    second = hotplug_commands(config, AUTO, arch, plugged=[AUTO])
    assert again == first  # genqemu keeps no state: without --plugged, the same again
    assert not {i for i, _ in device_adds(first)} & {i for i, _ in device_adds(second)}
    buses = [bus for _, bus in device_adds(first) + device_adds(second) if bus]
    assert len(buses) == len(set(buses)), buses  # no root port taken twice
    with pytest.raises(ConfigError, match="no free pcie-root-port") if buses else nullcontext():
        hotplug_commands(config, AUTO, arch, plugged=[AUTO, AUTO])  # the ports are all taken
    for plugged, added in (([AUTO], first), ([AUTO, AUTO], second)):
        ids = [str(c["arguments"]["id"]) for c in added if c["execute"] == "device_add"]
        removed = unplug_commands(config, ids, arch, plugged=plugged)
        assert {(c["execute"], next(iter(c["arguments"].values()))) for c in removed} == added_ids(
            added
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


def test_an_id_an_earlier_hotplug_took_is_refused_at_the_files_path() -> None:
    """NEW's explicit ids, plugged twice: the second time each is in use (by the
    first NEW's entry, named with its own path)."""
    with pytest.raises(ConfigError) as error:
        unplug_commands(vm_for("amd64"), ["data"], "amd64", plugged=[NEW, NEW])
    assert error.value.source == str(NEW)
    assert [path for path, _ in error.value.problems] == [
        "device[0].id",
        "device[1].id",
        "device[2].id",
        "chardev[0].id",
    ]
    assert f"'data' is already used in the running VM by {NEW}'s device[0]: pick another" in {
        message for _, message in error.value.problems
    }


def test_a_plugged_files_mistakes_name_its_own_paths(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[device]]\nkind = "virtio-blk"\nfiel = "a.img"\n')
    with pytest.raises(ConfigError) as error:
        unplug_commands(vm_for("amd64"), ["x"], "amd64", plugged=[bad])
    assert error.value.source == str(bad)
    assert [path for path, _ in error.value.problems] == ["name"]


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ["amd64", "s390x"])
def test_qemu_takes_a_second_hotplug_after_the_first(arch: str, short_tmp: Path) -> None:
    """On QEMU 7.2, paused: two files of automatic ids hot-plugged one after the
    other, the second with the first named by --plugged, add both (without it,
    the second reuses the first's ids and QEMU refuses it); on s390x, unplug
    with both files removes the second's devices and leaves the first's."""
    from test_hotplug import localized, run_cli, with_qmp_socket

    config = localized(short_tmp, vm_for(arch), ("root.qcow2",))
    if arch not in NO_PORTS:
        config.write_text(config.read_text() + "\n[machine]\nspare_root_ports = 2\n")
    config, sock = with_qmp_socket(short_tmp, config)
    first = localized(short_tmp, AUTO, ("more.img",))
    (short_tmp / "again.img").write_bytes(b"\0" * (1 << 20))  # a disk image is locked
    second = short_tmp / "again.toml"
    second.write_text(first.read_text().replace("more.img", "again.img"))
    vm = build_file(config, arch)
    with paused_qemu([qemu_binary(vm.binary), *argv(vm)[1:]]) as qmp:
        before = set(qmp.devices())
        hot = ["hotplug", "--arch", arch, "--qmp", str(sock), str(config), str(first)]
        assert run_cli(*hot) == (0, "", "")
        once = set(qmp.devices()) - before
        code, _, err = run_cli(*hot[:-1], str(second))
        assert code == 1 and "Duplicate" in err, err  # the same ids again
        code, _, err = run_cli(*hot[:-1], str(second), "--plugged", str(first))
        assert (code, err) == (0, ""), err
        twice = set(qmp.devices()) - before - once
        assert len(once) == len(twice) == 2, (once, twice)
        if arch == "s390x":
            unplug = ["unplug", "--arch", arch, "--qmp", str(sock), str(config), *sorted(twice)]
            code, _, err = run_cli(*unplug, "--plugged", str(first), "--plugged", str(second))
            assert (code, err) == (0, "")
            assert set(qmp.devices()) - before == once
