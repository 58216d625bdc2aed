"""genqemu hotplug and unplug: the QMP commands, their errors, and QEMU 7.2 taking them."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
from conftest import (
    ARCHES,
    EXAMPLE_CASES,
    REPO,
    TEST_SETTINGS,
    example_path,
    oldest_qemu,
    qemu_binary,
)
from support import tomlwriter
from support.hotplug_live import devices_after
from support.localize import localize
from support.qmp import paused_qemu
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from genqemu.build import build, build_file
from genqemu.cli import app
from genqemu.errors import ConfigError
from genqemu.hotplug import dumps, hotplug_commands, unplug_commands
from genqemu.render import argv
from genqemu.tomlfile import read_toml

FIXTURES = REPO / "tests" / "fixtures" / "hotplug"
NEW = FIXTURES / "new.toml"
# The arches whose machine has pcie-root-ports get the VM with two spare ones.
NO_PORTS = {"ppc64le", "s390x"}


def vm_for(arch: str) -> Path:
    return FIXTURES / ("vm-noport.toml" if arch in NO_PORTS else "vm.toml")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("arch", ARCHES)
def test_disk_nic_and_serial_port(arch: str, text_snapshot: SnapshotAssertion) -> None:
    commands = hotplug_commands(vm_for(arch), NEW, arch)
    names = [c["execute"] for c in commands]
    assert names == [
        "chardev-add",
        "blockdev-add",
        "device_add",
        "netdev_add",
        "device_add",
        "device_add",
    ]
    adds = {c["arguments"]["id"]: c["arguments"] for c in commands if c["execute"] == "device_add"}
    if arch in NO_PORTS:
        assert all("bus" not in adds[i] for i in ("data", "nic1"))
    else:  # each PCI device on a spare root port of its own
        assert (adds["data"]["bus"], adds["nic1"]["bus"]) == ("spare1", "spare2")
    assert adds["agentport"]["bus"] == "vser0.0"
    assert dumps(commands) == text_snapshot


def test_ccw_devnos_follow_the_running_vms() -> None:
    commands = hotplug_commands(vm_for("s390x"), NEW, "s390x")
    devnos = [c["arguments"].get("devno") for c in commands if c["execute"] == "device_add"]
    assert devnos == ["fe.0.0003", "fe.0.0004", None]  # disk0 and vser0 have 1 and 2


def problems(config: Path, new: Path, arch: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        hotplug_commands(config, new, arch)
    assert error.value.source == str(new)
    return error.value.problems


def test_no_free_port(tmp_path: Path) -> None:
    new = write(tmp_path, "new.toml", '[[device]]\nkind = "virtio-rng"\n' * 3)
    found = problems(vm_for("amd64"), new, "amd64")
    assert [p for p, _ in found] == ["device[2]"]
    assert "no free pcie-root-port in CONFIG" in found[0][1]


def test_id_already_used(tmp_path: Path) -> None:
    new = write(tmp_path, "new.toml", '[[device]]\nkind = "virtio-rng"\nid = "disk0"\n')
    [(path, message)] = problems(vm_for("amd64"), new, "amd64")
    assert path == "device[0].id"
    assert "'disk0' is already used in the running VM by CONFIG's device[0]" in message


@pytest.mark.parametrize(
    ("arch", "text", "path", "why"),
    [
        ("amd64", 'kind = "pcie-root-port"', "device[0].kind", "cannot be hot-plugged"),
        ("ppc64le", 'kind = "spapr-vscsi"', "device[0].kind", "spapr-vio"),
        ("arm64", 'kind = "virtio-rng"\ntransport = "mmio"', "device[0]", "mmio transport"),
        ("amd64", 'kind = "virtio-rng"\nbus = "pcie.0"', "device[0].bus", "has no hot-plug"),
    ],
)
def test_not_hot_pluggable(tmp_path: Path, arch: str, text: str, path: str, why: str) -> None:
    new = write(tmp_path, "new.toml", f"[[device]]\n{text}\n")
    [(where, message)] = problems(vm_for(arch), new, arch)
    assert where == path
    assert why in message


def test_new_paths_are_news_own(tmp_path: Path) -> None:
    new = write(tmp_path, "new.toml", '[[device]]\nkind = "virtio-rng"\nbogus = 1\n')
    assert [p for p, _ in problems(vm_for("amd64"), new, "amd64")] == ["device[0].bogus"]
    new = write(tmp_path, "ref.toml", '[[device]]\nkind = "virtserialport"\nchardev = "none"\n')
    assert [p for p, _ in problems(vm_for("amd64"), new, "amd64")] == ["device[0].chardev"]
    new = write(tmp_path, "other.toml", 'name = "x"\n')
    assert [p for p, _ in problems(vm_for("amd64"), new, "amd64")] == ["name"]


def test_unplug_removes_devices_then_backends() -> None:
    commands = unplug_commands(vm_for("amd64"), ["disk0", "vser0"], "amd64")
    assert commands == [
        {"execute": "device_del", "arguments": {"id": "disk0"}},
        {"execute": "device_del", "arguments": {"id": "vser0"}},
        {"execute": "blockdev-del", "arguments": {"node-name": "drive-disk0"}},
    ]


def test_cli_prints_one_object_per_line_and_exits_2_on_errors() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["hotplug", "--arch", "s390x", str(vm_for("s390x")), str(NEW)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == hotplug_commands(vm_for("s390x"), NEW, "s390x")
    result = runner.invoke(app, ["unplug", "--arch", "amd64", str(vm_for("amd64")), "nope"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "nope: no device or chardev of CONFIG has this id" in result.stderr


def localized(folder: Path, source: Path, names: tuple[str, ...]) -> Path:
    """A copy of `source` in `folder` whose disk images exist (raw, 1 MiB)."""
    text = source.read_text()
    for name in names:
        (folder / name).write_bytes(b"\0" * (1 << 20))
        text = text.replace(f'"{name}"', json.dumps(str(folder / name)))
    text = text.replace('"qcow2"', '"raw"').replace("/run/vm/agent.sock", str(folder / "a.sock"))
    return write(folder, source.name, text)


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ARCHES)
def test_qemu_takes_the_commands(arch: str, short_tmp: Path) -> None:
    """Started paused from CONFIG, QEMU 7.2 adds the disk, NIC and port on the
    buses genqemu chose; on s390x (CCW) device_del completes while paused, so
    CONFIG's own disk is unplugged there (unplug knows CONFIG's devices only; PCI
    unplug needs a guest that answers). Its blockdev-del is not sent here: QEMU
    refuses it until DEVICE_DELETED ("Node drive-disk0 is in use"), which --qmp
    waits for (test_qmp_option_sends_and_unplugs)."""
    config = localized(short_tmp, vm_for(arch), ("root.qcow2",))
    new = localized(short_tmp, NEW, ("data.qcow2",))
    vm = build_file(config, arch)
    with paused_qemu([qemu_binary(vm.binary), *argv(vm)[1:]]) as qmp:
        for command in hotplug_commands(config, new, arch):
            qmp.execute(command["execute"], **command["arguments"])
        devices = qmp.devices()
        suffix = "-ccw" if arch == "s390x" else "-pci"
        assert devices["data"] == "virtio-blk" + suffix
        assert devices["nic1"] == "virtio-net" + suffix
        assert devices["agentport"] == "virtserialport"
        assert "drive-data" in {b["inserted"]["node-name"] for b in qmp.execute("query-block")}
        if arch not in NO_PORTS:
            bus = qmp.execute("qom-get", path="/machine/peripheral/data", property="parent_bus")
            assert "spare1" in bus
        if arch == "s390x":
            first, *_ = unplug_commands(config, ["disk0"], arch)
            assert first["execute"] == "device_del"
            qmp.execute(first["execute"], **first["arguments"])
            assert "disk0" not in qmp.devices()


SPARE = """
[machine]
spare_root_ports = 2

