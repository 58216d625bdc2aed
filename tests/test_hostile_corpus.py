"""The hostile corpus: inputs that must each end in one clear message and exit 2.

Static cases are the TOML files in tests/hostile/ (a line `# arch: ARCH`
picks the arch; default amd64). Generated cases, below, are made at test
time: big or binary files and file-system traps are not committed. For every
case: exit status 2, nothing on stdout, no traceback, an existing output file
untouched and no file left behind. The message is snapshotted, one .txt per
case in tests/__snapshots__/test_hostile_corpus/.

Root: these tests run as root in CI, and root reads a mode-000 file and
writes into a mode-555 directory, because it has CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH. Cases that need permissions to count run genqemu in a
subprocess that drops those two capabilities from its bounding set before
exec (prctl PR_CAPBSET_DROP): still uid 0, so it can run the interpreter
wherever it lives (here under /root, which nobody cannot enter), but mode
bits now stop it. Switching to nobody would not work for that reason. A
user who is not root needs nothing. Root with all its capabilities is
stopped by an immutable directory (chattr +i, where the file system has it),
by /proc (no new files) and by /sys (EACCES even for root).
"""

from __future__ import annotations

import ctypes
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO, example_path, qemu_binary
from support.qemuopts import read_option
from support.qmp import QemuFailed, paused_qemu
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from genqemu.build import build
from genqemu.cli import app
from genqemu.errors import ConfigError
from genqemu.render import render

HOSTILE = Path(__file__).parent / "hostile"
STATIC = sorted(path.stem for path in HOSTILE.glob("*.toml"))
PRECIOUS = "precious\n"


@dataclass
class Case:
    """A command line to run in a scratch directory, and how to run it."""

    args: list[str]
    as_nobody: bool = False  # needs a process that file modes stop (see above)
    subprocess: bool = False  # run as a real process (stdout/stderr encodings)
    writes: bool = False  # the case sets -o itself
    cleanup: list[Callable[[], None]] = field(default_factory=list)


