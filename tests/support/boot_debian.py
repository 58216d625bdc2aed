"""Debian packages for the boot tests: a kernel and busybox-static per arch.

Debian 12 (bookworm) for amd64, arm64, ppc64el and s390x; Debian 13 (trixie)
for riscv64, which bookworm does not have. The .deb files come from the pool
of the Debian archive apt on this machine uses (a `bookworm` entry in
/etc/apt/sources.list or sources.list.d/*.sources; else
http://deb.debian.org/debian; GENQEMU_DEBIAN_MIRROR overrides both). The
arch's dists/SUITE/main/binary-ARCH/Packages.xz names the current kernel
(through the linux-image-FLAVOUR metapackage) with its pool path and SHA256.
No architecture is added to dpkg: the files are fetched over HTTP and
unpacked with `dpkg-deb -x`.

Everything is cached outside the repo, in $GENQEMU_BOOT_CACHE or
~/.cache/genqemu-boot:

    ARCH/packages.json     the chosen packages (name, version, pool path, sha256)
    debs/NAME_VERSION_ARCH.deb   verified against that sha256

Once packages.json and the .debs are there, nothing touches the network. A
.deb that has left the pool (a point release replaced it) makes the index be
read again. GENQEMU_BOOT_REFRESH=1 reads the index again anyway.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import os
import re
import tempfile
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"

# genqemu arch -> (Debian arch, the kernel flavour's metapackage, suite)
DEBIAN_ARCH = {
    "amd64": ("amd64", "linux-image-amd64", SUITE),
    "arm64": ("arm64", "linux-image-arm64", SUITE),
    "ppc64le": ("ppc64el", "linux-image-powerpc64le", SUITE),
    "riscv64": ("riscv64", "linux-image-riscv64", "trixie"),
    "s390x": ("s390x", "linux-image-s390x", SUITE),
}


class DownloadError(Exception):
    """The archive could not be reached, or gave something other than expected."""


@dataclass(frozen=True)
class Package:
    """One binary package in the pool."""

    name: str
    version: str
    filename: str  # pool path, relative to the mirror
    sha256: str
    size: int

    @property
    def deb_name(self) -> str:
        return Path(self.filename).name


def cache_root() -> Path:
    override = os.environ.get("GENQEMU_BOOT_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "genqemu-boot"


def mirror() -> str:
    """GENQEMU_DEBIAN_MIRROR, else apt's bookworm source, else deb.debian.org."""
    override = os.environ.get("GENQEMU_DEBIAN_MIRROR")
    if override:
        return override.rstrip("/")
    return apt_mirror(Path("/etc/apt")) or DEFAULT_MIRROR


