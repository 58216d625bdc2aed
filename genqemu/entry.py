"""The `genqemu` console script and `python -m genqemu`: the CLI as a short process.

Besides running the CLI, it keeps Python's cyclic garbage collector from
doing work that cannot pay off in a process this short (measured on the
start-up benchmark, docs/performance.md):

- The collector is off for the whole command. A command builds one structure
  that lives until its output is written (or QEMU is exec'd), and reference
  counting frees the rest, so collections find almost nothing: they cost
  about 1 ms of a plain render and 1.4 us per device, and turning them off
  costs 5.5 MiB of peak memory at 10,000 devices (51 instead of 46 MiB).
- gc.freeze() when the command ends takes everything alive out of the full
  collections that the interpreter's shutdown runs (about 10 ms): nothing is
  left to collect then (output written, files closed; memory goes back to
  the system with the process).
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    """Console-script entry point."""
    gc.disable()
    try:
        from genqemu.cli import app_for

        app_for(sys.argv[1:])()
    finally:
        gc.freeze()
        gc.enable()
