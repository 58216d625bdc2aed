"""The checks of single TOML values: strings, integers, booleans, sizes, lists, maps.

Each is a Check (schema.py): called with a value, its TOML path and the
problems list, it returns the converted value or INVALID after recording why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TypeVar

from genqemu.schema import (
    INT64_MAX,
    INT64_MIN,
    INVALID,
    UINT64_MAX,
    Check,
    Invalid,
    Problems,
    closest,
    join,
    quoted,
    value_text,
)

T = TypeVar("T")

# Characters no QEMU option, shell line or line-based format can carry safely.
# Lone surrogates stand for undecodable bytes (os.fsdecode); UTF-8 cannot hold them.
# A pattern, not compiled here: compiling it takes about 0.4 ms, and only text that
# str.isprintable() refuses (every one of these characters) is searched with it.
CONTROL = r"[\x00-\x1f\x7f\ud800-\udfff]"


_CONTROL_NAMES = {"\n": "newline", "\r": "carriage return", "\t": "tab", "\x00": "NUL"}


class Text(Check[str]):
    """A string; optionally matching a pattern or one of a set of choices."""

    type_name = "string"

    def __init__(
        self,
        *,
        pattern: str | None = None,
        hint: str = "",
        choices: Iterable[str] = (),
        max_len: int | None = None,
    ) -> None:
        self._source = pattern
        self._pattern: re.Pattern[str] | None = None
        self.hint = hint
        self.choices = tuple(choices)
        self.max_len = max_len

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """The compiled pattern. Compiled on first use: most checks never run in a
        given config, and compiling them all cost more than the rest of an import."""
        if self._pattern is None and self._source:
            self._pattern = re.compile(self._source)
        return self._pattern

    def type_text(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return self.type_name

    def __call__(self, value: object, path: str, problems: Problems) -> str | Invalid:
        if not isinstance(value, str):
            return self.wrong_type(value, path, problems)
        # isprintable() is false for every control character, and much cheaper.
        bad = None if value.isprintable() else re.search(CONTROL, value)
        if bad:
            char = bad.group()
            name = _CONTROL_NAMES.get(char, f"control character {char!r}")
            if "\ud800" <= char <= "\udfff":
                name = f"lone surrogate {char!r} (a byte that is not UTF-8)"
            problems.add(
                path,
                f"contains a {name} at offset {bad.start()}; QEMU options and shell "
                "lines cannot carry it: remove it",
            )
            return INVALID
        if self.choices and value not in self.choices:
            listed = ", ".join(map(repr, self.choices))
            near = closest(value, self.choices)
            tip = f"; did you mean {near!r}?" if near else ""
            problems.add(path, f"must be one of {listed}, got {quoted(value)}{tip}")
            return INVALID
        if self.max_len is not None and len(value.encode()) > self.max_len:
            problems.add(path, f"must be at most {self.max_len} bytes, got {len(value.encode())}")
            return INVALID
        pattern = self._pattern or self.pattern
        if pattern and not pattern.match(value):
            problems.add(path, f"{quoted(value)} is not valid: {self.hint}")
            return INVALID
        return value


class Integer(Check[int]):
    """An integer within optional bounds."""

    type_name = "integer"

    def __init__(self, *, min: int | None = None, max: int | None = None, hint: str = "") -> None:
        self.min = min
        self.max = max
        self.hint = hint

    def type_text(self) -> str:
        if self.min is not None and self.max is not None:
            return f"integer {self.min}..{self.max}"
        if self.min is not None:
            return f"integer >= {self.min}"
        return self.type_name

    def __call__(self, value: object, path: str, problems: Problems) -> int | Invalid:
        if isinstance(value, bool) or not isinstance(value, int):
            return self.wrong_type(value, path, problems)
        if not INT64_MIN <= value <= INT64_MAX:
            problems.add(path, f"{value} does not fit in 64 bits (TOML's and QEMU's integers)")
            return INVALID
        hint = f" ({self.hint})" if self.hint else ""
        if self.min is not None and value < self.min:
            problems.add(path, f"must be >= {self.min}, got {value}{hint}")
            return INVALID
        if self.max is not None and value > self.max:
            problems.add(path, f"must be <= {self.max}, got {value}{hint}")
            return INVALID
        return value


class Boolean(Check[bool]):
    """true or false."""

    type_name = "boolean"

    def __call__(self, value: object, path: str, problems: Problems) -> bool | Invalid:
        if not isinstance(value, bool):
            return self.wrong_type(value, path, problems)
        return value


_SIZE = re.compile(r"([0-9]+)([KMGTPE]?)\Z", re.IGNORECASE)


_UNITS = "KMGTPE"


class Size(Check[int]):
    """A byte size: an integer of bytes, or a string like "512M" or "2G"."""

    type_name = 'size (bytes, or a string such as "512M", "2G")'

    def __init__(self, *, min: int = 0, multiple: int = 1) -> None:
        self.min = min
        self.multiple = multiple

    def __call__(self, value: object, path: str, problems: Problems) -> int | Invalid:
        if isinstance(value, str):
            match = _SIZE.match(value.strip())
            if not match:
                problems.add(
                    path,
                    f"{quoted(value)} is not a size: write a number with an optional "
                    'suffix K, M, G, T (powers of 1024), e.g. "512M" or "2G"',
                )
                return INVALID
            number, unit = match.groups()
            size = int(number) << (10 * (_UNITS.index(unit.upper()) + 1) if unit else 0)
        elif isinstance(value, int) and not isinstance(value, bool):
            size = value
        else:
            return self.wrong_type(value, path, problems)
        if size < self.min:
            hint = ""
            if isinstance(value, int) and value > 0:
                # 1024 for 1024 MiB: the unit is what was forgotten.
                hint = (
                    f" (an integer is a number of bytes); did you mean "
                    f'"{format_size(value << 20)}" (a string with a unit)?'
                )
            problems.add(
                path, f"must be at least {format_size(self.min)}, got {value_text(value)}{hint}"
            )
            return INVALID
        if size > UINT64_MAX:
            problems.add(path, f"{value_text(value)} does not fit in 64 bits, as QEMU's sizes must")
            return INVALID
        if size % self.multiple:
            problems.add(
                path, f"must be a multiple of {format_size(self.multiple)}, got {value_text(value)}"
            )
            return INVALID
        return size


def format_size(size: int) -> str:
    """The shortest exact QEMU spelling of a byte size: 2G, 1536M, 4096."""
    unit = ""
    for suffix in _UNITS:
        if size == 0 or size % 1024:
            break
        size //= 1024
        unit = suffix
    return f"{size}{unit}"


class ListOf(Check[tuple[T, ...]]):
    """An array whose every item passes `item`; a tuple, as a loaded config is read-only."""

    def __init__(self, item: Check[T], *, min_len: int = 0) -> None:
        self.item = item
        self.min_len = min_len

    def type_text(self) -> str:
        return f"array of {self.item.type_text()}"

    def __call__(self, value: object, path: str, problems: Problems) -> tuple[T, ...] | Invalid:
        if not isinstance(value, list):
            return self.wrong_type(value, path, problems)
        if len(value) < self.min_len:
            problems.add(path, f"must have at least {self.min_len} item(s)")
            return INVALID
        out: list[T] = []
        failed = False
        for index, item in enumerate(value):
            checked = self.item(item, f"{path}[{index}]", problems)
            if isinstance(checked, Invalid):
                failed = True
            else:
                out.append(checked)
        return INVALID if failed else tuple(out)


class MapOf(Check[Mapping[str, T]]):
    """A table of free-form keys (QEMU property names) to checked values; read-only."""

    def __init__(self, value: Check[T], *, key_pattern: str, key_hint: str) -> None:
        self.value = value
        self._key_source = key_pattern
        self._key_pattern: re.Pattern[str] | None = None
        self.key_hint = key_hint

    @property
    def key_pattern(self) -> re.Pattern[str]:
        """The compiled key pattern, compiled on first use (as Text's)."""
        if self._key_pattern is None:
            self._key_pattern = re.compile(self._key_source)
        return self._key_pattern

    def type_text(self) -> str:
        return f"table of {self.value.type_text()}"

    def __call__(self, value: object, path: str, problems: Problems) -> Mapping[str, T] | Invalid:
        if not isinstance(value, dict):
            return self.wrong_type(value, path, problems)
        out: dict[str, T] = {}
        failed = False
        key_pattern = self.key_pattern
        for key, item in value.items():
            item_path = join(path, key)
            if not key_pattern.match(key):
                problems.add(item_path, f"{key!r} is not a valid name: {self.key_hint}")
                failed = True
                continue
            checked = self.value(item, item_path, problems)
            if isinstance(checked, Invalid):
                failed = True
            else:
                out[key] = checked
        return INVALID if failed else MappingProxyType(out)


class Scalar(Check[str | int | bool]):
    """A string, integer or boolean: the value of a free-form QEMU property."""

    type_name = "string, integer or boolean"

    def __init__(self, text: Text | None = None) -> None:
        self.text = text or Text()

    def __call__(self, value: object, path: str, problems: Problems) -> str | int | bool | Invalid:
        if isinstance(value, str):
            return self.text(value, path, problems)
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return Integer()(value, path, problems)
        return self.wrong_type(value, path, problems)
