"""A second QEMU for the tests: Debian's 10.0 from bookworm-backports, unpacked.

The tests check every example against the QEMU installed on the system (7.2,
Debian 12) and against QEMU 10.0, which Debian builds for Debian 12 in
bookworm-backports. Its .debs are fetched like the boot tests' kernels
(tests/support/boot_debian.py: from the Debian archive apt uses, each checked
against the SHA256 of the suite's Packages index, cached in the boot cache)
and unpacked with `dpkg-deb -x` into

    $GENQEMU_BOOT_CACHE/qemu-10.0-DIGEST/usr/bin/qemu-system-*

nothing is installed. Debian's QEMU is not relocatable: it reads its data,
firmware and modules from the absolute paths it was built for
(/usr/share/qemu, /usr/share/seabios, /usr/lib/ipxe/qemu,
/usr/lib/MULTIARCH/qemu), where the system's 7.2 keeps its own; 10.0 loading
7.2's modules aborts (`-device help`: "Only modules from the same build can
be loaded"). So the tests start it through a wrapper,
`qemu-10.0-DIGEST/bin/qemu-system-*`, that runs it in a private mount namespace
(`unshare --mount`; with --map-root-user when not root) in which the unpacked
folders are bind-mounted over those paths: QEMU 10.0 sees its own files, and
nothing outside that process changes. The firmware packages the examples
need are unpacked with it: seabios (x86 BIOS), opensbi (riscv64's) and
ipxe-qemu (the NIC option ROMs virtio-net-pci loads); a link in a mounted
folder to a file outside it (opensbi's) is replaced by that file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import asdict
from pathlib import Path

from .boot_debian import (
    DownloadError,
    Package,
    cache_root,
    deb,
    package,
    parse_packages,
    read_index,
    write,
)

# QEMU version -> (suite, the version prefix the suite must offer). The
# system's QEMU is the first; the others are unpacked from the archive.
SYSTEM_VERSION = "7.2"
SUITES = {"10.0": ("bookworm-backports", "1:10.0.")}
QEMU_PACKAGES = (
    "qemu-system-x86",
    "qemu-system-arm",
    "qemu-system-ppc",
    "qemu-system-s390x",
    "qemu-system-riscv",
    "qemu-system-common",
    "qemu-system-data",
    # Module packages of their own since 10.0: SPICE (-spice, the spicevmc chardev,
    # qxl), which loads only beside ui-opengl; OpenGL (egl-headless, dbus, virtio-gpu-gl).
    "qemu-system-modules-spice",
    "qemu-system-modules-opengl",
    # The gtk and sdl displays (ui-gtk, ui-sdl): the same package as 7.2's, whose
    # libraries the system's qemu-system-gui brings (tests/test_display_window.py).
    "qemu-system-gui",
)
# Firmware QEMU loads from its firmware path, each from the suite that has it
# (None: the suite of the QEMU; else bookworm).
FIRMWARE = {"seabios": None, "opensbi": None, "ipxe-qemu": "bookworm"}


def cache_name(version: str) -> str:
    """qemu-VERSION-DIGEST, from the package list: when a package joins, the new
    tree is unpacked beside the old one, which runs already under way keep using."""
    names = " ".join((*QEMU_PACKAGES, *FIRMWARE))
    return f"qemu-{version}-{hashlib.sha256(names.encode()).hexdigest()[:8]}"


def qemu_root(version: str) -> Path:
    """The folder holding QEMU `version` unpacked (usr/bin/qemu-system-*), made once."""
    root = cache_root() / cache_name(version)
    if (root / ".complete").exists():
        return root
    chosen = packages(version)
    try:
        files = [deb(p) for p in chosen]
    except DownloadError:  # a cached choice that has left the pool: read the index again
        if os.environ.get("GENQEMU_BOOT_REFRESH") == "1":
            raise
        (cache_root() / f"{cache_name(version)}.json").unlink(missing_ok=True)
        chosen = packages(version)
        files = [deb(p) for p in chosen]
    with tempfile.TemporaryDirectory(dir=cache_root(), prefix=f".{cache_name(version)}.") as temp:
        staging = Path(temp) / "root"
        for path in files:
            subprocess.run(["dpkg-deb", "-x", str(path), str(staging)], check=True)
        _drop_unloadable_modules(staging)
        _write_wrappers(staging, root)
        write(staging / ".complete", "\n".join(f"{p.name} {p.version}" for p in chosen) + "\n")
        if root.exists():  # an unfinished earlier attempt
            shutil.rmtree(root)
        try:
            staging.rename(root)
        except OSError:  # another run got there first
            if not (root / ".complete").exists():
                raise
    return root


def _drop_unloadable_modules(staging: Path) -> None:
    """Remove the modules whose libraries this host lacks (10.0's audio-pipewire needs
    libpipewire-0.3, which the 7.2 system does not have; virtio-gpu-gl needs
    libvirglrenderer1, there only with qemu-system-gui): QEMU would say "failed to
    open module" on every -device help."""
    for module in staging.glob("usr/lib/*/qemu/*.so"):
        linked = subprocess.run(["ldd", str(module)], capture_output=True, text=True)
        if "not found" in linked.stdout:
            module.unlink()


