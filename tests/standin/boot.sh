#!/usr/bin/env bash
# Boots the current stand-in image by hand, for debugging.
#   usage: boot.sh [-f flatcar|microos] [-p PORT] [-s STATE_DIR] [-k] [CONFIG.ign]
#     -f  OS family (default flatcar)
#     -p  127.0.0.1 port forwarded to the guest's SSH (default 2222)
#     -s  where the qcow2 overlay and logs go (default build/standin/run-FAMILY)
#     -k  keep an existing overlay (boot the provisioned node again)
#     -b  run in the background: prints the PID, serial log in STATE_DIR/serial.log,
#         QMP socket STATE_DIR/qmp.sock
# Serial console on stdout unless -b. Ctrl-a x quits QEMU.
# Accelerator: STANDIN_ACCEL (default tcg; kvm only when asked for).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cur=${STANDIN_DIR:-$repo/build/standin/current}
family=flatcar port=2222 state= keep=0 bg=0
while getopts f:p:s:kb o; do
  case $o in
    f) family=$OPTARG ;;
    p) port=$OPTARG ;;
    s) state=$OPTARG ;;
    k) keep=1 ;;
    b) bg=1 ;;
    *) sed -n '2,11p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
config=${1:-}
state=${state:-$repo/build/standin/run-$family}
[ -f "$cur/manifest.json" ] || { echo "no stand-in build: run tests/standin/build.sh" >&2; exit 1; }
case $family in
  flatcar) key=opt/org.flatcar-linux/config ;;
  microos) key=opt/com.coreos/config ;;
  *) echo "unknown family $family" >&2; exit 2 ;;
esac
mkdir -p "$state"
cur=$(readlink -f "$cur")
append=$(sed -n 's/^  "append": "\(.*\)",$/\1/p' "$cur/manifest.json")
if [ $keep = 0 ] || [ ! -f "$state/os.qcow2" ]; then
  rm -f "$state/os.qcow2"
  qemu-img create -q -f qcow2 -b "$cur/$family/disk.img" -F raw "$state/os.qcow2"
fi
accel=${STANDIN_ACCEL:-tcg}
[ "$accel" = tcg ] && accel=tcg,tb-size=64
args=(
  -name "standin-$family" -accel "$accel" -machine q35 -cpu max -m 512 -smp 1
  -nodefaults -nographic -no-user-config
  -kernel "$cur/vmlinuz" -initrd "$cur/initrd.img" -append "$append"
  -drive "if=none,id=os,file=$state/os.qcow2,format=qcow2" -device virtio-blk-pci,drive=os,serial=standin-os
  -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0,romfile=
  -device virtio-rng-pci
)
if [ -f "$cur/$family/payload.img" ]; then
  args+=(-drive "if=none,id=payload,file=$cur/$family/payload.img,format=raw,readonly=on"
    -device virtio-blk-pci,drive=payload,serial=standin-payload)
fi
[ -n "$config" ] && args+=(-fw_cfg "name=$key,file=$config")
if [ $bg = 1 ]; then
  rm -f "$state/qmp.sock"
  qemu-system-x86_64 "${args[@]}" -serial "file:$state/serial.log" -monitor none \
    -qmp "unix:$state/qmp.sock,server=on,wait=off" \
    -pidfile "$state/qemu.pid" -daemonize
  cat "$state/qemu.pid"
else
  exec qemu-system-x86_64 "${args[@]}" -serial mon:stdio
fi
