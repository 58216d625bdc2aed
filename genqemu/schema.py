"""Typed config keys: the machinery that checks, converts and documents TOML tables.

A model is a class whose attributes are declared with `key(CHECK, doc=...)`.
`Model.load` checks a raw TOML table against those declarations, collects
every problem with its TOML path, and returns an instance whose attributes are
plain Python values. The checks of single values (Text, Integer, Size, ...)
are in values.py; Table and Tagged, which hold models, are here. Nothing here
knows about QEMU.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from importlib import import_module
from types import MappingProxyType
from typing import Any, ClassVar, Generic, TypeVar, cast

T = TypeVar("T")
M = TypeVar("M", bound="Model")

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")
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


def value_text(value: object) -> str:
    """How a TOML value reads in an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return "string " + quoted(shown)
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__.replace("datetime", "date-time")


def quoted(text: str) -> str:
    """Quote user text for a message without letting it break the line."""
    return repr(text)


# Past this many choices a suggestion costs more than it helps: every dangling
# reference of a 100,000-device config would otherwise run difflib over them all.
SUGGEST_MAX = 100


def closest(word: str, choices: Collection[str], limit: int = SUGGEST_MAX) -> str | None:
    """The choice `word` is likely a typo of, if any (and there are at most `limit`
    choices); see `likely` for what counts."""
    if len(choices) > limit:
        return None
    best: tuple[int, str] | None = None
    for choice in sorted(choices):
        distance = likely(word, choice)
        if distance is not None and (best is None or distance < best[0]):
            best = (distance, choice)
    return best[1] if best else None


_TOKEN = re.compile(r"[-_.]")


def likely(word: str, choice: str) -> int | None:
    """How many typing slips turn `word` into `choice` (None: more than a slip).

    A slip is a wrong, missing, extra or swapped character, or the case or the
    separator (- for _). One slip is allowed, two in words of 10 characters or
    more; and the slip may not fall in a part of two characters or fewer, where
    one character is the whole meaning (scsi-cd is not scsi-hd, nvme not nvdimm).
    """
    if word.lower().replace("-", "_") == choice.lower().replace("-", "_"):
        return 0
    allowed = 2 if min(len(word), len(choice)) >= 10 else 1
    if not word or abs(len(word) - len(choice)) > allowed:
        return None
    distance = _slips(word, choice)
    if distance > allowed:
        return None
    parts, other = _TOKEN.split(word), _TOKEN.split(choice)
    if len(parts) == len(other) and any(
        a != b and min(len(a), len(b)) <= 2 for a, b in zip(parts, other, strict=True)
    ):
        return None
    return distance


def _slips(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbours as one (optimal string alignment)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]


def suggest(word: str, choices: Collection[str], unmodelled: str = "") -> str:
    """`; did you mean 'x'?` for a likely typo, else the list of every choice and,
    if given, `unmodelled`: how to pass what genqemu does not model."""
    if len(choices) > SUGGEST_MAX:
        return f"; there are {len(choices)} to choose from" + (
            f"; {unmodelled}" if unmodelled else ""
        )
    options = sorted(choices)
    near = closest(word, options)
    if near:
        return f"; did you mean {near!r}?"
    return "; valid: " + ", ".join(options) + (f"; {unmodelled}" if unmodelled else "")


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

    def type_text(self) -> str:
        """The type as docs/config.md shows it."""
        return self.type_name

    def wrong_type(self, value: object, path: str, problems: Problems) -> Invalid:
        problems.add(path, f"must be {self.type_text()}, got {value_text(value)}")
        return INVALID


def _class(where: type[M] | str) -> type[M]:
    """A model class, or the one "module:Class" names (imported now)."""
    if isinstance(where, str):
        module, _, name = where.partition(":")
        return cast("type[M]", getattr(import_module(module), name))
    return where


class Table(Check[M]):
    """A nested table described by a model. Named as "module:Class", the
    model's module is imported only when a config has the table, so that a
    run pays only for the tables it uses."""

    def __init__(self, model: type[M] | str) -> None:
        self._model = model

    @property
    def model(self) -> type[M]:
        if isinstance(self._model, str):
            self._model = _class(self._model)
        return self._model

    def type_text(self) -> str:
        return "table"

    def __call__(self, value: object, path: str, problems: Problems) -> M | Invalid:
        loaded = self.model.load(value, path, problems)
        return INVALID if loaded is None else loaded


