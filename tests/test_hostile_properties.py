"""Property tests: no config, however hostile, breaks the command line or the script.

For every arch, configs drawn from the models (tests/support/modelgen.py) must:
(a) build, or fail with a GenqemuError whose message is one clean line per
    problem (never another exception, never a mutated input);
(b) parse back to exactly the options the templates mean (tests/support/argv_oracle.py):
    nothing injected, nothing lost, no key set twice;
(c) make sh, dash and bash --posix exec exactly the JSON argv, plus "$@";
(d) render the same text every time, in this process and in another one with a
    different hash seed.
A config that fails is also repaired (what the error names is dropped) until
it builds, so each draw exercises both paths. The session prints the counts.
GENQEMU_HOSTILE_EXAMPLES sets the draws per arch (default: 10,000 over all arches).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import ARCHES, FIRMWARE_DIR, REPO, TEST_SETTINGS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.argv_oracle import (
    STATS,
    carried,
    compare_twin,
    duplicate_keys,
    error_problems,
    materialize,
    repair,
    snapshot,
)
from support.modelgen import REGEX_CHARS, Generator, checks, configs, hostile_text, models
from support.regexgen import generate
from support.shellrun import EXTRA, ShellRunner, make_fake, sandboxed, shells
from support.tomlwriter import dumps

from genqemu.build import build, load_config
from genqemu.config import Config
from genqemu.errors import ConfigError, GenqemuError
from genqemu.launch import Launch, plan
from genqemu.output import to_json, to_sh
from genqemu.profiles import Profile, load_profile
from genqemu.render import passthrough
from genqemu.resolve import resolve
from genqemu.values import MapOf, Text

# At least 10,000 configs in all, whatever the number of arches.
EXAMPLES = int(os.environ.get("GENQEMU_HOSTILE_EXAMPLES", -(-10_000 // len(ARCHES))))
REPAIRS = 12
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def profile(arch: str) -> Profile:
    return load_profile(arch)


@cache
def generator(arch: str) -> Generator:
    return Generator(profile(arch))


@pytest.fixture(scope="module")
def runners(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ShellRunner]]:
    shm = Path("/dev/shm")  # tmpfs: writing a script there costs no disk I/O
    if shm.is_dir() and os.access(shm, os.W_OK):
        root = Path(tempfile.mkdtemp(prefix="genqemu-shells-", dir=shm))
    else:
        root = tmp_path_factory.mktemp("shells")
    fake = make_fake(root)
    started = {name: ShellRunner(command, root / name, fake) for name, command in shells().items()}
    yield started
    for runner in started.values():
        runner.close()
    shutil.rmtree(root)


def attempt(raw: dict[str, Any], arch: str, source: str) -> Launch | GenqemuError:
    """Build and plan, allowing nothing but a GenqemuError with a clean message.

    The profile is loaded once per arch (build() reads it on every call).
    """
    try:
        config = load_config(raw, source)
        return plan(resolve(config, profile(arch), source))
    except GenqemuError as error:
        assert not error_problems(error, source), error_problems(error, source)
        return error


def build_or_repair(raw: dict[str, Any], arch: str, source: str) -> Launch | None:
    """The launch of `raw`, repaired in place until it builds; None when it cannot be."""
    for round_ in range(REPAIRS):
        hostile, _, _ = materialize(raw)
        result = attempt(hostile, arch, source)
        if not isinstance(result, GenqemuError):
            STATS["built"] += 1
            STATS["repaired"] += bool(round_)
            return result
        if round_ == 0:
            STATS["rejected"] += 1
        if not isinstance(result, ConfigError) or not repair(raw, result.problems):
            return None
    return None


def sh_or_error(launch: Launch, source: str) -> str | None:
    """The launch script, or None where the sh format refuses (with a clean message)."""
    try:
        return to_sh(launch, source)
    except GenqemuError as error:
        assert not error_problems(error, source), error_problems(error, source)
        STATS["sh format refused"] += 1
        return None


def start_script(runners: dict[str, ShellRunner], launch: Launch, text: str) -> bool:
    """Start the script under every shell; they run beside the checks that follow.

    The script opens the files QEMU inherits (`exec 3<>PATH`) and copies a
    variable store from its template: it runs only when these all stay inside
    the runner's scratch directory (which matters when the tests run as root),
    with each copy made in the directory itself and no chown to another user.
    """
    if launch.prestart:
        # swtpm, ip and the files they make act on the host, outside any sandbox;
        # tests/test_tpm.py runs them (ip in a network namespace of its own).
        STATS["not run: commands before QEMU (swtpm, a tap on a bridge)"] += 1
        return False
    files = tuple(fd.path for fd in launch.fds)
    if not all(sandboxed(path) for path in files):
        STATS["not run: inherited file outside the sandbox"] += 1
        return False
    templates = tuple(template for template, _ in launch.copies)
    targets = [target for _, target in launch.copies]
    if launch.copies and (
        launch.owner
        or not all(sandboxed(path) for path in templates)
        or not all(sandboxed(path) and "/" not in path for path in targets)
    ):
        STATS["not run: a file created outside the sandbox or for another user"] += 1
        return False
    files += templates
    STATS["copies run"] += len(launch.copies)
    for runner in runners.values():
        runner.start(text, launch.binary, files)
    return True


def check_script(runners: dict[str, ShellRunner], launch: Launch, custom_binary: bool) -> None:
    """(c): every shell execs exactly the JSON argv (after its prefix), then the
    extra arguments, with each inherited fd open on exactly its file."""
    document = json.loads(to_json(launch))
    expected = [*document["prefix"], *document["argv"], *EXTRA]
    for name, runner in runners.items():
        result = runner.result()
        STATS[f"shell {name}"] += 1
        assert (result.status, result.argv) == (0, expected), f"{name}: {result.stderr!r}"
        if result.fds is not None:
            opened = {fd["fd"]: str(runner.files / fd["path"]) for fd in document["fds"]}
            assert result.fds == opened, name
        if custom_binary:
            runner.forget(launch.binary)


@pytest.mark.parametrize("arch", ARCHES)
@SETTINGS
@given(data=st.data())
def test_hostile_config(arch: str, data: st.DataObject, runners: dict[str, ShellRunner]) -> None:
    STATS["configs"] += 1
    raw = data.draw(configs(generator(arch)), label="config")
    source = data.draw(hostile_text(min_size=1), label="source")
    launch = build_or_repair(raw, arch, source)
    if launch is None:
        return
    hostile, twin, tokens = materialize(raw)
    script = sh_or_error(launch, source)
    shells = script is not None and start_script(runners, launch, script)
    meant = attempt(twin, arch, source)
    assert isinstance(meant, Launch), meant
    # (b) exactly the model's keys and values
    extra = hostile.get("extra_args", [])
    verbatim = len(passthrough(extra))  # extra_args: options as written, at the end
    options = launch.options[: len(launch.options) - verbatim]
    problems = compare_twin(launch, meant, tokens, verbatim)
    # What the launch runs before QEMU carries values too (swtpm's state, a tap's bridge).
    before = [word for step in launch.prestart for word in step.argv]
    problems += carried(raw, options, [launch.binary, *launch.prefix, *before])
    problems += duplicate_keys(options)
    assert not problems, "\n".join(problems)
    assert launch.argv[len(launch.argv) - len(extra) :] == extra
    assert launch.argv[0] == hostile.get("binary", launch.binary)
    # (d) deterministic, through the library entry point, which leaves its input alone
    before = snapshot(hostile)
    again = plan(build(hostile, arch, source, TEST_SETTINGS))
    assert hostile == before, "build changed the raw config it was given"
    assert sh_or_error(again, source) == script and to_json(again) == to_json(launch)
    # (c) the shells exec exactly the argv
    if shells:
        check_script(runners, launch, "binary" in hostile)


RENDER = """\
import sys
from pathlib import Path
from genqemu.build import build_file
from genqemu.errors import GenqemuError
from genqemu.launch import plan
from genqemu.output import to_json, to_sh
from genqemu.settings import Settings
arch, firmware = sys.argv[1:3]
for name in sys.argv[3:]:
    launch = plan(build_file(name, arch, Settings(firmware_dirs=(Path(firmware),))))
    try:
        script = to_sh(launch, name)
    except GenqemuError as error:
        script = str(error)
    Path(name + ".out").write_text(script + to_json(launch), encoding="utf-8")
