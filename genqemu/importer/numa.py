"""Mapper for NUMA: `-numa node` and `-numa dist`, with each node's RAM backend object,
typed as [[numa]] where genqemu would write the same options (all nodes, or none)."""

from __future__ import annotations

from typing import Any

from genqemu.importer.canon import Piece, size_bytes
from genqemu.importer.claims import Claim, Pool, to_int
from genqemu.importer.syntax import to_bool
from genqemu.values import format_size

_NODE_KEYS = {"type", "nodeid", "cpus", "memdev", "initiator"}
_DIST_KEYS = {"type", "src", "dst", "val"}


def numa_claims(pool: Pool) -> list[Claim]:
    """Every -numa node numbered 0, 1, ... in order, each backend a plain
    memory-backend-ram named as genqemu names it (ram-nodeN); else nothing."""
    numa = pool.free("numa")
    nodes = [p for p in numa if p.get("type") == "node"]
    dists = [p for p in numa if p.get("type") == "dist"]
    if not nodes or len(nodes) + len(dists) != len(numa):
        return []
    claims: list[Claim] = []
    for index, piece in enumerate(nodes):
        claim = _node(pool, index, piece)
        if claim is None:
            return []
        claims.append(claim)
    for piece in dists:
        values = dict(piece.props)
        src, dst, val = (to_int(values.get(k, "")) for k in ("src", "dst", "val"))
        if set(values) != _DIST_KEYS or not all(isinstance(v, int) for v in (src, dst, val)):
            return []
        if not isinstance(src, int) or not 0 <= src < len(claims):
            return []
        claims[src].value.setdefault("distance", {})[str(dst)] = val
        claims[src].pieces.append(piece)
    if any("initiator" in claim.value for claim in claims):
        # genqemu turns the HMAT table on for initiators: the input must have too.
        machine = next((p for p in pool.pieces if p.option == "machine"), None)
        hmat = machine.get("hmat") if machine else None
        if hmat is None or to_bool(hmat) is not True:
            return []
        claims[0].machine_keys["hmat"] = hmat
    return [pool.take(claim) for claim in claims]


def _node(pool: Pool, index: int, piece: Piece) -> Claim | None:
    names = [name for name, _ in piece.props]
    if not set(names) <= _NODE_KEYS or to_int(piece.get("nodeid") or "") != index:
        return None
    table: dict[str, Any] = {}
    cpus = [value for name, value in piece.props if name == "cpus"]
    if cpus:
        table["cpus"] = ",".join(cpus)
    initiator = piece.get("initiator")
    if initiator is not None:
        table["initiator"] = to_int(initiator)
        if not isinstance(table["initiator"], int):
            return None
    pieces = [piece]
    memdev = piece.get("memdev")
    if memdev is not None:
        backend = pool.find("object", memdev)
        if backend is None or memdev != f"ram-node{index}" or pool.refs[memdev] != 1:
            return None
        values = dict(backend.props)
        size = size_bytes(values.get("size", ""))
        if values.get("qom-type") != "memory-backend-ram" or set(values) != {
            "qom-type",
            "id",
            "size",
        }:
            return None
        if size is None:
            return None
        table["memory"] = format_size(int(size))
        pieces.insert(0, backend)
    return Claim("numa", table, pieces)
