"""Device creation order: what a re-rendered command line must not change.

QEMU creates devices in phases (QEMU 7.2, softmmu/vl.c): the board's own
NICs and disks (-nic, -net nic, -hda, -drive if=ide, ...) first, then the
QemuOpts -device options and -virtfs in command-line order, then the
devices of -drive if=virtio, then the JSON -device options. PCI slots,
CCW numbers, port numbers and SCSI units without an explicit address are
handed out in that order, and -serial options number the serial ports.

genqemu writes typed devices as QemuOpts -device options before the
extra_args, so a typed device may keep its place only if the same devices
are created before it; one with its own address (addr= or devno=) may also
move earlier, which takes no number away from any other device.
"""

from __future__ import annotations

from genqemu.importer.claims import Claim
from genqemu.importer.syntax import Option

_BOARD = frozenset({"nic", "hda", "hdb", "hdc", "hdd", "cdrom", "fda", "fdb", "mtdblock", "sd", ""})
TYPED_PHASE = 1.0


def phase(option: Option) -> float | None:
    """When QEMU creates the device(s) of `option`, or None if it creates none."""
    name = option.name
    if name == "device":
        return 2.0 if option.json else 1.0
    if name == "virtfs":
        return 1.0
    if name == "drive":
        interface = option.get("if")
        if interface == "virtio":
            return 1.5
        return None if interface in ("none", "pflash") else 0.0
    if name in _BOARD or (name == "net" and option.get("type") == "nic"):
        return 0.0
    if name == "usbdevice":
        return 0.5
    if name == "audio":  # soundhw_init, first of the command line's devices
        return 0.25 if "model=" in (option.arg or "") else None
    return None


def device_origin(claim: Claim) -> int | None:
    """The option a device claim's device comes from."""
    for piece in claim.pieces:
        if piece.option in ("device", "serial"):
            return piece.origin
    return None


def misplaced(claims: list[Claim], options: list[Option]) -> list[Claim]:
    """Typed device claims (in config order) that would be created in another order."""
    # The [tpm] device is a -device too (of no bus that numbers it).
    # Every -device a claim holds (an HDA controller and its codec) is typed.
    typed: dict[int | None, Claim] = {
        piece.origin: c
        for c in claims
        if c.section in ("device", "tpm")
        for piece in c.pieces
        if piece.option == "device"
    }
    typed.update({device_origin(c): c for c in claims if c.section in ("device", "tpm")})
    serials = [o.index for o in options if o.name == "serial"]
    units = [(phase(o), o.index) for o in options if phase(o) is not None]
    found = _check(sorted((p, i) for p, i in units if p is not None), typed, serials=False)
    return found + _check([(0.0, i) for i in serials], typed, serials=True)


def _check(
    seq_in: list[tuple[float, int]], typed: dict[int | None, Claim], *, serials: bool
) -> list[Claim]:
    order_in = [index for _, index in seq_in]
    typed_here = [index for index in order_in if index in typed]
    before = [index for p, index in seq_in if index not in typed and p < TYPED_PHASE]
    after = [index for p, index in seq_in if index not in typed and p >= TYPED_PHASE]
    if serials:
        before, after = [], [index for index in order_in if index not in typed]
    order_out = before + typed_here + after
    wrong: list[Claim] = []
    for index in typed_here:
        earlier_in = set(order_in[: order_in.index(index)])
        earlier_out = set(order_out[: order_out.index(index)])
        claim = typed[index]
        if earlier_out != earlier_in and not (claim.pinned and earlier_out <= earlier_in):
            wrong.append(claim)
    return wrong
