"""[firmware] and pflash: what each setting resolves to, every refusal and its fix,
the variable store the launch creates, and QEMU run unprivileged against
root-owned firmware.

Descriptor reading and matching: tests/test_firmware_descriptors.py. Booting
through the firmware, Secure Boot included: tests/test_secure_boot.py.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIRMWARE_DIR, TEST_SETTINGS, qemu_binary
from typer.testing import CliRunner

from genqemu.build import build
from genqemu.cli import app
from genqemu.errors import ConfigError
from genqemu.explain import explain
from genqemu.launch import plan
from genqemu.output import to_json, to_sh
from genqemu.resolve import Vm
from genqemu.run import copy_templates, dry_run_text
from genqemu.settings import Settings

OVMF = "/usr/share/OVMF"
UEFI = {"type": "uefi", "vars": "/vm/web.vars.fd"}


def vm(raw: dict[str, Any], arch: str = "amd64", source: str = "/vms/web.toml") -> Vm:
    return build(raw, arch, source, TEST_SETTINGS)


def problems(raw: dict[str, Any], arch: str = "amd64", settings: Settings = TEST_SETTINGS) -> Any:
    with pytest.raises(ConfigError) as caught:
        build(raw, arch, "/vms/web.toml", settings)
    return caught.value.problems


def drives(v: Vm) -> list[tuple[str, bool, str]]:
    return [(d.file, d.read_only, d.format) for d in v.pflash]


@pytest.mark.parametrize(
    ("wish", "descriptor", "code", "template"),
    [
        ({}, "60-edk2-x86_64.json", "OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"),
        (
            {"secure_boot": True},
            "40-edk2-x86_64-secure-enrolled.json",
            "OVMF_CODE_4M.ms.fd",
            "OVMF_VARS_4M.ms.fd",
        ),
        (
            {"secure_boot": True, "enrolled_keys": False},
            "50-edk2-x86_64-secure.json",
            "OVMF_CODE_4M.secboot.fd",
            "OVMF_VARS_4M.fd",
        ),
    ],
)
def test_uefi_picks_the_descriptor_its_features_ask_for(
    wish: dict[str, Any], descriptor: str, code: str, template: str
) -> None:
    """Code read-only, vars read-write, vars created from the descriptor's template."""
    v = vm({"firmware": {**UEFI, **wish}})
    assert v.firmware is not None and v.firmware.descriptor is not None
    assert v.firmware.descriptor.name == descriptor
    assert drives(v) == [(f"{OVMF}/{code}", True, "raw"), ("/vm/web.vars.fd", False, "raw")]
    assert v.copies == [(f"{OVMF}/{template}", "/vm/web.vars.fd")]


def test_secure_boot_firmware_brings_what_its_features_need() -> None:
    """requires-smm (a descriptor feature) gives smm=on and the secure flash, from
    the amd64 profile; firmware without it adds neither."""
    argv = plan(vm({"firmware": {**UEFI, "secure_boot": True}})).argv
    assert "q35,smm=on" in argv
    assert "driver=cfi.pflash01,property=secure,value=on" in argv
    plain = plan(vm({"firmware": UEFI})).argv
    assert not any("smm" in a or "cfi.pflash01" in a for a in plain)


def test_a_machine_option_the_firmware_needs_cannot_be_turned_off() -> None:
    raw = {"firmware": {**UEFI, "secure_boot": True}, "machine": {"options": {"smm": "off"}}}
    assert problems(raw) == [
        (
            "machine.options.smm",
            "the chosen firmware (40-edk2-x86_64-secure-enrolled.json) has requires-smm, "
            "which needs smm = 'on': remove it from machine.options",
        )
    ]


def test_arm64_uses_aavmf_and_the_versioned_machine_name() -> None:
    """Descriptors list virt-*: the profile's glob gives virt-7.2 for virt."""
    v = vm({"firmware": {**UEFI, "secure_boot": True}}, "arm64")
    assert drives(v)[0] == ("/usr/share/AAVMF/AAVMF_CODE.ms.fd", True, "raw")
    assert not any("smm" in a for a in plan(v).argv)


def test_the_default_variable_store_is_next_to_the_config() -> None:
    v = vm({"firmware": {"type": "uefi"}}, source="/vms/web.toml")
    assert drives(v)[1] == ("/vms/web.vars.fd", False, "raw")
    relative = vm({"firmware": {"type": "uefi"}}, source="web.toml")
    assert drives(relative)[1][0] == str(Path.cwd() / "web.vars.fd")


