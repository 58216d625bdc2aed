"""The benchmark's generated configs (benchmarks/configs.py) stay valid on every arch."""

from __future__ import annotations

import sys
from collections import Counter

import pytest
import tomli
from conftest import ARCHES, REPO

from genqemu.build import build

sys.path.insert(0, str(REPO / "benchmarks"))
from configs import config


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("size", [0, 1, 2, 3, 9, 30])
def test_a_generated_config_has_that_many_devices(arch: str, size: int) -> None:
    vm = build(tomli.loads(config(size)), arch, f"devices-{size}.toml")
    assert len(vm.devices) == size


def test_the_devices_are_of_mixed_kinds() -> None:
    vm = build(tomli.loads(config(100)), "s390x")
    kinds = Counter(device.kind for device in vm.devices)
    assert len(kinds) == 9
    assert kinds["virtio-scsi"] == kinds["virtio-serial"] == 1
    assert min(kinds.values()) == 1 and max(kinds.values()) == 14
