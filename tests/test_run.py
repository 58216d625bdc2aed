"""`genqemu run`: the dry run, and the exec of a fake QEMU with its argv and fds."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import example_path
from typer.testing import CliRunner, Result

from genqemu.build import build_file
from genqemu.cli import app
from genqemu.launch import InheritedFd, plan
from genqemu.run import dry_run_text

MINIMAL = str(example_path("minimal"))

# A fake qemu-system-s390x: writes its argv, and what it finds on fds 5 and 7,
# to the file named by $FAKE_QEMU_REPORT, complains on stderr, exits 7.
FAKE_QEMU = """\
import json, os, sys
fds = {}
for number in (5, 7):
    try:
        flags = __import__("fcntl").fcntl(number, __import__("fcntl").F_GETFL)
    except OSError:
        continue
    fds[number] = {
        "path": os.readlink(f"/proc/self/fd/{number}"),
        "access": flags & os.O_ACCMODE,
    }
if 7 in fds:
    fds[7]["data"] = os.read(7, 100).decode()
if 5 in fds:
    os.write(5, b"written by qemu")
with open(os.environ["FAKE_QEMU_REPORT"], "w") as report:
    json.dump({"argv": sys.argv[1:], "fds": fds}, report)
sys.stderr.write("qemu-system-s390x: fake failure\\n")
sys.exit(7)
"""


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def json_argv(*args: str) -> list[str]:
    argv: list[str] = json.loads(cli("-a", "s390x", "-f", "json", *args).stdout)["argv"]
    return argv


@pytest.fixture
def fake_qemu(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH starts with a fake qemu-system-s390x."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "qemu-system-s390x"
    fake.write_text(f"#!{sys.executable}\n{FAKE_QEMU}")
    fake.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "FAKE_QEMU_REPORT": str(tmp_path / "report.json"),
    }


def genqemu(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "genqemu", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_dry_run_prints_the_json_argv_shell_quoted_with_the_extra_arguments() -> None:
    result = cli("run", "-a", "s390x", "--dry-run", MINIMAL, "--", "-S", "x y")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == f"exec {shlex.join([*json_argv(MINIMAL), '-S', 'x y'])}\n"


def test_dry_run_shows_fds_as_the_script_opens_them_and_the_prefix() -> None:
    launch = plan(build_file(MINIMAL, "s390x"))
    launch.fds = [InheritedFd(3, "/dev/net/tun", "rw"), InheritedFd(4, "/my dir/x", "r")]
    launch.prefix = ["setpriv", "--reuid=qemu"]
    lines = dry_run_text(launch, ["-S"]).splitlines()
    assert lines[:2] == ["exec 3<>/dev/net/tun", "exec 4<'/my dir/x'"]
    assert lines[2] == "exec " + shlex.join(["setpriv", "--reuid=qemu", *launch.argv, "-S"])
    assert len(lines) == 3


def test_dry_run_of_the_fds_example_opens_what_the_script_opens() -> None:
    fds = str(example_path("fds"))
    script = cli("-a", "amd64", fds).stdout.splitlines()
    dry_run = cli("run", "-a", "amd64", "-n", fds).stdout.splitlines()
    redirections = [line for line in script if line.startswith("exec ") and "<" in line]
    assert redirections and dry_run[:-1] == redirections
    prefix = json.loads(cli("-a", "amd64", "-f", "json", fds).stdout)["prefix"]
    assert prefix and dry_run[-1].startswith(f"exec {shlex.join(prefix)} qemu-system-x86_64 ")


def test_run_execs_qemu_with_the_argv_and_passes_its_stderr_and_status(
    fake_qemu: dict[str, str],
) -> None:
    result = genqemu("run", "-a", "s390x", MINIMAL, "--", "-S", "x y", env=fake_qemu)
    assert result.returncode == 7
    assert result.stderr == "qemu-system-s390x: fake failure\n"
    assert result.stdout == ""
    report = json.loads(Path(fake_qemu["FAKE_QEMU_REPORT"]).read_text())
    assert report["argv"] == [*json_argv(MINIMAL)[1:], "-S", "x y"]
    assert report["fds"] == {}


def test_run_without_extra_arguments_gives_the_bare_argv(fake_qemu: dict[str, str]) -> None:
    assert genqemu("run", "-a", "s390x", MINIMAL, env=fake_qemu).returncode == 7
    report = json.loads(Path(fake_qemu["FAKE_QEMU_REPORT"]).read_text())
    assert report["argv"] == json_argv(MINIMAL)[1:]


# Runs in a child process: replaces the plan's fds and prefix, then execs.
EXEC_WITH_FDS = """\
import sys
from genqemu.build import build_file
from genqemu.launch import InheritedFd, plan
from genqemu.run import execute
launch = plan(build_file(sys.argv[1], "s390x"))
launch.fds = [InheritedFd(7, sys.argv[2], "r"), InheritedFd(5, sys.argv[3], "rw")]
launch.prefix = ["env", "GENQEMU_PREFIX_RAN=1"]
execute(launch, ["-S"])
"""


def test_run_opens_every_fd_on_its_number_and_execs_through_the_prefix(
    fake_qemu: dict[str, str], tmp_path: Path
) -> None:
    readable = tmp_path / "in"
    readable.write_text("for qemu to read")
    created = tmp_path / "out"  # `<>` creates a missing file, as sh does
    result = subprocess.run(
        [sys.executable, "-c", EXEC_WITH_FDS, MINIMAL, str(readable), str(created)],
        env=fake_qemu,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 7, result.stderr
    report = json.loads(Path(fake_qemu["FAKE_QEMU_REPORT"]).read_text())
    assert report["fds"] == {
        "7": {"path": str(readable), "access": os.O_RDONLY, "data": "for qemu to read"},
        "5": {"path": str(created), "access": os.O_RDWR},
    }
    assert created.read_text() == "written by qemu"
    assert report["argv"] == [*json_argv(MINIMAL)[1:], "-S"]


def test_a_missing_qemu_is_a_genqemu_error(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    result = genqemu("run", "-a", "s390x", MINIMAL, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("genqemu: qemu-system-s390x: not found on PATH; install QEMU")


def test_an_fd_that_cannot_be_opened_is_a_genqemu_error(
    fake_qemu: dict[str, str], tmp_path: Path
) -> None:
    script = EXEC_WITH_FDS.replace("execute(", "launch.fds.reverse(); execute(")
    missing = tmp_path / "missing" / "file"
    result = subprocess.run(
        [sys.executable, "-c", script, MINIMAL, str(missing), str(tmp_path / "out")],
        env=fake_qemu,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1  # the library raised: a traceback from this script
    assert f"GenqemuError: genqemu: cannot open {missing} as fd 7" in result.stderr
    assert not Path(fake_qemu["FAKE_QEMU_REPORT"]).exists()


def test_a_bad_config_is_reported_before_anything_runs(
    fake_qemu: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[smp]\ncpus = 0\n")
    result = genqemu("run", "-a", "s390x", str(bad), env=fake_qemu)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "smp.cpus" in result.stderr
    assert not Path(fake_qemu["FAKE_QEMU_REPORT"]).exists()


def test_qemu_options_need_the_double_dash() -> None:
    result = cli("run", "-a", "s390x", MINIMAL, "-S")
    assert result.exit_code == 2
    assert "No such option: -S (QEMU options go after --: genqemu run CONFIG -- -S)" in (
        " ".join(result.output.split())
    )


def test_generate_stays_implied_and_its_help_names_run() -> None:
    assert cli("-a", "s390x", MINIMAL).stdout.startswith("#!/bin/sh\n")
    assert "run ... Start QEMU for a VM description" in " ".join(cli("--help").stdout.split())
