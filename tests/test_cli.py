"""The command line: arguments, formats, atomic output and error reporting."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, example_path
from typer.testing import CliRunner, Result

from genqemu import __version__
from genqemu.cli import app

MINIMAL = str(example_path("minimal"))


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_s390x_script_uses_ccw_devices_with_devnos() -> None:
    result = run("--arch", "s390x", MINIMAL)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "#!/bin/sh"
    assert "set -eu" in lines
    assert "exec qemu-system-s390x \\" in lines
    devices = [line.split()[1] for line in lines if line.strip().startswith("-device")]
    virtio = [d for d in devices if d.startswith("virtio-")]
    assert virtio and all(d.split(",")[0].endswith("-ccw") for d in virtio)
    assert [d.split("devno=")[1] for d in virtio] == ["fe.0.0001", "fe.0.0002", "fe.0.0003"]
    assert lines[-1] == '    "$@"'


@pytest.mark.parametrize(
    ("arch", "binary", "machine", "suffix"),
    [
        ("amd64", "qemu-system-x86_64", "q35", "-pci"),
        ("ppc64le", "qemu-system-ppc64", "pseries", "-pci"),
        ("arm64", "qemu-system-aarch64", "virt", "-pci"),
        ("s390x", "qemu-system-s390x", "s390-ccw-virtio", "-ccw"),
    ],
)
def test_each_arch_has_its_binary_machine_and_transport(
    arch: str, binary: str, machine: str, suffix: str
) -> None:
    argv = json.loads(run("--arch", arch, "--format", "json", MINIMAL).stdout)["argv"]
    assert argv[0] == binary
    assert argv[argv.index("-machine") + 1].split(",")[0] == machine
    drivers = [argv[i + 1].split(",")[0] for i, a in enumerate(argv) if a == "-device"]
    assert all(d.endswith(suffix) for d in drivers if d.startswith("virtio-"))


def test_microvm_gives_mmio_devices(tmp_path: Path) -> None:
    config = tmp_path / "micro.toml"
    config.write_text(
        example_path("minimal")
        .read_text()
        .replace('accel = "tcg"', 'accel = "tcg"\ntype = "microvm"')
    )
    argv = json.loads(run("--arch", "amd64", "-f", "json", str(config)).stdout)["argv"]
    drivers = [argv[i + 1].split(",")[0] for i, a in enumerate(argv) if a == "-device"]
    assert drivers == [
        "virtio-blk-device",
        "virtio-net-device",
        "virtio-serial-device",
        "virtconsole",
    ]


@pytest.mark.parametrize(
    ("alias", "arch"),
    [("x86_64", "amd64"), ("aarch64", "arm64"), ("ppc64", "ppc64le"), ("s390", "s390x")],
)
def test_aliases_give_the_same_script(alias: str, arch: str) -> None:
    assert run("--arch", alias, MINIMAL).stdout == run("--arch", arch, MINIMAL).stdout


def test_default_arch_is_the_hosts() -> None:
    host = {"x86_64": "amd64", "aarch64": "arm64", "s390x": "s390x", "ppc64le": "ppc64le"}[
        os.uname().machine
    ]
    assert run(MINIMAL).stdout == run("--arch", host, MINIMAL).stdout


def test_unknown_arch_lists_the_valid_ones() -> None:
    result = run("--arch", "mips", MINIMAL)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "genqemu: unknown architecture 'mips'; valid: amd64 (or x86-64, x86_64), "
        "arm64 (or aarch64), ppc64le (or powerpc64le, ppc64), "
    )
    assert "s390x (or s390)" in result.stderr


def test_json_format() -> None:
    document = json.loads(run("--arch", "arm64", "--format", "json", MINIMAL).stdout)
    assert set(document) == {"arch", "binary", "argv", "fds", "copies", "prefix", "prestart"}
    assert document["arch"] == "arm64"
    assert document["argv"][0] == document["binary"] == "qemu-system-aarch64"
    assert document["fds"] == []
    assert document["prefix"] == []


def test_args_format_is_the_json_argv_one_per_line() -> None:
    lines = run("--arch", "s390x", "--format", "args", MINIMAL).stdout.splitlines()
    assert lines == json.loads(run("--arch", "s390x", "-f", "json", MINIMAL).stdout)["argv"]


def test_script_runs_exactly_the_json_argv(tmp_path: Path) -> None:
    """sh executes the argv JSON shows, with "$@" appended."""
    fake = tmp_path / "qemu-system-s390x"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    fake.chmod(0o755)
    script = tmp_path / "vm.sh"
    assert run("--arch", "s390x", "-o", str(script), MINIMAL).exit_code == 0
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    out = subprocess.run(
        ["sh", str(script), "-S", "x y"], env=env, capture_output=True, text=True, check=True
    ).stdout
    expected = json.loads(run("--arch", "s390x", "-f", "json", MINIMAL).stdout)["argv"]
    assert json.loads(out) == [*expected[1:], "-S", "x y"]


def test_output_file_is_written_atomically_with_mode_0755(tmp_path: Path) -> None:
    target = tmp_path / "vm.sh"
    assert run("--arch", "s390x", "-o", str(target), MINIMAL).exit_code == 0
    assert target.read_text() == run("--arch", "s390x", MINIMAL).stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vm.sh"]


def test_json_output_file_is_not_executable(tmp_path: Path) -> None:
    target = tmp_path / "vm.json"
    assert run("-a", "s390x", "-f", "json", "-o", str(target), MINIMAL).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_bad_config_leaves_the_existing_output_untouched(tmp_path: Path) -> None:
    target = tmp_path / "vm.sh"
    target.write_text("precious\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("[smp]\ncpus = 0\n")
    result = run("--arch", "s390x", "-o", str(target), str(bad))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert target.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "vm.sh"]


def test_output_into_a_missing_directory(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "vm.sh"
    result = run("--arch", "s390x", "-o", str(target), MINIMAL)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"{target}: cannot write: directory '{target.parent}' does not exist\n"


def test_version_and_help() -> None:
    assert run("--version").stdout == f"genqemu {__version__}\n"
    help_text = run("--help").stdout
    for option in ("--arch", "--format", "--output", "CONFIG"):
        assert option in help_text


def test_console_script_and_module_run_from_another_directory(tmp_path: Path) -> None:
    bindir = Path(sys.executable).parent
    for command in ([str(bindir / "genqemu")], [sys.executable, "-m", "genqemu"]):
        result = subprocess.run(
            [*command, "--arch", "s390x", MINIMAL],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "virtio-blk-ccw" in result.stdout


# Invalid configs: each gives exactly these messages on stderr, exit status 2,
# nothing on stdout and no traceback.
INVALID = {
    "toml-syntax": (
        'name = "a"\nmemory = { size = }\n',
        ["line 2, column 19: invalid TOML: Invalid value"],
    ),
    "unknown-key": ('nme = "vm"\n', ["nme: unknown key; did you mean 'name'?"]),
    "vsock-cid": (
        '[[device]]\nkind = "vhost-vsock"\nguest_cid = 2\n',
        [
            "device[0].guest_cid: must be >= 3, got 2 (0-2 are reserved and "
            "4294967295 is VMADDR_CID_ANY)"
        ],
    ),
    "maxcpus": ("[smp]\ncpus = 4\nmaxcpus = 2\n", ["smp.maxcpus: must be >= cpus (4), got 2"]),
    "topology": (
        "[smp]\ncpus = 4\nsockets = 1\ncores = 2\nthreads = 1\n",
        ["smp: sockets * cores * threads = 2 must equal cpus (4): change one of them"],
    ),
    "wrong-type": (
        "[memory]\nsize = true\n",
        ['memory.size: must be size (bytes, or a string such as "512M", "2G"), got true'],
    ),
    "bad-size": (
        '[memory]\nsize = "2 gigs"\n',
        [
            "memory.size: '2 gigs' is not a size: write a number with an optional "
            'suffix K, M, G, T (powers of 1024), e.g. "512M" or "2G"'
        ],
    ),
    "duplicate-id": (
        '[[device]]\nkind = "virtio-balloon"\nid = "x"\n'
        '[[device]]\nkind = "virtio-rng"\nid = "x"\n',
        ["device[1].id: id 'x' is already used by device[0]; ids must be unique: rename one"],
    ),
    "dangling-chardev": (
        '[[chardev]]\nid = "con0"\nbackend = "pty"\n'
        '[[device]]\nkind = "serial"\nchardev = "con1"\n',
        ["device[0].chardev: no chardev has id 'con1'; did you mean 'con0'?"],
    ),
    "unknown-kind": (
        '[[device]]\nkind = "virtio-blok"\n',
        ["device[0].kind: unknown kind 'virtio-blok'; did you mean 'virtio-blk'?"],
    ),
    "newline": (
        '[kernel]\npath = "/k"\nappend = "a\\nb"\n',
        [
            "kernel.append: contains a newline at offset 1; QEMU options and shell "
            "lines cannot carry it: remove it"
        ],
    ),
    "nul": (
        'name = "a\\u0000b"\n',
        [
            "name: contains a NUL at offset 1; QEMU options and shell lines cannot "
            "carry it: remove it"
        ],
    ),
    "devno-on-pci": (
        '[[device]]\nkind = "virtio-rng"\ndevno = "fe.0.0001"\n',
        [
            "device[0].devno: only applies on the ccw transport, and this "
            "virtio-rng uses pci on amd64: remove it"
        ],
    ),
    "mmio-on-q35": (
        '[[device]]\nkind = "virtio-rng"\ntransport = "mmio"\n',
        [
            "device[0].transport: virtio-rng has no 'mmio' transport on amd64 "
            "machine q35; use one of: pci"
        ],
    ),
    "aio-native": (
        '[[device]]\nkind = "virtio-blk"\nfile = "/d.img"\naio = "native"\n',
        ['device[0].aio: \'native\' needs cache = "none" or "directsync" (O_DIRECT): set cache'],
    ),
    "mount-tag": (
        '[[device]]\nkind = "virtio-9p"\npath = "/srv"\nsecurity_model = "none"\n'
        f'mount_tag = "{"t" * 32}"\n',
        ["device[0].mount_tag: must be at most 31 bytes, got 32"],
    ),
    "chardev-twice": (
        '[[chardev]]\nid = "c"\nbackend = "null"\n'
        '[[device]]\nkind = "serial"\nchardev = "c"\n'
        '[[device]]\nkind = "serial"\nchardev = "c"\n',
        [
            "device[1].chardev: chardev 'c' is already used by device[0]; a "
            "chardev carries one device or monitor: add another [[chardev]], or set "
            "mux = true on it to share it"
        ],
    ),
    "no-controller": (
        '[[chardev]]\nid = "c"\nbackend = "null"\n'
        '[[device]]\nkind = "virtconsole"\nchardev = "c"\n',
        [
            "device[0].bus: virtconsole needs a virtio-serial: add a [[device]] "
            "with kind = 'virtio-serial'"
        ],
    ),
    "machine": (
        '[machine]\ntype = "q53"\n',
        ["machine.type: 'q53' is not a machine genqemu knows on amd64; did you mean 'q35'?"],
    ),
    "mac": (
        '[[device]]\nkind = "virtio-net"\nmac = "53:54:00:12:34:56"\nnetdev = { type = "user" }\n',
        [
            "device[0].mac: '53:54:00:12:34:56' is not valid: write six hex octets like "
            "'52:54:00:12:34:56'; the first must be even (unicast)"
        ],
    ),
    "bad-id": (
        '[[device]]\nkind = "virtio-balloon"\nid = "a,b"\n',
        [
            "device[0].id: 'a,b' is not valid: an id starts with a letter and holds "
            "only letters, digits, '-', '.' and '_'"
        ],
    ),
    "several-problems": (
        'nme = 1\n[memory]\nsize = "1K"\n',
        [
            "nme: unknown key; did you mean 'name'?",
            "memory.size: must be at least 1M, got string '1K'",
        ],
    ),
    "misplaced-key": (
        '[kernel]\npath = "/k"\nname = "vm"\n',
        [
            "kernel.name: unknown key; 'name' is a top-level key: move it above the "
            "first table header such as [kernel] (in TOML, keys after a header belong to "
            "that table)"
        ],
    ),
    "misplaced-in-array": (
        '[[device]]\nkind = "virtio-rng"\nextra_args = ["-S"]\n',
        [
            "device[0].extra_args: unknown key; 'extra_args' is a top-level key: move it "
            "above the first table header such as [[device]] (in TOML, keys after a header "
            "belong to that table)"
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_config(case: str, tmp_path: Path) -> None:
    text, messages = INVALID[case]
    config = tmp_path / f"{case}.toml"
    config.write_text(text)
    result = run("--arch", "amd64", str(config))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "".join(f"{config}: {message}\n" for message in messages)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "absent.toml", "no such file"),
        (lambda p: p, "is a directory, not a TOML file"),
    ],
)
def test_unreadable_config_path(make: object, message: str, tmp_path: Path) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    result = run("--arch", "amd64", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"{path}: {message}\n"


def test_examples_exist_and_run_from_the_repo() -> None:
    assert (REPO / "examples" / "minimal.toml").is_file()
    assert (REPO / "examples" / "full.toml").is_file()
