"""[smbios]: the guest's DMI tables, where QEMU has them, with QEMU's escaping."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import qemu_binary
from support.qmp import paused_qemu

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.launch import plan
from genqemu.render import render

SEED = "ds=nocloud;s=http://10.0.2.2:8000/"


def smbios_options(raw: dict[str, Any], arch: str) -> list[str]:
    return [o[1] for o in render(build(raw, arch)) if o[0] == "-smbios"]


def problems(raw: dict[str, Any], arch: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


def test_each_structure_is_one_option_and_commas_are_doubled() -> None:
    raw = {
        "smbios": {
            "bios": {"vendor": "V", "release": "1.2"},
            "system": {"manufacturer": "Example, Inc.", "serial": "S-1"},
            "baseboard": {"location": "slot 1"},
            "chassis": {"asset": "a"},
            "oem_strings": [SEED, "x,y"],
        }
    }
    assert smbios_options(raw, "amd64") == [
        "type=0,vendor=V,release=1.2",
        "type=1,manufacturer=Example,, Inc.,serial=S-1",
        "type=2,location=slot 1",
        "type=3,asset=a",
        f"type=11,value={SEED}",  # ';' is no separator for QEMU: it stays
        "type=11,value=x,,y",
    ]


@pytest.mark.parametrize("arch", ["s390x", "ppc64le", "riscv64"])
def test_an_arch_without_smbios_refuses_it(arch: str) -> None:
    ((path, message),) = problems({"smbios": {"oem_strings": ["a"]}}, arch)
    assert path == "smbios"
    assert message == f"QEMU has no SMBIOS tables on {arch}: remove [smbios] for this arch"


@pytest.mark.parametrize(
    ("smbios", "path", "message"),
    [
        ({}, "smbios", "is empty: set at least one of bios,"),
        ({"system": {}}, "smbios.system", "is empty: set at least one of manufacturer,"),
        ({"system": {"serial": ""}}, "smbios.system.serial", "'' is not valid: an SMBIOS"),
        ({"bios": {"date": "2024-01-31"}}, "smbios.bios.date", "'2024-01-31' is not valid: SMBIOS"),
        ({"bios": {"release": "1"}}, "smbios.bios.release", "'1' is not valid: write MAJOR"),
        ({"system": {"uuid": "x"}}, "smbios.system.uuid", "unknown key"),
    ],
)
def test_refusals_name_the_key(smbios: dict[str, Any], path: str, message: str) -> None:
    ((where, said),) = problems({"smbios": smbios}, "amd64")
    assert (where, said[: len(message)]) == (path, message)


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_qemu_takes_every_structure(arch: str) -> None:
    raw = {
        "uuid": "8e5bd3a5-9a1d-4d5e-8a7a-0b6b6a6b6a6b",
        "smbios": {
            "bios": {"vendor": "V", "version": "1", "date": "01/31/2024", "release": "1.2"},
            "system": {"manufacturer": "M, Inc.", "product": "P", "version": "2", "serial": "S"},
            "baseboard": {"manufacturer": "M", "asset": "A", "location": "L", "serial": "B"},
            "chassis": {"manufacturer": "M", "version": "3", "serial": "C", "sku": "K"},
            "oem_strings": [SEED],
        },
    }
    vm = build(raw, arch)
    with paused_qemu([qemu_binary(vm.binary), *plan(vm).argv[1:]]) as qmp:
        assert qmp.execute("query-uuid")["UUID"] == raw["uuid"]


def test_import_types_the_tables_and_passes_the_rest_through() -> None:
    from genqemu.importer import import_text

    typed = import_text(
        "qemu-system-x86_64 -machine q35 -smbios type=1,manufacturer=a,,b "
        f"-smbios 'type=11,value={SEED}' -smbios type=3,asset=x"
    )
    assert typed.config["smbios"] == {
        "system": {"manufacturer": "a,b"},
        "chassis": {"asset": "x"},
        "oem_strings": [SEED],
    }
    assert typed.passthrough == []
    # A uuid is -uuid's; QEMU reads no implied type; a file is not modelled.
    for option in ("type=1,uuid=8e5bd3a5-9a1d-4d5e-8a7a-0b6b6a6b6a6b", "1,serial=x", "file=t.bin"):
        kept = import_text(
            f"qemu-system-x86_64 -machine q35 -smbios type=0,vendor=v -smbios {option}"
        )
        assert "smbios" not in kept.config
        assert kept.config["extra_args"] == ["-smbios", "type=0,vendor=v", "-smbios", option]
