"""Watchdogs: which kind exists where, and the one action on expiry a VM has."""

from __future__ import annotations

from typing import Any

import pytest

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.render import render


def options(raw: dict[str, Any], arch: str) -> list[tuple[str, ...]]:
    return [tuple(o) for o in render(build(raw, arch))]


def problems(raw: dict[str, Any], arch: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


@pytest.mark.parametrize(
    ("arch", "kind"),
    [
        ("amd64", "i6300esb"),
        ("amd64", "ib700"),
        ("arm64", "i6300esb"),
        ("ppc64le", "i6300esb"),
        ("riscv64", "i6300esb"),
        ("s390x", "diag288"),
    ],
)
def test_each_watchdog_exists_where_qemu_has_it(arch: str, kind: str) -> None:
    found = options({"device": [{"kind": kind}]}, arch)
    assert ("-device", f"{kind},id=watchdog0") in found
    assert not [o for o in found if o[0] == "-action"]  # QEMU's default: reset


@pytest.mark.parametrize(
    ("arch", "kind"), [("s390x", "i6300esb"), ("arm64", "ib700"), ("ppc64le", "ib700")]
)
def test_a_watchdog_the_arch_lacks_is_refused(arch: str, kind: str) -> None:
    ((path, message),) = problems({"device": [{"kind": kind}]}, arch)
    assert path == "device[0].kind"
    assert message.startswith(f"{kind} does not exist on {arch}")


def test_the_pci_watchdog_needs_pci() -> None:
    raw = {"machine": {"type": "microvm"}, "device": [{"kind": "i6300esb"}]}
    assert problems(raw, "amd64") == [
        ("device[0].kind", "i6300esb needs pci, which amd64 machine microvm does not have")
    ]


def test_the_action_is_emitted_once_for_the_vm() -> None:
    raw = {
        "device": [
            {"kind": "i6300esb", "bus": "pcie.0", "addr": "0x5"},
            {"kind": "ib700", "action": "inject-nmi"},
            {"kind": "i6300esb", "action": "inject-nmi"},
        ]
    }
    found = options(raw, "amd64")
    assert [o for o in found if o[0] == "-action"] == [("-action", "watchdog=inject-nmi")]
    assert ("-device", "i6300esb,id=watchdog0,bus=pcie.0,addr=0x5") in found


def test_two_watchdogs_with_different_actions_are_refused() -> None:
    raw = {"device": [{"kind": "ib700", "action": "pause"}, {"kind": "i6300esb"}]}
    raw["device"].append({"kind": "i6300esb", "action": "reset"})
    assert problems(raw, "amd64") == [
        (
            "device[2].action",
            "'reset' differs from device[0].action ('pause'): QEMU has one watchdog action "
            "for the whole VM (-action watchdog=); set the same action on every watchdog, "
            "or leave it out on all but one",
        )
    ]


def test_an_unknown_action_lists_the_valid_ones() -> None:
    ((path, message),) = problems({"device": [{"kind": "diag288", "action": "halt"}]}, "s390x")
    assert path == "device[0].action"
    assert "'inject-nmi'" in message and "'halt'" in message


def test_diag288_has_no_pci_keys() -> None:
    ((path, _),) = problems({"device": [{"kind": "diag288", "addr": "0x3"}]}, "s390x")
    assert path == "device[0].addr"


def test_import_gives_the_watchdog_its_action_and_passes_other_events_through() -> None:
    from genqemu.importer import import_text

    line = "qemu-system-x86_64 -machine q35 -device i6300esb -action watchdog=poweroff"
    typed = import_text(line + " -action panic=pause")
    assert typed.config["device"] == [{"kind": "i6300esb", "action": "poweroff"}]
    assert typed.config["extra_args"] == ["-action", "panic=pause"]


@pytest.mark.parametrize(
    "line",
    [
        "-device pvpanic -action watchdog=pause",  # no watchdog to hold it
        "-device i6300esb -action watchdog=pause,reboot=shutdown",  # another event too
        "-device i6300esb -action watchdog=pause -action watchdog=none",  # QEMU takes the last
    ],
)
def test_import_passes_an_action_no_watchdog_can_hold_through(line: str) -> None:
    from genqemu.importer import import_text

    result = import_text(f"qemu-system-x86_64 -machine q35 {line}")
    assert "action" not in result.config["device"][0]
    assert "-action" in result.config["extra_args"]
