"""Where the shipped templates/ and profiles/ folders are.

The user's folders, searched before these, travel in genqemu.settings.Settings.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """The shipped `name` folder: inside the installed package (a wheel puts it
    there), else at the top of the source tree (a checkout or editable install)."""
    for candidate in (PACKAGE / name, PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"genqemu's {name}/ folder is missing from {PACKAGE}")
