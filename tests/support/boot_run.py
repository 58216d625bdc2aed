"""What the boot tests share: the kernel command line, and running QEMU until
the console says enough (tests/test_boot.py, tests/test_secure_boot.py)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

# Generous: the slowest boot here takes about 30 s.
BOOT_TIMEOUT = 300
APPEND = "panic=-1 loglevel=1 printk.time=0 scsi_mod.scan=sync"
# Per arch. amd64: the kernel leaves an Intel IOMMU off unless told; and
# under TCG on a busy host the kernel's TSC calibration against the PIT can
# fail, which microvm (no HPET, no ACPI PM timer to fall back on) does not
# survive: the boot hangs. Giving the TSC rate skips the calibration. The
# same slowness fails the IO-APIC timer check behind interrupt remapping
# ("Kernel panic - not syncing: timer doesn't work through Interrupt-remapped
# IO-APIC", seen under load with intel-iommu): no_timer_check skips it.
ARCH_APPEND = {"amd64": " intel_iommu=on tsc_early_khz=2000000 no_timer_check"}


def boot_until(
    argv: list[str], cwd: Path, log: Path, markers: Sequence[str], timeout: float = BOOT_TIMEOUT
) -> tuple[str | None, str, str]:
    """Run QEMU until its console shows one of `markers` (then stop it), it
    exits, or `timeout` passes: (the marker seen or None, the console, the
    text a failure shows). For firmware that waits at a prompt when it has
    nothing to boot."""
    with subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    ) as qemu:
        deadline = time.monotonic() + timeout
        seen = None
        while seen is None and qemu.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
            console = log.read_text(errors="replace") if log.exists() else ""
            seen = next((marker for marker in markers if marker in console), None)
        if qemu.poll() is None:
            qemu.kill()
        _, stderr = qemu.communicate()
    console = log.read_text(errors="replace") if log.exists() else ""
    seen = next((marker for marker in markers if marker in console), None)
    context = f"QEMU exit status {qemu.returncode}, stderr:\n{stderr}\nconsole:\n{console}"
    return seen, console, context
