#!/usr/bin/env bash
# Builds the stand-in node images (see README.md beside this file):
# kernel, initramfs, and per OS family a GPT disk (USR-A, USR-B, ROOT) and a
# read-only payload disk with one /usr image per OS version, plus
# manifest.json. Output: build/standin/<key>/, `current` links to it.
# <key> covers the package versions and the content of tests/standin/
# (its notes excepted). Same key: nothing to do. Needs root; mounts nothing.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out_root=${STANDIN_BUILD_DIR:-$repo/build/standin}
cache=$out_root/cache

FAMILIES=(flatcar microos)
VERSIONS=(1.0.0 1.0.1 1.0.2-broken)
BASE_VERSION=1.0.0
BROKEN_VERSIONS=(1.0.2-broken)
# Modules the initramfs loads (their dependencies come along).
INITRD_MODULES=(virtio_pci virtio_blk virtio_net virtio_rng qemu_fw_cfg btrfs)
# Module directories (below kernel/) shipped in /usr/lib/modules.
USR_MODULE_DIRS=(arch block crypto fs lib mm net virt
  drivers/acpi drivers/block drivers/char drivers/firmware drivers/input drivers/md drivers/net drivers/virtio)
IGNITION_BIN=/usr/lib/dracut/modules.d/30ignition/ignition
USR_PART_MIB=1024
ROOT_PART_MIB=4096

