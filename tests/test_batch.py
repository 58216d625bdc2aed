"""Many configs and arches at once: -O DIR writes every output, --check compares
them with what would be generated, and one bad config writes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import example_path
from typer.testing import CliRunner, Result

from genqemu.cli import app

MINIMAL = str(example_path("minimal"))
FULL = str(example_path("full"))


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_output_dir_writes_every_config_for_every_arch(tmp_path: Path) -> None:
    out = tmp_path / "scripts"
    result = run("-a", "s390x", "-a", "arm64", "-O", str(out), MINIMAL, FULL)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "full.arm64.sh",
        "full.s390x.sh",
        "minimal.arm64.sh",
        "minimal.s390x.sh",
    ]
    assert (out / "minimal.s390x.sh").read_text() == run("-a", "s390x", MINIMAL).stdout
    json_out = tmp_path / "json"
    assert run("-a", "amd64", "-f", "json", "-O", str(json_out), MINIMAL).exit_code == 0
    assert json.loads((json_out / "minimal.amd64.json").read_text())["arch"] == "amd64"


def test_check_reports_drift_with_a_diff_and_exit_1(tmp_path: Path) -> None:
    args = ("-a", "amd64", "-a", "ppc64le", "-O", str(tmp_path), MINIMAL)
    assert run(*args).exit_code == 0
    clean = run(*args, "--check")
    assert (clean.exit_code, clean.stdout) == (0, "")
    assert clean.stderr == "genqemu: 2 files up to date\n"
    script = tmp_path / "minimal.ppc64le.sh"
    script.write_text(script.read_text().replace("-smp cpus=2", "-smp cpus=4"))
    (tmp_path / "minimal.amd64.sh").unlink()
    drift = run(*args, "--check")
    assert drift.exit_code == 1
    assert f"--- {script}\n+++ {script} (generated)\n" in drift.stdout
    assert "-    -smp cpus=4 \\\n+    -smp cpus=2 \\\n" in drift.stdout
    assert f"--- /dev/null\n+++ {tmp_path / 'minimal.amd64.sh'} (generated)\n" in drift.stdout
    assert drift.stderr == "genqemu: 2 of 2 files differ\n"
    assert not (tmp_path / "minimal.amd64.sh").exists()  # --check writes nothing


def test_one_bad_config_writes_nothing_at_all(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[smp]\ncpus = 0\n")
    out = tmp_path / "out"
    result = run("-a", "amd64", "-O", str(out), MINIMAL, str(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("-a", "amd64", "-a", "s390x", MINIMAL),
            "several configs or arches make several files: give -O DIR",
        ),
        (("--check", MINIMAL), "--check compares with the files under -O DIR: give -O"),
        (("-O", "x", "-o", "y", MINIMAL), "-o writes one file and -O a folder of them: give one"),
    ],
)
def test_batch_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"genqemu: {message}\n")


def test_two_configs_with_one_name_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "minimal.toml"
    shutil.copy(MINIMAL, other)
    result = run("-a", "amd64", "-O", str(tmp_path / "out"), MINIMAL, str(other))
    assert result.exit_code == 2
    assert "would both write" in result.stderr
