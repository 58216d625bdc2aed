"""The tables of genqemu/qemu_facts.py, which the templates and the importer share,
agree with the config models they spell."""

from __future__ import annotations

from genqemu.config import CONFIDENTIAL
from genqemu.qemu_facts import CONFIDENTIAL_PROPERTIES


def test_every_confidential_key_is_an_object_property() -> None:
    assert set(CONFIDENTIAL_PROPERTIES) == set(CONFIDENTIAL.models)
    for kind, model in CONFIDENTIAL.models.items():
        keys = set(model.fields) - {"id", "firmware"}  # firmware is a flash drive, not a property
        assert {p.replace("-", "_") for p in CONFIDENTIAL_PROPERTIES[kind]} == keys, kind
