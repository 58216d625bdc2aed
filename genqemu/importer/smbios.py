"""Mapper for `-smbios type=N,...`: the [smbios] tables.

Each structure the tables model (qemu_facts.SMBIOS_TYPES, with the model's
keys as QEMU's property names) and each OEM string becomes a key; a type
named twice, a type 1 with a uuid (the VM's -uuid says that), a file= or a
key the model lacks leaves every -smbios in extra_args: one claim holds them
all, so the verifier keeps or drops them together.
"""

from __future__ import annotations

from typing import Any

from genqemu.importer.claims import Claim, Pool


def smbios_claims(pool: Pool) -> list[Claim]:
    """One claim for all the -smbios options, or none."""
    from genqemu.qemu_facts import SMBIOS_OEM_TYPE, SMBIOS_TYPES
    from genqemu.smbios import Smbios

    pieces = pool.free("smbios")
    if not pieces:
        return []
    by_number = {str(number): name for name, number in SMBIOS_TYPES.items()}
    table: dict[str, Any] = {}
    strings: list[str] = []
    for piece in pieces:
        kind, *rest = piece.props or [("", "")]
        if kind[0] != "type":
            return []
        if kind[1] == str(SMBIOS_OEM_TYPE) and [k for k, _ in rest] == ["value"]:
            strings.append(rest[0][1])
            continue
        name = by_number.get(kind[1])
        if name is None or name in table:
            return []
        keys = Smbios.fields[name].check.model.fields  # type: ignore[attr-defined]
        values = dict(rest)
        if len(values) != len(rest) or not values or not set(values) <= set(keys):
            return []
        table[name] = values
    if strings:
        table["oem_strings"] = strings
    return [pool.take(Claim("smbios", table, list(pieces)))]
