"""Writes genqemu/devices/kinds.py, the index of which module defines each kind.

    python -m genqemu.devices.catalog

The index lets a run import only the device modules its config names; a test
checks it against the classes, so a new kind is one run of this away.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module
from pathlib import Path

import genqemu.devices

HEADER = '''"""Which module of genqemu.devices defines each device kind.

Written by `python -m genqemu.devices.catalog`; do not edit.
"""

'''


def defined_kinds() -> dict[str, str]:
    """Every kind, by the module (its last name) that defines its class."""
    from genqemu.devices.base import DEVICE, Device
    from genqemu.schema import Tagged

    package = genqemu.devices.__name__
    for info in pkgutil.iter_modules(genqemu.devices.__path__):
        import_module(f"{package}.{info.name}")
    every = Tagged(DEVICE.tag, Device).models  # no index: found among the classes
    return {kind: cls.__module__.rpartition(".")[2] for kind, cls in every.items()}


def index_text() -> str:
    """The text of kinds.py."""
    lines = [f'    "{kind}": "{module}",' for kind, module in defined_kinds().items()]
    return HEADER + "KINDS: dict[str, str] = {\n" + "\n".join(lines) + "\n}\n"


if __name__ == "__main__":
    Path(__file__).with_name("kinds.py").write_text(index_text())
