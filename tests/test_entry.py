"""The console-script entry: the collector is off only while the CLI imports."""

from __future__ import annotations

import gc

import pytest

from genqemu import cli, entry


def test_the_command_runs_with_the_collector_on_and_start_up_objects_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[bool, int]] = []

    def command() -> None:
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        raise SystemExit(0)

    monkeypatch.setattr(cli, "app", command)
    assert gc.isenabled()
    try:
        with pytest.raises(SystemExit):
            entry.main()
        assert gc.isenabled()
    finally:
        gc.unfreeze()
    ((enabled, frozen),) = seen
    assert enabled
    assert frozen > 0
