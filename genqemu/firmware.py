"""QEMU's firmware descriptors (docs/interop/firmware.json): read them, pick one.

Distros describe their firmware builds in JSON files so that management
software need not know which OVMF/AAVMF image fits which machine and wish.
`read_descriptors` applies the spec's search rules over folders given in
precedence order; `select` picks the first descriptor that fits a `Wanted`;
`why_not` and `no_match_message` say, in the user's words, why one did not.

Imported only for a config with [firmware] or pflash, so json and fnmatch are
imported inside the functions that need them (start-up time is measured).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

# Mapping devices the spec defines, and the flash modes (QEMU 8.1 added "mode";
# a descriptor without it is "split").
_DEVICES = ("flash", "kernel", "memory")
_MODES = ("split", "combined", "stateless")
# What genqemu can attach: pflash code (+ a per-VM copy of the NVRAM template), or -bios.
_SUPPORTED = {("flash", "split"), ("memory", "")}
# The config key behind a feature, for "has secure-boot (secure_boot = false)".
_FEATURE_KEYS = {"secure-boot": "secure_boot = false", "enrolled-keys": "enrolled_keys = false"}


class Descriptor(NamedTuple):
    """One usable descriptor file, its JSON checked and flattened."""

    name: str  # file name: the priority ("40-..." before "60-...")
    path: Path
    description: str
    interfaces: tuple[str, ...]
    device: str  # flash | memory | kernel
    mode: str  # flash: split | combined | stateless; "" otherwise
    executable: str
    executable_format: str
    nvram_template: str | None
    nvram_format: str | None
    targets: tuple[tuple[str, tuple[str, ...]], ...]  # (architecture, machine globs)
    features: frozenset[str]


class Wanted(NamedTuple):
    """What the VM needs from its firmware."""

    architecture: str  # QEMU's target name
    machine: str  # concrete machine type, matched against the descriptors' globs
    interface: str
    devices: tuple[str, ...]  # mapping devices the caller can attach
    required: frozenset[str]
    excluded: frozenset[str]


class _Bad(Exception):
    """A descriptor's JSON does not have the spec's shape; the message says where."""


_KIND_WORDS: dict[type, str] = {str: "a string", list: "a list", dict: "an object"}


def _get(obj: dict[str, Any], key: str, kind: type, where: str, empty: bool = False) -> Any:
    """obj[key], checked to be a `kind` (a string: not empty unless `empty`, no NUL)."""
    if key not in obj:
        raise _Bad(f"{where}{key} is missing")
    value = obj[key]
    if not isinstance(value, kind):
        raise _Bad(f"{where}{key} is not {_KIND_WORDS[kind]}")
    if isinstance(value, str) and not value and not empty:
        raise _Bad(f"{where}{key} is empty")
    if isinstance(value, str) and "\0" in value:
        raise _Bad(f"{where}{key} has a NUL character")
    return value


def _strings(obj: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    items = _get(obj, key, list, where)
    for item in items:
        if not isinstance(item, str) or not item or "\0" in item:
            raise _Bad(f"{where}{key} has an entry that is not a non-empty string")
    return tuple(items)


def _file(mapping: dict[str, Any], key: str) -> tuple[str, str]:
    """A FirmwareFlashFile: (filename, format)."""
    entry = _get(mapping, key, dict, "mapping.")
    where = f"mapping.{key}."
    return _get(entry, "filename", str, where), _get(entry, "format", str, where)


def _parse(name: str, path: Path, doc: object) -> Descriptor:
    """The descriptor in `doc`, or _Bad naming the first key that is wrong."""
    if not isinstance(doc, dict):
        raise _Bad("is not a JSON object")
    interfaces = _strings(doc, "interface-types", "")
    if not interfaces:
        raise _Bad("interface-types is empty")
    mapping = _get(doc, "mapping", dict, "")
    device = _get(mapping, "device", str, "mapping.")
    if device not in _DEVICES:
        raise _Bad(f"mapping.device {device!r} is not one of {', '.join(_DEVICES)}")
    mode, template, template_format = "", None, None
    if device == "flash":
        mode = _get(mapping, "mode", str, "mapping.") if "mode" in mapping else "split"
        if mode not in _MODES:
            raise _Bad(f"mapping.mode {mode!r} is not one of {', '.join(_MODES)}")
        executable, executable_format = _file(mapping, "executable")
        if mode == "split" and "nvram-template" in mapping:
            template, template_format = _file(mapping, "nvram-template")
    else:
        executable, executable_format = _get(mapping, "filename", str, "mapping."), "raw"
    targets = []
    for target in _get(doc, "targets", list, ""):
        if not isinstance(target, dict):
            raise _Bad("targets has an entry that is not an object")
        targets.append(
            (
                _get(target, "architecture", str, "targets[]."),
                _strings(target, "machines", "targets[]."),
            )
        )
    if not targets:
        raise _Bad("targets is empty")
    return Descriptor(
        name=name,
        path=path,
        description=_get(doc, "description", str, "", empty=True),
        interfaces=interfaces,
        device=device,
        mode=mode,
        executable=executable,
        executable_format=executable_format,
        nvram_template=template,
        nvram_format=template_format,
        targets=tuple(targets),
        features=frozenset(_strings(doc, "features", "")),
    )


def _read(name: str, path: Path) -> Descriptor:
    """One file, parsed; _Bad says why it cannot be used."""
    import json

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _Bad("cannot be read: not UTF-8") from None
    except OSError as err:
        raise _Bad(f"cannot be read: {err.strerror or err}") from None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise _Bad(f"is not JSON: {str(err).splitlines()[0][:80]}") from None
    return _parse(name, path, doc)


def _is_empty(path: Path) -> bool:
    """An empty file or a link to /dev/null: the spec's way to hide a name."""
    try:
        if path.resolve() == Path("/dev/null"):
            return True
        return path.stat().st_size == 0
    except (OSError, RuntimeError):
        return False


