"""genqemu import of flash firmware: read-only code + vars as [firmware], else pflash.

Each case round-trips: the imported TOML, built again with the same firmware
descriptors (Debian 12's, tests/fixtures/firmware), starts the same VM
(tests/support/argv_equivalence.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import tomli
from conftest import FIRMWARE_DIR, TEST_SETTINGS
from support.argv_equivalence import differences
from typer.testing import CliRunner

from genqemu.build import build
from genqemu.cli import app
from genqemu.importer import import_text
from genqemu.importer.source import read_invocation
from genqemu.importer.tomlwrite import to_toml
from genqemu.launch import plan
from genqemu.profiles import load_profile
from genqemu.settings import SHIPPED, Settings

OVMF = "/usr/share/OVMF"
VARS = "/var/lib/vms/web.vars.fd"


def flash(code: str, code_flags: str = ",readonly=on", vars_: str = VARS) -> str:
    """The two -drive if=pflash units libvirt, virt-install and quickemu write."""
    return (
        f" -drive if=pflash,format=raw,unit=0,file={code}{code_flags}"
        f" -drive if=pflash,format=raw,unit=1,file={vars_}"
    )


def imported(line: str, settings: Settings = TEST_SETTINGS) -> dict[str, Any]:
    """The config of `line`, after checking that it starts the same VM."""
    result = import_text(line, None, settings)
    text = to_toml(result.config, [result.summary()])
    again = plan(build(tomli.loads(text), result.arch, settings=settings))
    invocation = read_invocation(line)
    before = [invocation.binary, *invocation.args]
    assert differences(before, {}, again.argv, {}, load_profile(result.arch)) == []
    return result.config


def test_read_only_ovmf_code_and_vars_are_firmware_uefi() -> None:
    line = "qemu-system-x86_64 -machine q35,accel=tcg -m 1G" + flash(f"{OVMF}/OVMF_CODE_4M.fd")
    config = imported(line)
    assert config["firmware"] == {"type": "uefi", "vars": VARS}
    assert "pflash" not in config and "extra_args" not in config


def test_secure_boot_takes_smm_and_the_secure_flash_property_from_the_descriptor() -> None:
    line = (
        "qemu-system-x86_64 -machine q35,smm=on,vmport=off -m 2G"
        " -global driver=cfi.pflash01,property=secure,value=on"
        + flash(f"{OVMF}/OVMF_CODE_4M.ms.fd")
    )
    config = imported(line)
    # Keys enrolled: enrolled_keys defaults to secure_boot, so it is left out.
    assert config["firmware"] == {"type": "uefi", "secure_boot": True, "vars": VARS}
    assert config["machine"]["options"] == {"vmport": False}  # smm=on is the firmware's
    assert "global" not in config and "extra_args" not in config


def test_secure_boot_without_enrolled_keys_says_so() -> None:
    line = (
        "qemu-system-x86_64 -machine q35,smm=on"
        " -global driver=cfi.pflash01,property=secure,value=on"
        + flash(f"{OVMF}/OVMF_CODE_4M.secboot.fd")
    )
    config = imported(line)
    assert config["firmware"] == {
        "type": "uefi",
        "secure_boot": True,
        "enrolled_keys": False,
        "vars": VARS,
    }
    assert "options" not in config["machine"]


def test_secure_boot_firmware_without_what_it_needs_stays_pflash() -> None:
    """genqemu would add smm=on and the secure property: not the same VM."""
    code = f"{OVMF}/OVMF_CODE_4M.ms.fd"
    config = imported("qemu-system-x86_64 -machine q35" + flash(code))
    assert "firmware" not in config
    assert config["pflash"] == [{"file": code, "read_only": True}, VARS]


def test_the_short_global_spelling_is_read_as_qemu_reads_it() -> None:
    """QEMU 7.2 splits `-global cfi.pflash01.secure=on` at the first dot: driver
    cfi, property pflash01.secure ("global cfi.pflash01.secure has invalid class
    name", and the flash is not secure). So it is no Secure Boot line."""
    code = f"{OVMF}/OVMF_CODE_4M.ms.fd"
    line = "qemu-system-x86_64 -machine q35,smm=on -global cfi.pflash01.secure=on" + flash(code)
    config = imported(line)
    assert "firmware" not in config
    assert config["pflash"][0] == {"file": code, "read_only": True}
    assert config["global"] == [{"driver": "cfi", "property": "pflash01.secure", "value": True}]


def test_read_only_aavmf_on_arm64_virt_is_firmware_uefi() -> None:
    line = "qemu-system-aarch64 -machine virt -cpu max -m 1G" + flash(
        "/usr/share/AAVMF/AAVMF_CODE.fd"
    )
    assert imported(line)["firmware"] == {"type": "uefi", "vars": VARS}


def test_read_only_code_no_descriptor_knows_is_a_pflash_table() -> None:
    line = "qemu-system-x86_64 -machine q35" + flash("/opt/edk2/OVMF_CODE.fd")
    config = imported(line)
    assert config["pflash"] == [{"file": "/opt/edk2/OVMF_CODE.fd", "read_only": True}, VARS]
    assert "firmware" not in config and "extra_args" not in config


def test_without_descriptors_known_code_is_a_pflash_table() -> None:
    code = f"{OVMF}/OVMF_CODE_4M.fd"
    config = imported("qemu-system-x86_64 -machine q35" + flash(code), SHIPPED)
    assert config["pflash"] == [{"file": code, "read_only": True}, VARS]


def test_read_write_units_stay_a_list_of_paths() -> None:
    line = "qemu-system-x86_64 -machine q35" + flash("/var/lib/vms/code.fd", code_flags="")
    assert imported(line)["pflash"] == ["/var/lib/vms/code.fd", VARS]


@pytest.mark.parametrize("units", [1, 3])
def test_code_without_exactly_one_vars_unit_is_a_pflash_table(units: int) -> None:
    code = f"{OVMF}/OVMF_CODE_4M.fd"
    drives = [f"unit=0,file={code},readonly=on"] + [
        f"unit={n},file=/var/lib/vms/{n}.fd" for n in range(1, units)
    ]
    line = "qemu-system-x86_64 -machine q35" + "".join(
        f" -drive if=pflash,format=raw,{d}" for d in drives
    )
    config = imported(line)
    assert "firmware" not in config
    assert config["pflash"][0] == {"file": code, "read_only": True}


def _descriptor(source: str, code: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIRMWARE_DIR / source).read_text())
    doc["mapping"]["executable"]["filename"] = code
    return doc


