"""Property tests: no config, however hostile, breaks the command line or the script.

For every arch, configs drawn from the models (tests/modelgen.py) must:
(a) build, or fail with a GenqemuError whose message is one clean line per
    problem (never another exception, never a mutated input);
(b) parse back to exactly the options the templates mean (tests/argv_oracle.py):
    nothing injected, nothing lost, no key set twice;
(c) make sh, dash and bash --posix exec exactly the JSON argv, plus "$@";
(d) render the same text every time, in this process and in another one with a
    different hash seed.
A config that fails is also repaired (what the error names is dropped) until
it builds, so each draw exercises both paths. The session prints the counts.
GENQEMU_HOSTILE_EXAMPLES sets the draws per arch (default 2500: 10,000 in all).
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
from argv_oracle import (
    STATS,
    carried,
    compare_twin,
    duplicate_keys,
    error_problems,
    materialize,
    repair,
    snapshot,
)
from conftest import ARCHES, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modelgen import REGEX_CHARS, Generator, checks, configs, hostile_text, models
from regexgen import generate
from shellrun import EXTRA, ShellRunner, make_fake, shells
from tomlwriter import dumps

from genqemu.build import build, load_config
from genqemu.config import Config
from genqemu.errors import ConfigError, GenqemuError
from genqemu.launch import Launch, plan
from genqemu.output import to_json, to_sh
from genqemu.profiles import Profile, load_profile
from genqemu.resolve import resolve
from genqemu.schema import MapOf, Text

EXAMPLES = int(os.environ.get("GENQEMU_HOSTILE_EXAMPLES", "2500"))
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


def start_script(runners: dict[str, ShellRunner], launch: Launch, text: str) -> None:
    """Start the script under every shell; they run beside the checks that follow."""
    for runner in runners.values():
        runner.start(text, launch.binary)


def check_script(runners: dict[str, ShellRunner], launch: Launch, custom_binary: bool) -> None:
    """(c): every shell execs exactly the JSON argv, then the extra arguments."""
    document = json.loads(to_json(launch))
    expected = [*document["argv"], *EXTRA]
    for name, runner in runners.items():
        status, argv, err = runner.result()
        STATS[f"shell {name}"] += 1
        assert (status, argv) == (0, expected), f"{name}: exit {status}, stderr {err!r}"
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
    script = to_sh(launch, source)
    start_script(runners, launch, script)
    meant = attempt(twin, arch, source)
    assert isinstance(meant, Launch), meant
    # (b) exactly the model's keys and values
    problems = compare_twin(launch, meant, tokens)
    problems += carried(hostile, launch.options, launch.binary)
    problems += duplicate_keys(launch.options)
    assert not problems, "\n".join(problems)
    assert launch.argv[0] == hostile.get("binary", launch.binary)
    # (d) deterministic, through the library entry point, which leaves its input alone
    before = snapshot(hostile)
    again = plan(build(hostile, arch, source))
    assert hostile == before, "build changed the raw config it was given"
    assert to_sh(again, source) == script and to_json(again) == to_json(launch)
    # (c) the shells exec exactly the argv
    check_script(runners, launch, "binary" in hostile)


RENDER = """\
import sys
from pathlib import Path
from genqemu.build import build_file
from genqemu.launch import plan
from genqemu.output import to_sh
arch = sys.argv[1]
for name in sys.argv[2:]:
    Path(name + ".sh").write_text(to_sh(plan(build_file(name, arch)), name), encoding="utf-8")
"""


@pytest.mark.parametrize("arch", ARCHES)
@settings(SETTINGS, max_examples=3)
@given(data=st.data())
def test_rendering_is_the_same_in_another_process(
    arch: str, data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """(d) across processes: TOML files rendered with another PYTHONHASHSEED."""
    directory = tmp_path_factory.mktemp("determinism")
    expected: dict[str, str] = {}
    for number in range(30):
        STATS["configs"] += 1
        raw = data.draw(configs(generator(arch)))
        if build_or_repair(raw, arch, "x") is None:
            continue
        hostile, _, _ = materialize(raw)
        if not hostile:
            continue  # build_file refuses a file with no settings
        path = directory / f"c{number}.toml"
        path.write_text(dumps(hostile), encoding="utf-8")
        launch = plan(build(hostile, arch, str(path)))
        expected[str(path)] = to_sh(launch, str(path))
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", RENDER, arch, *expected], env=env, cwd=REPO, check=True)
    for name, text in expected.items():
        assert Path(name + ".sh").read_text(encoding="utf-8") == text, name


def test_every_pattern_of_the_models_can_be_generated() -> None:
    """tests/regexgen.py makes strings that match every pattern the models use."""
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
