"""Resolution: transports, ids, references and CCW device numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.render import render


def devices(*entries: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {**top, "device": list(entries)}


RNG = {"kind": "virtio-rng"}


def problems(raw: dict[str, Any], arch: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


@pytest.mark.parametrize(
    ("arch", "machine", "driver", "rule"),
    [
        ("amd64", None, "virtio-rng-pci", "default of machine q35"),
        ("amd64", "microvm", "virtio-rng-device", "default of machine microvm"),
        ("amd64", "pc-q35-7.2", "virtio-rng-pci", "default of machine pc-q35-7.2"),
        ("arm64", None, "virtio-rng-pci", "default of machine virt"),
        ("s390x", None, "virtio-rng-ccw", "default of machine s390-ccw-virtio"),
        ("ppc64le", None, "virtio-rng-pci", "default of machine pseries"),
    ],
)
def test_transport_comes_from_the_machine(
    arch: str, machine: str | None, driver: str, rule: str
) -> None:
    raw = devices(RNG, machine={"type": machine} if machine else {})
    device = build(raw, arch).devices[0]
    assert device.driver == driver
    assert device.transport_rule == rule


@pytest.mark.parametrize(
    ("arch", "transport", "driver"),
    [
        ("arm64", "mmio", "virtio-rng-device"),
        ("s390x", "pci", "virtio-rng-pci"),
    ],
)
def test_a_device_may_override_its_transport(arch: str, transport: str, driver: str) -> None:
    device = build(devices({**RNG, "transport": transport}), arch).devices[0]
    assert (device.driver, device.transport_rule) == (driver, "set by the device")


def test_an_unavailable_transport_names_the_alternatives() -> None:
    assert problems(devices({**RNG, "transport": "ccw"}), "ppc64le") == [
        (
            "device[0].transport",
            "virtio-rng has no 'ccw' transport on ppc64le machine pseries; use one of: pci",
        )
    ]


def test_devnos_are_allocated_in_order_skipping_taken_ones() -> None:
    raw = devices(RNG, {**RNG, "devno": "FE.0.2"}, RNG, {"kind": "virtio-balloon"})
    numbers = [d.devno for d in build(raw, "s390x").devices]
    assert numbers == ["fe.0.0001", "fe.0.0002", "fe.0.0003", "fe.0.0004"]


def test_a_devno_used_twice_is_an_error() -> None:
    raw = devices({**RNG, "devno": "fe.0.0007"}, {**RNG, "devno": "fe.0.7"})
    assert problems(raw, "s390x") == [
        ("device[1].devno", "fe.0.0007 is already used by device[0]: pick another or leave it out")
    ]


def test_devnos_are_not_given_on_other_transports() -> None:
    vm = build(devices(RNG, {**RNG, "transport": "pci"}), "s390x")
    assert [d.devno for d in vm.devices] == ["fe.0.0001", None]
    assert "devno" not in " ".join(" ".join(o) for o in render(vm) if "virtio-rng-pci" in o[-1])


def test_automatic_ids_skip_the_ones_the_config_took() -> None:
    raw = devices({**RNG, "id": "rng0"}, RNG, {**RNG, "id": "rng2"}, RNG)
    assert [d.id for d in build(raw, "amd64").devices] == ["rng0", "rng1", "rng2", "rng3"]


def test_a_user_id_may_not_take_a_backend_id() -> None:
    raw = devices({**RNG, "id": "a"}, {"kind": "virtio-balloon", "id": "rng-a"})
    assert problems(raw, "amd64") == [
        (
            "device[0].id",
            "its backend id 'rng-a' is already used by device[1]; ids must be unique: rename one",
        )
    ]


def test_block_node_names_fit_qemus_limit() -> None:
    raw = devices({"kind": "virtio-blk", "file": "/d", "id": "d" * 26})
    assert problems(raw, "amd64") == [
        (
            "device[0].id",
            f"too long: the block node name 'drive-{'d' * 26}' would have 32 "
            "characters and QEMU allows 31; shorten the id",
        )
    ]


def test_a_root_port_may_name_its_port_number() -> None:
    options = render(build(devices({"kind": "pcie-root-port", "id": "rp", "port": 16}), "amd64"))
    assert ("-device", "pcie-root-port,id=rp,chassis=1,port=16") in options


def test_a_backend_id_may_be_chosen() -> None:
    raw = devices(
        {"kind": "virtio-net", "backend_id": "hostnet0", "netdev": {"type": "user"}},
        {"kind": "virtio-blk", "file": "/d", "backend_id": "net0"},
    )
    options = render(build(raw, "amd64"))
    assert ("-netdev", "user,id=hostnet0") in options
    assert ("-device", "virtio-net-pci,id=net1,netdev=hostnet0") in options
    assert ("-device", "virtio-blk-pci,id=disk0,drive=net0") in options


def test_a_chosen_backend_id_must_be_unique_and_exists_only_with_a_backend() -> None:
    raw = devices(
        {**RNG, "id": "a", "backend_id": "b"},
        {"kind": "virtio-balloon", "id": "b"},
        {"kind": "virtio-balloon", "backend_id": "c"},
    )
    [(path, message)] = problems(raw, "amd64")
    assert (path, message.split(";")[0]) == ("device[2].backend_id", "unknown key")
    del raw["device"][2]
    assert problems(raw, "amd64") == [
        (
            "device[0].id",
            "its backend id 'b' is already used by device[1]; ids must be unique: rename one",
        )
    ]


def test_a_port_finds_the_only_controller_and_needs_a_choice_among_two() -> None:
    chardevs = [{"id": "a", "backend": "null"}]
    port = {"kind": "virtconsole", "chardev": "a"}
    one = build(devices({"kind": "virtio-serial", "id": "s"}, port, chardev=chardevs), "amd64")
    assert one.devices[1].refs["bus"] == "s"
    two = devices({"kind": "virtio-serial"}, {"kind": "virtio-serial"}, port, chardev=chardevs)
    assert problems(two, "amd64") == [
        (
            "device[2].bus",
            "virtconsole needs a virtio-serial: there are several (vser0, vser1): say which in bus",
        )
    ]


def test_a_reference_to_the_wrong_kind() -> None:
    raw = devices(
        {"kind": "virtio-balloon", "id": "b"}, {"kind": "virtio-blk", "file": "/d", "iothread": "b"}
    )
    assert problems(raw, "amd64") == [
        ("device[1].iothread", "'b' is a virtio-balloon (device[0]), not an iothread")
    ]


def test_iommu_platform_knob_on_pci_brings_disable_legacy() -> None:
    vm = build(devices(RNG, iommu_platform=True), "amd64")
    assert render(vm)[-1] == (
        "-device",
        "virtio-rng-pci,id=rng0,rng=rng-rng0,disable-legacy=on,iommu_platform=on",
    )
    ccw = build(devices(RNG, iommu_platform=True), "s390x")
    assert render(ccw)[-1] == (
        "-device",
        "virtio-rng-ccw,id=rng0,rng=rng-rng0,devno=fe.0.0001,iommu_platform=on",
    )


def test_iommu_platform_with_legacy_kept_on_pci_is_an_error() -> None:
    raw = devices({**RNG, "iommu_platform": True, "disable_legacy": False})
    assert problems(raw, "amd64") == [
        (
            "device[0].disable_legacy",
            "must be true with iommu_platform on PCI (QEMU offers "
            "no IOMMU to legacy virtio): remove it",
        )
    ]


def test_tcg_machine_options_and_limits_follow_the_accelerator() -> None:
    assert "cap-cfpc" in build({}, "ppc64le").machine_options
    assert "cap-cfpc" in build({"machine": {"accel": "tcg:kvm"}}, "ppc64le").machine_options
    assert build({"machine": {"accel": "kvm"}}, "ppc64le").machine_options == {}
    user = build({"machine": {"options": {"cap-cfpc": "workaround"}}}, "ppc64le")
    assert user.machine_options["cap-cfpc"] == "workaround"
    raw = {"smp": {"cpus": 2, "threads": 2}}
    assert problems(raw, "ppc64le") == [
        (
            "smp.threads",
            "ppc64le under tcg runs at most 1 thread(s) per core, got 2: use "
            "more cores or sockets instead",
        )
    ]
    assert build({**raw, "machine": {"accel": "kvm"}}, "ppc64le").config.smp
    # A fallback still cannot run what TCG cannot.
    assert problems({**raw, "machine": {"accel": "kvm:tcg"}}, "ppc64le")[0][0] == "smp.threads"


def test_a_fallback_never_weakens_the_preferred_accelerator() -> None:
    """pseries' TCG caps turn KVM-HV's Spectre mitigations off: a kvm:tcg
    chain does not get them (TCG then only warns), and explain says why."""
    vm = build({"machine": {"accel": "kvm:tcg"}}, "ppc64le")
    assert vm.machine_options == {}
    assert set(vm.withheld_machine_options) == {
        "cap-cfpc",
        "cap-sbbc",
        "cap-ibs",
        "cap-ccf-assist",
    }
    assert "withheld: it would weaken kvm" in vm.withheld_machine_options["cap-cfpc"]
    mine = build({"machine": {"accel": "kvm:tcg", "options": {"cap-ibs": "broken"}}}, "ppc64le")
    assert mine.machine_options == {"cap-ibs": "broken"}
    assert "cap-ibs" not in mine.withheld_machine_options


@pytest.mark.parametrize("accel", [None, "tcg", "kvm:tcg"])
def test_a_cpu_model_that_needs_kvm_is_refused_where_tcg_may_run(accel: str | None) -> None:
    machine = {"machine": {"accel": accel}} if accel else {}
    raw = {**machine, "cpu": {"model": "host"}}
    for arch in ("amd64", "ppc64le", "riscv64"):
        (path, message), *_ = problems(raw, arch)
        assert path == "cpu.model"
        assert "does not exist under tcg" in message
    assert build({"machine": {"accel": "kvm"}, "cpu": {"model": "host"}}, "arm64").cpu_model


TOY_PROFILE = """\
arch = "toy"
binary = "qemu-system-toy"
qemu_version = "7.2"
default_machine = "toy"