def test_code_that_another_descriptor_would_beat_is_a_pflash_table(tmp_path: Path) -> None:
    """A 2M and a 4M build with the same features: [firmware] would pick the first
    (by file name), so the other one's code cannot be written as [firmware]."""
    shutil.copy(FIRMWARE_DIR / "60-edk2-x86_64.json", tmp_path)
    two_mb = _descriptor("60-edk2-x86_64.json", f"{OVMF}/OVMF_CODE.fd")
    (tmp_path / "50-edk2-x86_64-2m.json").write_text(json.dumps(two_mb))
    settings = Settings(firmware_dirs=(tmp_path,))
    beaten = imported(
        "qemu-system-x86_64 -machine q35" + flash(f"{OVMF}/OVMF_CODE_4M.fd"), settings
    )
    assert "firmware" not in beaten
    assert beaten["pflash"][0] == {"file": f"{OVMF}/OVMF_CODE_4M.fd", "read_only": True}
    winner = imported("qemu-system-x86_64 -machine q35" + flash(f"{OVMF}/OVMF_CODE.fd"), settings)
    assert winner["firmware"] == {"type": "uefi", "vars": VARS}


def test_code_for_another_machine_is_a_pflash_table() -> None:
    """Debian's Secure Boot descriptors list only q35: on pc, no [firmware]."""
    code = f"{OVMF}/OVMF_CODE_4M.secboot.fd"
    line = (
        "qemu-system-x86_64 -machine pc,smm=on"
        " -global driver=cfi.pflash01,property=secure,value=on" + flash(code)
    )
    config = imported(line)
    assert "firmware" not in config
    assert config["pflash"][0] == {"file": code, "read_only": True}


def test_sev_firmware_stays_confidential_firmware() -> None:
    line = (
        "qemu-system-x86_64 -machine q35,confidential-guest-support=sev0"
        " -object sev-guest,id=sev0,cbitpos=51,reduced-phys-bits=1"
        f" -drive if=pflash,format=raw,unit=0,file={OVMF}/OVMF.amdsev.fd,readonly=on"
    )
    config = imported(line)
    assert config["confidential"]["firmware"] == f"{OVMF}/OVMF.amdsev.fd"
    assert "firmware" not in config and "pflash" not in config


def test_the_command_takes_firmware_dir(tmp_path: Path) -> None:
    line = "qemu-system-x86_64 -machine q35" + flash(f"{OVMF}/OVMF_CODE_4M.fd")
    runner = CliRunner(env={"GENQEMU_FIRMWARE_PATH": ""})  # conftest sets it
    empty = tmp_path / "none"
    empty.mkdir()
    without = runner.invoke(app, ["import", "--firmware-dir", str(empty)], input=line)
    assert without.exit_code == 0, without.stderr
    assert "[firmware]" not in without.stdout and "read_only = true" in without.stdout
    given = runner.invoke(app, ["import", "--firmware-dir", str(FIRMWARE_DIR)], input=line)
    assert given.exit_code == 0, given.stderr
    assert '[firmware]\ntype = "uefi"\nvars = "/var/lib/vms/web.vars.fd"\n' in given.stdout
