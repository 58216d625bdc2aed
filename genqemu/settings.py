"""What a run depends on besides its config and arch: the user's folders, and
the QEMU version the user says they have.

`Settings` is a frozen value. The command line makes one per command with
`Settings.from_env`: the `--profile-dir`/`--template-dir` folders first,
then those of GENQEMU_PROFILE_PATH and GENQEMU_TEMPLATE_PATH (separated by
':'), each checked to be a folder, and `--qemu-version` (which wins over the
config's `qemu_version` and the profile's). The firmware descriptor folders are
`--firmware-dir`, else GENQEMU_FIRMWARE_PATH, else QEMU's search path. It is
passed down to every function that
looks up a profile or a template (build, load_profile, render, ...), whose
default, `SHIPPED` (`Settings()`), means the shipped files only.

The environment is read there and nowhere else: library calls depend only on
their arguments, and no module keeps what one call chose for the next
(caches are keyed by the folders).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from genqemu.errors import UsageError


class Settings(NamedTuple):
    """The user's folders searched before the shipped ones; a file there adds to
    or replaces the shipped file of the same name.

    Immutable and hashable, so caches can be keyed by it. A NamedTuple rather
    than a frozen dataclass: importing dataclasses and building one would add
    about 0.5 ms to every run (docs/performance.md counts such costs)."""

    profile_dirs: tuple[Path, ...] = ()
    template_dirs: tuple[Path, ...] = ()
    qemu_version: str | None = None  # MAJOR.MINOR, from --qemu-version
    # Where QEMU firmware descriptors are read, first wins ([firmware] type = "uefi").
    firmware_dirs: tuple[Path, ...] = ()

    @classmethod
    def from_env(
        cls,
        profiles: Iterable[Path] | None = None,
        templates: Iterable[Path] | None = None,
        environ: Mapping[str, str] | None = None,
        qemu_version: str | None = None,
        firmware: Iterable[Path] | None = None,
    ) -> Settings:
        """The command line's folders, then the environment's (default: os.environ);
        UsageError names the first one that is not a folder, and where it came from,
        or a --qemu-version not written MAJOR.MINOR."""
        env = os.environ if environ is None else environ
        if qemu_version is not None:
            import re

            from genqemu.qemu_facts import VERSION_PATTERN

            if not re.match(VERSION_PATTERN, qemu_version):
                raise UsageError(
                    f"--qemu-version: write MAJOR.MINOR, e.g. 10.0, got {qemu_version!r}"
                )
        return cls(
            _folders(profiles, "--profile-dir", "GENQEMU_PROFILE_PATH", env),
            _folders(templates, "--template-dir", "GENQEMU_TEMPLATE_PATH", env),
            qemu_version,
            _folders(firmware, "--firmware-dir", "GENQEMU_FIRMWARE_PATH", env)
            or firmware_search_path(env),
        )


SHIPPED = Settings()


def firmware_search_path(environ: Mapping[str, str]) -> tuple[Path, ...]:
    """QEMU's descriptor folders (docs/interop/firmware.json), first wins: the
    user's, the administrator's, the distribution's. --firmware-dir and
    GENQEMU_FIRMWARE_PATH replace them all: they describe another host's firmware,
    which must not mix with this one's."""
    config_home = environ.get("XDG_CONFIG_HOME") or str(Path(environ.get("HOME", "/")) / ".config")
    return (
        Path(config_home) / "qemu" / "firmware",
        Path("/etc/qemu/firmware"),
        Path("/usr/share/qemu/firmware"),
    )


def _folders(
    given: Iterable[Path] | None, option: str, variable: str, environ: Mapping[str, str]
) -> tuple[Path, ...]:
    """`given` (from `option`), then the folders in `variable`; each must exist."""
    chosen = [Path(folder) for folder in given or ()]
    found = (*chosen, *(Path(p) for p in environ.get(variable, "").split(os.pathsep) if p))
    for folder in found:
        if not folder.is_dir():
            where = option if folder in chosen else variable
            raise UsageError(f"{where}: {folder} is not a directory")
    return found
