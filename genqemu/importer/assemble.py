"""From claims to a config that renders the same VM.

The mappers propose claims; this module builds the config from the typed
ones (and extra_args from every other option, verbatim and in order),
resolves and renders it, and sends to extra_args every claim genqemu cannot
take (a validation problem), renders differently (verify.py) or would create
in another order (order.py), until none is left. Then it leaves out the ids,
device numbers, chassis and machine options that are what genqemu would
write anyway, keeping the rendering the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from genqemu.errors import ConfigError, GenqemuError
from genqemu.escape import onoff
from genqemu.importer.canon import Context, Piece, canonical
from genqemu.importer.claims import LIST_SECTIONS, Claim, fresh_id
from genqemu.importer.order import device_origin, misplaced, phase
from genqemu.importer.syntax import Option
from genqemu.importer.verify import (
    DEVICE_SECTIONS,
    failed_devices,
    failed_top_level,
    genqemu_machine_options,
)
from genqemu.settings import SHIPPED, Settings

if TYPE_CHECKING:
    from genqemu.profiles import Profile
    from genqemu.resolve import Vm

_TIDY_KEYS = ("id", "backend_id", "devno", "chassis", "chassis_nr")


class Assembly:
    """The claims of one command line and the config they make."""

    def __init__(
        self,
        claims: list[Claim],
        options: list[Option],
        profile: Profile,
        context: Context,
        given: frozenset[str],
        fixed: dict[str, Any],
        settings: Settings = SHIPPED,
    ) -> None:
        self.claims = claims
        self.options = options
        self.profile = profile
        self.context = context
        self.given = given
        self.fixed = fixed  # binary, run_as: not from options
        self.settings = settings  # the profiles and templates it is verified with
        self.paths: dict[int, str] = {}  # id(claim) -> its TOML path
        self.vm: Vm | None = None
        self.qemu_version: str | None = None  # what the typed claims need (versions.py)

    def typed(self) -> list[Claim]:
        devices = [c for c in self.claims if c.typed and c.section == "device"]
        devices.sort(key=lambda c: c.order or (1.0, 0))
        return [c for c in self.claims if c.typed and c.section != "device"] + devices

    def raw(self) -> dict[str, Any]:
        """The config table of the typed claims, extra_args last."""
        raw: dict[str, Any] = dict(self.fixed)
        if self.qemu_version is not None:
            raw["qemu_version"] = self.qemu_version
        owned: dict[str, str] = {}
        self.paths = {}
        for claim in self.typed():
            owned.update(claim.machine_keys)
            if claim.value is None:
                continue
            if claim.section in LIST_SECTIONS:
                entries = raw.setdefault(claim.section, [])
                self.paths[id(claim)] = f"{claim.section}[{len(entries)}]"
                entries.append(claim.value)
            else:
                self.paths[id(claim)] = claim.section
                raw[claim.section] = claim.value
        machine = dict(raw.get("machine", {}))
        options = {k: v for k, v in machine.pop("options", {}).items() if k not in owned}
        if options:
            machine["options"] = options
        raw.pop("machine", None)
        if machine:
            raw["machine"] = machine
        typed = {i for c in self.typed() for i in c.origins}
        extra = [w for o in self.options if o.index not in typed for w in o.words]
        if extra:
            raw["extra_args"] = extra
        return raw

    def demote(self, claims: list[Claim], reason: str) -> None:
        """Send `claims` to extra_args, with every claim sharing an option with them."""
        pending = list(claims)
        while pending:
            claim = pending.pop()
            if not claim.typed:
                continue
            if claim.section == "machine":
                raise GenqemuError(f"genqemu cannot write this machine: {reason}")
            claim.typed = False
            pending += [c for c in self.claims if c.typed and c.origins & claim.origins]

    def settle(self) -> None:
        """Demote until every typed claim verifies."""
        for _ in range(4 * len(self.claims) + 8):
            if self._round():
                return
        raise AssertionError("genqemu import did not settle")  # pragma: no cover

    def _round(self) -> bool:
        vm = self.resolve()
        if vm is None or self._rename_collisions(vm):
            return False
        typed = self.typed()
        failures = failed_devices(vm, typed, self.given, self.context, self.settings)
        for claim, difference in failures:
            self.demote([claim], difference)
        names, difference = failed_top_level(vm, typed, self.given, self.context, self.settings)
        if names:
            bad = [
                c
                for c in typed
                if c.section not in DEVICE_SECTIONS and any(p.option in names for p in c.pieces)
            ]
            if not bad:
                raise GenqemuError(f"genqemu cannot write this command line: {difference}")
            self.demote(bad, difference)
        if failures or names:
            return False
        wrong = misplaced(typed, self.options)
        self.demote(wrong, "genqemu would create this device in another order")
        if wrong:
            return False
        self.vm = vm
        return True

    def resolve(self) -> Vm | None:
        """The resolved VM of the typed claims, or None after demoting those with problems."""
        from genqemu.build import load_config
        from genqemu.importer.versions import needed_version
        from genqemu.resolve import resolve

        raw = self.raw()
        try:
            config = load_config(raw, "<import>")
            needed = needed_version(config, self.profile.qemu_version)
            if needed != self.qemu_version:
                self.qemu_version = needed
                raw = self.raw()
                config = load_config(raw, "<import>")
            return resolve(config, self.profile, "<import>", self.settings)
        except ConfigError as error:
            bad = [
                c
                for c in self.typed()
                for path, _ in error.problems
                if id(c) in self.paths and _within(path, self.paths[id(c)])
            ]
            if not bad:
                bad = self._overridden(error.problems, raw.get("extra_args", []))
            if not bad:
                if self._renamed_without_extra_args(raw):
                    return None
                raise GenqemuError(f"genqemu cannot write this command line:\n{error}") from None
            self.demote(bad, error.problems[0][1])
            return None

    def _overridden(self, problems: list[tuple[str, str]], extra: list[str]) -> list[Claim]:
        """The typed claims of an option that extra_args has again (QEMU takes it once:
        the source said it twice), so that every occurrence passes through as written."""
        from genqemu.qemu_options import ONCE

        keys = set()
        for path, _ in problems:
            index = path.removeprefix("extra_args[").removesuffix("]")
            if index.isdigit() and int(index) < len(extra):
                keys.add(ONCE.get(extra[int(index)].lstrip("-")))
        keys.discard(None)
        return [
            c
            for c in self.typed()
            if any(ONCE.get(self.options[o].name) in keys for o in c.origins if o >= 0)
        ]

    def _renamed_without_extra_args(self, raw: dict[str, Any]) -> bool:
        """Resolve without extra_args, and rename the automatic ids they define too."""
        from genqemu.build import load_config
        from genqemu.resolve import resolve

        bare = {key: value for key, value in raw.items() if key != "extra_args"}
        try:
            vm = resolve(load_config(bare, "<import>"), self.profile, "<import>", self.settings)
        except ConfigError:
            return False
        return self._rename_collisions(vm)

    def _rename_collisions(self, vm: Vm) -> bool:
        """Give an explicit id to typed entries whose automatic id an extra_args option uses."""
        typed = {i for c in self.typed() for i in c.origins}
        outside = {
            value
            for option in self.options
            if option.index not in typed
            for name, value in option.props
            if name in ("id", "node-name")
        }
        taken = {*self.given, *(d.id for d in vm.devices), *(str(q.id) for q in vm.qmp)}
        devices = [c for c in self.typed() if c.section == "device"]
        renamed = False
        for claim, device in zip(devices, vm.devices, strict=True):
            table = claim.value
            if "id" not in table and device.id in outside:
                table["id"] = fresh_id(device.config.id_prefix, taken)
                renamed = True
            backend = device.config.backend_prefix and "backend_id" not in table
            if backend and device.backend_id in outside:
                table["backend_id"] = fresh_id(device.config.backend_prefix, taken)
                renamed = True
        qmps = [c for c in self.typed() if c.section == "qmp"]
        for claim, qmp in zip(qmps, vm.qmp, strict=True):
            if "id" not in claim.value and qmp.id in outside:
                claim.value["id"] = fresh_id("qmp", taken)
                renamed = True
        return renamed

    def tidy(self) -> None:
        """Leave out what genqemu would write anyway: allocated ids and numbers, and
        machine options the profile or the devices add."""
        assert self.vm is not None
        added = genqemu_machine_options(self.vm)
        for claim in self.typed():
            if claim.section == "machine" and "options" in claim.value:
                options = claim.value["options"]
                for name in list(options):
                    if name in added and _same(options[name], added[name]):
                        del options[name]
        referenced = {v for c in self.typed() for v in _strings(c.value)}
        for group in (("id",), ("backend_id",), ("devno", "chassis", "chassis_nr")):
            self._tidy_keys(group, referenced)
        self.settle()

    def _tidy_keys(self, names: tuple[str, ...], referenced: set[str]) -> None:
        """Drop keys in `names` whose value is what genqemu allocates anyway."""
        assert self.vm is not None
        needed: set[tuple[int, str]] = set()
        before = self._resolved_keys(self.vm)
        for _ in range(8):
            removed = {
                (id(c), name): c.value.pop(name)
                for c in self.typed()
                if c.section in ("device", "qmp")
                for name in names
                if name in c.value
                and (id(c), name) not in needed
                and not (name == "id" and c.value[name] in referenced)
            }
            after = self._quiet_resolve()
            restored = False
            for (ident, name), value in removed.items():
                if after is None or after.get((ident, name)) != before.get((ident, name)):
                    claim = next(c for c in self.claims if id(c) == ident)
                    claim.value[name] = value
                    needed.add((ident, name))
                    restored = True
            if not restored:
                return

    def _quiet_resolve(self) -> dict[tuple[int, str], Any] | None:
        from genqemu.build import load_config
        from genqemu.resolve import resolve

        try:
            vm = resolve(
                load_config(self.raw(), "<import>"), self.profile, "<import>", self.settings
            )
        except ConfigError:
            return None
        return self._resolved_keys(vm)

    def _resolved_keys(self, vm: Vm) -> dict[tuple[int, str], Any]:
        found: dict[tuple[int, str], Any] = {}
        devices = [c for c in self.typed() if c.section == "device"]
        for claim, device in zip(devices, vm.devices, strict=True):
            settled = device.settled_keys()
            for name in _TIDY_KEYS:
                found[(id(claim), name)] = settled.get(name)
        qmps = [c for c in self.typed() if c.section == "qmp"]
        for claim, qmp in zip(qmps, vm.qmp, strict=True):
            found[(id(claim), "id")] = qmp.id
        return found

    def notes(self) -> list[str]:
        found = [note for c in self.claims if c.typed for note in c.notes]
        assert self.vm is not None
        devices = [c for c in self.typed() if c.section == "device"]
        numbered = {name: t.devno for name, t in self.profile.transports.items() if t.devno}
        renumbered = [
            d.transport
            for c, d in zip(devices, self.vm.devices, strict=True)
            if d.transport in numbered and not any(p.get("devno") for p in c.pieces)
        ]
        if renumbered:
            transport = renumbered[0] or ""
            pattern = numbered[transport]  # QEMU numbers from 0, genqemu (allocate.py) from 1
            found.append(
                f"{len(renumbered)} {transport.upper()} device(s) had no devno: QEMU numbers "
                f"them from {pattern.format(0)}, genqemu from {pattern.format(1)}; set devno "
                "to keep the guest's numbering"
            )
        return found


def order_claims(claims: list[Claim], options: list[Option]) -> None:
    """Device claims are created in QEMU's order: their phase, then their option."""
    for claim in claims:
        origin = device_origin(claim)
        if claim.section == "device" and origin is not None:
            created = phase(options[origin])
            claim.order = (1.0 if created is None else created, origin)


def _strings(value: Any) -> list[str]:
    """Every string inside a table (to find the ids other entries name)."""
    if isinstance(value, dict):
        return [s for key, item in value.items() if key != "id" for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return [value] if isinstance(value, str) else []


def _within(problem: str, path: str) -> bool:
    return any(
        a == b or a.startswith((b + ".", b + "[")) for a, b in ((problem, path), (path, problem))
    )


def _same(a: Any, b: Any) -> bool:
    """Whether two machine option values mean the same to QEMU (on and true, 16 and 0x10)."""
    return canonical(Piece("m", [("x", _text(a))], 0), frozenset()) == canonical(
        Piece("m", [("x", _text(b))], 0), frozenset()
    )


def _text(value: Any) -> str:
    return onoff(value) if isinstance(value, bool) else str(value)
