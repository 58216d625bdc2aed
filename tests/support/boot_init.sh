#!/bin/busybox sh
# /init of the boot tests' initramfs (tests/support/boot_initramfs.py builds it).
# Loads the modules listed in /etc/modules, prints the devices the kernel
# sees between two marker lines, one device per line, and powers off.
# tests/support/boot_view.py reads those lines.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

while read -r module parameters; do
    # efivarfs refuses to load without EFI runtime services (a BIOS or direct boot).
    [ "$module" = efivarfs ] && [ ! -d /sys/firmware/efi ] && continue
    # shellcheck disable=SC2086 # parameters are words
    insmod "/lib/modules/$module.ko" $parameters || echo "genqemu-init: insmod $module failed"
done </etc/modules

# Wait until the device lists stop changing (at most 10 s; with USB, whose
# ports are polled and hubs debounced, stable for a second: at most 60 s).
# A sound card registers after its driver's probe returns (snd_hda_intel probes
# in a work item), so /proc/asound is watched too.
listing() { ls /sys/block /sys/class/net /sys/class/virtio-ports /sys/class/tty /sys/bus/virtio/devices/*/driver /sys/bus/usb/devices /sys/bus/usb/devices/*/driver /proc/asound 2>/dev/null; }
previous=x
for _ in $(seq 50); do
    current=$(listing)
    [ "$current" = "$previous" ] && break
    previous=$current
    sleep 0.2
    [ -n "$(ls /sys/bus/usb/devices 2>/dev/null)" ] && sleep 1
done

name_of() { [ -e "$1" ] && basename "$(readlink "$1")" || echo none; }

# genqemu.screen on the kernel command line (the boot test of an example with
# a graphics adapter): print a known line on the framebuffer console (fbcon
# on the first DRM card), cursor hidden, give the deferred flush a second,
# say so on the serial console, and wait 3 s while the test takes a
# screenshot. The test pauses the VM meanwhile, and the wait is guest time.
if grep -qw genqemu.screen /proc/cmdline; then
    printf '\033[2J\033[H\033[?25lgenqemu: %s guest, %s\n' "$(uname -m)" "$(uname -r)" >/dev/tty1
    sleep 1
    echo "genqemu-init: screen ready"
    sleep 3
fi

# A line of its own: an early console may have left a line unfinished.
echo
echo "=== genqemu guest view ==="
echo "kernel $(uname -r) $(uname -m)"
if [ -d /sys/firmware/efi ]; then
    # Booted through UEFI firmware. SecureBoot (EFI global variable GUID): 4
    # bytes of attributes, then 1 for on, 0 for off; no variable is off too.
    # Read whole: efivarfs files cannot seek (od -j fails).
    echo "firmware efi"
    variables=/sys/firmware/efi/efivars
    variable=$variables/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
    secure=unknown
    if mount -t efivarfs efivarfs $variables 2>/dev/null || [ -n "$(ls $variables)" ]; then
        secure=off
        if [ -e $variable ]; then
            case $(od -An -tu1 $variable | awk '{ print $5 }') in
                1) secure=on ;;
                0) secure=off ;;
                *) secure=unknown ;;
            esac
        fi
    fi
    echo "secure-boot $secure"
