"""Kernels and firmware for the Secure Boot tests (tests/test_secure_boot.py).

Debian's ovmf and qemu-efi-aarch64 ship test firmware whose variable store
enrolls one key, "snakeoil", in PK, KEK and db, and ship that key
(/usr/share/ovmf/PkKek-1-snakeoil.key, passphrase "snakeoil"; the ovmf
package's README.Debian). From the boot kit's kernel (an EFI-stub PE image
on amd64 and arm64 alike, signed by Debian's Secure Boot CA) this makes:

- `unsigned`: Debian's signatures removed (sbattach --remove). Not Debian's
  own image: whether that one is refused depends on which CAs a variable
  store enrolls (the Microsoft ones sign shim, not the kernel), while an
  image with no signature at all is refused by any store with Secure Boot on.
- `signed`: that unsigned image signed with the snakeoil key (sbsign), so the
  two differ only in the signature.
- an ESP disk image of each (\\EFI\\BOOT\\BOOT<ARCH>.EFI, FAT, made by
  qemu-img from QEMU's vvfat driver), for firmware that boots from a disk.

They are cached next to the kit, keyed by the kernel's hash and this file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .boot_initramfs import BootKit

SNAKEOIL_KEY = Path("/usr/share/ovmf/PkKek-1-snakeoil.key")
SNAKEOIL_CERT = Path("/usr/share/ovmf/PkKek-1-snakeoil.pem")
SNAKEOIL_PASSPHRASE = "snakeoil"

# Per genqemu arch: the firmware descriptor's target, the snakeoil code and
# variables (Debian 12's ovmf, qemu-efi-aarch64), the features they have,
# and the name of the removable-media boot file on an ESP (UEFI 3.5.1.1).
DESCRIPTOR_TARGET = {"amd64": ("x86_64", "pc-q35-*"), "arm64": ("aarch64", "virt-*")}
SNAKEOIL_FIRMWARE = {
    "amd64": (
        "/usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd",
        "/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd",
    ),
    "arm64": ("/usr/share/AAVMF/AAVMF_CODE.snakeoil.fd", "/usr/share/AAVMF/AAVMF_VARS.snakeoil.fd"),
}
SNAKEOIL_FEATURES = {
    # OVMF's Secure Boot build keeps its variables safe in SMM: it needs smm=on.
    "amd64": ["enrolled-keys", "requires-smm", "secure-boot"],
    "arm64": ["enrolled-keys", "secure-boot"],
}
BOOT_FILE = {"amd64": "BOOTX64.EFI", "arm64": "BOOTAA64.EFI"}
TOOLS = ("sbsign", "sbattach", "qemu-img", "openssl")


class SigningError(Exception):
    """A tool or a file the signing kit needs is missing."""


@dataclass(frozen=True)
class SecureBootKit:
    """The kit's kernel, signed with the snakeoil key and signed by no key."""

    signed: Path
    unsigned: Path
    signed_esp: Path  # a raw disk with `signed` as the removable-media boot file
    unsigned_esp: Path


def secure_boot_kit(kit: BootKit) -> SecureBootKit:
    """The signed and unsigned kernels (and ESP images) for `kit`, built once."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    missing += [str(p) for p in (SNAKEOIL_KEY, SNAKEOIL_CERT) if not p.exists()]
    if missing:
        raise SigningError(
            f"missing {', '.join(missing)}: `make qemu` installs ovmf and sbsigntool"
        )
    key = hashlib.sha256(kit.kernel.read_bytes() + Path(__file__).read_bytes()).hexdigest()[:16]
    folder = kit.kernel.parent.parent / f"secureboot-{key}"
    if not (folder / "done").exists():
        _build(folder, kit)
        for old in folder.parent.glob("secureboot-*"):  # for an older kernel or builder
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
    return SecureBootKit(
        folder / "signed", folder / "unsigned", folder / "signed.esp", folder / "unsigned.esp"
    )


def _run(*argv: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SigningError(f"{' '.join(argv)} failed: {result.stderr.strip()}")


def _build(folder: Path, kit: BootKit) -> None:
    staging = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="genqemu-sb-") as tmp:
        # sbsign reads no passphrase: a decrypted copy, readable by us only.
        key = Path(tmp) / "snakeoil.key"
        _run(
            "openssl",
            "pkey",
            "-in",
            str(SNAKEOIL_KEY),
            "-passin",
            f"pass:{SNAKEOIL_PASSPHRASE}",
            "-out",
            str(key),
        )
        unsigned, signed = staging / "unsigned", staging / "signed"
        shutil.copyfile(kit.kernel, unsigned)
        _run("sbattach", "--remove", str(unsigned))
        _run(
            "sbsign",
            "--key",
            str(key),
            "--cert",
            str(SNAKEOIL_CERT),
            "--output",
            str(signed),
            str(unsigned),
        )
        for image in (signed, unsigned):
            tree = Path(tmp) / f"esp-{image.name}"
            (tree / "EFI" / "BOOT").mkdir(parents=True)
            shutil.copyfile(image, tree / "EFI" / "BOOT" / BOOT_FILE[kit.arch])
            _run(
                "qemu-img",
                "convert",
                "-f",
                "vvfat",
                "-O",
                "raw",
                f"fat:{tree}",
                str(staging / f"{image.name}.esp"),
            )
    (staging / "done").write_text("")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def write_descriptor(folder: Path, arch: str) -> Path:
    """A firmware descriptor (QEMU's docs/interop/firmware.json) for the arch's
    snakeoil firmware, in `folder`: the --firmware-dir of a Secure Boot test."""
    architecture, machines = DESCRIPTOR_TARGET[arch]
    code, template = SNAKEOIL_FIRMWARE[arch]
    descriptor = {
        "description": f"UEFI firmware for {architecture}, Secure Boot, snakeoil test key enrolled",
        "interface-types": ["uefi"],
        "mapping": {
            "device": "flash",
            "executable": {"filename": code, "format": "raw"},
            "nvram-template": {"filename": template, "format": "raw"},
        },
        "targets": [{"architecture": architecture, "machines": [machines]}],
        "features": SNAKEOIL_FEATURES[arch],
        "tags": [],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"10-snakeoil-{architecture}.json"
    path.write_text(json.dumps(descriptor, indent=4) + "\n")
    return path
