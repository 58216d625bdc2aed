"""Settings: the user's folders travel as a value, and nothing outlives a call.

The command line reads --profile-dir, --template-dir, GENQEMU_PROFILE_PATH
and GENQEMU_TEMPLATE_PATH into a Settings value per command; the library
takes it as an argument (default: the shipped files only) and never reads
the environment, so one call cannot change what the next one sees.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO, example_path
from typer.testing import CliRunner, Result

from genqemu.build import build, build_file
from genqemu.cli import app
from genqemu.errors import ConfigError, UsageError
from genqemu.launch import plan
from genqemu.profile_files import arch_names
from genqemu.profiles import load_profile
from genqemu.render import argv, environment
from genqemu.settings import SHIPPED, Settings, firmware_search_path

MINIMAL = str(example_path("minimal"))


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _user_profile(folder: Path, arch: str, like: str) -> Path:
    """A profile named `arch`, without aliases: the facts of the shipped `like`."""
    text = (REPO / "profiles" / f"{like}.toml").read_text()
    text = re.sub(r"^aliases = .*$", "aliases = []", text, count=1, flags=re.MULTILINE)
    folder.mkdir(exist_ok=True)
    (folder / f"{arch}.toml").write_text(text.replace(f'arch = "{like}"', f'arch = "{arch}"'))
    return folder


def test_a_failed_command_leaves_nothing_behind_for_the_library() -> None:
    """Regression: a missing --profile-dir once stayed chosen for the whole process."""
    result = run("--profile-dir", "/nonexistent", "-a", "amd64", MINIMAL)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "genqemu: --profile-dir: /nonexistent is not a directory\n"
    vm = build({"device": [{"kind": "virtio-rng"}]}, "s390x")
    assert argv(vm)[0] == "qemu-system-s390x"
    assert run("-a", "amd64", MINIMAL).exit_code == 0


def test_a_template_dir_does_not_outlive_its_command(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    shipped = (REPO / "templates" / "virtio-rng.j2").read_text()
    (templates / "virtio-rng.j2").write_text(shipped.replace("-device ", "-device x-"))
    config = tmp_path / "rng.toml"
    config.write_text('[[device]]\nkind = "virtio-rng"\n')
    changed = run("--template-dir", str(templates), "-a", "amd64", "-f", "args", str(config))
    assert changed.exit_code == 0, changed.stderr
    assert "x-virtio-rng-pci" in changed.stdout
    again = run("-a", "amd64", "-f", "args", str(config))
    assert "x-virtio-rng-pci" not in again.stdout
    assert "virtio-rng-pci" in again.stdout


def test_from_env_reads_the_options_then_the_environment(tmp_path: Path) -> None:
    one, two, three = (tmp_path / name for name in ("one", "two", "three"))
    for folder in (one, two, three):
        folder.mkdir()
    environ = {"GENQEMU_PROFILE_PATH": f"{two}::{three}", "GENQEMU_TEMPLATE_PATH": str(three)}
    settings = Settings.from_env([one], None, environ)
    standard = firmware_search_path(environ)
    assert settings == Settings(
        profile_dirs=(one, two, three), template_dirs=(three,), firmware_dirs=standard
    )
    assert Settings.from_env(environ={}) == SHIPPED._replace(firmware_dirs=firmware_search_path({}))


def test_firmware_folders_replace_the_standard_search_path(tmp_path: Path) -> None:
    """QEMU's search path, the user's first; --firmware-dir, else
    GENQEMU_FIRMWARE_PATH, replaces it (another host's firmware must not mix
    with this one's)."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    home = {"HOME": "/home/u"}
    assert firmware_search_path(home) == (
        Path("/home/u/.config/qemu/firmware"),
        Path("/etc/qemu/firmware"),
        Path("/usr/share/qemu/firmware"),
    )
    assert firmware_search_path({**home, "XDG_CONFIG_HOME": "/x"})[0] == Path("/x/qemu/firmware")
    environ = {**home, "GENQEMU_FIRMWARE_PATH": str(two)}
    assert Settings.from_env(environ=environ).firmware_dirs == (two,)
    assert Settings.from_env(firmware=[one], environ=environ).firmware_dirs == (one, two)
    with pytest.raises(UsageError, match="--firmware-dir: /nonexistent is not a directory"):
        Settings.from_env(firmware=[Path("/nonexistent")], environ=home)


@pytest.mark.parametrize(
    ("profiles", "templates", "environ", "message"),
    [
        (["/nonexistent"], None, {}, "--profile-dir: /nonexistent is not a directory"),
        (None, ["/nonexistent"], {}, "--template-dir: /nonexistent is not a directory"),
        (
            None,
            None,
            {"GENQEMU_PROFILE_PATH": "/nonexistent"},
            "GENQEMU_PROFILE_PATH: /nonexistent is not a directory",
        ),
        (
            None,
            None,
            {"GENQEMU_TEMPLATE_PATH": "/tmp:/nonexistent"},
            "GENQEMU_TEMPLATE_PATH: /nonexistent is not a directory",
        ),
    ],
)
def test_from_env_names_a_missing_folder_and_where_it_came_from(
    profiles: list[Path] | None,
    templates: list[Path] | None,
    environ: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(UsageError) as error:
        Settings.from_env(profiles, templates, environ)
    assert str(error.value) == f"genqemu: {message}"


def test_the_library_does_not_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENQEMU_PROFILE_PATH", "/nonexistent")
    monkeypatch.setenv("GENQEMU_TEMPLATE_PATH", "/nonexistent")
    vm = build_file(MINIMAL, "arm64")
    assert plan(vm).binary == "qemu-system-aarch64"


def test_the_command_line_reads_the_environment_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = _user_profile(tmp_path / "profiles", "toyarch", "amd64")
    monkeypatch.setenv("GENQEMU_PROFILE_PATH", str(profiles))
    assert run("-a", "toyarch", MINIMAL).exit_code == 0
    monkeypatch.delenv("GENQEMU_PROFILE_PATH")
    result = run("-a", "toyarch", MINIMAL)
    assert result.exit_code == 2
    assert "unknown architecture 'toyarch'" in result.stderr
    monkeypatch.setenv("GENQEMU_PROFILE_PATH", "/nonexistent")
    result = run("import", "-")
    assert result.stderr == "genqemu: GENQEMU_PROFILE_PATH: /nonexistent is not a directory\n"


def test_profiles_follow_the_settings(tmp_path: Path) -> None:
    settings = Settings(profile_dirs=(_user_profile(tmp_path / "p", "toys390", "s390x"),))
    assert arch_names(settings)["toys390"] == "toys390"
    assert "toys390" not in arch_names()
    assert load_profile("toys390", settings).binary == "qemu-system-s390x"
    with pytest.raises(UsageError):
        load_profile("toys390")
    # The message naming the arches a device kind exists on names the user's too.
    with pytest.raises(ConfigError) as error:
        build({"device": [{"kind": "vfio-ap", "sysfsdev": "/x"}]}, "amd64", "c", settings)
    assert error.value.problems[0][1].endswith("; it exists on s390x, toys390")


def test_environments_are_cached_per_settings(tmp_path: Path) -> None:
    user = Settings(template_dirs=(tmp_path,))
    assert environment() is environment("qemuopts", SHIPPED)
    assert environment("qemuopts", user) is environment("qemuopts", Settings((), (tmp_path,)))
    assert environment("qemuopts", user) is not environment()
    assert environment("json", user) is not environment("qemuopts", user)