fi
for device in /sys/bus/virtio/devices/*; do
    [ -e "$device/device" ] || continue
    parent=$(dirname "$(readlink -f "$device")")
    echo "virtio ${device##*/} id=$(($(cat "$device/device"))) driver=$(name_of "$device/driver")" \
        "bus=$(name_of "$parent/subsystem") at=${parent##*/}"
    if [ -e "$device/mount_tag" ]; then
        tag=$(cat "$device/mount_tag")
        mkdir -p "/mnt/$tag"
        if mount -t 9p -o trans=virtio,ro "$tag" "/mnt/$tag" 2>/dev/null; then mounted=yes; else mounted=no; fi
        echo "9p $tag mounted=$mounted"
    fi
done
for disk in /sys/block/*; do
    [ -e "$disk" ] || continue
    name=${disk##*/}
    case $name in loop* | ram* | zram*) continue ;; esac
    # An NVMe namespace QEMU 10 offers multipath for (CMIC): the kernel shows
    # a head (nvme0n1, under the nvme-subsystem) and hides the path
    # (nvme0c0n1): the head is the disk, listed as on its controller's bus.
    [ "$(cat "$disk/hidden" 2>/dev/null)" = 1 ] && continue
    bus=$(name_of "$disk/device/subsystem")
    [ "$bus" = nvme-subsystem ] && bus=nvme
    line="block $name bus=$bus ro=$(cat "$disk/ro")"
    [ -r "$disk/serial" ] && line="$line serial=$(cat "$disk/serial")"
    if dd if="/dev/$name" of=/dev/null bs=512 count=1 2>/dev/null; then line="$line readable=yes"; else line="$line readable=no"; fi
    echo "$line"
    # A disk whose first bytes are a genqemu test label (the backing-chain
    # boot test writes one into a backing image only): what the guest read.
    label=$(dd if="/dev/$name" bs=32 count=1 2>/dev/null | tr -dc 'A-Za-z0-9-')
    case $label in genqemu-*) echo "data $name label=$label" ;; esac
done
for controller in /sys/class/nvme/*; do
    # NVMe controllers (their namespaces are block devices above), with the
    # serial QEMU pads to 20 characters, then each namespace's id and size.
    [ -e "$controller/serial" ] || continue
    echo "nvme ${controller##*/} serial=$(sed 's/ *$//' "$controller/serial")"
    for namespace in "$controller"/nvme*n*; do
        [ -e "$namespace/nsid" ] || continue
        echo "nvme-ns ${namespace##*/} nsid=$(cat "$namespace/nsid") size=$(cat "$namespace/size")"
    done
done
for disk in /sys/block/sr*; do
    # A CD-ROM: the volume label of its medium (ISO 9660: sector 16, bytes 40-71).
    [ -e "$disk" ] || continue
    label=$(dd if="/dev/${disk##*/}" bs=2048 skip=16 count=1 2>/dev/null | dd bs=1 skip=40 count=32 2>/dev/null | tr -d ' \0')
    echo "cdrom ${disk##*/} label=${label:-none}"
done
for disk in /sys/block/sd*; do
    # A disk behind libata (its SCSI vendor is ATA): the serial its IDENTIFY gives,
    # which libata shows as the unit serial number page (VPD 0x80, after 4 bytes).
    [ -e "$disk" ] && [ "$(tr -d " " <"$disk/device/vendor")" = ATA ] || continue
    serial=$(tail -c +5 "$disk/device/vpd_pg80" 2>/dev/null | tr -d ' \0')
    echo "ata ${disk##*/} serial=${serial:-none}"
done
for device in /sys/bus/pci/devices/*; do
    # USB host controllers (PCI class 0c03: UHCI 00, OHCI 10, EHCI 20, xHCI 30).
    [ -e "$device/class" ] || continue # no PCI devices: the glob stays as written
    case $(cat "$device/class") in 0x0c03*) ;; *) continue ;; esac
    echo "usbhc ${device##*/} id=$(cut -c3- "$device/vendor"):$(cut -c3- "$device/device")" \
        "class=$(cut -c3- "$device/class") driver=$(name_of "$device/driver")"
done
for device in /sys/bus/usb/devices/*; do
    # USB devices but the controllers' root hubs (vendor 1d6b, Linux): ids,
    # product name, serial and the driver of the first interface.
    [ -e "$device/idVendor" ] && [ "$(cat "$device/idVendor")" != 1d6b ] || continue
    name=${device##*/}
    echo "usb $name id=$(cat "$device/idVendor"):$(cat "$device/idProduct")" \
        "product=$(tr ' ' _ <"$device/product") serial=$(cat "$device/serial" 2>/dev/null || echo none)" \
        "driver=$(name_of "$device/$name:1.0/driver")"
done
for device in /sys/bus/pci/devices/*; do
    # QEMU's own PCI devices (vendor 1b36: bridges, root ports, pvpanic-pci)
    # but the host bridge; virtio devices are listed above.
    [ "$(cat "$device/vendor" 2>/dev/null)" = 0x1b36 ] || continue
    case $(cat "$device/class") in 0x0600*) continue ;; esac # a host bridge
    echo "pci ${device##*/} id=1b36:$(cut -c3- "$device/device") driver=$(name_of "$device/driver")"
