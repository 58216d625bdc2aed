"""The [tpm] table from what genqemu writes for it: the machine's TPM device,
its -tpmdev and (for swtpm) the socket chardev, each named after the device."""

from __future__ import annotations

from typing import Any

from genqemu.checks import SOCKET_MAX
from genqemu.importer.canon import Piece
from genqemu.importer.claims import Claim, Pool, Target


def tpm_claims(pool: Pool, target: Target) -> list[Claim]:
    """One TPM device of the machine's model (the profile's `tpm`), with its backend."""
    model = target.machine.tpm if target.machine is not None else None
    for device in pool.free("device") if model else []:
        values = dict(device.props)
        ident = values.get("id", "")
        backend = f"tpmdev-{ident}"
        if values != {"driver": model, "id": ident, "tpmdev": backend}:
            continue
        tpmdev = pool.find("tpmdev", backend)
        if tpmdev is None or pool.refs[backend] != 1:
            continue
        found = _backend(pool, dict(tpmdev.props), ident)
        if found is not None:
            table, pieces = found
            return [pool.take(Claim("tpm", table, [device, tpmdev, *pieces]))]
    return []


def _backend(
    pool: Pool, values: dict[str, str], ident: str
) -> tuple[dict[str, Any], list[Piece]] | None:
    kind = values.pop("type", "")
    values.pop("id", None)
    if kind == "passthrough" and "path" in values and set(values) <= {"path", "cancel-path"}:
        table = {"backend": "passthrough", "path": values["path"]}
        if "cancel-path" in values:
            table["cancel_path"] = values["cancel-path"]
        return table, []
    chardev_id = f"chr-{ident}"
    chardev = pool.find("chardev", chardev_id)
    if kind != "emulator" or values != {"chardev": chardev_id} or chardev is None:
        return None
    props = dict(chardev.props)
    path = props.get("path", "")
    if (
        props != {"backend": "socket", "id": chardev_id, "path": path}
        or pool.refs[chardev_id] != 1
        or "," in path
        or not 0 < len(path.encode()) <= SOCKET_MAX
    ):
        return None
    return {"backend": "emulator", "socket": path}, [chardev]
