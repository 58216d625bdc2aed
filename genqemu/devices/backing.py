"""Backing chains: the read-only images under a qcow2 or qed overlay.

A disk's `backing` lists them nearest first, as `qemu-img info
--backing-chain` prints them, so a longer chain is a longer list rather
than nested tables. Each becomes two -blockdev nodes (its file and its
format) named from the disk's own node, and the node above names it with
`backing=`: QEMU opens exactly the declared images, read-only. Below the
last one listed, QEMU follows that image's own header, as it would anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from genqemu.checks import PATH
from genqemu.schema import Model, Problems, key
from genqemu.values import Text

if TYPE_CHECKING:
    from collections.abc import Sequence

# Formats that can have a backing file of their own (in QEMU 7.2 and 10.0).
OVERLAY_FORMATS = ("qcow2", "qed")
# What a backing image may be: any image format but LUKS, which needs a secret.
BACKING_FORMATS = ("raw", "qcow2", "qed", "vmdk", "vdi", "vhdx", "vpc")
NODE_NAME_MAX = 31  # QEMU: "Node name too long" from 32 characters on
# The longest name a backing node gets is the disk's node, "-base", its place
# and "-file" (templates/_macros.j2 names them).
_SUFFIX = "-base{}-file"


class Backing(Model):
    """One read-only image in a disk's backing chain."""

    file: str = key(PATH, doc="backing image on the host (opened read-only)")
    format: str = key(Text(choices=BACKING_FORMATS), doc="its image format")


def check_chain(
    path: str, fmt: str, chain: Sequence[Backing], node: str | None, problems: Problems
) -> None:
    """A chain hangs off an overlay format, every image but the last one is an
    overlay too, and the node names derived from `node` (when it is known
    before resolution) fit QEMU's limit."""
    if not chain:
        return
    if fmt not in OVERLAY_FORMATS:
        problems.add(
            f"{path}.backing",
            f"a {fmt} image has no backing file: only "
            + " and ".join(OVERLAY_FORMATS)
            + " overlays have one; set format to the overlay's or leave backing out",
        )
    for place, image in enumerate(chain[:-1]):
        if image.format not in OVERLAY_FORMATS:
            problems.add(
                f"{path}.backing[{place}].format",
                f"{image.format} cannot have the next image, backing[{place + 1}], as its "
                "backing file: only " + " and ".join(OVERLAY_FORMATS) + " images can",
            )
    longest = len(node or "") + len(_SUFFIX.format(len(chain)))
    if node is not None and longest > NODE_NAME_MAX:
        problems.add(
            f"{path}.backing",
            f"the backing nodes are named after the disk's node {node!r}, and "
            f"{node + _SUFFIX.format(len(chain))!r} is longer than the {NODE_NAME_MAX} "
            "characters QEMU takes: set a shorter backend_id (or id)",
        )
