"""The [tpm] table: the machine's TPM model, its backends, and the swtpm the
launch starts; and a tap that the launch puts on a host bridge."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import short_tmp  # noqa: F401  (fixture)

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.explain import explain
from genqemu.launch import plan
from genqemu.output import to_json, to_sh
from genqemu.run import dry_run_text

EMULATOR = {"backend": "emulator", "state": "/var/lib/vm/tpm"}


def options(raw: dict[str, Any], arch: str) -> list[tuple[str, ...]]:
    return [tuple(o) for o in plan(build(raw, arch)).options]


def problems(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


@pytest.mark.parametrize(
    ("arch", "machine", "driver"),
    [
        ("amd64", "q35", "tpm-crb"),
        ("amd64", "pc", "tpm-tis"),
        ("arm64", "virt", "tpm-tis-device"),
        ("ppc64le", "pseries", "tpm-spapr"),
        ("riscv64", "virt", "tpm-tis-device"),
    ],
)
def test_the_model_is_the_machines(arch: str, machine: str, driver: str) -> None:
    found = options({"machine": {"type": machine}, "tpm": EMULATOR}, arch)
    assert found[-3:] == [
        ("-chardev", "socket,id=chr-tpm0,path=/var/lib/vm/tpm/swtpm.sock"),
        ("-tpmdev", "emulator,id=tpmdev-tpm0,chardev=chr-tpm0"),
        ("-device", f"{driver},id=tpm0,tpmdev=tpmdev-tpm0"),
    ]


@pytest.mark.parametrize(("arch", "machine"), [("s390x", "s390-ccw-virtio"), ("amd64", "microvm")])
def test_a_machine_without_a_tpm_refuses_it(arch: str, machine: str) -> None:
    ((path, message),) = problems({"machine": {"type": machine}, "tpm": EMULATOR}, arch)
    assert path == "tpm"
    assert message.startswith(f"machine {machine} on {arch} has no TPM device in QEMU")


def test_an_emulator_needs_state_or_socket_and_swtpm_paths_have_no_comma() -> None:
    assert problems({"tpm": {"backend": "emulator"}}) == [
        ("tpm", "set state (the launch starts swtpm) or socket (a swtpm you start yourself)")
    ]
    ((path, message),) = problems({"tpm": {"backend": "emulator", "state": "/a,b"}})
    assert path == "tpm.state" and "swtpm splits its options at commas" in message
    ((path, message),) = problems({"tpm": {"backend": "emulator", "state": "/" + "s" * 100}})
    assert path == "tpm.state" and "longer than the 107 bytes" in message


def test_the_tpm_id_and_its_backend_ids_are_claimed() -> None:
    raw = {"tpm": EMULATOR, "chardev": [{"id": "chr-tpm0", "backend": "null"}]}
    ((path, message),) = problems(raw)
    assert path == "tpm.id" and "'chr-tpm0' is already used by chardev[0]" in message


def test_an_emulator_the_user_runs_starts_nothing() -> None:
    vm = build({"tpm": {"backend": "emulator", "socket": "/run/swtpm.sock"}}, "amd64")
    launch = plan(vm)
    assert launch.prestart == []
    assert ("-chardev", "socket,id=chr-tpm0,path=/run/swtpm.sock") in launch.options


def test_passthrough_names_the_host_device() -> None:
    raw = {"tpm": {"backend": "passthrough", "cancel_path": "/sys/x,y/cancel"}}
    found = options(raw, "amd64")
    assert (
        "-tpmdev",
        "passthrough,id=tpmdev-tpm0,path=/dev/tpm0,cancel-path=/sys/x,,y/cancel",
    ) in found
    assert plan(build(raw, "amd64")).prestart == []


@pytest.mark.qemu
def test_qemu_parses_the_passthrough_options() -> None:
    """No host TPM here: QEMU takes both options and stops at the device check."""
    raw = {"tpm": {"backend": "passthrough", "path": "/dev/null", "cancel_path": "/dev/null"}}
    done = subprocess.run(
        ["qemu-system-x86_64", "-S", "-display", "none", *plan(build(raw, "amd64")).argv[1:]],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "'/dev/null' is not a TPM device" in done.stderr, done.stderr


def test_the_state_folder_makes_the_launch_start_swtpm_everywhere() -> None:
    raw = {"tpm": EMULATOR, "run_as": {"user": "qemu", "group": "kvm"}}
    launch = plan(build(raw, "amd64"))
    swtpm = (
        "setpriv --reuid=qemu --regid=kvm --clear-groups -- swtpm socket --tpm2 "
        "--tpmstate dir=/var/lib/vm/tpm --ctrl type=unixio,path=/var/lib/vm/tpm/swtpm.sock "
        "--terminate --daemon --pid file=/var/lib/vm/tpm/swtpm.pid"
    )
    script = to_sh(launch, "vm.toml")
    assert "mkdir -p -- /var/lib/vm/tpm\nchown -- qemu:kvm /var/lib/vm/tpm\n" in script
    assert swtpm in script
    assert "while [ ! -S /var/lib/vm/tpm/swtpm.sock ]; do" in script
    assert script.index(swtpm) < script.index("exec setpriv")
    assert swtpm in dry_run_text(launch)
    steps = json.loads(to_json(launch))["prestart"]
    assert " ".join(steps[3]["argv"]) == swtpm
    assert steps[4] == {
        "why": "tpm.socket: wait for swtpm",
        "argv": [],
        "unless_exists": None,
        "wait_for_socket": "/var/lib/vm/tpm/swtpm.sock",
        "timeout_seconds": 10.0,
    }
    told = explain(build(raw, "amd64"), launch, "vm.toml")
    assert "tpm0: tpm-crb (profile: machine q35), backend emulator at" in told
    assert "  tpm: start swtpm (it ends when QEMU disconnects)\n    " + swtpm in told


def test_the_socket_and_pid_file_sit_in_the_state_folder_as_written() -> None:
    """STATE/swtpm.sock and STATE/swtpm.pid, STATE as written: a trailing '/' is
    kept (a doubled '/' names the same file) so that both are built one way."""
    raw = {"tpm": {"backend": "emulator", "state": "/var/lib/vm/tpm/"}}
    [swtpm] = [s.argv for s in plan(build(raw, "amd64")).prestart if "swtpm" in s.argv]
    assert "type=unixio,path=/var/lib/vm/tpm//swtpm.sock" in swtpm
    assert "file=/var/lib/vm/tpm//swtpm.pid" in swtpm


def _pid_ended(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def swtpm_state(short_tmp: Path) -> Iterator[Path]:  # noqa: F811
    """A state folder; a swtpm left running on it is ended afterwards."""
    if shutil.which("swtpm") is None:
        pytest.fail("swtpm is not installed (Debian: apt install swtpm swtpm-tools)")
    state = short_tmp / "tpm"
    yield state
    pid_file = state / "swtpm.pid"
    if pid_file.exists() and not _pid_ended(pid_file):
        os.kill(int(pid_file.read_text()), signal.SIGTERM)


@pytest.mark.qemu
def test_the_script_starts_swtpm_and_qemu_ends_it(swtpm_state: Path) -> None:
    """The real script, the real swtpm, the real QEMU (paused, told to quit over QMP)."""
    raw = {"tpm": {"backend": "emulator", "state": str(swtpm_state)}}
    script = swtpm_state.parent / "vm.sh"
    script.write_text(to_sh(plan(build(raw, "amd64")), "vm.toml"))
    quit_ = '{"execute": "qmp_capabilities"}\n{"execute": "quit"}\n'
    done = subprocess.run(
        ["sh", str(script), "-S", "-display", "none", "-qmp", "stdio"],
        input=quit_,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert '"return": {}' in done.stdout  # QEMU started: it refuses a socket nobody serves
    # swtpm removes its pid file when it ends: QEMU's disconnect ended it.
    pid_file = swtpm_state / "swtpm.pid"
    for _ in range(50):
        if not pid_file.exists():
            break
        subprocess.run(["sleep", "0.1"], check=True)
    assert not pid_file.exists(), "swtpm outlived QEMU"


def test_genqemu_run_starts_swtpm_before_qemu(swtpm_state: Path, tmp_path: Path) -> None:
    """`genqemu run` with a fake QEMU that reports whether the socket is there."""
    config = tmp_path / "vm.toml"
    config.write_text(f'[tpm]\nbackend = "emulator"\nstate = "{swtpm_state}"\n')
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "qemu-system-x86_64"
    fake.write_text(f'#!/bin/sh\n[ -S "{swtpm_state}/swtpm.sock" ] && echo socket-ready\n')
    fake.chmod(0o755)
    done = subprocess.run(
        [sys.executable, "-m", "genqemu", "run", "--arch", "amd64", str(config)],
        env={**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.stdout == "socket-ready\n", done.stderr


def tap(**netdev: Any) -> dict[str, Any]:
    return {"device": [{"kind": "virtio-net", "netdev": {"type": "tap", **netdev}}]}


def test_a_tap_on_a_bridge_is_created_and_attached_before_qemu() -> None:
    raw = {**tap(ifname="tap7", bridge="br0", queues=2), "run_as": {"user": 107, "group": 107}}
    launch = plan(build(raw, "amd64"))
    script = to_sh(launch, "vm.toml")
    assert (
        "[ -e /sys/class/net/tap7 ] || ip tuntap add dev tap7 mode tap multi_queue "
        "user 107 group 107\nip link set dev tap7 master br0\nip link set dev tap7 up\n"
    ) in script
    # QEMU is not told about the bridge: the tap is already on it.
    assert ("-netdev", "tap,id=netdev-net0,ifname=tap7,script=no,downscript=no,queues=2") in [
        tuple(o) for o in launch.options
    ]


def test_a_bridge_needs_the_taps_name() -> None:
    assert problems(tap(bridge="br0")) == [
        (
            "device[0].netdev.ifname",
            "required with bridge: the launch puts the tap on the bridge by its name "
            "before QEMU opens it; set ifname (e.g. 'tap0')",
        )
    ]


def test_a_passed_tap_has_no_bridge() -> None:
    """A macvtap's descriptor is opened by the script, not created: no bridge key."""
    netdev = {"type": "macvtap", "device": "/dev/tap3", "bridge": "br0"}
    raw = {"device": [{"kind": "virtio-net", "netdev": netdev}]}
    ((path, message),) = problems(raw)
    assert path == "device[0].netdev.bridge" and message.startswith("unknown key")