done
for device in /sys/bus/*/drivers/pvpanic*/*; do
    [ -e "$device/driver" ] || continue
    echo "pvpanic ${device##*/} driver=$(name_of "$device/driver")"
done
for watchdog in /sys/class/watchdog/*; do
    # Listed, never opened: opening /dev/watchdogN starts the timer. Named by
    # the identity its driver gives it (diag288_wdt's has no device to bind).
    [ -e "$watchdog" ] || continue
    name=${watchdog##*/}
    [ -c "/dev/$name" ] && node=yes || node=no
    echo "watchdog $name identity=$(tr ' ' _ <"$watchdog/identity") dev=$node"
done
# SMBIOS: the system serial and product (where a serial is set: QEMU's
# default tables have none), then each OEM string (type 11; its raw entry is
# a 5-byte header, then the strings, each ending in a NUL).
dmi=/sys/class/dmi/id
if [ -n "$(cat $dmi/product_serial 2>/dev/null)" ]; then
    echo "dmi product=$(cat $dmi/product_name) serial=$(cat $dmi/product_serial)"
fi
for entry in /sys/firmware/dmi/entries/11-*; do
    [ -e "$entry/raw" ] || continue
    dd if="$entry/raw" bs=1 skip=5 2>/dev/null | tr '\0' '\n' | while read -r string; do
        [ -n "$string" ] && echo "oem $string"
    done
done
for tpm in /sys/class/tpm/tpm*; do
    # Its TPM version (2 from swtpm --tpm2), the driver that bound it, the node.
    [ -e "$tpm" ] || continue
    name=${tpm##*/}
    [ -c "/dev/$name" ] && node=yes || node=no
    echo "tpm $name version=$(cat "$tpm/tpm_version_major" 2>/dev/null || echo none)" \
        "driver=$(name_of "$tpm/device/driver") dev=$node"
done
if [ -d /sys/devices/system/node/node1 ]; then
    # NUMA nodes, listed only where there are several (every kernel has a
    # node0): each one's vCPUs and its memory in MiB, rounded up to 128 MiB
    # (MemTotal is what the kernel manages: the node less what it reserved),
    # and the nodes ACPI's HMAT names as its best initiators (access class 0).
    for node in /sys/devices/system/node/node[0-9]*; do
        kib=$(awk '/MemTotal/ { print $4 }' "$node/meminfo")
        initiators=$(cd "$node/access0/initiators" 2>/dev/null && ls -d node* 2>/dev/null)
        echo "numa ${node##*/} cpus=$(grep . "$node/cpulist" || echo none)" \
            "mem=$(((kib + 131071) / 131072 * 128))M initiators=$(echo ${initiators:-none} | tr ' ' ,)"
    done
fi
for unit in /sys/class/iommu/*; do
    [ -e "$unit" ] && echo "iommu ${unit##*/}"
done
for interface in /sys/class/net/*; do
    [ -e "$interface/device" ] || continue
    echo "net ${interface##*/} mac=$(cat "$interface/address") driver=$(name_of "$interface/device/driver")"
done
for input in /sys/class/input/input*; do
    # virtio-input devices, by the name QEMU gives them (QEMU Virtio Tablet);
    # the machine's own (PS/2, power button) are left out.
    name=$(cat "$input/name" 2>/dev/null)
    case $name in "QEMU Virtio "*) echo "input ${input##*/} name=$(echo "$name" | tr ' ' _)" ;; esac
