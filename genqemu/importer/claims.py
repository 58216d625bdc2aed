"""A claim: pieces of the command line that one config entry types.

Mappers propose claims; verification keeps those whose entry genqemu renders
back to the same pieces. A claim that fails goes to extra_args whole, with
every other claim that shares one of its options (an option cannot be half
typed).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from genqemu.importer.canon import GENERATED, ID_KEYS, Piece
from genqemu.importer.syntax import to_bool
from genqemu.profiles import MachineProfile, Profile
from genqemu.schema import Check
from genqemu.tomlfile import HexInt
from genqemu.values import Boolean, Integer, Size, format_size

_INTEGER = re.compile(r"[+-]?(0[xX][0-9a-fA-F]+|[0-9]+)\Z")


@dataclass
class Claim:
    """Config entry `value` for `section`, typed from `pieces`."""

    section: str  # top-level key it fills; list sections append
    value: Any
    pieces: list[Piece] = field(default_factory=list)
    # Machine options genqemu adds because of this entry (memory-backend=ram0 ...).
    machine_keys: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # behaviour the summary must mention
    # Device creation order: (phase, option index); None for non-devices.
    order: tuple[float, int] | None = None
    pinned: bool = False  # has its own address (addr= or devno=)
    # Device properties genqemu may write where the input had none, because they
    # name what QEMU picks by itself (the bus of a port when there is one bus).
    optional: frozenset[str] = frozenset()
    typed: bool = True

    @property
    def origins(self) -> set[int]:
        found: set[int] = set()
        for piece in self.pieces:
            found.update(piece.origins or (piece.origin,))
        return found


@dataclass
class Target:
    """The arch profile and the machine the command line runs."""

    profile: Profile
    machine_type: str | None  # None: genqemu's default (QEMU has none here)
    machine: MachineProfile


class Pool:
    """The pieces of a command line, which mappers take one claim at a time."""

    def __init__(self, pieces: list[Piece]) -> None:
        self.pieces = pieces
        self.taken: set[int] = set()
        self.refs: Counter[str] = Counter()
        for piece in pieces:
            for name, value in piece.props:
                if name in ID_KEYS - {"id", "node-name"} and value != GENERATED:
                    self.refs[value.split(".")[0] if name == "bus" else value] += 1

    def free(self, option: str) -> list[Piece]:
        return [p for p in self.pieces if p.option == option and id(p) not in self.taken]

    def find(self, option: str, ident: str, key: str = "id") -> Piece | None:
        for piece in self.free(option):
            if piece.get(key) == ident:
                return piece
        return None

    def take(self, claim: Claim) -> Claim:
        self.taken.update(id(p) for p in claim.pieces)
        return claim

    def siblings(self, piece: Piece) -> list[Piece]:
        return [p for p in self.pieces if p.origin == piece.origin and p is not piece]


LIST_SECTIONS = (
    "qmp",
    "global",
    "iothread",
    "chardev",
    "monitor",
    "fw_cfg",
    "device",
    "numa",
)


def to_int(value: str) -> int | str:
    if not _INTEGER.match(value) or re.match(r"[+-]?0\d", value):
        return value
    number = int(value, 0)
    return HexInt(number) if value.lower().startswith("0x") else number


def scalar(value: str) -> bool | int | str:
    """A free-form property value as TOML: on/off as booleans, plain decimals as integers."""
    converted = to_bool(value)
    if isinstance(converted, bool):
        return converted
    if re.fullmatch(r"-?[1-9][0-9]{0,17}|0", value):
        return int(value)
    return value


def convert(check: Check[Any], value: str) -> Any:
    """A property value as the key with `check` takes it (left as text if it does not fit)."""
    if isinstance(check, Boolean):
        return to_bool(value)
    if isinstance(check, Integer):
        return to_int(value)
    if isinstance(check, Size):
        from genqemu.importer.canon import size_bytes

        size = size_bytes(value)
        return format_size(int(size)) if size is not None else value
    return value


def given_id(value: str | None) -> str | None:
    """An id the input gave, or None when QEMU made it up."""
    return None if value is None or value == GENERATED else value


def fresh_id(prefix: str, taken: set[str]) -> str:
    """PREFIX0, PREFIX1, ...: the first that `taken` lacks (now taken too)."""
    number = 0
    while f"{prefix}{number}" in taken:
        number += 1
    taken.add(f"{prefix}{number}")
    return f"{prefix}{number}"
