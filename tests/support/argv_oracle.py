"""What a generated config must become: the checks of tests/test_hostile_properties.py.

The twin oracle: every Free string of a raw config (see
tests/support/modelgen.py) is swapped for a token made of private-use
characters, which no option syntax or shell treats specially. The twin
renders the options the templates mean to emit; the hostile config must parse
back (tests/support/qemuopts.py) to the same options with the same keys in
the same order, each value equal to the twin's with the tokens put back. So
nothing is injected, nothing lost and nothing changed, whatever the templates
are, and a new template is covered unseen. Values the twin cannot swap
(patterned ones, numbers, table keys) must appear intact among the parsed
values or keys.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from genqemu.checks import PATH
from genqemu.config import Config
from genqemu.devices.base import DEVNO
from genqemu.devices.console import Serial
from genqemu.errors import ConfigError, GenqemuError
from genqemu.flash import Firmware, PathOrImage
from genqemu.launch import Launch
from genqemu.netdevs import MacvtapNetdev
from genqemu.process import UserOrId
from genqemu.render import OptionWords
from genqemu.schema import Model, Problems, Table, Tagged
from genqemu.values import Integer, ListOf, MapOf, Scalar, Size, Text, format_size

from .modelgen import Free
from .qemuopts import OptionSyntaxError, read_option

Raw = dict[str, Any]
STATS: Counter[str] = Counter()
TOKEN = re.compile("\ue000([0-9]+)\ue001")
# Keys QEMU reads as a list when repeated.
REPEATABLE = {"hostfwd", "guestfwd"}


def _devno(text: str) -> str:
    css, ssid, unit = text.split(".")
    return f"{int(css, 16):x}.{ssid}.{int(unit, 16):04x}"


# Patterned values that the templates print in a canonical spelling.
CANONICAL: dict[int, Callable[[str], str]] = {id(DEVNO): _devno}


def materialize(raw: Any) -> tuple[Any, Any, dict[str, str]]:
    """(hostile, twin, token -> hostile string) of a raw config with Free strings."""
    tokens: dict[str, str] = {}

    def walk(value: Any, twin: bool) -> Any:
        if isinstance(value, Free):
            if not twin:
                return str(value)
            token = f"\ue000{len(tokens)}\ue001"
            tokens[token] = str(value)
            return token
        if isinstance(value, dict):
            return {key: walk(item, twin) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, twin) for item in value]
        return value

    return walk(raw, False), walk(raw, True), tokens


# --- repair: drop what a build refused, to reach a config that builds ---

_STEP = re.compile(r'\.?(?:([A-Za-z0-9_-]+)|"((?:[^"\\]|\\.)*)")|\[([0-9]+)\]')


def _steps(path: str) -> list[str | int] | None:
    steps: list[str | int] = []
    index = 0
    while index < len(path):
        match = _STEP.match(path, index)
        if not match or match.end() == index:
            return None
        bare, quoted, number = match.groups()
        if number is not None:
            steps.append(int(number))
        elif quoted is not None:
            steps.append(re.sub(r"\\(.)", r"\1", quoted))
        else:
            steps.append(bare)
        index = match.end()
    return steps


def repair(raw: Raw, problems: list[tuple[str, str]]) -> bool:
    """Delete what each problem's TOML path names (or its parent); False if stuck."""
    doomed: list[tuple[Any, str | int]] = []
    for path, _ in problems:
        steps = _steps(path)
        if not steps:
            return False
        parents: list[tuple[Any, str | int]] = []
        node: Any = raw
        for step in steps:
            present = (isinstance(node, dict) and isinstance(step, str) and step in node) or (
                isinstance(node, list) and isinstance(step, int) and step < len(node)
            )
            if not present:
                break  # a missing key: drop the entry that lacks it
            parents.append((node, step))
            node = node[step]
        if not parents:
            return False
        doomed.append(parents[-1])
    for container, step in sorted(
        {(id(c), s): (c, s) for c, s in doomed}.values(),
        key=lambda cs: cs[1] if isinstance(cs[1], int) else -1,
        reverse=True,
    ):
        del container[step]
    return True


# --- (a) errors ---


def error_problems(error: GenqemuError, source: str) -> list[str]:
    """What is wrong with an error's message: one clean line per problem."""
    text = str(error)
    found = []
    if re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text):
        found.append(f"control character in the message: {text!r}")
    if isinstance(error, ConfigError):
        lines = text.split("\n")
        if len(lines) != len(error.problems):
            found.append(f"{len(error.problems)} problems on {len(lines)} lines: {text!r}")
        found += [
            f"line without the source: {line!r}" for line in lines if not line.startswith(source)
        ]
    return found


# --- (b) the options carry exactly the model's values ---


