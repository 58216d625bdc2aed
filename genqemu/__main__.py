"""`python -m genqemu`."""

from genqemu.entry import main

main()
