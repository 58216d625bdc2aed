"""The kind -> module index: current, and a run imports only the kinds and
optional tables its config names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from genqemu.devices import DEVICE, catalog, in_use
from genqemu.devices.kinds import KINDS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

PROBE = """
import contextlib, io, sys
sys.argv = ["genqemu", "--arch", "s390x", sys.argv[1], "-o", "/dev/null"]
from genqemu.entry import main
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
print(" ".join(sorted(m for m in sys.modules if m.startswith("genqemu."))))
"""
# The modules of optional top-level tables and their resolution steps.
OPTIONAL = {
    "genqemu.confidential",
    "genqemu.display",
    "genqemu.firmware_resolve",
    "genqemu.monitor",
    "genqemu.numa",
    "genqemu.process",
    "genqemu.runtime",
    "genqemu.smbios",
    "genqemu.tpm",
}


def modules_of_a_run(config: Path) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(config)], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def device_modules_of_a_run(config: Path) -> set[str]:
    return {
        name.rpartition(".")[2]
        for name in modules_of_a_run(config)
        if name.startswith("genqemu.devices.")
    }


def test_the_index_is_what_the_classes_say() -> None:
    """A kind added without `python -m genqemu.devices.catalog` fails here."""
    text = Path(catalog.__file__).with_name("kinds.py").read_text()
    assert text == catalog.index_text(), "run: python -m genqemu.devices.catalog"


def test_every_kind_in_the_index_loads_its_own_class() -> None:
    for kind, module in KINDS.items():
        model = DEVICE.model(kind)
        assert model is not None and model.kind == kind
        assert model.__module__ == f"genqemu.devices.{module}"
    assert set(DEVICE.models) == set(KINDS)


def test_a_run_imports_the_modules_of_its_kinds_only() -> None:
    # minimal.toml: virtio-blk (storage, which reads backing), virtio-net (network),
    # virtio-serial and virtconsole (console).
    assert device_modules_of_a_run(EXAMPLES / "minimal.toml") == {
        "base",
        "kinds",
        "backing",
        "storage",
        "network",
        "console",
    }


def test_a_config_loads_the_module_of_the_kind_it_names(tmp_path: Path) -> None:
    config = tmp_path / "gpu.toml"
    config.write_text('[[device]]\nkind = "virtio-gpu"\n')
    assert device_modules_of_a_run(config) == {"base", "kinds", "graphics"}


def test_in_use_is_true_once_a_kind_of_the_module_is_loaded() -> None:
    DEVICE.model("usb-tablet")
    assert in_use("usb")
    assert not in_use("no-such-module")


def test_a_run_imports_the_modules_of_its_optional_tables_only(tmp_path: Path) -> None:
    assert not OPTIONAL & modules_of_a_run(EXAMPLES / "minimal.toml")
    config = tmp_path / "tables.toml"
    config.write_text('[display]\ntype = "vnc"\nunix = "/run/vm.vnc"\n[rtc]\nbase = "utc"\n')
    assert OPTIONAL & modules_of_a_run(config) == {"genqemu.display", "genqemu.runtime"}