[[device]]
kind = "virtio-rng"

[[device]]
kind = "pcie-root-port"
hotplug = false
"""
SPARE_NEW = '[[device]]\nkind = "pci-bridge"\n\n[[device]]\nkind = "virtio-rng"\n'


def test_spare_root_ports_take_the_new_devices(tmp_path: Path) -> None:
    """machine.spare_root_ports adds ports after the devices; a port with
    hotplug = false is never chosen; a new bridge's chassis stays clear of the
    running VM's."""
    config = write(tmp_path, "vm.toml", SPARE)
    vm = build_file(config, "amd64")
    assert [(d.id, d.chassis) for d in vm.devices[1:]] == [("rp0", 1), ("rp1", 2), ("rp2", 3)]
    commands = hotplug_commands(config, write(tmp_path, "new.toml", SPARE_NEW), "amd64")
    adds = [c["arguments"] for c in commands if c["execute"] == "device_add"]
    assert [(a["id"], a["bus"]) for a in adds] == [("pci0", "rp1"), ("rng1", "rp2")]
    assert adds[0]["chassis_nr"] == 4


def test_spare_root_ports_only_where_the_root_bus_has_no_hot_plug(tmp_path: Path) -> None:
    config = write(tmp_path, "vm.toml", "[machine]\nspare_root_ports = 1\n")
    with pytest.raises(ConfigError) as error:
        build_file(config, "ppc64le")
    [(path, message)] = error.value.problems
    assert path == "machine.spare_root_ports"
    assert "hot-plugs PCI devices on its root bus" in message


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ["amd64", "arm64", "riscv64"])
def test_qemu_takes_a_bridge_on_a_spare_port(arch: str, tmp_path: Path) -> None:
    config = write(tmp_path, "vm.toml", SPARE)
    vm = build_file(config, arch)
    with paused_qemu([qemu_binary(vm.binary), *argv(vm)[1:]]) as qmp:
        new = write(tmp_path, "new.toml", SPARE_NEW)
        for command in hotplug_commands(config, new, arch):
            qmp.execute(command["execute"], **command["arguments"])
        assert {"pci0": "pci-bridge", "rng1": "virtio-rng-pci"}.items() <= qmp.devices().items()


