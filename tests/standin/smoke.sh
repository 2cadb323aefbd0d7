#!/usr/bin/env bash
# Smoke test of the current stand-in build: boots one node with a minimal
# Ignition config (spec 3.3.0: admin `core` with a fresh key, a host key),
# logs in over SSH with the host key pinned, checks SELinux enforcing, the
# os-release VERSION and the booted slot, then (unless --no-update) updates
# to the next version and takes a broken update that must roll back.
#   usage: smoke.sh [flatcar|microos] [--no-update]
# Prints the time of each phase. Leaves no QEMU behind.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
family=flatcar update=1
for a in "$@"; do
  case $a in
    flatcar | microos) family=$a ;;
    --no-update) update=0 ;;
    *) sed -n '2,8p' "$0" >&2; exit 2 ;;
  esac
done
cur=$(readlink -f "${STANDIN_DIR:-$repo/build/standin/current}")
[ -f "$cur/manifest.json" ] || { echo "smoke: no stand-in build (run tests/standin/build.sh)" >&2; exit 1; }
state=$repo/build/standin/smoke-$family
rm -rf "$state"
mkdir -p "$state"

t_start=$SECONDS
say() { printf 'smoke[%s] %4ds: %s\n' "$family" $((SECONDS - t_start)) "$*"; }
fail() { say "FAIL: $*"; [ -f "$state/serial.log" ] && tail -n 25 "$state/serial.log" | sed 's/^/  serial| /'; exit 1; }

# ---- keys and config ------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C smoke-admin -f "$state/admin"
ssh-keygen -q -t ed25519 -N '' -C smoke-host -f "$state/hostkey"
b64() { base64 -w0 "$1"; }
cat >"$state/config.ign" <<EOF
{
  "ignition": {"version": "3.3.0"},
  "passwd": {"users": [
    {"name": "core", "groups": ["wheel", "sudo", "docker", "systemd-journal"],
     "sshAuthorizedKeys": ["$(cat "$state/admin.pub")"]}
  ]},
  "storage": {"files": [
    {"path": "/etc/ssh/ssh_host_ed25519_key", "mode": 384,
     "contents": {"source": "data:;base64,$(b64 "$state/hostkey")"}},
    {"path": "/etc/ssh/ssh_host_ed25519_key.pub", "mode": 420,
     "contents": {"source": "data:;base64,$(b64 "$state/hostkey.pub")"}},
    {"path": "/etc/standin-smoke", "mode": 420, "contents": {"source": "data:,smoke%0A"}}
  ]},
  "systemd": {"units": [
    {"name": "smoke.service", "enabled": true,
     "contents": "[Unit]\nDescription=smoke\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"}
  ]}
}
EOF
if command -v ignition-validate >/dev/null; then
  ignition-validate "$state/config.ign" || fail "ignition-validate rejected the config"
fi

