"""The mapper for flash firmware: `-drive if=pflash` units as `[firmware]` or `pflash`.

A read-only unit 0 that a firmware descriptor names as its code, with a
read-write unit 1, becomes `[firmware] type = "uefi"` when resolving that
table picks the same code file again (the import must be lossless); the
machine options and -global properties genqemu then writes for the
descriptor's features (SMM and the flash's secure property for Secure Boot)
belong to that claim. Otherwise the units are a `pflash` list, a read-only
unit as a `{ file, read_only = true }` table. SEV firmware (a read-only unit 0
beside an sev-guest) stays `confidential.firmware`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genqemu.errors import ConfigError
from genqemu.importer.claims import Claim, Pool, Target, to_int
from genqemu.importer.syntax import to_bool

if TYPE_CHECKING:
    from genqemu.firmware import Descriptor
    from genqemu.importer.canon import Piece
    from genqemu.resolve import Vm
    from genqemu.settings import Settings

_KEYS = frozenset({"if", "format", "unit", "file", "readonly"})


def _pflash_values(piece: Piece) -> dict[str, str]:
    """A pflash -drive's properties; `file.driver=file,file.filename=F`, as genqemu
    writes it (a plain file, never a protocol), reads as `file=F`."""
    values = dict(piece.props)
    if values.get("file.driver") == "file" and "file.filename" in values and "file" not in values:
        del values["file.driver"]
        values["file"] = values.pop("file.filename")
    return values


def pflash_claims(
    pool: Pool, target: Target, confidential: Claim | None, settings: Settings
) -> list[Claim]:
    """-drive if=pflash,format=raw,unit=N,file=F[,readonly=on] for every unit from 0."""
    drives = [p for p in pool.free("drive") if p.get("if") == "pflash"]
    if not drives:
        return []
    units: dict[int, Piece] = {}
    for piece in drives:
        values = _pflash_values(piece)
        unit = to_int(values.get("unit", ""))
        if not isinstance(unit, int) or not set(values) <= _KEYS:
            return []
        if values.get("format") != "raw" or "file" not in values or unit in units:
            return []
        units[unit] = piece
    if sorted(units) != list(range(len(units))):
        return []
    files = [_pflash_values(units[u]) for u in sorted(units)]
    read_only = [to_bool(f.get("readonly", "off")) for f in files]
    if not all(isinstance(flag, bool) for flag in read_only):
        return []
    pieces = [units[u] for u in sorted(units)]
    sev = confidential is not None and confidential.value["type"] == "sev-guest"
    if confidential is not None and sev and read_only[0] is True:
        confidential.value["firmware"] = files.pop(0)["file"]
        confidential.pieces.append(pieces.pop(0))
        read_only.pop(0)
        pool.take(confidential)
    elif confidential is None and read_only == [True, False]:
        claim = _firmware_claim(pool, target, settings, files, pieces)
        if claim is not None:
            return [pool.take(claim)]
    entries: list[Any] = [
        {"file": f["file"], "read_only": True} if flag else f["file"]
        for f, flag in zip(files, read_only, strict=True)
    ]
    return [pool.take(Claim("pflash", entries, pieces))] if entries else []


def _firmware_claim(
    pool: Pool,
    target: Target,
    settings: Settings,
    files: list[dict[str, str]],
    pieces: list[Piece],
) -> Claim | None:
    """[firmware] type = "uefi" for code + vars, if a descriptor has this code and
    resolving the table chooses it again; with the options its features add."""
    from genqemu.firmware import read_descriptors

    code, variables = files[0]["file"], files[1]["file"]
    descriptors, _ = read_descriptors(settings.firmware_dirs)
    for descriptor in descriptors:
        if descriptor.executable != code or descriptor.nvram_template is None:
            continue
        table = _table(descriptor, variables)
        vm = _resolved(table, target, settings)
        if vm is None or vm.firmware is None or vm.firmware.descriptor is None:
            continue
        if vm.firmware.descriptor.executable != code:
            continue  # another build wins: [firmware] would boot other code
        claim = Claim("firmware", table, list(pieces))
        if _take_feature_needs(pool, vm, claim):
            return claim
    return None


def _table(descriptor: Descriptor, variables: str) -> dict[str, Any]:
    """The [firmware] table that asks for `descriptor`'s features."""
    table: dict[str, Any] = {"type": "uefi"}
    secure = "secure-boot" in descriptor.features
    if secure:
        table["secure_boot"] = True
    if secure != ("enrolled-keys" in descriptor.features):
        table["enrolled_keys"] = not secure  # the default follows secure_boot
    table["vars"] = variables
    return table


def _resolved(table: dict[str, Any], target: Target, settings: Settings) -> Vm | None:
    """The VM of a config with only this machine and [firmware], or None if invalid."""
    from genqemu.build import load_config
    from genqemu.resolve import resolve

    raw: dict[str, Any] = {"firmware": table}
    if target.machine_type is not None:
        raw["machine"] = {"type": target.machine_type}
    try:
        return resolve(load_config(raw, "<import>"), target.profile, "<import>", settings)
    except ConfigError:
        return None


def _take_feature_needs(pool: Pool, vm: Vm, claim: Claim) -> bool:
    """Add to `claim` the machine options and -global pieces genqemu writes for the
    descriptor's features; False when the command line lacks one (or says otherwise)."""
    assert vm.firmware is not None
    machine = next((p for p in pool.pieces if p.option == "machine"), None)
    given = dict(machine.props) if machine else {}
    for name, value in vm.firmware.machine_options.items():
        if name not in given or not _same(given[name], value):
            return False
        claim.machine_keys[name] = given[name]
    free = [p for p in pool.free("global") if len(p.props) == 3]
    for driver, prop, value in vm.firmware.globals:
        match = next(
            (
                p
                for p in free
                if p.get("driver") == driver
                and p.get("property") == prop
                and _same(p.get("value") or "", value)
            ),
            None,
        )
        if match is None:
            return False
        free.remove(match)
        claim.pieces.append(match)
    return True


def _same(text: str, value: Any) -> bool:
    """A property as written (`on`, `true`) against genqemu's value ("on", True)."""
    wanted = to_bool(value) if isinstance(value, str) else value
    return to_bool(text) == wanted if isinstance(wanted, bool) else text == str(value)
