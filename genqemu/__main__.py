"""`python -m genqemu`."""

from genqemu.cli import main

main()
