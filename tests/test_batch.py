"""Issue 6's command-line features: many configs and arches at once (-O, --check),
user profiles and templates, explain, schema and shell completion."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, example_path
from typer.testing import CliRunner, Result

from genqemu.cli import _complete_arch, app
from genqemu.jsonschema import config_schema

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


def _user_profile(folder: Path) -> Path:
    """A profile named toyarch: amd64's facts under another name."""
    text = (REPO / "profiles" / "amd64.toml").read_text()
    text = text.replace('arch = "amd64"', 'arch = "toyarch"').replace(
        'aliases = ["x86_64", "x86-64"]', 'aliases = ["toy"]'
    )
    folder.mkdir(exist_ok=True)
    (folder / "toyarch.toml").write_text(text)
    return folder


def test_a_profile_dir_adds_an_arch(tmp_path: Path) -> None:
    profiles = _user_profile(tmp_path / "profiles")
    result = run("--profile-dir", str(profiles), "-a", "toy", MINIMAL)
    assert result.exit_code == 0, result.stderr
    assert "# arch toyarch (profile toyarch), machine q35" in result.stdout
    assert "amd64" not in run("-a", "amd64", MINIMAL).stdout.split("\n", 3)[1]


def test_a_profile_dir_from_the_environment(tmp_path: Path) -> None:
    profiles = _user_profile(tmp_path / "profiles")
    env = {**os.environ, "GENQEMU_PROFILE_PATH": str(profiles)}
    result = subprocess.run(
        [sys.executable, "-m", "genqemu", "-a", "toyarch", MINIMAL],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "toyarch" in result.stdout


def test_a_template_dir_overrides_a_shipped_template(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    shipped = (REPO / "templates" / "virtio-serial.j2").read_text()
    (templates / "virtio-serial.j2").write_text(
        shipped.replace(
            '{{- prop("max_ports", d.max_ports) }}',
            '{{- prop("max_ports", d.max_ports) }}{{ prop("ioeventfd", true) }}',
        )
    )
    result = run("--template-dir", str(templates), "-a", "s390x", MINIMAL)
    assert result.exit_code == 0, result.stderr
    assert "-device virtio-serial-ccw,id=vser0,ioeventfd=on,devno=fe.0.0003" in result.stdout
    assert "ioeventfd" not in run("-a", "s390x", MINIMAL).stdout


def test_a_missing_user_folder_is_an_error() -> None:
    result = run("--profile-dir", "/nonexistent", "-a", "amd64", MINIMAL)
    assert result.exit_code == 2
    assert result.stderr == "genqemu: --profile-dir: /nonexistent is not a directory\n"


def test_explain_command() -> None:
    result = run("explain", "-a", "s390x", MINIMAL)
    assert result.exit_code == 0, result.stderr
    assert "default of machine s390-ccw-virtio" in result.stdout
    assert "devno fe.0.0001" in result.stdout


def test_schema_command_prints_the_config_schema() -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == config_schema()


def test_json_syntax_needs_qemu_7_2(tmp_path: Path) -> None:
    profiles = _user_profile(tmp_path / "profiles")
    profile = profiles / "toyarch.toml"
    profile.write_text(profile.read_text().replace('qemu_version = "7.2"', 'qemu_version = "6.2"'))
    result = run("--profile-dir", str(profiles), "-a", "toyarch", "--syntax", "json", MINIMAL)
    assert result.exit_code == 2
    assert result.stderr == (
        "genqemu: --syntax json needs QEMU 7.2 (JSON -netdev); the "
        "toyarch profile targets QEMU 6.2\n"
    )


def test_json_syntax_output() -> None:
    result = run("-a", "amd64", "--syntax", "json", "-f", "args", MINIMAL)
    argv = result.stdout.splitlines()
    device = json.loads(argv[argv.index("-device") + 1])
    assert device == {"driver": "virtio-blk-pci", "id": "root", "drive": "drive-root"}
    assert argv[argv.index("-machine") + 1] == "q35,accel=tcg"  # -machine has no JSON form


def test_shell_completion() -> None:
    assert _complete_arch("s3") == ["s390", "s390x"]
    assert "aarch64" in _complete_arch("a")
    script = run("--show-completion", "bash")
    assert script.exit_code == 0
    assert "_genqemu_completion" in script.stdout or "complete" in script.stdout
