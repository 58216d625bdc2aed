"""genqemu import: a QEMU command line or launch script in, a genqemu config out.

    read (source.py, shell.py) -> options (syntax.py) -> pieces (canon.py)
    -> claims (toplevel.py, devices.py) -> verified config (assemble.py,
    verify.py, order.py) -> TOML (tomlwrite.py)

Every option ends up either typed (a config key renders it back) or in
extra_args, verbatim and in order, so the config starts the same VM.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from genqemu.errors import GenqemuError
from genqemu.settings import SHIPPED, Settings


@dataclass
class ImportResult:
    """A config table, which options it types and which it passes through."""

    arch: str
    config: dict[str, Any]
    typed: list[str] = field(default_factory=list)  # labels of the typed options
    passthrough: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """`23 options typed, 2 passed through: -device usb-tablet, -global ...`."""
        head = f"{len(self.typed)} options typed, {len(self.passthrough)} passed through"
        lines = [head + (": " + ", ".join(self.passthrough) if self.passthrough else "")]
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def import_text(text: str, arch: str | None = None, settings: Settings = SHIPPED) -> ImportResult:
    """Import a command line, launch script or JSON argv; GenqemuError for bad input.
    The profiles and templates are those of `settings` (default: the shipped ones)."""
    from genqemu.importer.actions import action_claims
    from genqemu.importer.assemble import Assembly, order_claims
    from genqemu.importer.backends import (
        chardev_claims,
        confidential_claims,
        memory_claims,
        monitor_claims,
        qmp_claims,
    )
    from genqemu.importer.canon import Context, expand
    from genqemu.importer.claims import Claim, Pool, Target
    from genqemu.importer.devices import device_claims
    from genqemu.importer.display import display_claims
    from genqemu.importer.flash import pflash_claims
    from genqemu.importer.legacy_drives import legacy_drives
    from genqemu.importer.legacy_usb import legacy_usb
    from genqemu.importer.numa import numa_claims
    from genqemu.importer.smbios import smbios_claims
    from genqemu.importer.sound import audio_cards, audio_notes
    from genqemu.importer.source import read_invocation
    from genqemu.importer.syntax import split_options
    from genqemu.importer.toplevel import machine_claim, machine_type, simple_claims
    from genqemu.importer.tpm import tpm_claims
    from genqemu.importer.usb_ports import usb_ports
    from genqemu.profiles import load_profile

    invocation = read_invocation(text)
    profile = load_profile(infer_arch(invocation.binary, arch, settings), settings)
    options = split_options(invocation.args)
    # Short virtio names (-drive if=virtio, -device virtio-blk) take the arch's virtio
    # transport: the default one of its default machine.
    default = profile.machines[profile.default_machine].transports[0]
    suffix = profile.transports[default].suffix
    audios = [o.index for o in options if o.name == "audio"]
    only_audio = audios[0] if len(audios) == 1 else None
    context = Context(suffix, invocation.fds, audio_cards(profile, suffix), only_audio)
    pieces = expand(options, context)
    chosen, machine = machine_type(pieces, profile)
    target = Target(profile, chosen, machine)
    pieces, usb_notes = legacy_usb(pieces, options, target)
    pieces, held, port_notes = usb_ports(pieces, {o.index: o.name for o in options}, target)
    pieces, drive_notes = legacy_drives(pieces, options, target)
    given = frozenset(
        value
        for piece in pieces
        for name, value in piece.props
        if name in ("id", "node-name") and value != "*"
    )
    pool = Pool(pieces + held)
    pool.take(Claim("device", None, held))  # passed through as written
    claims = [machine_claim(pool, target), *memory_claims(pool, target)]
    confidential = confidential_claims(pool)
    claims += confidential + pflash_claims(
        pool, target, confidential[0] if confidential else None, settings
    )
    claims += qmp_claims(pool)
    claims += tpm_claims(pool, target)
    claims += numa_claims(pool)
    names = _serial_names(options, given)
    devices = device_claims(pool, target, names)
    action_claims(pool, devices)
    claims += devices
    chardevs = chardev_claims(pool, names)
    claims += chardevs + monitor_claims(pool, chardevs)
    claims += display_claims(pool) + simple_claims(pool, target) + smbios_claims(pool)
    order_claims(claims, options)
    fixed: dict[str, Any] = {}
    if invocation.binary != profile.binary:
        fixed["binary"] = invocation.binary
    if invocation.run_as is not None:
        fixed["run_as"] = invocation.run_as
    assembly = Assembly(claims, options, profile, context, given, fixed, settings)
    assembly.settle()
    assembly.tidy()
    typed = {index for claim in assembly.typed() for index in claim.origins}
    return ImportResult(
        profile.arch,
        assembly.raw(),
        [o.label() for o in options if o.index in typed],
        [o.label() for o in options if o.index not in typed],
        invocation.notes
        + usb_notes
        + port_notes
        + drive_notes
        + assembly.notes()
        + audio_notes(options, typed, context.cards, target),
    )


def infer_arch(binary: str, requested: str | None, settings: Settings = SHIPPED) -> str:
    """The arch of `binary` (qemu-system-s390x -> s390x), checked against --arch."""
    from genqemu.profile_files import arch_names, describe_arches
    from genqemu.profiles import load_profile

    names = arch_names(settings)
    by_binary = {load_profile(a, settings).binary: a for a in sorted(set(names.values()))}
    base = binary.rsplit("/", 1)[-1]
    found = by_binary.get(base)
    if requested is not None:
        wanted = load_profile(requested, settings).arch
        if found is not None and found != wanted:
            raise GenqemuError(
                f"{base} is the {found} emulator, but --arch says {requested}: "
                "leave out --arch or import a command line for that arch"
            )
        return wanted
    if found is None:
        raise GenqemuError(
            f"cannot tell the architecture of {base!r}: pass --arch ({describe_arches(names)})"
        )
    return found


def _serial_names(options: list[Any], given: frozenset[str]) -> dict[int, str]:
    """QEMU's own names for the chardevs of -serial stdio, ... (serial0, serial1, ...)."""
    names: dict[int, str] = {}
    serials = [o for o in options if o.name == "serial"]
    for position, option in enumerate(serials):
        name = f"serial{position}"
        while name in given:
            name += "_"
        names[option.index] = name
    return names
