"""Did-you-mean suggestions: only what the user likely meant, never a different thing."""

from __future__ import annotations

import pytest

from genqemu.devices import DEVICE
from genqemu.schema import closest, suggest

KINDS = list(DEVICE.models)


@pytest.mark.parametrize(
    ("word", "meant"),
    [
        ("virtio-bkl", "virtio-blk"),  # two neighbours swapped
        ("vitrio-net", "virtio-net"),
        ("virtio-blok", "virtio-blk"),  # one letter too many
        ("virtio-ballon", "virtio-balloon"),  # one missing
        ("serail", "serial"),
        ("vhost-user-bkl", "vhost-user-blk"),
    ],
)
def test_a_slip_of_the_keyboard_is_suggested(word: str, meant: str) -> None:
    assert closest(word, KINDS) == meant


@pytest.mark.parametrize(
    "word",
    [
        "nvme-subsys",  # not nvme-ns: another device
        "scsi-cd",  # not scsi-hd: one letter, but all of what "cd" means
        "virtio-crypto",
        "pcnet",  # a network card genqemu does not model
        "u2f-passthru",  # a USB device genqemu does not model
    ],
)
def test_a_different_device_is_not_suggested(word: str) -> None:
    assert closest(word, KINDS) is None
    message = suggest(word, KINDS, "UNMODELLED")
    assert message.startswith(
        "; valid: ac97, ahci, bochs-display, cdrom, cirrus-vga, diag288, e1000, e1000e, "
        "es1370, guest-agent, i6300esb, "
    )
    assert message.endswith("; UNMODELLED")


@pytest.mark.parametrize(
    ("word", "choices", "meant"),
    [
        ("fil", ["file", "format", "id"], "file"),
        ("nme", ["name", "uuid"], "name"),
        ("q53", ["q35", "pc", "microvm"], "q35"),
        ("sockt", ["socket", "stdio", "file", "pty"], "socket"),
        ("mem-path", ["mem_path", "share"], "mem_path"),  # the separator
        ("backendid", ["backend_id", "bus"], "backend_id"),
        ("iommu_plaftorm", ["iommu_platform"], "iommu_platform"),
        ("id", ["if", "bus"], None),  # a two-letter word is all meaning
        ("cpus", ["cpu", "cores"], "cpu"),
        ("threads", ["sockets", "cores"], None),
    ],
)
def test_keys_and_values(word: str, choices: list[str], meant: str | None) -> None:
    assert closest(word, choices) == meant