log() { printf 'standin: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (mmdebstrap, chown, SELinux labels); run as root"
for t in mmdebstrap mkfs.ext4 e2fsck resize2fs sfdisk depmod cpio gzip dpkg-deb apt-get busybox sha256sum; do
  command -v "$t" >/dev/null || die "missing $t: run tests/setup.sh"
done
[ -x "$IGNITION_BIN" ] || die "missing $IGNITION_BIN (package ignition): run tests/setup.sh"

pkgver() { dpkg-query -W -f='${Version}' "$1"; }

# ---- cache key ----------------------------------------------------------------
kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$kpkg" ]; then
  apt-get update -qq
  kpkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$kpkg" ] || die "cannot resolve the cloud kernel package"
kver=${kpkg#linux-image-}
kpkgver=$(apt-cache policy "$kpkg" | awk '/Candidate:/ {print $2; exit}')

key=$(
  {
    bash "$here/rootfs.sh" --versions
    echo "$kpkg=$kpkgver"
    echo "ignition=$(pkgver ignition) busybox-static=$(pkgver busybox-static) e2fsprogs=$(pkgver e2fsprogs)"
    cd "$here" && find . -type f ! -name '*.md' ! -name boot.sh ! -name smoke.sh -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -c1-16
)
dest=$out_root/$key
if [ -f "$dest/manifest.json" ]; then
  ln -sfn "$key" "$out_root/current"
  log "up to date: $dest"
  exit 0
fi
t0=$SECONDS
log "building key $key (kernel $kver)"

# ---- inputs: root tree and kernel --------------------------------------------
rootfs=$(bash "$here/rootfs.sh" "$cache")
mkdir -p "$cache"
deb=$cache/${kpkg}_${kpkgver//:/%3a}_amd64.deb
if [ ! -s "$deb" ]; then
  rm -f "$cache"/linux-image-*.deb
  (cd "$cache" && apt-get download -q "$kpkg=$kpkgver" 2>&1 | grep -v unsandboxed >&2 || true)
  found=$(ls "$cache"/"${kpkg}"_*.deb 2>/dev/null | head -n 1)
  [ -n "$found" ] || die "apt-get download $kpkg failed"
  [ "$found" = "$deb" ] || mv "$found" "$deb"
fi

work=$out_root/$key.tmp
rm -rf "$work"
mkdir -p "$work"
W=$work
K=$W/kernel
mkdir -p "$K"
dpkg-deb -x "$deb" "$K"
cp "$K/boot/vmlinuz-$kver" "$W/vmlinuz"
depmod -b "$K" "$kver"

log "copying the root tree"
T=$W/tree
cp -a "$rootfs" "$T"

# The root's own binaries, run on the host through the root's own loader.
inroot() {
  local bin=$1
  shift
  "$T/usr/lib64/ld-linux-x86-64.so.2" --library-path "$T/usr/lib/x86_64-linux-gnu" "$T$bin" "$@"
}

# ---- customise the root -------------------------------------------------------
log "customising the root"
G=$here/guest
echo standin >"$T/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tstandin\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$T/etc/hosts"
printf 'uninitialized\n' >"$T/etc/machine-id"
rm -f "$T/var/lib/dbus/machine-id" "$T"/etc/ssh/ssh_host_*
printf '# The stand-in mounts / and /usr from its initramfs.\n' >"$T/etc/fstab"
install -m 0644 "$G/99-standin-authorized-keys.conf" "$T/etc/ssh/sshd_config.d/"
install -m 0440 "$G/standin.sudoers" "$T/etc/sudoers.d/standin"
install -m 0644 "$G/zz-default.network" "$T/usr/lib/systemd/network/"
install -m 0644 "$G/99-standin-default.preset" "$T/usr/lib/systemd/system-preset/"
mkdir -p "$T/usr/lib/modprobe.d"
install -m 0644 "$G/standin-blacklist.conf" "$T/usr/lib/modprobe.d/standin-blacklist.conf"
install -m 0644 "$G/standin-mark-good.service" "$G/standin-ssh-keygen.service" "$T/usr/lib/systemd/system/"
# Units the real OSes ship and hardened configs enable or mask (Flatcar's
# locksmithd, MicroOS's rebootmgr and transactional-update timer): no-ops here.
install -m 0644 "$G"/os-units/* "$T/usr/lib/systemd/system/"
mkdir -p "$T/usr/lib/standin" "$T/usr/lib/systemd/system/multi-user.target.wants"
install -m 0755 "$G/standin-mark-good" "$T/usr/lib/standin/mark-good"
install -m 0755 "$G/standin-update" "$T/usr/sbin/standin-update"
ln -sfn ../standin-mark-good.service "$T/usr/lib/systemd/system/multi-user.target.wants/standin-mark-good.service"
echo placeholder >"$T/usr/lib/standin/family"
# Flatcar's core user has no subordinate ID range: useradd adds none
# while these files are absent (a config that wants ranges writes them).
rm -f "$T/etc/subuid" "$T/etc/subgid" "$T/etc/subuid-" "$T/etc/subgid-"
sed -i 's|^SHELL=.*|SHELL=/bin/bash|' "$T/etc/default/useradd"
grep -q '^SHELL=' "$T/etc/default/useradd" || echo 'SHELL=/bin/bash' >>"$T/etc/default/useradd"
# Groups a hardened config may hand its admin user (sudo, adm,
# systemd-journal and users ship with Debian).
for g in wheel docker podman; do
  chroot "$T" getent group "$g" >/dev/null || chroot "$T" groupadd --system "$g"
done
chroot "$T" systemctl enable systemd-networkd.service >/dev/null 2>&1
chroot "$T" systemctl disable apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer podman-auto-update.timer \
  podman-auto-update.service podman.service podman-restart.service getty@tty1.service >/dev/null 2>&1
chroot "$T" systemctl disable systemd-pstore.service >/dev/null 2>&1
# Boot time under TCG: drop what a test node never needs (modules still
# load on demand; nothing here prompts on a console).
chroot "$T" systemctl mask systemd-networkd-wait-online.service systemd-firstboot.service \
  modprobe@drm.service modprobe@efi_pstore.service modprobe@dm_mod.service modprobe@loop.service >/dev/null 2>&1
# An image-based OS keeps no package database beyond the list of what is
# installed, and its SELinux policy store is read-only in /usr (first boot
# copies /var: fewer files, faster).
rm -rf "$T/var/lib/dpkg/info"
mkdir -p "$T/usr/lib/standin"
mv "$T/var/lib/selinux" "$T/usr/lib/standin/selinux-store"
sed -i '/^store-root/d' "$T/etc/selinux/semanage.conf"
echo 'store-root=/usr/lib/standin/selinux-store' >>"$T/etc/selinux/semanage.conf"
# SELinux: Debian's policy is `default`; Flatcar's configs name `mcs`,
# MicroOS's `targeted`: the same policy answers to all three names.
ln -sfn default "$T/etc/selinux/mcs"
ln -sfn default "$T/etc/selinux/targeted"
printf 'SELINUX=enforcing\nSELINUXTYPE=default\n' >"$T/etc/selinux/config"

# Kernel modules for the running system (a subset of the cloud kernel's).
mkdir -p "$T/usr/lib/modules/$kver/kernel"
for d in "${USR_MODULE_DIRS[@]}"; do
  [ -d "$K/lib/modules/$kver/kernel/$d" ] || continue
  mkdir -p "$T/usr/lib/modules/$kver/kernel/$(dirname "$d")"
  cp -a "$K/lib/modules/$kver/kernel/$d" "$T/usr/lib/modules/$kver/kernel/$d"
done
cp "$K/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$T/usr/lib/modules/$kver/"
depmod -b "$T/usr" "$kver" 2>/dev/null || depmod -b "$T" "$kver"

# ---- SELinux labels for the whole tree (the root's own setfiles) ---------------
log "labelling the tree"
fc=$T/etc/selinux/default/contexts/files/file_contexts
inroot /usr/sbin/setfiles -F -r "$T" "$fc" "$T" 2>&1 | grep -v 'No such file' | tail -n 5 >&2 || true

# The pristine /etc and /var travel inside /usr; stage 1 copies them to ROOT
# on first boot (labels are reset there by setfiles).
mkdir -p "$T/usr/share/standin"
mv "$T/etc" "$T/usr/share/standin/etc"
mv "$T/var" "$T/usr/share/standin/var"

# ---- initramfs -------------------------------------------------------------------
log "building the initramfs"
I=$W/initramfs
mkdir -p "$I"/usr/{bin,sbin,lib/x86_64-linux-gnu,lib64} "$I"/{dev,proc,sys,run,sysroot,tmp,etc}
for l in bin sbin lib lib64; do ln -s "usr/$l" "$I/$l"; done
# Real binaries first: Ignition (host package), setfiles and the shadow
# tools from the root (Ignition runs useradd/usermod/groupadd).
install -m 0755 "$IGNITION_BIN" "$I/usr/bin/ignition"
for b in /usr/sbin/setfiles /usr/sbin/useradd /usr/sbin/usermod /usr/sbin/groupadd \
  /usr/sbin/groupmod /usr/sbin/userdel /usr/sbin/chpasswd /usr/bin/btrfs /usr/sbin/mkfs.btrfs; do
  [ -e "$T$b" ] || continue
  rm -f "$I$b"
  cp -L "$T$b" "$I$b"
done
# Their libraries, resolved against the root.
libs() {
  local f
  for f in "$@"; do
    "$T/usr/lib64/ld-linux-x86-64.so.2" --library-path "$T/usr/lib/x86_64-linux-gnu" --list "$f" 2>/dev/null |
      awk '/=> \// {print $3} /^\t\/lib64/ {print $1}'
  done | sort -u
}
for lib in $(libs "$I"/usr/bin/ignition "$I"/usr/sbin/* "$I"/usr/bin/btrfs); do
  name=$(basename "$lib")
  cp -L "$T/usr/lib/x86_64-linux-gnu/$name" "$I/usr/lib/x86_64-linux-gnu/$name" 2>/dev/null ||
    cp -L "$T$lib" "$I/usr/lib/x86_64-linux-gnu/$name"
done
cp -L "$T/usr/lib64/ld-linux-x86-64.so.2" "$I/usr/lib64/"
# NSS for the shadow tools (they chroot into /sysroot, but look up first).
cp -L "$T"/usr/lib/x86_64-linux-gnu/libnss_files.so.2 "$I/usr/lib/x86_64-linux-gnu/" 2>/dev/null || true
printf 'passwd: files\ngroup: files\nshadow: files\n' >"$I/etc/nsswitch.conf"
printf 'root:x:0:0:root:/:/bin/sh\n' >"$I/etc/passwd"
printf 'root:x:0:\n' >"$I/etc/group"
# busybox applets where no real binary sits.
install -m 0755 /bin/busybox "$I/usr/bin/busybox"
for a in $(/bin/busybox --list); do
  [ -e "$I/usr/bin/$a" ] || [ -e "$I/usr/sbin/$a" ] || ln -s busybox "$I/usr/bin/$a"
done
# Modules and their dependencies, with a modules.dep of their own.
mdep=$K/lib/modules/$kver/modules.dep
want=()
for m in "${INITRD_MODULES[@]}"; do
  p=$(awk -F: -v m="$m" '{n=$1; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n); if (n == m) {print; exit}}' "$mdep")
  [ -n "$p" ] || die "module $m not in $kver"
  want+=(${p/:/})
done
mkdir -p "$I/usr/lib/modules/$kver"
for p in $(printf '%s\n' "${want[@]}" | sort -u); do
  mkdir -p "$I/usr/lib/modules/$kver/$(dirname "$p")"
  cp "$K/lib/modules/$kver/$p" "$I/usr/lib/modules/$kver/$p"
done
cp "$K/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$I/usr/lib/modules/$kver/"
depmod -b "$I/usr" "$kver" 2>/dev/null || depmod -b "$I" "$kver"
install -m 0755 "$here/initramfs/init" "$I/init"
(cd "$I" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible | gzip -1) >"$W/initrd.img"

# ---- /usr images per family and version ------------------------------------------
# Size: what the tree uses plus room, then shrunk to the minimum.
usr_mib=$(($(du -sm "$T/usr" | cut -f1) * 13 / 10 + 64))
prepare_version() { # family version: make $T/usr that version
  local fam=$1 ver=$2 name pretty id selt b
  case $fam in
    flatcar) id=flatcar-standin name="Flatcar Container Linux stand-in" selt=mcs ;;
    microos) id=microos-standin name="openSUSE MicroOS stand-in" selt=targeted ;;
  esac
  pretty="$name $ver"
  # Rewrite contents in place: the inodes keep their SELinux labels.
  cat >"$T/usr/lib/os-release" <<EOF
NAME="$name"
ID=$id
ID_LIKE=debian
VERSION=$ver
VERSION_ID=$ver
PRETTY_NAME="$pretty"
HOME_URL="https://example.invalid/hardnode/standin"
STANDIN_FAMILY=$fam
EOF
  echo "$fam" >"$T/usr/lib/standin/family"
  # Flatcar ships its `core` user (uid 500, passwordless sudo through
  # wheel/sudo); MicroOS ships none. Rewrite in place (labels stay).
  local E=$T/usr/share/standin/etc f
  for f in passwd group shadow gshadow; do
    [ -f "$W/$f.orig" ] || cp "$E/$f" "$W/$f.orig"
    cat "$W/$f.orig" >"$E/$f"
  done
  if [ "$fam" = flatcar ]; then
    echo 'core:x:500:500:Core user:/home/core:/bin/bash' >>"$E/passwd"
    echo 'core:*:20000:0:99999:7:::' >>"$E/shadow"
    for f in group gshadow; do
      awk -F: -v OFS=: '$1 ~ /^(wheel|sudo|docker|systemd-journal)$/ { $NF = ($NF == "" ? "core" : $NF ",core") } { print }' \
        "$W/$f.orig" >"$E/$f"
    done
    echo 'core:x:500:' >>"$E/group"
    echo 'core:!::' >>"$E/gshadow"
  fi
  printf 'SELINUX=enforcing\nSELINUXTYPE=%s\n' "$selt" >"$T/usr/share/standin/etc/selinux/config"
  broken=0
  for b in "${BROKEN_VERSIONS[@]}"; do [ "$b" = "$ver" ] && broken=1; done
  if [ $broken = 1 ]; then
    # Fails before userspace: PID 1 exits at once, the kernel panics and
    # (panic=-1) resets the machine.
    cp -a "$T/usr/lib/systemd/systemd" "$W/systemd.real"
    printf '#!/bin/sh\necho "standin: broken image %s: no init" >/dev/console\nexit 1\n' "$ver" >"$T/usr/lib/systemd/systemd"
  fi
  return 0
}
restore_version() {
  if [ -f "$W/systemd.real" ]; then
    cat "$W/systemd.real" >"$T/usr/lib/systemd/systemd"
    rm -f "$W/systemd.real"
  fi
}
mkusr() { # image: ext4 image of $T/usr, shrunk to its minimum
  local img=$1 blocks
  rm -f "$img"
  mkfs.ext4 -q -F -t ext4 -O ^has_journal -m 0 -E root_owner=0:0 -d "$T/usr" "$img" "${usr_mib}M" >/dev/null
  e2fsck -fy "$img" >/dev/null 2>&1 || true
  resize2fs -M "$img" >/dev/null 2>&1
  blocks=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Block count/ {gsub(/ /, "", $2); print $2}')
  truncate -s $((blocks * 4096)) "$img"
  [ $((blocks * 4096)) -le $((USR_PART_MIB * 1048576)) ] || die "/usr image $img does not fit the slot"
}

flatcar_disks() { # family
  local fam=$1 F=$W/$1 v rootimg disk
  mkdir -p "$F/payload"
  for v in "${VERSIONS[@]}"; do
    log "/usr image $fam $v"
    prepare_version "$fam" "$v"
    mkusr "$F/payload/$v.img"
    restore_version
  done
  log "disks for $fam"
  mkfs.ext4 -q -F -L STANDIN-PAYLOAD -m 0 -O ^has_journal -d "$F/payload" "$F/payload.img" \
    "$(($(du -sm "$F/payload" | cut -f1) + 64))M" >/dev/null
  # USR-A gets the base version below; the payload disk holds them all.
  mv "$F/payload/$BASE_VERSION.img" "$W/usr-base.img"
  rm -rf "$F/payload"
  # The OS disk: GPT with Flatcar's partition type GUIDs for USR and ROOT.
  rootimg=$W/root.ext4
  rm -f "$rootimg"
  mkfs.ext4 -q -F -L ROOT "$rootimg" "${ROOT_PART_MIB}M" >/dev/null
  disk=$F/disk.img
  rm -f "$disk"
  truncate -s $(((1 + 2 * USR_PART_MIB + ROOT_PART_MIB) * 1048576 + 1048576)) "$disk"
  sfdisk -q "$disk" >/dev/null <<EOF
label: gpt
unit: sectors
start=2048, size=$((USR_PART_MIB * 2048)), type=5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6, name=USR-A
size=$((USR_PART_MIB * 2048)), type=5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6, name=USR-B
size=$((ROOT_PART_MIB * 2048)), type=3884dd41-8582-4404-b9a8-e9b84f2df50e, name=ROOT
EOF
  dd if="$W/usr-base.img" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
  rm -f "$W/usr-base.img"
  dd if="$rootimg" of="$disk" bs=1M seek=$((1 + 2 * USR_PART_MIB)) conv=notrunc,sparse status=none
  rm -f "$rootimg"
}

# MicroOS-like: one btrfs partition ROOT whose top level holds the base
# /usr and every other version under .standin-repo/ (mkfs.btrfs --rootdir,
# no mount); the guest makes the subvolumes and snapshots (initramfs/init).
microos_disks() { # family
  local fam=$1 F=$W/$1 v B=$W/btrfs-stage part disk l
  rm -rf "$B"
  mkdir -p "$F" "$B/.standin-repo"
  for v in "${VERSIONS[@]}"; do
    log "/usr tree $fam $v"
    prepare_version "$fam" "$v"
    if [ "$v" = "$BASE_VERSION" ]; then
      cp -a "$T/usr" "$B/usr"
    else
      cp -a "$T/usr" "$B/.standin-repo/$v"
    fi
    restore_version
  done
  for l in bin sbin lib lib64; do ln -s "usr/$l" "$B/$l"; done
  log "disk for $fam (btrfs)"
  part=$W/root.btrfs
  rm -f "$part"
  truncate -s "${ROOT_PART_MIB}M" "$part"
  mkfs.btrfs -q -f -L ROOT --rootdir "$B" "$part" >/dev/null 2>&1 || die "mkfs.btrfs --rootdir"
  rm -rf "$B"
  disk=$F/disk.img
  rm -f "$disk"
  truncate -s $(((1 + ROOT_PART_MIB) * 1048576 + 1048576)) "$disk"
  sfdisk -q "$disk" >/dev/null <<EOF
label: gpt
unit: sectors
start=2048, size=$((ROOT_PART_MIB * 2048)), type=0fc63daf-8483-4772-8e79-3d69d8477de4, name=ROOT
EOF
  dd if="$part" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
  rm -f "$part"
}

for fam in "${FAMILIES[@]}"; do
  case $fam in
    flatcar) flatcar_disks "$fam" ;;
    microos) microos_disks "$fam" ;;
  esac
done

# ---- manifest ------------------------------------------------------------------
append="console=ttyS0 panic=-1 quiet loglevel=3 security=selinux enforcing=1"
fam_json() {
  local fam=$1 key_name v sep=""
  case $fam in
    flatcar) key_name=opt/org.flatcar-linux/config ;;
    microos) key_name=opt/com.coreos/config ;;
  esac
  printf '    "%s": {\n' "$fam"
  printf '      "base_version": "%s",\n' "$BASE_VERSION"
  printf '      "disks": [\n'
  if [ "$fam" = microos ]; then
    printf '        {"file": "%s/disk.img", "readonly": false, "serial": "standin-os"}\n' "$fam"
  else
    printf '        {"file": "%s/disk.img", "readonly": false, "serial": "standin-os"},\n' "$fam"
    printf '        {"file": "%s/payload.img", "readonly": true, "serial": "standin-payload"}\n' "$fam"
  fi
  printf '      ],\n'
  printf '      "versions": {'
  for v in "${VERSIONS[@]}"; do
    if [ "$fam" = microos ]; then
      printf '%s"%s": "%s/disk.img"' "$sep" "$v" "$fam"
    else
      printf '%s"%s": "%s/payload.img"' "$sep" "$v" "$fam"
    fi
    sep=", "
  done
  printf '},\n'
  printf '      "broken_versions": ["%s"],\n' "$(IFS=,; echo "${BROKEN_VERSIONS[*]}" | sed 's/,/", "/g')"
  printf '      "selinux": true,\n'
  if [ "$fam" = microos ]; then
    printf '      "update_design": "btrfs-snapshots",\n'
  else
    printf '      "update_design": "ab-usr",\n'
  fi
  printf '      "fw_cfg_key": "%s"\n' "$key_name"
  printf '    }'
}
{
  printf '{\n'
  printf '  "key": "%s",\n' "$key"
  printf '  "kernel": "vmlinuz",\n'
  printf '  "initrd": "initrd.img",\n'
  printf '  "kernel_version": "%s",\n' "$kver"
  printf '  "append": "%s",\n' "$append"
  printf '  "memory_mib": 512,\n'
  printf '  "families": {\n'
  sep=""
  for fam in "${FAMILIES[@]}"; do
    printf '%s' "$sep"
    fam_json "$fam"
    sep=$',\n'
  done
  printf '\n  }\n}\n'
} >"$W/manifest.json"

rm -rf "$T" "$I" "$K"
rm -rf "$dest"
mv "$work" "$dest"
ln -sfn "$key" "$out_root/current"
# Keep the current build and the one before it; touch nothing but builds
# (directories named by a key).
for old in $(cd "$out_root" && ls -1dt -- */ 2>/dev/null | tr -d / |
  grep -E '^[0-9a-f]{16}(\.tmp)?$' | grep -vx "$key" | tail -n +2); do
  rm -rf "${out_root:?}/$old"
done
log "built $dest in $((SECONDS - t0)) s"
