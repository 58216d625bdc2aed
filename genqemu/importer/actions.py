"""Mapper for `-action`: what QEMU does on an event, typed where a key holds it.

`-action watchdog=X` is the watchdogs' `action` (genqemu writes it with the
first watchdog that names one), so it joins that watchdog's claim: the claim
renders both lines back. The other events (reboot, shutdown, panic) have no
key, and an -action naming one of them passes through whole.
"""

from __future__ import annotations

from typing import Any

from genqemu.importer.claims import Claim, Pool


def action_claims(pool: Pool, devices: list[Claim]) -> None:
    """Give the one `-action watchdog=X` to the first watchdog among `devices`."""
    from genqemu.devices import DEVICE
    from genqemu.devices.watchdog import Watchdog
    from genqemu.qemu_facts import WATCHDOG_ACTIONS

    kinds = {kind for kind, model in DEVICE.models.items() if issubclass(model, Watchdog)}
    pieces = [p for p in pool.free("action") if any(k == "watchdog" for k, _ in p.props)]
    watchdog = next((c for c in devices if _kind(c.value) in kinds), None)
    # QEMU takes the last of several: leave those to extra_args, in order.
    if watchdog is None or len(pieces) != 1:
        return
    (piece,) = pieces
    if piece.props != [("watchdog", piece.get("watchdog"))]:
        return
    action = piece.get("watchdog")
    if action not in WATCHDOG_ACTIONS:
        return
    watchdog.value = {**watchdog.value, "action": action}
    watchdog.pieces.append(piece)
    pool.taken.add(id(piece))


def _kind(value: Any) -> str | None:
    return value.get("kind") if isinstance(value, dict) else None
