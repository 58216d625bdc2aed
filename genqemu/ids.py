"""Ids and references: every entry gets a unique id; every reference must hit one.

User ids are claimed first, then automatic ids (`disk0`, `net1`, ...) fill the
gaps, then each device's backend id (`drive-disk0`) is derived. A key declared
with a Ref check names another entry; it must exist and be of the right kind,
and a chardev carries one device or monitor only, unless it is a mux
(`mux = true`), which carries up to four.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from genqemu.devices.base import PciBus
from genqemu.qemu_facts import MUX_MAX_USERS
from genqemu.schema import Problems, suggest

if TYPE_CHECKING:
    from genqemu.records import Entry, Placed

# QEMU refuses block node names of 32 characters or more.
NODE_NAME_MAX = 31


class Ids:
    """Every id in the VM (user ids, automatic ids, backend ids), each unique."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.owners: dict[str, tuple[str, str]] = {}  # id -> (kind, TOML path)
        self.counters: dict[str, int] = {}
        self._of_kinds: dict[tuple[str, ...], list[str]] = {}

    def claim(self, ident: str, kind: str, path: str, what: str = "id") -> None:
        owner = self.owners.get(ident)
        if owner is None:
            self.owners[ident] = (kind, path)
            self._of_kinds.clear()
        else:
            self.problems.add(
                f"{path}.id",
                f"{what} {ident!r} is already used by {owner[1]}; ids must be unique: rename one",
            )

    def fresh(self, prefix: str) -> str:
        """The next unused `prefix<N>`."""
        number = self.counters.get(prefix, 0)
        while f"{prefix}{number}" in self.owners:
            number += 1
        self.counters[prefix] = number + 1
        return f"{prefix}{number}"

    def of_kinds(self, kinds: Iterable[str]) -> list[str]:
        """The ids of these kinds in claim order; remembered until the next claim, so
        that asking once per device (reference checks) stays linear. Do not modify."""
        key = tuple(kinds)
        found = self._of_kinds.get(key)
        if found is None:
            wanted = set(key)
            found = [ident for ident, (kind, _) in self.owners.items() if kind in wanted]
            self._of_kinds[key] = found
        return found


class ChardevUses:
    """Who uses each chardev (devices, monitors): one user, or up to
    MUX_MAX_USERS for a chardev with mux on (its ids are `mux`)."""

    def __init__(self, mux: Iterable[str]) -> None:
        self.mux = frozenset(mux)
        self.users: dict[str, list[str]] = {}

    def use(self, chardev: str, user: str, path: str, problems: Problems) -> None:
        """Record `user` (a TOML path) on `chardev`; `path` is the key that names it."""
        users = self.users.setdefault(chardev, [])
        if chardev not in self.mux and users:
            problems.add(
                path,
                f"chardev {chardev!r} is already used by {users[0]}; a chardev "
                "carries one device or monitor: add another [[chardev]], or set "
                "mux = true on it to share it",
            )
        elif len(users) >= MUX_MAX_USERS:
            problems.add(
                path,
                f"mux chardev {chardev!r} already carries {MUX_MAX_USERS} users "
                f"({', '.join(users)}) and QEMU allows {MUX_MAX_USERS}: add another [[chardev]]",
            )
        else:
            users.append(user)


def article(word: str) -> str:
    """'an' before a vowel sound as device kinds are read (an iothread, a virtio-scsi)."""
    return "an" if word[:1] in "aeiou" else "a"


def assign_ids(entries: list[Entry], devices: list[Placed], problems: Problems) -> Ids:
    """Claim every user id, then give the records of the entries that have none
    an automatic id, and every device with a backend its backend id."""
    ids = Ids(problems)
    for record, kind, _ in entries:
        if record.id:
            ids.claim(record.id, kind, record.config.toml_path)
    for device in devices:  # backend ids the config chose are user ids too
        chosen = getattr(device.config, "backend_id", None)
        if device.config.backend_prefix and chosen is not None:
            ids.claim(chosen, "backend", device.toml_path, what="its backend id")
    for record, kind, prefix in entries:
        if not record.id:
            record.id = ids.fresh(prefix)
            ids.claim(record.id, kind, record.config.toml_path)
    for device in devices:
        prefix = device.config.backend_prefix
        if prefix:
            chosen = getattr(device.config, "backend_id", None)
            backend = device.backend_id = chosen or prefix + device.id
            if chosen is None:
                ids.claim(backend, "backend", device.toml_path, what="its backend id")
            if prefix == "drive-" and len(backend) > NODE_NAME_MAX:
                problems.add(
                    f"{device.toml_path}.{'id' if chosen is None else 'backend_id'}",
                    f"too long: the block node name {backend!r} would have "
                    f"{len(backend)} characters and QEMU allows {NODE_NAME_MAX}; "
                    f"shorten {'the id' if chosen is None else 'backend_id'}",
                )
    return ids


def resolve_references(
    device: Placed, ids: Ids, uses: ChardevUses, root_bus: str | None, problems: Problems
) -> None:
    """Check every key of `device` that names another entry by id, and record in
    `device.refs` the id each names (defaulted where the key allows it)."""
    for field, check in device.config.references:
        path = f"{device.toml_path}.{field.name}"
        target = device.refs[field.attr] = getattr(device.config, field.attr)
        wanted = " or ".join(check.targets)
        if target is None:
            if not check.single_default:
                continue
            candidates = ids.of_kinds(check.targets)
            if len(candidates) != 1:
                fix = (
                    f"add a [[device]] with kind = {check.targets[0]!r}"
                    if not candidates
                    else f"there are several ({', '.join(candidates)}): say which in {field.name}"
                )
                problems.add(path, f"{device.kind} needs {article(wanted)} {wanted}: {fix}")
                continue
            device.refs[field.attr] = target = candidates[0]
        if isinstance(check, PciBus) and target == root_bus:
            continue
        owner = ids.owners.get(target)
        if owner is None:
            builtin = (
                f" (nor is it the root bus {root_bus!r})"
                if root_bus and isinstance(check, PciBus)
                else ""
            )
            choices = ids.of_kinds(check.targets) + ([root_bus] if builtin and root_bus else [])
            problems.add(path, f"no {wanted} has id {target!r}{builtin}" + suggest(target, choices))
        elif owner[0] not in check.targets:
            problems.add(
                path,
                f"{target!r} is {article(owner[0])} {owner[0]} ({owner[1]}), "
                f"not {article(wanted)} {wanted}",
            )
        elif owner[0] == "chardev":
            uses.use(target, device.toml_path, path, problems)
