"""The devices `genqemu unplug` can remove: CONFIG's, and those earlier hot-plugs added.

A hot-plugged device is in no file the running VM was started from, but its
ids are not arbitrary: `genqemu hotplug CONFIG NEW.toml` resolved NEW's tables
appended to CONFIG's, so its automatic ids and backend ids follow CONFIG's.
`genqemu unplug --plugged NEW.toml` (once per file earlier passed to hotplug)
resolves each file the same way, CONFIG plus that one file, so every id and
backend id is the one that hot-plug sent. Each file is resolved alone, as
each hot-plug was: an earlier hot-plug's devices are not in a later one's
view. An id that two of the files (or CONFIG and a file) give is ambiguous:
refused, with the files named, rather than guessing which device to remove.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genqemu.errors import ConfigError

if TYPE_CHECKING:
    from genqemu.records import Placed
    from genqemu.resolve import Vm
    from genqemu.settings import Settings

_TABLES = ("device", "chardev")


@dataclass
class Known:
    """Every device and chardev id unplug can remove, with the VM that renders it
    and the file it came from (CONFIG, or a --plugged file)."""

    devices: dict[str, tuple[Vm, Placed]] = field(default_factory=dict)
    chardevs: set[str] = field(default_factory=set)
    sources: dict[str, list[str]] = field(default_factory=dict)

    def add(self, ident: str, source: str) -> None:
        self.sources.setdefault(ident, []).append(source)

    def ids(self) -> list[str]:
        return sorted(self.sources)


def known_ids(
    config: Path | str, plugged: Sequence[Path | str], arch: str, settings: Settings
) -> Known:
    """CONFIG's devices and chardevs, then each plugged file's, resolved as the
    hot-plug of that file resolved them. ConfigError on an ambiguous id."""
    from genqemu.build import build_file, load_config
    from genqemu.hotplug import _check_tables, _merged
    from genqemu.tomlfile import read_toml

    known = Known()
    running = build_file(config, arch, settings)
    _collect(known, running, running.devices, running.chardevs, "CONFIG")
    for new in plugged:
        source = str(new)
        raw_new = read_toml(new)
        _check_tables(raw_new, source)
        load_config(raw_new, source)
        added = {table: list(raw_new.get(table, [])) for table in _TABLES}
        offsets = {table: len(getattr(running.config, table)) for table in _TABLES}
        vm = _merged(config, added, arch, settings, source, offsets)
        first = offsets["device"]
        devices = vm.devices[first : first + len(added["device"])]
        _collect(known, vm, devices, vm.chardevs[offsets["chardev"] :], source)
    twice = {i: s for i, s in known.sources.items() if len(s) > 1}
    if twice:
        raise ConfigError(
            f"{config} (unplug)",
            [
                (
                    ident,
                    f"is an id in {' and in '.join(sources)}: unplug cannot tell which "
                    "device to remove; give each hot-plugged device an id of its own",
                )
                for ident, sources in sorted(twice.items())
            ],
        )
    return known


def _collect(
    known: Known, vm: Vm, devices: Sequence[Placed], chardevs: Sequence[Any], source: str
) -> None:
    for device in devices:
        known.devices[device.id] = (vm, device)
        known.add(device.id, source)
    for chardev in chardevs:
        known.chardevs.add(chardev.id)
        known.add(chardev.id, source)
