"""genqemu: one declarative VM description, a correct QEMU command line per arch."""

__version__ = "0.1.0"
