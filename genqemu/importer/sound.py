"""Sound cards in `genqemu import`: a card's -audiodev, and an HDA controller's codec.

genqemu writes each card with an -audiodev of its own and an HDA controller
with one codec on its bus (ID.0) that holds the backend; these read that
back into the card's audio, wav_path and codec keys.
"""

from __future__ import annotations

from typing import Any

from genqemu.importer.canon import Piece
from genqemu.importer.claims import Claim, Pool
from genqemu.qemu_facts import AUDIO_DRIVERS, HDA_CODECS


def hda_codec(pool: Pool, table: dict[str, Any]) -> Piece | None:
    """The one HDA codec on the controller's bus (ID.0), as genqemu writes it
    (no id, an -audiodev of its own); its driver becomes the codec key."""
    bus = f"{table.get('id')}.0"
    found = [
        p
        for p in pool.free("device")
        if p.get("bus") == bus and p.get("driver") in HDA_CODECS and p.get("audiodev")
    ]
    if found and found[0].get("id") is not None:
        return None  # genqemu gives the codec no id
    if "id" not in table or len(found) != 1 or set(dict(found[0].props)) - {
        "driver", "id", "bus", "audiodev"
    }:  # fmt: skip
        return None
    if found[0].get("driver") != "hda-duplex":
        table["codec"] = found[0].get("driver")
    return found[0]


def audiodev_keys(audio: Piece, device: Piece, pool: Pool, claim: Claim) -> dict[str, Any] | None:
    values = dict(audio.props)
    values.pop("id", None)
    driver = values.pop("driver", "")
    keys: dict[str, Any] = {} if driver == "none" else {"audio": driver}
    if driver == "wav" and "path" in values:
        keys["wav_path"] = values.pop("path")
    return None if values or driver not in AUDIO_DRIVERS else keys
