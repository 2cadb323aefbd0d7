#!/usr/bin/env bash
# Builds the throwaway guest for testnode's QEMU tests: the Debian cloud
# kernel (downloaded with apt-get download, unpacked, never installed) and a
# busybox initramfs that loads the virtio modules, brings up slirp
# networking, handles the ACPI power button and runs fakeguest (main.go).
# Usage: build.sh CACHE_DIR OUT_DIR FAKEGUEST_BINARY
# Writes OUT_DIR/vmlinuz and OUT_DIR/initrd.img.
set -euo pipefail
cache=$1 out=$2 guest=$3

mkdir -p "$cache" "$out"
pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$pkg" ] || { echo "build.sh: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }
if [ ! -d "$cache/$pkg" ]; then
  (cd "$cache" && apt-get download -q "$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
  deb=$(ls "$cache"/"$pkg"_*.deb)
  dpkg-deb -x "$deb" "$cache/$pkg.tmp"
  mv "$cache/$pkg.tmp" "$cache/$pkg"
fi
kroot="$cache/$pkg"
kver=${pkg#linux-image-}
cp "$kroot"/boot/vmlinuz-"$kver" "$out/vmlinuz"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,run,tmp,lib/modules,etc/acpi/PWRF}
cp /bin/busybox "$root/bin/busybox"
for a in sh mount insmod ifconfig route sleep echo cat acpid poweroff sync; do
  ln -s busybox "$root/bin/$a"
done
modules="failover net_failover virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
  virtio_net virtio-rng qemu_fw_cfg button evdev"
for m in $modules; do
  find "$kroot/lib/modules/$kver" -name "$m.ko" -exec cp {} "$root/lib/modules/" \;
done
cp "$guest" "$root/bin/fakeguest"

# busybox acpid runs /etc/acpi/PWRF/* when the power button is pressed.
printf '#!/bin/sh\necho "fakeguest: power button, powering off"\nsync\npoweroff -f\n' >"$root/etc/acpi/PWRF/00000080"
chmod +x "$root/etc/acpi/PWRF/00000080"

cat >"$root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in failover net_failover virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
         virtio_pci virtio_net virtio-rng qemu_fw_cfg button evdev; do
  insmod /lib/modules/$m.ko 2>/dev/null
done
sleep 1
ifconfig lo 127.0.0.1 up
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
route add default gw 10.0.2.2
echo "fakeguest: network up"
acpid -d -c /etc/acpi &
/bin/fakeguest &
while :; do sleep 3600; done
INIT
chmod +x "$root/init"

# rdinit=/fail: a guest that dies before SSH, for the failure path.
cat >"$root/fail" <<'FAIL'
#!/bin/sh
mount -t proc proc /proc
echo "fakeguest: failing on purpose before ssh"
poweroff -f
FAIL
chmod +x "$root/fail"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.img"
