"""Where compiled templates come from: the wheel's precompiled modules, else a
bytecode cache beside the source templates; the output is the same either way."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jinja2
import pytest
from conftest import ARCHES, EXAMPLES, REPO, TEST_SETTINGS, example_path

from genqemu import render as render_module
from genqemu import templating
from genqemu.build import build_file
from genqemu.render import render

TEMPLATES = sorted(path.name for path in (REPO / "templates").glob("*.j2"))


def module_name(template: str) -> str:
    """The precompiled module of a template, as jinja2.ModuleLoader names it."""
    return "tmpl_" + hashlib.sha1(template.encode()).hexdigest() + ".py"


def test_precompiled_templates_render_exactly_as_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = templating.precompile(tmp_path)
    assert compiled == tmp_path / f"jinja-{jinja2.__version__}"
    assert sorted(p.name for p in compiled.glob("*.py")) == sorted(map(module_name, TEMPLATES))
    vms = [build_file(example_path(e), arch, TEST_SETTINGS) for e in EXAMPLES for arch in ARCHES]
    expected = [render(vm) for vm in vms]
    precompiled = templating.Environment(jinja2.ModuleLoader(compiled), None)
    monkeypatch.setattr(render_module, "environment", lambda syntax, settings: precompiled)
    assert [render(vm) for vm in vms] == expected


def cached_environment(folder: Path) -> templating.Environment:
    return templating.Environment(jinja2.FileSystemLoader(folder), templating.source_cache(folder))


def test_source_cache_is_reused_and_an_edited_template_recompiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    (tmp_path / "t.j2").write_text("-name {{ x|esc }}\n")
    assert cached_environment(tmp_path).get_template("t.j2").render(x="a,b") == "-name a,,b"
    assert len(list((tmp_path / "__pycache__").glob(f"jinja-{jinja2.__version__}-*.cache"))) == 1

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled although the cache holds the template")

    reused = cached_environment(tmp_path)
    monkeypatch.setattr(reused, "compile", no_compiling)
    assert reused.get_template("t.j2").render(x="c") == "-name c"

    (tmp_path / "t.j2").write_text("-uuid {{ x }}\n")
    assert cached_environment(tmp_path).get_template("t.j2").render(x="u") == "-uuid u"


def test_no_cache_is_written_when_bytecode_writing_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    (tmp_path / "t.j2").write_text("-S\n")
    assert cached_environment(tmp_path).get_template("t.j2").render() == "-S"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.j2"]


def test_an_unwritable_cache_folder_only_costs_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    (tmp_path / "t.j2").write_text("-S\n")
    (tmp_path / "__pycache__").write_text("a file where the cache folder would go\n")
    assert cached_environment(tmp_path).get_template("t.j2").render() == "-S"


def test_pycache_prefix_moves_the_cache_like_pythons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "t.j2").write_text("-S\n")
    assert cached_environment(folder).get_template("t.j2").render() == "-S"
    assert not (folder / "__pycache__").exists()
    mirrored = tmp_path / "prefix" / folder.resolve().relative_to("/") / "__pycache__"
    assert len(list(mirrored.glob("*.cache"))) == 1


def pip(command: str, *args: str) -> None:
    pip = [sys.executable, "-m", "pip", command, "--quiet", "--no-deps", *args]
    subprocess.run(pip, check=True, capture_output=True)


def test_the_wheel_ships_precompiled_templates_and_runs_on_them(tmp_path: Path) -> None:
    pip("wheel", "--no-build-isolation", "--wheel-dir", str(tmp_path), str(REPO))
    (wheel,) = tmp_path.glob("genqemu-*.whl")
    folder = f"genqemu/{templating.PRECOMPILED}/jinja-{jinja2.__version__}"
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {n for n in names if n.startswith(folder)} == {
        f"{folder}/{module_name(t)}" for t in TEMPLATES
    }
    site = tmp_path / "site"
    pip("install", "--target", str(site), str(wheel))
    before = sorted(site.rglob("*"))
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    probe = "from genqemu.render import environment; print(type(environment().loader).__name__)"
    loader = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert loader.stdout == "ModuleLoader\n", loader.stderr
    for example in EXAMPLES:
        for arch in ARCHES:
            args = ["-m", "genqemu", "--arch", arch, "--format", "args", str(example_path(example))]
            installed = subprocess.run(
                [sys.executable, *args], env=env, cwd=tmp_path, capture_output=True, text=True
            )
            assert installed.returncode == 0, installed.stderr
            expected = render_module.argv(build_file(example_path(example), arch, TEST_SETTINGS))
            assert installed.stdout == "\n".join(expected) + "\n"
    assert sorted(site.rglob("*")) == before


def test_a_corrupt_cache_entry_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(sys, "pycache_prefix", None)
    (tmp_path / "t.j2").write_text("-S\n")
    assert cached_environment(tmp_path).get_template("t.j2").render() == "-S"
    (entry,) = (tmp_path / "__pycache__").iterdir()
    entry.write_bytes(entry.read_bytes()[:40])
    assert cached_environment(tmp_path).get_template("t.j2").render() == "-S"
