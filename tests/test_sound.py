"""Sound cards: each with its own -audiodev, an HDA controller with its codec,
the version gate on audio backends, and what a paused QEMU builds."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import qemu_binary
from support.qmp import paused_qemu

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.launch import plan
from genqemu.render import render
from genqemu.settings import SHIPPED


def options(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, ...]]:
    return [tuple(o) for o in render(build(raw, arch))]


def problems(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


def test_an_hda_controller_carries_its_codec_which_plays_through_the_backend() -> None:
    raw = {"device": [{"kind": "ich9-intel-hda", "codec": "hda-output", "audio": "alsa"}]}
    found = options(raw)
    assert found[-3:] == [
        ("-audiodev", "alsa,id=audio-sound0"),
        ("-device", "ich9-intel-hda,id=sound0"),
        ("-device", "hda-output,bus=sound0.0,audiodev=audio-sound0"),
    ]


def test_the_default_backend_is_silent_so_the_script_does_not_depend_on_the_host() -> None:
    found = options({"device": [{"kind": "ac97"}, {"kind": "es1370", "bus": "pcie.0"}]})
    assert found[-4:] == [
        ("-audiodev", "none,id=audio-sound0"),
        ("-device", "AC97,id=sound0,audiodev=audio-sound0"),
        ("-audiodev", "none,id=audio-sound1"),
        ("-device", "ES1370,id=sound1,audiodev=audio-sound1,bus=pcie.0"),
    ]


def test_a_wav_backend_records_to_its_path() -> None:
    raw = {"device": [{"kind": "intel-hda", "audio": "wav", "wav_path": "/tmp/out.wav"}]}
    assert ("-audiodev", "wav,id=audio-sound0,path=/tmp/out.wav") in options(raw)
    assert problems({"device": [{"kind": "intel-hda", "audio": "wav"}]}) == [
        ("device[0].wav_path", "required with audio = 'wav': set it")
    ]
    assert problems({"device": [{"kind": "ac97", "wav_path": "/x.wav"}]}) == [
        ("device[0].wav_path", "applies to audio = 'wav' only, not 'none': remove it")
    ]


def test_pipewire_needs_qemu_8_1() -> None:
    raw = {"device": [{"kind": "intel-hda", "audio": "pipewire"}]}
    ((path, message),) = problems(raw)
    assert path == "device[0].audio"
    assert message.startswith("-audiodev pipewire needs QEMU 8.1; the target is QEMU 7.2")
    vm = build(raw, "amd64", settings=SHIPPED._replace(qemu_version="10.0"))
    assert ("-audiodev", "pipewire,id=audio-sound0") in [tuple(o) for o in render(vm)]


def test_s390x_has_no_sound_card() -> None:
    ((path, message),) = problems({"device": [{"kind": "intel-hda"}]}, "s390x")
    assert path == "device[0].kind"
    assert message.startswith("intel-hda does not exist on s390x")


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ["amd64", "arm64", "ppc64le", "riscv64"])
def test_a_paused_qemu_builds_every_card_and_codec(arch: str) -> None:
    raw = {
        "machine": {"accel": "tcg"},
        "device": [
            {"kind": "intel-hda", "codec": "hda-micro"},
            {"kind": "ich9-intel-hda"},
            {"kind": "ac97"},
            {"kind": "es1370", "audio": "wav", "wav_path": "/dev/null"},
        ],
    }
    vm = build(raw, arch)
    with paused_qemu([qemu_binary(vm.binary), *plan(vm).argv[1:]]) as qmp:
        found = qmp.devices()
        codecs = sorted(t for _, t in qmp.walk("/machine/peripheral-anon") if t.startswith("hda-"))
    assert found == {
        "sound0": "intel-hda",
        "sound1": "ich9-intel-hda",
        "sound2": "AC97",
        "sound3": "ES1370",
    }
    assert codecs == ["hda-duplex", "hda-micro"]


def test_import_types_the_cards_with_their_backends_and_codecs() -> None:
    from genqemu.importer import import_text

    result = import_text(
        "qemu-system-x86_64 -M q35 "
        "-audiodev wav,id=snd,path=/tmp/a.wav -device intel-hda,id=hda "
        "-device hda-micro,bus=hda.0,audiodev=snd "
        "-audiodev alsa,id=a2 -device AC97,audiodev=a2"
    )
    assert result.passthrough == []
    devices = result.config["device"]
    assert devices[0] == {
        "kind": "intel-hda",
        "id": "hda",
        "codec": "hda-micro",
        "backend_id": "snd",
        "audio": "wav",
        "wav_path": "/tmp/a.wav",
    }
    assert devices[1]["kind"] == "ac97" and devices[1]["audio"] == "alsa"


def test_import_leaves_an_hda_controller_with_two_codecs_as_written() -> None:
    """Or a codec with an id: genqemu writes one codec, without one."""
    from genqemu.importer import import_text

    result = import_text(
        "qemu-system-x86_64 -M q35 -audiodev none,id=a -device intel-hda,id=hda "
        "-device hda-duplex,bus=hda.0,audiodev=a -device hda-output,bus=hda.0,audiodev=a"
    )
    assert "-device intel-hda" in result.passthrough
