"""Where templates/ and profiles/ are: the user's folders first, then the shipped ones.

User folders come from `--profile-dir`/`--template-dir` and from the
GENQEMU_PROFILE_PATH and GENQEMU_TEMPLATE_PATH variables (folders separated
by ':'); a file there adds to or replaces the shipped file of the same name.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from genqemu.errors import UsageError

PACKAGE = Path(__file__).resolve().parent
_OPTIONS = {"profiles": "--profile-dir", "templates": "--template-dir"}
_chosen: dict[str, list[Path]] = {"profiles": [], "templates": []}


@cache
def data_dir(name: str) -> Path:
    """The shipped `name` folder: inside the installed package (a wheel puts it
    there), else at the top of the source tree (a checkout or editable install)."""
    for candidate in (PACKAGE / name, PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"genqemu's {name}/ folder is missing from {PACKAGE}")


def use_user_dirs(name: str, folders: list[Path]) -> None:
    """The folders the command line gave for `name` (profiles or templates)."""
    _chosen[name] = list(folders)


def user_dirs(name: str) -> list[Path]:
    """The user's folders for `name`, command line first, then the environment."""
    variable = f"GENQEMU_{name[:-1].upper()}_PATH"
    found = [
        *_chosen[name],
        *(Path(p) for p in os.environ.get(variable, "").split(os.pathsep) if p),
    ]
    for folder in found:
        if not folder.is_dir():
            where = _OPTIONS[name] if folder in _chosen[name] else variable
            raise UsageError(f"{where}: {folder} is not a directory")
    return found


def search_path(name: str) -> list[Path]:
    """Every folder `name` files are looked up in, first match wins."""
    return [*user_dirs(name), data_dir(name)]
