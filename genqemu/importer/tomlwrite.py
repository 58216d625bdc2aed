"""Writing an imported config as TOML that reads like the hand-written examples.

Top-level keys first, then each table and array of tables in the order
docs/config.md lists them; inside a table the tag (kind, type, backend) and
the id first, then the kind's own keys, then where it sits (bus, addr,
transport, ...). Keys equal to their default are left out; nested tables
are written inline; extra_args holds one QEMU option per line.
"""

from __future__ import annotations

from typing import Any

from genqemu.schema import Model, Table, Tagged
from genqemu.tomlfile import toml_key, toml_value
from genqemu.values import ListOf

_TAGS = ("kind", "type", "backend")


def to_toml(config: dict[str, Any], header: list[str]) -> str:
    """The TOML text of `config`, under `header` comment lines."""
    from genqemu.config import Config

    lines = [f"# {line}" for line in "\n".join(header).splitlines()]
    if lines:
        lines.append("")
    tables: list[str] = []
    for name, field in Config.fields.items():
        if name not in config:
            continue
        value = config[name]
        check = field.check
        if name == "extra_args":
            lines += [
                "# QEMU options genqemu does not model, passed through as written:",
                *_extra_args(value),
            ]
        elif isinstance(check, Table | Tagged):
            model = _model(check, value)
            tables += ["", f"[{name}]", *_pairs(_ordered(value, model))]
        elif isinstance(check, ListOf) and isinstance(check.item, Table | Tagged):
            for entry in value:
                model = _model(check.item, entry)
                tables += ["", f"[[{name}]]", *_pairs(_ordered(entry, model))]
        elif not _is_default(value, field.default):
            lines.append(f"{toml_key(name)} = {toml_value(value)}")
    return "\n".join([*lines, *tables]).strip("\n") + "\n"


def _model(check: Any, value: dict[str, Any]) -> type[Model]:
    if isinstance(check, Tagged):
        return check.models[value[check.tag]]
    return check.model  # type: ignore[no-any-return]


def _ordered(table: dict[str, Any], model: type[Model]) -> dict[str, Any]:
    """Tag and id first, then the model's own keys, then the ones every device shares;
    defaults left out; nested tables ordered the same way."""
    from genqemu.devices import VirtioDevice

    shared = list(VirtioDevice.fields)
    names = [n for n in model.fields if n not in shared] + [n for n in shared if n in model.fields]
    out = {tag: table[tag] for tag in _TAGS if tag in table and tag not in model.fields}
    if "id" in table:
        out["id"] = table["id"]
    for name in names:
        if name not in table or name in out:
            continue
        field = model.fields[name]
        value = table[name]
        if _is_default(value, field.default):
            continue
        check = field.check
        if isinstance(check, Table | Tagged) and isinstance(value, dict):
            value = _ordered(value, _model(check, value))
        out[name] = value
    return out


def _is_default(value: Any, default: Any) -> bool:
    return type(value) is type(default) and value == default


def _pairs(table: dict[str, Any]) -> list[str]:
    return [f"{toml_key(name)} = {toml_value(value)}" for name, value in table.items()]


def _extra_args(args: list[str]) -> list[str]:
    """One line per option, grouped as the launch script groups them."""
    from genqemu.render import passthrough

    grouped = passthrough(args)
    return [
        "extra_args = [",
        *(f"    {', '.join(toml_value(a) for a in group)}," for group in grouped),
        "]",
    ]