class Tagged(Check[M]):
    """A table whose `tag` key picks the model: `kind = "virtio-blk"`.

    The models are the subclasses of `base` that set the class variable named
    `tag` themselves: `class VirtioBlk(Device): kind = "virtio-blk"`. With an
    `index` (tag value -> module of `package`), a model's module is imported
    only when a table names it, so that a run pays only for what it uses; a
    `base` named as "module:Class" is imported when a config has the table.
    """

    def __init__(
        self,
        tag: str,
        base: type[M] | str,
        unmodelled: str = "",
        index: Mapping[str, str] | None = None,
        package: str = "",
    ) -> None:
        self.tag = tag
        self._base = base
        # How to pass one genqemu does not model; {name} is the unknown one.
        self.unmodelled = unmodelled
        self.index = index
        self.package = package
        self._models: dict[str, type[M]] | None = None
        self._seen: dict[str, type[M]] = {}  # the models imported so far

    @property
    def base(self) -> type[M]:
        if isinstance(self._base, str):
            self._base = _class(self._base)
        return self._base

    @property
    def models(self) -> dict[str, type[M]]:
        """Every model, by its tag value (imports them all)."""
        if self._models is None:
            for module in sorted(set((self.index or {}).values())):
                import_module(f"{self.package}.{module}")
            self._models = dict(sorted(self._scan().items()))
        return self._models

    @property
    def names(self) -> Collection[str]:
        """Every tag value, without importing a model."""
        return self.index.keys() if self.index is not None else self.models.keys()

    def model(self, name: str) -> type[M] | None:
        """The model `name` picks, or None: only its own module is imported."""
        if self.index is None or self._models is not None:
            return self.models.get(name)
        found = self._seen.get(name)
        if found is None and name in self.index:
            import_module(f"{self.package}.{self.index[name]}")
            found = self._scan().get(name)
        return found

    def _scan(self) -> dict[str, type[M]]:
        """The models imported so far, found by walking the subclasses of `base`."""
        found: dict[str, type[M]] = {}
        pending = [self.base]
        while pending:
            cls = pending.pop()
            pending.extend(cls.__subclasses__())
            name = vars(cls).get(self.tag)  # set by the class itself, not inherited
            if name:
                found[name] = cls
        self._seen = found
        return found

    def type_text(self) -> str:
        return f"table with {self.tag} = one of " + ", ".join(sorted(self.names))

    def __call__(self, value: object, path: str, problems: Problems) -> M | Invalid:
        if not isinstance(value, dict):
            return self.wrong_type(value, path, problems)
        name = value.get(self.tag)
        if name is None:
            problems.add(
                join(path, self.tag),
                f"required key is missing: say which {self.tag} this is" + suggest("", self.names),
            )
            return INVALID
        if not isinstance(name, str):
            problems.add(join(path, self.tag), f"must be a string, got {value_text(name)}")
            return INVALID
        model = self.model(name)
        if model is None:
            shown = name if _BARE_KEY.match(name) else self.tag.upper()
            problems.add(
                join(path, self.tag),
                f"unknown {self.tag} {quoted(name)}"
                + suggest(name, self.names, self.unmodelled.format(name=shown)),
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
        per_transport: bool = False,
        toml: str = "",
    ) -> None:
        self.check = check
        # Read-only like every loaded value: an unset array is (), an unset table {}.
        if isinstance(default, list):
            default = cast(T, tuple(default))
        elif isinstance(default, dict):
            default = cast(T, MappingProxyType(default))
        self.default = default
        self.doc = doc
        self.per_transport = per_transport
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
    per_transport: bool = False,
    toml: str = "",
) -> Any:
    """Declare a config key.

    `per_transport` limits it to the transports whose profile entry lists it
    (a PCI address, a CCW device number); `toml` names the
    key when it cannot be the attribute's name (a Python keyword).
    """
    return Field(check, default=default, doc=doc, per_transport=per_transport, toml=toml)


def _own_fields(cls: type) -> dict[str, Field[Any]]:
    """The keys a class declares itself, in order, by their TOML names."""
    return {value.name: value for value in vars(cls).values() if isinstance(value, Field)}


class Model:
    """A TOML table with declared keys; subclasses declare them with `key()`."""

    fields: ClassVar[dict[str, Field[Any]]] = {}
    _own_fields: ClassVar[dict[str, Field[Any]]] = {}
    drop_keys: ClassVar[tuple[str, ...]] = ()  # inherited keys this table does not have
    # Derived from fields, so that loading a table costs per key it has.
    _defaults: ClassVar[dict[str, Any]] = {}  # attribute -> default of each optional key
    _required: ClassVar[tuple[Field[Any], ...]] = ()
    _bare: ClassVar[frozenset[str]] = frozenset()  # keys that need no quotes in a path
    toml_path: str = ""
    # How to pass a setting this table does not model (said of an unknown key).
    unmodelled: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Each class's own keys are found once and kept (_own_fields), so a class
        # scans its own attributes only, not every base's again (about 80 device
        # classes load on every run).
        cls._own_fields = _own_fields(cls)
        fields: dict[str, Field[Any]] = {}
        for base in reversed(cls.__mro__):
            own = vars(base).get("_own_fields")
            fields.update(_own_fields(base) if own is None else own)
        for name in vars(cls).get("drop_keys", ()):
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
            problems.add(path or "(top level)", f"must be a table, got {value_text(raw)}")
            return None
        found = problems.items
        before = len(found)
        obj = cls.__new__(cls)
        values: dict[str, Any] = {"toml_path": path, **cls._defaults}  # defaults are shared
        fields = cls.fields
        bare = cls._bare
        prefix = f"{path}." if path else ""
        for name, value in raw.items():  # in document order, so problems are too
            field = fields.get(name)
            if field is not None:
                where = prefix + name if name in bare else join(path, name)
                values[field.attr] = field.check(value, where, problems)
            elif name != skip:
                problems.add(
                    join(path, name), "unknown key" + suggest(name, fields, cls.unmodelled)
                )
        _set = object.__setattr__  # the one place a model's attributes are written
        for attr, value in values.items():
            _set(obj, attr, value)
        for field in cls._required:
            if field.name not in raw:
                problems.add(join(path, field.name), f"required key is missing: {field.doc}")
        if len(found) == before:
            obj.validate(problems)
        return None if len(found) > before else obj

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            f"{type(self).__name__}.{name}: a loaded config is read-only; "
            "resolution keeps its decisions in genqemu/records.py"
        )

    def __delattr__(self, name: str) -> None:
        self.__setattr__(name, None)

    def validate(self, problems: Problems) -> None:
        """Rules that involve several keys of this table; override to add some."""

    def require_one_key(self, problems: Problems) -> None:
        """A table whose keys are all optional but which means nothing empty."""
        if all(getattr(self, f.attr) is None for f in self.fields.values()):
            problems.add(self.toml_path, "is empty: set at least one of " + ", ".join(self.fields))
