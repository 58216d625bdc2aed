"""Monitors on a chardev of the config (`[[monitor]]`): HMP or QMP, `-mon`.

The `qmp` key makes a unix socket chardev of its own for each QMP monitor;
a `[[monitor]]` names a `[[chardev]]` instead, so any backend can carry one
(an HMP on a socket, or on stdio with `mux = true` beside the serial console).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from genqemu.checks import Ref
from genqemu.schema import Model, Problems, key, suggest
from genqemu.values import Text

if TYPE_CHECKING:
    from genqemu.ids import ChardevUses, Ids


class Monitor(Model):
    """`-mon chardev=ID,mode=...`: a monitor on a `[[chardev]]`."""

    chardev: str = key(Ref("chardev"), doc="id of the [[chardev]] the monitor talks on")
    mode: str = key(
        Text(choices=("hmp", "qmp")),
        default="hmp",
        doc="hmp: the human monitor (readline); qmp: the JSON machine protocol (control)",
    )


def resolve_monitors(
    monitors: Sequence[Monitor], ids: Ids, uses: ChardevUses, problems: Problems
) -> None:
    """Each monitor names a chardev that exists, and counts as one of its users."""
    for monitor in monitors:
        path = f"{monitor.toml_path}.chardev"
        owner = ids.owners.get(monitor.chardev)
        if owner is None:
            problems.add(
                path,
                f"no chardev has id {monitor.chardev!r}: add a [[chardev]] with that id"
                + suggest(monitor.chardev, ids.of_kinds(["chardev"])),
            )
        elif owner[0] != "chardev":
            problems.add(path, f"{monitor.chardev!r} is {owner[1]} ({owner[0]}), not a [[chardev]]")
        else:
            uses.use(monitor.chardev, path.rsplit(".", 1)[0], path, problems)
