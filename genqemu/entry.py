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

During the command itself the collector runs as usual.
"""

from __future__ import annotations

import gc


def main() -> None:
    """Console-script entry point."""
    gc.disable()
    try:
        from genqemu.cli import app
    finally:
        gc.freeze()
        gc.enable()
    try:
        app()
    finally:
        gc.freeze()