def apt_mirror(etc_apt: Path) -> str | None:
    """The URI of the first apt source (one-line or deb822) that serves bookworm's binaries."""
    one_line = [etc_apt / "sources.list", *sorted((etc_apt / "sources.list.d").glob("*.list"))]
    for path in one_line:
        for line in _read(path).splitlines():
            match = re.match(r"\s*deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", line)
            if match and match.group(2) == SUITE:
                return match.group(1).rstrip("/")
    for path in sorted((etc_apt / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", _read(path)):
            fields = _fields(stanza)
            if (
                "deb" in fields.get("types", "").split()
                and SUITE in fields.get("suites", "").split()
            ):
                uris = fields.get("uris", "").split()
                if uris:
                    return uris[0].rstrip("/")
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _fields(stanza: str) -> dict[str, str]:
    """A deb822 stanza's fields, lower-cased names, comments and continuations handled."""
    fields: dict[str, str] = {}
    name = None
    for line in stanza.splitlines():
        if line.startswith("#"):
            continue
        if line[:1] in (" ", "\t") and name:
            fields[name] += " " + line.strip()
        elif ":" in line:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            fields[name] = value.strip()
    return fields


def _fetch(url: str, *, timeout: float = 120.0) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data: bytes = response.read()
            return data
    except (urllib.error.URLError, OSError) as error:
        raise DownloadError(f"{url}: {error}") from None


def parse_packages(text: str, wanted: set[str]) -> dict[str, dict[str, str]]:
    """The stanzas of a Packages index whose Package is in `wanted`."""
    found = {}
    for stanza in text.split("\n\n"):
        if not stanza.startswith("Package: "):
            continue
        name = stanza[len("Package: ") : stanza.index("\n")] if "\n" in stanza else ""
        if name in wanted:
            found[name] = _fields(stanza)
    return found


def read_index(suite: str, debian_arch: str) -> tuple[str, str]:
    """(its URL, its text): the suite's Packages index of main for `debian_arch`."""
    url = f"{mirror()}/dists/{suite}/main/binary-{debian_arch}/Packages.xz"
    return url, lzma.decompress(_fetch(url)).decode("utf-8", errors="replace")


def package(fields: dict[str, str], name: str) -> Package:
    return Package(
        name, fields["version"], fields["filename"], fields["sha256"], int(fields["size"])
    )


def resolve(arch: str) -> tuple[Package, Package]:
    """Read the arch's Packages index: (kernel image package, busybox-static)."""
    if arch not in DEBIAN_ARCH:
        raise DownloadError(f"no Debian kernel known for {arch}: add it to DEBIAN_ARCH")
    debian_arch, meta, suite = DEBIAN_ARCH[arch]
    url, text = read_index(suite, debian_arch)
    first = parse_packages(text, {meta, "busybox-static"})
    if meta not in first or "busybox-static" not in first:
        raise DownloadError(f"{url}: no {meta} or busybox-static")
    # The metapackage depends on exactly one image: linux-image-6.1.0-N-FLAVOUR (= version).
    match = re.search(r"(linux-image-[^\s,(]+)", first[meta]["depends"])
    if not match:
        raise DownloadError(f"{url}: {meta} depends on no linux-image")
    image = match.group(1)
    kernel = parse_packages(text, {image}).get(image)
    if kernel is None:
        raise DownloadError(f"{url}: {meta} depends on {image}, which is not there")
    return package(kernel, image), package(first["busybox-static"], "busybox-static")


def packages(arch: str) -> tuple[Package, Package]:
    """The arch's (kernel, busybox) packages: from the cache, else from the index."""
    record = cache_root() / arch / "packages.json"
    if record.exists() and os.environ.get("GENQEMU_BOOT_REFRESH") != "1":
        data = json.loads(record.read_text())
        return Package(**data["kernel"]), Package(**data["busybox"])
    kernel, busybox = resolve(arch)
    record.parent.mkdir(parents=True, exist_ok=True)
    write(record, json.dumps({"kernel": asdict(kernel), "busybox": asdict(busybox)}, indent=2))
    return kernel, busybox


def deb(package: Package) -> Path:
    """The package's .deb in the cache, downloaded and checked against its SHA256 if missing."""
    path = cache_root() / "debs" / package.deb_name
    if path.exists():
        return path
    data = _fetch(f"{mirror()}/{package.filename}", timeout=600)
    digest = hashlib.sha256(data).hexdigest()
    if digest != package.sha256:
        raise DownloadError(f"{package.filename}: sha256 {digest}, the index says {package.sha256}")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes(path, data)
    return path


def debs(arch: str) -> tuple[Package, Path, Package, Path]:
    """(kernel, its .deb, busybox, its .deb) for the arch, downloaded once.

    When a cached choice names a .deb that has left the pool, the index is read again.
    """
    kernel, busybox = packages(arch)
    try:
        return kernel, deb(kernel), busybox, deb(busybox)
    except DownloadError:
        if os.environ.get("GENQEMU_BOOT_REFRESH") == "1":
            raise
        (cache_root() / arch / "packages.json").unlink(missing_ok=True)
        kernel, busybox = packages(arch)
        return kernel, deb(kernel), busybox, deb(busybox)


def write(path: Path, text: str) -> None:
    write_bytes(path, text.encode())


def write_bytes(path: Path, data: bytes) -> None:
    """All at once: a temp file beside `path`, then a rename (parallel runs are safe)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)
    Path(temp).replace(path)