def test_no_default_variable_store_without_a_config_file() -> None:
    with pytest.raises(ConfigError) as caught:
        build({"firmware": {"type": "uefi"}}, "amd64", settings=TEST_SETTINGS)
    assert caught.value.problems == [
        (
            "firmware.vars",
            "the config is not read from a file, so there is no default place for the "
            "UEFI variable store: set vars to this VM's own file",
        )
    ]


def test_no_default_variable_store_for_a_path_without_a_file_name() -> None:
    """Found by CI's hostile run: a source of '/' crashed in Path.with_name."""
    with pytest.raises(ConfigError) as caught:
        build({"firmware": {"type": "uefi"}}, "amd64", source="/", settings=TEST_SETTINGS)
    assert caught.value.problems == [
        (
            "firmware.vars",
            "the config path '/' names no file, so there is no default place for the "
            "UEFI variable store: set vars to this VM's own file",
        )
    ]


def test_no_matching_descriptor_lists_why_each_lost() -> None:
    """pc (i440fx) has no Secure Boot OVMF in Debian: every descriptor is named."""
    found = problems({"firmware": {**UEFI, "secure_boot": True}, "machine": {"type": "pc"}})
    assert {path for path, _ in found} == {"firmware"}
    assert [message for _, message in found] == [
        "no descriptor matches uefi for x86_64 machine pc-i440fx-7.2 with enrolled-keys, "
        "secure-boot",
        f"searched {FIRMWARE_DIR}:",
        "40-edk2-x86_64-secure-enrolled.json: does not list machine pc-i440fx-7.2 "
        "(it has pc-q35-*)",
        "50-edk2-x86_64-secure.json: does not list machine pc-i440fx-7.2 (it has pc-q35-*)",
        "60-edk2-x86_64.json: lacks enrolled-keys, secure-boot",
        "(3 more for other arches)",
    ]


def test_no_descriptor_folder_at_all() -> None:
    found = problems({"firmware": UEFI}, settings=Settings())
    assert found[0] == ("firmware", "no descriptor files found in (no folders)")
    assert "--firmware-dir" in found[-1][1]


@pytest.mark.parametrize(
    ("arch", "machine", "why"),
    [
        ("ppc64le", None, "always boots its built-in firmware (SLOF)"),
        ("s390x", None, "always boots its built-in firmware (s390-ccw)"),
        ("amd64", "microvm", "always boots its built-in firmware (qboot"),
    ],
)
def test_uefi_where_the_machine_has_no_flash(arch: str, machine: str | None, why: str) -> None:
    raw: dict[str, Any] = {"firmware": UEFI}
    if machine:
        raw["machine"] = {"type": machine}
    ((path, message),) = problems(raw, arch)
    assert path == "firmware.type" and why in message
    assert "remove [firmware] or set type = 'bios'" in message


def test_bios_is_the_machine_default_everywhere() -> None:
    for arch in ("amd64", "arm64", "ppc64le", "riscv64", "s390x"):
        v = vm({"firmware": {"type": "bios"}}, arch)
        assert v.pflash == [] and v.copies == []
        assert not any("pflash" in a or a == "-bios" for a in plan(v).argv)


@pytest.mark.parametrize(
    ("firmware", "path", "fragment"),
    [
        ({"type": "bios", "vars": "/v"}, "firmware.vars", 'type = "bios" has no variable store'),
        ({"type": "bios", "secure_boot": True}, "firmware.secure_boot", "remove secure_boot"),
        ({"type": "uefi", "code": "/c"}, "firmware.code", 'only type = "custom" takes code'),
        ({"type": "custom"}, "firmware.code", "needs the firmware code image"),
        (
            {"type": "custom", "code": "/c", "secure_boot": True},
            "firmware.secure_boot",
            "set what the firmware needs, such as smm, in machine.options",
        ),
        (
            {"type": "uefi", "enrolled_keys": True},
            "firmware.enrolled_keys",
            "set secure_boot = true as well",
        ),
        ({"type": "efi"}, "firmware.type", "'uefi'"),
    ],
)
def test_settings_that_cannot_mean_what_they_say(
    firmware: dict[str, Any], path: str, fragment: str
) -> None:
    found = problems({"firmware": firmware})
    assert [p for p, _ in found] == [path], found
    assert fragment in found[0][1]


@pytest.mark.parametrize(
    "other",
    [{"bios": "/b.bin"}, {"pflash": ["/a.fd"]}],
)
def test_firmware_and_the_govmm_keys_are_one_or_the_other(other: dict[str, Any]) -> None:
    (name,) = other
    found = problems({"firmware": UEFI, **other})
    assert [p for p, _ in found] == [name]
    assert f"remove {name}" in found[0][1]


