"""`genqemu schema`: the JSON Schema of a config, for editors."""

from __future__ import annotations

import sys


def schema() -> None:
    """Print the JSON Schema of a config (for editors: see docs/editors.md)."""
    import json

    from genqemu.jsonschema import config_schema

    sys.stdout.write(json.dumps(config_schema(), indent=2) + "\n")
