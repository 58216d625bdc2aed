"""genqemu import, piece by piece: sh, QEMU's syntax, long forms, order, TOML, naming.

Plus two checks against the outside world: QEMU's option table against the
real binary, and random command lines that must round-trip or be refused.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from typing import Any

import pytest
import tomli
from conftest import qemu_binary
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.argv_equivalence import differences
from test_import import round_trips_or_is_refused

from genqemu.build import build
from genqemu.errors import GenqemuError
from genqemu.importer import import_text
from genqemu.importer.canon import Context, canonical, expand
from genqemu.importer.shell import parse_script
from genqemu.importer.syntax import parse_cpu, parse_json, parse_qemuopts, split_options
from genqemu.importer.tomlwrite import to_toml
from genqemu.launch import plan
from genqemu.profiles import load_profile
from genqemu.qemu_options import FLAGS, WITH_ARGUMENT
from genqemu.tomlfile import HexInt

# --- sh ----------------------------------------------------------------------


def words(script: str) -> list[list[str]]:
    return [[w.text for w in c.words] for c in parse_script(script)]


def test_sh_quotes_continuations_comments_and_separators() -> None:
    script = (
        "# a comment 'with a quote\n"
        "a 'b c'\"d\"e\\ f \\\n  g # trailing\n"
        "x; y && z | w\n"
        'q "a\\"b\\$c" \'\\n\' #not\n'
    )
    assert words(script) == [
        ["a", "b cde f", "g"],
        ["x"],
        ["y"],
        ["z"],
        ["w"],
        ["q", 'a"b$c', "\\n"],
    ]


def test_sh_variables_set_once_are_substituted_others_reported() -> None:
    commands = parse_script(
        'A=/x\nexport B="$A y"\nC=1 run $A "$B" "$C" ${A}z\ncat <<EOF\n$D\nEOF\nrun "$@" $@\n'
    )
    run = commands[2]
    assert [w.text for w in run.words] == ["C=1", "run", "/x", "/x y", "", "/xz"]
    assert run.words[4].problems == [
        "line 3: $C is not set by the script (it comes from the environment): "
        "write its value instead"
    ]
    assert [w.caller_args for w in commands[-1].words] == [False, True, True]
    assert [c.words[0].text for c in commands] == ["A=/x", "export", "C=1", "cat", "run"]


def test_sh_redirections_record_fds() -> None:
    [command] = parse_script("exec 3<>/dev/tap3 4</m 2>&1 >log\n")
    assert [(r.fd, r.op, r.target) for r in command.redirects] == [
        (3, "<>", "/dev/tap3"),
        (4, "<", "/m"),
        (2, ">&", "1"),
        (None, ">", "log"),
    ]


# --- QEMU's syntax ------------------------------------------------------------


def test_qemuopts_escapes_implied_keys_and_flags() -> None:
    assert parse_qemuopts("virtio-blk-pci,serial=a,,b,=c,readonly,noshare,x=y=z", "driver") == [
        ("driver", "virtio-blk-pci"),
        ("serial", "a,b"),
        ("", "c"),
        ("readonly", "on"),
        ("share", "off"),
        ("x", "y=z"),
    ]
    assert parse_qemuopts("path=/a,,b", "backend") == [("path", "/a,b")]
    assert parse_qemuopts("1G", "size") == [("size", "1G")]


def test_json_syntax_flattens_like_keyval() -> None:
    text = '{"driver":"qcow2","file":{"driver":"file","filename":"/a"},"read-only":true,"n":4}'
    assert parse_json(text, "-blockdev") == [
        ("driver", "qcow2"),
        ("file.driver", "file"),
        ("file.filename", "/a"),
        ("read-only", "on"),
        ("n", "4"),
    ]


def test_cpu_features_in_every_spelling() -> None:
    assert parse_cpu("host,+x2apic,-svm,pmu=off,kvm") == [
        ("model", "host"),
        ("x2apic", "on"),
        ("svm", "off"),
        ("pmu", "off"),
        ("kvm", "on"),
    ]


def test_options_split_with_double_dashes_and_images() -> None:
    options = split_options(["--m", "1G", "disk.img", "-S", "-device", "{}"])
    assert [(o.name, o.words) for o in options] == [
        ("m", ["--m", "1G"]),
        ("", ["disk.img"]),
        ("S", ["-S"]),
        ("device", ["-device", "{}"]),
    ]


# --- long forms ---------------------------------------------------------------


def pieces(argv: list[str], suffix: str = "-pci") -> list[tuple[str, Any]]:
    return [
        canonical(p, frozenset({"d0", "n0"})) for p in expand(split_options(argv), Context(suffix))
    ]


def test_short_forms_read_as_their_long_forms() -> None:
    drive = "file=/a,if=virtio,format=raw,cache=none"
    short = pieces(
        [
            *("-M", "q35", "-enable-kvm", "-m", "1024", "-drive", drive),
            *("-qmp", "unix:/q,server,nowait", "-serial", "stdio", "-global", "d.p=v"),
        ]
    )
    node = "driver=raw,node-name=x,file.driver=file,file.filename=/a"
    cache = "cache.direct=on,cache.no-flush=off"
    chardev = "socket,id=q,path=/q,server=on,wait=off"
    long = pieces(
        [
            *("-machine", "type=q35,accel=kvm", "-m", "size=1G", "-blockdev", f"{node},{cache}"),
            *("-device", "virtio-blk-pci,drive=x,write-cache=on"),
            *("-chardev", chardev, "-mon", "chardev=q,mode=control"),
            *("-chardev", "stdio,id=s", "-serial", "chardev:s"),
            *("-global", "driver=d,property=p,value=v"),
        ]
    )
    assert sorted(short) == sorted(long)


def test_virtio_short_forms_follow_the_arch() -> None:
    assert ("driver", "virtio-net-ccw") in dict(pieces(["-nic", "user,model=virtio"], "-ccw"))[
        "device"
    ]
    assert ("driver", "virtio-blk-ccw") in dict(pieces(["-device", "virtio-blk"], "-ccw"))["device"]
    assert ("driver", "virtio-9p-pci") in dict(
        pieces(["-virtfs", "local,path=/a,mount_tag=t"], "-ccw")
    )["device"]


def test_values_compare_by_meaning() -> None:
    assert pieces(["-device", "x,addr=0x1.0x2,bootindex=0x10,on=yes"]) == pieces(
        ["-device", '{"driver":"x","addr":"1.2","bootindex":16,"on":true}']
    )
    assert pieces(["-m", "1024"]) == pieces(["-m", "size=1048576k"])
    assert pieces(["-device", "x,drive=d0,netdev=other"]) == pieces(
        ["-device", "x,drive=d0,netdev=gen9"]
    )
    assert pieces(["-device", "x,drive=d0"]) != pieces(["-device", "x,drive=d1"])


# --- what is typed ------------------------------------------------------------


def typed(text: str, arch: str | None = None) -> dict[str, Any]:
    return import_text(text, arch).config


def test_backend_ids_given_are_kept_allocated_ones_left_out() -> None:
    config = typed(
        "qemu-system-x86_64 -netdev user,id=n1 -device virtio-net-pci,netdev=n1,id=net0 "
        "-netdev user,id=netdev-net1 -device virtio-net-pci,netdev=netdev-net1,id=net1"
    )
    assert [d.get("backend_id") for d in config["device"]] == ["n1", None]
    assert [d.get("id") for d in config["device"]] == [None, None]


def test_a_device_after_an_untyped_one_without_an_address_is_not_typed() -> None:
    base = "qemu-system-x86_64 -device usb-ehci -device virtio-rng-pci"
    assert "device" not in typed(base)
    assert typed(base + ",addr=0x5")["device"] == [{"kind": "virtio-rng", "addr": "0x5"}]
    json_first = (
        'qemu-system-x86_64 -device \'{"driver":"virtio-rng-pci"}\' -device virtio-rng-pci,id=r'
    )
    assert len(typed(json_first)["device"]) == 2  # QemuOpts devices are created first anyway


def test_ids_used_by_extra_args_are_not_allocated_again() -> None:
    config = typed("qemu-system-x86_64 -device virtio-rng-pci -device usb-ehci,id=rng0")
    assert config["device"] == [{"kind": "virtio-rng", "id": "rng1"}]


def test_a_port_without_a_bus_is_typed_only_when_there_is_one_controller() -> None:
    one = (
        "qemu-system-x86_64 -device virtio-serial-pci -chardev pty,id=c "
        "-device virtconsole,chardev=c"
    )
    assert [d["kind"] for d in typed(one)["device"]] == ["virtio-serial", "virtconsole"]
    two = one.replace("-device virtio-serial-pci", "-device virtio-serial-pci " * 2)
    assert [d["kind"] for d in typed(two)["device"]] == ["virtio-serial", "virtio-serial"]


def test_shared_ram_is_typed_only_as_the_backend_genqemu_writes() -> None:
    """Shared RAM without a file renders as a memfd: a memfd imports as share = true,
    a shared memory-backend-ram (which genqemu would not write) passes through."""
    line = "qemu-system-x86_64 -M q35,memory-backend=ram0 -m 1G -object {},id=ram0,size=1G"
    memfd = typed(line.format("memory-backend-memfd,share=on"))
    assert memfd["memory"] == {"size": "1G", "share": True}
    ram = import_text(line.format("memory-backend-ram,share=on"))
    assert ram.config["memory"] == {"size": "1G"}
    assert ram.config["machine"]["options"] == {"memory-backend": "ram0"}
    assert ram.passthrough == ["-object memory-backend-ram"]


def test_qemus_own_defaults_are_written_where_genqemus_differ() -> None:
    """An import starts the same VM: QEMU's default CPU and pseries caps, not the
    profile's max and TCG workarounds; where QEMU's value is not known, a note."""
    caps = {"cap-cfpc": "workaround", "cap-sbbc": "workaround", "cap-ibs": "workaround"}
    pseries = typed("qemu-system-ppc64 -M pseries -accel tcg")["machine"]
    assert pseries["options"] == {**caps, "cap-ccf-assist": True}
    with pytest.raises(GenqemuError, match=r"genqemu writes .*cap-cfpc=broken"):
        import_text("qemu-system-ppc64 -M pseries-2.12 -accel tcg")  # QEMU's caps unknown
    assert typed("qemu-system-aarch64 -M virt")["cpu"] == {"model": "cortex-a15"}
    assert "cpu" not in typed("qemu-system-aarch64 -M virt -cpu max")


def test_machine_options_genqemu_adds_are_left_out() -> None:
    config = typed(
        "qemu-system-ppc64 -M pseries,cap-cfpc=broken,cap-sbbc=broken,cap-ibs=broken,"
        "cap-ccf-assist=off,cap-htm=off -accel tcg"
    )
    assert config["machine"] == {"type": "pseries", "accel": "tcg", "options": {"cap-htm": False}}
    assert typed("qemu-system-x86_64 -S")["machine"] == {"type": "pc"}


# --- TOML ---------------------------------------------------------------------


def test_toml_reads_back_and_keeps_hex_and_json_readable() -> None:
    config = {
        "name": "vm",
        "nodefaults": True,
        "extra_args": ["-object", '{"qom-type":"secret","id":"s"}', "-S", "-msg", "timestamp=on"],
        "machine": {"options": {"x.y": 1}},
        "device": [{"kind": "loader", "file": "/b", "addr": HexInt(0x1000), "id": "l"}],
    }
    text = to_toml(config, ["first", "second\nthird"])
    assert text.startswith("# first\n# second\n# third\n\nname = ")
    assert "nodefaults" not in text  # the default
    assert '    "-object", \'{"qom-type":"secret","id":"s"}\',\n    "-S",\n' in text
    assert 'options = { "x.y" = 1 }' in text
    assert '[[device]]\nkind = "loader"\nid = "l"\nfile = "/b"\naddr = 0x1000\n' in text
    read = tomli.loads(text)
    assert read == {k: v for k, v in config.items() if k != "nodefaults"}
    assert read["extra_args"] == config["extra_args"]
    assert read["device"][0]["addr"] == 0x1000


# --- the naming rule ----------------------------------------------------------

# Keys whose QEMU spelling is not their name: the backend and what the
# templates derive (cache modes, formats, netdev and socket tables).
SPELLED_OTHERWISE = {"backend_id", "cache", "format", "file", "aio", "read_only", "socket"}
# Properties a template derives from another key (verification checks them).
DERIVED = {("nvdimm", "unarmed")}


def test_device_keys_are_qemu_property_names_in_snake_case() -> None:
    """The importer maps a -device property P to key P with '-' as '_': the naming
    rule of every device model. Each template's spellings must follow it."""
    from genqemu.devices import DEVICE
    from genqemu.spelling import spellings

    for kind, model in DEVICE.models.items():
        for path, spelled in spellings(model.template, "d").items():
            for spelling in spelled:
                match = re.fullmatch(r"-device ([\w.-]+)=", spelling)
                derived = (kind, match.group(1) if match else "") in DERIVED
                if match and path not in SPELLED_OTHERWISE and "." not in path and not derived:
                    assert match.group(1).replace("-", "_") == path, (kind, spelling, path)


