# The two commands of the README, plus their parts.
#   make demo   set up a venv and run genqemu on a shipped example
#   make test   set up everything the tests need (QEMU and dash via apt-get), run them all
#   make bench  the performance benchmark (docs/performance.md); make test runs its
#               smallest sizes as a smoke test, with no thresholds

VENV ?= .venv
# ipxe-qemu holds the NIC option ROMs (efi-virtio.rom) that virtio-net-pci loads.
# qemu-efi-aarch64 holds the UEFI firmware (AAVMF) the boot tests start
# examples that boot through flash with. These give QEMU 7.2; the tests fetch
# QEMU 10.0 themselves (tests/support/qemu_debian.py), into their cache.
QEMU_PACKAGES = qemu-system-x86 qemu-system-misc qemu-system-ppc qemu-system-arm qemu-utils ipxe-qemu qemu-efi-aarch64
QEMU_BINARIES = qemu-system-x86_64 qemu-system-s390x qemu-system-ppc64 qemu-system-aarch64 qemu-system-riscv64 qemu-img
QEMU_FILES = /usr/share/AAVMF/AAVMF_CODE.fd

.PHONY: demo test qemu shells check bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/genqemu --arch s390x examples/minimal.toml

# Installs the QEMU binaries (and firmware) the tests start, where any is missing.
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

check: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: $(VENV)/.installed qemu shells check
	$(VENV)/bin/pytest
	$(VENV)/bin/python benchmarks/run.py --quick

bench: $(VENV)/.installed
	$(VENV)/bin/python benchmarks/run.py
