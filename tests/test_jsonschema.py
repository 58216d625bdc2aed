"""The JSON Schema `genqemu schema` prints: valid, and it agrees with the examples."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from conftest import EXAMPLE_CASES, REPO, example_path
from typer.testing import CliRunner

from genqemu.cli import app
from genqemu.jsonschema import config_schema
from genqemu.tomlfile import read_toml

VALIDATOR = jsonschema.Draft202012Validator(config_schema())


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(config_schema())


@pytest.mark.parametrize("example", sorted({str(p.values[0]) for p in EXAMPLE_CASES}))
def test_every_example_passes(example: str) -> None:
    errors = [e.message for e in VALIDATOR.iter_errors(read_toml(example_path(str(example))))]
    assert errors == []


@pytest.mark.parametrize(
    "config",
    [
        {"nme": "typo"},
        {"memory": {"size": True}},
        {"memory": {"size": "2 gigs"}},
        {"device": [{"kind": "virtio-blok"}]},
        {"device": [{"kind": "virtio-blk"}]},  # file is required
        {"device": [{"kind": "vhost-vsock", "guest_cid": 2}]},
        {"device": [{"kind": "virtio-blk", "file": "/d", "format": "qcow3"}]},
        {"chardev": [{"id": "c", "backend": "socket"}]},  # path is required
        {"machine": {"accel": "kvm:"}},
        {
            "device": [
                {"kind": "virtio-9p", "path": "/s", "mount_tag": "t" * 32, "security_model": "none"}
            ]
        },
    ],
)
def test_invalid_configs_fail(config: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(config))


def test_the_committed_schema_file_is_current() -> None:
    committed = json.loads((REPO / "docs" / "config.schema.json").read_text())
    assert committed == config_schema(), (
        "docs/config.schema.json is stale: run `genqemu schema > docs/config.schema.json`"
    )


def test_schema_command_prints_the_config_schema() -> None:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == config_schema()
