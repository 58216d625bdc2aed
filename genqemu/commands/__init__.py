"""The commands of the command line, one module each; genqemu/cli.py registers them.

options.py holds what several commands share: option types, the user's
settings, error handling. Each command imports its heavy modules inside its
body, so `--help` loads only these small modules and typer.
"""
