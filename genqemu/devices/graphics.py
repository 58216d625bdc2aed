"""Graphics adapters: the framebuffer a display shows and the guest draws on.

Which adapter exists is an arch fact (the profiles): VGA-compatible cards
where there is a PC-style VGA (amd64, pseries), virtio-gpu everywhere,
bochs-display and ramfb where firmware can use them. The top-level `vga` key
stays the shorthand for the machine's own card (`-vga`); with an adapter
given here it is refused unless "none", so a config says its cards one way.
QEMU refuses a qxl-vga that is not the first display device, and a second
ramfb (one fw_cfg file), so those are checked before QEMU.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from genqemu.devices.base import Device, PciDevice, VirtioDevice
from genqemu.schema import Problems, key
from genqemu.values import Boolean, Integer, Size

if TYPE_CHECKING:
    from genqemu.config import Config

MIB = 1 << 20
# virtio-gpu: "invalid max_outputs > 16" (QEMU 7.2, VIRTIO_GPU_MAX_SCANOUTS).
VIRTIO_GPU_MAX_OUTPUTS = 16
# qxl-vga: SPICE's "Device display ID count (17) is greater than limit 16".
QXL_MAX_OUTPUTS = 16
# cirrus-vga: "Invalid cirrus_vga ram size" for any other vgamem_mb.
CIRRUS_VGAMEM_MB = (4, 8, 16)


def _xres() -> Any:
    return key(
        Integer(min=1), default=None, doc="initial width in pixels (the EDID's preferred mode)"
    )


def _yres() -> Any:
    return key(Integer(min=1), default=None, doc="initial height in pixels")


def _edid() -> Any:
    return key(
        Boolean(), default=None, doc="offer the guest an EDID with the modes (QEMU's default: on)"
    )


def _max_outputs(most: int) -> Any:
    return key(
        Integer(min=1, max=most), default=None, doc=f"number of heads, 1 to {most} (default 1)"
    )


class Graphics(Device):
    """What every graphics adapter shares: the display-device order rules."""

    id_prefix = "gpu"
    template = "graphics.j2"
    must_be_first: ClassVar[bool] = False  # QEMU refuses it after another display device
    only_one: ClassVar[bool] = False  # QEMU refuses a second one

    def check_config(self, config: Config, problems: Problems) -> None:
        adapters = [d for d in config.device if isinstance(d, Graphics)]
        if adapters[0] is self and config.vga not in (None, "none"):
            problems.add(
                "vga",
                f"{config.vga!r} adds a card besides {self.toml_path} ({self.kind}): say the "
                'cards one way: drop vga (or set vga = "none") and add each card as a '
                '[[device]] (the std card is kind = "vga")',
            )
        if self.must_be_first and adapters[0] is not self:
            problems.add(
                f"{self.toml_path}.kind",
                f"QEMU refuses a {self.kind} that is not the first display device, and "
                f"{adapters[0].toml_path} ({adapters[0].kind}) comes before it: move it first",
            )
        same = [d for d in adapters if type(d) is type(self)]
        if self.only_one and same[0] is not self:
            problems.add(
                f"{self.toml_path}.kind",
                f"a second {self.kind} ({same[0].toml_path} is one): QEMU allows one; remove it",
            )


class Vga(Graphics, PciDevice):
    """The standard VGA card with Bochs VBE extensions (QEMU's VGA; Linux: bochs-drm)."""

    kind = "vga"
    vgamem_mb: int | None = key(
        Integer(min=1, max=512, hint="QEMU clamps a VGA's video memory to 512 MiB"),
        default=None,
        doc="video memory in MiB, 1 to 512 (QEMU's default: 16)",
    )
    xres: int | None = _xres()
    yres: int | None = _yres()
    edid: bool | None = _edid()


class CirrusVga(Graphics, PciDevice):
    """The Cirrus Logic GD5446, for old guests without a VBE driver (Linux: cirrus)."""

    kind = "cirrus-vga"
    vgamem_mb: int | None = key(
        Integer(min=4, max=16),
        default=None,
        doc="video memory in MiB: 4 (QEMU's default), 8 or 16",
    )

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        if self.vgamem_mb is not None and self.vgamem_mb not in CIRRUS_VGAMEM_MB:
            problems.add(
                f"{self.toml_path}.vgamem_mb",
                f"QEMU's cirrus-vga has {', '.join(map(str, CIRRUS_VGAMEM_MB))} MiB of video "
                f"memory only, not {self.vgamem_mb}",
            )


class QxlVga(Graphics, PciDevice):
    """The QXL paravirtual card for SPICE, VGA-compatible (Linux: qxl).
    QEMU wants it as the first display device."""

    kind = "qxl-vga"
    must_be_first = True
    only_one = True
    max_outputs: int | None = _max_outputs(QXL_MAX_OUTPUTS)
    xres: int | None = _xres()
    yres: int | None = _yres()


class BochsDisplay(Graphics, PciDevice):
    """A linear framebuffer with Bochs VBE registers and no VGA (Linux: bochs-drm)."""

    kind = "bochs-display"
    vgamem: int | None = key(
        Size(min=4 * MIB),
        default=None,
        doc="video memory, at least 4M (QEMU: 'video memory too small'); default 16M",
    )
    xres: int | None = _xres()
    yres: int | None = _yres()
    edid: bool | None = _edid()


class Ramfb(Graphics):
    """A framebuffer in guest RAM that firmware sets up over fw_cfg (UEFI's
    QemuRamfbDxe); the Linux kernel draws on it through the firmware's
    framebuffer (simpledrm/efifb). Needs fw_cfg with DMA."""

    kind = "ramfb"
    only_one = True


class VirtioGpu(Graphics, VirtioDevice):
    """The virtio GPU (2D), on any virtio transport (Linux: virtio_gpu)."""

    kind = "virtio-gpu"
    max_outputs: int | None = _max_outputs(VIRTIO_GPU_MAX_OUTPUTS)
    xres: int | None = _xres()
    yres: int | None = _yres()
    edid: bool | None = _edid()


class VirtioVga(Graphics, PciDevice):
    """virtio-gpu with VGA compatibility, for firmware and boot loaders that
    need VGA; PCI only, its driver has no transport suffix (Linux: virtio_gpu)."""

    kind = "virtio-vga"
    max_outputs: int | None = _max_outputs(VIRTIO_GPU_MAX_OUTPUTS)
    xres: int | None = _xres()
    yres: int | None = _yres()
    edid: bool | None = _edid()
