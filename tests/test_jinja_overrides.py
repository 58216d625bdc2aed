"""The two Jinja internals genqemu/templating.py overrides are still what it
expects, and rendering with the overrides gives exactly what Jinja's own gives.

The overrides save about 13 us of CPU per device together (docs/performance.md:
about 3 us for DirectCallContext.call, 10 us for make_globals). They rely on how
Jinja compiles a call and loads a template; if a Jinja release changes that,
these tests fail and say which part changed, before any output does.
"""

from __future__ import annotations

import inspect
from collections import ChainMap
from collections.abc import MutableMapping
from typing import Any

import jinja2
import jinja2.runtime
import pytest
from conftest import EXAMPLE_CASES, TEST_SETTINGS, example_path

from genqemu import render as render_module
from genqemu import templating
from genqemu.build import build_file
from genqemu.render import render
from genqemu.resources import data_dir

CALLS = (
    '{% macro m(x) %}[{{ prop("p", x) }}]{% endmacro %}'
    '{% for i in [1, none, true] %}{{ m(i) }}{{ props({"k": i}) }}{% endfor %}{{ m(x=2) }}'
)


class JinjasOwn(templating.Environment):
    """genqemu's environment without the two overrides: Jinja's Context and
    Jinja's make_globals (a ChainMap over the environment's globals)."""

    context_class = jinja2.runtime.Context

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return jinja2.Environment.make_globals(self, d)


def shape(function: Any) -> list[tuple[str, object]]:
    """A signature's parameter names and kinds; a `__name` parameter of class C,
    which Python stores as `_C__name`, as `__name`."""
    found: list[tuple[str, object]] = []
    for parameter in inspect.signature(function).parameters.values():
        name = parameter.name
        if name.startswith("_") and "__" in name:
            name = "__" + name.split("__", 1)[1]
        found.append((name, parameter.kind))
    return found


def test_context_call_has_the_signature_the_override_copies() -> None:
    assert shape(jinja2.runtime.Context.call) == [
        ("__self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("__obj", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        ("args", inspect.Parameter.VAR_POSITIONAL),
        ("kwargs", inspect.Parameter.VAR_KEYWORD),
    ]
    assert shape(templating.DirectCallContext.call) == shape(jinja2.runtime.Context.call)
    assert templating.Environment.context_class is templating.DirectCallContext


def test_templates_call_through_context_call_with_loop_and_block_vars() -> None:
    """Compiled templates route every call through context.call and pass the
    loop's and block's variables as the only extra keywords, which the override
    drops for the helpers it calls directly."""
    env = templating.Environment(jinja2.DictLoader({}), None)
    code = env.compile(
        '{% for i in x %}{{ prop("p", i) }}{% endfor %}'
        '{% block b %}{% set y = 1 %}{{ props({"q": y}) }}{% endblock %}',
        raw=True,
    )
    assert "context.call((undefined(name='prop')" in code
    assert "'p', l_1_i, _loop_vars=_loop_vars))" in code
    assert "context.call((undefined(name='props')" in code
    assert "_block_vars=_block_vars))" in code


def test_jinjas_context_call_drops_loop_and_block_vars_for_a_plain_function() -> None:
    """What Jinja does for a callable that does not ask for the context, and so
    what the direct path must do: drop the two keywords, call it as it is."""
    received: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def plain(*args: Any, **kwargs: Any) -> str:
        received.append((args, kwargs))
        return "done"

    env = jinja2.Environment()
    context = jinja2.runtime.new_context(env, "t", {})
    result = context.call(plain, "p", 1, _loop_vars={"i": 1}, _block_vars={"y": 2}, k=3)
    assert result == "done"
    assert received == [(("p", 1), {"k": 3})]


def test_the_direct_helpers_do_not_ask_for_the_context() -> None:
    """A helper marked with jinja2.pass_context (or its kin) would be called
    without it on the direct path."""
    for helper in templating._DIRECT:
        assert not hasattr(helper, "jinja_pass_arg"), helper


def test_direct_calls_give_what_jinjas_context_gives() -> None:
    """prop() and props() skip Context.call, inside loops and macros too."""
    ours = templating.Environment(jinja2.DictLoader({"t": CALLS}), None)
    jinjas = JinjasOwn(jinja2.DictLoader({"t": CALLS}), None)
    expected = "[,p=1],k=1[][,p=on],k=on[,p=2]"
    assert ours.get_template("t").render() == jinjas.get_template("t").render() == expected


def test_make_globals_is_the_hook_jinja_loads_templates_with() -> None:
    """Jinja builds a template's globals with Environment.make_globals (a
    ChainMap over the environment's) when it loads a template; the override
    returns the same items as one plain dict."""
    jinjas = inspect.signature(jinja2.Environment.make_globals)
    assert list(jinjas.parameters) == ["self", "d"]
    assert isinstance(jinja2.Environment().make_globals({"a": 1}), ChainMap)
    assert "make_globals" in vars(templating.Environment)

    calls: list[object] = []

    class Spy(templating.Environment):
        def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
            calls.append(d)
            return super().make_globals(d)

    spy = Spy(jinja2.DictLoader({"t": "{{ prop('p', 1) }}"}), None)
    template = spy.get_template("t")
    assert calls and type(template.globals) is dict
    assert template.render() == ",p=1"
    spy.from_string("x")
    assert len(calls) == 2

    ours = templating.Environment(jinja2.DictLoader({}), None)
    own = JinjasOwn(jinja2.DictLoader({}), None)
    assert ours.make_globals({"a": 1}) == dict(own.make_globals({"a": 1}))
    assert isinstance(own.make_globals(None), ChainMap)


@pytest.mark.parametrize("syntax", ["qemuopts", "json"])
@pytest.mark.parametrize(("example", "arch"), EXAMPLE_CASES)
def test_every_example_renders_the_same_without_the_overrides(
    example: str, arch: str, syntax: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    vm = build_file(example_path(example), arch, TEST_SETTINGS)
    expected = render(vm, syntax)
    plain = {
        name: JinjasOwn(jinja2.FileSystemLoader(data_dir("templates")), None, name)
        for name in ("qemuopts", "json")
    }
    assert type(plain["json"].get_template("vm.j2").new_context()) is jinja2.runtime.Context
    monkeypatch.setattr(
        render_module, "environment", lambda syntax="qemuopts", settings=None: plain[syntax]
    )
    assert render(vm, syntax) == expected
