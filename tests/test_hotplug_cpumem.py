"""genqemu hotplug --cpus and --memory: the commands per arch, their errors,
and QEMU 7.2 taking them (query-hotpluggable-cpus, query-memory-devices)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TEST_SETTINGS, qemu_binary
from support.qmp import paused_qemu
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from genqemu.build import build_file
from genqemu.cli import app
from genqemu.errors import ConfigError
from genqemu.hotplug import dumps, hotplug_commands
from genqemu.render import argv

# The VM each test starts from, by arch: free vCPU slots (smp.maxcpus) and DIMM
# slots (memory.slots, memory.maxmem). amd64 with sockets, cores and threads;
# pseries under TCG runs one thread per core.
SMP = {
    "amd64": "[smp]\ncpus = 2\nsockets = 2\ncores = 2\nthreads = 2\nmaxcpus = 8\n",
    "s390x": "[smp]\ncpus = 1\nmaxcpus = 4\n",
    "ppc64le": "[smp]\ncpus = 1\nmaxcpus = 4\n",
}
MEMORY = '[memory]\nsize = "1G"\nslots = 2\nmaxmem = "4G"\n'
FIRMWARE = {"arm64": '[firmware]\ntype = "uefi"\nvars = "/tmp/genqemu-cpumem.vars.fd"\n'}


def config(folder: Path, arch: str, extra: str = "") -> Path:
    path = folder / f"{arch}.toml"
    path.write_text(SMP.get(arch, "") + MEMORY + FIRMWARE.get(arch, "") + extra)
    return path


def problems(path: Path, arch: str, **more: object) -> dict[str, str]:
    with pytest.raises(ConfigError) as error:
        hotplug_commands(path, None, arch, TEST_SETTINGS, **more)  # type: ignore[arg-type]
    assert error.value.source == f"{path} (hotplug)"
    return dict(error.value.problems)


@pytest.mark.parametrize(("arch", "count"), [("amd64", 3), ("s390x", 2), ("ppc64le", 2)])
def test_cpus(arch: str, count: int, tmp_path: Path, text_snapshot: SnapshotAssertion) -> None:
    commands = hotplug_commands(config(tmp_path, arch), None, arch, cpus=count)
    assert [c["execute"] for c in commands] == ["device_add"] * count
    assert dumps(commands) == text_snapshot


def test_cpus_follow_the_topology(tmp_path: Path) -> None:
    """2 of 2 sockets * 2 cores * 2 threads run: the next are socket 0 core 1's
    threads, then socket 1's first; -smp without a topology fills cores."""
    commands = hotplug_commands(config(tmp_path, "amd64"), None, "amd64", cpus=3)
    slots = [
        (a["socket-id"], a["core-id"], a["thread-id"]) for a in (c["arguments"] for c in commands)
    ]
    assert slots == [(0, 1, 0), (0, 1, 1), (1, 0, 0)]
    plain = tmp_path / "plain.toml"
    plain.write_text("[smp]\ncpus = 1\nmaxcpus = 4\n")
    (only,) = hotplug_commands(plain, None, "amd64", cpus=1)
    assert {k: only["arguments"][k] for k in ("socket-id", "core-id", "thread-id")} == {
        "socket-id": 0,
        "core-id": 1,
        "thread-id": 0,
    }


def test_cpu_type_follows_the_model(tmp_path: Path) -> None:
    """The config's model names the type; pseries' alias names its full model;
    under KVM alone s390x's default is host."""
    path = config(tmp_path, "amd64", '[cpu]\nmodel = "Skylake-Client"\n')
    (first, *_) = hotplug_commands(path, None, "amd64", cpus=1)
    assert first["arguments"]["driver"] == "Skylake-Client-x86_64-cpu"
    path = config(tmp_path, "ppc64le", '[cpu]\nmodel = "power10"\n')
    (first, *_) = hotplug_commands(path, None, "ppc64le", cpus=1)
    assert first["arguments"]["driver"] == "power10_v2.0-spapr-cpu-core"
    path = config(tmp_path, "s390x", '[machine]\naccel = "kvm"\n')
    (first, *_) = hotplug_commands(path, None, "s390x", cpus=1)
    assert first["arguments"]["driver"] == "host-s390x-cpu"
    path = config(tmp_path, "s390x", '[machine]\naccel = "kvm:tcg"\n')
    assert "cpu.model" in problems(path, "s390x", cpus=1)


