"""genqemu import of -audio DRIVER,model=M: typed as the sound card it makes, or
kept as written with a note saying why.

QEMU makes an -audiodev (id audiodev0 unless the option names one) and the
card on it before any -device (soundhw_init); genqemu types that as the card's
[[device]] with its audio key. The imported TOML with its summary is a
snapshot; tests/support/argv_equivalence.py, which models -audio on its own,
judges that the re-rendered argv starts the same VM, and QEMU itself is asked
for the devices and PCI addresses of both.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import QEMU_VERSIONS, TEST_SETTINGS, qemu_binary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.argv_equivalence import differences
from support.qmp import paused_qemu
from syrupy.assertion import SnapshotAssertion
from test_import import TomlSnapshot, fds_of, rerender, round_trips_or_is_refused

from genqemu.importer import ImportResult, import_text
from genqemu.profiles import load_profile

X86 = "qemu-system-x86_64"
# name -> (argv after the binary, binary, options kept as written)
TYPED: dict[str, tuple[list[str], str]] = {
    "pc-hda-none": (["-machine", "pc", "-audio", "none,model=hda"], X86),
    "q35-hda-pa": (["-machine", "q35", "-audio", "pa,model=hda"], X86),
    "q35-ac97-wav": (["-machine", "q35", "-audio", "wav,model=ac97,path=/tmp/guest.wav"], X86),
    "pc-es1370-driver-key": (["-machine", "pc", "-audio", "driver=none,model=es1370"], X86),
    "q35-virtio": (["-machine", "q35", "-audio", "none,model=virtio"], X86),
    "q35-own-id": (["-machine", "q35", "-audio", "alsa,model=ac97,id=speaker"], X86),
    "q35-before-devices": (
        [
            "-machine",
            "q35",
            "-device",
            "e1000",
            "-device",
            "virtio-rng-pci",
            "-audio",
            "none,model=hda",
        ],
        X86,
    ),
    "q35-after-nic": (
        ["-machine", "q35", "-audio", "none,model=ac97", "-nic", "user,model=virtio"],
        X86,
    ),
    "arm64-virt-hda": (["-machine", "virt", "-audio", "none,model=hda"], "qemu-system-aarch64"),
    "ppc64le-pseries-ac97": (
        ["-machine", "pseries", "-audio", "none,model=ac97"],
        "qemu-system-ppc64",
    ),
    "riscv64-virt-es1370": (
        ["-machine", "virt", "-audio", "none,model=es1370"],
        "qemu-system-riscv64",
    ),
}
# name -> (argv after the binary, binary, what the note says)
KEPT: dict[str, tuple[list[str], str, str]] = {
    "no-model": (["-machine", "q35", "-audio", "none"], X86, "names no card"),
    "sb16": (["-machine", "pc", "-audio", "none,model=sb16"], X86, "no sound kind for the sb16"),
    "timer-period": (
        ["-machine", "q35", "-audio", "none,model=hda,timer-period=100"],
        X86,
        "timer-period",
    ),
    "wav-without-path": (
        ["-machine", "q35", "-audio", "wav,model=ac97"],
        X86,
        "with the wav backend and only",
    ),
    "s390x": (["-audio", "none,model=hda"], "qemu-system-s390x", "has no intel-hda card"),
    "microvm": (["-machine", "microvm", "-audio", "none,model=hda"], X86, "no bus for the"),
    "two": (
        ["-machine", "q35", "-audio", "none,model=hda", "-audio", "none,model=ac97"],
        X86,
        "a second -audio, which QEMU refuses",
    ),
    "backend-named-elsewhere": (
        [
            "-machine",
            "q35",
            "-audio",
            "none,model=ac97",
            "-device",
            "intel-hda,id=h2",
            "-device",
            "hda-output,bus=h2.0,audiodev=audiodev0",
        ],
        X86,
        "another option names its backend audiodev0",
    ),
}


def _import(argv: list[str]) -> ImportResult:
    return import_text(json.dumps(argv), None, TEST_SETTINGS)


def _round_trip(argv: list[str], snapshot: SnapshotAssertion) -> tuple[ImportResult, list[str]]:
    result = _import(argv)
    toml_text, again = rerender(result)
    assert toml_text == snapshot.use_extension(TomlSnapshot)
    assert differences(argv, {}, again.argv, fds_of(again), load_profile(result.arch)) == []
    return result, again.argv


@pytest.mark.parametrize("name", TYPED)
def test_audio_is_typed_as_its_card(name: str, snapshot: SnapshotAssertion) -> None:
    args, binary = TYPED[name]
    result, _ = _round_trip([binary, *args], snapshot)
    assert not any(label.startswith("-audio") for label in result.passthrough)
    cards = [d for d in result.config["device"] if d["kind"] not in ("virtio-rng", "virtio-net")]
    assert len(cards) == 1
    assert not [n for n in result.notes if "-audio" in n]


@pytest.mark.parametrize("name", KEPT)
def test_audio_genqemu_cannot_write_is_kept_with_a_note(
    name: str, snapshot: SnapshotAssertion
) -> None:
    args, binary, why = KEPT[name]
    result, _ = _round_trip([binary, *args], snapshot)
    option = args[args.index("-audio") : args.index("-audio") + 2]
    assert result.config["extra_args"][: len(option)] == option or option[1] in " ".join(
        result.config["extra_args"]
    )
    assert [n for n in result.notes if n.startswith("-audio") and why in n]


def test_audio_of_a_card_genqemu_types_in_its_place_on_the_bus() -> None:
    """An -audio after -device in the input: QEMU still makes its card first, so
    it takes the first free slot, and genqemu writes it first."""
    argv = [X86, "-machine", "q35", "-device", "virtio-rng-pci", "-audio", "none,model=ac97"]
    result = _import(argv)
    assert [d["kind"] for d in result.config["device"]] == ["ac97", "virtio-rng"]


@pytest.mark.parametrize(
    ("output", "why"),
    [
        (["-audiodev", "none,id=a", "-device", "ich9-intel-hda,id=s", "-device",
          "hda-duplex,bus=s.0,audiodev=a"], "ich9-intel-hda"),
        (["-audiodev", "none,id=a", "-device", "intel-hda,id=s", "-device",
          "hda-output,bus=s.0,audiodev=a"], "hda-output"),
        (["-audiodev", "none,id=a", "-device", "AC97,audiodev=a"], "input only"),
        (["-device", "virtio-rng-pci", "-audiodev", "none,id=a", "-device", "intel-hda,id=s",
          "-device", "hda-duplex,bus=s.0,audiodev=a"], "device order"),
    ],
)  # fmt: skip
def test_the_oracle_tells_a_different_sound_card_apart(output: list[str], why: str) -> None:
    """The same VM only: -audio none,model=hda is intel-hda + hda-duplex on an
    -audiodev none, created before the -device options."""
    before = [X86, "-machine", "q35", "-device", "virtio-rng-pci", "-audio", "none,model=hda"]
    if "virtio-rng-pci" not in output:
        before = [X86, "-machine", "q35", "-audio", "none,model=hda"]
    found = differences(before, {}, [X86, "-machine", "q35", *output], {}, load_profile("amd64"))
    assert found and why in " ".join(found), found


def test_the_oracle_compares_the_backends_properties() -> None:
    before = [X86, "-audio", "wav,model=ac97,path=/a.wav"]
    same = [X86, "-audiodev", "wav,id=x,path=/a.wav", "-device", "AC97,audiodev=x"]
    other = [X86, "-audiodev", "wav,id=x,path=/b.wav", "-device", "AC97,audiodev=x"]
    profile = load_profile("amd64")
    assert differences(before, {}, same, {}, profile) == []
    assert differences(before, {}, other, {}, profile) != []


_VOCABULARY = [
    ["-audio", "none,model=hda"], ["-audio", "wav,model=ac97,path=/w.wav"],
    ["-audio", "none,model=es1370,id=a1"], ["-audio", "none"], ["-audio", "none,model=sb16"],
    ["-device", "virtio-rng-pci"], ["-nic", "user,model=virtio"], ["-M", "q35"],
    ["-audiodev", "none,id=audiodev0"], ["-device", "AC97,audiodev=audiodev0"],
    ["-device", "intel-hda,id=h"], ["-device", "hda-micro,bus=h.0,audiodev=a1"],
]  # fmt: skip


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_VOCABULARY), max_size=6),
    st.sampled_from([X86, "qemu-system-aarch64", "qemu-system-s390x"]),
)
def test_random_audio_command_lines_round_trip_or_are_refused(
    options: list[list[str]], binary: str
) -> None:
    round_trips_or_is_refused([binary, *(word for option in options for word in option)])


def _pci(qmp: Any) -> list[tuple[int, int, int, str]]:
    """Every PCI function QEMU made: (bus, slot, function, vendor:device)."""
    found = []
    for bus in qmp.execute("query-pci"):
        for device in bus["devices"]:
            ident = device["id"]
            found.append(
                (device["bus"], device["slot"], device["function"],
                 f"{ident['vendor']:04x}:{ident['device']:04x}")
            )  # fmt: skip
    return sorted(found)


def _sound(qmp: Any) -> list[str]:
    """The QOM types of the sound devices, codecs included."""
    return sorted(t for _, t in qmp.walk() if t in _SOUND_TYPES)


_SOUND_TYPES = {"intel-hda", "hda-duplex", "AC97", "ES1370", "virtio-sound-pci"}
# On 7.2; and on 10.0.2, the newest QEMU the suite runs, where -audio has virtio.
LIVE = [
    *(pytest.param(name, QEMU_VERSIONS[0], id=name) for name in (
        "pc-hda-none", "q35-ac97-wav", "q35-before-devices", "q35-after-nic", "arm64-virt-hda",
        "ppc64le-pseries-ac97", "riscv64-virt-es1370", "pc-es1370-driver-key", "q35-own-id")),
    *(pytest.param(name, QEMU_VERSIONS[-1], id=f"{name}-{QEMU_VERSIONS[-1]}")
      for name in ("q35-virtio", "q35-before-devices")),
]  # fmt: skip


@pytest.mark.qemu
@pytest.mark.parametrize(("name", "version"), LIVE)
def test_qemu_makes_the_same_devices_from_audio_and_from_the_import(
    name: str, version: str, tmp_path: Any
) -> None:
    """QEMU itself: the same PCI functions at the same addresses and the same
    sound devices, from the input's -audio and from the re-rendered config."""
    args, binary = TYPED[name]
    args = [a.replace("/tmp/guest.wav", str(tmp_path / "guest.wav")) for a in args]
    _, again = rerender(_import([binary, *args]))
    found = []
    for argv in ([binary, *args], again.argv):
        with paused_qemu([qemu_binary(binary, version), *argv[1:]]) as qmp:
            found.append((_pci(qmp), _sound(qmp)))
    assert found[0] == found[1]
    assert found[0][1]