def test_explain_lists_the_free_ports(tmp_path: Path) -> None:
    config = write(tmp_path, "vm.toml", SPARE)
    result = CliRunner().invoke(app, ["explain", "--arch", "arm64", str(config)])
    assert result.exit_code == 0, result.output
    assert "\nFree ports for genqemu hotplug: rp1, rp2\n" in result.stdout  # rp0: hotplug = false


def with_qmp_socket(folder: Path, config: Path) -> tuple[Path, Path]:
    """`config` with a [[qmp]] socket of its own, for genqemu --qmp."""
    sock = folder / "vm.qmp"
    text = config.read_text() + f'\n[[qmp]]\npath = "{sock}"\nwait = false\n'
    return write(folder, "vm-qmp.toml", text), sock


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ["amd64", "s390x"])
def test_qmp_option_sends_and_unplugs(arch: str, short_tmp: Path) -> None:
    """--qmp adds the disk, NIC and port; on s390x, unplug --qmp removes CONFIG's
    disk and, after DEVICE_DELETED, its block node."""
    config = localized(short_tmp, vm_for(arch), ("root.qcow2",))
    config, sock = with_qmp_socket(short_tmp, config)
    new = localized(short_tmp, NEW, ("data.qcow2",))
    vm = build_file(config, arch)
    with paused_qemu([qemu_binary(vm.binary), *argv(vm)[1:]]) as qmp:
        code, out, err = run_cli(
            "hotplug", "--arch", arch, "--qmp", str(sock), str(config), str(new)
        )
        assert (code, out, err) == (0, "", "")
        assert {"data", "nic1", "agentport"} <= set(qmp.devices())
        if arch == "s390x":
            code, out, err = run_cli(
                "unplug", "--arch", arch, "--qmp", str(sock), str(config), "disk0"
            )
            assert (code, err) == (0, "")
            assert "disk0" not in qmp.devices()
            nodes = {b["inserted"]["node-name"] for b in qmp.execute("query-block")}
            assert "drive-disk0" not in nodes


