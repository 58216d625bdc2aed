"""The VM as it runs now: CONFIG, and what earlier `genqemu hotplug`s added to it.

genqemu keeps no state: a hot-plugged device is in no file the VM was started
from. `--plugged NEW.toml` (once per file an earlier hotplug added, in the
order they were added) says what is there besides CONFIG, for `hotplug` and
for `unplug` alike. The files' tables are appended to CONFIG's, in order,
and the whole resolves once, exactly as each hot-plug resolved it when it was
given the files before it: their automatic ids, backend ids, root ports and
devnos are the ones sent, and a new hot-plug gets the next free ones. Every
problem is reported at the path of the file it comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genqemu.errors import ConfigError

if TYPE_CHECKING:
    from genqemu.records import Placed
    from genqemu.resolve import Vm
    from genqemu.settings import Settings

TABLES = ("device", "chardev")


@dataclass(frozen=True)
class Part:
    """One source of the running VM's entries, and where its entries start."""

    source: str
    starts: dict[str, int]  # table -> index of its first entry in the merged config


@dataclass(frozen=True)
class Sources:
    """Which file each entry of the merged config came from, in order."""

    parts: tuple[Part, ...]

    def where(self, path: str) -> tuple[str, str]:
        """A merged config's path as (source, its own path): `device[5].bus` ->
        (the plugged file, `device[1].bus`)."""
        for table in TABLES:
            number, _, rest = path.removeprefix(f"{table}[").partition("]")
            if path.startswith(f"{table}[") and number.isdigit():
                part = [p for p in self.parts if p.starts[table] <= int(number)][-1]
                return part.source, f"{table}[{int(number) - part.starts[table]}]{rest}"
        return self.parts[0].source, path

    def localized(self, problems: Sequence[tuple[str, str]], source: str) -> ConfigError:
        """The merged config's problems as `source`'s: those at another file's
        entries say which file."""
        items = []
        for path, message in problems:
            whose, own = self.where(path)
            items.append((own, message if whose == source else f"(in {whose}) {message}"))
        return ConfigError(source, items)


@dataclass(frozen=True)
class Running:
    """CONFIG's TOML with the plugged files' tables appended, resolved."""

    vm: Vm
    raw: dict[str, Any]
    sources: Sources
    added: tuple[Placed, ...] = ()  # the last file's devices, placed

    def plus(self, file: Path | str, arch: str, settings: Settings) -> Running:
        """This VM with `file`'s tables appended, resolved, and its devices placed
        where hot-plug puts them (hotplug_place.py); its problems at its own
        paths. An id of the file that this VM already has (an automatic one too)
        is refused first: appending it would move the automatic ids before it."""
        from genqemu.build import build
        from genqemu.hotplug_place import devices_between, keep_placement, new_devices, place_new
        from genqemu.schema import Problems

        tables = new_tables(file)
        source = str(file)
        problems = _used_again(self, tables)
        if problems:
            raise ConfigError(source, problems)
        raw = dict(self.raw)
        part = Part(source, {table: len(raw.get(table, [])) for table in TABLES})
        for table, entries in tables.items():
            raw[table] = [*raw.get(table, []), *entries]
        sources = Sources((*self.sources.parts, part))
        try:
            vm = build(raw, arch, self.sources.parts[0].source, settings)
        except ConfigError as error:
            raise sources.localized(error.problems, source) from None
        before = part.starts["device"]  # the earlier files' devices keep their places
        keep_placement(devices_between(self.vm, 0, before), devices_between(vm, 0, before))
        placed = Problems()
        added = new_devices(vm, part.starts["device"], len(tables["device"]), placed)
        place_new(vm, self.vm, added, placed)
        if placed:
            raise sources.localized(placed.items, source)
        return Running(vm, raw, sources, tuple(added))

    def last(self) -> tuple[list[Placed], list[Any]]:
        """The devices and chardevs the last file added."""
        starts = self.sources.parts[-1].starts
        return list(self.added), self.vm.chardevs[starts["chardev"] :]


def new_tables(new: Path | str) -> dict[str, list[Any]]:
    """A NEW.toml's tables, checked on their own first (errors at its own paths)."""
    from genqemu.build import load_config
    from genqemu.tomlfile import read_toml

    source = str(new)
    raw = read_toml(new)
    if not raw:
        raise ConfigError(source, [("", "holds no [[device]] or [[chardev]] tables")])
    others = [name for name in raw if name not in TABLES]
    if others:
        message = "only [[device]] and [[chardev]] tables can be hot-plugged: remove it"
        raise ConfigError(source, [(name, message) for name in others])
    load_config(raw, source)
    return {table: list(raw.get(table, [])) for table in TABLES}


def running_vm(
    config: Path | str, plugged: Sequence[Path | str], arch: str, settings: Settings
) -> Running:
    """The VM CONFIG started, with each plugged file's tables appended in turn."""
    from genqemu.build import build_file
    from genqemu.tomlfile import read_toml

    source = str(config)
    running = Running(
        build_file(config, arch, settings),
        read_toml(config),
        Sources((Part(source, dict.fromkeys(TABLES, 0)),)),
    )
    for file in plugged:
        running = running.plus(file, arch, settings)
    return running


def _used_again(running: Running, tables: dict[str, list[Any]]) -> list[tuple[str, str]]:
    """The file's ids (and backend ids) that the running VM already uses."""
    vm = running.vm
    used: dict[str, str] = {}
    records: list[Any] = [*vm.devices, *vm.chardevs, *vm.iothreads, *vm.qmp]
    for record in records:
        used.setdefault(record.id, _whose(running, record.config.toml_path))
    for device in vm.devices:
        if device.backend_id:
            used.setdefault(
                device.backend_id, f"the backend of {_whose(running, device.toml_path)}"
            )
    problems = []
    for table, entries in tables.items():
        for index, entry in enumerate(entries):
            for key in ("id", "backend_id"):
                ident = entry.get(key) if isinstance(entry, dict) else None
                if isinstance(ident, str) and ident in used:
                    problems.append(
                        (
                            f"{table}[{index}].{key}",
                            f"{ident!r} is already used in the running VM by {used[ident]}: "
                            "pick another",
                        )
                    )
    return problems


def _whose(running: Running, path: str) -> str:
    source, own = running.sources.where(path)
    first = running.sources.parts[0].source
    return f"CONFIG's {own}" if source == first else f"{source}'s {own}"
