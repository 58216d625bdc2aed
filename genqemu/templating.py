"""The Jinja environment, and where its compiled templates come from.

Compiling the templates from source costs more than the rest of a run, so
a run should never have to:

- A wheel ships them precompiled: its build (hatch_build.py) runs
  `precompile()`, which writes Jinja's compiled Python modules into
  genqemu/_templates/jinja-VERSION/. pip compiles those to .pyc like any
  module, nothing is written at run time, and a read-only install is as fast
  as any. They are used only by the Jinja version that wrote them; any other
  falls back to the source.
- A source checkout or editable install compiles each template once and keeps
  the result in a Jinja bytecode cache in templates/__pycache__/, which is
  what Python does with the .py files beside it: same place, same lifetime,
  the same .gitignore line and the same opt-outs (PYTHONDONTWRITEBYTECODE,
  PYTHONPYCACHEPREFIX). Entries are checked against the template's text, so
  an edited template is recompiled. Where nothing can be written, every run
  compiles from source: slower, never wrong.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable, MutableMapping
from hashlib import sha1
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from genqemu import jsonsyntax as typed
from genqemu import qemu_facts
from genqemu.escape import esc, hexadecimal, onoff, prop, props, size, strings
from genqemu.resources import PACKAGE, data_dir
from genqemu.settings import SHIPPED, Settings

if TYPE_CHECKING:
    from jinja2.bccache import Bucket

# What the templates are compiled with; the compiled code depends on it.
OPTIONS: dict[str, Any] = {
    "autoescape": False,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": False,
}
PRECOMPILED = "_templates"  # inside the package


class DirectCallContext(jinja2.runtime.Context):
    """Jinja's template context, with a direct path for prop() and props().

    Templates call them for nearly every option (7 times per device on
    average), and Jinja routes every call through Context.call, which checks
    whether the callable wants the context passed in. These two never do, so
    calling them directly gives the same result and saves about 3 us per
    device. Every other callable (macros) takes Jinja's path.
    tests/test_jinja_overrides.py checks what this relies on in Jinja.
    """

    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if __obj in _DIRECT:
            if kwargs:  # Jinja passes these to every call inside loops and blocks
                kwargs.pop("_loop_vars", None)
                kwargs.pop("_block_vars", None)
            return __obj(*args, **kwargs)
        return super().call(__obj, *args, **kwargs)


# The helpers templates spell values with, for each syntax. QEMU's key=value
# syntax escapes and spells; the typed set (genqemu/jsonsyntax.py) makes each
# value a JSON token for the options that take JSON.
HELPERS: dict[str, tuple[dict[str, Callable[..., Any]], dict[str, Callable[..., Any]]]] = {
    "qemuopts": (
        {"esc": esc, "size": size, "hex": hexadecimal, "onoff": onoff},
        {"prop": prop, "props": props, "strings": strings},
    ),
    "json": (
        {"esc": typed.esc, "size": typed.size, "hex": typed.hexadecimal, "onoff": onoff},
        {"prop": typed.prop, "props": typed.props, "strings": typed.strings},
    ),
}
_DIRECT = frozenset(f for _, glob in HELPERS.values() for f in glob.values() if f is not strings)


class Environment(jinja2.Environment):
    """Strict, no HTML escaping, the helpers of one syntax and the tables of
    genqemu/qemu_facts.py registered here."""

    context_class: type[jinja2.runtime.Context] = DirectCallContext

    def __init__(
        self,
        loader: jinja2.BaseLoader,
        cache: jinja2.BytecodeCache | None,
        syntax: str = "qemuopts",
    ) -> None:
        super().__init__(
            loader=loader,
            bytecode_cache=cache,
            undefined=jinja2.StrictUndefined,
            auto_reload=False,
            cache_size=-1,  # a plain dict: every {% import %} looks a template up
            **OPTIONS,
        )
        filters, helpers = HELPERS[syntax]
        self.filters.update(filters)
        self.globals.update(helpers)
        self.globals.update(qemu_facts.GLOBALS)

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one plain dict, not Jinja's ChainMap over the
        environment's: every render and import copies or compares them, and a
        ChainMap makes that the largest cost per device. The globals are all set
        above, before any template loads, so a copy cannot miss a change.
        tests/test_jinja_overrides.py checks that Jinja still calls this."""
        return {**self.globals, **(d or {})}


def precompiled_dir(version: str = jinja2.__version__) -> Path:
    """Where a wheel keeps the templates compiled by this Jinja version."""
    return PACKAGE / PRECOMPILED / f"jinja-{version}"


class SourceCache(jinja2.FileSystemBytecodeCache):
    """Jinja's bytecode cache, written like Python's own: never when bytecode
    writing is off, and silently not at all where the folder is read-only.
    An entry that cannot be read is a miss: the template is compiled."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        if sys.dont_write_bytecode:
            return
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def source_cache(templates: Path) -> SourceCache:
    """The bytecode cache of the templates in `templates` (see the module doc)."""
    directory = templates / "__pycache__"
    if sys.pycache_prefix:
        directory = Path(sys.pycache_prefix, *directory.resolve().parts[1:])
    key = sha1(repr(sorted(OPTIONS.items())).encode()).hexdigest()[:8]
    return SourceCache(os.fspath(directory), f"jinja-{jinja2.__version__}-{key}-%s.cache")


def environment(syntax: str = "qemuopts", settings: Settings = SHIPPED) -> Environment:
    """A new environment: the user's template folders first (compiled from
    source), then the shipped templates, precompiled if there are, else the source."""
    compiled = precompiled_dir()
    templates = data_dir("templates")
    shipped: jinja2.BaseLoader = (
        jinja2.ModuleLoader(compiled) if compiled.is_dir() else jinja2.FileSystemLoader(templates)
    )
    cache = None if compiled.is_dir() else source_cache(templates)
    if settings.template_dirs:
        user = jinja2.FileSystemLoader(list(settings.template_dirs))
        shipped = jinja2.ChoiceLoader([user, shipped])
        cache = None  # the source cache belongs to the shipped folder
    return Environment(shipped, cache, syntax)


def precompile(target: Path) -> Path:
    """Compile every template into `target`/jinja-VERSION/ (a wheel build's step)."""
    templates = data_dir("templates")
    out = target / f"jinja-{jinja2.__version__}"
    env = Environment(jinja2.FileSystemLoader(templates), None)
    env.compile_templates(out, zip=None, ignore_errors=False, filter_func=_is_template)
    return out


def _is_template(name: str) -> bool:
    return name.endswith(".j2")
