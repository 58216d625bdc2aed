"""Verification: render each typed entry with genqemu's own templates and compare.

A claim stays typed only if what genqemu writes for it is what the input
said, piece for piece (canon.canonical), allowing only what the import contract
allows: ids, device numbers and chassis genqemu allocates where the input
gave none, the machine options and CPU the profile adds, script=no on a tap
(reported), and the rng-builtin object QEMU would have made by itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from genqemu.importer.canon import Context, Piece, canonical, expand
from genqemu.importer.claims import Claim
from genqemu.importer.syntax import split_options

if TYPE_CHECKING:
    from genqemu.resolve import Vm
    from genqemu.settings import Settings

# Properties genqemu may add where the input had none.
_OPTIONAL = {
    "device": {"id", "devno", "chassis", "chassis_nr", "rng"},
    "netdev": {"script", "downscript"},
}
DEVICE_SECTIONS = ("device", "chardev", "monitor")


def rendered(options: Iterable[tuple[str, ...]], context: Context) -> list[Piece]:
    """The pieces of rendered options (genqemu's own long forms)."""
    return expand(split_options([word for option in options for word in option]), context)


def failed_devices(
    vm: Vm, claims: list[Claim], given: frozenset[str], context: Context, settings: Settings
) -> list[tuple[Claim, str]]:
    """Device, chardev and monitor claims whose entry renders differently, with the
    difference."""
    from genqemu.render import environment, options

    env = environment("qemuopts", settings)
    failures: list[tuple[Claim, str]] = []
    devices = [c for c in claims if c.section == "device"]
    chardevs = [c for c in claims if c.section == "chardev"]
    for claim, device in zip(devices, vm.devices, strict=True):
        text = env.get_template(device.config.template).render(d=device.config, r=device, vm=vm)
        failures += _compare(claim, rendered(options(text), context), given)
    template = env.get_template("chardev.j2")
    for claim, chardev in zip(chardevs, vm.chardevs, strict=True):
        text = template.render(c=chardev.config, r=chardev)
        failures += _compare(claim, rendered(options(text), context), given)
    template = env.get_template("monitor.j2")
    monitors = [c for c in claims if c.section == "monitor"]
    for claim, monitor in zip(monitors, vm.config.monitor, strict=True):
        text = template.render(m=monitor)
        failures += _compare(claim, rendered(options(text), context), given)
    return failures


def _compare(claim: Claim, produced: list[Piece], given: frozenset[str]) -> list[tuple[Claim, str]]:
    produced = allow(produced, claim.pieces, claim.optional)
    difference = diff(claim.pieces, produced, given)
    return [(claim, difference)] if difference else []


def allow(
    produced: list[Piece], expected: list[Piece], extra: frozenset[str] = frozenset()
) -> list[Piece]:
    """`produced` less what genqemu may add where `expected` (the input) had nothing;
    `extra`: device properties the claim's mapper found may be added too."""
    out: list[Piece] = []
    for piece in produced:
        twin = next((p for p in expected if p.option == piece.option), None)
        if (
            piece.option == "object"
            and piece.get("qom-type") == "rng-builtin"
            and not any(p.option == "object" for p in expected)
        ):
            continue
        optional = _OPTIONAL.get(piece.option, set()) | (
            extra if piece.option == "device" else set()
        )
        if twin is not None and optional:
            have = {name for name, _ in twin.props}
            kept = [(k, v) for k, v in piece.props if k not in optional or k in have]
            piece = Piece(piece.option, kept, piece.origin)
        out.append(piece)
    return out


def diff(expected: list[Piece], produced: list[Piece], given: frozenset[str]) -> str:
    """What differs between two lists of pieces, as text ("" when they are equal)."""
    want = Counter(canonical(p, given) for p in expected)
    got = Counter(canonical(p, given) for p in produced)
    if want == got:
        return ""
    lost = [_show(k) for k in want - got]
    added = [_show(k) for k in got - want]
    return "; ".join([*(f"input has {s}" for s in lost), *(f"genqemu writes {s}" for s in added)])


def _show(canonical: tuple[str, tuple[tuple[str, str], ...]]) -> str:
    option, props = canonical
    return f"-{option} " + ",".join(f"{k}={v}" if k else v for k, v in props)


def failed_top_level(
    vm: Vm,
    claims: list[Claim],
    given: frozenset[str],
    context: Context,
    settings: Settings,
) -> tuple[set[str], str]:
    """Options of the machine-wide claims that render differently, and the difference."""
    from genqemu.render import environment, options

    text = environment("qemuopts", settings).get_template("vm.j2").render(vm=vm, c=vm.config)
    expected = [p for c in claims if c.section not in DEVICE_SECTIONS for p in c.pieces]
    produced = _allow_machine(rendered(options(text), context), expected, vm)
    difference = diff(expected, produced, given)
    if not difference:
        return set(), ""
    want = Counter(canonical(p, given) for p in expected)
    got = Counter(canonical(p, given) for p in produced)
    names = {option for option, _ in (want - got) + (got - want)}
    return names, difference


def _allow_machine(produced: list[Piece], expected: list[Piece], vm: Vm) -> list[Piece]:
    """Drop what genqemu adds where the input had none and QEMU does the same: the
    machine type and CPU QEMU picks by itself, the machine options the devices need
    (which QEMU requires of the input too), and -display none (the import notes it).
    The profile's own machine options and CPU change the VM: the import writes
    QEMU's values out instead."""
    machine = next((p for p in expected if p.option == "machine"), None)
    have = {name for name, _ in machine.props} if machine else set()
    needed = {name for device in vm.devices for name in device.config.machine_options()}
    qemu_type = vm.profile.qemu_default_machine
    cpu_named = any(p.option == "cpu" for p in expected)
    out: list[Piece] = []
    for piece in produced:
        if piece.option == "machine":
            kept = [
                (k, v)
                for k, v in piece.props
                if k in have
                or (k == "type" and qemu_type is not None and v != qemu_type)
                or (k != "type" and k not in needed and not _qemu_value(vm, k, v))
            ]
            if not kept and machine is None:
                continue
            piece = Piece("machine", kept, piece.origin)
        elif piece.option == "display" and not any(p.option == "display" for p in expected):
            continue  # -display none where the input has none: the import notes it
        elif (
            piece.option == "cpu"
            and not cpu_named
            and [v for _, v in piece.props] == [vm.profile.qemu_default_cpu]
        ):
            continue  # the CPU QEMU picks when the input names none
        out.append(piece)
    return out


def _qemu_value(vm: Vm, name: str, value: str) -> bool:
    """Whether `value` is QEMU's own value of machine option `name` (the profile's
    qemu_options, for the machine type as the profile names it)."""
    machine = vm.profile.machines.get(vm.machine_type)
    if machine is None or name not in machine.qemu_options:
        return False
    known = machine.qemu_options[name]
    return value == (("on" if known else "off") if isinstance(known, bool) else str(known))


def genqemu_machine_options(vm: Vm) -> dict[str, Any]:
    """The machine options genqemu writes by itself: the profile's, the accelerators'
    and the devices' (as resolve.py adds them, before the config's own)."""
    machine = vm.profile.machine(vm.machine_type)
    options: dict[str, Any] = dict(machine.options) if machine else {}
    for _, values in vm.profile.accel_options(vm.accel)[0]:
        options.update(values)
    for device in vm.devices:
        options.update(device.config.machine_options())
    return options
