"""docs/config.md is generated from the models: it must match them."""

from __future__ import annotations

from typing import Any

from conftest import REPO

from genqemu.config import Config
from genqemu.devices import DEVICE
from genqemu.reference import reference


def test_docs_config_md_is_up_to_date() -> None:
    committed = (REPO / "docs" / "config.md").read_text()
    assert committed == reference(), (
        "docs/config.md is stale: run `python -m genqemu.reference > docs/config.md`"
    )


def test_every_key_and_kind_is_documented() -> None:
    text = reference()
    for name in Config.fields:
        assert f"`{name}`" in text or f"## [{name}]" in text or f"## [[{name}]]" in text
    for kind, model in DEVICE.models.items():
        assert f'### kind = "{kind}"' in text
        for name in model.fields:
            assert f"`{name}`" in text


def _resolves(path: str) -> bool:
    """Whether a parity-table key path names a real key."""
    from genqemu.chardevs import CHARDEV
    from genqemu.config import CONFIDENTIAL, INCOMING
    from genqemu.netdevs import NETDEV
    from genqemu.schema import Model, Table, Tagged

    if ": " in path:
        family, key = path.split(": ")
        table, tag = family.split(" ")
        tagged: dict[str, Tagged[Any]] = {
            "device": DEVICE,
            "chardev": CHARDEV,
            "netdev": NETDEV,
            "confidential": CONFIDENTIAL,
            "incoming": INCOMING,
        }
        return key in tagged[table].models[tag].fields
    model: type[Model] = Config
    *tables, last = path.split(".")
    for name in tables:
        check = model.fields[name].check
        assert isinstance(check, Table)
        model = check.model
    return last in model.fields


def test_parity_table_names_real_keys() -> None:
    from genqemu.parity import GO_FIELDS

    assert len(GO_FIELDS) > 50
    for go, path, _ in GO_FIELDS:
        assert _resolves(path), (go, path)