"""


def rendered(launch: Launch, source: str) -> str:
    """The script (or the sh format's refusal) and the JSON: what RENDER writes."""
    try:
        script = to_sh(launch, source)
    except GenqemuError as error:
        script = str(error)
    return script + to_json(launch)


@pytest.mark.parametrize("arch", ARCHES)
@settings(SETTINGS, max_examples=9)
@given(data=st.data())
def test_rendering_is_the_same_in_another_process(
    arch: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """(d) across processes: TOML files rendered with another PYTHONHASHSEED.

    Ten configs a draw, nine draws: thirty configs in one draw no longer fit
    Hypothesis' buffer now that a config has this many tables (it gave up with
    filter_too_much), and the subprocess is the slow part, not the draws."""
    directory = tmp_path_factory.mktemp("determinism")
    expected: dict[str, str] = {}
    for number in range(10):
        STATS["configs"] += 1
        raw = data.draw(configs(generator(arch)))
        if build_or_repair(raw, arch, "x") is None:
            continue
        hostile, _, _ = materialize(raw)
        if not hostile:
            continue  # build_file refuses a file with no settings
        path = directory / f"c{number}.toml"
        path.write_text(dumps(hostile), encoding="utf-8")
        launch = plan(build(hostile, arch, str(path), TEST_SETTINGS))
        expected[str(path)] = rendered(launch, str(path))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", RENDER, arch, str(FIRMWARE_DIR), *expected],
        env=env,
        cwd=REPO,
        check=True,
    )
    for name, text in expected.items():
        assert Path(name + ".out").read_text(encoding="utf-8") == text, name


def test_every_pattern_of_the_models_can_be_generated() -> None:
    """tests/support/regexgen.py makes strings that match every pattern the models use."""
    patterns = {
        check.pattern.pattern: check.pattern
        for model in models(Config)
        for check in checks(model)
        if isinstance(check, Text) and check.pattern is not None
    }
    patterns |= {
        check.key_pattern.pattern: check.key_pattern
        for model in models(Config)
        for check in checks(model)
        if isinstance(check, MapOf)
    }
    assert len(patterns) > 10
    rng = random.Random(4)
    for pattern in patterns.values():
        for _ in range(50):
            text = generate(pattern, rng, REGEX_CHARS)
            assert pattern.match(text), (pattern.pattern, text)
