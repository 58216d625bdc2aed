"""What boots: `[firmware]`, `pflash`, or the SEV firmware, resolved into flash drives.

For `[firmware] type = "uefi"` the firmware is chosen from QEMU's firmware
descriptors (genqemu/firmware.py) by arch, machine and features; the code is
attached read-only and the variable store read-write, copied from the
descriptor's template by the launch when it does not exist yet. What a
descriptor's features need from the machine (SMM for Secure Boot on q35) is
profile data (`[descriptor_features]`). A `pflash` image that is a
descriptor's shared file, written without `read_only`, is refused: every VM
would write into it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genqemu.schema import Problems

if TYPE_CHECKING:
    from genqemu.firmware import Descriptor
    from genqemu.flash import Firmware
    from genqemu.profiles import MachineProfile
    from genqemu.resolve import Vm
    from genqemu.settings import Settings


class FlashDrive:
    """One `-drive if=pflash` unit."""

    __slots__ = ("file", "format", "read_only")

    def __init__(self, file: str, read_only: bool, format: str = "raw") -> None:
        self.file = file
        self.read_only = read_only
        self.format = format


class FirmwareChoice:
    """What `[firmware]` resolved to: the descriptor (if any), why, and what it adds."""

    def __init__(self, config: Firmware) -> None:
        self.config = config
        self.descriptor: Descriptor | None = None
        self.passed_over: list[tuple[str, str]] = []  # (descriptor file, why not)
        self.vars: str | None = None
        self.template: str | None = None  # copied to vars when vars is missing
        self.machine_options: dict[str, Any] = {}
        self.machine_option_source = ""
        self.globals: list[tuple[str, str, Any]] = []  # (driver, property, value)


def resolve_flash(
    vm: Vm, machine: MachineProfile | None, settings: Settings, problems: Problems
) -> None:
    """Set vm.pflash, vm.firmware and vm.copies from the config."""
    config = vm.config
    sev_firmware: str | None = getattr(config.confidential, "firmware", None)
    firmware = config.firmware
    if firmware is None:
        images = [FlashDrive(i.file, i.read_only) for i in config.pflash]
        if any(not image.read_only for image in images):
            _refuse_shared_writable(config.pflash, settings, problems)
        vm.pflash = [FlashDrive(sev_firmware, True), *images] if sev_firmware else images
        return
    for name, given in (
        ("bios", config.bios is not None),
        ("pflash", bool(config.pflash)),
        ("confidential.firmware", sev_firmware is not None),
    ):
        if given:
            problems.add(
                name,
                f"[firmware] and {name} both say what the guest boots: keep [firmware] "
                f"and remove {name}"
                + (" (type = 'custom' takes your own code image)" if name != "bios" else ""),
            )
    choice = FirmwareChoice(firmware)
    vm.firmware = choice
    if firmware.type == "bios" or machine is None:
        return
    if firmware.type not in machine.firmware:
        builtin = machine.builtin_firmware
        problems.add(
            "firmware.type",
            f"machine {vm.machine_type} on {vm.arch} "
            + (
                f"always boots its built-in firmware ({builtin}), so there is no "
                f"{firmware.type} firmware for it: remove [firmware] or set type = 'bios'"
                if builtin
                else f"takes no {firmware.type} firmware: valid here: "
                + ", ".join(repr(t) for t in ("bios", *machine.firmware))
            ),
        )
        return
    if firmware.type == "custom":
        assert firmware.code is not None  # Firmware.validate
        code, code_format, template = firmware.code, "raw", firmware.vars_template
    else:
        chosen = _choose(vm, firmware, machine, settings, problems)
        if chosen is None:
            return
        choice.descriptor = chosen
        code, code_format, template = (
            chosen.executable,
            chosen.executable_format,
            chosen.nvram_template,
        )
        _feature_needs(vm, chosen, choice, problems)
        if template is None and firmware.vars is not None:
            problems.add(
                "firmware.vars",
                f"the chosen firmware ({chosen.name}) keeps no variable store: remove vars",
            )
            return
    vm.pflash = [FlashDrive(code, True, code_format)]
    if template is None and firmware.vars is None:
        return
    choice.vars = firmware.vars or _default_vars(vm.source, problems)
    choice.template = template
    formats = choice.descriptor.nvram_format if choice.descriptor else None
    vm.pflash.append(FlashDrive(choice.vars, False, formats or "raw"))
    if template is not None:
        vm.copies.append((template, choice.vars))


def _default_vars(source: str, problems: Problems) -> str:
    """CONFIG-STEM.vars.fd next to the config file (made absolute): one per VM."""
    if source.startswith("<"):
        problems.add(
            "firmware.vars",
            "the config is not read from a file, so there is no default place for the "
            "UEFI variable store: set vars to this VM's own file",
        )
        return ""
    config = Path(source).absolute()
    if not config.name:
        problems.add(
            "firmware.vars",
            f"the config path {source!r} names no file, so there is no default place "
            "for the UEFI variable store: set vars to this VM's own file",
        )
        return ""
    return str(config.with_name(config.stem + ".vars.fd"))


def versioned_machine(machine_type: str, machine: MachineProfile, qemu_version: str) -> str:
    """The machine type as firmware descriptors name it: q35 is pc-q35-X.Y for QEMU X.Y."""
    from fnmatch import fnmatchcase

    if not machine.match or any(fnmatchcase(machine_type, p) for p in machine.match):
        return machine_type
    return machine.match[0].replace("*", qemu_version)


def wanted_features(vm: Vm, firmware: Firmware) -> tuple[frozenset[str], frozenset[str]]:
    """(required, excluded) descriptor features for this VM."""
    required: set[str] = set()
    excluded: set[str] = set()
    for name, wanted in (
        ("secure-boot", firmware.secure_boot),
        ("enrolled-keys", firmware.wants_enrolled_keys),
    ):
        (required if wanted else excluded).add(name)
    if vm.confidential is not None:
        required.update(vm.confidential.config.descriptor_features())
    return frozenset(required), frozenset(excluded)


def _choose(
    vm: Vm, firmware: Firmware, machine: MachineProfile, settings: Settings, problems: Problems
) -> Descriptor | None:
    """The first descriptor that fits, or None with the problem recorded."""
    from genqemu.firmware import Wanted, no_match_message, read_descriptors, select

    if vm.profile.descriptor_arch is None:
        problems.add("firmware.type", f"the {vm.arch} profile names no descriptor_arch")
        return None
    required, excluded = wanted_features(vm, firmware)
    wanted = Wanted(
        architecture=vm.profile.descriptor_arch,
        machine=versioned_machine(vm.machine_type, machine, vm.qemu_version),
        interface="uefi",
        devices=("flash",),
        required=required,
        excluded=excluded,
    )
    descriptors, skipped = read_descriptors(settings.firmware_dirs)
    chosen, rejections = select(descriptors, wanted)
    if chosen is None:
        # One problem per line: every line of an error names the file and key.
        message = no_match_message(
            settings.firmware_dirs,
            descriptors,
            skipped,
            rejections,
            wanted,
            vm.profile.firmware_install or "",
        )
        for line in message.splitlines():
            problems.add("firmware", line.strip())
        return None
    assert vm.firmware is not None
    # For explain: the descriptors for this arch that lost, and why.
    for_arch = {d.name for d in descriptors if any(a == wanted.architecture for a, _ in d.targets)}
    vm.firmware.passed_over = [(name, why) for name, why in rejections if name in for_arch]
    return chosen


def _feature_needs(vm: Vm, chosen: Descriptor, choice: FirmwareChoice, problems: Problems) -> None:
    """The machine options and -global properties the descriptor's features need."""
    given: Mapping[str, Any] = vm.config.machine.options if vm.config.machine else {}
    for feature in sorted(chosen.features):
        needs = vm.profile.descriptor_features.get(feature)
        if needs is None:
            continue
        for name, value in needs.machine_options.items():
            if name in given and given[name] != value:
                problems.add(
                    f"machine.options.{name}",
                    f"the chosen firmware ({chosen.name}) has {feature}, which needs "
                    f"{name} = {value!r}: remove it from machine.options",
                )
            choice.machine_options[name] = value
        choice.globals += [
            (driver, prop, value)
            for driver, props in needs.globals.items()
            for prop, value in props.items()
        ]
        choice.machine_option_source += f"{', ' if choice.machine_option_source else ''}{feature}"
    if choice.machine_option_source:
        choice.machine_option_source = f"firmware {chosen.name}: {choice.machine_option_source}"


def _refuse_shared_writable(
    images: tuple[Any, ...], settings: Settings, problems: Problems
) -> None:
    """A pflash image that is a descriptor's code or template, attached read-write."""
    from genqemu.firmware import read_descriptors

    descriptors, _ = read_descriptors(settings.firmware_dirs)
    shared = {d.executable: (d.name, "code") for d in descriptors}
    shared.update({d.nvram_template: (d.name, "template") for d in descriptors if d.nvram_template})
    for index, image in enumerate(images):
        if image.read_only or image.file not in shared:
            continue
        name, role = shared[image.file]
        fix = (
            f'write {{ file = "{image.file}", read_only = true }}'
            if role == "code"
            else "copy it to this VM's own file and name that"
        )
        problems.add(
            f"pflash[{index}]",
            f"{image.file} is the shared firmware {role} of descriptor {name}, and a "
            f"plain path is attached read-write, so the VM would write into it: {fix}, "
            'or use [firmware] type = "uefi"',
        )
