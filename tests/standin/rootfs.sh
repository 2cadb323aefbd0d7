#!/usr/bin/env bash
# Builds the stand-in's Debian root as a directory with mmdebstrap (minbase +
# systemd + OpenSSH + Podman + SELinux policy), cached by the package list,
# their candidate versions and the mmdebstrap options.
#   usage: rootfs.sh CACHE_DIR          -> prints the path of the root directory
#          rootfs.sh --versions         -> prints "package=version" lines
# The directory is read-only input: build.sh copies it before changing it.
set -euo pipefail

cache=${1:?usage: rootfs.sh CACHE_DIR | --versions}
suite=bookworm

# What the stand-in node runs. Recommends are off: everything is named here.
STANDIN_ROOT_PACKAGES=(
  systemd systemd-sysv udev dbus dbus-user-session libpam-systemd libnss-myhostname
  openssh-server sudo
  podman uidmap slirp4netns passt catatonit fuse-overlayfs containernetworking-plugins
  iproute2 kmod procps e2fsprogs btrfs-progs util-linux less
  selinux-policy-default policycoreutils selinux-utils
)

# "name=candidate-version" for each package, from one apt-cache call.
versions() {
  apt-cache policy "$@" 2>/dev/null | awk '
    /^[^ ].*:$/ { p = substr($0, 1, length($0) - 1) }
    /^  Candidate:/ { print p "=" $2 }'
}

if ! apt-cache policy systemd 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  apt-get update -qq
fi

include=$(IFS=,; echo "${STANDIN_ROOT_PACKAGES[*]}")
# The recipe: edit it and the key changes (a new root gets built).
# Keep the image small: no manuals, docs or translations (copyrights stay).
mmdebstrap_args=(
  --variant=minbase --mode=root --format=directory
  --aptopt='APT::Install-Recommends "false"'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --include="$include"
  --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*'
)

if [ "$cache" = --versions ]; then
  versions "${STANDIN_ROOT_PACKAGES[@]}"
  exit 0
fi
key=$( { versions "${STANDIN_ROOT_PACKAGES[@]}"; echo "$suite"; printf '%s\n' "${mmdebstrap_args[@]}"; } | sha256sum | cut -c1-16)
out="$cache/rootfs-$key"
if [ -e "$out/usr/lib/os-release" ]; then
  echo "$out"
  exit 0
fi
mkdir -p "$cache"
rm -rf "$cache"/rootfs-*.part

echo "standin: mmdebstrap $suite minbase (+${#STANDIN_ROOT_PACKAGES[@]} packages)" >&2
mkdir "$out.part"
mmdebstrap --quiet "${mmdebstrap_args[@]}" "$suite" "$out.part" >&2

for old in "$cache"/rootfs-*; do   # roots of older keys
  [ "$old" = "$out.part" ] || rm -rf "$old"
done
mv "$out.part" "$out"
echo "$out"
