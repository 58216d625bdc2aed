"""A kernel and a tiny initramfs per arch, built from the Debian packages.

The initramfs (cpio newc, uncompressed) holds busybox-static, the init script
tests/support/boot_init.sh, and the kernel modules it loads: Debian builds the
virtio drivers as modules, and their dependencies are read from each module's
.modinfo section (`depends=`), so no depmod is needed. The init loads them
with insmod in dependency order (/etc/modules), prints the devices the kernel
sees between two marker lines and powers off.

Built files are cached under the boot cache, keyed by a hash of everything
that goes into them (the two .debs, the init script, the module list), so an
edit to any of them builds anew.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .boot_debian import Package, cache_root, debs

INIT = Path(__file__).with_name("boot_init.sh")

# Module parameters the init passes to insmod. scan=sync: SCSI disks are
# there when virtio_scsi's insmod returns (on a kernel with scsi_mod built
# in, the kernel command line carries scsi_mod.scan=sync instead).
# delay_use=0: usb-storage scans a USB disk at once, not a second after it came.
MODULE_PARAMETERS = {"scsi_mod": "scan=sync", "usb_storage": "delay_use=0"}


class KernelError(Exception):
    """The kernel package lacks something the boot test needs."""


@dataclass(frozen=True)
class BootKit:
    """What one arch boots: its kernel image, the initramfs and where they came from."""

    arch: str
    kernel: Path
    initrd: Path
    kernel_package: Package
    busybox_package: Package
    modules: tuple[str, ...]  # insmod order
    builtin: frozenset[str]  # modules built into the kernel

    def has(self, module: str) -> bool:
        """Whether the guest kernel can use `module` (loaded by the init, or built in)."""
        name = module_name(module)
        return name in self.modules or name in self.builtin


def boot_kit(arch: str, wanted: Sequence[str]) -> BootKit:
    """The arch's kernel and an initramfs that loads `wanted` (and what they need)."""
    kernel_package, kernel_deb, busybox_package, busybox_deb = debs(arch)
    key = hashlib.sha256(
        json.dumps(
            [
                kernel_package.sha256,
                busybox_package.sha256,
                INIT.read_text(),
                Path(__file__).read_text(),  # this builder: a change to it builds anew
                list(wanted),
            ]
        ).encode()
    ).hexdigest()[:16]
    folder = cache_root() / arch / f"kit-{kernel_package.version}-{key}"
    manifest = folder / "manifest.json"
    if not manifest.exists():
        _build(folder, kernel_deb, busybox_deb, wanted)
        for old in folder.parent.glob("kit-*"):  # kits of an older init, builder or kernel
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
    recorded = json.loads(manifest.read_text())
    return BootKit(
        arch,
        folder / "kernel",
        folder / "initrd.cpio",
        kernel_package,
        busybox_package,
        tuple(recorded["modules"]),
        frozenset(recorded["builtin"]),
    )


def _build(folder: Path, kernel_deb: Path, busybox_deb: Path, wanted: Sequence[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="genqemu-boot-") as tmp:
        root = Path(tmp)
        for package in (kernel_deb, busybox_deb):
            subprocess.run(["dpkg-deb", "-x", str(package), str(root)], check=True)
        images = sorted((root / "boot").glob("vmlinu[xz]-*"))
        if len(images) != 1:
            raise KernelError(f"{kernel_deb.name}: expected one boot/vmlinu[xz]-*, got {images}")
        trees = [root / "lib" / "modules", root / "usr" / "lib" / "modules"]
        (tree,) = [t for top in trees if top.is_dir() for t in top.iterdir()]
        builtin = builtin_modules(tree)
        order = load_order(wanted, module_files(tree), builtin)
        files: dict[str, bytes] = {
            "init": INIT.read_bytes(),
            "bin/busybox": _busybox(root).read_bytes(),
            "etc/modules": "".join(
                f"{name} {MODULE_PARAMETERS.get(name, '')}".rstrip() + "\n" for name, _ in order
            ).encode(),
        }
        for name, path in order:
            files[f"lib/modules/{name}.ko"] = module_bytes(path)
        staging = folder.with_name(f".{folder.name}.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        shutil.copyfile(images[0], staging / "kernel")
        (staging / "initrd.cpio").write_bytes(newc_archive(files))
        manifest = {
            "modules": [name for name, _ in order],
            "builtin": sorted(builtin),
            "kernel_image": images[0].name,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2))
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)


def _busybox(root: Path) -> Path:
    """busybox in the unpacked package: /bin (Debian 12) or /usr/bin (Debian 13)."""
    for path in (root / "bin" / "busybox", root / "usr" / "bin" / "busybox"):
        if path.is_file():
            return path
    raise KernelError("busybox-static has no bin/busybox or usr/bin/busybox")


