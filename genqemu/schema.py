"""Typed config keys: how each TOML value is checked, converted and documented.

A model is a class whose attributes are declared with `key(CHECK, doc=...)`.
`Model.load` checks a raw TOML table against those declarations, collects
every problem with its TOML path, and returns an instance whose attributes are
plain Python values. Nothing here knows about QEMU; it is only the machinery.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Any, ClassVar, Generic, TypeVar

T = TypeVar("T")
M = TypeVar("M", bound="Model")

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
# Characters no QEMU option, shell line or line-based format can carry safely.
# Lone surrogates stand for undecodable bytes (os.fsdecode); UTF-8 cannot hold them.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_NAMES = {"\n": "newline", "\r": "carriage return", "\t": "tab", "\x00": "NUL"}
# tomli reads integers of any size; TOML and QEMU stop at 64 bits.
INT64_MIN, INT64_MAX, UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1


class Problems:
    """Every problem found in one document, each with its TOML path."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)


def join(path: str, key: str | int) -> str:
    """The TOML path of `key` inside `path`: `device[2].guest_cid`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if not _BARE_KEY.match(key):
        key = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{path}.{key}" if path else key


def describe(value: object) -> str:
    """How a TOML value reads in an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return "string " + _quote(shown)
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__.replace("datetime", "date-time")


def _quote(text: str) -> str:
    """Quote user text for a message without letting it break the line."""
    return repr(text)


# Past this many choices a suggestion costs more than it helps: every dangling
# reference of a 100,000-device config would otherwise run difflib over them all.
SUGGEST_MAX = 100


def closest(word: str, choices: Collection[str]) -> str | None:
    """The choice most like `word`, if any is close (and there are not too many)."""
    if len(choices) > SUGGEST_MAX:
        return None
    import difflib  # only on the error path

    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(word: str, choices: Collection[str]) -> str:
    """`; did you mean 'x'?` for the closest choice, else the list of them all."""
    if len(choices) > SUGGEST_MAX:
        return f"; there are {len(choices)} to choose from"
    options = sorted(choices)
    near = closest(word, options)
    if near:
        return f"; did you mean {near!r}?"
    return "; valid: " + ", ".join(options)


