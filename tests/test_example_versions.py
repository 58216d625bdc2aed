"""The per-version rule of the QEMU tests (conftest.runs_on): an example whose
config says qemu_version = "X" is started only on QEMUs X and newer, and every
other example on every QEMU version."""

from __future__ import annotations

from conftest import EXAMPLE_CASES, QEMU_VERSIONS, VERSION_CASES, example_needs, oldest_qemu

from genqemu.qemu_facts import version


def test_each_example_runs_on_the_versions_it_is_for_and_no_other() -> None:
    started = {(str(c.values[0]), str(c.values[1]), str(c.values[2])) for c in VERSION_CASES}
    gated = expected_cases = 0
    for case in EXAMPLE_CASES:
        example, arch = str(case.values[0]), str(case.values[1])
        needed = example_needs(example)
        gated += needed is not None
        for qemu in QEMU_VERSIONS:
            expected = needed is None or version(qemu) >= version(needed)
            assert ((qemu, example, arch) in started) == expected, (qemu, example, arch)
            expected_cases += expected
    # The rule is exercised: some examples are held back from the older QEMU,
    # and the rest still run on every version.
    assert 0 < gated < len(EXAMPLE_CASES)
    assert len(VERSION_CASES) == expected_cases > len(EXAMPLE_CASES)


def test_the_virtio_sound_example_starts_on_10_0_only() -> None:
    assert example_needs("amd64/sound") == "8.2"
    assert oldest_qemu("amd64/sound") == "10.0"
    assert oldest_qemu("amd64/desktop") == QEMU_VERSIONS[0] == "7.2"
