"""QEMU's argument syntax: argv into options, an option's argument into properties.

`key=value,...` follows util/qemu-option.c: `,,` is a literal comma, a single
comma ends a value, `=` inside a value is literal, an unnamed first item gets
the option's implied key, and a bare name is a flag (`name` is on, `noname`
is off). An argument that starts with `{` is QEMU's JSON syntax for the
options that take it; nested objects flatten to dotted keys (`file.driver`),
as QEMU's keyval syntax spells them, and booleans become on/off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from genqemu.argmax import MAX_ARGUMENT
from genqemu.errors import GenqemuError
from genqemu.escape import onoff
from genqemu.qemu_options import FLAGS, IMPLIED_KEY, JSON_SYNTAX, WITH_ARGUMENT

Props = list[tuple[str, str]]

_TRUE = frozenset({"on", "yes", "true"})
_FALSE = frozenset({"off", "no", "false"})


def value_of(props: Props, key: str) -> str | None:
    """The last value of `key` (QEMU keeps the last of repeated keys)."""
    found = None
    for name, value in props:
        if name == key:
            found = value
    return found


def to_bool(value: str) -> bool | str:
    """A boolean property as QEMU reads it (on, yes, true; off, no, false); other text as is."""
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return value


@dataclass
class Option:
    """One option of the command line as written: `-name` and its argument."""

    index: int
    name: str  # without dashes: "device"
    words: list[str]  # as written: ["--device", "virtio-rng-pci"]
    props: Props = field(default_factory=list)
    json: bool = False

    @property
    def arg(self) -> str | None:
        return self.words[1] if len(self.words) > 1 else None

    def get(self, key: str) -> str | None:
        return value_of(self.props, key)

    def label(self) -> str:
        """How the summary names it: `-device usb-tablet`, `-global driver=...`."""
        arg = self.arg
        if arg is None:
            return self.words[0]
        implied = IMPLIED_KEY.get(self.name)
        shown = (self.get(implied) if implied else None) or (
            arg.split(",")[0] if self.name in IMPLIED_KEY else arg
        )
        if len(shown) > 40:
            shown = shown[:37] + "..."
        return f"{self.words[0]} {shown}"


def split_options(args: list[str]) -> list[Option]:
    """argv without the binary into options; unknown options and missing values are errors."""
    options: list[Option] = []
    position = 0
    while position < len(args):
        word = args[position]
        if len(word) > MAX_ARGUMENT:
            raise GenqemuError(
                f"argument {position + 1} is {len(word)} bytes long; Linux cannot pass an "
                f"argument longer than {MAX_ARGUMENT} bytes to QEMU"
            )
        if not word.startswith("-") or word == "-":
            options.append(Option(len(options), "", [word]))  # a disk image, as -hda
            position += 1
            continue
        name = word[2:] if word.startswith("--") else word[1:]
        if name in FLAGS:
            options.append(Option(len(options), name, [word]))
            position += 1
        elif name in WITH_ARGUMENT:
            if position + 1 >= len(args):
                raise GenqemuError(f"option {word} needs a value, and it is the last argument")
            value = args[position + 1]
            if len(value) > MAX_ARGUMENT:
                raise GenqemuError(
                    f"the value of {word} is {len(value)} bytes long; Linux cannot pass an "
                    f"argument longer than {MAX_ARGUMENT} bytes to QEMU"
                )
            options.append(Option(len(options), name, [word, value]))
            position += 2
        else:
            raise GenqemuError(
                f"{word} (argument {position + 1}) is not a QEMU option genqemu knows; "
                "check its spelling (QEMU options are listed by qemu-system-x86_64 -help)"
            )
    for option in options:
        parse_props(option)
    return options


def parse_props(option: Option) -> None:
    """Fill in `option.props` from its argument."""
    arg = option.arg
    if arg is None:
        return
    if option.name in JSON_SYNTAX and arg.startswith("{"):
        option.props = parse_json(arg, f"-{option.name}")
        option.json = True
    elif option.name in IMPLIED_KEY:
        option.props = parse_qemuopts(arg, IMPLIED_KEY[option.name])
    elif option.name == "cpu":
        option.props = parse_cpu(arg)
    else:
        option.props = [("", arg)]


def _value(text: str, start: int) -> tuple[str, int]:
    """The value at `start` (`,,` is a comma) and the index after the comma ending it."""
    out: list[str] = []
    index = start
    while index < len(text):
        comma = text.find(",", index)
        if comma < 0:
            out.append(text[index:])
            return "".join(out), len(text)
        out.append(text[index:comma])
        if text.startswith(",", comma + 1):
            out.append(",")
            index = comma + 2
            continue
        return "".join(out), comma + 1
    return "".join(out), index


def parse_qemuopts(text: str, implied: str | None = None) -> Props:
    """Every (name, value) of a `key=value,...` string, in order; flags become on/off."""
    items: Props = []
    index = 0
    first = True
    while index < len(text):
        stop = index
        while stop < len(text) and text[stop] not in "=,":
            stop += 1
        if stop < len(text) and text[stop] == "=":
            value, after = _value(text, stop + 1)
            items.append((text[index:stop], value))
            index = after
        elif first and implied:
            value, index = _value(text, index)
            items.append((implied, value))
        else:
            name = text[index:stop]
            if name.startswith("no") and len(name) > 2:
                items.append((name[2:], "off"))
            elif name:
                items.append((name, "on"))
            index = stop + 1
        first = False
    return items


def parse_cpu(text: str) -> Props:
    """`-cpu MODEL,+feat,-feat,feat=value`: the model, then each feature as on/off/value."""
    model, _, rest = text.partition(",")
    items: Props = [("model", model)]
    for part in rest.split(",") if rest else []:
        if part.startswith(("+", "-")) and "=" not in part:
            items.append((part[1:], "on" if part[0] == "+" else "off"))
        elif "=" in part:
            name, _, value = part.partition("=")
            items.append((name, value))
        elif part:
            items.append((part, "on"))
    return items


def parse_json(text: str, option: str) -> Props:
    """QEMU's JSON syntax, flattened: nested keys dotted, booleans on/off, numbers as text."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise GenqemuError(f"{option}: the argument is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise GenqemuError(f"{option}: the JSON argument must be an object")
    items: Props = []
    _flatten(document, "", items)
    return items


def _flatten(value: object, prefix: str, items: Props) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            _flatten(item, f"{prefix}.{name}" if prefix else str(name), items)
    elif isinstance(value, list):
        for position, item in enumerate(value):
            _flatten(item, f"{prefix}.{position}", items)
    else:
        items.append((prefix, scalar_text(value)))


def scalar_text(value: object) -> str:
    """A JSON scalar as QEMU's key=value syntax writes it."""
    if isinstance(value, bool):
        return onoff(value)
    if value is None:
        return "null"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