class Invalid:
    """Marks a value that failed its check (the problem is already recorded)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = Invalid()


class Check(Generic[T]):
    """How one TOML value is checked and converted; also how it is documented."""

    type_name = "value"

    def __call__(self, value: object, path: str, problems: Problems) -> T | Invalid:
        raise NotImplementedError

    def describe(self) -> str:
        """The type as docs/config.md shows it."""
        return self.type_name

    def wrong_type(self, value: object, path: str, problems: Problems) -> Invalid:
        problems.add(path, f"must be {self.describe()}, got {describe(value)}")
        return INVALID


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

    def describe(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return self.type_name

    def __call__(self, value: object, path: str, problems: Problems) -> str | Invalid:
        if not isinstance(value, str):
            return self.wrong_type(value, path, problems)
        # isprintable() is false for every control character, and much cheaper.
        bad = None if value.isprintable() else _CONTROL.search(value)
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
            problems.add(path, f"must be one of {listed}, got {_quote(value)}{tip}")
            return INVALID
        if self.max_len is not None and len(value.encode()) > self.max_len:
            problems.add(path, f"must be at most {self.max_len} bytes, got {len(value.encode())}")
            return INVALID
        pattern = self._pattern or self.pattern
        if pattern and not pattern.match(value):
            problems.add(path, f"{_quote(value)} is not valid: {self.hint}")
            return INVALID
        return value


class Integer(Check[int]):
    """An integer within optional bounds."""

    type_name = "integer"

    def __init__(self, *, min: int | None = None, max: int | None = None, hint: str = "") -> None:
        self.min = min
        self.max = max
        self.hint = hint

    def describe(self) -> str:
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
                    f"{_quote(value)} is not a size: write a number with an optional "
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
            problems.add(path, f"must be at least {format_size(self.min)}, got {describe(value)}")
            return INVALID
        if size > UINT64_MAX:
            problems.add(path, f"{describe(value)} does not fit in 64 bits, as QEMU's sizes must")
            return INVALID
        if size % self.multiple:
            problems.add(
                path, f"must be a multiple of {format_size(self.multiple)}, got {describe(value)}"
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


class ListOf(Check[list[T]]):
    """An array whose every item passes `item`."""

    def __init__(self, item: Check[T], *, min_len: int = 0) -> None:
        self.item = item
        self.min_len = min_len

    def describe(self) -> str:
        return f"array of {self.item.describe()}"

    def __call__(self, value: object, path: str, problems: Problems) -> list[T] | Invalid:
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
        return INVALID if failed else out


class MapOf(Check[dict[str, T]]):
    """A table of free-form keys (QEMU property names) to checked values."""

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

    def describe(self) -> str:
        return f"table of {self.value.describe()}"

    def __call__(self, value: object, path: str, problems: Problems) -> dict[str, T] | Invalid:
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
        return INVALID if failed else out


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


class Table(Check[M]):
    """A nested table described by a model."""

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def describe(self) -> str:
        return "table"

    def __call__(self, value: object, path: str, problems: Problems) -> M | Invalid:
        loaded = self.model.load(value, path, problems)
        return INVALID if loaded is None else loaded


class Tagged(Check[M]):
    """A table whose `tag` key picks the model: `kind = "virtio-blk"`.

    The models are the subclasses of `base` that set the class variable named
    `tag` themselves: `class VirtioBlk(Device): kind = "virtio-blk"`.
    """

    def __init__(self, tag: str, base: type[M]) -> None:
        self.tag = tag
        self.base = base
        self._models: dict[str, type[M]] | None = None

    @property
    def models(self) -> dict[str, type[M]]:
        if self._models is None:
            found: dict[str, type[M]] = {}
            pending = [self.base]
            while pending:
                cls = pending.pop()
                pending.extend(cls.__subclasses__())
                name = cls.__dict__.get(self.tag)
                if name:
                    found[name] = cls
            self._models = dict(sorted(found.items()))
        return self._models

    def describe(self) -> str:
        return f"table with {self.tag} = one of " + ", ".join(sorted(self.models))

    def __call__(self, value: object, path: str, problems: Problems) -> M | Invalid:
        if not isinstance(value, dict):
            return self.wrong_type(value, path, problems)
        name = value.get(self.tag)
        if name is None:
            problems.add(
                join(path, self.tag),
                f"required key is missing: say which {self.tag} this is" + suggest("", self.models),
            )
            return INVALID
        if not isinstance(name, str):
            problems.add(join(path, self.tag), f"must be a string, got {describe(name)}")
            return INVALID
        model = self.models.get(name)
        if model is None:
            problems.add(
                join(path, self.tag),
                f"unknown {self.tag} {_quote(name)}" + suggest(name, self.models),
            )
            return INVALID
        loaded = model.load(value, path, problems, skip=self.tag)
        return INVALID if loaded is None else loaded


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


class Field(Generic[T]):
    """One declared key of a model."""

    name = ""  # the TOML key
    attr = ""  # the Python attribute

    def __init__(
        self,
        check: Check[T],
        *,
        default: T,
        doc: str,
        transports: tuple[str, ...] = (),
        toml: str = "",
    ) -> None:
        self.check = check
        self.default = default
        self.doc = doc
        self.transports = transports
        self.name = toml

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = name
        self.name = self.name or name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        raise AttributeError(self.name)  # pragma: no cover - loaded models set every key


def key(
    check: Check[Any],
    *,
    doc: str,
    default: Any = REQUIRED,
    transports: tuple[str, ...] = (),
    toml: str = "",
) -> Any:
    """Declare a config key.

    `transports` limits it to devices on those transports; `toml` names the
    key when it cannot be the attribute's name (a Python keyword).
    """
    return Field(check, default=default, doc=doc, transports=transports, toml=toml)


class Model:
    """A TOML table with declared keys; subclasses declare them with `key()`."""

    fields: ClassVar[dict[str, Field[Any]]] = {}
    drop_keys: ClassVar[tuple[str, ...]] = ()  # inherited keys this table does not have
    # Derived from fields, so that loading a table costs per key it has.
    _defaults: ClassVar[dict[str, Any]] = {}  # attribute -> default of each optional key
    _required: ClassVar[tuple[Field[Any], ...]] = ()
    _bare: ClassVar[frozenset[str]] = frozenset()  # keys that need no quotes in a path
    toml_path: str = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, Field[Any]] = {}
        for base in reversed(cls.__mro__):
            for value in vars(base).values():
                if isinstance(value, Field):
                    fields[value.name] = value
        for name in cls.__dict__.get("drop_keys", ()):
            del fields[name]
        cls.fields = fields
        cls._defaults = {f.attr: f.default for f in fields.values() if f.default is not REQUIRED}
        cls._required = tuple(f for f in fields.values() if f.default is REQUIRED)
        cls._bare = frozenset(name for name in fields if _BARE_KEY.match(name))

    @classmethod
    def load(
        cls: type[M], raw: object, path: str, problems: Problems, *, skip: str = ""
    ) -> M | None:
        """Check `raw` against the declared keys; None when it has problems."""
        if not isinstance(raw, dict):
            problems.add(path or "(top level)", f"must be a table, got {describe(raw)}")
            return None
        found = problems.items
        before = len(found)
        obj = cls.__new__(cls)
        values = obj.__dict__
        values["toml_path"] = path
        values.update(cls._defaults)  # the same objects as before: defaults are shared
        fields = cls.fields
        bare = cls._bare
        prefix = f"{path}." if path else ""
        for name, value in raw.items():  # in document order, so problems are too
            field = fields.get(name)
            if field is not None:
                where = prefix + name if name in bare else join(path, name)
                values[field.attr] = field.check(value, where, problems)
            elif name != skip:
                problems.add(join(path, name), "unknown key" + suggest(name, fields))
        for field in cls._required:
            if field.name not in raw:
                problems.add(join(path, field.name), f"required key is missing: {field.doc}")
        if len(found) == before:
            obj.validate(problems)
        return None if len(found) > before else obj

    def validate(self, problems: Problems) -> None:
        """Rules that involve several keys of this table; override to add some."""

    def require_one_key(self, problems: Problems) -> None:
        """A table whose keys are all optional but which means nothing empty."""
        if all(self.__dict__[f.attr] is None for f in self.fields.values()):
            problems.add(self.toml_path, "is empty: set at least one of " + ", ".join(self.fields))
