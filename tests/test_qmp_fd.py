"""A QMP socket the caller already listens on, passed to QEMU on a descriptor (as kata does)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest
from conftest import qemu_binary
from typer.testing import CliRunner

from genqemu.cli import app


def write(tmp_path: Path, text: str) -> Path:
    config = tmp_path / "vm.toml"
    config.write_text(text)
    return config


def test_the_socket_on_a_descriptor_renders_as_fd(tmp_path: Path) -> None:
    config = write(tmp_path, "[[qmp]]\nfd = 5\n")
    result = CliRunner().invoke(app, ["--arch", "s390x", str(config)])
    assert result.exit_code == 0, result.stderr
    assert "    -chardev socket,id=qmp0,fd=5,server=on,wait=off \\\n" in result.stdout
    assert "# needs descriptor 5: the listening QMP socket of qmp[0], passed by the caller\n" in (
        result.stdout
    )
    explained = CliRunner().invoke(app, ["explain", "--arch", "s390x", str(config)])
    assert "  fd 5 listening QMP socket (qmp[0])\n" in explained.stdout


def test_run_refuses_a_descriptor_that_is_not_open(tmp_path: Path) -> None:
    config = write(tmp_path, "[[qmp]]\nfd = 1000\n")
    result = CliRunner().invoke(app, ["run", "--arch", "s390x", str(config)])
    assert (result.exit_code, result.stdout) == (2, "")
    assert "qmp[0].fd: descriptor 1000 is not open" in result.stderr


@pytest.mark.qemu
def test_qemu_answers_on_the_socket_the_caller_passed(tmp_path: Path) -> None:
    """The script gets a listening socket on a descriptor and QEMU serves QMP on it."""
    qemu_binary("qemu-system-x86_64")
    path = tmp_path / "qmp.sock"
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(str(path))
        listener.listen(1)
        number = listener.fileno()
        config = write(tmp_path, f'[machine]\naccel = "tcg"\n\n[[qmp]]\nfd = {number}\n')
        script = tmp_path / "vm.sh"
        result = CliRunner().invoke(app, ["--arch", "amd64", "-o", str(script), str(config)])
        assert result.exit_code == 0, result.stderr
        qemu = subprocess.Popen(
            ["sh", str(script), "-S", "-display", "none"], pass_fds=(number,), env=os.environ
        )
    try:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(30)
            client.connect(str(path))
            stream = client.makefile("rw")
            assert "QMP" in json.loads(stream.readline())
            for command in ("qmp_capabilities", "query-status"):
                stream.write(json.dumps({"execute": command}) + "\n")
                stream.flush()
                reply = json.loads(stream.readline())
            assert reply["return"]["status"] == "prelaunch"
            stream.write(json.dumps({"execute": "quit"}) + "\n")
            stream.flush()
        assert qemu.wait(30) == 0
    finally:
        if qemu.poll() is None:
            qemu.kill()