[machines.toy]
transports = ["vmbus", "pci"]
root_bus = "pcie.0"

[transports.vmbus]
suffix = "-vmbus"

[transports.pci]
suffix = "-pci"
keys = ["addr"]

[devices]
virtio-rng = ["vmbus", "pci"]
pcie-root-port = ["pci"]
"""


def test_a_transport_new_to_genqemu_needs_only_a_profile(tmp_path: Path) -> None:
    """Transports are profile data: a profile in a --profile-dir adds one (vmbus,
    with the -vmbus suffix) and a config uses it, with no change to genqemu/."""
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "toy.toml").write_text(TOY_PROFILE)
    config = tmp_path / "vm.toml"

    def generate(*entries: str, command: str = "generate") -> subprocess.CompletedProcess[str]:
        config.write_text("".join(f"[[device]]\n{entry}\n" for entry in entries))
        argv = [command, "--profile-dir", str(tmp_path / "profiles"), "--arch", "toy"]
        return subprocess.run(
            [sys.executable, "-m", "genqemu", *argv, str(config)],
            capture_output=True,
            text=True,
            check=False,
        )

    rng = 'kind = "virtio-rng"'
    result = generate(rng, f'{rng}\ntransport = "pci"\naddr = "0x5"', 'kind = "pcie-root-port"')
    assert result.returncode == 0, result.stderr
    assert "    -device virtio-rng-vmbus,id=rng0,rng=rng-rng0 \\\n" in result.stdout
    assert "    -device virtio-rng-pci,id=rng1,rng=rng-rng1,addr=0x5 \\\n" in result.stdout
    assert "    -device pcie-root-port,id=rp0,chassis=1 \\\n" in result.stdout
    explained = generate(rng, command="explain")
    assert "virtio-rng-vmbus  vmbus      default of machine toy" in explained.stdout
    refused = generate(f'{rng}\naddr = "0x5"')
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == (
        f"{config}: device[0].addr: only applies on the pci transport, and this "
        "virtio-rng uses vmbus on toy: remove it\n"
    )
