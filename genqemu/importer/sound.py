"""Sound cards in `genqemu import`: a card's -audiodev, and an HDA controller's codec.

genqemu writes each card with an -audiodev of its own and an HDA controller
with one codec on its bus (ID.0) that holds the backend; these read that
back into the card's audio, wav_path and codec keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genqemu.importer.canon import GENERATED, Piece
from genqemu.importer.syntax import Option, parse_qemuopts
from genqemu.qemu_facts import AUDIO_DEFAULT_ID, AUDIO_DRIVERS, AUDIO_MODELS, HDA_CODECS

if TYPE_CHECKING:
    from genqemu.importer.claims import Claim, Pool, Target
    from genqemu.profiles import Profile


def hda_codec(pool: Pool, table: dict[str, Any], controller: Piece) -> Piece | None:
    """The one HDA codec on the controller's bus (ID.0), as genqemu writes it
    (no id, an -audiodev of its own); its driver becomes the codec key. The
    controller of -audio model=hda has an id QEMU made up (`*`)."""
    ident = table.get("id") or controller.get("id")
    bus = f"{ident}.0"
    found = [
        p
        for p in pool.free("device")
        if p.get("bus") == bus and p.get("driver") in HDA_CODECS and p.get("audiodev")
    ]
    if ident == GENERATED:  # only -audio's own codec, beside it
        found = [p for p in found if p.origin == controller.origin]
    if found and found[0].get("id") is not None:
        return None  # genqemu gives the codec no id
    if ident is None or len(found) != 1 or set(dict(found[0].props)) - {
        "driver", "id", "bus", "audiodev"
    }:  # fmt: skip
        return None
    if found[0].get("driver") != HDA_CODECS[0]:
        table["codec"] = found[0].get("driver")
    return found[0]


def audiodev_keys(audio: Piece, device: Piece, pool: Pool, claim: Claim) -> dict[str, Any] | None:
    values = dict(audio.props)
    if values.pop("id", None) == GENERATED and _named_elsewhere(pool, audio):
        return None  # renamed, the backend would no longer be the one they name
    driver = values.pop("driver", "")
    keys: dict[str, Any] = {} if driver == "none" else {"audio": driver}
    if driver == "wav" and "path" in values:
        keys["wav_path"] = values.pop("path")
    return None if values or driver not in AUDIO_DRIVERS else keys


def _named_elsewhere(pool: Pool, audio: Piece) -> bool:
    """Whether an option other than -audio's own names QEMU's default -audiodev id."""
    others = [p for p in pool.pieces if p.origin != audio.origin]
    return any(value == AUDIO_DEFAULT_ID for p in others for _, value in p.props)


def audio_cards(profile: Profile, virtio_suffix: str) -> dict[str, str]:
    """The QEMU driver of each kind -audio's models make that this arch has."""
    from genqemu.devices import DEVICE

    cards = {}
    for kind, _ in AUDIO_MODELS.values():
        if kind in profile.devices and kind in DEVICE.models:
            virtio = DEVICE.models[kind].virtio
            cards[kind] = kind + virtio_suffix if virtio else profile.drivers.get(kind, kind)
    return cards


def audio_pieces(option: Option, cards: dict[str, str]) -> list[Piece]:
    """`-audio DRIVER,model=M,...` as what QEMU makes of it: an -audiodev (id
    audiodev0 unless it names one) and the card on it, as genqemu writes them;
    an -audio of no model or a card this arch lacks stays as it is."""
    props = parse_qemuopts(option.arg or "", "driver")
    values = dict(props)
    kind, codec = AUDIO_MODELS.get(values.get("model", ""), ("", None))
    if (
        len(values) != len(props)
        or "driver" not in values
        or kind not in cards
        or (values.get("id") == "")
    ):
        return [Piece("audio", props, option.index)]
    ident = values.get("id") or GENERATED
    audiodev = [(k, v) for k, v in props if k not in ("model", "id")] + [("id", ident)]
    pieces = [Piece("audiodev", audiodev, option.index)]
    if codec is None:
        card = [("driver", cards[kind]), ("audiodev", ident)]
        return [*pieces, Piece("device", card, option.index)]
    controller = [("driver", cards[kind]), ("id", GENERATED)]
    codec_props = [("driver", codec), ("bus", GENERATED + ".0"), ("audiodev", ident)]
    return [
        *pieces,
        Piece("device", controller, option.index),
        Piece("device", codec_props, option.index),
    ]


def audio_notes(
    options: list[Option], typed: set[int], cards: dict[str, str], target: Target
) -> list[str]:
    """Why each -audio that stays in extra_args could not be typed."""
    notes = []
    for option in options:
        if option.name != "audio" or option.index in typed:
            continue
        props = parse_qemuopts(option.arg or "", "driver")
        values = dict(props)
        model = values.get("model")
        kind = AUDIO_MODELS.get(model or "", ("", None))[0]
        extra = sorted(set(values) - {"driver", "model", "id", "path"})
        ident = values.get("id", AUDIO_DEFAULT_ID)
        if sum(o.name == "audio" for o in options) > 1:
            why = "the line has a second -audio, which QEMU refuses (only one -soundhw option)"
        elif model is None:
            why = (
                "names no card (model=): it only sets the machine's default audio backend "
                "(QEMU 8.2), which genqemu has no key for"
            )
        elif not kind:
            known = ", ".join(AUDIO_MODELS)
            why = f"genqemu has no sound kind for the {model} card (it types {known})"
        elif kind not in cards:
            why = f"the {target.profile.arch} profile has no {kind} card"
        elif not set(target.profile.devices[kind]) & set(target.machine.transports):
            why = f"the machine has no bus for the {kind} card (QEMU refuses it too)"
        elif len(values) != len(props) or values.get("id") == "":
            why = "it gives a property twice, or an empty id"
        elif extra:
            why = f"genqemu has no key for the backend's {', '.join(extra)}"
        elif (values.get("driver") == "wav") != ("path" in values):
            why = "genqemu writes path= (wav_path) with the wav backend and only there"
        elif values.get("driver") not in AUDIO_DRIVERS:
            why = f"genqemu has no audio backend {values.get('driver')!r}"
        elif any(ident in (other.arg or "") for other in options if other is not option):
            why = f"another option names its backend {ident}, which genqemu would rename"
        else:
            why = "genqemu would create its card in another order, or write it otherwise"
        notes.append(f"{option.label()}: kept as written: {why}")
    return notes
