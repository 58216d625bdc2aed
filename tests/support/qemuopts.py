"""Readers of QEMU's option syntaxes, so tests can read back what QEMU would read.

QEMU 7.2 parses option arguments in four ways (checked against its source and
binaries; tests/test_qemuopts.py holds the examples):

- QemuOpts (util/qemu-option.c): `,,` is a literal comma, a single comma ends a
  value, `=` inside a value is literal, a bare name is a flag, and the first
  item may be an implied key (`-device DRIVER,...`), which also honours `,,`.
- keyval (util/keyval.c; -machine, -smp, -m, -object, -blockdev): like
  QemuOpts for `key=value`, but the implied first value ends at the first `,`
  or `=` (no `,,` there), keys are dotted QAPI names and bare names are errors.
- -cpu (parse_cpu_option, cpu_common_parse_features, x86_cpu_parse_featurestr):
  the model ends at the first comma; the features are split with strtok(",")
  at every comma, so `,,` is no escape at all.
- JSON (-device, -object, -netdev, -blockdev, when the argument starts
  with `{`): a JSON object; nested objects are dotted keys as in keyval.

Every other option takes its argument verbatim (`-kernel PATH`).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

Pairs = list[tuple[str, str | None]]
Syntax = Literal["qemuopts", "keyval", "cpu", "plain"]


class OptionSyntaxError(ValueError):
    """QEMU would refuse this argument before looking at its keys."""


# Option -> (syntax, implied first key, accepts the JSON form).
SYNTAX: dict[str, tuple[Syntax, str | None, bool]] = {
    "-name": ("qemuopts", "guest", False),
    "-machine": ("keyval", "type", False),
    "-cpu": ("cpu", None, False),
    "-smp": ("keyval", "cpus", False),
    "-m": ("keyval", "size", False),
    "-overcommit": ("qemuopts", None, False),
    "-sandbox": ("qemuopts", "enable", False),
    "-drive": ("qemuopts", None, False),
    "-rtc": ("qemuopts", None, False),
    "-global": ("qemuopts", None, False),
    "-chardev": ("qemuopts", "backend", False),
    "-mon": ("qemuopts", "chardev", False),
    "-object": ("keyval", "qom-type", True),
    "-blockdev": ("keyval", "driver", True),
    "-device": ("qemuopts", "driver", True),
    "-netdev": ("qemuopts", "type", True),
    "-fsdev": ("qemuopts", "fsdriver", False),
    "-uuid": ("plain", None, False),
    "-kernel": ("plain", None, False),
    "-initrd": ("plain", None, False),
    "-append": ("plain", None, False),
    "-bios": ("plain", None, False),
    "-vga": ("plain", None, False),
    "-pidfile": ("plain", None, False),
    "-D": ("plain", None, False),
    "-serial": ("plain", None, False),
    "-numa": ("qemuopts", "type", False),
    "-msg": ("qemuopts", None, False),  # parsed without an implied key
    "-action": ("qemuopts", None, False),  # vl.c: qemu_opts_parse_noisily(..., false)
    "-incoming": ("plain", None, False),  # a URI: fd:N, exec:CMD, tcp:..., defer
    "-fw_cfg": ("qemuopts", "name", False),
    "-smbios": ("qemuopts", None, False),  # vl.c: qemu_opts_parse_noisily(..., false)
    "-tpmdev": ("qemuopts", "type", False),  # tpm.c: qemu_opts_parse_noisily(..., true)
    "-audiodev": ("keyval", "driver", True),  # audio.c: qobject_input_visitor_new_str
    "-display": ("keyval", "type", True),  # vl.c parse_display_qapi: keyval, implied type
    "-vnc": ("qemuopts", "vnc", False),  # vnc.c vnc_parse: qemu_opts_parse_noisily(.., true)
    "-spice": ("qemuopts", None, False),  # vl.c: qemu_opts_parse_noisily(..., false)
}


def _value(text: str, start: int) -> tuple[str, int]:
    """The value at `start` and the index after the single comma that ends it."""
    out: list[str] = []
    index = start
    while True:
        comma = text.find(",", index)
        if comma < 0:
            out.append(text[index:])
            return "".join(out), len(text)
        out.append(text[index:comma])
        if not text.startswith(",", comma + 1):
            return "".join(out), comma + 1
        out.append(",")  # ",," is a literal comma
        index = comma + 2


def parse(text: str, implied: str | None = None) -> Pairs:
    """QemuOpts: every (name, value) in order; a flag has value None."""
    items: Pairs = []
    index = 0
    first = True
    while index < len(text):
        stop = index
        while stop < len(text) and text[stop] not in "=,":
            stop += 1
        if stop < len(text) and text[stop] == "=":
            name = text[index:stop]
            value, index = _value(text, stop + 1)
            items.append((name, value))
        elif first and implied:
            value, index = _value(text, index)
            items.append((implied, value))
        else:
            items.append((text[index:stop], None))
            index = stop + 1
        first = False
    return items


def parse_dict(text: str, implied: str | None = None) -> dict[str, str | None]:
    """`parse` as a dict; a repeated key (hostfwd) keeps its last value."""
    return dict(parse(text, implied))


_QAPI_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(\.([A-Za-z][A-Za-z0-9_-]*|[0-9]+))*\Z")


def parse_keyval(text: str, implied: str | None = None) -> Pairs:
    """keyval: every (dotted key, value) in order; OptionSyntaxError where QEMU refuses."""
    items: Pairs = []
    index = 0
    while index < len(text):
        stop = index
        while stop < len(text) and text[stop] not in "=,":
            stop += 1
        if stop > index and (stop == len(text) or text[stop] == ","):
            if not implied:
                raise OptionSyntaxError(f"Expected '=' after parameter {text[index:stop]!r}")
            # The implied value ends at the first ',' or '=': no escapes.
            items.append((implied, text[index:stop]))
            index = stop + 1
        else:
            key = text[index:stop]
            if not _QAPI_KEY.match(key):
                raise OptionSyntaxError(f"Invalid parameter {key!r}")
            value, index = _value(text, stop + 1)
            items.append((key, value))
        implied = None
    return items


def parse_cpu(text: str) -> Pairs:
    """-cpu: ("", MODEL), then each feature; strtok(",") ignores `,,`."""
    model, _, features = text.partition(",")
    items: Pairs = [("", model)]
    for token in features.split(","):
        if not token:
            continue  # strtok skips empty tokens
        name, equals, value = token.partition("=")
        items.append((name, value if equals else None))
    return items


def parse_json(text: str) -> Pairs:
    """JSON: every leaf as (dotted key, value); booleans read as on/off."""

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        if len(set(keys)) != len(keys):
            raise OptionSyntaxError(f"duplicate key in {text!r}")
        return dict(pairs)

    try:
        document = json.loads(text, object_pairs_hook=unique)
    except json.JSONDecodeError as error:
        raise OptionSyntaxError(str(error)) from None
    if not isinstance(document, dict):
        raise OptionSyntaxError("a JSON option must be an object")
    items: Pairs = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else key, item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(f"{prefix}.{index}", item)
        elif isinstance(value, bool):
            items.append((prefix, "on" if value else "off"))
        elif value is None:
            raise OptionSyntaxError(f"{prefix}: null is not a value")
        else:
            items.append((prefix, str(value)))

    walk("", document)
    return items


def read_option(name: str, argument: str) -> Pairs:
    """The (key, value) pairs QEMU reads from `name ARGUMENT`; ("", ARG) if verbatim.

    An option this table does not know is a KeyError: add it to SYNTAX with
    the parser QEMU uses for it (see qemu-options.hx and softmmu/vl.c).
    """
    try:
        syntax, implied, takes_json = SYNTAX[name]
    except KeyError:
        raise KeyError(f"tests/support/qemuopts.py does not know how QEMU parses {name}") from None
    if takes_json and argument.startswith("{"):
        return parse_json(argument)
    if syntax == "qemuopts":
        return parse(argument, implied)
    if syntax == "keyval":
        return parse_keyval(argument, implied)
    if syntax == "cpu":
        return parse_cpu(argument)
    return [("", argument)]