@pytest.mark.qemu
def test_qmp_failure_undoes_what_was_added(short_tmp: Path) -> None:
    """The NIC's netdev_add fails (a user netdev of that id exists already, added
    behind genqemu's back): the disk added before it is removed again, exit 1
    with QEMU's message and the command."""
    config = localized(short_tmp, vm_for("s390x"), ("root.qcow2",))
    config, sock = with_qmp_socket(short_tmp, config)
    new = localized(short_tmp, NEW, ("data.qcow2",))
    vm = build_file(config, "s390x")
    with paused_qemu([qemu_binary(vm.binary), *argv(vm)[1:]]) as qmp:
        qmp.execute("netdev_add", type="user", id="netdev-nic1")
        before = set(qmp.devices())
        code, out, err = run_cli(
            "hotplug",
            "--arch",
            "s390x",
            "--qmp",
            str(sock),
            "--timeout",
            "5",
            str(config),
            str(new),
        )
        assert (code, out) == (1, "")
        assert 'QEMU refused {"execute": "netdev_add"' in err
        assert "Duplicate" in err or "already" in err, err
        assert "the VM is as it was" in err
        assert set(qmp.devices()) == before
        nodes = {b["inserted"]["node-name"] for b in qmp.execute("query-block")}
        assert "drive-data" not in nodes
        assert "agent" not in {c["label"] for c in qmp.execute("query-chardev")}


def test_qmp_option_without_a_socket(tmp_path: Path) -> None:
    code, out, err = run_cli(
        "hotplug",
        "--arch",
        "s390x",
        "--qmp",
        str(tmp_path / "none"),
        str(vm_for("s390x")),
        str(NEW),
    )
    assert (code, out) == (1, "")
    assert "cannot connect to QMP at" in err


HOT_DISK_AND_NIC = """
[[device]]
kind = "virtio-blk"
id = "hp-disk"
file = "{file}"
format = "raw"

[[device]]
kind = "virtio-net"
id = "hp-nic"
[device.netdev]
type = "user"
"""


@pytest.mark.qemu
@pytest.mark.parametrize(("example", "arch"), EXAMPLE_CASES)
def test_every_example_takes_a_disk_and_a_nic(example: str, arch: str, short_tmp: Path) -> None:
    """Each example's VM, started paused on QEMU 7.2 (or the oldest QEMU it is
    for, with two spare root ports where the machine needs them), takes a
    hot-plugged disk and NIC; a machine
    with virtio-mmio only (microvm) refuses them, saying why."""
    raw, _ = localize(read_toml(example_path(example)), arch, short_tmp)
    raw.pop("incoming", None)  # a VM waiting for a migration stream is another test's
    vm = build(raw, arch, example, TEST_SETTINGS)
    machine = vm.profile.machine(vm.machine_type)
    assert machine is not None
    if machine.hotplug_port:
        raw["machine"]["spare_root_ports"] = 2
    config = write(short_tmp, "vm.toml", tomlwriter.dumps(raw))
    (short_tmp / "hp.img").write_bytes(bytes(1 << 20))
    new = write(short_tmp, "new.toml", HOT_DISK_AND_NIC.format(file=short_tmp / "hp.img"))
    if not vm.profile.transports[machine.transports[0]].hotplug:
        with pytest.raises(ConfigError, match="cannot hot-plug on the mmio transport"):
            hotplug_commands(config, new, arch, TEST_SETTINGS)
        return
    commands = hotplug_commands(config, new, arch, TEST_SETTINGS)
    binary_of = partial(qemu_binary, version=oldest_qemu(example))
    found = devices_after(config, arch, binary_of, TEST_SETTINGS, commands)
    suffix = vm.profile.transports[machine.transports[0]].suffix
    assert (found["hp-disk"], found["hp-nic"]) == ("virtio-blk" + suffix, "virtio-net" + suffix)