def test_custom_firmware_is_read_only_code_and_a_per_vm_copy() -> None:
    v = vm({"firmware": {"type": "custom", "code": "/fw/u-boot.fd", "vars_template": "/fw/t.fd"}})
    assert drives(v) == [("/fw/u-boot.fd", True, "raw"), ("/vms/web.vars.fd", False, "raw")]
    assert v.copies == [("/fw/t.fd", "/vms/web.vars.fd")]
    alone = vm({"firmware": {"type": "custom", "code": "/fw/u-boot.fd"}})
    assert drives(alone) == [("/fw/u-boot.fd", True, "raw")] and alone.copies == []


def test_a_sev_guest_gets_amd_sev_firmware() -> None:
    """The descriptor must list amd-sev (with the ES policy bit, amd-sev-es: Debian's
    descriptors lack it, so that one is refused, naming the feature)."""
    sev = {"type": "sev-guest", "cbitpos": 47, "reduced_phys_bits": 1}
    v = vm({"firmware": UEFI, "confidential": sev})
    assert v.firmware is not None and v.firmware.descriptor is not None
    assert "amd-sev" in v.firmware.descriptor.features
    found = problems({"firmware": UEFI, "confidential": {**sev, "policy": 5}})
    assert found[0] == (
        "firmware",
        "no descriptor matches uefi for x86_64 machine pc-q35-7.2 "
        "with amd-sev, amd-sev-es, without enrolled-keys, secure-boot",
    )
    both = problems({"firmware": UEFI, "confidential": {**sev, "firmware": "/sev.fd"}})
    assert [p for p, _ in both] == ["confidential.firmware"]


def test_pflash_images_can_be_read_only() -> None:
    raw = {"pflash": [{"file": f"{OVMF}/OVMF_CODE_4M.fd", "read_only": True}, "/vm/vars.fd"]}
    assert drives(vm(raw)) == [
        (f"{OVMF}/OVMF_CODE_4M.fd", True, "raw"),
        ("/vm/vars.fd", False, "raw"),
    ]


@pytest.mark.parametrize(
    ("image", "fix"),
    [
        (
            f"{OVMF}/OVMF_CODE_4M.fd",
            f'write {{ file = "{OVMF}/OVMF_CODE_4M.fd", read_only = true }}',
        ),
        (f"{OVMF}/OVMF_VARS_4M.fd", "copy it to this VM's own file and name that"),
    ],
)
def test_shared_firmware_is_never_attached_writable(image: str, fix: str) -> None:
    """A plain pflash path that is a descriptor's code or template: every VM would
    write into the one file (govmm's list did exactly that)."""
    ((path, message),) = problems({"pflash": [image]})
    assert path == "pflash[0]"
    assert fix in message and "shared firmware" in message


def test_the_script_creates_the_variable_store_once_owned_by_the_qemu_user() -> None:
    raw = {"firmware": UEFI, "run_as": {"user": "qemu", "group": "kvm"}}
    launch = plan(vm(raw))
    script = to_sh(launch, "web.toml")
    assert (
        "set -eu\n"
        "if [ ! -e /vm/web.vars.fd ]; then\n"
        f"    cp -- {OVMF}/OVMF_VARS_4M.fd /vm/web.vars.fd.genqemu-new\n"
        "    chown -- qemu:kvm /vm/web.vars.fd.genqemu-new\n"
        "    mv -- /vm/web.vars.fd.genqemu-new /vm/web.vars.fd\n"
        "fi\n"
        "exec setpriv"
    ) in script
    assert json.loads(to_json(launch))["copies"] == [
        {"template": f"{OVMF}/OVMF_VARS_4M.fd", "path": "/vm/web.vars.fd", "owner": "qemu:kvm"}
    ]
    assert dry_run_text(launch).startswith("if [ ! -e /vm/web.vars.fd ]; then\n")


def test_copy_templates_creates_a_missing_store_and_keeps_an_existing_one(tmp_path: Path) -> None:
    template = tmp_path / "template.fd"
    template.write_bytes(b"template")
    store = tmp_path / "vm.vars.fd"
    launch = plan(
        vm(
            {
                "firmware": {
                    "type": "custom",
                    "code": "/c",
                    "vars_template": str(template),
                    "vars": str(store),
                }
            }
        )
    )
    copy_templates(launch)
    assert store.read_bytes() == b"template"
    store.write_bytes(b"the guest's variables")
    copy_templates(launch)
    assert store.read_bytes() == b"the guest's variables"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["template.fd", "vm.vars.fd"]


