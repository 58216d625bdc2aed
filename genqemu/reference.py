"""docs/config.md, generated from the models, profiles and templates so it cannot drift.

    python -m genqemu.reference > docs/config.md

tests/test_reference.py fails when the committed file differs from this output.
"""

from __future__ import annotations

from typing import Any

from genqemu.schema import REQUIRED, Field, Model, Table, Tagged
from genqemu.spelling import Spellings, settled_spellings, spellings
from genqemu.tomlfile import toml_value
from genqemu.values import ListOf


def _toml(value: Any) -> str:
    """A default as TOML spells it (`required`, and `—` for none)."""
    if value is REQUIRED:
        return "required"
    if value is None:
        return "—"
    return toml_value(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _type(field: Field[Any]) -> str:
    check = field.check
    if isinstance(check, Table):
        return "table"
    if isinstance(check, ListOf) and isinstance(check.item, Table | Tagged):
        return "array of tables"
    if isinstance(check, Tagged):
        return f"table (by `{check.tag}`)"
    return check.type_text()


def _qemu(spelled: list[str]) -> str:
    """`-m size=`; a bare option is left out when one of its properties is listed."""
    shown = [s for s in spelled if not any(o != s and o.startswith(s + " ") for o in spelled)]
    return ", ".join(f"`{s}`" for s in shown) or "—"


def _rows(
    model: type[Model],
    spell: Spellings,
    skip: frozenset[str] = frozenset(),
    prefix: str = "",
    transports: dict[str, list[str]] | None = None,
) -> list[str]:
    """A table of the model's keys; `transports`: the transports on which each key
    that applies per transport does, as the shipped profiles list them."""
    lines = ["| key | type | default | QEMU | meaning |", "|---|---|---|---|---|"]
    for name, field in model.fields.items():
        if name in skip:
            continue
        meaning = field.doc
        if field.per_transport and transports is not None:
            meaning += f" (only on {' or '.join(transports.get(name, ['no transport']))})"
        qemu = _qemu(spell.get(prefix + field.attr, []))
        lines.append(
            f"| `{name}` | {_cell(_type(field))} | `{_cell(_toml(field.default))}` "
            f"| {_cell(qemu)} | {_cell(meaning)} |"
        )
    return lines


def _section(
    title: str,
    model: type[Model],
    spell: Spellings,
    skip: frozenset[str] = frozenset(),
    prefix: str = "",
) -> list[str]:
    doc = (model.__doc__ or "").strip()
    return [f"## {title}", "", doc, "", *_rows(model, spell, skip, prefix), ""]


def _variants(level: str, tagged: Tagged[Any], spell: Spellings, prefix: str = "") -> list[str]:
    """A subsection per model of a tagged table: `### backend = "socket"`."""
    out = []
    for name, model in tagged.models.items():
        doc = (model.__doc__ or "").strip()
        out += [
            f'{level} {tagged.tag} = "{name}"',
            "",
            doc,
            "",
            *_rows(model, spell, prefix=prefix),
            "",
        ]
    return out


def _merged(*tables: Spellings) -> Spellings:
    merged: Spellings = {}
    for table in tables:
        for path, spelled in table.items():
            merged.setdefault(path, []).extend(s for s in spelled if s not in merged[path])
    return merged


def _availability(kind: str, virtio: bool, profiles: dict[str, Any]) -> str:
    """Where a device kind exists, and as which QEMU driver."""
    parts = []
    for arch, profile in profiles.items():
        transports = profile.devices.get(kind)
        if transports is None:
            continue
        if not virtio:
            parts.append(f"{arch} (`{profile.drivers.get(kind, kind)}`)")
            continue
        drivers = ", ".join(f"`{kind}{profile.transports[t].suffix}`" for t in transports)
        parts.append(f"{arch} ({drivers})")
    return "; ".join(parts) or "no shipped profile"


def _top_level(profiles: dict[str, Any]) -> list[str]:
    from genqemu.config import CONFIDENTIAL, DISPLAY, INCOMING, TPM, Config
    from genqemu.qemu_facts import CONFIDENTIAL_PROPERTIES

    vm = spellings("vm.j2", "c")
    tables = frozenset(
        n
        for n, f in Config.fields.items()
        if isinstance(f.check, Table | Tagged)
        or (isinstance(f.check, ListOf) and isinstance(f.check.item, Table | Tagged))
    )
    out = _section("Top level", Config, vm, tables)
    listed = {
        "qmp": settled_spellings("vm.j2", "q", "socket"),
        "iothread": settled_spellings("vm.j2", "t", "thread"),
        "global": spellings("vm.j2", "g"),
        "fw_cfg": spellings("vm.j2", "item"),
        "numa": spellings("vm.j2", "n"),
        "monitor": spellings("monitor.j2", "m"),
    }
    for name in sorted(tables - {"device", "chardev"}):
        check = Config.fields[name].check
        if isinstance(check, Table):
            out += _section(f"[{name}]", check.model, vm, prefix=f"{name}.")
            for sub, field in check.model.fields.items():  # [smbios.system]
                if isinstance(field.check, Table):
                    out += _section(
                        f"[{name}.{sub}]", field.check.model, vm, prefix=f"{name}.{sub}."
                    )
        elif isinstance(check, ListOf) and isinstance(check.item, Table):
            out += _section(f"[[{name}]]", check.item.model, listed.get(name, {}))
    properties = {  # _confidential.j2 writes those qemu_facts lists, each from its key
        prop.replace("-", "_"): [f"{prop}="]
        for props in CONFIDENTIAL_PROPERTIES.values()
        for prop in props
    }
    for name, tagged, own in (
        ("confidential", CONFIDENTIAL, properties),
        ("incoming", INCOMING, spellings("vm.j2", "g")),
        ("tpm", TPM, spellings("tpm.j2", "t")),
        ("display", DISPLAY, spellings("display.j2", "g")),
    ):
        where = ", ".join(
            a for a, p in profiles.items() if any(t in p.devices for t in tagged.models)
        )
        out += [
            f"## [{name}]",
            "",
            Config.fields[name].doc[:1].upper()
            + Config.fields[name].doc[1:]
            + "."
            + (f" Shipped profiles: {where}." if name == "confidential" else ""),
            "",
            *(_tpm_models(profiles) if name == "tpm" else []),
        ]
        spell = _merged(own, spellings("vm.j2", "c"))
        out += _variants("###", tagged, spell, prefix="incoming." if name == "incoming" else "")
    return out


def _tpm_models(profiles: dict[str, Any]) -> list[str]:
    """Which TPM device each machine of the shipped profiles gives the guest."""
    found = [
        f"{arch} {name} (`{machine.tpm}`)"
        for arch, profile in profiles.items()
        for name, machine in profile.machines.items()
        if machine.tpm
    ]
    return ["The device is the machine's: " + ", ".join(found) + "; elsewhere none.", ""]


def _devices(profiles: dict[str, Any]) -> list[str]:
    from genqemu.chardevs import CHARDEV
    from genqemu.devices import DEVICE, Device, VirtioDevice
    from genqemu.devices.backing import Backing
    from genqemu.netdevs import NETDEV

    macros = settled_spellings("_macros.j2", "d", "r")
    bound: dict[str, list[str]] = {}  # key -> the transports it applies on
    for profile in profiles.values():
        for name, spec in profile.transports.items():
            for key in spec.keys:
                have = bound.setdefault(key, [])
                if name not in have:
                    have.append(name)
    out = [
        "## [[chardev]]",
        "",
        "A character backend, named by id from devices "
        '(`chardev = "ID"`). Pick one with `backend`.',
        "",
    ]
    out += _variants(
        "###",
        CHARDEV,
        _merged(spellings("_chardev.j2", "c"), settled_spellings("chardev.j2", "c", "r")),
    )
    out += [
        "## [[device]]",
        "",
        "A guest device. `kind` is QEMU's driver name without its "
        "transport suffix; the arch profile adds `-pci`, `-ccw` or `-device`.",
        "",
        "Keys every device has:",
        "",
        *_rows(Device, macros, transports=bound),
        "",
        "Keys every virtio device has:",
        "",
        *_rows(VirtioDevice, macros, frozenset(Device.fields), transports=bound),
        "",
    ]
    common = frozenset(VirtioDevice.fields)
    for kind, model in DEVICE.models.items():
        skip = common if issubclass(model, VirtioDevice) else frozenset(Device.fields)
        own = settled_spellings(model.template, "d", "r", model.chassis_key)
        spell = {**macros, **own}  # the kind's own spelling wins
        out += [
            f'### kind = "{kind}"',
            "",
            (model.__doc__ or "").strip(),
            "",
            f"Exists on: {_availability(kind, model.virtio, profiles)}.",
            "",
            *_rows(model, spell, skip, transports=bound),
            "",
        ]
    cards = ", ".join(f"`{k}`" for k, m in DEVICE.models.items() if "netdev" in m.fields)
    out += ["### netdev", "", f"The `netdev` table of a network card ({cards}), by `type`.", ""]
    out += _variants("####", NETDEV, spellings("_netdev.j2", "n"))
    disks = ", ".join(f"`{k}`" for k, m in DEVICE.models.items() if "backing" in m.fields)
    out += [
        "### backing",
        "",
        f"One image of the `backing` chain of a qcow2 or qed disk ({disks}), nearest "
        "first: a read-only file node and a format node over it, named after the "
        "disk's node (`drive-ID-base1-file`, `drive-ID-base1`, then `-base2`...).",
        "",
        *_rows(Backing, spellings("_macros.j2", "image")),
        "",
    ]
    return out


def _parity() -> list[str]:
    from genqemu.parity import DEFECTS_FIXED, GO_FIELDS

    out = [
        "## Parity with govmm",
        "",
        "Where each field of kata-containers' Go library (govmm) went:",
        "",
        "| Go | genqemu key | note |",
        "|---|---|---|",
    ]
    out += [f"| {_cell(go)} | `{_cell(path)}` | {_cell(note)} |" for go, path, note in GO_FIELDS]
    out += ["", "### Go defects deliberately fixed", ""]
    out += [f"- {item}" for item in DEFECTS_FIXED]
    return [*out, ""]


def _versions() -> list[str]:
    from genqemu.qemu_facts import CHECKED_VERSIONS, SINCE

    checked = " and ".join(CHECKED_VERSIONS)
    out = [
        "## QEMU versions",
        "",
        f"The test suite starts every example on every arch with QEMU {checked}",
        "(Debian 12's, and Debian's bookworm-backports build, unpacked by the tests),",
        "paused under TCG, and asks each over QMP which devices it built.",
        "",
        "The target version is `--qemu-version X.Y` (generate, run, explain), else the",
        "config's `qemu_version`, else the arch profile's. A config that needs a newer",
        "QEMU than the target is refused, naming the version it needs:",
        "",
        "| needs | QEMU |",
        "|---|---|",
    ]
    out += [f"| `{what}` | {needed} |" for what, needed in sorted(SINCE.items())]
    return [*out, ""]


def reference() -> str:
    """The whole of docs/config.md."""
    from genqemu.profile_files import arch_names
    from genqemu.profiles import load_profile

    profiles = {arch: load_profile(arch) for arch in sorted(set(arch_names().values()))}
    out = [
        "# Config reference",
        "",
        "<!-- Generated by `python -m genqemu.reference > docs/config.md`; do not edit. -->",
        "",
        "A config is one TOML file. Keys follow QEMU's own option and property names in",
        "snake_case. A key whose default is `—` is not emitted when left out, so QEMU's",
        'own default applies. Sizes are bytes or strings such as `"512M"`, `"2G"`.',
        "Every string is checked: control characters (newline, NUL, ...) are refused,",
        "commas are escaped for QEMU and every argument is quoted for the shell. The QEMU",
        "column is read from the templates: the option or property each key becomes.",
        "",
        *_top_level(profiles),
        *_versions(),
        *_devices(profiles),
        *_parity(),
    ]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(reference())