# --- the outside world --------------------------------------------------------


@pytest.mark.qemu
def test_the_option_table_is_qemus() -> None:
    """Exactly the options in WITH_ARGUMENT need a value, those in FLAGS none
    (options of other QEMU versions are unknown to 7.2)."""
    binary = qemu_binary("qemu-system-x86_64")
    for name in sorted(FLAGS | WITH_ARGUMENT):
        out = subprocess.run(
            [binary, "-version", f"-{name}"], capture_output=True, text=True, timeout=30
        )
        said = out.stdout + out.stderr
        if "invalid option" in said:
            continue
        assert ("requires an argument" in said) == (name in WITH_ARGUMENT), name


_VOCABULARY = [
    ["-M", "q35"], ["-machine", "pc,usb=off"], ["-enable-kvm"], ["-accel", "tcg"],
    ["-m", "1G"], ["-m", "512"], ["-smp", "2"], ["-smp", "sockets=2"], ["-cpu", "max,+x2apic"],
    ["-S"], ["-nodefaults"], ["-no-user-config"], ["-nographic"], ["-display", "none"],
    ["-name", "vm"], ["-uuid", "8e5bd3a5-9a1d-4d5e-8a7a-0b6b6a6b6a6b"],
    ["-device", "virtio-rng-pci"], ["-device", "virtio-rng-pci,id=rng0,addr=0x7"],
    ["-object", "rng-random,id=r1,filename=/dev/urandom"], ["-device", "virtio-rng-pci,rng=r1"],
    ["-netdev", "user,id=n0,hostfwd=tcp::2222-:22"], ["-device", "virtio-net-pci,netdev=n0"],
    ["-nic", "user,model=virtio"], ["-device", "usb-ehci,id=net0"], ["-device", "virtio-balloon"],
    ["-drive", "file=/d.img,if=virtio,format=raw"],
    ["-drive", "file=/e.img,if=none,id=d0,format=qcow2"],
    ["-device", "virtio-blk-pci,drive=d0,serial=a,,b"], ["-hda", "/h.img"], ["-cdrom", "/c.iso"],
    ["-chardev", "stdio,id=c0"], ["-serial", "chardev:c0"], ["-serial", "stdio"],
    ["-serial", "null"],
    ["-device", "virtio-serial-pci,id=vs"], ["-device", "virtconsole,chardev=c0,bus=vs.0"],
    ["-qmp", "unix:/q.sock,server,nowait"], ["-global", "virtio-blk-pci.config-wce=off"],
    ["-virtfs", "local,path=/srv,mount_tag=t,security_model=none"], ["-kernel", "/k"],
    ["-append", "console=ttyS0 x=a,b"], ["-device", '{"driver":"virtio-rng-pci","id":"j"}'],
    ["-object", "iothread,id=io0"], ["-device", "virtio-scsi-pci,iothread=io0"],
    ["-rtc", "base=utc"], ["-overcommit", "mem-lock=off"], ["-boot", "strict=on"],
]  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_VOCABULARY), max_size=10),
    st.sampled_from(["qemu-system-x86_64", "qemu-system-s390x", "qemu-system-aarch64"]),
)
def test_random_command_lines_round_trip_or_are_refused(
    options: list[list[str]], binary: str
) -> None:
    round_trips_or_is_refused([binary, *(word for option in options for word in option)])