def arch_of(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("# arch: "):
            return line.removeprefix("# arch: ").strip()
    return "amd64"


# --- generated cases: each makes its files in `tmp` (the working directory) ---


def _config(tmp: Path, name: str, data: bytes, arch: str = "amd64") -> Case:
    (tmp / name).write_bytes(data)
    return Case(["--arch", arch, name])


def _valid(tmp: Path) -> Path:
    config = tmp / "vm.toml"
    shutil.copy(example_path("minimal"), config)
    return config


def _output(target: str) -> Callable[[Path], Case]:
    def make(tmp: Path) -> Case:
        _valid(tmp)
        return Case(["--arch", "amd64", "-o", target, "vm.toml"], writes=True)

    return make


def empty_file(tmp: Path) -> Case:
    return _config(tmp, "empty.toml", b"")


def comments_only(tmp: Path) -> Case:
    return _config(tmp, "comments.toml", b"# a VM, some day\n\n   \n")


def binary_garbage(tmp: Path) -> Case:
    data = bytes(random.Random(7).randrange(256) for _ in range(4096))
    return _config(tmp, "garbage.toml", data)


def not_utf8_on_line_2(tmp: Path) -> Case:
    return _config(tmp, "latin1.toml", b'name = "vm"\n# caf\xe9\nuuid = "x"\n')


def ten_megabytes_of_junk(tmp: Path) -> Case:
    return _config(tmp, "junk.toml", b"x" * (10 << 20))


def ten_megabyte_string_with_nul(tmp: Path) -> Case:
    return _config(tmp, "long.toml", b'name = "' + b"a" * (10 << 20) + b'\\u0000"\n')


def hundred_thousand_devices(tmp: Path) -> Case:
    """More virtio devices than CCW device numbers: finishes, with one message."""
    data = b'[[device]]\nkind = "virtio-rng"\n' * 100_000
    return _config(tmp, "many.toml", data, arch="s390x")


def dangling_among_hundreds(tmp: Path) -> Case:
    """Past 100 candidates, no difflib run and no list of them all."""
    chardevs = "".join(f'[[chardev]]\nid = "c{n}"\nbackend = "null"\n' for n in range(300))
    device = '[[device]]\nkind = "serial"\nchardev = "c300"\n'
    return _config(tmp, "refs.toml", (chardevs + device).encode())


def missing_path(tmp: Path) -> Case:
    return Case(["--arch", "amd64", "absent.toml"])


def directory(tmp: Path) -> Case:
    (tmp / "adir.toml").mkdir()
    return Case(["--arch", "amd64", "adir.toml"])


def unreadable(tmp: Path) -> Case:
    config = _valid(tmp)
    config.chmod(0)
    return Case(["--arch", "amd64", "vm.toml"], as_nobody=True)


def broken_symlink(tmp: Path) -> Case:
    (tmp / "link.toml").symlink_to("nowhere.toml")
    return Case(["--arch", "amd64", "link.toml"])


def symlink_loop(tmp: Path) -> Case:
    (tmp / "a.toml").symlink_to("b.toml")
    (tmp / "b.toml").symlink_to("a.toml")
    return Case(["--arch", "amd64", "a.toml"])


def path_through_a_file(tmp: Path) -> Case:
    _valid(tmp)
    return Case(["--arch", "amd64", "vm.toml/inner.toml"])


def not_utf8_file_name(tmp: Path) -> Case:
    (tmp / os.fsdecode(b"\xff.toml")).write_text("nme = 1\n")
    return Case(["--arch", "amd64", os.fsdecode(b"\xff.toml")], subprocess=True)


def output_missing_directory(tmp: Path) -> Case:
    return _output("missing/vm.sh")(tmp)


def output_read_only_directory(tmp: Path) -> Case:
    (tmp / "ro").mkdir()
    (tmp / "ro").chmod(0o555)
    case = _output("ro/vm.sh")(tmp)
    case.as_nobody = True
    return case


def output_immutable_directory(tmp: Path) -> Case:
    """Root is refused only by the file system: chattr +i (ext4, xfs, btrfs, tmpfs 6.0+)."""
    if os.geteuid() != 0:
        pytest.skip("chattr +i needs root; the read-only case covers other users")
    locked = tmp / "locked"
    locked.mkdir()
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode:
        pytest.skip(f"chattr +i is not supported on {tmp}")
    case = _output("locked/vm.sh")(tmp)
    case.cleanup.append(lambda: _unlock(locked))
    return case


def _unlock(path: Path) -> None:
    subprocess.run(["chattr", "-i", str(path)], check=True)


def output_is_a_directory(tmp: Path) -> Case:
    (tmp / "out").mkdir()
    return _output("out")(tmp)


def output_through_a_file(tmp: Path) -> Case:
    (tmp / "file.txt").write_text("x\n")
    return _output("file.txt/vm.sh")(tmp)


GENERATED: dict[str, Callable[[Path], Case]] = {
    "empty-file": empty_file,
    "comments-only": comments_only,
    "binary-garbage": binary_garbage,
    "not-utf8-on-line-2": not_utf8_on_line_2,
    "ten-megabytes-of-junk": ten_megabytes_of_junk,
    "ten-megabyte-string-with-nul": ten_megabyte_string_with_nul,
    "hundred-thousand-devices": hundred_thousand_devices,
    "dangling-among-hundreds": dangling_among_hundreds,
    "missing-path": missing_path,
    "directory": directory,
    "unreadable": unreadable,
    "broken-symlink": broken_symlink,
    "symlink-loop": symlink_loop,
    "path-through-a-file": path_through_a_file,
    "not-utf8-file-name": not_utf8_file_name,
    "output-missing-directory": output_missing_directory,
    "output-read-only-directory": output_read_only_directory,
    "output-immutable-directory": output_immutable_directory,
    "output-under-proc": _output("/proc/genqemu-test.sh"),
    "output-under-sys": _output("/sys/genqemu-test.sh"),
    "output-is-a-directory": output_is_a_directory,
    "output-through-a-file": output_through_a_file,
}


# --- running a case ---


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory nobody can enter (for the as_nobody cases)."""
    root = Path(tempfile.mkdtemp(prefix="genqemu-hostile-"))
    root.chmod(0o755)
    monkeypatch.chdir(root)
    yield root
    for path in root.rglob("*"):  # undo chmod 0 / 0o555 so rmtree can work
        if not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(root)


def run(args: list[str], as_nobody: bool = False, real: bool = False) -> tuple[int, str, str]:
    """genqemu ARGS in the current directory: (exit status, stdout, stderr)."""
    if as_nobody or real:
        return _run_subprocess(args, as_nobody)
    result = CliRunner().invoke(app, args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback is a failure
    return result.exit_code, result.stdout, result.stderr


CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def _obey_file_modes() -> None:
    """In the child, before exec: root loses the capabilities that skip mode bits."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _run_subprocess(args: list[str], as_nobody: bool = False) -> tuple[int, str, str]:
    drop = as_nobody and os.geteuid() == 0
    try:
        done = subprocess.run(
            [sys.executable, "-m", "genqemu", *args],
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            check=False,
            preexec_fn=_obey_file_modes if drop else None,
        )
    except subprocess.SubprocessError as error:
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE here: {error}")
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    return done.returncode, done.stdout.decode(), done.stderr.decode(errors="backslashreplace")


def listing(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


def check_case(case: Case, root: Path, text_snapshot: SnapshotAssertion) -> None:
    """Run `case` with and without -o; compare the message with its snapshot."""
    try:
        precious = root / "precious.sh"
        precious.write_text(PRECIOUS)
        before = listing(root)
        runs = [case.args] if case.writes else [[*case.args, "-o", "precious.sh"], case.args]
        messages = set()
        for args in runs:
            status, out, err = run(args, case.as_nobody, case.subprocess)
            assert (status, out) == (2, ""), err
            assert err.endswith("\n") and "Traceback" not in err
            assert precious.read_text() == PRECIOUS
            assert listing(root) == before, "a file was left behind"
            messages.add(err)
        assert len(messages) == 1, messages
        assert messages.pop().replace(str(root), "<tmp>") == text_snapshot
    finally:
        for undo in case.cleanup:
            undo()


@pytest.mark.parametrize("name", STATIC)
def test_static_case(name: str, scratch: Path, text_snapshot: SnapshotAssertion) -> None:
    text = (HOSTILE / f"{name}.toml").read_text()
    (scratch / f"{name}.toml").write_text(text)
    check_case(Case(["--arch", arch_of(text), f"{name}.toml"]), scratch, text_snapshot)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_case(name: str, scratch: Path, text_snapshot: SnapshotAssertion) -> None:
    check_case(GENERATED[name](scratch), scratch, text_snapshot)


def test_the_corpus_is_big_enough() -> None:
    assert len(STATIC) + len(GENERATED) >= 40


# --- the same files, where genqemu should succeed ---


def test_output_through_a_symlink_replaces_its_target(scratch: Path) -> None:
    _valid(scratch)
    (scratch / "real.sh").write_text("old\n")
    (scratch / "link.sh").symlink_to("real.sh")
    assert run(["-a", "amd64", "-o", "link.sh", "vm.toml"])[0] == 0
    assert (scratch / "link.sh").is_symlink()
    assert (scratch / "real.sh").read_text().startswith("#!/bin/sh\n")


def test_output_onto_a_device_writes_into_it(scratch: Path) -> None:
    """A private /dev/null: renaming over it (as -o once did) made it a file."""
    if os.geteuid() != 0:
        pytest.skip("mknod needs root; the pipe test covers other users")
    _valid(scratch)
    os.mknod(scratch / "null.sh", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    assert run(["-a", "amd64", "-o", "null.sh", "vm.toml"])[0] == 0
    assert stat.S_ISCHR((scratch / "null.sh").stat().st_mode)


def test_output_onto_a_pipe_writes_into_it(scratch: Path) -> None:
    _valid(scratch)
    fifo = scratch / "fifo.sh"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    assert run(["-a", "amd64", "-o", "fifo.sh", "vm.toml"])[0] == 0
    reader.join(timeout=10)
    assert received and received[0].startswith("#!/bin/sh\n")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_file_name_that_is_not_utf8_still_gives_a_script(scratch: Path) -> None:
    name = os.fsdecode(b"vm-\xff.toml")
    shutil.copy(example_path("minimal"), scratch / name)
    status, _, err = _run_subprocess(["-a", "amd64", "-o", "vm.sh", name])
    assert status == 0, err
    assert "# Generated by genqemu from vm-?.toml:" in (scratch / "vm.sh").read_text()


def test_a_byte_order_mark_is_ignored(scratch: Path) -> None:
    config = _valid(scratch)
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    assert run(["-a", "amd64", "vm.toml"])[0] == 0


# --- linear time ---


def _devices(count: int) -> dict[str, object]:
    """`count` devices of the kinds that reference others, plus what they name."""
    chardevs = [{"id": f"c{n}", "backend": "null"} for n in range(count // 4)]
    devices: list[dict[str, object]] = [{"kind": "virtio-serial"}]
    devices += [{"kind": "virtserialport", "chardev": c["id"]} for c in chardevs]
    devices += [{"kind": "virtio-blk", "file": f"/d{n}.img"} for n in range(count // 4)]
    devices += [{"kind": "virtio-rng"} for _ in range(count - len(devices))]
    return {"chardev": chardevs, "device": devices}


def _timed_build(count: int, budget: float | None = None) -> float:
    """CPU seconds to build `count` devices; fails once `budget` is spent."""
    raw = _devices(count)

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"{count} devices took more than {budget:.1f} s of CPU")

    if budget is not None:
        signal.signal(signal.SIGPROF, expire)
        signal.setitimer(signal.ITIMER_PROF, budget)
    try:
        start = time.process_time()
        vm = build(raw, "amd64")
        spent = time.process_time() - start
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    assert len(vm.devices) == count
    return spent


def test_validation_and_resolution_take_linear_time() -> None:
    """10,000 vs 100,000 devices: linear is 10x, quadratic 100x; allow 25x.

    The bigger run is stopped at its budget, so a quadratic loop fails the
    test in seconds instead of hanging it.
    """
    small = _timed_build(10_000)
    budget = max(25 * small, 3.0)
    try:
        large = _timed_build(100_000, budget)
    except TimeoutError as error:
        pytest.fail(f"not linear: 10,000 devices took {small:.2f} s, and {error}")
    print(f"build: 10,000 devices {small:.2f} s, 100,000 {large:.2f} s of CPU")
    assert large < budget


# --- a path is a file name, whatever it looks like ---

PROTOCOL_LOOKALIKE = "nbd:127.0.0.1:1"  # a legal file name; -drive file= would connect to it


def test_a_flash_image_is_given_as_a_file_name() -> None:
    options = render(build({"pflash": [PROTOCOL_LOOKALIKE]}, "arm64"))
    drive = read_option(*next(o for o in options if o[0] == "-drive"))
    assert ("file.driver", "file") in drive
    assert ("file.filename", PROTOCOL_LOOKALIKE) in drive
    assert "file" not in dict(drive)


@pytest.mark.qemu
@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_qemu_opens_a_flash_image_path_as_a_file(arch: str) -> None:
    """QEMU looks for the file; with file=PATH it would dial the NBD server."""
    vm = build({"pflash": [PROTOCOL_LOOKALIKE]}, arch)
    argv = [qemu_binary(vm.binary), *(part for option in render(vm) for part in option)]
    with pytest.raises(QemuFailed) as failed, paused_qemu(argv, timeout=30):
        pass
    assert f"Could not open '{PROTOCOL_LOOKALIKE}'" in str(failed.value)
    assert "connect" not in str(failed.value)


def test_a_lone_surrogate_from_the_library_is_refused() -> None:
    """os.fsdecode() turns undecodable bytes into lone surrogates; UTF-8 cannot hold them."""
    with pytest.raises(ConfigError, match=r"kernel.path: contains a lone surrogate '\\udcff'"):
        build({"kernel": {"path": os.fsdecode(b"/boot/vmlinuz-\xff")}}, "amd64")
