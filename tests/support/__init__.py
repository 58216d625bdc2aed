"""What the tests use but do not test: QEMU's option readers, a QMP client, the
hostile-config generators and their oracle, the boot tests' kit."""