def test_a_device_with_its_own_backend_is_not_matched_to_a_plain_one() -> None:
    """Found by the property test: the oracle took the rng=r1 device, trimmed of
    its rng, for a plain virtio-rng-pci, and then found the last one unmatched."""
    rng = ["-object", "rng-random,id=r1,filename=/dev/urandom"]
    plain = ["-device", "virtio-rng-pci"]
    round_trips_or_is_refused(
        ["qemu-system-x86_64", *plain, *rng, "-device", "virtio-rng-pci,rng=r1", *plain]
    )


_PIECES = [
    *" \t\n\\'\"$`#;|&<>(){}[]*?~=,.:-_/019abmnSxyz@!",
    *("-device ", "-drive ", "virtio-blk-pci", "if=virtio", "format=raw", "file=", "id=", "-m "),
    *("-smp ", "-M ", "-serial ", "stdio", "-qmp ", "unix:", "-netdev ", "user", "-nic "),
    *("model=virtio", "exec ", "3<>", "setpriv ", "--reuid=1 ", '{"driver":', "-object "),
    *("-chardev ", "socket,", "server", "nowait", "-global ", "-virtfs ", "local,", "mount_tag=t"),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_PIECES), max_size=40).map("".join),
    st.sampled_from(["qemu-system-x86_64 ", "qemu-system-s390x ", "", "[", "{"]),
)
def test_any_text_is_imported_or_refused_never_a_traceback(body: str, head: str) -> None:
    with contextlib.suppress(GenqemuError):
        import_text(head + body)


@pytest.mark.parametrize("text", ["qemu-system-x86_64 >", "qemu-system-x86_64 2>", "x <<"])
def test_a_redirection_without_a_target_is_refused(text: str) -> None:
    with pytest.raises(GenqemuError, match="has no target"):
        import_text(text)


def test_an_rng_without_a_backend_does_not_take_the_place_of_one_with_it() -> None:
    """Found by the random round trip: a NIC before two RNGs, one of them on a
    backend the input defines. genqemu writes both RNGs right; the comparison
    must not trim the first RNG's rng=r1 to match the second one."""
    argv = [
        "qemu-system-x86_64",
        *("-object", "rng-random,id=r1,filename=/dev/urandom", "-nic", "user,model=virtio"),
        *("-device", "virtio-rng-pci,rng=r1", "-device", "virtio-rng-pci"),
    ]
    result = import_text(json.dumps(argv))
    again = plan(build(tomli.loads(to_toml(result.config, [])), result.arch))
    assert differences(argv, {}, again.argv, {}, load_profile(result.arch)) == []
