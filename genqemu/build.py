"""The library entry points: a config file or table in, a resolved VM out."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genqemu.errors import ConfigError
from genqemu.schema import Problems
from genqemu.settings import SHIPPED, Settings

if TYPE_CHECKING:
    from genqemu.config import Config
    from genqemu.resolve import Vm


def load_config(raw: dict[str, Any], source: str) -> Config:
    """Check a parsed TOML table against the config model; ConfigError lists every problem."""
    from genqemu.config import Config

    problems = Problems()
    config = Config.load(raw, "", problems)
    if config is None or problems:
        raise ConfigError(
            source, [_misplaced(path, message, Config.fields) for path, message in problems.items]
        )
    return config


def _misplaced(path: str, message: str, top_level: Iterable[str]) -> tuple[str, str]:
    """Explain the classic TOML slip: a top-level key written below a [table]."""
    table, _, name = path.rpartition(".")
    header = table.split("[")[0]
    if message.startswith("unknown key") and header and "." not in table and name in top_level:
        shown = f"[[{header}]]" if "[" in table else f"[{header}]"
        message = (
            f"unknown key; {name!r} is a top-level key: move it above the first table "
            f"header such as {shown} (in TOML, keys after a header belong to that table)"
        )
    return path, message


def build(
    raw: dict[str, Any], arch: str, source: str = "<config>", settings: Settings = SHIPPED
) -> Vm:
    """The resolved VM of a parsed config for `arch` (a name or an alias), with
    the profiles of `settings` (default: the shipped ones)."""
    from genqemu.profiles import load_profile
    from genqemu.resolve import resolve

    profile = load_profile(arch, settings)
    return resolve(load_config(raw, source), profile, source, settings)


def build_file(path: Path | str, arch: str, settings: Settings = SHIPPED) -> Vm:
    """The resolved VM of the config file at `path` for `arch`.

    A file with no settings at all is refused: an empty or truncated file,
    or the wrong one, would otherwise give a VM of nothing but defaults.
    """
    from genqemu.tomlfile import read_toml

    raw = read_toml(path)
    if not raw:
        raise ConfigError(
            str(path),
            [
                (
                    "",
                    "holds no settings (it is empty or all comments): describe the VM, "
                    "see docs/config.md",
                )
            ],
        )
    return build(raw, arch, str(path), settings)
