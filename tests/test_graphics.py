"""Graphics adapters: which exist where, their QEMU properties, and the order
and count rules QEMU enforces (checked here before QEMU)."""

from __future__ import annotations

from typing import Any

import pytest

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.render import render


def devices(raw: dict[str, Any], arch: str) -> list[str]:
    return [o[1] for o in render(build(raw, arch)) if o[0] == "-device"]


def problems(raw: dict[str, Any], arch: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


@pytest.mark.parametrize(
    ("arch", "kind", "driver"),
    [
        ("amd64", "vga", "VGA"),
        ("amd64", "cirrus-vga", "cirrus-vga"),
        ("amd64", "qxl-vga", "qxl-vga"),
        ("amd64", "virtio-vga", "virtio-vga"),
        ("amd64", "bochs-display", "bochs-display"),
        ("amd64", "ramfb", "ramfb"),
        ("amd64", "virtio-gpu", "virtio-gpu-pci"),
        ("arm64", "virtio-gpu", "virtio-gpu-pci"),
        ("arm64", "ramfb", "ramfb"),
        ("ppc64le", "vga", "VGA"),
        ("riscv64", "bochs-display", "bochs-display"),
        ("s390x", "virtio-gpu", "virtio-gpu-ccw"),
    ],
)
def test_each_adapter_exists_where_qemu_has_it(arch: str, kind: str, driver: str) -> None:
    (device,) = devices({"device": [{"kind": kind}]}, arch)
    assert device.startswith(f"{driver},id=gpu0")


@pytest.mark.parametrize(
    ("arch", "kind"),
    [
        ("arm64", "vga"),
        ("arm64", "virtio-vga"),
        ("riscv64", "ramfb"),
        ("ppc64le", "virtio-vga"),
        ("ppc64le", "qxl-vga"),
        ("s390x", "bochs-display"),
    ],
)
def test_an_adapter_the_arch_lacks_is_refused(arch: str, kind: str) -> None:
    ((path, message),) = problems({"device": [{"kind": kind}]}, arch)
    assert path == "device[0].kind"
    assert message.startswith(f"{kind} does not exist on {arch}")


def test_virtio_gpu_is_refused_over_mmio() -> None:
    """Modern-only: Linux leaves it unbound on QEMU's legacy virtio-mmio (the
    profiles' [unusable] says why), so microvm has none."""
    raw = {"machine": {"type": "microvm"}, "device": [{"kind": "virtio-gpu"}]}
    assert problems(raw, "amd64") == [
        ("device[0].kind", "virtio-gpu has no transport on amd64 machine microvm")
    ]


def test_video_memory_is_spelled_as_each_driver_wants() -> None:
    raw = {
        "device": [
            {"kind": "vga", "vgamem_mb": 32, "xres": 1024, "yres": 768, "edid": False},
            {"kind": "cirrus-vga", "vgamem_mb": 8},
            {"kind": "bochs-display", "vgamem": "64M"},
            {"kind": "virtio-gpu", "max_outputs": 2},
        ]
    }
    assert devices(raw, "amd64") == [
        "VGA,id=gpu0,vgamem_mb=32,xres=1024,yres=768,edid=off",
        "cirrus-vga,id=gpu1,vgamem_mb=8",
        "bochs-display,id=gpu2,vgamem=64M",
        "virtio-gpu-pci,id=gpu3,max_outputs=2",
    ]


@pytest.mark.parametrize(
    ("device", "message"),
    [
        ({"kind": "cirrus-vga", "vgamem_mb": 12}, "QEMU's cirrus-vga has 4, 8, 16 MiB"),
        ({"kind": "vga", "vgamem_mb": 1024}, "QEMU clamps a VGA's video memory to 512 MiB"),
        ({"kind": "bochs-display", "vgamem": "2M"}, "must be at least 4M"),
        ({"kind": "virtio-gpu", "max_outputs": 17}, "must be <= 16"),
    ],
)
def test_values_qemu_refuses_or_changes_are_refused(device: dict[str, Any], message: str) -> None:
    ((path, text),) = problems({"device": [device]}, "amd64")
    assert path.startswith("device[0].")
    assert message in text


def test_qxl_vga_must_be_the_first_display_device() -> None:
    """QEMU 7.2: "primary qxl-vga device must be console 0"."""
    raw = {"device": [{"kind": "vga"}, {"kind": "qxl-vga"}]}
    ((path, message),) = problems(raw, "amd64")
    assert path == "device[1].kind"
    assert "first display device" in message and "device[0] (vga)" in message
    assert devices({"device": raw["device"][::-1]}, "amd64") == ["qxl-vga,id=gpu0", "VGA,id=gpu1"]


def test_one_ramfb_only() -> None:
    """QEMU 7.2: "duplicate fw_cfg file name: vgaroms/vgabios-ramfb.bin"."""
    ((path, message),) = problems({"device": [{"kind": "ramfb"}, {"kind": "ramfb"}]}, "amd64")
    assert (path, "QEMU allows one" in message) == ("device[1].kind", True)


def test_the_vga_shorthand_is_refused_next_to_adapters() -> None:
    ((path, message),) = problems({"vga": "std", "device": [{"kind": "virtio-gpu"}]}, "amd64")
    assert path == "vga"
    assert 'kind = "vga"' in message
    raw = {"vga": "none", "device": [{"kind": "virtio-gpu"}]}
    assert devices(raw, "amd64") == ["virtio-gpu-pci,id=gpu0"]


def test_import_types_every_adapter_and_its_properties() -> None:
    from genqemu.importer import import_text

    line = (
        "qemu-system-x86_64 -machine q35 -device qxl-vga,xres=1024,yres=768"
        " -device VGA,vgamem_mb=32,edid=off -device bochs-display,vgamem=32M"
        " -device virtio-gpu-pci,max_outputs=2 -device ramfb -device cirrus-vga,vgamem_mb=8"
        " -device virtio-vga"
    )
    typed = import_text(line)
    assert "extra_args" not in typed.config
    assert typed.config["device"] == [
        {"kind": "qxl-vga", "xres": 1024, "yres": 768},
        {"kind": "vga", "vgamem_mb": 32, "edid": False},
        {"kind": "bochs-display", "vgamem": "32M"},
        {"kind": "virtio-gpu", "max_outputs": 2},
        {"kind": "ramfb"},
        {"kind": "cirrus-vga", "vgamem_mb": 8},
        {"kind": "virtio-vga"},
    ]
    ccw = import_text("qemu-system-s390x -device virtio-gpu-ccw,devno=fe.0.0005")
    assert ccw.config["device"] == [{"kind": "virtio-gpu", "devno": "fe.0.0005"}]


def test_each_desktop_example_has_its_screenshot_in_the_docs() -> None:
    """docs/screens/<arch>.png, written by the boot tests (tests/support/boot_screen.py),
    for every arch with a desktop example, each a PNG that docs/boot.md shows."""
    from conftest import ARCHES, example_path
    from support.boot_screen import SCREEN_EXAMPLE, SCREENS

    boot_doc = (SCREENS.parent / "boot.md").read_text()
    for arch in ARCHES:
        if not example_path(f"{arch}/{SCREEN_EXAMPLE}").exists():
            continue
        picture = SCREENS / f"{arch}.png"
        assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), picture
        assert f"(screens/{arch}.png)" in boot_doc
