"""extra_args: verbatim, except what would silently override genqemu (issue 12, trap 4)."""

from __future__ import annotations

from typing import Any

import pytest

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.qemu_options import FLAGS, ONCE, WITH_ARGUMENT
from genqemu.render import render

# Every key of ONCE set, so that genqemu emits every option in it.
EVERYTHING: dict[str, Any] = {
    "name": "vm",
    "uuid": "8e5bd3a5-9a1d-4d5e-8a7a-0b6b6a6b6a6b",
    "machine": {"accel": "tcg"},
    "cpu": {"model": "max"},
    "smp": {"cpus": 2},
    "memory": {"size": "1G"},
    "overcommit": {"mem_lock": False},
    "nographic": True,
    "display": {"type": "none"},
    "no_reboot": True,
    "no_shutdown": True,
    "daemonize": True,
    "stopped": True,
    "sandbox": {"enable": True},
    "bios": "/b",
    "kernel": {"path": "/k", "initrd": "/i", "append": "console=ttyS0"},
    "vga": "std",
    "rtc": {"base": "utc"},
    "pidfile": "/p",
    "logfile": "/l",
    "incoming": {"type": "defer"},
}
# Options ONCE lists under another option's name: what genqemu emits for them.
EMITTED_AS = {"M": "-machine", "accel": "-machine"}


def _problems(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


def test_every_option_taken_once_is_emitted_by_its_key() -> None:
    emitted = {option[0] for option in render(build(EVERYTHING, "amd64"))}
    assert set(ONCE) <= FLAGS | WITH_ARGUMENT
    for name in ONCE:
        assert EMITTED_AS.get(name, f"-{name}") in emitted, name


@pytest.mark.parametrize("name", sorted(ONCE))
def test_an_option_a_key_emits_is_refused_with_the_key(name: str) -> None:
    words = [f"-{name}", "x"] if name in WITH_ARGUMENT else [f"-{name}"]
    problems = _problems({**EVERYTHING, "extra_args": words})
    assert len(problems) == 1
    path, message = problems[0]
    assert path == "extra_args[0]" and f"config key {ONCE[name]!r}" in message


def test_the_same_options_pass_when_no_key_emits_them() -> None:
    extra = ["-m", "3G", "-name", "x", "-S", "-vga", "std", "-display", "none", "-boot", "c"]
    vm = build({"extra_args": extra}, "amd64")
    assert [w for option in render(vm)[-6:] for w in option] == extra


def test_an_unknown_option_is_refused_with_a_suggestion() -> None:
    problems = _problems({"extra_args": ["-devcie", "usb-tablet", "-kernel"]})
    assert problems == [
        ("extra_args[0]", "QEMU has no option -devcie; did you mean -device?"),
        ("extra_args[2]", "-kernel needs a value: add it after -kernel"),
    ]


@pytest.mark.parametrize(
    "argument",
    [
        "virtio-rng-pci,id=rng0",
        '{"driver":"virtio-rng-pci","id":"rng0"}',
        "driver=null-co,node-name=drive-disk0",
        '{"driver":"raw","node-name":"x","file":{"driver":"null-co","node-name":"ram0"}}',
    ],
)
def test_an_id_genqemu_gives_is_refused(argument: str) -> None:
    raw = {
        "memory": {"size": "1G", "share": True},
        "device": [{"kind": "virtio-rng"}, {"kind": "virtio-blk", "file": "/d"}],
        "extra_args": ["-blockdev" if "driver=" in argument else "-device", argument],
    }
    problems = _problems(raw)
    assert len(problems) == 1 and problems[0][0] == "extra_args[1]"
    assert "is the id genqemu gives" in problems[0][1]


def test_other_ids_and_a_comma_escaped_id_pass() -> None:
    raw = {
        "device": [{"kind": "virtio-rng"}],
        "extra_args": ["-device", "usb-ehci,id=rng1", "-drive", "file=a,,id=rng0,if=none"],
    }
    assert render(build(raw, "amd64"))[-2:] == [
        ("-device", "usb-ehci,id=rng1"),
        ("-drive", "file=a,,id=rng0,if=none"),
    ]