def _read(option: OptionWords) -> list[tuple[str, str | None]]:
    return read_option(option[0], option[1]) if len(option) == 2 else []


def _read_or_skip(option: OptionWords) -> list[tuple[str, str | None]]:
    """`_read`, or nothing for an option QEMU would refuse (compare_twin reports it)."""
    try:
        return _read(option)
    except OptionSyntaxError:
        return []


def compare_twin(hostile: Launch, twin: Launch, tokens: dict[str, str], verbatim: int) -> list[str]:
    """Differences between the hostile launch and the twin's with tokens put back.

    The last `verbatim` options are the config's extra_args, which genqemu
    passes as written: they must be the same in both, and are not read.
    """
    mine, meant = hostile.options, twin.options
    if verbatim:
        if mine[-verbatim:] != meant[-verbatim:]:
            return [f"extra_args changed: {mine[-verbatim:]!r} vs {meant[-verbatim:]!r}"]
        mine, meant = mine[:-verbatim], meant[:-verbatim]
    # Files the launch names outside the argv: inherited fds, the templates
    # and targets of the files it creates (a UEFI variable store), and the words
    # of the commands it runs before QEMU (swtpm's state, a tap's bridge).
    twin_files = [fd.path for fd in twin.fds] + [path for pair in twin.copies for path in pair]
    twin_files += [word for step in twin.prestart for word in step.argv]
    found = _compare(hostile.binary, mine, twin.binary, meant, tokens, twin_files)
    if hostile.prefix != twin.prefix:
        found.append(f"command prefix {hostile.prefix!r}, meant {twin.prefix!r}")
    files = [(fd.number, fd.path, fd.mode) for fd in hostile.fds]
    back = [
        (fd.number, TOKEN.sub(lambda m: tokens[m.group()], fd.path), fd.mode) for fd in twin.fds
    ]
    if files != back:
        found.append(f"inherited files {files!r}, meant {back!r}")
    copies = [tuple(TOKEN.sub(lambda m: tokens[m.group()], p) for p in c) for c in twin.copies]
    if hostile.copies != copies:
        found.append(f"files created {hostile.copies!r}, meant {copies!r}")

    def restore(text: str | None) -> str | None:
        return None if text is None else TOKEN.sub(lambda m: tokens[m.group()], text)

    steps = [(s.argv, s.unless_exists, s.wait_for_socket) for s in hostile.prestart]
    meant_steps = [
        ([restore(w) for w in s.argv], restore(s.unless_exists), restore(s.wait_for_socket))
        for s in twin.prestart
    ]
    if steps != meant_steps:
        found.append(f"commands before QEMU {steps!r}, meant {meant_steps!r}")
    return found


def _compare(
    binary: str,
    hostile: list[OptionWords],
    twin_binary: str,
    twin: list[OptionWords],
    tokens: dict[str, str],
    twin_files: list[str],
) -> list[str]:
    def back(text: str | None) -> str | None:
        return None if text is None else TOKEN.sub(lambda m: tokens[m.group()], text)

    if [o[0] for o in hostile] != [o[0] for o in twin]:
        return [f"options differ: {[o[0] for o in hostile]} vs {[o[0] for o in twin]}"]
    found: list[str] = []
    if binary != back(twin_binary):
        found.append(f"binary {binary!r}, meant {back(twin_binary)!r}")
    for mine, meant in zip(hostile, twin, strict=True):
        if len(mine) != len(meant):
            found.append(f"{mine[0]}: argument count differs: {mine!r} vs {meant!r}")
            continue
        if len(mine) == 1:
            continue
        try:
            got = _read(mine)
        except OptionSyntaxError as error:
            found.append(f"{mine[0]} {mine[1]!r}: QEMU would refuse it: {error}")
            continue
        want = [(key, back(value)) for key, value in _read(meant)]
        if got != want:
            found.append(f"{mine[0]} {mine[1]!r} reads as {got!r}, meant {want!r}")
    seen = "\n".join([twin_binary, *(part for option in twin for part in option), *twin_files])
    lost = [tokens[t] for t in tokens if t not in seen]
    found += [f"value lost: {value!r} is in the config but in no option" for value in lost]
    return found


# Keys that name an entry but reach no option, with the reason.
NOT_EMITTED: dict[tuple[type[Model], str], str] = {
    (Serial, "id"): "-serial chardev:ID creates the machine's port, which takes no id",
    (Config, "extra_args"): "whole argv elements, checked by the caller",
    (Config, "qemu_version"): "decides what may be emitted; tests/test_qemu_version.py",
    (MacvtapNetdev, "queues"): "the number of tap fds the script opens (fds=3:4:...)",
    (Firmware, "vars_template"): "the script copies it to vars (launch.copies): no option",
}


