"""What only a SPICE display carries: one check for the kinds that need it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genqemu.config import Config
    from genqemu.schema import Problems


def require_spice(config: Config, path: str, what: str, remedy: str, problems: Problems) -> None:
    """Refuse `what` (at `path`) without [display] type = "spice": QEMU starts
    a SPICE channel without SPICE, and nothing ever connects to it."""
    from genqemu.display import Spice

    if not isinstance(config.display, Spice):
        problems.add(
            path,
            f'{what} talks to a SPICE client: set [display] type = "spice", or {remedy}',
        )
