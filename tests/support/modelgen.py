"""Hypothesis strategies for raw configs, derived from the models themselves.

Every key of every model (genqemu.config.Config and everything it reaches:
tables, tagged device/chardev/netdev kinds) gets a strategy from its Check, so
a key or device kind added later is generated without touching this file.
A check type this module does not know is an error, not a silent gap.

Free text (a Text check without choices whose pattern accepts hostile text,
such as paths, names and kernel command lines) is drawn from a hostile
alphabet and marked `Free`: the oracle swaps each Free string for a plain
token to learn which option value carries it (see
tests/support/argv_oracle.py).
Patterned text (ids, MACs, UUIDs) is drawn from its own regex, over the same
alphabet. Now and then one value of a table is replaced by junk (wrong type, control
characters), or gets a key it does not declare, to exercise the error paths.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable
from functools import cache, partial
from typing import Any

from hypothesis import strategies as st

from genqemu.checks import ID, PATH, Ref
from genqemu.config import Config, Machine
from genqemu.flash import PathOrImage
from genqemu.process import _NAME as _USER_NAME
from genqemu.process import UserOrId
from genqemu.profiles import Profile
from genqemu.schema import Check, Model, Table, Tagged
from genqemu.values import Boolean, Integer, ListOf, MapOf, Scalar, Size, Text

from .regexgen import generate

Raw = dict[str, Any]
Strategy = st.SearchStrategy[Any]


class Free(str):
    """A free-text value the oracle may swap for a token."""

    __slots__ = ()


SPECIALS = ",=\"'\\$`;|&<>(){}[]*?!#~%^ -./:@+"
# Strings that broke, or could break, a QEMU option or a shell line somewhere.
NASTY = [
    ",",
    ",,",
    "=",
    "a,b=c",
    "x,bootindex=7",
    "x,,id=y",
    "$(touch pwned)",
    "`touch pwned`",
    "'; touch pwned; '",
    '"',
    "\\",
    "\\'",
    "--",
    "-S",
    "-a",
    "-c",
    "{",
    '{"driver":"x"}',
    "json:{}",
    "nbd:127.0.0.1:1",
    "%d",
    "help",
    "?",
    "on",
    "id=x",
    "é",
    "\u202e",
    "\u2028",
    "\ufeff",
    "\U0001f600",
    " ",
    "*",
    "~",
    "$HOME",
    "${IFS}",
    "!!",
    "#",
]
# Letters that look like ASCII ones, width and direction tricks, a line
# separator, a BOM, combining marks, CJK, an emoji, a fullwidth comma.
UNICODE = "éßЖ中😀\u202e\u200b\u200d\u2028\u2029\ufeff\u0301\uff0c\u00a0\u3000ǅ"
CHARS = SPECIALS + "abcXYZ019_" + UNICODE
ALPHABET = st.sampled_from(CHARS)
# Patterns name ASCII letters and digits literally (kvm, tcg): offer them all.
REGEX_CHARS = "".join(sorted(set(CHARS + string.ascii_letters + string.digits)))
ANY_CHARACTER = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co"))
_PROBES = ("a,b=c $`'\"\\;|&", "-x", "é")
assert ID.pattern is not None
ID_PATTERN = ID.pattern
# Shaped like the oracle's tokens (tests/support/argv_oracle.py).
TOKEN_SAMPLE = "\ue00012\ue001"
LIST_MAX = 3
# Lists that deserve more entries than LIST_MAX: (model, key) -> most entries.
LIST_SIZES: dict[tuple[type[Model], str], int] = {(Config, "device"): 6, (Config, "chardev"): 3}


def _truncate(text: str, max_bytes: int | None) -> str:
    if max_bytes is None:
        return text
    return text.encode()[:max_bytes].decode(errors="ignore")


@cache
def hostile_text(min_size: int = 0, max_bytes: int | None = None) -> st.SearchStrategy[str]:
    """Text from the hostile alphabet: short, nasty, dash-led or very long."""
    short = st.text(ALPHABET, min_size=min_size, max_size=12)
    long = st.builds(
        lambda unit, times: unit * times,
        st.text(ALPHABET, min_size=1, max_size=8),
        st.integers(min_value=100, max_value=700),
    )
    text = st.one_of(
        short,
        short,
        st.text(ANY_CHARACTER, min_size=max(min_size, 1), max_size=6),
        st.sampled_from(NASTY),
        st.builds(lambda rest: "-" + rest, short),
        st.builds(lambda a, b, c: a + b + c, short, st.sampled_from(NASTY), short),
        long,
    )
    return text.map(lambda t: _truncate(t, max_bytes)).filter(lambda t: len(t) >= min_size)


@cache
def junk() -> Strategy:
    """A value of the wrong type or with characters no option can carry."""
    return st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=False),
        st.booleans(),
        st.builds(
            lambda a, c, b: a + c + b,
            st.text(ALPHABET, max_size=4),
            st.sampled_from(["\n", "\x00", "\r", "\t", "\x1b", "\x7f"]),
            st.text(ALPHABET, max_size=4),
        ),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(ALPHABET, max_size=3), st.integers(), max_size=2),
        st.datetimes(),
    )


def matching(pattern: re.Pattern[str], max_bytes: int | None = None) -> Strategy:
    """A string of `pattern`, made from one drawn seed (see tests/support/regexgen.py)."""
    return st.integers(min_value=0, max_value=2**32 - 1).map(
        lambda seed: _truncate(generate(pattern, random.Random(seed), REGEX_CHARS), max_bytes)
    )


def _fits(check: Text, text: str) -> bool:
    return bool(check.pattern and check.pattern.match(text)) and (
        check.max_len is None or len(text.encode()) <= check.max_len
    )


def is_free(check: Text) -> bool:
    """A text check that accepts hostile text: no choices, a permissive pattern."""
    if isinstance(check, Ref) or check.choices:
        return False
    return check.pattern is None or all(check.pattern.match(probe) for probe in _PROBES)


class Generator:
    """Builds (and caches) the strategy of every check for one arch profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.cache: dict[int, Strategy] = {}
        self.models: dict[type[Model], Strategy] = {}
        self.vocabulary = sorted(key_names(Config))
        # (model, key) -> strategy, where the key's meaning is not in its check.
        self.overrides: dict[tuple[type[Model], str], Callable[[], Strategy]] = {
            (Machine, "type"): self.machine_type,
            (Config, "binary"): self.binary,
            # Whole argv elements, not values inside options: not swapped for tokens.
            (Config, "extra_args"): lambda: st.lists(hostile_text(), max_size=LIST_MAX),
        }

    def machine_type(self) -> Strategy:
        """A machine of the profile, or a versioned name its globs match."""
        names = sorted(self.profile.machines)
        versioned = [
            st.builds(lambda suffix, p=pattern: p.replace("*", suffix), hostile_text(min_size=1))
            for machine in self.profile.machines.values()
            for pattern in machine.match
        ]
        return st.one_of(st.sampled_from(names), *versioned)

    def binary(self) -> Strategy:
        """A program name found on PATH (the shell test shims it): no '/'."""
        return (
            hostile_text(min_size=1, max_bytes=200)
            .filter(lambda t: "/" not in t and t not in (".", ".."))
            .map(Free)
        )

    def check(self, check: Check[Any]) -> Strategy:
        key = id(check)
        if key not in self.cache:
            self.cache[key] = st.deferred(lambda: self._check(check))
        return self.cache[key]

    def _check(self, check: Check[Any]) -> Strategy:
        if isinstance(check, Text):
            return self.text(check)
        if isinstance(check, Integer):
            low = -(2**63) if check.min is None else check.min
            high = 2**63 - 1 if check.max is None else check.max
            return st.one_of(
                st.integers(min_value=low, max_value=min(high, low + 64)),
                st.integers(min_value=low, max_value=high),
            )
        if isinstance(check, Boolean):
            return st.booleans()
        if isinstance(check, Size):
            return self.size(check)
        if isinstance(check, ListOf):
            return st.lists(self.check(check.item), min_size=check.min_len, max_size=LIST_MAX)
        if isinstance(check, MapOf):
            # Sometimes a name some model uses (type, accel, id): the template may
            # emit that key itself, and a table must not set it a second time.
            # (None for keys no name matches: [[numa]] distance keys are node numbers.)
            known = [name for name in self.vocabulary if check.key_pattern.match(name)]
            keys = matching(check.key_pattern)
            if known:
                keys = st.one_of(keys, st.sampled_from(known))
            return st.dictionaries(keys, self.check(check.value), max_size=LIST_MAX)
        if isinstance(check, Scalar):
            return st.one_of(self.check(check.text), st.integers(), st.booleans())
        if isinstance(check, Table):
            return self.model(check.model)
        if isinstance(check, UserOrId):
            return st.one_of(
                st.integers(min_value=0, max_value=2**32 - 2), self.text(_USER_NAME), st.integers()
            )
        if isinstance(check, PathOrImage):  # a pflash entry: a path, or a table
            return st.one_of(self.check(PATH), self.check(check.table))
        if isinstance(check, Tagged):
            return st.one_of(
                *(
                    self.model(model).map(partial(_tagged, check.tag, name))
                    for name, model in check.models.items()
                )
            )
        raise NotImplementedError(
            f"tests/support/modelgen.py has no strategy for {type(check).__name__}"
        )

    def text(self, check: Text) -> Strategy:
        if check.choices:
            return st.sampled_from(check.choices)
        if isinstance(check, Ref):  # a placeholder id: configs() points it at an entry
            return matching(ID_PATTERN)
        pattern = check.pattern
        if is_free(check):
            empty_ok = pattern is None or bool(pattern.match(""))
            return hostile_text(0 if empty_ok else 1, check.max_len).map(Free)
        assert pattern is not None
        fits = matching(pattern, check.max_len)
        if not pattern.match(TOKEN_SAMPLE):
            return fits
        # A pattern that only excludes a few characters: hostile text where it
        # fits (a Free value the oracle can swap), else a value of the pattern.
        return st.builds(
            lambda text, other: Free(text) if _fits(check, text) else other,
            hostile_text(1, check.max_len),
            fits,
        )

    def size(self, check: Size) -> Strategy:
        unit = max(check.multiple, 1)
        low = -(-check.min // unit)
        count = st.integers(min_value=low, max_value=low + 4096)
        return st.one_of(
            count.map(lambda n: n * unit),
            st.builds(
                lambda n, suffix: f"{n * unit >> 20}{suffix}" if suffix == "M" else str(n * unit),
                count,
                st.sampled_from(["", "M"]),
            ),
            st.builds(lambda n, s: f"{n}{s}", st.integers(0, 64), st.sampled_from("KMGkmg")),
        )

    def model(self, model: type[Model]) -> Strategy:
        if model not in self.models:
            self.models[model] = st.deferred(lambda: self._model(model))
        return self.models[model]

    def _model(self, model: type[Model]) -> Strategy:
        required: dict[str, Strategy] = {}
        optional: dict[str, Strategy] = {}
        for name, field in model.fields.items():
            override = self.overrides.get((model, name))
            strategy = override() if override else self.check(field.check)
            if isinstance(field.check, ListOf) and (model, name) in LIST_SIZES:
                strategy = st.lists(
                    self.check(field.check.item), max_size=LIST_SIZES[(model, name)]
                )
            (required if field.required else optional)[name] = strategy
        table = _table(tuple(required.items()), tuple(optional.items()))
        return _now_and_then(
            table, self.with_junk_value(table, model), self.with_unknown_key(table, model)
        )

    @staticmethod
    def with_junk_value(table: Strategy, model: type[Model]) -> Strategy:
        """The table with one of its keys set to junk."""
        names = sorted(model.fields)
        if not names:
            return table
        return st.builds(lambda d, k, v: {**d, k: v}, table, st.sampled_from(names), junk())

    @staticmethod
    def with_unknown_key(table: Strategy, model: type[Model]) -> Strategy:
        """The table plus a key the model does not declare (often a typo of one)."""
        names = sorted(model.fields) or ["x"]
        typo = st.builds(
            lambda name, cut: name[:cut] + name[cut + 1 :] if len(name) > 1 else name + "x",
            st.sampled_from(names),
            st.integers(0, 8),
        )
        unknown = st.one_of(typo, st.text(ALPHABET, min_size=1, max_size=8)).filter(
            lambda k: k not in model.fields
        )
        return st.builds(lambda d, k, v: {**d, k: v}, table, unknown, junk())


def _tagged(tag: str, name: str, table: Raw) -> Raw:
    """The table with its tag key first: {"kind": "virtio-blk", ...}."""
    return {tag: name, **table}


@st.composite
def _table(
    draw: st.DrawFn,
    required: tuple[tuple[str, Strategy], ...],
    optional: tuple[tuple[str, Strategy], ...],
) -> Raw:
    """Every required key, and each optional key one time in three.

    Cheaper than st.fixed_dictionaries (about one choice per absent key, no
    shuffle), which matters at 10,000 configs.
    """
    table = {name: draw(strategy) for name, strategy in required}
    for name, strategy in optional:
        if draw(PRESENT) == 2:
            table[name] = draw(strategy)
    return table


PRESENT = st.integers(min_value=0, max_value=2)
ROLL = st.integers(min_value=0, max_value=59)


@st.composite
def _now_and_then(draw: st.DrawFn, usual: Strategy, *rare: Strategy) -> Any:
    """`usual`, or one of `rare` about once in 60 draws each.

    Hypothesis favours the ends of a range, so the rare cases sit in the middle.
    """
    roll = draw(ROLL)
    for number, strategy in enumerate(rare, start=20):
        if roll == number:
            return draw(strategy)
    return draw(usual)


def models(root: type[Model]) -> list[type[Model]]:
    """`root` and every model its keys reach (tables and tagged kinds)."""
    found: list[type[Model]] = []
    pending = [root]
    while pending:
        model = pending.pop()
        if model in found:
            continue
        found.append(model)
        for check in checks(model):
            if isinstance(check, Table):
                pending.append(check.model)
            elif isinstance(check, Tagged):
                pending.extend(check.models.values())
    return found


def checks(model: type[Model]) -> list[Check[Any]]:
    """The checks of a model's keys, with those inside lists, maps and scalars."""
    found: list[Check[Any]] = []
    pending: list[Check[Any]] = [field.check for field in model.fields.values()]
    while pending:
        check = pending.pop()
        found.append(check)
        if isinstance(check, ListOf):
            pending.append(check.item)
        elif isinstance(check, MapOf):
            pending.append(check.value)
        elif isinstance(check, Scalar):
            pending.append(check.text)
    return found


def key_names(root: type[Model]) -> set[str]:
    """Every key name of `root` and of the models it reaches, tags included."""
    names: set[str] = set()
    for model in models(root):
        names |= set(model.fields)
        names |= {c.tag for c in checks(model) if isinstance(c, Tagged)}
    return names


def entries_of(raw: Raw, kind: str) -> list[Any]:
    """The entries a Ref target kind names: a top-level list, or devices of that kind."""
    if kind in Config.fields and isinstance(raw.get(kind), list):
        return list(raw[kind])
    devices = raw.get("device")
    if not isinstance(devices, list):
        return []
    return [d for d in devices if isinstance(d, dict) and d.get("kind") == kind]


def ref_fields(entry: Any) -> list[tuple[str, Ref]]:
    """The Ref keys of a raw device entry's model."""
    from genqemu.devices import DEVICE

    if not isinstance(entry, dict):
        return []
    model = DEVICE.models.get(entry.get("kind"))  # type: ignore[arg-type]
    if model is None:
        return []
    return [(n, f.check) for n, f in model.fields.items() if isinstance(f.check, Ref)]


@st.composite
def configs(draw: st.DrawFn, generator: Generator) -> Raw:
    """A raw config whose references mostly name entries that exist."""
    raw: Raw = draw(generator.model(Config))
    used: set[str] = set()
    devices = raw.get("device")
    for entry in devices if isinstance(devices, list) else []:
        for name, ref in ref_fields(entry):
            if not isinstance(entry.get(name), str):
                continue
            ids = [
                e["id"]
                for kind in ref.targets
                for e in entries_of(raw, kind)
                if isinstance(e, dict) and isinstance(e.get("id"), str)
            ]
            if not ids:
                if ref.single_default:
                    del entry[name]
                continue
            fresh = [i for i in ids if i not in used] or ids
            choice = draw(st.sampled_from([*fresh, entry[name]]))
            used.add(choice)
            entry[name] = choice
    return raw
