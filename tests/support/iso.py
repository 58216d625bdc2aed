"""The smallest ISO 9660 image a guest reads a volume label from.

Written here rather than with genisoimage or pycdlib: the boot and acceptance
tests need only what a drive shows of a medium (its size, and the primary
volume descriptor with the label, which the guest reads with dd), so no tool
or package is added for it. The image has no directory tree: it does not mount.
"""

from __future__ import annotations

import struct
from pathlib import Path

SECTOR = 2048
_SECTORS = 32  # 64 KiB: the system area (16 sectors), the descriptors, padding


def _both(value: int) -> bytes:
    """ISO 9660's both-endian 32-bit number (7.3.3)."""
    return struct.pack("<I", value) + struct.pack(">I", value)


def iso_image(label: str) -> bytes:
    """An image whose primary volume descriptor names the volume `label`
    (d-characters: A-Z, 0-9, _; at most 32)."""
    assert len(label) <= 32 and label.replace("_", "").isalnum() and label.isupper(), label
    primary = bytearray(SECTOR)
    primary[0:7] = b"\x01CD001\x01"  # type 1 (primary), identifier, version
    primary[8:40] = b" " * 32  # system identifier
    primary[40:72] = label.encode().ljust(32)
    primary[80:88] = _both(_SECTORS)  # volume space size
    primary[120:124] = struct.pack("<H", 1) + struct.pack(">H", 1)  # volume set size
    primary[124:128] = struct.pack("<H", 1) + struct.pack(">H", 1)  # sequence number
    primary[128:132] = struct.pack("<H", SECTOR) + struct.pack(">H", SECTOR)  # block size
    primary[881] = 1  # file structure version
    terminator = bytearray(SECTOR)
    terminator[0:7] = b"\xffCD001\x01"
    image = bytes(16 * SECTOR) + bytes(primary) + bytes(terminator)
    return image.ljust(_SECTORS * SECTOR, b"\0")


def iso_label(path: str) -> str:
    """The volume label of an image iso_image wrote (what the guest should read)."""
    with Path(path).open("rb") as image:
        image.seek(16 * SECTOR + 40)
        return image.read(32).decode().rstrip()