def test_explain_names_the_descriptor_and_what_it_adds() -> None:
    v = vm({"firmware": {**UEFI, "secure_boot": True}})
    text = explain(v, plan(v), "web.toml")
    assert f"descriptor 40-edk2-x86_64-secure-enrolled.json in {FIRMWARE_DIR}" in text
    assert "requires-smm adds: smm=on, -global cfi.pflash01.secure=on" in text
    assert f"flash unit 0 read-only (raw) {OVMF}/OVMF_CODE_4M.ms.fd" in text
    assert f"/vm/web.vars.fd: created from {OVMF}/OVMF_VARS_4M.ms.fd when missing" in text
    assert "smm     on     firmware 40-edk2-x86_64-secure-enrolled.json: requires-smm" in text


def test_firmware_dir_replaces_the_hosts_descriptors(tmp_path: Path) -> None:
    """--firmware-dir: another host's descriptors, not mixed with this host's."""
    mine = json.loads((FIRMWARE_DIR / "60-edk2-x86_64.json").read_text())
    mine["mapping"]["executable"]["filename"] = "/opt/fw/CODE.fd"
    (tmp_path / "60-edk2-x86_64.json").write_text(json.dumps(mine))
    config = tmp_path / "web.toml"
    config.write_text('[firmware]\ntype = "uefi"\n')
    result = CliRunner().invoke(
        app, ["-a", "amd64", "-f", "args", "--firmware-dir", str(tmp_path), str(config)]
    )
    assert result.exit_code == 0, result.stderr
    assert (
        "if=pflash,format=raw,unit=0,file.driver=file,file.filename=/opt/fw/CODE.fd,readonly=on"
        in result.stdout.splitlines()
    )


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder an unprivileged user can enter (pytest's tmp_path is root's 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="gq-fw-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


@pytest.mark.qemu
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop privileges to nobody")
def test_run_as_starts_unprivileged_qemu_on_root_owned_firmware(open_folder: Path) -> None:
    """The launch script as root: it creates the variable store owned by nobody,
    then QEMU runs as nobody with the root-owned OVMF code (read-only) and starts."""
    nobody = pwd.getpwnam("nobody")
    code = Path(f"{OVMF}/OVMF_CODE_4M.fd")
    assert code.stat().st_uid == 0 and not code.stat().st_mode & 0o002
    store = open_folder / "vm.vars.fd"
    raw = {
        "firmware": {"type": "uefi", "vars": str(store)},
        "machine": {"accel": "tcg"},
        "run_as": {"user": nobody.pw_uid, "group": nobody.pw_gid},
        "stopped": True,
    }
    launch = plan(build(raw, "amd64", str(open_folder / "vm.toml"), TEST_SETTINGS))
    script = open_folder / "vm.sh"
    script.write_text(to_sh(launch, "vm.toml"))
    qemu_binary(launch.binary)
    process = subprocess.Popen(
        ["sh", str(script), "-display", "none"], stderr=subprocess.PIPE, text=True
    )
    try:
        time.sleep(3)
        assert process.poll() is None, process.communicate()[1]
        status = Path(f"/proc/{process.pid}/status").read_text()
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        assert uid_line.split()[1:] == [str(nobody.pw_uid)] * 4
    finally:
        process.kill()
        process.wait()
    assert (store.stat().st_uid, store.stat().st_gid) == (nobody.pw_uid, nobody.pw_gid)


def test_an_arch_without_firmware_here_says_how_to_get_some() -> None:
    """riscv64: Debian 12 has no UEFI for it; the profile says where there is one."""
    messages = [message for _, message in problems({"firmware": UEFI}, "riscv64")]
    assert "(none is for riscv64; 6 for other arches)" in messages
    assert any(m.startswith("hint: on Debian 13, apt install qemu-efi-riscv64") for m in messages)


def test_the_copy_survives_hostile_file_names(tmp_path: Path) -> None:
    """Names with a leading '-', quotes, spaces and $(...): the script's cp, mv
    and test read them as names, never as options or commands."""
    template = "-t '$(touch pwned)' x.fd"
    target = "-v; touch pwned2 .fd"
    (tmp_path / template).write_bytes(b"template")
    raw = {"firmware": {"type": "custom", "code": "/c", "vars_template": template, "vars": target}}
    launch = plan(vm(raw))
    commands = "\n".join(to_sh(launch, "x").splitlines()[3:-1]).rpartition("\nexec ")[0]
    result = subprocess.run(["sh", "-eu", "-c", commands], cwd=tmp_path, capture_output=True)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([template, target])
    assert (tmp_path / target).read_bytes() == b"template"
