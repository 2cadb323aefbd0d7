#!/usr/bin/env bash
# Installs the Debian packages that hardnode's tests, benchmarks and demo use:
# QEMU (TCG), the real Ignition 2.14, OpenSSH, and what the stand-in node
# build needs. Idempotent: installs only what is missing. Needs root.
set -euo pipefail

packages=(
  qemu-system-x86 qemu-utils
  ignition
  openssh-server openssh-client
  busybox-static cpio e2fsprogs kmod
  mmdebstrap btrfs-progs fdisk
  passwd sudo ca-certificates
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages ${missing[*]}; run this script as root" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep the openssh-server install from starting a host sshd.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