def _can_unshare_net() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    done = subprocess.run(["unshare", "--net", "--mount", "true"], capture_output=True, check=False)
    return done.returncode == 0


@pytest.mark.skipif(not _can_unshare_net(), reason="needs root and unshare -n")
def test_the_script_puts_the_tap_on_a_real_bridge(tmp_path: Path) -> None:
    """In a network namespace of its own (the host's network is untouched): a
    bridge, then the script, with a fake QEMU that reads the tap's master and flags."""
    fake = tmp_path / "qemu"
    fake.write_text(
        "#!/bin/sh\nreadlink /sys/class/net/gqtap0/master\ncat /sys/class/net/gqtap0/flags\n"
    )
    fake.chmod(0o755)
    raw = {**tap(ifname="gqtap0", bridge="gqbr0"), "binary": str(fake)}
    script = tmp_path / "vm.sh"
    script.write_text(to_sh(plan(build(raw, "amd64")), "vm.toml"))
    done = subprocess.run(
        # A mount namespace too, for a /sys that shows the new network namespace.
        [
            "unshare",
            "--net",
            "--mount",
            "sh",
            "-c",
            f"mount -t sysfs sysfs /sys && ip link add gqbr0 type bridge && sh {script}",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    master, flags = done.stdout.split()
    assert master.endswith("/gqbr0"), (done.stdout, done.stderr)
    assert int(flags, 16) & 1, "the tap is not up"  # IFF_UP


@pytest.mark.parametrize(
    "tpm",
    [
        {"backend": "emulator", "socket": "/run/swtpm.sock"},
        {"backend": "passthrough", "path": "/dev/tpm1", "cancel_path": "/sys/c"},
    ],
)
@pytest.mark.parametrize(("arch", "machine"), [("amd64", "pc"), ("ppc64le", "pseries")])
def test_import_types_the_tpm(tpm: dict[str, Any], arch: str, machine: str) -> None:
    """`genqemu import` gives back the [tpm] table (with its socket: the state
    folder is the script's, not QEMU's), not extra_args."""
    from genqemu.importer import import_text
    from genqemu.output import to_args

    raw = {"machine": {"type": machine}, "tpm": tpm}
    result = import_text(to_args(plan(build(raw, arch))), arch)
    assert result.config["tpm"] == tpm
    assert "extra_args" not in result.config


def test_import_leaves_a_tpm_of_another_model_as_written() -> None:
    from genqemu.importer import import_text

    text = (
        "qemu-system-x86_64 -machine q35 -tpmdev passthrough,id=tpmdev-tpm0,path=/dev/tpm0 "
        "-device tpm-tis,id=tpm0,tpmdev=tpmdev-tpm0"
    )
    result = import_text(text, "amd64")
    assert "tpm" not in result.config
    assert result.config["extra_args"][-2:] == ["-device", "tpm-tis,id=tpm0,tpmdev=tpmdev-tpm0"]


def test_every_arch_with_a_tpm_has_an_example_with_one() -> None:
    """As every device kind appears in an example for every arch where it exists."""
    from conftest import ARCHES, EXAMPLE_CASES, example_path

    from genqemu.profiles import load_profile
    from genqemu.tomlfile import read_toml

    with_tpm = {
        arch
        for example, arch in (c.values for c in EXAMPLE_CASES)
        if "tpm" in read_toml(example_path(str(example)))
    }
    having = {a for a in ARCHES if any(m.tpm for m in load_profile(a).machines.values())}
    assert having == {"amd64", "arm64", "ppc64le", "riscv64"}
    assert with_tpm == having