def module_name(filename: str) -> str:
    """A module's name from its file name: `virtio-rng.ko.xz` -> `virtio_rng`."""
    return filename.split(".ko")[0].replace("-", "_")


def module_files(tree: Path) -> dict[str, Path]:
    """Every loadable module under lib/modules/VERSION: name -> .ko or .ko.xz file."""
    return {
        module_name(path.name): path
        for pattern in ("kernel/**/*.ko", "kernel/**/*.ko.xz")
        for path in tree.glob(pattern)
    }


def module_bytes(path: Path) -> bytes:
    """The module's ELF file, decompressed (Debian 13 ships .ko.xz; insmod wants .ko)."""
    data = path.read_bytes()
    return lzma.decompress(data) if path.name.endswith(".xz") else data


def builtin_modules(tree: Path) -> set[str]:
    """The names of modules built into the kernel (modules.builtin)."""
    text = (tree / "modules.builtin").read_text()
    return {module_name(Path(line).name) for line in text.split()}


def load_order(
    wanted: Iterable[str], files: Mapping[str, Path], builtin: set[str]
) -> list[tuple[str, Path]]:
    """The modules to insmod, each after those it depends on; built-in ones left out.

    A wanted module that is neither a file nor built in fails: a kernel that
    cannot drive a device kind must not pass for one that sees no device. A
    name ending in `?` is loaded where the kernel has it (drivers that
    Debian builds for some arches only).
    """
    order: list[tuple[str, Path]] = []
    seen: set[str] = set()

    def visit(name: str, needed_by: str) -> None:
        if name in seen or name in builtin:
            return
        if name not in files:
            raise KernelError(f"module {name} (for {needed_by}) is neither built in nor a file")
        seen.add(name)
        for dependency in modinfo(files[name]).get("depends", "").split(","):
            if dependency:
                visit(module_name(dependency), name)
        order.append((name, files[name]))

    for wanted_name in wanted:
        name = module_name(wanted_name.rstrip("?"))
        if not wanted_name.endswith("?") or name in files:
            visit(name, "the boot test")
    return order


def modinfo(path: Path) -> dict[str, str]:
    """The key=value strings of an ELF64 module's .modinfo section (last one wins)."""
    data = module_bytes(path)
    if data[:5] != b"\x7fELF\x02":
        raise KernelError(f"{path}: not an ELF64 file")
    endian = "<" if data[5] == 1 else ">"
    (section_offset,) = struct.unpack_from(f"{endian}Q", data, 0x28)
    entry_size, count, names_index = struct.unpack_from(f"{endian}HHH", data, 0x3A)

    def section(index: int) -> tuple[int, int, int]:
        name, _, _, _, offset, size = struct.unpack_from(
            f"{endian}IIQQQQ", data, section_offset + index * entry_size
        )
        return name, offset, size

    names = section(names_index)[1]
    for index in range(count):
        name, offset, size = section(index)
        if data[names + name : data.index(b"\0", names + name)] == b".modinfo":
            pairs = (
                item.decode().partition("=") for item in data[offset : offset + size].split(b"\0")
            )
            return {key: value for key, _, value in pairs if key}
    raise KernelError(f"{path}: no .modinfo section")


def newc_archive(files: Mapping[str, bytes]) -> bytes:
    """A cpio (newc) archive: the directories, /dev/console, /bin/sh and `files`.

    Everything is owned by root; /init and /bin/busybox are executable.
    """
    entries: list[tuple[str, int, bytes, int]] = []  # path, mode, data, rdev (major, minor)
    directories = {"dev", "proc", "sys", "mnt", "tmp", "bin", "etc"}
    for path in files:
        parts = path.split("/")[:-1]
        directories.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    entries += [(d, 0o040755, b"", 0) for d in sorted(directories)]
    entries.append(("dev/console", 0o020600, b"", (5 << 8) | 1))
    entries.append(("bin/sh", 0o120777, b"busybox", 0))
    for path, data in sorted(files.items()):
        executable = path in {"init", "bin/busybox"}
        entries.append((path, 0o100755 if executable else 0o100644, data, 0))
    out = bytearray()
    for inode, (path, mode, data, rdev) in enumerate(entries, start=1):
        out += _newc_entry(path, mode, data, inode, rdev)
    out += _newc_entry("TRAILER!!!", 0, b"", 0, 0)
    return bytes(out)


def _newc_entry(path: str, mode: int, data: bytes, inode: int, rdev: int) -> bytes:
    name = path.encode() + b"\0"
    fields = [inode, mode, 0, 0, 1, 0, len(data), 0, 0, rdev >> 8, rdev & 0xFF, len(name), 0]
    header = b"070701" + b"".join(f"{value:08x}".encode() for value in fields)
    return _pad(header + name) + _pad(data)


def _pad(chunk: bytes) -> bytes:
    return chunk + b"\0" * (-len(chunk) % 4)
