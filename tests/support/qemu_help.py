"""What the installed QEMU binaries say they accept, asked once and cached."""

from __future__ import annotations

import re
import subprocess
from functools import cache

from .qmp import paused_qemu

_PROPERTY = re.compile(r"^\s+([\w.-]+)=<", re.MULTILINE)
_DRIVER = re.compile(r'^name "([^"]+)"', re.MULTILINE)
# Every -device takes these, though `-device DRIVER,help` does not list them.
GENERIC_DEVICE_KEYS = frozenset({"driver", "id", "bus"})


def _help(binary: str, *args: str) -> str:
    result = subprocess.run(
        [binary, *args], capture_output=True, text=True, timeout=60, check=False
    )
    return result.stdout + result.stderr


@cache
def device_drivers(binary: str) -> frozenset[str]:
    """Every -device driver name the binary has."""
    return frozenset(_DRIVER.findall(_help(binary, "-device", "help")))


@cache
def object_types(binary: str) -> frozenset[str]:
    """Every -object type the binary has."""
    text = _help(binary, "-object", "help")
    return frozenset(line.strip() for line in text.splitlines()[1:] if line.strip())


@cache
def device_properties(binary: str, driver: str) -> frozenset[str]:
    """The properties `-device DRIVER,help` lists."""
    return frozenset(_PROPERTY.findall(_help(binary, "-device", f"{driver},help")))


@cache
def object_properties(binary: str, qom_type: str) -> frozenset[str]:
    """The properties of an -object type, asked over QMP: `-object TYPE,help`
    lists class properties only and misses those added per instance (sev-guest)."""
    with paused_qemu([binary, "-nodefaults", "-machine", "none"]) as qmp:
        listed = qmp.execute("qom-list-properties", typename=qom_type)
    return frozenset(entry["name"] for entry in listed)


@cache
def netdev_members(binary: str, netdev_type: str) -> frozenset[str]:
    """The keys `-netdev TYPE,...` takes, from the QMP schema of netdev_add."""
    with paused_qemu([binary, "-nodefaults", "-machine", "none"]) as qmp:
        schema = {entry["name"]: entry for entry in qmp.execute("query-qmp-schema")}
    arguments = schema[schema["netdev_add"]["arg-type"]]
    members = {member["name"] for member in arguments["members"]}
    for variant in arguments["variants"]:
        if variant["case"] == netdev_type:
            members |= {member["name"] for member in schema[variant["type"]]["members"]}
            return frozenset(members)
    raise KeyError(f"{binary} has no netdev type {netdev_type!r}")


_INTS = ("int", "uint", "size")


def _json_kind(qemu_type: str) -> str:
    """The JSON kind of value a QEMU property or QAPI member type takes."""
    if qemu_type == "bool":
        return "bool"
    if qemu_type.startswith(_INTS) or qemu_type in ("number", "uint8", "uint16"):
        return "int"
    return "other"  # strings, enums such as OnOffAuto, links, lists


@cache
def device_property_kinds(binary: str, driver: str) -> dict[str, str]:
    """A -device driver's properties and the JSON kind each takes (QMP)."""
    with paused_qemu([binary, "-nodefaults", "-machine", "none"]) as qmp:
        listed = qmp.execute("device-list-properties", typename=driver)
    return {entry["name"]: _json_kind(entry["type"]) for entry in listed}


@cache
def object_property_kinds(binary: str, qom_type: str) -> dict[str, str]:
    """An -object type's properties and the JSON kind each takes (QMP)."""
    with paused_qemu([binary, "-nodefaults", "-machine", "none"]) as qmp:
        listed = qmp.execute("qom-list-properties", typename=qom_type)
    return {entry["name"]: _json_kind(entry["type"]) for entry in listed}


@cache
def netdev_member_kinds(binary: str, netdev_type: str) -> dict[str, str]:
    """A -netdev type's members and the JSON kind each takes (the QMP schema)."""
    with paused_qemu([binary, "-nodefaults", "-machine", "none"]) as qmp:
        schema = {entry["name"]: entry for entry in qmp.execute("query-qmp-schema")}
    arguments = schema[schema["netdev_add"]["arg-type"]]
    members = list(arguments["members"])
    for variant in arguments["variants"]:
        if variant["case"] == netdev_type:
            members += schema[variant["type"]]["members"]
    return {member["name"]: _json_kind(member["type"]) for member in members}