done
# Sound cards: " 0 [Intel          ]: HDA-Intel - HDA Intel", then a second
# line per card; the driver name, and the codecs on an HDA bus. No ALSA (the
# s390x kernel has none): no file.
cards=/proc/asound/cards
[ -r $cards ] || cards=/dev/null
while read -r number rest; do
    case $number in [0-9]*) ;; *) continue ;; esac
    driver=${rest#*]: }
    codecs=$(ls -d /proc/asound/card"$number"/codec#* 2>/dev/null | wc -l)
    echo "sound card$number driver=${driver%% - *} codecs=$codecs"
done <$cards
for port in /sys/class/virtio-ports/*; do
    [ -e "$port/name" ] || continue
    echo "port ${port##*/} name=$(cat "$port/name")"
done
for card in /sys/class/drm/card[0-9]*; do
    # Each graphics adapter's DRM card (card0-Virtual-1 and such are its
    # connectors) and the driver bound to the adapter: for virtio-gpu, to
    # the virtio device under the transport's (virtio-pci) device.
    case ${card##*/} in *-*) continue ;; esac
    device=$card/device
    for child in "$device"/virtio[0-9]*; do [ -e "$child/driver" ] && device=$child; done
    echo "drm ${card##*/} driver=$(name_of "$device/driver")"
done
for tty in /sys/class/tty/*; do
    # The machine's own serial ports; 8250 slots without a UART have type 0.
    case ${tty##*/} in ttyS* | ttyAMA* | ttysclp* | sclp_line*) ;; *) continue ;; esac
    [ "$(cat "$tty/type" 2>/dev/null)" = 0 ] && continue
    echo "tty ${tty##*/}"
done
for rng in $(cat /sys/class/misc/hw_random/rng_available 2>/dev/null); do
    [ "$rng" = none ] || echo "rng $rng"
done
for hvc in /dev/hvc*; do
    # An hvc slot without a backend refuses to open (ENODEV).
    if [ -e "$hvc" ] && (: >"$hvc") 2>/dev/null; then echo "hvc ${hvc##*/}"; fi
done
while read -r console _; do
    echo "console $console"
done </proc/consoles
echo "=== end of guest view ==="

# genqemu.hotplug on the kernel command line (tests/support/boot_hotplug.py):
# say so, then watch for at most 120 s: print each disk and NIC as it appears
# ("hotplug + ...", with what names it) and as it goes ("hotplug - ..."),
# and the online vCPUs each time they change (a new one is brought online,
# as udev would). Done when something came and
# the disks and NICs are back to those of the start.
hotplug_devices() {
    for device in /sys/block/* /sys/class/net/*; do
        [ -e "$device/device" ] || continue
        case $device in /sys/block/*) echo "block ${device##*/}" ;; *) echo "net ${device##*/}" ;; esac
    done
}
hotplug_describe() { # kind name: the line of a device that appeared
    case $1 in
        block)
            line="block $2 serial=$(cat "/sys/block/$2/serial" 2>/dev/null || echo none)"
            if dd if="/dev/$2" of=/dev/null bs=512 count=1 2>/dev/null; then echo "$line readable=yes"; else echo "$line readable=no"; fi
            ;;
        net) echo "net $2 mac=$(cat "/sys/class/net/$2/address") driver=$(name_of "/sys/class/net/$2/device/driver")" ;;
    esac
}
if grep -qw genqemu.hotplug /proc/cmdline; then
    start=$(hotplug_devices)
    current=$start
    cpus=$(cat /sys/devices/system/cpu/online)
    echo "hotplug cpus online=$cpus"
    echo "genqemu-init: hotplug ready"
    changed=no
    for _ in $(seq 600); do
        sleep 0.2
        now=$(hotplug_devices)
        if [ "$now" != "$current" ]; then
            for entry in $(echo "$now" | tr ' ' :); do
                echo "$current" | grep -qx "${entry%%:*} ${entry#*:}" || echo "hotplug + $(hotplug_describe "${entry%%:*}" "${entry#*:}")"
            done
            for entry in $(echo "$current" | tr ' ' :); do
                echo "$now" | grep -qx "${entry%%:*} ${entry#*:}" || echo "hotplug - ${entry%%:*} ${entry#*:}"
            done
            current=$now
            changed=yes
        fi
        for state in /sys/devices/system/cpu/cpu[0-9]*/online; do # a hot-plugged vCPU comes offline
            [ "$(cat "$state")" = 0 ] && echo 1 >"$state"
        done
        online=$(cat /sys/devices/system/cpu/online)
        [ "$online" != "$cpus" ] && cpus=$online && echo "hotplug cpus online=$cpus"
        [ $changed = yes ] && [ "$current" = "$start" ] && break
    done
    echo "genqemu-init: hotplug done"
fi
poweroff -f
