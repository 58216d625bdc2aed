"""genqemu import on the command line: reading input, writing output, refusing bad input.

Bad input (unbalanced quotes, a binary that is not QEMU, an option missing its
value, a megabyte of arguments, values only the shell knows) is exit status 2,
a message on stderr that says what and where, nothing on stdout, no traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO
from typer.testing import CliRunner, Result

from genqemu.cli import app

SCRIPT = '#!/bin/sh\nexec qemu-system-s390x -m 1G -nodefaults \\\n  -device usb-tablet "$@"\n'


def run(*args: str, stdin: str | bytes | None = None) -> Result:
    return CliRunner().invoke(app, ["import", *args], input=stdin)


def refused(result: Result, *messages: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    for message in messages:
        assert message in result.stderr


def test_a_script_on_stdin_gives_toml_on_stdout_and_the_summary_on_stderr() -> None:
    result = run(stdin=SCRIPT)
    assert result.exit_code == 0
    assert result.stderr.startswith("2 options typed, 1 passed through: -device usb-tablet\n")
    assert "note: the command line names no display" in result.stderr
    assert result.stdout.startswith("# Imported by genqemu import from stdin (arch s390x).\n")
    assert '    "-device", "usb-tablet",\n' in result.stdout
    assert "no_user_config = false\n" in result.stdout


def test_output_is_written_atomically_and_a_failure_leaves_the_file(tmp_path: Path) -> None:
    script, out = tmp_path / "vm.sh", tmp_path / "vm.toml"
    script.write_text(SCRIPT)
    assert run(str(script), "-o", str(out)).exit_code == 0
    written = out.read_text()
    assert written.startswith(f"# Imported by genqemu import from {script} (arch s390x).")
    script.write_text("qemu-system-s390x -m\n")
    refused(run(str(script), "-o", str(out)), "-m needs a value")
    assert out.read_text() == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vm.sh", "vm.toml"]


def test_arch_comes_from_the_binary_and_arch_must_agree() -> None:
    assert run("--arch", "s390", stdin=SCRIPT).exit_code == 0
    refused(
        run("--arch", "arm64", stdin=SCRIPT),
        "qemu-system-s390x is the s390x emulator, but --arch says arm64",
    )
    refused(run(stdin="kvm -m 1G\n"), "cannot tell the architecture of 'kvm': pass --arch")
    assert run("--arch", "amd64", stdin="kvm -m 1G\n").exit_code == 0
    refused(run(stdin="qemu-system-sparc64 -m 1G\n"), "sparc64", "pass --arch")
    refused(
        run(stdin="qemu-system-riscv64 -m 1G\n"),
        "QEMU's default machine 'spike' is not one genqemu knows on riscv64 (virt)",
    )
    refused(run("--arch", "sparc", stdin=SCRIPT), "unknown architecture 'sparc'")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("qemu-system-x86_64 -name 'vm\n", "line 1: a single quote (') is never closed"),
        ('qemu-system-x86_64 -append "console=ttyS0\n', 'a double quote (") is never closed'),
        ("qemu-system-x86_64 -kernel `ls\n", "a backquote (`) is never closed"),
        ("ls -l /\n", "no command in the input runs QEMU (it runs 'ls')"),
        ('["/bin/sh", "-c", "qemu-system-x86_64"]', "'/bin/sh' is not a QEMU system emulator"),
        ("qemu-system-x86_64 -m 1G -smp\n", "option -smp needs a value, and it is the last"),
        ("qemu-system-x86_64 -frobnicate\n", "-frobnicate (argument 1) is not a QEMU option"),
        ("", "the input is empty"),
        ("[1, 2]", "JSON input must be a list of strings"),
        ('{"argv": "qemu"}', "JSON input must be a list of strings"),
        ("[qemu", "the input looks like JSON but is not valid"),
        (
            "qemu-system-x86_64 -device '{\"driver\": }'\n",
            "-device: the argument is not valid JSON",
        ),
        ("qemu-system-x86_64 -m 1G\nqemu-system-x86_64 -m 2G\n", "runs QEMU 2 times (lines 1, 2)"),
        ("qemu-system-aarch64 -M raspi3b\n", "machine 'raspi3b' is not one genqemu knows on arm64"),
        ("qemu-system-x86_64 -append 'a\nb'\n", "contains a newline"),
        ("cat <<EOF\n", "no command in the input runs QEMU"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(text: str, message: str) -> None:
    refused(run(stdin=text), message)


def test_values_only_the_shell_knows_are_reported_not_guessed() -> None:
    script = (
        'DISK=/var/lib/vm.img\nif [ -n "$1" ]; then MEM=2G; else MEM=1G; fi\n'
        'qemu-system-x86_64 -m $MEM -drive file="$DISK",format=raw,if=virtio \\\n'
        "  -kernel ~/bzImage -smp $(nproc) -name ${NAME:-vm} -pidfile $HOME/vm.pid\n"
    )
    refused(
        run(stdin=script),
        "values only the shell knows when it runs; genqemu does not guess them:",
        "line 3: $MEM is set more than once",
        "line 4: '~' outside quotes",
        "line 4: $(...) runs a command",
        "line 4: ${NAME:-vm} is computed when the script runs",
        "line 4: $HOME is not set by the script",
    )
    assert "$DISK" not in run(stdin=script).stderr  # set once, to a plain value


@pytest.mark.parametrize(
    ("source", "messages"),
    [
        # HITB-CyberWeek/hitbsecconf-ctf-2022 services/crs/img/boot.sh @ 1c71c5fd7dbc
        (
            'IMAGE="qemu.img"\nCPU="max,zpci=on"\nMEM=4096\nCORES=$(nproc)\n\n'
            'if [ "${1:-}" = "--telnet" ]; then\n'
            '    SERIAL="-serial telnet::4441,server=on,wait=off"\nelse\n'
            '        SERIAL="-chardev stdio,id=char0,mux=on,logfile=serial.log,signal=off '
            '-serial chardev:char0 -mon chardev=char0"\nfi\n\n'
            "qemu-system-s390x -machine s390-ccw-virtio -cpu $CPU -m $MEM \\\n"
            "    $SERIAL -display none \\\n    -smp $CORES\n",
            ["line 13: $SERIAL is set more than once", "line 14: $CORES is set more than once"],
        ),
        # evdenis/katechon src/tests/qemu/run-qemu.sh
        (
            "KERNEL=${KERNEL:-linux-4.20-rc7}\n\nqemu-system-x86_64 \\\n"
            "\t-kernel $KERNEL/arch/x86/boot/bzImage \\\n\t-hda vm.img \\\n"
            "\t-pidfile vm.pid \\\n\t2>&1 | tee vm.log\n",
            ["line 4: $KERNEL is set more than once or to something computed"],
        ),
    ],
)
def test_real_scripts_with_run_time_values_are_reported(source: str, messages: list[str]) -> None:
    refused(run(stdin=source), *messages)


def test_a_megabyte_of_arguments_is_refused() -> None:
    one_argument = "qemu-system-x86_64 -append '" + "x" * 1_000_000 + "'\n"
    many = "qemu-system-x86_64" + " -S" * 350_000 + "\n"
    for text in (one_argument, many):
        refused(run(stdin=text), "stdin: more than 524288 bytes; genqemu import reads at most")
    long_argument = "qemu-system-x86_64 -append '" + "x" * 200_000 + "'\n"
    refused(run(stdin=long_argument), "is 200000 bytes long; Linux cannot pass an argument longer")
    refused(run(stdin='["qemu-system-x86_64", "-' + "y" * 200_000 + '"]'), "200001 bytes long")


def test_unreadable_input_is_refused(tmp_path: Path) -> None:
    refused(run(str(tmp_path / "missing.sh")), "missing.sh: no such file")
    refused(run(str(tmp_path)), "is a directory")
    (tmp_path / "bin.sh").write_bytes(b"qemu-system-x86_64 -name \xff\n")
    refused(run(str(tmp_path / "bin.sh")), "not UTF-8 text (byte 25)")
    refused(run(stdin=b"qemu-system-x86_64\x00 -S\n"), "NUL byte")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    script = tmp_path / "vm.sh"
    script.write_text(SCRIPT)
    script.chmod(0)
    refused(run(str(script)), "cannot read: Permission denied")


def test_the_summary_names_what_changes() -> None:
    result = run(
        stdin="qemu-system-x86_64 -netdev tap,id=n0,ifname=tap0 -device virtio-net-pci,netdev=n0\n"
    )
    assert result.exit_code == 0
    assert "note: tap tap0: QEMU ran its default script (/etc/qemu-ifup)" in result.stderr
    ccw = run(stdin="qemu-system-s390x -device virtio-rng-ccw -device virtio-balloon-ccw\n")
    assert "note: 2 CCW device(s) had no devno: QEMU numbers them from fe.0.0000" in ccw.stderr
    arm = run(stdin="LANG=C qemu-system-aarch64 -M virt -m 1G 2>log\n")
    assert (
        "note: the command line names no CPU: QEMU's default on virt is cortex-a15, "
        "written as cpu.model (genqemu's default would be max)" in arm.stderr
    )
    assert "note: environment not kept (a genqemu config does not set QEMU's): LANG" in arm.stderr
    assert "note: redirection not kept: 2>log (line 1)" in arm.stderr
    wrapped = run(stdin="sudo taskset -c 1 qemu-system-x86_64 -S\n")
    assert "note: QEMU ran through 'sudo taskset -c 1'" in wrapped.stderr


def test_help_names_the_command() -> None:
    result = CliRunner().invoke(app, ["import", "--help"])
    assert result.exit_code == 0
    assert "[FILE|-]" in result.stdout
    assert "docs/import.md" in result.stdout
    assert "\n  import ...  " in CliRunner().invoke(app, ["--help"]).stdout


def test_the_docs_examples_are_what_import_prints() -> None:
    """docs/import.md shows import on a script for s390x and for arm64: the TOML and
    the summary printed there are checked against a fresh import of the script."""
    import re

    text = (REPO / "docs" / "import.md").read_text()
    examples = re.findall(
        r"<!-- example -->\n```sh\n(.*?)```\n.*?```\n(.*?)```\n.*?```toml\n(.*?)```",
        text,
        re.DOTALL,
    )
    assert len(examples) >= 2
    arches = set()
    for script, summary, toml in examples:
        result = run(stdin=script)
        assert result.exit_code == 0, result.stderr
        assert result.stderr == summary
        assert result.stdout == toml
        arches.add(toml.splitlines()[0].split("(arch ")[1].rstrip(").").strip())
    assert {"s390x", "arm64"} <= arches
    readme = (REPO / "README.md").read_text()
    assert all(f"    {line}\n" in readme for line in examples[0][1].splitlines())
