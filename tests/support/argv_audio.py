"""-audio DRIVER,model=M for the equivalence oracle (tests/support/argv_equivalence.py):
the -audiodev and the card QEMU makes of it, modelled apart from genqemu/importer."""

from __future__ import annotations

# The devices `-audio DRIVER,model=M` makes, measured with QMP on QEMU 7.2 and
# 10.0.2 (query-pci, qom-list): hda is intel-hda and an hda-duplex codec on
# its bus on every machine, q35 too; virtio (10.0) a virtio-sound on PCI.
AUDIO_CARDS = {
    "hda": ["intel-hda", "hda-duplex"],
    "ac97": ["AC97"],
    "es1370": ["ES1370"],
    "virtio": ["virtio-sound-pci"],
}


def audio_long_form(
    props: list[tuple[str, str]], values: dict[str, str]
) -> list[tuple[str, list[tuple[str, str]]]]:
    """-audio: an -audiodev (QEMU's id audiodev0 unless it names one), its card on it."""
    ident = values.get("id", "?")
    audiodev = [(k, v) for k, v in props if k not in ("model", "id")] + [("id", ident)]
    card, *codec = AUDIO_CARDS[values["model"]]
    if not codec:
        return [("audiodev", audiodev), ("device", [("driver", card), ("audiodev", ident)])]
    controller = ("device", [("driver", card)])
    on_bus = ("device", [("driver", codec[0]), ("bus", "?"), ("audiodev", ident)])
    return [("audiodev", audiodev), controller, on_bus]