def read_descriptors(dirs: Sequence[Path]) -> tuple[list[Descriptor], list[tuple[str, str]]]:
    """The usable descriptors of `dirs` (first folder wins a file name), sorted by
    file name, and the files skipped with why. Missing folders are skipped silently;
    nothing here raises, so a broken file on the host never becomes a traceback."""
    chosen: dict[str, Path] = {}
    skipped: list[tuple[str, str]] = []
    for folder in dirs:
        try:
            entries = sorted(folder.iterdir())
        except FileNotFoundError:
            continue
        except OSError as err:
            skipped.append((str(folder), f"folder cannot be listed: {err.strerror or err}"))
            continue
        for entry in entries:
            if entry.name.endswith(".json") and entry.name not in chosen:
                chosen[entry.name] = entry
    found: list[Descriptor] = []
    for name in sorted(chosen):
        path = chosen[name]
        if _is_empty(path):
            skipped.append((name, f"masked by the empty {path}"))
            continue
        try:
            found.append(_read(name, path))
        except _Bad as bad:
            skipped.append((name, str(bad)))
    return found, skipped


def _words(items: Sequence[str] | frozenset[str]) -> str:
    return ", ".join(sorted(items) if isinstance(items, frozenset) else items)


def why_not(descriptor: Descriptor, wanted: Wanted) -> str | None:
    """None when `descriptor` fits `wanted`, else one short reason in user words."""
    from fnmatch import fnmatchcase

    d = descriptor
    arches = tuple(dict.fromkeys(arch for arch, _ in d.targets))
    if wanted.architecture not in arches:
        return f"is for {_words(arches)}, not {wanted.architecture}"
    globs = [g for arch, machines in d.targets if arch == wanted.architecture for g in machines]
    if not any(fnmatchcase(wanted.machine, glob) for glob in globs):
        return f"does not list machine {wanted.machine} (it has {_words(globs) or 'none'})"
    if wanted.interface not in d.interfaces:
        return f"interface {_words(d.interfaces)}, not {wanted.interface}"
    if d.device not in {device for device, _ in _SUPPORTED}:
        return f"maps its firmware as {d.device}, which genqemu does not attach"
    if d.device not in wanted.devices:
        return f"maps its firmware as {d.device}, not {' or '.join(wanted.devices) or 'nothing'}"
    if (d.device, d.mode) not in _SUPPORTED:
        return f"flash mode {d.mode} is not supported"
    if missing := wanted.required - d.features:
        return f"lacks {_words(missing)}"
    if unwanted := wanted.excluded & d.features:
        return "has " + ", ".join(
            f"{f} ({_FEATURE_KEYS.get(f, 'not wanted')})" for f in sorted(unwanted)
        )
    return None


def select(
    descriptors: Sequence[Descriptor], wanted: Wanted
) -> tuple[Descriptor | None, list[tuple[str, str]]]:
    """The first descriptor that fits, and why each one before it did not."""
    rejections: list[tuple[str, str]] = []
    for descriptor in descriptors:
        reason = why_not(descriptor, wanted)
        if reason is None:
            return descriptor, rejections
        rejections.append((descriptor.name, reason))
    return None, rejections


def _wish(wanted: Wanted) -> str:
    """'uefi for x86_64 machine pc-q35-7.2 with secure-boot, without enrolled-keys'"""
    text = f"{wanted.interface} for {wanted.architecture} machine {wanted.machine}"
    if wanted.required:
        text += f" with {_words(wanted.required)}"
    if wanted.excluded:
        text += f"{',' if wanted.required else ''} without {_words(wanted.excluded)}"
    return text


_HINT = "  for another host's firmware: --firmware-dir DIR or GENQEMU_FIRMWARE_PATH"


def _shown(text: str) -> str:
    """`text` on one line: a file name or descriptor string may hold a newline."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def no_match_message(
    dirs: Sequence[Path],
    descriptors: Sequence[Descriptor],
    skipped: Sequence[tuple[str, str]],
    rejections: Sequence[tuple[str, str]],
    wanted: Wanted,
    install: str = "",
) -> str:
    """The error when nothing fits: the wish, the folders, one line per file;
    `install` says how to get firmware for the arch (the profile's firmware_install)."""
    hint = (f"  hint: {install}\n" if install else "") + _HINT
    folders = ", ".join(str(d) for d in dirs) or "(no folders)"
    if not descriptors and not skipped:
        return f"no descriptor files found in {folders}\n{hint}"
    foreign = {d.name for d in descriptors if all(a != wanted.architecture for a, _ in d.targets)}
    lines = [f"no descriptor matches {_wish(wanted)}", f"searched {folders}:"]
    shown = sorted([*((n, w) for n, w in rejections if n not in foreign), *skipped])
    lines += [f"  {_shown(name)}: {_shown(why)}" for name, why in shown]
    if len(foreign) == len(descriptors):
        lines += [f"  (none is for {wanted.architecture}; {len(foreign)} for other arches)", hint]
    elif foreign:
        lines.append(f"  ({len(foreign)} more for other arches)")
    return "\n".join(lines)