@pytest.mark.parametrize(
    ("arch", "extra"),
    [("amd64", "share = true\n"), ("arm64", ""), ("ppc64le", "")],
    ids=["amd64", "arm64", "ppc64le"],
)
def test_memory(arch: str, extra: str, tmp_path: Path, text_snapshot: SnapshotAssertion) -> None:
    """A RAM backend of the kind the guest's RAM has (amd64: shared, a memfd) and
    a pc-dimm."""
    text = MEMORY + extra + FIRMWARE.get(arch, "")
    path = tmp_path / "vm.toml"
    path.write_text(text)
    commands = hotplug_commands(path, None, arch, TEST_SETTINGS, memory="512M")
    assert [c["execute"] for c in commands] == ["object-add", "device_add"]
    assert dumps(commands) == text_snapshot


def test_cpus_and_memory_and_new_in_one_call(tmp_path: Path) -> None:
    """NEW's devices first, then the vCPUs, then the DIMM; no id twice."""
    new = tmp_path / "new.toml"
    new.write_text('[[device]]\nkind = "virtio-rng"\nid = "dimm0"\n')
    path = config(tmp_path, "s390x")
    commands = hotplug_commands(path, new, "s390x", cpus=1)
    assert [c["arguments"]["id"] for c in commands] == ["rng-dimm0", "dimm0", "cpu1"]
    path = config(tmp_path, "amd64", "[machine]\nspare_root_ports = 1\n")
    commands = hotplug_commands(path, new, "amd64", cpus=1, memory="1G")
    ids = [c["arguments"].get("id") for c in commands]
    assert ids == ["rng-dimm0", "dimm0", "cpu2", "mem-dimm1", "dimm1"]


def test_errors_name_the_key_and_the_fix(tmp_path: Path) -> None:
    found = problems(config(tmp_path, "amd64"), "amd64", cpus=7)
    assert found == {
        "smp.maxcpus": "smp.cpus (2) + --cpus 7 = 9 is over smp.maxcpus (8): add at most 6, "
        "or raise smp.maxcpus (and restart the VM)"
    }
    no_max = tmp_path / "nomax.toml"
    no_max.write_text("[smp]\ncpus = 2\n")
    assert "start it with smp.maxcpus" in problems(no_max, "amd64", cpus=1)["smp.maxcpus"]
    no_slots = tmp_path / "noslots.toml"
    no_slots.write_text('[memory]\nsize = "1G"\n')
    assert (
        "memory.slots and memory.maxmem" in problems(no_slots, "amd64", memory="1G")["memory.slots"]
    )
    over = problems(config(tmp_path, "amd64"), "amd64", memory="3584M")["memory.maxmem"]
    assert over.startswith("--memory 3584M is over what memory.maxmem (4G) leaves free")
    assert "(3G)" in over
    full = config(
        tmp_path,
        "amd64",
        '[[device]]\nkind = "nvdimm"\nfile = "/tmp/a"\nsize = "256M"\n'
        '[[device]]\nkind = "nvdimm"\nfile = "/tmp/b"\nsize = "256M"\n',
    )
    assert problems(full, "amd64", memory="256M") == {
        "memory.slots": "all 2 are taken by CONFIG's NVDIMMs: raise memory.slots "
        "(and restart the VM)"
    }
    assert (
        "multiple of 256M"
        in problems(config(tmp_path, "ppc64le"), "ppc64le", memory="100M")["--memory"]
    )
    path = tmp_path / "threads.toml"
    path.write_text(
        '[machine]\naccel = "kvm"\n[smp]\ncpus = 2\nthreads = 2\ncores = 2\nsockets = 1\n'
        "maxcpus = 4\n"
    )
    assert "give a multiple of 2" in problems(path, "ppc64le", cpus=1)["--cpus"]


