#!/usr/bin/env bash
# make demo: render → boot → verify → update → broken update (rollback) →
# destroy, with the real terraform and QEMU. Cleans up on failure or Ctrl-C.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
demo="$repo/examples/demo"
work="$repo/build/demo"
export TF_CLI_CONFIG_FILE="$repo/build/terraformrc"
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1

manifest="$repo/build/standin/current/manifest.json"
good_version=1.0.1
broken_version=1.0.2-broken

step() { printf '\n\033[1m==> %s\033[0m (%ds)\n' "$1" "$SECONDS"; }

tf() { terraform -chdir="$demo" "$@"; }

vars=(-var "keys_dir=$work/keys" -var "state_dir=$work/nodes" -var "standin_manifest=$manifest")

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -f "$demo/terraform.tfstate" ]; then
    step "destroy (cleanup)"
    tf destroy -auto-approve -input=false "${vars[@]}" >"$work/destroy.log" 2>&1 ||
      echo "terraform destroy failed; see $work/destroy.log"
  fi
  # No QEMU may outlive the demo, whatever happened above.
  for pidfile in "$work"/nodes/*/qemu.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if grep -qa qemu "/proc/$pid/cmdline" 2>/dev/null; then
      echo "stopping leftover QEMU $pid"
      kill "$pid" 2>/dev/null || true
    fi
  done
  rm -f "$demo/terraform.tfstate" "$demo/terraform.tfstate.backup"
  [ $rc -eq 0 ] && step "demo finished" || echo "demo failed (exit $rc)"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$manifest" ] || { echo "no stand-in at $manifest: run 'make standin' first" >&2; exit 1; }
[ -f "$TF_CLI_CONFIG_FILE" ] || { echo "no $TF_CLI_CONFIG_FILE: run 'make build' first" >&2; exit 1; }

step "throwaway keys (ssh-keygen)"
rm -rf "$work/nodes" "$work/keys"
mkdir -p "$work/keys" "$work/nodes"
ssh-keygen -q -t ed25519 -N "" -C demo-admin -f "$work/keys/admin_key"
for node in flatcar microos; do
  ssh-keygen -q -t ed25519 -N "" -C "demo-$node-host" -f "$work/keys/${node}_host_key"
done

# dev_overrides replace `terraform init` for the provider; modules still need fetching.
tf get >/dev/null

step "render, boot and verify a hardened Flatcar node and a hardened MicroOS node"
tf apply -auto-approve -compact-warnings -input=false "${vars[@]}"

step "update both nodes to $good_version (in place; verification re-runs)"
tf apply -auto-approve -compact-warnings -input=false "${vars[@]}" -var "os_version=$good_version"

step "take a broken update ($broken_version): the nodes must fall back, and verification must say so"
tf apply -auto-approve -compact-warnings -input=false "${vars[@]}" -var "os_version=$broken_version" -var allow_rollback=true
for node in flatcar microos; do
  rolled=$(tf output -json booted | grep -o "\"$node\":{[^}]*}" | grep -o '"rolled_back":[a-z]*' | cut -d: -f2)
  [ "$rolled" = true ] || { echo "expected $node to report a rollback, got rolled_back=$rolled" >&2; exit 1; }
done
echo "both nodes rolled back to $good_version, as expected for a broken update"

step "destroy"
tf destroy -auto-approve -compact-warnings -input=false "${vars[@]}" -var "os_version=$broken_version" -var allow_rollback=true
rm -f "$demo/terraform.tfstate" "$demo/terraform.tfstate.backup"
