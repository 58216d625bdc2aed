"""docs/config.md is generated from the models: it must match them."""

from __future__ import annotations

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
