"""The `genqemu` console script and `python -m genqemu`: the CLI as a short process.

Besides running the CLI, it keeps Python's cyclic garbage collector from
doing work that cannot pay off in a process this short (measured on the
start-up benchmark, docs/performance.md):

- Importing typer and the CLI only creates objects that live as long as the
  process, so the collector is off while they load (about 4 ms).
- gc.freeze() then takes those objects out of every later full collection,
  and again when the command ends: the interpreter's shutdown runs full
  collections over everything alive (about 10 ms), and nothing is left to
  collect then (output written, files closed; memory goes back to the
  system with the process).

- During the command the collector runs, but its youngest generation is
  collected every 10,000 allocations instead of 700: a command builds one
  structure that lives until its output is written, so those collections
  find almost nothing (10,000 devices peak at the same RSS with the
  collector off) and cost about 0.8 us per device.
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    """Console-script entry point."""
    gc.disable()
    try:
        from genqemu.cli import app_for
    finally:
        gc.freeze()
        gc.enable()
    gc.set_threshold(10_000, *gc.get_threshold()[1:])
    try:
        app_for(sys.argv[1:])()
    finally:
        gc.freeze()
