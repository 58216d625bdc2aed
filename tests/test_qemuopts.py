"""The option readers of tests/support/qemuopts.py read what QEMU 7.2 reads.

Each expectation below was checked against qemu-system-x86_64 7.2 (the error
text QEMU gives, or the property value it reports over QMP).
"""

from __future__ import annotations

import pytest
from conftest import ARCHES, EXAMPLES, TEST_SETTINGS, example_path
from support.qemuopts import (
    SYNTAX,
    OptionSyntaxError,
    parse,
    parse_cpu,
    parse_json,
    parse_keyval,
    read_option,
)

from genqemu.build import build_file
from genqemu.render import render


def test_qemuopts_doubles_commas_in_every_value_including_the_implied_one() -> None:
    assert parse("virtio-blk-pci,,x,serial=a,,b,id=c", implied="driver") == [
        ("driver", "virtio-blk-pci,x"),
        ("serial", "a,b"),
        ("id", "c"),
    ]
    assert parse("a=b=c,flag,d=", implied="x") == [("a", "b=c"), ("flag", None), ("d", "")]


def test_keyval_implied_value_ends_at_the_first_comma_or_equals() -> None:
    # qemu-system-x86_64 -machine 'q35,,x': "Invalid parameter ''"
    with pytest.raises(OptionSyntaxError, match="Invalid parameter ''"):
        parse_keyval("q35,,x", implied="type")
    # -machine pc-q35-x=y: "Property 'pc-i440fx-7.2-machine.pc-q35-x' not found"
    assert parse_keyval("pc-q35-x=y", implied="type") == [("pc-q35-x", "y")]
    # -object rng-random,id=r,filename=/a,,b opens '/a,b'
    assert parse_keyval("rng-random,id=r,filename=/a,,b", implied="qom-type") == [
        ("qom-type", "rng-random"),
        ("id", "r"),
        ("filename", "/a,b"),
    ]


def test_keyval_refuses_flags_and_bad_keys() -> None:
    # -blockdev ...,read-only: "Expected '=' after parameter 'read-only'"
    with pytest.raises(OptionSyntaxError, match="Expected '='"):
        parse_keyval("driver=file,read-only", implied="driver")
    for key in ("a.", "a..b", ".a", "1a"):
        with pytest.raises(OptionSyntaxError, match="Invalid parameter"):
            parse_keyval(f"q35,{key}=1", implied="type")
    assert parse_keyval("q35,a.b=1,a.0=2", implied="type")[1:] == [("a.b", "1"), ("a.0", "2")]


def test_cpu_splits_at_every_comma() -> None:
    # -cpu max,model-id=a,,vendor=AuthenticAMD: QMP reports model-id "a"
    assert parse_cpu("max,model-id=a,,vendor=AuthenticAMD") == [
        ("", "max"),
        ("model-id", "a"),
        ("vendor", "AuthenticAMD"),
    ]
    assert parse_cpu("max,,pmu=off,+sse") == [("", "max"), ("pmu", "off"), ("+sse", None)]


def test_json_form_reads_as_dotted_keys() -> None:
    text = '{"driver": "qcow2", "file": {"driver": "file", "filename": "/a,b"}, "ro": true}'
    assert parse_json(text) == [
        ("driver", "qcow2"),
        ("file.driver", "file"),
        ("file.filename", "/a,b"),
        ("ro", "on"),
    ]
    assert parse_json('{"a": [1, 2]}') == [("a.0", "1"), ("a.1", "2")]
    for bad in ('{"a": 1, "a": 2}', "[1]", '{"a": null}', "{"):
        with pytest.raises(OptionSyntaxError):
            parse_json(bad)


def test_read_option_picks_the_syntax_qemu_uses() -> None:
    assert read_option("-device", '{"driver": "virtio-rng-pci", "id": "r"}') == [
        ("driver", "virtio-rng-pci"),
        ("id", "r"),
    ]
    assert read_option("-chardev", "{") == [("backend", "{")]  # -chardev has no JSON form
    assert read_option("-kernel", "/a,b=c") == [("", "/a,b=c")]
    with pytest.raises(KeyError, match="does not know how QEMU parses -nonsense"):
        read_option("-nonsense", "x")


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("example", EXAMPLES)
def test_every_option_genqemu_emits_has_a_reader(example: str, arch: str) -> None:
    for option in render(build_file(example_path(example), arch, TEST_SETTINGS)):
        if len(option) == 2:
            assert option[0] in SYNTAX, f"add {option[0]} to tests/support/qemuopts.py SYNTAX"
            read_option(*option)