def _emitted(model: type[Model], name: str) -> bool:
    return not any(issubclass(model, m) and name == n for m, n in NOT_EMITTED)


def leaves(model: type[Model], raw: Raw) -> Iterator[tuple[Any, Any, bool]]:
    """(check, value, is_table_key) for every value of a raw table that loaded."""
    for name, value in raw.items():
        field = model.fields.get(name)
        if field is not None and _emitted(model, name):
            yield from _leaves(field.check, value)


def _leaves(check: Any, value: Any) -> Iterator[tuple[Any, Any, bool]]:
    if isinstance(check, Table):
        yield from leaves(check.model, value)
    elif isinstance(check, Tagged):
        yield from leaves(check.models[value[check.tag]], value)
    elif isinstance(check, PathOrImage):
        yield from _leaves(check.table if isinstance(value, dict) else PATH, value)
    elif isinstance(check, ListOf):
        for item in value:
            yield from _leaves(check.item, item)
    elif isinstance(check, MapOf):
        for key, item in value.items():
            yield check, key, True
            yield from _leaves(check.value, item)
    else:
        yield check, value, False


def carried(raw: Raw, hostile: list[OptionWords], extra: list[str]) -> list[str]:
    """Values the twin cannot swap must appear intact: as a value, or a table key as a
    key (or as a value, where the table names things: [[numa]] distance's node
    numbers are -numa dist's dst=).

    `extra` is the rest of the argv: the binary, the command prefix (setpriv's
    --reuid=USER ...), which count as values here.
    """
    values = set(extra)
    for part in extra:
        values.add(part.partition("=")[2])
        values.update(part.partition("=")[2].split(","))
    keys: set[str] = set()
    for option in hostile:
        for key, value in _read_or_skip(option):
            keys.add(key)
            if value is not None:
                values.add(value)
                if key == "bus":  # an ATA port is the bus's number: bus=ide.2
                    values.add(value.rpartition(".")[2])
                if key == "vnc":  # -vnc unix:PATH, or HOST:DISPLAY ([ADDR] for IPv6)
                    host, _, number = value.rpartition(":")
                    values.update({value.removeprefix("unix:"), host[1:-1], host, number})
    found = []
    for check, value, is_key in leaves(Config, raw):
        if is_key:
            if value not in keys and value not in values:
                found.append(f"key {value!r} is in the config but in no option")
            continue
        if isinstance(check, Scalar):
            check = Integer() if type(value) is int else None
        if isinstance(check, UserOrId):
            shown = str(value)
        elif isinstance(check, Text) and not isinstance(value, Free) and not check.choices:
            shown = CANONICAL.get(id(check), str)(value)
        elif isinstance(check, Integer):  # in decimal, or in hex (addresses, ids)
            if any(_number(text) == value for text in values):
                continue
            shown = str(value)
        elif isinstance(check, Size):
            size = check(value, "", Problems())
            shown = format_size(size) if isinstance(size, int) else str(value)
        else:
            continue
        if shown not in values:
            found.append(f"value {shown!r} ({type(check).__name__}) is in no option value")
    return found


def _number(text: str) -> int | None:
    """The integer a value spells in decimal or 0x hex, if it is one."""
    try:
        return int(text, 0) if text[:2].lower() == "0x" else int(text)
    except ValueError:
        return None


def duplicate_keys(hostile: list[OptionWords]) -> list[str]:
    """A key set twice in one option: QEMU keeps one of them, silently."""
    found = []
    for option in hostile:
        counts = Counter(key for key, _ in _read_or_skip(option) if key not in REPEATABLE)
        found += [
            f"{option[0]} {option[1]!r}: {key!r} is set {n} times"
            for key, n in counts.items()
            if n > 1
        ]
    return found


def unchanged(before: Any, after: Any) -> bool:
    """The raw config a build read is as it was (build must not mutate its input)."""
    return bool(before == after)


def snapshot(raw: Any) -> Any:
    return copy.deepcopy(raw)


def summary() -> str:
    """The counts the test session prints at its end."""
    s = STATS
    shells = ", ".join(f"{k[6:]} {v}" for k, v in sorted(s.items()) if k.startswith("shell "))
    return (
        f"hostile configs generated: {s['configs']} ({s['built']} built, "
        f"{s['rejected']} rejected with GenqemuError, {s['repaired']} of the built ones "
        f"after dropping what was refused); script runs: {shells or 'none'}; scripts not "
        f"run: {s['sh format refused']} refused by the sh format (fds past 9), "
        f"{s['not run: inherited file outside the sandbox']} with an inherited file "
        "outside the test's scratch directory, "
        f"{s['not run: a file created outside the sandbox or for another user']} creating "
        f"a file outside it or for another user; files created from a template: "
        f"{s['copies run']}"
    )