def packages(version: str) -> list[Package]:
    """The packages of QEMU `version` and its firmware: from the cache, else the indexes."""
    record = cache_root() / f"{cache_name(version)}.json"
    if record.exists() and os.environ.get("GENQEMU_BOOT_REFRESH") != "1":
        return [Package(**fields) for fields in json.loads(record.read_text())]
    suite, prefix = SUITES[version]
    debian_arch = _host_debian_arch()
    wanted: dict[str, list[str]] = {suite: [*QEMU_PACKAGES]}
    for name, where in FIRMWARE.items():
        wanted.setdefault(where or suite, []).append(name)
    chosen = []
    for where, names in wanted.items():
        url, text = read_index(where, debian_arch)
        found = parse_packages(text, set(names))
        for name in names:
            if name not in found:
                raise DownloadError(f"{url}: no {name}")
            chosen.append(package(found[name], name))
    for qemu in chosen[: len(QEMU_PACKAGES)]:
        if not qemu.version.startswith(prefix):
            raise DownloadError(f"{suite} has {qemu.name} {qemu.version}, not QEMU {version}")
    record.parent.mkdir(parents=True, exist_ok=True)
    write(record, json.dumps([asdict(p) for p in chosen], indent=2))
    return chosen


def _host_debian_arch() -> str:
    result = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


# Folders of the unpacked tree mounted over the system's, in the wrapper.
_MOUNTED = ("usr/share/qemu", "usr/share/seabios", "usr/lib/ipxe/qemu")
_WRAPPER = """#!/bin/sh
# QEMU unpacked from Debian's archive (tests/support/qemu_debian.py), run in a
# private mount namespace where its own data, firmware and modules are at the
# paths it was built for. Nothing outside this process sees the mounts.
root={root}
[ "$(id -u)" = 0 ] || user=--map-root-user
exec unshare --mount $user -- sh -c '
for folder in {folders}; do
    [ -d "/$folder" ] || continue
    mount --bind "$0/$folder" "/$folder" || exit 125
done
binary=$1; shift; exec "$0/usr/bin/$binary" "$@"' "$root" {binary} "$@"
"""


def _write_wrappers(staging: Path, root: Path) -> None:
    """bin/qemu-system-* beside usr/: each runs usr/bin's binary with its own
    files, from `root`, where `staging` is about to be moved."""
    for folder in _MOUNTED:
        for link in (staging / folder).iterdir() if (staging / folder).is_dir() else ():
            target = link.resolve()
            if link.is_symlink() and target.is_file() and target.is_relative_to(staging):
                link.unlink()
                shutil.copyfile(target, link)
    modules = sorted(
        p.relative_to(staging) for p in staging.glob("usr/lib/*/qemu") if any(p.glob("*.so"))
    )
    folders = " ".join(str(f) for f in (*_MOUNTED, *modules))
    (staging / "bin").mkdir()
    for binary in sorted((staging / "usr" / "bin").glob("qemu-system-*")):
        wrapper = staging / "bin" / binary.name
        wrapper.write_text(
            _WRAPPER.format(root=shlex.quote(str(root)), folders=folders, binary=binary.name)
        )
        wrapper.chmod(0o755)


def binary_path(binary: str, version: str) -> Path:
    """The wrapper that runs `binary` (qemu-system-ARCH) of QEMU `version`, fetched if needed."""
    return qemu_root(version) / "bin" / binary
