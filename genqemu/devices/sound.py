"""Sound cards, each with the host audio backend (-audiodev) it plays through.

A card names its backend with `audio` and gets an -audiodev of its own (id
audio- and the card's id): without one, QEMU 7.2 probes the host's backends
(pa, alsa, ...) at start, so the script would sound different on every host.
The default backend is none: the guest has a card and the host stays silent,
as the display is none unless the config asks for one. An HDA controller
carries one codec (`codec`) on its own bus, and the codec takes the backend.
"""

from __future__ import annotations

from genqemu.checks import PATH
from genqemu.devices.base import PciDevice, backend_id_key
from genqemu.qemu_facts import AUDIO_DRIVERS, HDA_CODECS
from genqemu.schema import Problems, key
from genqemu.values import Text


class SoundCard(PciDevice):
    """A PCI sound card and its audio backend."""

    backend_prefix = "audio-"
    backend_id: str = backend_id_key("-audiodev", "audio-")
    audio: str = key(
        Text(choices=AUDIO_DRIVERS),
        default="none",
        doc="host audio backend (-audiodev): none (silent), alsa, oss, wav (to wav_path), "
        "spice (with a SPICE display), dbus; pa, sdl and jack need Debian's "
        "qemu-system-gui, pipewire QEMU 8.1",
    )
    wav_path: str | None = key(PATH, default=None, doc="file the wav backend records to")

    def qemu_spellings(self) -> list[tuple[str, str]]:
        return [*super().qemu_spellings(), ("audio", f"-audiodev {self.audio}")]

    def validate(self, problems: Problems) -> None:
        super().validate(problems)
        if self.audio == "wav" and self.wav_path is None:
            problems.add(f"{self.toml_path}.wav_path", "required with audio = 'wav': set it")
        if self.audio != "wav" and self.wav_path is not None:
            problems.add(
                f"{self.toml_path}.wav_path",
                f"applies to audio = 'wav' only, not {self.audio!r}: remove it",
            )


class HdaController(SoundCard):
    """Intel HD Audio: the controller and its one codec."""

    template = "intel-hda.j2"
    codec: str = key(
        Text(choices=HDA_CODECS),
        default="hda-duplex",
        doc="codec on the controller's bus: hda-duplex (line out and in), hda-output "
        "(line out only) or hda-micro (speaker and microphone)",
    )


class IntelHda(HdaController):
    """The ICH6 HD Audio controller (PCI 8086:2668), for any guest with an HDA driver."""

    kind = "intel-hda"
    id_prefix = "sound"


class Ich9IntelHda(HdaController):
    """The ICH9 HD Audio controller (PCI 8086:293e), q35's own."""

    kind = "ich9-intel-hda"
    id_prefix = "sound"


class Ac97(SoundCard):
    """Intel 82801AA AC'97 audio, for older guests."""

    kind = "ac97"
    id_prefix = "sound"
    template = "sound-card.j2"


class Es1370(SoundCard):
    """The ENSONIQ AudioPCI ES1370."""

    kind = "es1370"
    id_prefix = "sound"
    template = "sound-card.j2"
