"""The value checks that several models share: ids, paths, references."""

from __future__ import annotations

from genqemu.values import Text

ID_HINT = "an id starts with a letter and holds only letters, digits, '-', '.' and '_'"
ID_PATTERN = r"[A-Za-z][A-Za-z0-9._-]*\Z"
ID = Text(pattern=ID_PATTERN, hint=ID_HINT)
PATH = Text(pattern=r".", hint="a path cannot be empty")
NAME = Text(pattern=r".", hint="cannot be empty")
# Unix socket paths hold 107 bytes (sun_path less its NUL).
SOCKET_MAX = 107
# QEMU property and machine option names.
# Dotted parts as in QEMU's keyval syntax (-machine): "a.b" is fine, "a." or "a..b" is not.
PROPERTY = r"[A-Za-z][A-Za-z0-9_-]*(\.([A-Za-z][A-Za-z0-9_-]*|[0-9]+))*\Z"
PROPERTY_HINT = (
    "a QEMU property name: a letter, then letters, digits, '-' or '_', "
    "in parts joined by '.' (each part a name or a number)"
)


class Ref(Text):
    """The id of another config entry of one of the `targets` kinds.

    With `single_default`, leaving it out picks the only entry of those kinds.
    Resolution happens once every entry is loaded (see resolve.py).
    """

    def __init__(self, *targets: str, single_default: bool = False) -> None:
        super().__init__(pattern=ID_PATTERN, hint=ID_HINT)
        self.targets = targets
        self.single_default = single_default

    def type_text(self) -> str:
        return "id of a " + " or ".join(self.targets)
