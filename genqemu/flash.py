"""Boot firmware as the config states it: the `[firmware]` table and `pflash` images.

Models only; genqemu/firmware_resolve.py turns them into flash drives, and
genqemu/firmware.py reads QEMU's firmware descriptors.
"""

from __future__ import annotations

from genqemu.checks import PATH
from genqemu.schema import INVALID, Check, Invalid, Model, Problems, Table, key
from genqemu.values import Boolean, Text


class Firmware(Model):
    """`[firmware]`: the firmware the guest boots through. For `uefi`, genqemu picks
    it from QEMU's firmware descriptors (`--firmware-dir`, else the host's); the
    code is attached read-only, the variable store read-write, created from the
    firmware's template by the launch script when it does not exist yet."""

    type: str = key(
        Text(choices=("uefi", "bios", "custom")),
        doc="uefi: chosen from the firmware descriptors; bios: the machine's default "
        "firmware (nothing emitted); custom: the code and vars_template given here",
    )
    secure_boot: bool = key(
        Boolean(), default=False, doc="UEFI Secure Boot (a descriptor with secure-boot)"
    )
    enrolled_keys: bool | None = key(
        Boolean(),
        default=None,
        doc="keys pre-enrolled, so Secure Boot is enforced from the first boot (a "
        "descriptor with enrolled-keys); default: the value of secure_boot",
    )
    vars: str | None = key(
        PATH,
        default=None,
        doc="this VM's UEFI variable store, copied from the firmware's template when "
        "missing; default: next to the config file, CONFIG-STEM.vars.fd",
    )
    code: str | None = key(
        PATH, default=None, doc="type custom: the firmware code image, attached read-only"
    )
    vars_template: str | None = key(
        PATH,
        default=None,
        doc="type custom: the variable store template that vars is copied from",
    )

    def validate(self, problems: Problems) -> None:
        here = self.toml_path
        if self.type != "custom":
            for name in ("code", "vars_template"):
                if getattr(self, name) is not None:
                    problems.add(
                        f"{here}.{name}",
                        f'only type = "custom" takes {name}; type = {self.type!r} '
                        + (
                            "finds the firmware in QEMU's firmware descriptors"
                            if self.type == "uefi"
                            else "boots the machine's default firmware"
                        ),
                    )
        elif self.code is None:
            problems.add(f"{here}.code", 'type = "custom" needs the firmware code image: set code')
        if self.type != "uefi":
            for name in ("secure_boot", "enrolled_keys"):
                if getattr(self, name):
                    problems.add(
                        f"{here}.{name}",
                        f'only type = "uefi" chooses firmware by its features; with type = '
                        f"{self.type!r} genqemu cannot know them: remove {name}"
                        + (
                            " (and set what the firmware needs, such as smm, in machine.options)"
                            if self.type == "custom"
                            else ""
                        ),
                    )
        if self.type == "bios" and self.vars is not None:
            problems.add(
                f"{here}.vars",
                'type = "bios" has no variable store: remove vars, or use type = "uefi"',
            )
        if self.enrolled_keys and not self.secure_boot:
            problems.add(
                f"{here}.enrolled_keys",
                "enrolled keys are Secure Boot keys: set secure_boot = true as well, "
                "or remove enrolled_keys",
            )

    @property
    def wants_enrolled_keys(self) -> bool:
        """Secure Boot is enforced only with keys enrolled: that is the default."""
        return self.secure_boot if self.enrolled_keys is None else self.enrolled_keys


class FlashImage(Model):
    """A `pflash` image written as a table, to attach it read-only."""

    file: str = key(PATH, doc="the image file")
    read_only: bool = key(
        Boolean(),
        default=False,
        doc="attach it read-only (firmware code that every VM shares)",
    )


class PathOrImage(Check[FlashImage]):
    """A `pflash` entry: a path (read-write, as govmm wrote it) or a FlashImage table."""

    type_name = "path or table"

    def __init__(self) -> None:
        self.table = Table(FlashImage)

    def __call__(self, value: object, path: str, problems: Problems) -> FlashImage | Invalid:
        if isinstance(value, str):
            checked = PATH(value, path, problems)
            return (
                checked
                if isinstance(checked, Invalid)
                else self.table({"file": checked}, path, problems)
            )
        if isinstance(value, dict):
            return self.table(value, path, problems)
        self.wrong_type(value, path, problems)
        return INVALID
