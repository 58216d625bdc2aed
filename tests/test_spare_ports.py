"""machine.spare_root_ports: the spare ports sit on the root bus, also beside a pxb-pcie."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import qemu_binary
from support.qmp import paused_qemu

from genqemu.build import build_file
from genqemu.render import argv

# Without bus=, QEMU puts a port on the last PCI Express bus made: the
# expander's here (seen in a booted arm64 guest, where a disk hot-plugged on
# such a port never appeared and a kworker locked up).
EXPANDER = """
[machine]
spare_root_ports = 1

[[device]]
kind = "pxb-pcie"
id = "pxb0"
bus_nr = 128

[[device]]
kind = "pcie-root-port"
id = "rp9"
bus = "pxb0"
"""


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_spare_ports_name_the_root_bus(arch: str, tmp_path: Path) -> None:
    config = tmp_path / "vm.toml"
    config.write_text(EXPANDER)
    vm = build_file(config, arch)
    spare = vm.devices[-1]
    assert spare.kind == "pcie-root-port"
    assert spare.refs.get("bus") == "pcie.0"
    assert f"pcie-root-port,id={spare.id},chassis=2,bus=pcie.0" in argv(vm)


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_qemu_puts_the_spare_port_on_the_root_bus(arch: str, tmp_path: Path) -> None:
    config = tmp_path / "vm.toml"
    config.write_text(EXPANDER)
    vm = build_file(config, arch)
    spare = vm.devices[-1].id
    with paused_qemu([qemu_binary(vm.binary), *argv(vm)[1:]]) as qmp:
        bus = qmp.execute("qom-get", path=f"/machine/peripheral/{spare}", property="parent_bus")
        assert str(bus).endswith("/pcie.0"), bus
