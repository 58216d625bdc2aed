"""Where the arch profiles are (the user's folders, then the shipped one) and
the --arch spellings they accept: apart from profiles.py, which checks one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from genqemu.errors import UsageError
from genqemu.settings import SHIPPED, Settings

_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+\Z")


def profile_dirs(settings: Settings = SHIPPED) -> list[Path]:
    """Where profiles are looked up, first match wins: the user's, then the shipped."""
    from genqemu.resources import data_dir

    return [*settings.profile_dirs, data_dir("profiles")]


def _read(path: Path) -> dict[str, Any]:
    from genqemu.tomlfile import read_toml

    return read_toml(path)


def arch_names(settings: Settings = SHIPPED) -> dict[str, str]:
    """Every accepted --arch spelling mapped to its canonical name."""
    names: dict[str, str] = {}
    for directory in reversed(profile_dirs(settings)):
        for path in sorted(directory.glob("*.toml")):
            raw = _read(path)
            names[path.stem] = path.stem
            for alias in raw.get("aliases", []):
                if isinstance(alias, str):
                    names[alias] = path.stem
    return names


def find_profile(arch: str, settings: Settings = SHIPPED) -> Path:
    """The profile file for `arch` or one of its aliases."""
    for directory in profile_dirs(settings):
        path = directory / f"{arch}.toml"
        if _SAFE_NAME.match(arch) and path.is_file():
            return path
    names = arch_names(settings)
    if arch in names:
        return find_profile(names[arch], settings)
    raise UsageError(f"unknown architecture {arch!r}; valid: {describe_arches(names)}")


def describe_arches(names: dict[str, str]) -> str:
    """`amd64 (or x86_64), arm64 (or aarch64), ...` for messages and help."""
    spellings: dict[str, list[str]] = {}
    for name, canonical in sorted(names.items()):
        if name != canonical:
            spellings.setdefault(canonical, []).append(name)
        else:
            spellings.setdefault(canonical, [])
    return ", ".join(
        f"{canonical} (or {', '.join(aliases)})" if aliases else canonical
        for canonical, aliases in sorted(spellings.items())
    )
