"""ATA disks (ide-hd), CD-ROMs and the ahci controller: which controller each
goes on, the ports and units allocated or checked, and what QEMU builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import qemu_binary
from support.iso import iso_image, iso_label
from support.qemuopts import parse_dict
from support.qmp import paused_qemu

from genqemu.build import build
from genqemu.errors import ConfigError
from genqemu.launch import plan
from genqemu.render import render


def disk(**keys: Any) -> dict[str, Any]:
    return {"kind": "ide-hd", "file": "/img/d.img", **keys}


def problems(raw: dict[str, Any], arch: str = "amd64") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as error:
        build(raw, arch)
    return error.value.problems


def devices(raw: dict[str, Any], arch: str = "amd64") -> list[dict[str, str | None]]:
    return [
        parse_dict(o[1], implied="driver") for o in render(build(raw, arch)) if o[0] == "-device"
    ]


def test_q35_fills_its_built_in_ahci_ports_in_order() -> None:
    raw = {
        "device": [
            disk(serial="S1", bootindex=2),
            {"kind": "cdrom", "file": "/img/a.iso", "bootindex": 1},
            disk(port=3),
            {"kind": "cdrom"},
        ]
    }
    options = render(build(raw, "amd64"))
    assert (
        "-blockdev",
        "driver=raw,node-name=drive-cd0,file.driver=file,file.filename=/img/a.iso,read-only=on",
    ) in options
    assert devices(raw) == [
        {
            "driver": "ide-hd",
            "id": "disk0",
            "bus": "ide.0",
            "drive": "drive-disk0",
            "serial": "S1",
            "bootindex": "2",
        },
        {"driver": "ide-cd", "id": "cd0", "bus": "ide.1", "drive": "drive-cd0", "bootindex": "1"},
        {"driver": "ide-hd", "id": "disk1", "bus": "ide.3", "drive": "drive-disk1"},
        {"driver": "ide-cd", "id": "cd1", "bus": "ide.2"},  # the empty tray: no drive
    ]
    # An empty tray has no -blockdev.
    assert [o[1].split(",")[1] for o in options if o[0] == "-blockdev"] == [
        "node-name=drive-disk0",
        "node-name=drive-cd0",
        "node-name=drive-disk1",
    ]


def test_pc_has_two_ide_channels_of_two_units() -> None:
    raw = {"machine": {"type": "pc"}, "device": [disk(port=1, unit=1), disk(), disk(), disk()]}
    assert [(d["bus"], d["unit"]) for d in devices(raw)] == [
        ("ide.1", "1"),
        ("ide.0", "0"),
        ("ide.0", "1"),
        ("ide.1", "0"),
    ]
    [(path, message)] = problems({**raw, "device": [*raw["device"], disk()]})
    assert path == "device[4]"
    assert message.startswith("every port of 'ide' is taken (4 devices): add a [[device]]")


def test_a_unit_the_config_gives_is_written_even_where_ports_take_one() -> None:
    """AHCI ports take one device: unit 0 is implied, but a `unit = 0` the
    config gives is written (a key that vanished would not say what was asked)."""
    raw = {"device": [disk(unit=0), {"kind": "cdrom", "port": 2}]}
    assert [(d["bus"], d.get("unit")) for d in devices(raw)] == [("ide.0", "0"), ("ide.2", None)]


def test_an_added_ahci_has_six_ports_on_any_pci_arch() -> None:
    raw = {
        "device": [
            {"kind": "ahci", "bus": "pcie.0", "addr": "0x5"},
            disk(port=5),
            {"kind": "cdrom", "controller": "ahci0"},
        ]
    }
    for arch in ("arm64", "riscv64", "ppc64le"):
        root = "pci.0" if arch == "ppc64le" else "pcie.0"
        raw["device"][0]["bus"] = root
        assert devices(raw, arch) == [
            {"driver": "ich9-ahci", "id": "ahci0", "bus": root, "addr": "0x5"},
            {"driver": "ide-hd", "id": "disk0", "bus": "ahci0.5", "drive": "drive-disk0"},
            {"driver": "ide-cd", "id": "cd0", "bus": "ahci0.0"},
        ]


def test_a_cdrom_goes_on_scsi_where_there_is_no_ata() -> None:
    raw = {
        "device": [
            {"kind": "virtio-scsi", "id": "s0"},
            {"kind": "cdrom", "file": "/img/a.iso", "serial": "CD1"},
        ]
    }
    assert devices(raw, "s390x")[1] == {
        "driver": "scsi-cd",
        "id": "cd0",
        "bus": "s0.0",
        "drive": "drive-cd0",
        "serial": "CD1",
    }
    # On q35 it goes on the built-in AHCI unless it names the SCSI controller.
    assert devices(raw)[1]["driver"] == "ide-cd"
    raw["device"][1]["controller"] = "s0"
    assert devices(raw)[1]["driver"] == "scsi-cd"


@pytest.mark.parametrize(
    ("raw", "arch", "expected"),
    [
        (
            {"device": [{"kind": "cdrom"}]},
            "arm64",
            [
                (
                    "device[0].controller",
                    "cdrom needs an ahci or virtio-scsi: add a [[device]] with kind = "
                    "'virtio-scsi' (this machine has no built-in ATA controller)",
                )
            ],
        ),
        (
            {"device": [disk(), {"kind": "ahci"}, {"kind": "ahci"}]},
            "riscv64",
            [
                (
                    "device[0].controller",
                    "ide-hd needs an ahci: there are several (ahci0, ahci1): say which "
                    "in controller",
                )
            ],
        ),
        (
            {"device": [disk(port=6)]},
            "amd64",
            [("device[0].port", "'ide' has ports 0 to 5, got 6: choose one of them")],
        ),
        (
            {"device": [disk(unit=1)]},
            "amd64",
            [
                (
                    "device[0].unit",
                    "the ports of 'ide' take one device each (unit 0), got 1: remove unit",
                )
            ],
        ),
        (
            {"device": [disk(port=2), {"kind": "cdrom", "port": 2}]},
            "amd64",
            [
                (
                    "device[1].port",
                    "port 2 of 'ide' is already used by device[0]: choose another, or "
                    "leave port out for the first free one",
                )
            ],
        ),
        (
            {"device": [{"kind": "virtio-scsi"}, {"kind": "cdrom", "port": 1}]},
            "s390x",
            [("device[1].port", "applies on an ATA controller, and 'scsi0' is SCSI: remove port")],
        ),
        (
            {"device": [{"kind": "virtio-scsi"}, disk(controller="scsi0")]},
            "amd64",
            [("device[1].controller", "'scsi0' is a virtio-scsi (device[0]), not an ahci")],
        ),
        (
            {"device": [{"kind": "cdrom", "read_only": False}]},
            "amd64",
            [
                (
                    "device[0].read_only",
                    "a CD-ROM is read-only: remove read_only, or use a disk kind "
                    "(virtio-blk, scsi-hd, ide-hd) for a writable image",
                )
            ],
        ),
        (
            {"device": [disk(read_only=True)]},
            "amd64",
            [
                (
                    "device[0].read_only",
                    "an ATA disk cannot be read-only (QEMU refuses it): use kind = 'cdrom' "
                    "for a read-only image, or a virtio-blk or scsi-hd disk",
                )
            ],
        ),
        (
            {"device": [{"kind": "cdrom", "cache": "none"}]},
            "amd64",
            [
                (
                    "device[0].cache",
                    "applies to the medium, and the tray is empty: set file, or remove cache",
                )
            ],
        ),
        (
            {"device": [{"kind": "cdrom", "backend_id": "cd"}]},
            "amd64",
            [
                (
                    "device[0].backend_id",
                    "applies to the medium, and the tray is empty: set file, or remove backend_id",
                )
            ],
        ),
    ],
)
def test_refused(raw: dict[str, Any], arch: str, expected: list[tuple[str, str]]) -> None:
    assert problems(raw, arch) == expected


def test_where_ata_does_not_exist() -> None:
    assert problems({"device": [disk()]}, "s390x") == [
        (
            "device[0].kind",
            "ide-hd does not exist on s390x; it exists on amd64, arm64, ppc64le, riscv64",
        )
    ]
    [(path, message)] = problems({"machine": {"type": "microvm"}, "device": [disk()]})
    assert path == "device[0].kind" and "microvm" in message


def test_the_test_iso_carries_its_label(tmp_path: Path) -> None:
    image = tmp_path / "a.iso"
    image.write_bytes(iso_image("GENQEMU_CD7"))
    assert iso_label(str(image)) == "GENQEMU_CD7"
    assert image.read_bytes()[0x8001:0x8006] == b"CD001"


@pytest.mark.qemu
def test_ide_disks_and_cdroms_start_on_pc(tmp_path: Path) -> None:
    """The examples start them on q35, virt and pseries; pc has PIIX IDE with units."""
    (tmp_path / "d.img").write_bytes(bytes(1 << 20))
    (tmp_path / "a.iso").write_bytes(iso_image("A"))
    raw = {
        "machine": {"type": "pc", "accel": "tcg"},
        "device": [
            disk(file=str(tmp_path / "d.img"), serial="S1"),
            {"kind": "cdrom", "file": str(tmp_path / "a.iso"), "bootindex": 1},
            {"kind": "cdrom", "port": 1, "unit": 1},
        ],
    }
    vm = build(raw, "amd64")
    with paused_qemu([qemu_binary(vm.binary), *plan(vm).argv[1:]]) as qmp:
        found = qmp.devices()
    assert found == {"disk0": "ide-hd", "cd0": "ide-cd", "cd1": "ide-cd"}


def test_import_types_ata_disks_and_both_cdrom_drivers() -> None:
    """ide-cd and scsi-cd both become a cdrom; bus=NAME.N becomes controller and
    port (the machine's built-in controller left out), an empty tray stays empty."""
    from genqemu.importer import import_text

    result = import_text(
        "qemu-system-x86_64 -M q35 "
        "-blockdev driver=raw,node-name=d0,file.driver=file,file.filename=/i/d.img "
        "-device ide-hd,drive=d0,bus=ide.4,serial=S1 "
        "-device ich9-ahci,id=sata1 -device ide-cd,id=cd0,bus=sata1.3 "
        "-device virtio-scsi-pci,id=scsi0 "
        "-blockdev driver=raw,node-name=c1,file.driver=file,file.filename=/i/a.iso,read-only=on "
        "-device scsi-cd,drive=c1,bus=scsi0.0"
    )
    assert result.passthrough == []
    devices = [{k: v for k, v in d.items() if k != "backend_id"} for d in result.config["device"]]
    assert devices == [
        {"kind": "ide-hd", "file": "/i/d.img", "serial": "S1", "port": 4},
        {"kind": "ahci", "id": "sata1"},
        {"kind": "cdrom", "controller": "sata1", "port": 3},
        {"kind": "virtio-scsi", "id": "scsi0"},
        {"kind": "cdrom", "file": "/i/a.iso", "read_only": True, "controller": "scsi0"},
    ]


def test_pseries_vscsi_takes_scsi_disks_and_cdroms() -> None:
    raw = {
        "device": [
            {"kind": "spapr-vscsi"},
            {"kind": "scsi-hd", "file": "/i/d.img"},
            {"kind": "cdrom", "file": "/i/a.iso"},
        ]
    }
    assert devices(raw, "ppc64le") == [
        {"driver": "spapr-vscsi", "id": "vscsi0"},
        {"driver": "scsi-hd", "id": "disk0", "bus": "vscsi0.0", "drive": "drive-disk0"},
        {"driver": "scsi-cd", "id": "cd0", "bus": "vscsi0.0", "drive": "drive-cd0"},
    ]
    assert problems(raw, "amd64")[0] == (
        "device[0].kind",
        "spapr-vscsi does not exist on amd64; it exists on ppc64le",
    )


@pytest.mark.qemu
def test_scsi_cdroms_start_on_pseries_vscsi(tmp_path: Path) -> None:
    (tmp_path / "d.img").write_bytes(bytes(1 << 20))
    (tmp_path / "a.iso").write_bytes(iso_image("A"))
    raw = {
        "machine": {"accel": "tcg"},
        "device": [
            {"kind": "spapr-vscsi"},
            {"kind": "scsi-hd", "file": str(tmp_path / "d.img")},
            {"kind": "cdrom", "file": str(tmp_path / "a.iso")},
            {"kind": "cdrom"},
        ],
    }
    vm = build(raw, "ppc64le")
    with paused_qemu([qemu_binary(vm.binary), *plan(vm).argv[1:]]) as qmp:
        found = qmp.devices()
    assert found == {
        "vscsi0": "spapr-vscsi",
        "disk0": "scsi-hd",
        "cd0": "scsi-cd",
        "cd1": "scsi-cd",
    }