# ---- boot -------------------------------------------------------------------------
port=
for _ in $(seq 1 50); do
  p=$((20000 + RANDOM % 20000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
done
[ -n "$port" ] || fail "no free port"
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$state/hostkey.pub")" >"$state/known_hosts"
SSH=(ssh -q -F /dev/null -i "$state/admin" -p "$port" -o BatchMode=yes -o IdentitiesOnly=yes
  -o UserKnownHostsFile="$state/known_hosts" -o StrictHostKeyChecking=yes -o HostKeyAlgorithms=ssh-ed25519
  -o ConnectTimeout=20 -o ServerAliveInterval=2 -o ServerAliveCountMax=5 core@127.0.0.1)
g() { "${SSH[@]}" "$@"; }

pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    sleep 1
    kill -9 "$pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT INT TERM

# Poll sparingly: each try is a whole handshake, and short-lived
# connections pile up against sshd's MaxStartups under TCG.
wait_up() { # deadline-seconds
  local end=$((SECONDS + $1))
  while [ $SECONDS -lt $end ]; do
    kill -0 "$pid" 2>/dev/null || fail "QEMU exited"
    g true 2>/dev/null && return 0
    sleep 1
  done
  fail "no SSH within $1 s"
}
wait_down() {
  local end=$((SECONDS + $1))
  while [ $SECONDS -lt $end ]; do
    timeout 10 "${SSH[@]}" true 2>/dev/null || return 0
    sleep 1
  done
  fail "node did not go down within $1 s"
}

say "booting $family (port $port)"
t=$SECONDS
pid=$(bash "$here/boot.sh" -b -f "$family" -p "$port" -s "$state" "$state/config.ign")
wait_up 300
say "first boot to SSH: $((SECONDS - t)) s"

# Where the node booted from: the USR slot (A/B) or the snapshot number.
booted_slot() {
  if [ "$family" = microos ]; then
    g "sed -n 's|^[^ ]* / btrfs .*subvol=/@/\.snapshots/\([0-9]*\)/snapshot.*|\1|p' /proc/mounts"
  else
    g 'u=$(readlink -f "$(findmnt -n -o SOURCE /usr)"); for s in A B; do [ "$(readlink -f /dev/disk/by-partlabel/USR-$s)" = "$u" ] && echo $s; done; true'
  fi
}
if [ "$family" = microos ]; then
  where=snapshot first=1 second=2 third=3 markers=/var/lib/standin
else
  where=slot first=A second=B third=A markers=/boot/standin
fi
check() { # expected-version expected-slot
  local v s e
  v=$(g '. /etc/os-release; echo "$VERSION"')
  s=$(booted_slot)
  e=$(g 'cat /sys/fs/selinux/enforce')
  [ "$e" = 1 ] || fail "SELinux enforce=$e"
  [ "$v" = "$1" ] || fail "VERSION=$v, want $1"
  [ "$s" = "$2" ] || fail "booted $where $s, want $2"
  say "ok: VERSION=$v $where=$s selinux enforcing"
}

base=1.0.0
check "$base" "$first"
g 'sudo -n true' || fail "sudo -n"
g 'systemctl is-active --quiet smoke.service' || fail "smoke.service not active (unit enablement)"
g 'test -s .ssh/authorized_keys.d/ignition' || fail "no authorized_keys.d/ignition"
g 'ps -eZ | grep -q "sshd_t.*sshd"' || fail "sshd not in sshd_t"
result=$(g 'sudo -n cat /etc/.ignition-result.json')
say "ok: sudo, unit enabled by preset, sshd confined, host key from the config"

if [ $update = 1 ]; then
  t=$SECONDS
  g 'sudo -n standin-update 1.0.1' | sed 's/^/  guest| /' || fail "standin-update 1.0.1"
  wait_down 120
  wait_up 300
  say "update to 1.0.1 and reboot: $((SECONDS - t)) s"
  check 1.0.1 "$second"
  [ "$(g 'sudo -n cat /etc/.ignition-result.json')" = "$result" ] || fail "Ignition ran again"
  if [ "$family" = microos ]; then
    [ "$(g "cat $markers/good")" = 2 ] || fail "snapshot 2 not marked good"
  else
    [ "$(g "cat $markers/active")" = B ] || fail "slot B not marked good"
  fi

  t=$SECONDS
  g 'sudo -n standin-update 1.0.2-broken' | sed 's/^/  guest| /' || fail "standin-update 1.0.2-broken"
  wait_down 120
  wait_up 300
  say "broken update, failed trial, rollback: $((SECONDS - t)) s"
  check 1.0.1 "$second"
  lr=$(g "cat $markers/last-rollback")
  [ "$lr" = "failed=$third booted=$second" ] || fail "last-rollback: $lr"
  grep -q "rollback: .* did not reach userspace" "$state/serial.log" || fail "no rollback in the serial log"
  say "ok: rolled back ($lr)"
fi

g 'sudo -n systemctl poweroff' || true
for _ in $(seq 1 60); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
say "PASS ($((SECONDS - t_start)) s in all)"
