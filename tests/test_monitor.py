"""[[monitor]] on a [[chardev]] (HMP or QMP) and mux chardevs that several
users share: what is written, what is refused, and a real QEMU answering."""

from __future__ import annotations

import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import QEMU_VERSIONS, qemu_binary
from support.qmp import Qmp, paused_qemu

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.render import argv, render

ARCHES = ("amd64", "s390x", "ppc64le", "arm64", "riscv64")


def options(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, ...]]:
    return [tuple(o) for o in render(build(raw, arch))]


def problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, "amd64")
    return error.value.problems


def shared_console(folder: str = "/run/vm") -> dict[str, Any]:
    """stdio shared by the serial console and an HMP; an HMP and a QMP on sockets."""
    return {
        "chardev": [
            {"id": "char0", "backend": "stdio", "mux": True},
            {"id": "hmp", "backend": "socket", "path": f"{folder}/hmp", "server": True},
            {"id": "ctl", "backend": "socket", "path": f"{folder}/qmp", "server": True},
        ],
        "monitor": [
            {"chardev": "char0"},
            {"chardev": "hmp", "mode": "hmp"},
            {"chardev": "ctl", "mode": "qmp"},
        ],
        "device": [{"kind": "serial", "chardev": "char0"}],
    }


def test_monitors_and_a_mux_chardev_are_written() -> None:
    written = options(shared_console())
    assert ("-chardev", "stdio,id=char0,mux=on") in written
    assert written[-4:] == [
        ("-mon", "chardev=char0,mode=readline"),
        ("-mon", "chardev=hmp,mode=readline"),
        ("-mon", "chardev=ctl,mode=control"),
        ("-serial", "chardev:char0"),
    ]
    assert written.index(("-chardev", "socket,id=ctl,path=/run/vm/qmp,server=on")) < (
        written.index(("-mon", "chardev=char0,mode=readline"))
    )


def test_mux_off_is_written_and_the_qmp_key_keeps_its_monitor() -> None:
    written = options(
        {"chardev": [{"id": "c", "backend": "null", "mux": False}], "qmp": [{"path": "/q"}]}
    )
    assert ("-chardev", "null,id=c,mux=off") in written
    assert ("-mon", "chardev=qmp0,mode=control") in written


def test_a_monitor_on_an_unknown_chardev_is_refused() -> None:
    raw = {"chardev": [{"id": "char0", "backend": "null"}], "monitor": [{"chardev": "char1"}]}
    assert problems(raw) == [
        (
            "monitor[0].chardev",
            "no chardev has id 'char1': add a [[chardev]] with that id; did you mean 'char0'?",
        )
    ]


def test_a_monitor_on_a_qmp_socket_is_refused() -> None:
    raw = {"qmp": [{"path": "/q"}], "monitor": [{"chardev": "qmp0"}]}
    assert problems(raw) == [("monitor[0].chardev", "'qmp0' is qmp[0] (qmp), not a [[chardev]]")]


def test_a_chardev_without_mux_carries_one_user() -> None:
    raw = shared_console()
    raw["chardev"][0]["mux"] = False
    assert problems(raw) == [
        (
            "monitor[0].chardev",
            "chardev 'char0' is already used by device[0]; a chardev carries one "
            "device or monitor: add another [[chardev]], or set mux = true on it to share it",
        )
    ]


def test_a_mux_chardev_carries_four_users() -> None:
    raw: dict[str, Any] = {
        "chardev": [{"id": "m", "backend": "null", "mux": True}],
        "monitor": [{"chardev": "m"}] * 3,
        "device": [{"kind": "serial", "chardev": "m"}],
    }
    assert options(raw)[-1] == ("-serial", "chardev:m")
    raw["monitor"] = [{"chardev": "m"}] * 4
    assert problems(raw) == [
        (
            "monitor[3].chardev",
            "mux chardev 'm' already carries 4 users (device[0], monitor[0], monitor[1], "
            "monitor[2]) and QEMU allows 4: add another [[chardev]]",
        )
    ]


def test_an_unknown_mode_lists_the_valid_ones() -> None:
    raw = {"chardev": [{"id": "c", "backend": "null"}], "monitor": [{"chardev": "c", "mode": "x"}]}
    assert problems(raw) == [("monitor[0].mode", "must be one of 'hmp', 'qmp', got 'x'")]


def hmp(path: Path, command: str, answer: bytes, timeout: float = 30.0) -> bytes:
    """Send one HMP command on the socket at `path` and read until `answer`."""
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(timeout)
        client.connect(str(path))
        client.sendall(command.encode() + b"\r\n")
        seen = b""
        deadline = time.monotonic() + timeout
        while answer not in seen and time.monotonic() < deadline:
            chunk = client.recv(4096)
            if not chunk:
                break
            seen += chunk
        return seen


@pytest.mark.qemu
@pytest.mark.parametrize("version", QEMU_VERSIONS)
@pytest.mark.parametrize("arch", ARCHES)
def test_qemu_answers_hmp_and_qmp_on_the_monitors(arch: str, version: str) -> None:
    """Started paused, with the serial console and an HMP sharing stdio: the
    HMP on its socket says the VM is paused, the QMP on its chardev too."""
    with tempfile.TemporaryDirectory(prefix="gq-mon-") as folder:
        raw = shared_console(folder)
        raw["chardev"][1]["wait"] = raw["chardev"][2]["wait"] = False
        vm = build({"machine": {"accel": "tcg"}, **raw}, arch)
        line = argv(vm)
        line[0] = qemu_binary(vm.binary, version)
        with paused_qemu(line):
            said = hmp(Path(folder) / "hmp", "info status", b"VM status: paused")
            assert b"VM status: paused" in said, said
            with socket.socket(socket.AF_UNIX) as client:
                client.settimeout(30)
                client.connect(f"{folder}/qmp")
                status = Qmp(client).execute("query-status")
            assert (status["status"], status["running"]) == ("prelaunch", False)


def test_import_types_monitors_and_a_mux_chardev() -> None:
    from genqemu.importer import import_text

    line = (
        "qemu-system-x86_64 -machine q35 -chardev stdio,id=c,mux=on -serial chardev:c -mon c"
        " -chardev socket,id=s,path=/run/s,server=on,wait=off -mon chardev=s,mode=control"
        " -chardev null,id=n -mon chardev=n,mode=readline"
    )
    typed = import_text(line)
    assert "extra_args" not in typed.config
    assert typed.config["chardev"][0] == {"backend": "stdio", "id": "c", "mux": True}
    assert typed.config["monitor"] == [{"chardev": c, "mode": "hmp"} for c in ("c", "n")]
    assert typed.config["qmp"] == [{"id": "s", "path": "/run/s"}]


@pytest.mark.parametrize(
    "line",
    [
        "-chardev null,id=n -mon chardev=n,mode=control,pretty=on",  # pretty is not modelled
        "-chardev ringbuf,id=n -mon chardev=n",  # nor is a ringbuf chardev
    ],
)
def test_import_passes_a_monitor_it_cannot_type_through(line: str) -> None:
    from genqemu.importer import import_text

    result = import_text(f"qemu-system-x86_64 -machine q35 {line}")
    assert "monitor" not in result.config
    assert "-mon" in result.config["extra_args"]
