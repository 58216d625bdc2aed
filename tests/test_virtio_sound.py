"""virtio-sound (QEMU 8.2): its own -audiodev as the other cards have, its
streams and jacks within what QEMU takes, the version gate, and import."""

from __future__ import annotations

from typing import Any

import pytest

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.render import render
from genqemu.settings import SHIPPED

NEW = SHIPPED._replace(qemu_version="10.0")


def options(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, ...]]:
    return [tuple(o) for o in render(build(raw, arch, settings=NEW))]


def problems(raw: dict[str, Any], settings: Any = NEW) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, "amd64", settings=settings)
    return error.value.problems


def test_a_virtio_sound_card_plays_through_its_own_backend() -> None:
    raw = {"device": [{"kind": "virtio-sound", "streams": 4, "audio": "alsa"}]}
    assert options(raw)[-2:] == [
        ("-audiodev", "alsa,id=audio-sound0"),
        ("-device", "virtio-sound-pci,id=sound0,audiodev=audio-sound0,streams=4"),
    ]


def test_on_microvm_it_is_a_virtio_mmio_device() -> None:
    raw = {"machine": {"type": "microvm"}, "device": [{"kind": "virtio-sound"}]}
    assert options(raw)[-1] == ("-device", "virtio-sound-device,id=sound0,audiodev=audio-sound0")


@pytest.mark.parametrize("streams", [0, 11])
def test_streams_qemu_refuses_are_refused(streams: int) -> None:
    """QEMU 10.0: "Invalid number of streams: 11"."""
    found = problems({"device": [{"kind": "virtio-sound", "streams": streams}]})
    assert [path for path, _ in found] == ["device[0].streams"]


def test_jacks_are_not_a_key_as_they_leave_the_guest_without_the_card() -> None:
    """QEMU 10.0's jacks=1 makes Linux 6.12's virtio_snd fail its probe (-95);
    the command line's jacks goes to extra_args on import (QEMU's option as written)."""
    from genqemu.importer import import_text

    found = problems({"device": [{"kind": "virtio-sound", "jacks": 1}]})
    assert [path for path, _ in found] == ["device[0].jacks"]
    result = import_text(
        "qemu-system-x86_64 -M q35 -audiodev none,id=a -device virtio-sound-pci,audiodev=a,jacks=1"
    )
    assert result.passthrough == ["-audiodev none", "-device virtio-sound-pci"]


def test_it_needs_qemu_8_2_and_says_how_to_state_a_newer_one() -> None:
    found = problems({"device": [{"kind": "virtio-sound"}]}, SHIPPED)
    assert found == [
        (
            "device[0].kind",
            "virtio-sound needs QEMU 8.2; the target is QEMU 7.2 (the amd64 profile's "
            'qemu_version): if yours is 8.2 or newer, say so with qemu_version = "8.2" or '
            "--qemu-version 8.2",
        )
    ]
    assert build({"qemu_version": "8.2", "device": [{"kind": "virtio-sound"}]}, "amd64")


def test_s390x_has_no_virtio_sound() -> None:
    with pytest.raises(ConfigError, match="virtio-sound"):
        build({"device": [{"kind": "virtio-sound"}]}, "s390x", settings=NEW)


def test_import_types_it_with_its_backend_and_says_the_qemu_it_needs() -> None:
    from genqemu.importer import import_text

    result = import_text(
        "qemu-system-x86_64 -M q35 -audiodev wav,id=snd,path=/tmp/a.wav "
        "-device virtio-sound-pci,id=vs,audiodev=snd,streams=3"
    )
    assert result.passthrough == []
    assert result.config["qemu_version"] == "8.2"
    assert result.config["device"] == [
        {
            "kind": "virtio-sound",
            "id": "vs",
            "backend_id": "snd",
            "audio": "wav",
            "wav_path": "/tmp/a.wav",
            "streams": 3,
        }
    ]


def test_import_of_a_card_every_qemu_has_says_no_version() -> None:
    from genqemu.importer import import_text

    result = import_text("qemu-system-x86_64 -M q35 -audiodev none,id=a -device AC97,audiodev=a")
    assert "qemu_version" not in result.config
