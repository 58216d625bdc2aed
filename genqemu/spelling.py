"""Which QEMU option or property each config key becomes, read from the templates.

The templates are the only place QEMU spellings live, so the docs read them
there instead of keeping a second copy: `prop("NAME", ...d.key...)`,
`NAME={{ d.key }}` and `NAME={{ table[d.key] }}` give a property of the option
on that line, `{{ d.key }}` alone the option itself, and `{% if c.key %}`
the option on the next line; a partial imported `with context` is read too.
A key whose value resolution settles (an id, a reference, a devno) is read
from the record, `r.id` or `r.refs.bus`, and listed under the key it settles.
Where a template loops over a table of genqemu/qemu_facts.py instead (the
confidential-guest properties), the docs read that table.
"""

from __future__ import annotations

import re

from genqemu.resources import data_dir

Spellings = dict[str, list[str]]


def spellings(template: str, var: str) -> dict[str, list[str]]:
    """Key path after `var.` -> the QEMU spellings it becomes in `template`."""
    found: dict[str, list[str]] = {}
    text = (data_dir("templates") / template).read_text()
    ref = rf"\b{var}\.([\w.]+)"
    prop_call = re.compile(r'prop\("([^"]+)",([^)]*)')
    assign = re.compile(rf"([\w.-]+)=\{{\{{\s*(?:[\w.]+\[)?{ref}")
    alone = re.compile(rf"\{{\{{\s*{ref}")
    option = ""
    guarded: list[str] = []

    def add(path: str, spelling: str) -> None:
        spellings_of = found.setdefault(path, [])
        if spelling not in spellings_of:
            spellings_of.append(spelling)

    for raw in text.splitlines():
        line = raw.strip()
        imported = re.match(r'\{% from "([^"]+)" import .* with context', line)
        if imported:  # a partial's macros see `var` too (_ram_backend.j2)
            for path, spelled in spellings(imported.group(1), var).items():
                for spelling in spelled:
                    add(path, spelling)
            continue
        if line.startswith("{%"):
            guarded += re.findall(ref, line)
            continue
        if line.startswith("-"):
            option = line.split()[0]
            for path in guarded:
                add(path, option)
            guarded = []
        named = [
            (name, path) for name, args in prop_call.findall(line) for path in re.findall(ref, args)
        ] + assign.findall(line)
        for name, path in named:
            add(path, f"{option} {name}=".strip())
        for path in alone.findall(line):
            if all(path != p for _, p in named):
                add(path, option)
    return found


def settled_spellings(template: str, config: str, record: str, chassis_key: str = "") -> Spellings:
    """The spellings of `template`'s keys: read through the config entry `config`,
    and through its resolution record `record` under the keys that record settles."""
    from genqemu.records import settled_key

    found = spellings(template, config)
    for field, spelled in spellings(template, record).items():
        name = settled_key(field, chassis_key)
        if name is not None:
            have = found.setdefault(name, [])
            have += [s for s in spelled if s not in have]
    return found
