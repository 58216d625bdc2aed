# The two commands of the README, plus their parts.
#   make demo   set up a venv with genqemu's runtime dependencies and run it on a shipped example
#   make test   add the test tools, set up what the tests need (QEMU, Xvfb and dash
#               via apt-get), run them all
#   make bench  the performance benchmark (docs/performance.md); make test only checks
#               that it runs, on its smallest sizes
#   make man    write docs/genqemu.1 from the command line's own help

VENV ?= .venv
PYTHON ?= python3
# ipxe-qemu holds the NIC option ROMs (efi-virtio.rom) that virtio-net-pci loads.
# qemu-efi-aarch64 holds the UEFI firmware (AAVMF) the boot tests start
# examples that boot through flash with. ovmf is amd64's UEFI firmware (OVMF);
# it and qemu-efi-aarch64 also ship the Secure Boot test firmware ("snakeoil")
# and its key, with which sbsigntool (sbsign, sbattach) signs the kernel that
# tests/test_secure_boot.py boots. These give QEMU 7.2; the tests fetch
# QEMU 10.0 themselves (tests/support/qemu_debian.py), into their cache.
# swtpm (and swtpm-tools, its setup helpers) is the TPM the examples' [tpm]
# tables start: the launch runs it before QEMU.
# qemu-system-gui holds QEMU's gtk and sdl displays (ui-gtk.so, ui-sdl.so), whose
# windows tests/test_display_window.py opens on Xvfb (xvfb, with x11-xkb-utils for
# the xkbcomp it runs at start) and finds with xwininfo (x11-utils).
QEMU_PACKAGES = qemu-system-x86 qemu-system-misc qemu-system-ppc qemu-system-arm qemu-utils ipxe-qemu qemu-efi-aarch64 ovmf sbsigntool swtpm swtpm-tools qemu-system-gui xvfb x11-xkb-utils x11-utils
QEMU_BINARIES = qemu-system-x86_64 qemu-system-s390x qemu-system-ppc64 qemu-system-aarch64 qemu-system-riscv64 qemu-img
# (the shell expands the globs: one that matches nothing stays as it is, missing)
QEMU_FILES = /usr/share/AAVMF/AAVMF_CODE.fd /usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd /usr/bin/sbsign /usr/bin/swtpm \
	/usr/lib/*/qemu/ui-gtk.so /usr/lib/*/qemu/ui-sdl.so /usr/bin/Xvfb /usr/bin/xkbcomp /usr/bin/xwininfo

.PHONY: demo test python qemu shells check bench man

# genqemu needs Python 3.11 (pyproject.toml's requires-python): say so before
# pip does, in its own words.
python:
	@v=$$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])') || { \
		echo "genqemu needs Python 3.11 or newer, and $(PYTHON) did not start" >&2; exit 1; }; \
	case "$$v" in 3.1[1-9]|3.[2-9][0-9]) ;; *) \
		echo "genqemu needs Python 3.11 or newer; $(PYTHON) is Python $$v" \
			"(install python3.11 or newer and run: make PYTHON=python3.11 ...)" >&2; exit 1;; \
	esac

$(VENV)/bin/python: | python
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

# genqemu and its runtime dependencies (editable): enough for make demo.
$(VENV)/.runtime: pyproject.toml | python $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e .
	touch $@

# ... and the test tools (pytest, ruff, mypy, ...): make test.
$(VENV)/.installed: pyproject.toml | python $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.runtime

demo: python $(VENV)/.runtime
	$(VENV)/bin/genqemu --arch s390x examples/minimal.toml
	@echo "(that was $(VENV)/bin/genqemu; to have genqemu on your PATH, see \"Install\" in README.md)" >&2

# Installs the QEMU binaries (and firmware, and the X server their windows
# open on) the tests start, where any is missing.
qemu:
	@missing=""; for b in $(QEMU_BINARIES); do command -v $$b >/dev/null || missing="$$missing $$b"; done; \
	for f in $(QEMU_FILES); do [ -e $$f ] || missing="$$missing $$f"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing QEMU (missing:$$missing)"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $(QEMU_PACKAGES); \
	fi

# The property tests run every generated launch script under sh, dash and
# bash --posix (tests/support/shellrun.py); dash is required, bash is used if
# present.
shells:
	@command -v dash >/dev/null || { \
		echo "installing dash"; \
		sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends dash; \
	}

check: python $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: python $(VENV)/.installed qemu shells check
	$(VENV)/bin/pytest
	$(VENV)/bin/python benchmarks/run.py --quick

man: python $(VENV)/.runtime
	$(VENV)/bin/python -m genqemu.manpage > docs/genqemu.1

bench: $(VENV)/.installed
	$(VENV)/bin/python benchmarks/run.py