@pytest.mark.parametrize(
    ("arch", "option", "why"),
    [
        ("arm64", "cpus", "QEMU has no vCPU hot-plug on arm64 virt"),
        ("riscv64", "cpus", "QEMU has no vCPU or DIMM hot-plug on riscv64 virt"),
        ("riscv64", "memory", "QEMU has no vCPU or DIMM hot-plug on riscv64 virt"),
        ("s390x", "memory", "QEMU has no DIMM hot-plug on s390x: pc-dimm does not exist there"),
    ],
)
def test_arch_cannot(arch: str, option: str, why: str, tmp_path: Path) -> None:
    more: dict[str, object] = {"cpus": 1} if option == "cpus" else {"memory": "256M"}
    found = problems(config(tmp_path, arch), arch, **more)
    assert found == {f"--{option}": f"{why}: remove --{option}"}


def test_arm64_dimms_need_firmware(tmp_path: Path) -> None:
    path = tmp_path / "vm.toml"
    path.write_text(MEMORY)
    assert "[firmware]" in problems(path, "arm64", memory="256M")["firmware"]


def test_cli(tmp_path: Path) -> None:
    path = config(tmp_path, "s390x")
    result = CliRunner().invoke(app, ["hotplug", "--arch", "s390x", str(path), "--cpus", "1"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == dumps(hotplug_commands(path, None, "s390x", cpus=1))
    result = CliRunner().invoke(app, ["hotplug", "--arch", "s390x", str(path)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "hotplug needs NEW.toml, --cpus N or --memory SIZE" in result.stderr
    result = CliRunner().invoke(app, ["hotplug", "--arch", "s390x", str(path), "--memory", "1X"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "--memory: '1X' is not a size" in result.stderr


@pytest.mark.qemu
@pytest.mark.parametrize(
    ("arch", "memory"), [("amd64", "512M"), ("s390x", None), ("ppc64le", "256M")]
)
def test_qemu_takes_them(arch: str, memory: str | None, short_tmp: Path) -> None:
    """--qmp on a paused QEMU 7.2: the slots the commands name are taken (a
    qom-path), query-cpus-fast counts the vCPUs, the DIMM is listed with its size."""
    sock = short_tmp / "vm.qmp"
    path = config(short_tmp, arch, f'[[qmp]]\npath = "{sock}"\nwait = false\n')
    vm = build_file(path, arch)
    count = 2
    commands = hotplug_commands(path, None, arch, cpus=count, memory=memory)
    with paused_qemu([qemu_binary(vm.binary), *argv(vm)[1:]]) as qmp:
        before = len(qmp.execute("query-cpus-fast"))
        more = ["--memory", memory] if memory else []
        result = CliRunner().invoke(
            app, ["hotplug", "--arch", arch, "--qmp", str(sock), str(path), "--cpus", "2", *more]
        )
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
        assert len(qmp.execute("query-cpus-fast")) == before + count
        taken = {
            tuple(sorted(slot["props"].items())): slot.get("qom-path")
            for slot in qmp.execute("query-hotpluggable-cpus")
        }
        for command in commands[:count]:
            arguments = command["arguments"]
            props = {k: v for k, v in arguments.items() if k not in ("driver", "id")}
            key = next(k for k in taken if set(props.items()) <= set(k))
            assert taken[key] == f"/machine/peripheral/{arguments['id']}"
        if memory:
            (dimm,) = qmp.execute("query-memory-devices")
            assert (dimm["type"], dimm["data"]["id"]) == ("dimm", "dimm0")
            assert dimm["data"]["size"] == {"512M": 512, "256M": 256}[memory] << 20
