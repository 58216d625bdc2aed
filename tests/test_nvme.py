"""NVMe: the controller and its serial, namespaces and their ids, where it exists."""

from __future__ import annotations

from typing import Any

import pytest

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.render import render


def options(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, ...]]:
    return [tuple(o) for o in render(build(raw, arch))]


def problems(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


def namespaces(found: list[tuple[str, ...]]) -> list[str]:
    return [o[1] for o in found if len(o) == 2 and o[1].startswith("nvme-ns,")]


@pytest.mark.parametrize("arch", ["amd64", "arm64", "ppc64le", "riscv64"])
def test_a_controller_gets_its_id_as_serial_and_a_namespace_nsid_1(arch: str) -> None:
    found = options({"device": [{"kind": "nvme"}, {"kind": "nvme-ns", "file": "/d"}]}, arch)
    assert ("-device", "nvme,id=nvme0,serial=nvme0") in found
    node = "driver=raw,node-name=drive-ns0,file.driver=file,file.filename=/d"
    assert ("-blockdev", node) in found
    assert namespaces(found) == ["nvme-ns,id=ns0,bus=nvme0,drive=drive-ns0,nsid=1"]


def test_s390x_has_no_nvme() -> None:
    raw = {"device": [{"kind": "nvme"}, {"kind": "nvme-ns", "file": "/d"}]}
    assert [p for p, _ in problems(raw, "s390x")] == ["device[0].kind", "device[1].kind"]
    assert problems(raw, "s390x")[0][1].startswith("nvme does not exist on s390x")


def test_nsids_are_numbered_per_controller_around_the_ones_set() -> None:
    raw = {
        "device": [
            {"kind": "nvme", "id": "a", "serial": "A"},
            {"kind": "nvme", "id": "b", "serial": "B"},
            {"kind": "nvme-ns", "bus": "a", "file": "/0"},
            {"kind": "nvme-ns", "bus": "a", "file": "/1", "nsid": 1},
            {"kind": "nvme-ns", "bus": "b", "file": "/2"},
            {"kind": "nvme-ns", "bus": "a", "file": "/3"},
        ]
    }
    nsids = [o.rsplit(",", 1)[1] for o in namespaces(options(raw))]
    assert nsids == ["nsid=2", "nsid=1", "nsid=1", "nsid=3"]


def test_an_nsid_used_twice_on_one_controller_is_refused() -> None:
    raw = {
        "device": [
            {"kind": "nvme"},
            {"kind": "nvme-ns", "file": "/0", "nsid": 4},
            {"kind": "nvme-ns", "file": "/1", "nsid": 4},
        ]
    }
    assert problems(raw) == [
        (
            "device[2].nsid",
            "4 is already used by device[1] on the same controller: pick another or leave it out",
        )
    ]


def test_an_nsid_outside_qemus_range_is_refused() -> None:
    raw = {"device": [{"kind": "nvme"}, {"kind": "nvme-ns", "file": "/0", "nsid": 257}]}
    assert [p for p, _ in problems(raw)] == ["device[1].nsid"]


def test_a_serial_beyond_20_characters_is_refused_also_as_the_default() -> None:
    raw = {"device": [{"kind": "nvme", "serial": "x" * 21}]}
    assert [p for p, _ in problems(raw)] == ["device[0].serial"]
    raw = {"device": [{"kind": "nvme", "id": "a-very-long-controller-id"}]}
    ((path, message),) = problems(raw)
    assert path == "device[0].serial"
    assert message.endswith("longer than the 20 characters of an NVMe serial: set serial")


def test_a_namespace_needs_a_controller_and_has_no_serial() -> None:
    assert [p for p, _ in problems({"device": [{"kind": "nvme-ns", "file": "/0"}]})] == [
        "device[0].bus"
    ]
    raw = {"device": [{"kind": "nvme"}, {"kind": "nvme-ns", "file": "/0", "serial": "s"}]}
    assert [p for p, _ in problems(raw)] == ["device[1].serial"]
