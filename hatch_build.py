"""Wheel build step: ship the Jinja templates precompiled (see genqemu/templating.py).

A wheel gets genqemu/_templates/jinja-VERSION/, Jinja's compiled Python
module of every template, made by the Jinja the build runs with. At run
time the same Jinja version loads them as modules (pip has compiled them to
.pyc at install), so a run compiles no template and writes nothing. The
source templates ship too, for any other Jinja version. Editable installs
read the source tree and are left alone.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class PrecompileTemplates(BuildHookInterface):  # type: ignore[type-arg]
    """Adds the precompiled templates to a (non-editable) wheel."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        self.staging = Path(tempfile.mkdtemp(prefix="genqemu-templates-"))
        sys.path.insert(0, self.root)
        try:
            from genqemu.templating import PRECOMPILED, precompile

            compiled = precompile(self.staging)
        finally:
            sys.path.remove(self.root)
        build_data["force_include"][str(compiled)] = f"genqemu/{PRECOMPILED}/{compiled.name}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        staging = getattr(self, "staging", None)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
