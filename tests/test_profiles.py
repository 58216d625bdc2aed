"""Arch profiles: loading, aliases, self-consistency, and agreement with real QEMU."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import ARCHES, QEMU_VERSIONS, qemu_binary
from support.qemu_help import device_drivers, object_types

from genqemu.config import CONFIDENTIAL
from genqemu.devices import DEVICE
from genqemu.devices.ata import AtaAttached
from genqemu.devices.usb import UsbCdrom
from genqemu.errors import ConfigError, UsageError
from genqemu.profile_files import arch_names
from genqemu.profiles import Profile, load_profile
from genqemu.qemu_facts import lacks
from genqemu.schema import Problems
from genqemu.settings import Settings


def test_the_four_arches_ship() -> None:
    """Further arches are one profile file each; these four always ship."""
    assert {"amd64", "arm64", "ppc64le", "s390x"} <= set(ARCHES)


@pytest.mark.parametrize(
    ("name", "arch"),
    [
        ("amd64", "amd64"),
        ("x86_64", "amd64"),
        ("arm64", "arm64"),
        ("aarch64", "arm64"),
        ("ppc64le", "ppc64le"),
        ("ppc64", "ppc64le"),
        ("s390x", "s390x"),
        ("s390", "s390x"),
    ],
)
def test_names_and_aliases_load_the_same_profile(name: str, arch: str) -> None:
    assert load_profile(name).arch == arch
    assert arch_names()[name] == arch


@pytest.mark.parametrize("name", ["mips64el", "../profiles/amd64", "", "AMD64"])
def test_unknown_arch_is_a_usage_error(name: str) -> None:
    with pytest.raises(UsageError, match="unknown architecture"):
        load_profile(name)


def test_machine_lookup_matches_versioned_types() -> None:
    amd64 = load_profile("amd64")
    assert amd64.machine("pc-q35-7.2") is amd64.machines["q35"]
    assert amd64.machine("pc-i440fx-7.2") is amd64.machines["pc"]
    assert amd64.machine("microvm") is amd64.machines["microvm"]
    assert amd64.machine("isapc") is None


def test_a_profile_with_dangling_names_is_refused() -> None:
    problems = Problems()
    Profile.load(
        {
            "arch": "x",
            "qemu_version": "7.2",
            "binary": "qemu-system-x",
            "default_machine": "m",
            "machines": {"n": {"transports": ["pci"]}},
            "transports": {"ccw": {"suffix": "-ccw"}},
            "devices": {"virtio-blk": ["mmio"]},
        },
        "",
        problems,
    )
    assert problems.items == [
        ("default_machine", "'m' is not one of the [machines] tables"),
        ("machines.n.transports", "'pci' is not one of the [transports] tables"),
        ("devices.virtio-blk", "'mmio' is not one of the [transports] tables"),
    ]


def test_a_broken_profile_file_is_reported_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "toy.toml").write_text('arch = "toy"\nbinary = 3\n')
    with pytest.raises(ConfigError) as error:
        load_profile("toy", Settings(profile_dirs=(tmp_path,)))
    assert str(error.value).splitlines() == [
        f"{tmp_path}/toy.toml: binary: must be string, got integer 3",
        f"{tmp_path}/toy.toml: qemu_version: required key is missing: the QEMU version the "
        "profile was checked against (JSON syntax needs 7.2)",
        f"{tmp_path}/toy.toml: default_machine: required key is missing: machine used "
        "when the config names none",
        f"{tmp_path}/toy.toml: machines: required key is missing: the machine types "
        "genqemu knows on this arch",
        f"{tmp_path}/toy.toml: transports: required key is missing: transports of this "
        "arch: their driver-name suffixes, numbering and keys",
        f"{tmp_path}/toy.toml: devices: required key is missing: device kinds that exist "
        "here and the transports each attaches over (a virtio kind's driver is its name "
        "plus the transport's suffix); [] for none",
    ]


# The profile tables must say what the real binaries say, on every QEMU version tested.
BY_VERSION = pytest.mark.parametrize("qemu", QEMU_VERSIONS, ids=lambda v: f"qemu{v}")


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ARCHES)
@BY_VERSION
def test_every_listed_driver_exists_and_no_other_transport_does(qemu: str, arch: str) -> None:
    profile = load_profile(arch)
    binary = qemu_binary(profile.binary, qemu)
    drivers = device_drivers(binary)
    objects = object_types(binary)
    for kind, transports in profile.devices.items():
        if kind == "serial":  # -serial, not a -device
            continue
        if kind in CONFIDENTIAL.models and lacks(qemu, kind):
            assert kind not in objects, f"{arch}: QEMU {qemu} has {kind}: fix SINCE"
        elif kind in CONFIDENTIAL.models:
            assert kind in objects or _kvm_only_on_foreign_host(kind, arch), (
                f"{arch}: no -object {kind}"
            )
        if kind in CONFIDENTIAL.models:
            continue
        model = DEVICE.models[kind]
        if lacks(qemu, kind):  # a kind newer than this QEMU (qemu_facts.SINCE)
            found = {kind + t.suffix for t in profile.transports.values()} & drivers
            assert not found, f"{arch}: QEMU {qemu} has {sorted(found)}: fix SINCE"
            continue
        if isinstance(model, type) and issubclass(model, AtaAttached):
            # Its driver follows the bus (genqemu/ata.py): ATA where the arch has AHCI.
            ata = "ahci" in profile.devices
            for driver in (model.ata_driver if ata else "", model.scsi_driver):
                assert not driver or driver in drivers, f"{arch}: no {driver}"
            continue
        if model is UsbCdrom:  # a usb-bot with a scsi-cd on it (templates/usb-cdrom.j2)
            assert {model.bot_driver, "scsi-cd"} <= drivers, f"{arch}: no usb-bot or scsi-cd"
            continue
        if not model.virtio:
            driver = profile.drivers.get(kind, kind)
            assert driver in drivers, f"{arch}: no {driver}"
            continue
        for name, transport in profile.transports.items():
            driver = kind + transport.suffix
            if name in transports:
                assert driver in drivers, f"{arch}: profile lists {driver}, QEMU lacks it"
            elif transports and driver not in profile.unusable:
                assert driver not in drivers, f"{arch}: QEMU has {driver}; list it"


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ARCHES)
@BY_VERSION
def test_each_machines_tpm_exists(qemu: str, arch: str) -> None:
    """The [tpm] device of every machine that has one (the pause-start of each
    is in test_acceptance, through the examples, and test_tpm)."""
    profile = load_profile(arch)
    drivers = device_drivers(qemu_binary(profile.binary, qemu))
    for name, machine in profile.machines.items():
        assert machine.tpm is None or machine.tpm in drivers, f"{arch} {name}: no {machine.tpm}"


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ARCHES)
@BY_VERSION
def test_kinds_left_out_do_not_exist(qemu: str, arch: str) -> None:
    """A device kind another arch has is either listed here or missing from QEMU."""
    profile = load_profile(arch)
    binary = qemu_binary(profile.binary, qemu)
    drivers, objects = device_drivers(binary), object_types(binary)
    every_kind = {k for a in ARCHES for k in load_profile(a).devices} - {"serial"}
    for kind in sorted(every_kind - set(profile.devices)):
        if kind in CONFIDENTIAL.models:
            assert kind not in objects, f"{arch}: QEMU has -object {kind}; list it"
        elif kind in NOT_HERE.get(arch, {}):
            assert NOT_HERE[arch][kind]
        else:
            assert kind not in drivers and f"{kind}-pci" not in drivers, (
                f"{arch}: QEMU has {kind}; list it or say why not in NOT_HERE"
            )


# Objects QEMU compiles only with KVM for the target, so a binary built for
# another host (s390x emulated on x86_64, as here) lacks them.
KVM_ONLY = {"s390-pv-guest": "target/s390x/kvm/pv.c is built only with KVM"}


def _kvm_only_on_foreign_host(kind: str, arch: str) -> bool:
    host = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    return kind in KVM_ONLY and host != arch


# Drivers QEMU has on an arch but that no machine genqemu knows there can use,
# each with what QEMU says when you try.
NOT_HERE = {
    "ppc64le": {
        "pcie-root-port": 'pseries: PCI Bridge lacks a "chassis_nr" property',
        "pcie-pci-bridge": 'pseries: PCI Bridge lacks a "chassis_nr" property',
        "vfio-ccw": "s390x channel I/O only",
        "ib700": "pseries: No 'ISA' bus found for device 'ib700'",
    },
    "arm64": {
        "vga": "virt has no VGA I/O ports; a VGA framebuffer is not coherent under KVM",
        "cirrus-vga": "virt has no VGA I/O ports; a VGA framebuffer is not coherent under KVM",
    },
    "riscv64": {
        "vga": "virt has no VGA I/O ports (virtio-gpu and bochs-display instead)",
        "cirrus-vga": "virt has no VGA I/O ports (virtio-gpu and bochs-display instead)",
        "virtio-vga": "virt has no VGA I/O ports (virtio-gpu is the same GPU without them)",
        "ramfb": "virt: 'ramfb device requires fw_cfg with DMA'",
    },
    "s390x": {
        "nvdimm": "s390-ccw-virtio has no memory hotplug for NVDIMMs",
        # QEMU 10.0 builds e1000e for s390x (zPCI) and starts it; 7.2, whose
        # facts the profile holds, does not build it.
        "e1000e": "not built by qemu-system-s390x 7.2 (10.0 has it, on zPCI)",
        "nvme": "not built by qemu-system-s390x 7.2 (10.0 has it, on zPCI)",
        "nvme-ns": "not built by qemu-system-s390x 7.2 (10.0 has it, on an nvme)",
        "virtio-mem": "not built by qemu-system-s390x 7.2 (10.0 has it, -ccw and -pci)",
        # QEMU 10.0 builds qemu-xhci (on zPCI) and the USB devices; 7.2 no USB at all.
        **dict.fromkeys(
            ("qemu-xhci", "usb-hub", "usb-tablet", "usb-kbd", "usb-mouse", "usb-storage"),
            "not built by qemu-system-s390x 7.2 (10.0 has it, on zPCI)",
        ),
        **dict.fromkeys(
            ("usb-host", "usb-redir"), "not built by qemu-system-s390x 7.2 (10.0 has it)"
        ),
        # s390x 7.2 has no sound at all; virtio-sound (QEMU 8.2) is in 10.0, on zPCI.
        "virtio-sound": "not built by qemu-system-s390x 7.2 (10.0 has it, on zPCI)",
    },
}


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ARCHES)
@BY_VERSION
def test_machines_and_default_cpu_exist(qemu: str, arch: str) -> None:
    profile = load_profile(arch)
    binary = qemu_binary(profile.binary, qemu)
    machines = subprocess.run(
        [binary, "-machine", "help"], capture_output=True, text=True, check=True
    ).stdout
    names = {line.split()[0] for line in machines.splitlines()[1:] if line.strip()}
    for name, machine in profile.machines.items():
        assert name in names
        for pattern in machine.match:
            regex = re.compile(pattern.replace(".", r"\.").replace("*", ".*"))
            assert any(regex.fullmatch(n) for n in names), pattern
    default = re.search(r"^(\S+) .*\(default\)$", machines, re.MULTILINE)
    named = profile.qemu_default_machine
    if default is None:
        assert named is None
    else:
        assert named is not None
        assert profile.machine(named) is profile.machine(default.group(1))
        alias = re.search(rf"^{re.escape(named)} .*\(alias of (\S+)\)$", machines, re.MULTILINE)
        assert named == default.group(1) or (alias and alias.group(1) == default.group(1))
    if profile.default_cpu:
        cpus = subprocess.run(
            [binary, "-cpu", "help"], capture_output=True, text=True, check=True
        ).stdout
        assert re.search(rf"\b{profile.default_cpu}\b", cpus)


def _qom(binary: str, machine: str, requests: list[tuple[str, str]]) -> list[object]:
    """qom-get each (path, property) on a paused machine under TCG."""
    import json

    lines = ['{"execute":"qmp_capabilities"}']
    lines += [
        json.dumps({"execute": "qom-get", "arguments": {"path": p, "property": n}})
        for p, n in requests
    ]
    lines.append('{"execute":"quit"}')
    result = subprocess.run(
        [binary, "-M", machine, "-accel", "tcg", "-S", "-display", "none", "-nodefaults",
         "-qmp", "stdio"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    replies = [json.loads(line) for line in result.stdout.splitlines() if '"return"' in line]
    return [r["return"] for r in replies[1 : 1 + len(requests)]]


def _start(binary: str, *args: str) -> tuple[bool, str]:
    """Start `binary` paused under TCG and quit over QMP: (started, stderr)."""
    result = subprocess.run(
        [binary, "-S", "-display", "none", "-nodefaults", *args, "-qmp", "stdio"],
        input='{"execute": "qmp_capabilities"}\n{"execute": "quit"}\n',
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode == 0, result.stderr


def _tcg_machine(profile: Profile, name: str) -> str:
    """`-machine NAME,accel=tcg,...` with the options the profile gives under TCG."""
    options = profile.accel["tcg"].machine_options if "tcg" in profile.accel else {}
    spelled = {k: ("on" if v is True else "off" if v is False else v) for k, v in options.items()}
    return ",".join([name, "accel=tcg", *(f"{k}={v}" for k, v in spelled.items())])


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ARCHES)
def test_qemus_own_defaults_in_the_profile_are_qemus(arch: str) -> None:
    """qemu_default_cpu and each machine's qemu_options, which genqemu import
    writes out so that an imported command line starts the same VM."""
    profile = load_profile(arch)
    binary = qemu_binary(profile.binary)
    for name, machine in profile.machines.items():
        if machine.qemu_options:
            got = _qom(binary, name, [("/machine", o) for o in machine.qemu_options])
            assert got == list(machine.qemu_options.values()), name
    if profile.qemu_default_cpu:
        path = "/machine/unattached/device[0]"
        cpu = _qom(binary, profile.default_machine, [(path, "type")])
        assert str(cpu[0]).startswith(f"{profile.qemu_default_cpu}-"), cpu


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ARCHES)
def test_vga_cards_listed_per_machine_are_the_ones_qemu_builds(arch: str) -> None:
    """A listed -vga card starts without QEMU's "does not use that option"
    warning; every other card genqemu knows fails or is ignored there."""
    from genqemu.config import Config

    profile = load_profile(arch)
    binary = qemu_binary(profile.binary)
    cards = Config.fields["vga"].check.choices  # type: ignore[attr-defined]
    for name, machine in profile.machines.items():
        for card in cards:
            started, stderr = _start(binary, "-machine", _tcg_machine(profile, name), "-vga", card)
            works = started and "does not use that option" not in stderr
            assert works == (card in machine.vga), (arch, name, card, stderr)


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ARCHES)
def test_cpus_missing_under_an_accelerator_are_and_the_alternative_is_not(arch: str) -> None:
    """Only TCG can be started here: each CPU model [accel.tcg] says it lacks
    fails under TCG, and the model named instead starts."""
    profile = load_profile(arch)
    binary = qemu_binary(profile.binary)
    missing = profile.accel["tcg"].missing_cpus if "tcg" in profile.accel else {}
    assert missing, f"{arch}: say which CPU models need KVM (host does everywhere)"
    machine = _tcg_machine(profile, profile.default_machine)
    for model, instead in missing.items():
        started, stderr = _start(binary, "-machine", machine, "-cpu", model)
        assert not started and model in stderr, (arch, model, stderr)
        started, stderr = _start(binary, "-machine", machine, "-cpu", instead)
        assert started, (arch, instead, stderr)


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ARCHES)
def test_options_that_weaken_others_are_not_needed_to_start(arch: str) -> None:
    """Options of an accelerator marked weakens_others are withheld after a
    fallback (kvm:tcg), so QEMU must start under it without them."""
    profile = load_profile(arch)
    binary = qemu_binary(profile.binary)
    for accel, spec in profile.accel.items():
        if spec.weakens_others:
            assert accel == "tcg", "only TCG can be started here: check it by hand"
            for name in profile.machines:
                started, stderr = _start(binary, "-machine", f"{name},accel=tcg")
                assert started, (arch, name, stderr)
